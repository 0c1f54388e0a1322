/* tool.c — the tools' shared options, value parsing, usage errors and version line. */
#include "tool.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "membudget.h"
#include "version.h"

void tool_init(char **argv)
{
	log_init(argv[0]);
	argv[0] = (char *)log_prog();
}

int tool_usage(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	fprintf(stderr, "try '%s --help'\n", log_prog());
	return TOOL_ERROR;
}

static void help_line(int col, const char *opt, const char *text)
{
	printf("%-*s%s\n", col, opt, text);
}

int tool_help(const struct tool *t)
{
	int col = t->col > 0 ? t->col : 21;

	fputs(t->help, stdout);
	if (t->flags & TOOL_IN)
		help_line(col, "  -i, --input FILE", "read FILE instead of standard input");
	if (t->flags & TOOL_OUT)
		help_line(col, "  -o, --output FILE", t->out_help ? t->out_help :
		    "write to FILE atomically instead of standard output");
	help_line(col, "  -q, --quiet", "no progress line or summary");
	help_line(col, "  -h, --help", "this text");
	help_line(col, "  -V, --version", "print the version");
	return TOOL_OK;
}

int tool_version(void)
{
	printf("%s (azdedup) %s\n", log_prog(), AZDEDUP_VERSION);
	return TOOL_OK;
}

void tool_filter(const struct tool *t, struct filter *f)
{
	f->in = t->in;
	f->out = t->out;
	f->quiet = t->quiet;
	if (t->flags & (TOOL_THREADS | TOOL_PARALLEL))
		f->threads = t->threads;
}

int tool_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > TOOL_MAX_THREADS ? TOOL_MAX_THREADS : (int)n;
}

int tool_opt(struct tool *t, int c, const char *arg)
{
	aderr err = {0};
	int rc;

	switch (c) {
	case 'i':
		if (t->flags & TOOL_IN) {
			t->in = arg;
			return TOOL_GO;
		}
		break;
	case 'o':
		if (t->flags & TOOL_OUT) {
			t->out = arg;
			return TOOL_GO;
		}
		break;
	case 'j':
		if (t->flags & TOOL_THREADS)
			return tool_int("--threads", arg, 1, TOOL_MAX_THREADS, &t->threads) ?
			    TOOL_ERROR : TOOL_GO;
		break;
	case 'P':
		if (t->flags & TOOL_PARALLEL)
			return tool_int("--parallel", arg, 1, TOOL_MAX_THREADS, &t->threads) ?
			    TOOL_ERROR : TOOL_GO;
		break;
	case 'q':
		t->quiet = 1;
		return TOOL_GO;
	case 'h':
		return tool_help(t);
	case 'V':
		return tool_version();
	case '?':
		/* getopt has named the unknown option or the missing value */
		fprintf(stderr, "try '%s --help'\n", log_prog());
		return TOOL_ERROR;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof t->more / sizeof t->more[0]; i++)
		if (t->more[i] != NULL && (rc = t->more[i](c, arg, &err)) != 0)
			return rc > 0 ? TOOL_GO : tool_usage("%s", err.msg);
	/* an entry of the tool's table that its switch forgot: a bug, said as one */
	return tool_usage("option code %d is not handled", c);
}

int tool_operands(int argc, char **argv, int max)
{
	if (argc - optind > max)
		return tool_usage("%s: unexpected argument", argv[optind + max]);
	return TOOL_OK;
}

int tool_operand_or_env(int argc, char **argv, const char *what, const char *env,
    const char **out)
{
	if (tool_operands(argc, argv, 1) != TOOL_OK)
		return TOOL_ERROR;
	if (optind < argc)
		*out = argv[optind];
	else if ((*out = getenv(env)) == NULL)
		return tool_usage("missing %s (or %s)", what, env);
	return TOOL_OK;
}

/* Decimal digits only, into *v; 0, or -1 when s is empty, holds anything else or does
 * not fit. */
static int digits(const char *s, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || x > (ULLONG_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int tool_int(const char *opt, const char *s, long lo, long hi, int *out)
{
	unsigned long long v;

	if (lo < 0 || hi > INT_MAX || digits(s, strlen(s), &v) < 0 ||
	    v < (unsigned long long)lo || v > (unsigned long long)hi)
		return tool_usage("%s: expected a whole number from %ld to %ld, got '%s'", opt, lo,
		    hi, s);
	*out = (int)v;
	return 0;
}

int tool_count(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	size_t n = strcspn(s, "eE");
	unsigned long long v, e = 0;

	if (digits(s, n, &v) < 0 || (s[n] != '\0' && digits(s + n + 1, strlen(s + n + 1), &e) < 0))
		goto bad;
	for (; e > 0 && v > 0; e--) {
		if (v > ULLONG_MAX / 10)
			goto bad;
		v *= 10;
	}
	if (v >= lo && v <= hi) {
		*out = v;
		return 0;
	}
bad:
	if (hi >= 1000000000000000000ULL)       /* no limit worth naming */
		return tool_usage("%s: expected a whole number of at least %llu (such as 1000 or "
		    "1e8), got '%s'", opt, lo, s);
	return tool_usage("%s: expected a whole number from %llu to %llu (such as 1000 or 1e8), "
	    "got '%s'", opt, lo, hi, s);
}

int tool_size(const char *opt, const char *s, size_t *out)
{
	if (membudget_parse_size(s, out) < 0)
		return tool_usage("%s: expected a size such as 512M or 2G, got '%s'", opt, s);
	return 0;
}
