/* unit.h — the tiny assert helper the C unit tests share.
 *
 *   CHECK(cond)            counts a pass or prints file:line and the expression
 *   CHECK_EQ_INT(a, b)     same, printing both values
 *   CHECK_STR(a, b)        string equality (NULL-safe)
 *   SKIP(why)              counts a check that could not run here (never a pass) and
 *                          prints why on a "skip" line
 *   return unit_done();    prints "N passed, N failed" (", N skipped" when some were)
 *                          and gives the exit status
 *
 * Tests find fixtures relative to the repository root: tests run from there. */
#ifndef AZD_UNIT_H
#define AZD_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail, unit_skip;

#define CHECK(cond) do { \
	if (cond) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long unit_a_ = (long long)(a), unit_b_ = (long long)(b); \
	if (unit_a_ == unit_b_) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
		__FILE__, __LINE__, #a, #b, unit_a_, unit_b_); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *unit_a_ = (a), *unit_b_ = (b); \
	if (unit_a_ && unit_b_ && strcmp(unit_a_, unit_b_) == 0) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
		__FILE__, __LINE__, #a, #b, unit_a_ ? unit_a_ : "(null)", unit_b_ ? unit_b_ : "(null)"); } \
} while (0)

#define SKIP(why) do { \
	unit_skip++; printf("skip %s:%d: %s\n", __FILE__, __LINE__, (why)); \
} while (0)

static inline int unit_done(void)
{
	if (unit_skip > 0)
		printf("%d passed, %d failed, %d skipped\n", unit_pass, unit_fail, unit_skip);
	else
		printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
