/* workdir.c — which path of the work folder each source's files get. */
#include "workdir.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fnv.h"
#include "storage.h"

#define SOURCE_XATTR "user.azdedup.source"

struct workdir {
	char *dir;          /* absolute */
	char *flat;         /* the source whose files lie in dir itself, once known */
	pthread_mutex_t mu;
};

workdir *workdir_open(const char *dir, aderr *err)
{
	/* the work folder is itself a local storage: this creates and resolves it */
	stor *s = stor_open(dir, STOR_CREATE, err);
	workdir *w;

	if (s == NULL)
		return NULL;
	w = calloc(1, sizeof *w);
	if (w == NULL || (w->dir = strdup(stor_root(s))) == NULL) {
		free(w);
		stor_close(s);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	stor_close(s);
	pthread_mutex_init(&w->mu, NULL);
	return w;
}

void workdir_free(workdir *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w->dir);
	free(w->flat);
	free(w);
}

const char *workdir_root(const workdir *w)
{
	return w->dir;
}

static int flat_is(workdir *w, const char *src, aderr *err)
{
	return (w->flat = strdup(src)) ? 0 : aderr_set(err, AD_ENOMEM, "out of memory");
}

/* Reads or makes the note of the first source; with w->mu held. */
static int first_source(workdir *w, const char *src, aderr *err)
{
	char buf[4096], *mark = NULL;
	ssize_t n;
	int fd;

	n = getxattr(w->dir, SOURCE_XATTR, buf, sizeof buf - 1);
	if (n < 0 && errno == ENODATA) {
		if (setxattr(w->dir, SOURCE_XATTR, src, strlen(src), XATTR_CREATE) == 0)
			return flat_is(w, src, err);
		n = getxattr(w->dir, SOURCE_XATTR, buf, sizeof buf - 1);
	}
	if (n >= 0) {
		buf[n] = '\0';
		return flat_is(w, buf, err);
	}
	/* no extended attributes here: a file beside the work files */
	if (asprintf(&mark, "%s/.source", w->dir) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	fd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = (ssize_t)strlen(src);
		if (write(fd, src, (size_t)n) != n || close(fd) != 0) {
			int e = errno;

			unlink(mark);
			free(mark);
			return aderr_errno(err, AD_EIO, e, "%s/.source", w->dir);
		}
		free(mark);
		return flat_is(w, src, err);
	}
	fd = errno == EEXIST ? open(mark, O_RDONLY | O_CLOEXEC) : -1;
	free(mark);
	if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return aderr_errno(err, AD_EIO, e, "%s/.source", w->dir);
	}
	close(fd);
	buf[n] = '\0';
	return flat_is(w, buf, err);
}

int workdir_claim(workdir *w, const char *src, aderr *err)
{
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	if (w->flat == NULL)
		rc = first_source(w, src, err);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

char *workdir_path(workdir *w, const char *src, const char *name, aderr *err)
{
	char *p = NULL;

	if (workdir_claim(w, src, err) < 0)
		return NULL;
	/* w->flat is set once, before any path is made, and never changes after */
	if (strcmp(src, w->flat) == 0) {
		if (asprintf(&p, "%s/%s", w->dir, name) < 0)
			p = NULL;
	} else {
		if (asprintf(&p, "%s/.src-%016llx/%s", w->dir,
		    (unsigned long long)fnv1a(FNV1A_BASIS_AZD, src, strlen(src)), name) < 0)
			p = NULL;
	}
	if (p == NULL)
		aderr_set(err, AD_ENOMEM, "out of memory");
	return p;
}
