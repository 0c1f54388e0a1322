/* afile.c — temp + rename output files. */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_uint tmp_seq;

char *tmp_name_for(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	size_t n = strlen(path) + 64;
	char *t = malloc(n);

	if (t == NULL)
		return NULL;
	snprintf(t, n, "%.*s.%s.tmp.%ld.%u", (int)dirlen, path, path + dirlen, (long)getpid(),
	    atomic_fetch_add(&tmp_seq, 1));
	return t;
}

char *partial_name_for(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	size_t n = strlen(path) + 16;
	char *t = malloc(n);

	if (t == NULL)
		return NULL;
	snprintf(t, n, "%.*s.%s.partial", (int)dirlen, path, path + dirlen);
	return t;
}

/* Opens the fixed-name temporary, taking it over from a writer that died (its flock is
 * gone with it).  -1 with errno EWOULDBLOCK when a live writer holds it. */
static int open_partial(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int mkdir_parents(const char *path, aderr *err)
{
	char *p = strdup(path);
	char *s;

	if (p == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	s = strrchr(p, '/');
	if (s == NULL || s == p) {
		free(p);
		return 0;
	}
	*s = '\0';
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				int e = errno;

				aderr_errno(err, aderr_from_errno(e), e, "%s", p);
				free(p);
				return err ? err->code : AD_EIO;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return 0;
}

int afile_open(struct afile *af, const char *path, aderr *err)
{
	int fd;

	memset(af, 0, sizeof *af);
	af->path = strdup(path);
	af->tmp = partial_name_for(path);
	if (af->path == NULL || af->tmp == NULL) {
		afile_abort(af);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	fd = open_partial(af->tmp);
	if (fd < 0 && errno == ENOENT) {
		if (mkdir_parents(path, err) < 0) {
			free(af->tmp);
			af->tmp = NULL;
			afile_abort(af);
			return err ? err->code : AD_EIO;
		}
		fd = open_partial(af->tmp);
	}
	if (fd < 0 && errno == EWOULDBLOCK) {
		/* another live process writes the same target: keep out of its way */
		free(af->tmp);
		af->tmp = tmp_name_for(path);
		if (af->tmp == NULL) {
			afile_abort(af);
			return aderr_set(err, AD_ENOMEM, "out of memory");
		}
		fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		int e = errno;

		aderr_errno(err, aderr_from_errno(e), e, "%s", path);
		free(af->tmp);
		af->tmp = NULL;
		afile_abort(af);
		return err ? err->code : AD_EIO;
	}
	af->fp = fdopen(fd, "w");
	if (af->fp == NULL) {
		int e = errno;

		close(fd);
		afile_abort(af);
		return aderr_errno(err, AD_EIO, e, "%s", path);
	}
	return 0;
}

int afile_commit(struct afile *af, aderr *err)
{
	return afile_commit_sync(af, 1, err);
}

int afile_commit_sync(struct afile *af, int sync, aderr *err)
{
	int rc = 0, e = 0;

	if (fflush(af->fp) != 0 || (sync && fsync(fileno(af->fp)) != 0))
		e = errno;
	if (fclose(af->fp) != 0 && e == 0)
		e = errno;
	af->fp = NULL;
	if (e == 0 && rename(af->tmp, af->path) != 0)
		e = errno;
	if (e != 0) {
		rc = aderr_errno(err, aderr_from_errno(e), e, "%s", af->path);
		unlink(af->tmp);
	}
	free(af->tmp);
	af->tmp = NULL;
	free(af->path);
	af->path = NULL;
	return rc;
}

void afile_abort(struct afile *af)
{
	if (af->fp != NULL)
		fclose(af->fp);
	af->fp = NULL;
	if (af->tmp != NULL)
		unlink(af->tmp);
	free(af->tmp);
	af->tmp = NULL;
	free(af->path);
	af->path = NULL;
}
