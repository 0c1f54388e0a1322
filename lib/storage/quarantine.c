/* quarantine.c — moves files into a quarantine folder with an undo journal, and replays
 * the journal to put them back (quarantine.h). */
#include "quarantine.h"
#include "afile.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct quarantine {
	char *root;
	char *journal;
	int fd;                 /* the journal, opened for appending */
	pthread_mutex_t mu;
};

/* The SHA-256 of a file, 64 lower-case hex digits in hex[65], and its size. */
static int file_sha256(const char *path, char hex[65], long long *size, aderr *err)
{
	unsigned char buf[1 << 16], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		close(fd);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	*size = 0;
	while (ok && (got = read(fd, buf, sizeof buf)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		ok = EVP_DigestUpdate(ctx, buf, (size_t)got);
		*size += got;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	close(fd);
	if (!ok)
		return aderr_set(err, AD_EIO, "%s: read error while hashing it", path);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Moves from to to without ever writing over anything at to: a hard link and an unlink
 * on one file system; across file systems a copy beside to, checked against sha (when
 * given) and linked into place before the original goes. */
static int move_noclobber(const char *from, const char *to, const char *sha, aderr *err)
{
	char *tmp, hex[65];
	long long n;
	int rc = 0;

	if (mkdir_parents(to, err) < 0)
		return err->code;
	if (link(from, to) == 0) {
		if (unlink(from) != 0) {
			int e = errno;

			unlink(to);
			return aderr_errno(err, aderr_from_errno(e), e, "%s", from);
		}
		return 0;
	}
	if (errno == EEXIST)
		return aderr_set(err, AD_EEXIST, "%s: exists already, not written over", to);
	if (errno != EXDEV && errno != EPERM && errno != ENOTSUP) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", to);
	}
	if ((tmp = tmp_name_for(to)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if ((rc = file_copy_atomic(from, tmp, err)) < 0)
		goto out;
	if (sha != NULL && ((rc = file_sha256(tmp, hex, &n, err)) < 0 || strcmp(hex, sha) != 0)) {
		if (rc == 0)
			rc = aderr_set(err, AD_EIO, "%s: the copy's SHA-256 differs from the "
			    "original's, original kept", to);
		unlink(tmp);
		goto out;
	}
	if (link(tmp, to) != 0) {
		int e = errno;

		unlink(tmp);
		rc = e == EEXIST ? aderr_set(err, AD_EEXIST, "%s: exists already, not written over",
		    to) : aderr_errno(err, aderr_from_errno(e), e, "%s", to);
		goto out;
	}
	unlink(tmp);
	if (unlink(from) != 0) {
		int e = errno;

		unlink(to);
		rc = aderr_errno(err, aderr_from_errno(e), e, "%s", from);
	}
out:
	free(tmp);
	return rc;
}

quarantine *qr_open(const char *dir, aderr *err)
{
	quarantine *q = calloc(1, sizeof *q);
	char real[PATH_MAX], *probe = NULL;

	if (q == NULL || asprintf(&probe, "%s/x", dir) < 0) {
		free(q);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	q->fd = -1;
	if (mkdir_parents(probe, err) < 0)
		goto fail;
	if (realpath(dir, real) == NULL) {
		aderr_errno(err, aderr_from_errno(errno), errno, "%s", dir);
		goto fail;
	}
	if ((q->root = strdup(real)) == NULL || asprintf(&q->journal, "%s/" QR_JOURNAL, real) < 0) {
		q->journal = NULL;
		aderr_set(err, AD_ENOMEM, "out of memory");
		goto fail;
	}
	q->fd = open(q->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (q->fd < 0) {
		aderr_errno(err, aderr_from_errno(errno), errno, "%s", q->journal);
		goto fail;
	}
	pthread_mutex_init(&q->mu, NULL);
	free(probe);
	return q;
fail:
	free(probe);
	free(q->root);
	free(q->journal);
	free(q);
	return NULL;
}

const char *qr_root(const quarantine *q)
{
	return q->root;
}

int qr_move(quarantine *q, const char *from, const char *name, char **to, aderr *err)
{
	char *dst = NULL, *line = NULL, hex[65];
	json_t *j = NULL;
	long long size;
	struct stat st;
	int rc;

	if (to != NULL)
		*to = NULL;
	if (!stor_name_ok(name, err))
		return err->code;
	if (lstat(from, &st) != 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", from);
	if (!S_ISREG(st.st_mode))
		return aderr_set(err, AD_EUNSUP, "%s: not a regular file, not moved", from);
	if (asprintf(&dst, "%s/%s", q->root, name) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if ((rc = file_sha256(from, hex, &size, err)) < 0)
		goto out;
	j = json_pack("{s:s, s:s, s:I, s:s}", "from", from, "to", dst, "size", (json_int_t)size,
	    "sha256", hex);
	if (j == NULL || (line = json_dumps(j, JSON_COMPACT)) == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&q->mu);
	if ((rc = move_noclobber(from, dst, hex, err)) == 0) {
		size_t n = strlen(line);
		ssize_t w;

		line[n] = '\n';   /* json_dumps left room: the '\0' is overwritten, n+1 sent */
		w = write(q->fd, line, n + 1);
		line[n] = '\0';
		if (w != (ssize_t)(n + 1) || fsync(q->fd) != 0) {
			int e = w < 0 ? errno : EIO;

			/* no journal line: put the file back rather than leave a move no undo knows */
			aderr e2 = {0};

			if (move_noclobber(dst, from, hex, &e2) == 0)
				rc = aderr_errno(err, aderr_from_errno(e), e, "%s: cannot write the "
				    "undo list, file left in place", q->journal);
			else
				rc = aderr_errno(err, aderr_from_errno(e), e, "%s: cannot write the undo "
				    "list; %s is in the quarantine as %s", q->journal, from, dst);
		}
	}
	pthread_mutex_unlock(&q->mu);
	if (rc == 0 && to != NULL) {
		*to = dst;
		dst = NULL;
	}
out:
	json_decref(j);
	free(line);
	free(dst);
	return rc;
}

void qr_close(quarantine *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	pthread_mutex_destroy(&q->mu);
	free(q->root);
	free(q->journal);
	free(q);
}

/* One entry back: refuses when something is at from, or to is not what was moved. */
static int undo_one(const char *from, const char *to, long long size, const char *sha,
    aderr *err)
{
	struct stat st;
	char hex[65];
	long long n;
	int rc;

	if (lstat(from, &st) == 0)
		return aderr_set(err, AD_EEXIST, "%s: something is there now, not written over",
		    from);
	if (lstat(to, &st) != 0)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", to);
	if (sha != NULL) {
		if ((rc = file_sha256(to, hex, &n, err)) < 0)
			return rc;
		if (strcmp(hex, sha) != 0 || n != size)
			return aderr_set(err, AD_EEXIST, "%s: changed since it was moved (SHA-256 "
			    "differs), left in the quarantine", to);
	} else if (st.st_size != size) {
		return aderr_set(err, AD_EEXIST, "%s: changed since it was moved (size differs), "
		    "left in the quarantine", to);
	}
	return move_noclobber(to, from, sha, err);
}

long qr_undo(const char *journal, void (*each)(void *ud, const char *from, const char *to,
    const aderr *err), void *ud, long *restored, aderr *err)
{
	FILE *fp = fopen(journal, "r");
	json_t **ent = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL, *done = NULL;
	long failed = 0, lineno = 0;
	ssize_t got;
	long rc = 0;

	*restored = 0;
	if (fp == NULL)
		return aderr_errno(err, aderr_from_errno(errno), errno, "%s", journal);
	/* the whole journal is read and checked before anything moves */
	while ((got = getline(&line, &len, fp)) > 0) {
		json_error_t je;
		json_t *j;

		lineno++;
		if (got == 1 && line[0] == '\n')
			continue;
		j = json_loads(line, 0, &je);
		if (j == NULL || !json_is_string(json_object_get(j, "from")) ||
		    !json_is_string(json_object_get(j, "to")) ||
		    !json_is_integer(json_object_get(j, "size")) ||
		    json_string_value(json_object_get(j, "from"))[0] != '/' ||
		    json_string_value(json_object_get(j, "to"))[0] != '/' ||
		    (json_object_get(j, "sha256") != NULL &&
		     !json_is_string(json_object_get(j, "sha256")))) {
			json_decref(j);
			rc = aderr_set(err, AD_EFORMAT, "%s:%ld: not an undo entry (from, to: absolute "
			    "paths; size; sha256)", journal, lineno);
			goto out;
		}
		if (n == cap) {
			json_t **m = realloc(ent, (cap = cap ? 2 * cap : 64) * sizeof *ent);

			if (m == NULL) {
				json_decref(j);
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				goto out;
			}
			ent = m;
		}
		ent[n++] = j;
	}
	if (ferror(fp)) {
		rc = aderr_set(err, AD_EIO, "%s: read error", journal);
		goto out;
	}
	for (size_t i = n; i-- > 0; ) {
		const char *from = json_string_value(json_object_get(ent[i], "from"));
		const char *to = json_string_value(json_object_get(ent[i], "to"));
		aderr e = {0};

		if (undo_one(from, to, json_integer_value(json_object_get(ent[i], "size")),
		    json_string_value(json_object_get(ent[i], "sha256")), &e) < 0) {
			failed++;
			if (each)
				each(ud, from, to, &e);
		} else {
			++*restored;
			if (each)
				each(ud, from, to, NULL);
		}
	}
	rc = failed;
	if (failed == 0) {
		if (asprintf(&done, "%s.undone", journal) < 0)
			done = NULL;
		if (done == NULL || rename(journal, done) != 0)
			rc = aderr_set(err, AD_EIO, "%s: every file went back, but the journal could "
			    "not be renamed to .undone", journal);
	}
out:
	for (size_t i = 0; i < n; i++)
		json_decref(ent[i]);
	free(ent);
	free(line);
	free(done);
	fclose(fp);
	return rc;
}
