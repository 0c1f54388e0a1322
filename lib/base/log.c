/* log.c — stderr diagnostics for the tools. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *prog_name = "azdedup";
static int verbose;

void log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	prog_name = slash ? slash + 1 : prog;
}

const char *log_prog(void)
{
	return prog_name;
}

void log_set_verbose(int on)
{
	verbose = on;
}

__attribute__((format(printf, 1, 0)))
static void vlog(const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	n = snprintf(line, sizeof line, "%s: ", prog_name);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	/* one write per line, so lines from parallel stages do not interleave */
	fprintf(stderr, "%s\n", line);
}

void log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
