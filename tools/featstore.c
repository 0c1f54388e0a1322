/* featstore — keep features between runs: put records into a store, filter out what is
 * stored already, join stored features back onto a listing, dump the store. */
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "filter.h"
#include "fsops.h"
#include "log.h"
#include "rec.h"
#include "tool.h"

struct fs {
	struct fsops op;            /* the store, the command's names and its counts */
	const char *cmd;
	featstore *st;              /* has, get: the store open for reading */
	const char *spec;
	struct filter *f;
	struct progress pg;
	long todo, already, notfound, stored_failed, written;
};

static const char help[] =
    "usage: featstore put STORE [-q] [-i FILE]\n"
    "       featstore has STORE [-q] [--spec S] [-i FILE] [-o FILE]\n"
    "       featstore get STORE [-q] [--spec S] [-i FILE] [-o FILE] [NAME...]\n"
    "       featstore cat STORE [-q] [--prefix P] [-o FILE]\n"
    "       featstore merge STORE [-q] SRC...\n"
    "       featstore rm STORE [-q] [-i FILE] [NAME...]\n"
    "       featstore compact STORE [-q]\n"
    "       featstore verify STORE [-q]\n"
    "       featstore stats STORE [-o FILE]\n"
    "Keep the records featx makes in STORE, a folder of append-only segment files;\n"
    "the latest record of a name wins.\n\n"
    "  put  store every input record, failed ones too (STORE is made on first use)\n"
    "  has  pass on only the records not stored yet for the same etag (or sha256, or\n"
    "       name, when the record has no etag); stored failures count as not stored\n"
    "  get  with NAMEs, print their stored records; else replace each input record by\n"
    "       its stored one, in input order (fields of the input win); a record with\n"
    "       nothing stored for its etag gets a not_found error\n"
    "  cat  print the latest record of every name, in byte order of the names\n"
    "  merge  add the latest record of every name of each SRC store (later ones win),\n"
    "       e.g. shards made on different machines\n"
    "  rm   remove the NAMEs, or the names of the input records\n"
    "  compact  rewrite the live records into new segments, dropping old versions,\n"
    "       removed names and damaged entries\n"
    "  verify  read every entry and check it; exit 1 when anything is damaged\n"
    "  stats  print what the store holds as one JSON object\n\n"
    "  -p, --prefix P     cat: only names starting with P\n"
    "  -s, --spec S       has, get: a stored record counts only when its feat_spec is S\n"
    "                     (what `featx OPTIONS --spec` prints): features made by\n"
    "                     another featx version, or without a field asked for now\n"
    "                     (thumb, keypoints), are not stored\n";

static void warn(void *ud, const char *msg)
{
	(void)ud;
	log_err("%s", msg);
}

/* A command that could not run to its end: say why, exit 2. */
static int stopped(struct fs *fs)
{
	log_err("%s", fs->op.err.msg);
	return TOOL_ERROR;
}

static int has_one(void *ud, json_t *rec, aderr *err)
{
	struct fs *fs = ud;

	if (rec_name(rec) == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		log_err("%s: record %ld: %s", fs->op.in ? fs->op.in : "stdin", fs->f->records,
		    err->msg);
		rec_set_error(rec, "featstore", "bad_record", err->msg);
		return FILTER_FAILED;
	}
	if (fsops_current(fs->st, rec, fs->spec)) {
		fs->already++;
		return FILTER_DROP;
	}
	fs->todo++;
	return FILTER_OK;
}

/* get: the input record joined with its stored one; its text made from the stored text
 * where it can be (fsops_join_text), else the joined record */
static int get_text(void *ud, json_t *rec, char **text, size_t *len, size_t *cap, aderr *err)
{
	struct fs *fs = ud;
	int rc, stored_error;

	*len = 0;
	if (rec_name(rec) == NULL)
		return has_one(ud, rec, err);      /* the same complaint */
	rc = fsops_join_text(fs->st, rec, fs->spec, text, len, cap, &stored_error, err);
	if (rc == 1) {
		fs->notfound++;
		rec_set_error(rec, "featstore", "not_found", err->msg);
		return FILTER_FAILED;
	}
	if (rc < 0) {
		*len = 0;
		if (rc == AD_ENOMEM)
			return rc;
		log_err("%s", err->msg);
		rec_set_error(rec, "featstore", aderr_name(err->code), err->msg);
		return FILTER_FAILED;
	}
	fs->stored_failed += *len > 0 ? stored_error : rec_has_error(rec);
	fs->written++;
	return FILTER_OK;
}

/* has and get with input records: the record loop, against the store */
static int cmd_filter(struct fs *fs)
{
	int has = strcmp(fs->cmd, "has") == 0;
	struct filter f = { .in = fs->op.in, .out = fs->op.out, .quiet = fs->pg.quiet,
	    .each = has ? has_one : NULL, .each_text = has ? NULL : get_text, .ud = fs };
	int rc;

	if ((fs->st = featstore_open(fs->op.dir, has ? FEATSTORE_MISSING_OK : 0,
	    &fs->op.err)) == NULL)
		return stopped(fs);
	fs->f = &f;
	rc = filter_run(&f, log_prog(), &fs->op.err);
	featstore_close(fs->st, NULL);
	if (rc < 0)
		return stopped(fs);
	if (has)
		progress_done(&f.progress, "%ld to do, %ld already stored, %ld failed upstream, %ld failed",
		    fs->todo, fs->already, f.upstream, f.failed - fs->notfound);
	else
		progress_done(&f.progress, "%ld joined (%ld of them failed in featx), %ld not found, "
		    "%ld failed upstream, %ld failed", fs->written, fs->stored_failed, fs->notfound,
		    f.upstream, f.failed - fs->notfound);
	return filter_status(&f);
}

static int cmd_put(struct fs *fs)
{
	struct fsops *o = &fs->op;

	if (fsops_put(o) < 0)
		return stopped(fs);
	progress_done(&fs->pg, "stored %ld records (%ld of them failed upstream), %ld unchanged, "
	    "%ld failed", o->written, o->with_error, o->same, o->failed);
	return o->failed ? TOOL_FAILED : TOOL_OK;
}

static int cmd_get_names(struct fs *fs)
{
	if (fsops_get_names(&fs->op) < 0)
		return stopped(fs);
	return fs->op.failed ? TOOL_FAILED : TOOL_OK;
}

static int cmd_cat(struct fs *fs)
{
	if (fsops_cat(&fs->op) < 0)
		return stopped(fs);
	progress_done(&fs->pg, "%ld records, %ld damaged", fs->pg.done, fs->op.failed);
	return fs->op.failed ? TOOL_FAILED : TOOL_OK;
}

static int cmd_merge(struct fs *fs)
{
	struct fsops *o = &fs->op;

	if (fsops_merge(o) < 0)
		return stopped(fs);
	progress_done(&fs->pg, "merged %ld records from %d stores: %ld written, %ld unchanged, "
	    "%ld damaged left out", o->records, o->nnames, o->written, o->same, o->damaged);
	return o->damaged ? TOOL_FAILED : TOOL_OK;
}

static int cmd_rm(struct fs *fs)
{
	if (fsops_rm(&fs->op) < 0)
		return stopped(fs);
	progress_done(&fs->pg, "removed %ld, %ld were not stored", fs->op.written,
	    fs->op.notfound);
	return fs->op.failed ? TOOL_FAILED : TOOL_OK;
}

static int cmd_compact(struct fs *fs)
{
	struct featstore_compact_result *res = &fs->op.compacted;

	if (fsops_compact(&fs->op) < 0)
		return stopped(fs);
	fs->pg.done = res->kept;
	progress_done(&fs->pg, "%s: %ld names kept in %ld segments, %ld dropped, %lld -> %lld bytes",
	    fs->op.dir, res->kept, res->segments, res->dropped, res->bytes_before, res->bytes_after);
	return TOOL_OK;
}

static int cmd_verify(struct fs *fs)
{
	int rc = fsops_verify(&fs->op);

	if (rc < 0)
		return stopped(fs);
	progress_done(&fs->pg, "%s: %ld names in %ld segments checked: %s", fs->op.dir,
	    fs->op.records, fs->op.stats.segments, rc ? "problems found" : "ok");
	return rc ? TOOL_FAILED : TOOL_OK;
}

static int cmd_stats(struct fs *fs)
{
	return fsops_stats(&fs->op) < 0 ? stopped(fs) : TOOL_OK;
}

/* Which options a command takes, and how many operands after STORE. */
enum { O_IN = 1, O_OUT = 2, O_PREFIX = 4, O_SPEC = 8 };
static const struct cmd {
	const char *name;
	int (*run)(struct fs *fs);
	unsigned opts;
	int min, max;
} cmds[] = {
	{ "put", cmd_put, O_IN | O_SPEC, 0, 0 },
	{ "has", cmd_filter, O_IN | O_OUT | O_SPEC, 0, 0 },
	{ "get", cmd_filter, O_IN | O_OUT | O_SPEC, 0, 0 },
	{ "get", cmd_get_names, O_OUT, 1, INT_MAX },
	{ "cat", cmd_cat, O_OUT | O_PREFIX, 0, 0 },
	{ "merge", cmd_merge, 0, 1, INT_MAX },
	{ "rm", cmd_rm, O_IN, 0, 0 },
	{ "rm", cmd_rm, 0, 1, INT_MAX },
	{ "compact", cmd_compact, 0, 0, 0 },
	{ "verify", cmd_verify, 0, 0, 0 },
	{ "stats", cmd_stats, O_OUT, 0, 0 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "spec", required_argument, NULL, 's' },
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool t = { .help = help, .flags = TOOL_IN | TOOL_OUT };
	struct fs fs = { .op = { .warn = warn, .pg = &fs.pg } };
	unsigned given = 0;
	int c, rc, known = 0;

	tool_init(argv);
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return tool_help(&t);
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0))
		return tool_version();
	if (argc < 2)
		return tool_usage("missing command (put, has, get, cat, merge, rm, compact, "
		    "verify or stats)");
	if (argv[1][0] == '-')
		return tool_usage("%s: the command comes first (featstore COMMAND STORE ...)",
		    argv[1]);
	/* options may come before or after STORE: getopt sees the arguments after the
	 * command, with the program's name in front for its messages */
	fs.cmd = argv[1];
	argv[1] = argv[0];
	while ((c = getopt_long(argc - 1, argv + 1, "i:o:p:s:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 's': fs.spec = optarg; given |= O_SPEC; break;
		case 'p': fs.op.prefix = optarg; given |= O_PREFIX; break;
		default:
			given |= c == 'i' ? O_IN : c == 'o' ? O_OUT : 0;
			if ((rc = tool_opt(&t, c, optarg)) != TOOL_GO)
				return rc;
		}
	}
	if (argc - 1 - optind < 1)
		return tool_usage("%s: missing STORE", fs.cmd);
	fs.op.dir = argv[1 + optind];
	fs.op.names = argv + 2 + optind;
	fs.op.nnames = argc - 2 - optind;
	fs.op.in = t.in;
	fs.op.out = t.out;
	progress_init(&fs.pg, log_prog(), -1, t.quiet);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const struct cmd *k = &cmds[i];

		if (strcmp(fs.cmd, k->name) != 0)
			continue;
		known = 1;
		if ((given & ~k->opts) == 0 && fs.op.nnames >= k->min && fs.op.nnames <= k->max)
			return k->run(&fs);
	}
	if (!known)
		return tool_usage("%s: unknown command (put, has, get, cat, merge, rm, compact, "
		    "verify or stats)", fs.cmd);
	return tool_usage("%s: options or arguments do not fit the command", fs.cmd);
}
