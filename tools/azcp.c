/* azcp — copy the images a report keeps (keepers and uniques) to a destination. */
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "http.h"
#include "log.h"
#include "rec.h"
#include "storage.h"
#include "version.h"

struct cp {
	stor *dst;
	int flags;
	stor_pool *sources;
	atomic_long copied, same, skipped_dups, skipped_failed;
	atomic_llong bytes;
};

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: azcp [-q] [-P N] [--overwrite] [-i FILE] [-o FILE] [DST]\n"
	    "Read records (a dedupe report, or any listing) and copy every image that is\n"
	    "kept to DST under the same name: keepers and uniques of a report, or every\n"
	    "record of a plain listing.  Duplicates and failed records are not copied.\n"
	    "A destination that already holds the same content is left alone; one with\n"
	    "different content is an error unless --overwrite is given.  Nothing is deleted.\n"
	    "Without DST, the destination is $AZDEDUP_DST (keeps a SAS off the command line).\n"
	    "A DST inside a record's source tree is refused: the next listing would read\n"
	    "the copies back.\n\n"
	    "      --overwrite    replace destination files whose content differs\n"
	    "  -P, --parallel N   copies at once (default 16)\n"
	    HTTP_OPTS_HELP
	    "  -i, --input FILE   read FILE instead of standard input\n"
	    "  -o, --output FILE  write the records, with \"copy\" added, to FILE (atomically)\n"
	    "  -q, --quiet        no progress line or summary\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n");
}

static int cp_one(void *ud, json_t *rec, aderr *err)
{
	struct cp *cp = ud;
	const char *name = rec_name(rec), *src = rec_str(rec, "src"), *path = rec_str(rec, "path");
	const char *role = rec_str(json_object_get(rec, "dup"), "role");
	stor *s;
	int rc;

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
	if (src != NULL) {
		s = stor_pool_get(cp->sources, src, 0, err);
		if (s != NULL && stor_within(cp->dst, s))
			/* every record of this source would copy into its own tree: stop */
			return aderr_set(err, AD_EUSAGE, "%s: destination is inside the source %s "
			    "(the next run would read its own copies back)", stor_display(cp->dst),
			    stor_display(s));
		rc = s ? stor_copy(cp->dst, name, s, name, cp->flags, err) : err->code;
		/* the original may have gone away since the listing; the work copy is as good */
		if (rc == AD_ENOENT && path != NULL)
			rc = stor_put(cp->dst, name, path, cp->flags, err);
	} else if (path != NULL) {
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "overwrite", no_argument, NULL, 'W' },
		{ "parallel", required_argument, NULL, 'P' },
		HTTP_LONG_OPTS,
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cp cp = {0};
	struct filter f = { .each = cp_one, .ud = &cp, .threads = 16 };
	aderr err = {0};
	const char *dst = NULL;
	int c, rc;

	log_init(argv[0]);
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
	cp.dst = stor_open(dst, STOR_CREATE, &err);
	if (cp.dst == NULL) {
		log_err("%s", err.msg);
		return 2;
	}
	f.see_errors = 1;
	cp.sources = stor_pool_new();
	if (cp.sources == NULL) {
		log_err("out of memory");
		stor_close(cp.dst);
		return 2;
	}
	rc = filter_run(&f, log_prog(), &err);
	stor_pool_free(cp.sources);
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
