/* azget — materialise listed images as local files in a work folder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "log.h"
#include "rec.h"
#include "storage.h"
#include "version.h"

struct get {
	const char *dir;
	int flags;
	stor_pool *sources;
	long fetched, present;
};

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: azget -d DIR [-q] [--copy] [-i FILE] [-o FILE]\n"
	    "Read records (from azls), make each image a local file DIR/NAME, and add its\n"
	    "\"path\".  Files already there with the same size and time are not fetched again.\n\n"
	    "  -d, --dir DIR      the work folder (created if missing)\n"
	    "      --copy         always copy a local source (default: hard link when possible)\n"
	    "  -i, --input FILE   read FILE instead of standard input\n"
	    "  -o, --output FILE  write to FILE atomically instead of standard output\n"
	    "  -q, --quiet        no progress line or summary\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n");
}

static int fail(json_t *rec, const aderr *err)
{
	const char *name = rec_name(rec);

	log_err("%s: %s", name ? name : "(no name)", err->msg);
	rec_set_error(rec, "azget", aderr_name(err->code), err->msg);
	return FILTER_FAILED;
}

static int get_one(void *ud, json_t *rec, aderr *err)
{
	struct get *g = ud;
	const char *name = rec_name(rec), *src = rec_str(rec, "src");
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
	if (asprintf(&local, "%s/%s", g->dir, name) < 0) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return fail(rec, err);
	}
	rc = stor_get(s, name, local, g->flags, err);
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
		{ "copy", no_argument, NULL, 'c' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct get g = { .flags = STOR_LINK };
	struct filter f = { .each = get_one, .ud = &g };
	const char *dir = NULL;
	char *absdir;
	aderr err = {0};
	int c, rc;

	log_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:i:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': g.flags &= ~STOR_LINK; break;
		case 'i': f.in = optarg; break;
		case 'o': f.out = optarg; break;
		case 'q': f.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("azget (azdedup) %s\n", AZDEDUP_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (dir == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	{
		/* the work folder is itself a local storage: this creates and resolves it */
		stor *w = stor_open(dir, STOR_CREATE, &err);

		if (w == NULL) {
			log_err("%s", err.msg);
			return 2;
		}
		absdir = strdup(w->root);
		stor_close(w);
		if (absdir == NULL) {
			log_err("out of memory");
			return 2;
		}
	}
	g.dir = absdir;
	g.sources = stor_pool_new();
	if (g.sources == NULL) {
		log_err("out of memory");
		free(absdir);
		return 2;
	}
	rc = filter_run(&f, log_prog(), &err);
	stor_pool_free(g.sources);
	free(absdir);
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	progress_done(&f.progress, "%ld fetched, %ld already present, %ld failed, %ld failed upstream",
	    g.fetched, g.present, f.failed, f.upstream);
	return filter_status(&f);
}
