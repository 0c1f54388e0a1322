/* azget — materialise listed images as local files in a work folder. */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "fnv.h"
#include "http.h"
#include "log.h"
#include "readroots.h"
#include "rec.h"
#include "recstor.h"
#include "storage.h"
#include "tool.h"
#include "workdir.h"

struct get {
	workdir *work;
	int flags;
	stor_pool *sources;
	atomic_long fetched, present;
	read_roots *roots;  /* where a local source may be read from */
	int claimed;        /* get_seen: the work folder's first source is known */
};

/* The first source is the one of the first record in input order (claimed here, on the
 * reading thread), not of whichever parallel fetch gets there first, so that the same
 * input always gives the same layout.  A failure is left for get_one to report. */
static void get_seen(void *ud, const json_t *rec)
{
	struct get *g = ud;
	const char *src = rec_str(rec, "src");
	aderr err = {0};
	stor *s;

	if (g->claimed || src == NULL || rec_name(rec) == NULL)
		return;
	if ((s = stor_pool_get(g->sources, src, 0, &err)) == NULL)
		return;
	g->claimed = workdir_claim(g->work, stor_display(s), &err) == 0;
}

static const char help[] =
    "usage: azget -d DIR [-q] [-P N] [--copy] [-i FILE] [-o FILE]\n"
    "Read records (from azls), make each image a local file DIR/NAME, and add its\n"
    "\"path\".  Files already there with the same size and time are not fetched again;\n"
    "a download cut short is resumed where it stopped.\n\n"
    "  -d, --dir DIR      the work folder (created if missing)\n"
    "  -P, --parallel N   transfers at once (default 16)\n"
    "      --copy         always copy a local source (default: hard link if possible)\n"
    "      --read-under DIR  read local sources only under DIR (may be repeated;\n"
    "                     adds to AZDEDUP_READ_ROOTS)\n"
    HTTP_OPTS_HELP;

static int fail(json_t *rec, const aderr *err)
{
	const char *name = rec_name(rec);

	/* credentials refused, a missing container: every record would fail the same way */
	if (aderr_fatal(err->code))
		return err->code;
	log_err("%s: %s", name ? name : "(no name)", err->msg);
	rec_set_error(rec, "azget", aderr_name(err->code), err->msg);
	return FILTER_FAILED;
}

static int get_one(void *ud, json_t *rec, aderr *err)
{
	struct get *g = ud;
	const char *name = rec_name(rec), *src = rec_str(rec, "src");
	struct stor_entry known;
	char *local;
	stor *s;
	int rc;

	if (name == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		return fail(rec, err);
	}
	if (src == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no src");
		return fail(rec, err);
	}
	if (!stor_name_ok(name, err))
		return fail(rec, err);
	s = stor_pool_get(g->sources, src, 0, err);
	if (s == NULL)
		return fail(rec, err);
	if (rr_check_in(g->roots, s, name, err) < 0)
		return fail(rec, err);
	if ((local = workdir_path(g->work, stor_display(s), name, err)) == NULL)
		return err->code;     /* the work folder cannot be written: stop */
	rc = stor_get(s, name, local, g->flags, rec_stor_entry(rec, &known, 1), err);
	if (rc < 0) {
		free(local);
		return fail(rec, err);
	}
	if (rc == STOR_SAME)
		g->present++;
	else
		g->fetched++;
	rec_set_str(rec, "path", local);
	free(local);
	return FILTER_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		HTTP_LONG_OPTS,
		{ "copy", no_argument, NULL, 'c' },
		RR_LONG_OPTS,
		TOOL_LONG_PARALLEL,
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool t = { .help = help, .flags = TOOL_IN | TOOL_OUT | TOOL_PARALLEL,
	    .more = { http_parse_opt, rr_parse_opt }, .threads = 16 };
	struct get g = { .flags = STOR_LINK };
	struct filter f = { .each = get_one, .seen = get_seen, .ud = &g };
	const char *dir = NULL;
	aderr err = {0};
	int c, rc;

	tool_init(argv);
	if ((g.roots = rr_tool(&err)) == NULL) {
		log_err("AZDEDUP_READ_ROOTS: %s", err.msg);
		return TOOL_ERROR;
	}
	while ((c = getopt_long(argc, argv, "d:P:i:o:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': g.flags &= ~STOR_LINK; break;
		default:
			if ((rc = tool_opt(&t, c, optarg)) != TOOL_GO)
				return rc;
		}
	}
	if ((rc = tool_operands(argc, argv, 0)) != TOOL_OK)
		return rc;
	if (dir == NULL)
		return tool_usage("missing -d DIR, the work folder");
	tool_filter(&t, &f);
	if ((g.work = workdir_open(dir, &err)) == NULL) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	g.sources = stor_pool_new();
	if (g.sources == NULL) {
		log_err("out of memory");
		workdir_free(g.work);
		return TOOL_ERROR;
	}
	rc = filter_run(&f, log_prog(), &err);
	stor_pool_free(g.sources);
	workdir_free(g.work);
	if (rc < 0) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	progress_done(&f.progress, "%ld fetched, %ld already present, %ld failed, "
	    "%ld failed upstream%s%s", atomic_load(&g.fetched), atomic_load(&g.present),
	    f.failed, f.upstream, http_received_note(), http_retry_note());
	return filter_status(&f);
}
