/* afile.c — temp + rename output files. */
#include "afile.h"
#include "fnv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_uint tmp_seq;

/* Room a temporary's name takes beyond ".NAME": ".tmp.PID.N", ".partial.etag" or a
 * suffix of fixed_tmp_name_for. */
#define TMP_EXTRA 40

/* The first part of every temporary beside path, appended to t: ".NAME" while the longest
 * temporary built on it fits in NAME_MAX, else ".azd-" and a hash of NAME, since a final
 * component of 216 to 255 bytes plus a suffix would not fit (ENAMETOOLONG).  Either way
 * the same target gives the same name, so a rerun finds what a killed run left. */
static void tmp_stem(char *t, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = (size_t)(base - path), blen = strlen(base);

	if (blen + TMP_EXTRA <= NAME_MAX) {
		snprintf(t, n, "%.*s.%s", (int)dirlen, path, base);
		return;
	}
	snprintf(t, n, "%.*s.azd-%016llx", (int)dirlen, path,
	    (unsigned long long)fnv1a(FNV1A_BASIS, base, blen));
}

char *tmp_name_for(const char *path)
{
	size_t n = strlen(path) + 64;
	char *t = malloc(n);

	if (t == NULL)
		return NULL;
	tmp_stem(t, n, path);
	snprintf(t + strlen(t), n - strlen(t), ".tmp.%ld.%u", (long)getpid(),
	    atomic_fetch_add(&tmp_seq, 1));
	return t;
}

char *fixed_tmp_name_for(const char *path, const char *suffix)
{
	size_t n = strlen(path) + 32 + strlen(suffix);
	char *t = malloc(n);

	if (t == NULL)
		return NULL;
	tmp_stem(t, n, path);
	strcat(t, suffix);
	return t;
}

char *partial_name_for(const char *path)
{
	return fixed_tmp_name_for(path, ".partial");
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
	struct stat st;
	int fd;

	memset(af, 0, sizeof *af);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a device or a pipe: renaming a temporary over it would replace the node
		 * (as root, /dev/null itself) with a regular file; write to it in place */
		if ((af->path = strdup(path)) == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || (af->fp = fdopen(fd, "w")) == NULL) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			afile_abort(af);
			return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
		}
		af->direct = 1;
		return 0;
	}
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

/* Makes the rename itself durable: the entry lives in the folder. */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd, rc = 0;

	if (dir == NULL)
		return ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return errno;
	/* some file systems cannot sync a folder (EINVAL): nothing more to do there */
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = errno;
	close(fd);
	return rc;
}

int afile_commit_sync(struct afile *af, int sync, aderr *err)
{
	int rc = 0, e = 0;

	/* a write that failed earlier (ENOSPC, EIO) may have dropped its bytes and left only
	 * the stream's error flag: then the file is short, and it must not replace anything */
	if (fflush(af->fp) != 0)
		e = errno ? errno : EIO;
	else if (ferror(af->fp))
		e = EIO;
	else if (sync && !af->direct && fsync(fileno(af->fp)) != 0)
		e = errno;
	if (fclose(af->fp) != 0 && e == 0)
		e = errno;
	af->fp = NULL;
	if (!af->direct) {      /* written in place: nothing to rename */
		if (e == 0 && rename(af->tmp, af->path) != 0)
			e = errno;
		if (e != 0)
			unlink(af->tmp);
		else if (sync)
			e = sync_parent(af->path);
	}
	if (e != 0)
		rc = aderr_errno(err, aderr_from_errno(e), e, "%s", af->path);
	free(af->tmp);
	af->tmp = NULL;
	free(af->path);
	af->path = NULL;
	return rc;
}

int afile_move_synced(const char *tmp, const char *path, aderr *err)
{
	int fd = open(tmp, O_RDONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", tmp);
	if (fsync(fd) != 0)
		e = errno;
	close(fd);
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e == 0)
		e = sync_parent(path);
	return e ? aderr_errno(err, aderr_from_errno(e), e, "%s", path) : 0;
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
