/* azcp — copy the images a report keeps (keepers and uniques) to a destination. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpact.h"
#include "filter.h"
#include "http.h"
#include "log.h"
#include "readroots.h"
#include "rec.h"
#include "shard.h"
#include "storage.h"
#include "tool.h"

struct cp {
	stor *dst;
	int flags;
	stor_pool *sources;
	atomic_long copied, same, skipped_dups, skipped_failed;
	atomic_llong bytes;
	read_roots *roots;  /* where local files may be read from */
	cpact_owners *owners;  /* destination name -> the source copied there in this run */
	struct cpact act;   /* --dry-run, --list/--delete-extraneous, --link, --quarantine */
	struct shard shard; /* --shard: only this worker's groups */
};

/* the reading thread notes which source owns each destination name (cpact.h) */
static void cp_seen(void *ud, const json_t *rec)
{
	struct cp *cp = ud;

	if (shard_has(&cp->shard, rec))
		cpact_owners_note(cp->owners, rec);
}

static const char help[] =
    "usage: azcp [-q] [-P N] [--overwrite] [--shard K/N] [-i FILE] [-o FILE] [DST]\n"
    "Read records (a dedupe report, or any listing) and copy every image that is\n"
    "kept to DST under the same name: keepers and uniques of a report, or every\n"
    "record of a plain listing.  Duplicates and failed records are not copied.\n"
    "A destination that already holds the same content is left alone; one with\n"
    "different content is an error unless --overwrite is given.  Nothing is deleted\n"
    "unless --delete-extraneous is given.\n"
    "Without DST, the destination is $AZDEDUP_DST (keeps a SAS off the command line).\n"
    "A DST inside a record's source tree is refused: the next listing would read\n"
    "the copies back.\n\n"
    "  -n, --dry-run      print what would be copied, skipped or removed (\"plan\")\n"
    "                     and touch nothing\n"
    "      --list-extraneous  list what DST holds that no kept record names; copy nothing\n"
    "      --delete-extraneous  remove those from DST after the copies (refused when\n"
    "                     the input has records that failed upstream)\n"
    "      --link hard|sym  link the images into DST instead of copying (local folders)\n"
    "      --quarantine DIR  move the duplicates out of their local source into DIR\n"
    "                     (keeping their paths; undo list DIR/undo.ndjson); no DST\n"
    "      --undo FILE    put back what an undo list moved; no DST, no input\n"
    "      --overwrite    replace destination files whose content differs\n"
    "      --read-under DIR  read local files only under DIR (may be repeated;\n"
    "                     adds to AZDEDUP_READ_ROOTS)\n"
    "  -P, --parallel N   copies at once (default 16)\n"
    "      --shard K/N    only the records of shard K of N (0-based), by group\n"
    HTTP_OPTS_HELP;

/* ---- acting on the result: dry run, quarantine, links, extraneous names (cpact.h) ---- */

static int act_failed(json_t *rec, aderr *err)
{
	if (aderr_fatal(err->code))
		return err->code;
	log_err("%s: %s", rec_name(rec), err->msg);
	rec_set_error(rec, "azcp", aderr_name(err->code), err->msg);
	return FILTER_FAILED;
}

/* --quarantine: a duplicate moves out of its local source; the others pass untouched. */
static int quarantine_one(struct cp *cp, json_t *rec, aderr *err)
{
	const char *role = rec_str(json_object_get(rec, "dup"), "role"), *src = rec_str(rec, "src");
	stor *s = NULL;

	if (rec_has_error(rec) || role == NULL || strcmp(role, "duplicate") != 0 ||
	    rec_name(rec) == NULL)
		return FILTER_OK;
	if ((src != NULL && (s = stor_pool_get(cp->sources, src, 0, err)) == NULL) ||
	    (s != NULL && rr_check_in(cp->roots, s, rec_name(rec), err) < 0) ||
	    cpact_quarantine(&cp->act, rec, s, err) < 0)
		return act_failed(rec, err);
	cp->copied++;
	cp->bytes += rec_int(rec, "size", 0);
	return FILTER_OK;
}

static int plan_one(struct cp *cp, json_t *rec, stor *s, const char *path, aderr *err)
{
	if (cpact_plan(&cp->act, cp->dst, rec, s, path, cp->flags, err) < 0)
		return act_failed(rec, err);
	if (strcmp(rec_str(rec, "plan"), "unchanged") == 0) {
		cp->same++;
	} else {
		cp->copied++;
		cp->bytes += rec_int(rec, "size", 0);
	}
	return FILTER_OK;
}

static void not_removed(const char *name, const aderr *e)
{
	log_err("%s: not removed: %s", name, e->msg);
}

/* After the copies: the names under DST that no kept record names, when asked for. */
static int cp_end(void *ud, rec_writer *wr, aderr *err)
{
	struct cp *cp = ud;

	if (cp->act.extra == 0)
		return 0;
	if (cp->skipped_failed > 0 && cp->act.extra == CPACT_LIST)
		log_err("note: %ld records failed upstream: their names in DST are listed too",
		    atomic_load(&cp->skipped_failed));
	if (cp->act.extra == CPACT_DELETE && cp->skipped_failed > 0)
		return aderr_set(err, AD_EUSAGE, "--delete-extraneous: %ld records failed upstream: "
		    "their copies in DST would look extraneous; nothing removed (rerun the stages "
		    "that failed, or drop the option)", atomic_load(&cp->skipped_failed));
	return cpact_extraneous(&cp->act, cp->dst, cpact_owners_kept, cp->owners, wr,
	    not_removed, err);
}

static int cp_one(void *ud, json_t *rec, aderr *err)
{
	struct cp *cp = ud;
	const char *name = rec_name(rec), *src = rec_str(rec, "src"), *path = rec_str(rec, "path");
	const char *role = rec_str(json_object_get(rec, "dup"), "role");
	stor *s;
	int rc;

	if (!shard_has(&cp->shard, rec))
		return FILTER_DROP;        /* another worker's (--shard) */
	if (json_object_get(rec, "type") != NULL)
		return cp->act.extra == 1 ? FILTER_DROP : FILTER_OK;  /* group and summary records */
	if (cp->act.qdir != NULL)
		return quarantine_one(cp, rec, err);
	if (rec_has_error(rec)) {
		cp->skipped_failed++;
		rec_set_str(rec, cp->act.dry ? "plan" : "copy", "skipped (failed upstream)");
		return cp->act.extra == 1 ? FILTER_DROP : FILTER_OK;
	}
	if (cp->act.extra == 1)
		return FILTER_DROP;        /* --list-extraneous: only the names under DST */
	if (role != NULL && strcmp(role, "duplicate") == 0) {
		cp->skipped_dups++;
		rec_set_str(rec, cp->act.dry ? "plan" : "copy", "skipped (duplicate)");
		return FILTER_OK;
	}
	if (name == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		goto failed;
	}
	if ((src != NULL || path != NULL) && (rc = cpact_owners_claim(cp->owners, name, src ? src : path, err)) < 0)
		goto failed;
	if (src != NULL) {
		s = stor_pool_get(cp->sources, src, 0, err);
		if (s != NULL && cp->dst != NULL && stor_within(cp->dst, s))
			/* every record of this source would copy into its own tree: stop */
			return aderr_set(err, AD_EUSAGE, "%s: destination is inside the source %s "
			    "(the next run would read its own copies back)", stor_display(cp->dst),
			    stor_display(s));
		rc = s ? rr_check_in(cp->roots, s, name, err) : err->code;
		if (rc == 0 && cp->act.dry)
			return plan_one(cp, rec, s, path, err);
		if (rc == 0 && cp->act.link)
			rc = stor_link(cp->dst, name, s, name, cp->act.link == 2, cp->flags, err);
		else if (rc == 0)
			rc = stor_copy(cp->dst, name, s, name, cp->flags, err);
		/* the original may have gone away since the listing; the work copy is as good */
		if (rc == AD_ENOENT && path != NULL && !cp->act.link &&
		    (rc = rr_check(cp->roots, path, err)) == 0)
			rc = stor_put(cp->dst, name, path, cp->flags, err);
	} else if (path != NULL && cp->act.link) {
		rc = aderr_set(err, AD_EUNSUP, "--link links a record's local source (src), and "
		    "this one has none");
	} else if (path != NULL) {
		if ((rc = rr_check(cp->roots, path, err)) == 0 && cp->act.dry)
			return plan_one(cp, rec, NULL, path, err);
		if (rc == 0)
			rc = stor_put(cp->dst, name, path, cp->flags, err);
	} else {
		rc = aderr_set(err, AD_EFORMAT, "record has neither src nor path");
	}
	if (rc < 0)
		goto failed;
	if (rc == STOR_SAME) {
		cp->same++;
		rec_set_str(rec, "copy", "unchanged");
	} else {
		cp->copied++;
		cp->bytes += rec_int(rec, "size", 0);
		rec_set_str(rec, "copy", cp->act.link ? "linked" : "copied");
	}
	return FILTER_OK;
failed:
	if (aderr_fatal(err->code))
		return err->code;     /* every record would fail the same way: stop */
	log_err("%s: %s", name ? name : "(no name)", err->msg);
	rec_set_error(rec, "azcp", aderr_name(err->code), err->msg);
	return FILTER_FAILED;
}

/* --undo FILE: each entry of the undo list goes back, newest first. */
static void undo_said(void *ud, const char *from, const char *to, const aderr *err)
{
	(void)ud;
	(void)to;
	if (err != NULL)
		log_err("%s: not put back: %s", from, err->msg);
}

static int run_undo(const char *file, int quiet)
{
	aderr err = {0};
	long restored, failed = qr_undo(file, undo_said, NULL, &restored, &err);

	if (failed < 0) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	if (!quiet)
		log_err("%ld put back, %ld not", restored, failed);
	return failed > 0 ? TOOL_FAILED : TOOL_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "overwrite", no_argument, NULL, 'W' },
		{ "shard", required_argument, NULL, 'S' },
		/* acting on the result */
		{ "dry-run", no_argument, NULL, 'n' },
		{ "list-extraneous", no_argument, NULL, 'X' },
		{ "delete-extraneous", no_argument, NULL, 'Y' },
		{ "link", required_argument, NULL, 'K' },
		{ "quarantine", required_argument, NULL, 'Q' },
		{ "undo", required_argument, NULL, 'U' },
		RR_LONG_OPTS,
		HTTP_LONG_OPTS,
		TOOL_LONG_PARALLEL,
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool t = { .help = help, .flags = TOOL_IN | TOOL_OUT | TOOL_PARALLEL,
	    .out_help = "write the records, with \"copy\" added, to FILE (atomically)",
	    .more = { http_parse_opt, rr_parse_opt }, .threads = 16 };
	struct cp cp = {0};
	struct filter f = { .each = cp_one, .seen = cp_seen, .end = cp_end, .ud = &cp };
	aderr err = {0};
	const char *dst = NULL, *undo = NULL;
	int c, rc;

	tool_init(argv);
	if ((cp.roots = rr_tool(&err)) == NULL) {
		log_err("AZDEDUP_READ_ROOTS: %s", err.msg);
		return TOOL_ERROR;
	}
	while ((c = getopt_long(argc, argv, "nP:i:o:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'W': cp.flags |= STOR_OVERWRITE; break;
		case 'S':
			if (shard_parse(optarg, &cp.shard, &err) < 0)
				return tool_usage("--shard: %s", err.msg);
			break;
		/* acting on the result */
		case 'n': cp.act.dry = 1; break;
		case 'X': cp.act.extra = cp.act.extra ? cp.act.extra : 1; break;
		case 'Y': cp.act.extra = 2; break;
		case 'K':
			if (strcmp(optarg, "hard") != 0 && strcmp(optarg, "sym") != 0)
				return tool_usage("--link: '%s': hard or sym", optarg);
			cp.act.link = optarg[0] == 'h' ? 1 : 2;
			break;
		case 'Q': cp.act.qdir = optarg; break;
		case 'U': undo = optarg; break;
		default:
			if ((rc = tool_opt(&t, c, optarg)) != TOOL_GO)
				return rc;
		}
	}
	/* acting on the result: which options go together */
	if (undo != NULL)
		return cp.act.qdir || cp.act.extra || cp.act.link || cp.act.dry || t.in ?
		    tool_usage("--undo takes no other action and no input") :
		    tool_operands(argc, argv, 0) != TOOL_OK ? TOOL_ERROR : run_undo(undo, t.quiet);
	if (cp.shard.n > 1 && cp.act.extra)
		return tool_usage("--shard: each worker knows only its own groups, so the others' "
		    "copies would look extraneous: list or delete them in a run without --shard");
	if (cp.act.qdir != NULL && (cp.act.extra || cp.act.link))
		return tool_usage("--quarantine moves duplicates out of their source; it copies, "
		    "links and lists nothing");
	if (cp.act.qdir != NULL ? tool_operands(argc, argv, 0) != TOOL_OK :
	    (rc = tool_operand_or_env(argc, argv, "DST", "AZDEDUP_DST", &dst)) != TOOL_OK)
		return TOOL_ERROR;
	tool_filter(&t, &f);
	if (cp.act.qdir != NULL && !cp.act.dry && (cp.act.q = qr_open(cp.act.qdir, &err)) == NULL) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	if (cp.act.qdir != NULL)
		cp.act.qs = stor_open(cp.act.q ? qr_root(cp.act.q) : cp.act.qdir, 0, &err);
	if (cp.act.qdir == NULL) {
		char note[600] = "";

		rc = cpact_open_dst(&cp.act, dst, &cp.dst, note, sizeof note, &err);
		if (*note)
			log_err("%s", note);
		if (rc < 0) {
			log_err("%s", err.msg);
			return TOOL_ERROR;
		}
	}
	f.see_errors = 1;
	cp.sources = stor_pool_new();
	cp.owners = cpact_owners_new();
	if (cp.sources == NULL || cp.owners == NULL) {
		log_err("out of memory");
		rc = AD_ENOMEM;
	} else {
		rc = filter_run(&f, log_prog(), &err);
		if (rc < 0)
			log_err("%s", err.msg);
	}
	stor_pool_free(cp.sources);
	cpact_owners_free(cp.owners);
	qr_close(cp.act.q);
	stor_close(cp.act.qs);
	if (rc < 0) {
		stor_close(cp.dst);
		return TOOL_ERROR;
	}
	if (cp.act.qdir != NULL) {
		progress_done(&f.progress, "%ld duplicates %s the quarantine (%.1f MB), %ld failed",
		    atomic_load(&cp.copied), cp.act.dry ? "would move to" : "moved to",
		    (double)atomic_load(&cp.bytes) / 1e6, f.failed);
	} else if (cp.act.extra != CPACT_LIST) {
		progress_done(&f.progress, "%s%ld %s (%.1f MB), %ld already there, %ld duplicates "
		    "left out, %ld failed upstream, %ld failed%s", cp.act.dry ? "dry run: " : "",
		    atomic_load(&cp.copied), cp.act.dry ? "to copy" : cp.act.link ? "linked" :
		    "copied", (double)atomic_load(&cp.bytes) / 1e6, atomic_load(&cp.same),
		    atomic_load(&cp.skipped_dups), atomic_load(&cp.skipped_failed), f.failed,
		    http_retry_note());
	}
	if (cp.act.extra)
		progress_done(&f.progress, "%ld extraneous in DST, %ld removed, %ld not removed%s",
		    cp.act.found, cp.act.removed, cp.act.failed, cp.act.dry ? " (dry run)" : "");
	stor_close(cp.dst);
	return cp.act.failed > 0 ? TOOL_FAILED : filter_status(&f);
}
