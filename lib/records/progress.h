/* progress.h — the progress line and the closing summary of a tool.
 *
 * The line ("featx: 1234/5000  250.1/s  eta 0:15  12 failed") is drawn on stderr only
 * when stderr is a terminal, overwritten in place with \r, at most ten times a second.
 * The summary is always one line on stderr unless quiet. */
#ifndef AZD_PROGRESS_H
#define AZD_PROGRESS_H

struct progress {
	const char *prog;
	long total;          /* -1 when unknown */
	long done, failed;
	double t0, last;
	int tty, quiet, drawn;
};

double now_seconds(void);
void progress_init(struct progress *p, const char *prog, long total, int quiet);
void progress_tick(struct progress *p, int failed);
/* Clears the line and prints "prog: <what>, N failed, R/s, T s" with the tool's words. */
void progress_done(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
