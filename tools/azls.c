/* azls — list the images of a storage location as records. */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "progress.h"
#include "rec.h"
#include "shard.h"
#include "select.h"
#include "storage.h"
#include "timefmt.h"
#include "tool.h"

struct ls {
	rec_writer *w;
	const char *src;
	int all, follow;
	struct shard shard;         /* --shard K/N */
	sel *sel;                  /* --include, --exclude, sizes and ages */
	long listed, skipped, failed, filtered;
	struct progress progress;
};

static const char help[] =
    "usage: azls [-aq] [-o FILE] [--prefix P] [--shard K/N] [FILTERS] [SRC]\n"
    "List the image files under SRC as NDJSON records: name (relative to SRC), size,\n"
    "mtime, etag, content_md5 and content_type when known, src.  SRC is a folder,\n"
    "a file:// URL, an Azure container URL (https://ACCOUNT.blob.core.windows.net/\n"
    "CONTAINER[/FOLDER][?SAS], or http://HOST:PORT/ACCOUNT/CONTAINER for the\n"
    "emulator), or az://CONTAINER[/FOLDER] on the account of\n"
    "AZURE_STORAGE_CONNECTION_STRING.  Without SRC, the source is $AZDEDUP_SRC\n"
    "(keeps a SAS off the command line).\n\n"
    "  -a, --all          list every file, not only images (by extension or type)\n"
    "  -p, --prefix P     only names starting with P\n"
    "      --shard K/N    only names whose stable hash is in shard K of N (0-based)\n"
    "      --follow-links list what links out of a local SRC lead to (files, folders)\n"
    "Filters, as rclone's (the first pattern rule that matches a name decides; after an\n"
    "include, a name no rule matches is left out):\n"
    "      --include P    list names matching the glob P (* ** ? [..] {a,b}; repeatable)\n"
    "      --exclude P    leave out names matching P (repeatable)\n"
    "      --include-from FILE, --exclude-from FILE\n"
    "                     the same with each line of FILE (# comments)\n"
    "      --min-size S   only files of at least S (100k, 5M, 1G; k is KiB)\n"
    "      --max-size S   only files of at most S\n"
    "      --max-age A    only files modified in the last A (30m, 12h, 7d, 2w) or since\n"
    "                     the date A (2026-01-31, 2026-01-31T12:00:00Z)\n"
    "      --min-age A    only files modified at least A ago, or up to the date A\n"
    HTTP_OPTS_HELP;

static int utf8_valid(const char *s)
{
	json_t *t = json_string(s);

	json_decref(t);
	return t != NULL;
}

static int emit(void *ud, const struct stor_entry *e)
{
	struct ls *ls = ud;
	json_t *rec;
	char when[32];
	aderr err = {0};
	int rc;

	if (e->note != NULL && !e->fail && e->name[strlen(e->name) - 1] == '/') {
		log_err("%s: %s", e->name, e->note);    /* a folder link left out: say so */
		ls->skipped++;
		return 0;
	}
	if (!ls->all && !stor_is_image_name(e->name) && strncmp(e->content_type, "image/", 6) != 0) {
		ls->skipped++;
		return 0;
	}
	/* a dangling link has no size or time of its own: its name alone decides */
	if (e->note != NULL ? !sel_keeps_name(ls->sel, e->name) :
	    !sel_keeps(ls->sel, e->name, e->size, e->mtime)) {
		ls->filtered++;
		return 0;
	}
	if (ls->shard.n > 1 && shard_name_hash(e->name) % ls->shard.n != ls->shard.k)
		return 0;
	if (e->note != NULL && !e->fail) {
		log_err("%s: %s", e->name, e->note);    /* a link left out: say so */
		ls->skipped++;
		return 0;
	}
	rec = json_object();
	if (rec == NULL)
		return AD_ENOMEM;
	if (e->note != NULL) {
		/* a dangling link or a loop: a record that names it, with the reason */
		rec_set_str(rec, "name", e->name);
		rec_set_str(rec, "src", ls->src);
		rec_set_error(rec, "azls", "bad_link", e->note);
		log_err("%s: %s", e->name, e->note);
		ls->failed++;
		goto write;
	}
	time_format_iso(e->mtime, -1, when, sizeof when);
	rec_set_str(rec, "name", e->name);
	rec_set_int(rec, "size", e->size);
	rec_set_str(rec, "mtime", when);
	rec_set_str(rec, "etag", e->etag);
	if (e->content_md5[0])
		rec_set_str(rec, "content_md5", e->content_md5);
	if (e->content_type[0])
		rec_set_str(rec, "content_type", e->content_type);
	rec_set_str(rec, "src", ls->src);
	if (utf8_valid(e->name) && !stor_name_ok(e->name, &err)) {
		/* legal in a container, but no safe local file name: say so, keep it */
		rec_set_error(rec, "azls", "bad_name", err.msg);
		log_err("%s: %s", e->name, err.msg);
		ls->failed++;
	} else if (!utf8_valid(e->name)) {
		/* a file name that is not UTF-8 cannot be a JSON string: say so, keep it */
		rec_set_error(rec, "azls", "bad_name", "file name is not valid UTF-8");
		log_err("%s: file name is not valid UTF-8", json_string_value(json_object_get(rec, "name")));
		ls->failed++;
	}
write:
	rc = rec_write(ls->w, rec, &err);
	json_decref(rec);
	if (rc < 0) {
		log_err("%s", err.msg);
		return rc;
	}
	ls->listed++;
	progress_tick(&ls->progress, 0);
	return 0;
}

enum { OPT_INCLUDE = 0x200, OPT_EXCLUDE, OPT_INCLUDE_FROM, OPT_EXCLUDE_FROM, OPT_MIN_SIZE,
	OPT_MAX_SIZE, OPT_MAX_AGE, OPT_MIN_AGE };

/* One filter option into the selection: 0, or TOOL_ERROR after a usage error naming the
 * option and its value. */
static int filter_opt(sel *s, int c, const char *opt, const char *arg, long long *lo,
    long long *hi, long long *oldest, long long *newest)
{
	aderr err = {0};
	long long v;
	int rc = 0;

	switch (c) {
	case OPT_INCLUDE: case OPT_EXCLUDE:
		if ((rc = sel_add(s, c == OPT_INCLUDE, arg, &err)) < 0)
			return tool_usage("%s: '%s': %s", opt, arg, err.msg);
		return 0;
	case OPT_INCLUDE_FROM: case OPT_EXCLUDE_FROM:
		rc = sel_add_file(s, c == OPT_INCLUDE_FROM, arg, &err);    /* names file:line */
		break;
	case OPT_MIN_SIZE: case OPT_MAX_SIZE:
		if ((rc = sel_parse_size(arg, &v, &err)) == 0)
			*(c == OPT_MIN_SIZE ? lo : hi) = v;
		break;
	case OPT_MAX_AGE: case OPT_MIN_AGE:
		if ((rc = sel_parse_age(arg, time(NULL), &v, &err)) == 0)
			*(c == OPT_MAX_AGE ? oldest : newest) = v;
		break;
	}
	if (rc < 0)
		return tool_usage("%s: %s", opt, err.msg);     /* it names the value */
	return 0;
}

static int azls(int argc, char **argv, sel *pick)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "shard", required_argument, NULL, 's' },
		{ "follow-links", no_argument, NULL, 'F' },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "include-from", required_argument, NULL, OPT_INCLUDE_FROM },
		{ "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM },
		{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "max-age", required_argument, NULL, OPT_MAX_AGE },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		HTTP_LONG_OPTS,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool t = { .help = help, .flags = TOOL_OUT, .more = { http_parse_opt } };
	struct ls ls = {0};
	const char *prefix = "", *src = NULL;
	long long min_size = -1, max_size = -1, oldest = LLONG_MIN, newest = LLONG_MAX;
	char kept[64] = "";
	int c, rc, idx;
	aderr err = {0};
	stor *s;

	ls.sel = pick;
	while ((c = getopt_long(argc, argv, "ap:o:" TOOL_SHORT, opts, &idx)) != -1) {
		if (c >= OPT_INCLUDE && c <= OPT_MIN_AGE) {
			char opt[40];

			snprintf(opt, sizeof opt, "--%s", opts[idx].name);
			if (filter_opt(pick, c, opt, optarg, &min_size, &max_size, &oldest,
			    &newest) != 0)
				return TOOL_ERROR;
			continue;
		}
		switch (c) {
		case 'a': ls.all = 1; break;
		case 'F': ls.follow = 1; break;
		case 'p': prefix = optarg; break;
		case 's':
			if (shard_parse(optarg, &ls.shard, &err) < 0)
				return tool_usage("--shard: %s", err.msg);
			break;
		default:
			if ((rc = tool_opt(&t, c, optarg)) != TOOL_GO)
				return rc;
		}
	}
	if ((rc = tool_operand_or_env(argc, argv, "SRC", "AZDEDUP_SRC", &src)) != TOOL_OK)
		return rc;
	sel_size(pick, min_size, max_size);
	sel_mtime(pick, oldest, newest);
	s = stor_open(src, STOR_NAMED | (ls.follow ? STOR_FOLLOW : 0), &err);
	if (s == NULL) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	ls.src = stor_display(s);
	ls.w = rec_writer_open(t.out, &err);
	if (ls.w == NULL) {
		log_err("%s", err.msg);
		stor_close(s);
		return TOOL_ERROR;
	}
	progress_init(&ls.progress, log_prog(), -1, t.quiet);
	rc = stor_list(s, prefix, emit, &ls, &err);
	if (rc < 0) {
		log_err("%s", err.msg);
		rec_writer_close(ls.w, 0, NULL);
		stor_close(s);
		return TOOL_ERROR;
	}
	if (rec_writer_close(ls.w, 1, &err) < 0) {
		log_err("%s", err.msg);
		stor_close(s);
		return TOOL_ERROR;
	}
	if (sel_active(pick))
		snprintf(kept, sizeof kept, ", %ld left out by the filters", ls.filtered);
	progress_done(&ls.progress, "listed %ld images under %s (%ld other files skipped%s)%s%s",
	    ls.listed, ls.src, ls.skipped, kept, ls.failed ? ", some names unusable" : "",
	    http_retry_note());
	stor_close(s);
	return ls.failed ? TOOL_FAILED : TOOL_OK;
}

int main(int argc, char **argv)
{
	sel *pick;
	int rc;

	tool_init(argv);
	if ((pick = sel_new()) == NULL) {
		log_err("out of memory");
		return TOOL_ERROR;
	}
	rc = azls(argc, argv, pick);
	sel_free(pick);
	return rc;
}
