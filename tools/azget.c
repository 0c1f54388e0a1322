/* azget — materialise listed images as local files in a work folder. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "fnv.h"
#include "http.h"
#include "log.h"
#include "readroots.h"
#include "rec.h"
#include "storage.h"
#include "timefmt.h"
#include "version.h"

struct get {
	const char *dir;
	int flags;
	stor_pool *sources;
	atomic_long fetched, present;
	pthread_mutex_t mu;
	read_roots *roots;  /* where a local source may be read from */
	char *flat;     /* the source whose files lie in DIR itself (DIR/.source) */
};

/* Work files of distinct sources never share a name: the first source a work folder
 * sees has its files at DIR/NAME, as a single-source run always had; any other source's
 * lie at DIR/.src-HASH/NAME, HASH of its location (the one records show, without
 * credentials).  The first source is noted on DIR (an extended attribute, else the file
 * DIR/.source), so that reruns agree. */
#define SOURCE_XATTR "user.azdedup.source"

/* Reads or claims DIR's first source; 0, or a negative code with err filled. */
static int first_source(struct get *g, const char *src, aderr *err)
{
	char buf[4096], *mark = NULL;
	ssize_t n;
	int fd;

	n = getxattr(g->dir, SOURCE_XATTR, buf, sizeof buf - 1);
	if (n < 0 && errno == ENODATA) {
		if (setxattr(g->dir, SOURCE_XATTR, src, strlen(src), XATTR_CREATE) == 0)
			return (g->flat = strdup(src)) ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
		n = getxattr(g->dir, SOURCE_XATTR, buf, sizeof buf - 1);
	}
	if (n >= 0) {
		buf[n] = '\0';
		return (g->flat = strdup(buf)) ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
	}
	/* no extended attributes here: a file beside the work files */
	if (asprintf(&mark, "%s/.source", g->dir) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = (ssize_t)strlen(src);
		if (write(fd, src, (size_t)n) != n || close(fd) != 0) {
			int e = errno;

			unlink(mark);
			free(mark);
			return aderr_errno(err, AD_EIO, e, "%s/.source", g->dir);
		}
		free(mark);
		return (g->flat = strdup(src)) ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
	}
	fd = errno == EEXIST ? open(mark, O_RDONLY | O_CLOEXEC) : -1;
	free(mark);
	if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return aderr_errno(err, AD_EIO, e, "%s/.source", g->dir);
	}
	close(fd);
	buf[n] = '\0';
	return (g->flat = strdup(buf)) ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
}

/* The first source is the one of the first record in input order (noted here, on the
 * reading thread), not of whichever parallel fetch gets there first, so that the same
 * input always gives the same layout.  A failure is left for get_one to report. */
static void get_seen(void *ud, const json_t *rec)
{
	struct get *g = ud;
	const char *src = rec_str(rec, "src");
	aderr err = {0};
	stor *s;

	int claimed;

	pthread_mutex_lock(&g->mu);
	claimed = g->flat != NULL;
	pthread_mutex_unlock(&g->mu);
	if (claimed || src == NULL || rec_name(rec) == NULL)
		return;
	if ((s = stor_pool_get(g->sources, src, 0, &err)) == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (g->flat == NULL)
		first_source(g, stor_display(s), &err);
	pthread_mutex_unlock(&g->mu);
}

static char *work_path(struct get *g, const char *src, const char *name, aderr *err)
{
	char *p = NULL;
	int rc = 0;

	pthread_mutex_lock(&g->mu);
	if (g->flat == NULL)
		rc = first_source(g, src, err);
	pthread_mutex_unlock(&g->mu);
	if (rc < 0)
		return NULL;
	if (strcmp(src, g->flat) == 0) {
		if (asprintf(&p, "%s/%s", g->dir, name) < 0)
			p = NULL;
	} else {
		if (asprintf(&p, "%s/.src-%016llx/%s", g->dir,
		    (unsigned long long)fnv1a(FNV1A_BASIS_AZD, src, strlen(src)), name) < 0)
			p = NULL;
	}
	if (p == NULL)
		aderr_set(err, AD_ENOMEM, "out of memory");
	return p;
}

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: azget -d DIR [-q] [-P N] [--copy] [-i FILE] [-o FILE]\n"
	    "Read records (from azls), make each image a local file DIR/NAME, and add its\n"
	    "\"path\".  Files already there with the same size and time are not fetched again;\n"
	    "a download cut short is resumed where it stopped.\n\n"
	    "  -d, --dir DIR      the work folder (created if missing)\n"
	    "  -P, --parallel N   transfers at once (default 16)\n"
	    "      --copy         always copy a local source (default: hard link if possible)\n"
	    "      --read-under DIR  read local sources only under DIR (may be repeated;\n"
	    "                     adds to AZDEDUP_READ_ROOTS)\n"
	    HTTP_OPTS_HELP
	    "  -i, --input FILE   read FILE instead of standard input\n"
	    "  -o, --output FILE  write to FILE atomically instead of standard output\n"
	    "  -q, --quiet        no progress line or summary\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n");
}

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

/* What the listing said of the object, so that a remote backend need not ask again. */
static const struct stor_entry *known_of(const json_t *rec, struct stor_entry *e)
{
	const char *v;

	memset(e, 0, sizeof *e);
	e->size = rec_int(rec, "size", -1);
	if ((v = rec_str(rec, "etag")) == NULL || e->size < 0 || strlen(v) >= sizeof e->etag)
		return NULL;
	strcpy(e->etag, v);
	if (time_parse_iso(rec_str(rec, "mtime"), &e->mtime, &v) < 0 || *v != 'Z')
		return NULL;
	if ((v = rec_str(rec, "content_md5")) != NULL && strlen(v) < sizeof e->content_md5)
		strcpy(e->content_md5, v);
	return e;
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
	if (rr_active(g->roots) && strcmp(stor_kind(s), "local") == 0) {
		if (asprintf(&local, "%s/%s", s->root, name) < 0) {
			aderr_set(err, AD_ENOMEM, "out of memory");
			return fail(rec, err);
		}
		rc = rr_check(g->roots, local, err);
		free(local);
		if (rc < 0)
			return fail(rec, err);
	}
	if ((local = work_path(g, stor_display(s), name, err)) == NULL)
		return err->code;     /* the work folder cannot be written: stop */
	rc = stor_get(s, name, local, g->flags, known_of(rec, &known), err);
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

/* the read folders, freed at exit (main returns from many places) */
static read_roots *roots;

static void free_roots(void)
{
	rr_free(roots);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "parallel", required_argument, NULL, 'P' },
		HTTP_LONG_OPTS,
		{ "copy", no_argument, NULL, 'c' },
		{ "read-under", required_argument, NULL, 'R' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct get g = { .flags = STOR_LINK, .mu = PTHREAD_MUTEX_INITIALIZER };
	struct filter f = { .each = get_one, .seen = get_seen, .ud = &g, .threads = 16 };
	const char *dir = NULL;
	char *absdir;
	aderr err = {0};
	int c, rc;

	log_init(argv[0]);
	g.roots = roots = rr_new();
	atexit(free_roots);
	if (g.roots == NULL || rr_add_env(g.roots, &err) < 0) {
		log_err("AZDEDUP_READ_ROOTS: %s", g.roots ? err.msg : "out of memory");
		return 2;
	}
	while ((c = getopt_long(argc, argv, "d:P:i:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'P':
			f.threads = atoi(optarg);
			if (f.threads < 1 || f.threads > 64) {
				log_err("--parallel: expected 1 to 64, got '%s'", optarg);
				return 2;
			}
			break;
		case 'c': g.flags &= ~STOR_LINK; break;
		case 'R':
			if (rr_add(g.roots, optarg, &err) < 0) {
				log_err("--read-under: %s", err.msg);
				return 2;
			}
			break;
		case 'i': f.in = optarg; break;
		case 'o': f.out = optarg; break;
		case 'q': f.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("azget (azdedup) %s\n", AZDEDUP_VERSION); return 0;
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
	free(g.flat);
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	{
		struct http_counts hc;
		char recv[48] = "";

		http_counts(&hc);
		if (hc.bytes_in > 0)
			snprintf(recv, sizeof recv, ", %.1f MB received", (double)hc.bytes_in / 1e6);
		progress_done(&f.progress, "%ld fetched, %ld already present, %ld failed, "
		    "%ld failed upstream%s%s", atomic_load(&g.fetched), atomic_load(&g.present),
		    f.failed, f.upstream, recv, http_retry_note());
	}
	return filter_status(&f);
}
