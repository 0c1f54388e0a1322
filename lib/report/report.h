/* report.h — dedupe's reports: every input record again with "dup" (its role, group,
 * keeper and the evidence) in input order, then one record per group and the summary,
 * and on request the HTML page of the groups.
 *
 * The records come back from the spool the record loop kept (filter.h, collect mode);
 * the items, in input order, from the set it collected them into. */
#ifndef AZD_REPORT_H
#define AZD_REPORT_H

#include "err.h"
#include "group.h"
#include "itemset.h"
#include "spool.h"

/* What the summary counts, for the tool's closing line. */
struct report_totals {
	long images, unique, groups, dups, exact, near, local, failed;
	long long saved;
};

/* Writes the report to out (NULL or "-": standard output; a file atomically) and, with
 * html not NULL, the page to html, for ngroups groups that grp_run found in s with o
 * (st: its counts).  0, or a negative code with err set. */
int report_write(const struct itemset *s, spool *kept, long ngroups, const struct grp_opts *o,
    const struct grp_stats *st, const char *out, const char *html, struct report_totals *t,
    aderr *err);

#endif
