/* azcp — copy the images a report keeps (keepers and uniques) to a destination. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "http.h"
#include "log.h"
#include "readroots.h"
#include "rec.h"
#include "shard.h"
#include "storage.h"
#include "version.h"

struct cp {
	stor *dst;
	int flags;
	stor_pool *sources;
	atomic_long copied, same, skipped_dups, skipped_failed;
	atomic_llong bytes;
	pthread_mutex_t mu;
	read_roots *roots;  /* where local files may be read from */
	json_t *owners;     /* destination name -> the source copied there in this run */
	struct shard shard; /* --shard: only this worker's groups */
};

/* Where a record to copy comes from: its src, else its path; NULL for records that are
 * not copied. */
static const char *copy_from(const json_t *rec)
{
	const char *role = rec_str(json_object_get(rec, "dup"), "role");
	const char *src = rec_str(rec, "src");

	if (json_object_get(rec, "type") != NULL || rec_has_error(rec) || rec_name(rec) == NULL ||
	    (role != NULL && strcmp(role, "duplicate") == 0))
		return NULL;
	return src ? src : rec_str(rec, "path");
}

/* Two sources may both hold "a.jpg": the first record in input order that names it owns
 * the destination name (noted here, on the reading thread, so that thread timing never
 * decides), and the others are refused rather than written over it. */
static void cp_seen(void *ud, const json_t *rec)
{
	struct cp *cp = ud;
	const char *from = copy_from(rec);

	if (from == NULL || !shard_has(&cp->shard, rec))
		return;
	pthread_mutex_lock(&cp->mu);
	if (json_object_get(cp->owners, rec_name(rec)) == NULL)
		json_object_set_new(cp->owners, rec_name(rec), json_string(from));
	pthread_mutex_unlock(&cp->mu);
}

static int claim(struct cp *cp, const char *name, const char *from, aderr *err)
{
	const char *had;
	int rc = 0;

	pthread_mutex_lock(&cp->mu);
	had = json_string_value(json_object_get(cp->owners, name));
	if (had != NULL && strcmp(had, from) != 0)
		rc = aderr_set(err, AD_EEXIST, "the same name came from %s in this run: not copied "
		    "over it (copy each source to its own destination)", had);
	pthread_mutex_unlock(&cp->mu);
	return rc;
}

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: azcp [-q] [-P N] [--overwrite] [--shard K/N] [-i FILE] [-o FILE] [DST]\n"
	    "Read records (a dedupe report, or any listing) and copy every image that is\n"
	    "kept to DST under the same name: keepers and uniques of a report, or every\n"
	    "record of a plain listing.  Duplicates and failed records are not copied.\n"
	    "A destination that already holds the same content is left alone; one with\n"
	    "different content is an error unless --overwrite is given.  Nothing is deleted.\n"
	    "Without DST, the destination is $AZDEDUP_DST (keeps a SAS off the command line).\n"
	    "A DST inside a record's source tree is refused: the next listing would read\n"
	    "the copies back.\n\n"
	    "      --overwrite    replace destination files whose content differs\n"
	    "      --read-under DIR  read local files only under DIR (may be repeated;\n"
	    "                     adds to AZDEDUP_READ_ROOTS)\n"
	    "  -P, --parallel N   copies at once (default 16)\n"
	    "      --shard K/N    only the records of shard K of N (0-based), by group\n"
	    HTTP_OPTS_HELP
	    "  -i, --input FILE   read FILE instead of standard input\n"
	    "  -o, --output FILE  write the records, with \"copy\" added, to FILE (atomically)\n"
	    "  -q, --quiet        no progress line or summary\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n");
}

/* A local source's file may be read only under the folders named (--read-under). */
static int local_ok(struct cp *cp, stor *s, const char *name, aderr *err)
{
	char *p;
	int rc;

	if (!rr_active(cp->roots) || strcmp(stor_kind(s), "local") != 0)
		return 0;
	if (!stor_name_ok(name, err))
		return err->code;
	if (asprintf(&p, "%s/%s", s->root, name) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = rr_check(cp->roots, p, err);
	free(p);
	return rc;
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
		return FILTER_OK;          /* group and summary records of a report */
	if (rec_has_error(rec)) {
		cp->skipped_failed++;
		rec_set_str(rec, "copy", "skipped (failed upstream)");
		return FILTER_OK;
	}
	if (role != NULL && strcmp(role, "duplicate") == 0) {
		cp->skipped_dups++;
		rec_set_str(rec, "copy", "skipped (duplicate)");
		return FILTER_OK;
	}
	if (name == NULL) {
		aderr_set(err, AD_EFORMAT, "record has no name");
		goto failed;
	}
	if ((src != NULL || path != NULL) && (rc = claim(cp, name, src ? src : path, err)) < 0)
		goto failed;
	if (src != NULL) {
		s = stor_pool_get(cp->sources, src, 0, err);
		if (s != NULL && stor_within(cp->dst, s))
			/* every record of this source would copy into its own tree: stop */
			return aderr_set(err, AD_EUSAGE, "%s: destination is inside the source %s "
			    "(the next run would read its own copies back)", stor_display(cp->dst),
			    stor_display(s));
		rc = s ? local_ok(cp, s, name, err) : err->code;
		if (rc == 0)
			rc = stor_copy(cp->dst, name, s, name, cp->flags, err);
		/* the original may have gone away since the listing; the work copy is as good */
		if (rc == AD_ENOENT && path != NULL && (rc = rr_check(cp->roots, path, err)) == 0)
			rc = stor_put(cp->dst, name, path, cp->flags, err);
	} else if (path != NULL) {
		if ((rc = rr_check(cp->roots, path, err)) == 0)
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
		rec_set_str(rec, "copy", "copied");
	}
	return FILTER_OK;
failed:
	if (aderr_fatal(err->code))
		return err->code;     /* every record would fail the same way: stop */
	log_err("%s: %s", name ? name : "(no name)", err->msg);
	rec_set_error(rec, "azcp", aderr_name(err->code), err->msg);
	return FILTER_FAILED;
}

/* the read folders, freed at exit (main returns from many places) */
static read_roots *roots;

static void free_roots(void)
{
	rr_free(roots);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "overwrite", no_argument, NULL, 'W' },
		{ "read-under", required_argument, NULL, 'R' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "shard", required_argument, NULL, 'S' },
		HTTP_LONG_OPTS,
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cp cp = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct filter f = { .each = cp_one, .seen = cp_seen, .ud = &cp, .threads = 16 };
	aderr err = {0};
	const char *dst = NULL;
	int c, rc;

	log_init(argv[0]);
	cp.roots = roots = rr_new();
	atexit(free_roots);
	if (cp.roots == NULL || rr_add_env(cp.roots, &err) < 0) {
		log_err("AZDEDUP_READ_ROOTS: %s", cp.roots ? err.msg : "out of memory");
		return 2;
	}
	while ((c = getopt_long(argc, argv, "P:i:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			f.threads = atoi(optarg);
			if (f.threads < 1 || f.threads > 64) {
				log_err("--parallel: expected 1 to 64, got '%s'", optarg);
				return 2;
			}
			break;
		case 'W': cp.flags |= STOR_OVERWRITE; break;
		case 'S':
			if (shard_parse(optarg, &cp.shard, &err) < 0) {
				log_err("--shard: %s", err.msg);
				return 2;
			}
			break;
		case 'R':
			if (rr_add(cp.roots, optarg, &err) < 0) {
				log_err("--read-under: %s", err.msg);
				return 2;
			}
			break;
		case 'i': f.in = optarg; break;
		case 'o': f.out = optarg; break;
		case 'q': f.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("azcp (azdedup) %s\n", AZDEDUP_VERSION); return 0;
		default:
			if ((rc = http_parse_opt(c, optarg, &err)) > 0)
				break;
			if (rc < 0) {
				log_err("%s", err.msg);
				return 2;
			}
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc - 1 || (optind == argc && (dst = getenv("AZDEDUP_DST")) == NULL)) {
		usage(stderr);
		return 2;
	}
	if (optind == argc - 1)
		dst = argv[optind];
	cp.dst = stor_open(dst, STOR_CREATE | STOR_NAMED, &err);
	if (cp.dst == NULL) {
		log_err("%s", err.msg);
		return 2;
	}
	f.see_errors = 1;
	cp.sources = stor_pool_new();
	cp.owners = json_object();
	if (cp.sources == NULL || cp.owners == NULL) {
		log_err("out of memory");
		stor_close(cp.dst);
		return 2;
	}
	rc = filter_run(&f, log_prog(), &err);
	stor_pool_free(cp.sources);
	json_decref(cp.owners);
	if (rc < 0) {
		log_err("%s", err.msg);
		stor_close(cp.dst);
		return 2;
	}
	progress_done(&f.progress, "%ld copied (%.1f MB), %ld already there, %ld duplicates left out, "
	    "%ld failed upstream, %ld failed%s", atomic_load(&cp.copied),
	    (double)atomic_load(&cp.bytes) / 1e6, atomic_load(&cp.same), atomic_load(&cp.skipped_dups),
	    atomic_load(&cp.skipped_failed), f.failed, http_retry_note());
	stor_close(cp.dst);
	return filter_status(&f);
}
