/* progress.c — terminal progress line and summary. */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *prog, long total, int quiet)
{
	p->prog = prog;
	p->total = total;
	p->done = p->failed = 0;
	p->t0 = p->last = now_seconds();
	p->quiet = quiet;
	p->tty = !quiet && isatty(STDERR_FILENO);
	p->drawn = 0;
}

static void draw(struct progress *p, double t)
{
	double el = t - p->t0, rate = el > 0 ? (double)p->done / el : 0;
	char eta[32] = "";

	if (p->total > 0 && rate > 0 && p->done <= p->total) {
		long s = (long)((double)(p->total - p->done) / rate);

		snprintf(eta, sizeof eta, "  eta %ld:%02ld", s / 60, s % 60);
	}
	if (p->total > 0)
		fprintf(stderr, "\r%s: %ld/%ld  %.1f/s%s", p->prog, p->done, p->total, rate, eta);
	else
		fprintf(stderr, "\r%s: %ld  %.1f/s", p->prog, p->done, rate);
	if (p->failed)
		fprintf(stderr, "  %ld failed", p->failed);
	fputs("\033[K", stderr);
	p->drawn = 1;
}

void progress_tick(struct progress *p, int failed)
{
	double t;

	p->done++;
	p->failed += failed != 0;
	if (!p->tty)
		return;
	t = now_seconds();
	if (t - p->last >= 0.1) {
		p->last = t;
		draw(p, t);
	}
}

void progress_done(struct progress *p, const char *fmt, ...)
{
	va_list ap;
	double el = now_seconds() - p->t0;

	if (p->drawn)
		fputs("\r\033[K", stderr);
	if (p->quiet)
		return;
	fprintf(stderr, "%s: ", p->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " in %.2fs (%.1f/s)\n", el, el > 0 ? (double)p->done / el : 0.0);
}
