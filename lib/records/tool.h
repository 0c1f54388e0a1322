/* tool.h — the tools' skeleton: what all six share around their record loop.
 *
 * The options every tool has (-q, -h, -V; -i and -o where it reads and writes records;
 * -j or -P where it runs in parallel) as entries for its getopt_long table, strict
 * parsing of option values, one path for a usage error (one line naming the problem,
 * then "try 'prog --help'", exit status 2; never the whole help), one --version line
 * and the exit statuses.  getopt_long stays the parser: a tool puts these entries in its
 * table and hands every option it does not handle itself to tool_opt.
 *
 * Unlike the rest of lib/, this module prints (on stderr through log.h, the help and
 * the version on stdout): it is the tools' voice on the command line, and only tools
 * call it.  It never exits: it returns the status main is to return. */
#ifndef AZD_TOOL_H
#define AZD_TOOL_H

#include <getopt.h>
#include <stddef.h>
#include "err.h"
#include "filter.h"

/* Exit statuses, the same in every tool and every man page. */
enum {
	TOOL_OK = 0,        /* everything went well */
	TOOL_FAILED = 1,    /* the run completed, but some records failed */
	TOOL_ERROR = 2      /* a usage, configuration or credential error, or a failure that
	                     * stopped the run (its output not written) */
};
/* tool_opt: the option was handled, go on parsing. */
#define TOOL_GO (-1)

/* struct tool flags: which of the shared options the tool has */
enum {
	TOOL_IN = 1,        /* -i, --input FILE */
	TOOL_OUT = 2,       /* -o, --output FILE */
	TOOL_THREADS = 4,   /* -j, --threads N (1 to TOOL_MAX_THREADS) */
	TOOL_PARALLEL = 8   /* -P, --parallel N (1 to TOOL_MAX_THREADS) */
};
#define TOOL_MAX_THREADS 64

/* getopt_long table entries; TOOL_LONG_OPTS ends the table. */
#define TOOL_LONG_IN { "input", required_argument, NULL, 'i' }
#define TOOL_LONG_OUT { "output", required_argument, NULL, 'o' }
#define TOOL_LONG_THREADS { "threads", required_argument, NULL, 'j' }
#define TOOL_LONG_PARALLEL { "parallel", required_argument, NULL, 'P' }
#define TOOL_LONG_OPTS \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }
/* short options, to follow the tool's own in getopt_long's string */
#define TOOL_SHORT "qhV"

struct tool {
	/* set by the tool */
	const char *help;       /* --help: the synopsis, the description and the tool's own
	                         * options; the shared ones (-i -o -q -h -V) follow it */
	int col;                /* the column the option descriptions start at (0: 21) */
	unsigned flags;         /* TOOL_IN | TOOL_OUT | TOOL_THREADS | TOOL_PARALLEL */
	const char *out_help;   /* the -o line's text when not the usual one */
	/* more options that modules handle (http_parse_opt, rr_parse_opt): 1 taken, 0 not
	 * their own, negative (err filled) a bad value */
	int (*more[2])(int c, const char *arg, aderr *err);
	/* filled from the command line (threads keeps the tool's default unless given) */
	const char *in, *out;
	int quiet, threads;
};

/* Sets the program name for messages (log_init) to argv[0]'s last part, and argv[0]
 * with it, so that getopt's own complaints read "prog: ...". */
void tool_init(char **argv);
/* Handles an option the tool's switch did not: one of the shared ones, one of t->more's,
 * or getopt's '?' for an unknown option or a missing value (getopt has said which).
 * TOOL_GO to go on; TOOL_OK after --help or --version; TOOL_ERROR after a usage error. */
int tool_opt(struct tool *t, int c, const char *arg);
/* No more than max operands after the options: TOOL_OK, or TOOL_ERROR after naming the
 * first one too many. */
int tool_operands(int argc, char **argv, int max);
/* The one operand a tool may take (its SRC or DST), else the environment variable env
 * (which keeps a SAS off the command line): TOOL_OK with *out set, or TOOL_ERROR after a
 * usage error (an operand too many, or neither given; what names the operand). */
int tool_operand_or_env(int argc, char **argv, const char *what, const char *env,
    const char **out);

/* Prints "prog: <message>" and "try 'prog --help'" on stderr; returns TOOL_ERROR. */
int tool_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The --help text (t->help and the shared options) on stdout; returns TOOL_OK. */
int tool_help(const struct tool *t);
/* The one version line of every tool, "prog (azdedup) VERSION", on stdout; TOOL_OK. */
int tool_version(void);
/* Hands the shared options to the record loop: f's input, output, quiet and (where the
 * tool has -j or -P) threads. */
void tool_filter(const struct tool *t, struct filter *f);
/* The number of cores, 1 to TOOL_MAX_THREADS: the tools' default for -j. */
int tool_cores(void);

/* Option values, strictly: decimal digits only (no sign, space, fraction or anything
 * after them), within the range.  Each returns 0 with *out set, or TOOL_ERROR after a
 * usage error naming the option and the value (*out untouched). */
int tool_int(const char *opt, const char *s, long lo, long hi, int *out);
/* A count that may be written with a power of ten, 100000000 or 1e8, from lo to hi. */
int tool_count(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
    unsigned long long *out);
/* A size in bytes with an optional K, M, G or T (powers of 1024, membudget_parse_size). */
int tool_size(const char *opt, const char *s, size_t *out);

#endif
