/* storage_local.c — a local folder as a storage.
 *
 * Listing walks the tree depth first and sorts each folder's entries with a '/' after
 * folder names, which yields exactly the byte order of the full names (the order Azure
 * lists blobs in) without holding more than one folder's entries in memory. */
#include "storage.h"
#include "afile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dent {
	char *name;
	char *key;     /* name, plus '/' for folders */
	int is_dir;
};

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->key, ((const struct dent *)b)->key);
}

static void fill_entry(struct stor_entry *e, const char *name, const struct stat *st)
{
	memset(e, 0, sizeof *e);
	e->name = name;
	e->size = (long long)st->st_size;
	e->mtime = (long long)st->st_mtim.tv_sec;
	e->mtime_nsec = st->st_mtim.tv_nsec;
	snprintf(e->etag, sizeof e->etag, "%llx.%lx-%llx", (unsigned long long)st->st_mtim.tv_sec,
	    (unsigned long)st->st_mtim.tv_nsec, (unsigned long long)st->st_size);
}

static char *join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *p = malloc(na + nb + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, a, na);
	p[na] = '/';
	memcpy(p + na + 1, b, nb + 1);
	return p;
}

/* rel: name of this folder relative to the root ("" for the root). */
static int walk(const char *abs, const char *rel, const char *prefix, stor_list_cb cb,
    void *ud, aderr *err)
{
	DIR *d = opendir(abs);
	struct dirent *de;
	struct dent *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", abs);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		char *full;
		int is_dir;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* our own temporaries and hidden files are not content */
		if (de->d_name[0] == '.')
			continue;
		full = join(abs, de->d_name);
		if (full == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			break;
		}
		/* follow links to files, but never into linked folders (cycles) */
		if (lstat(full, &st) != 0) {
			free(full);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			if (stat(full, &st) != 0 || S_ISDIR(st.st_mode)) {
				free(full);
				continue;
			}
		}
		free(full);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		is_dir = S_ISDIR(st.st_mode);
		if (n == cap) {
			struct dent *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof *v);
			if (nv == NULL) {
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		v[n].key = malloc(strlen(de->d_name) + 2);
		v[n].is_dir = is_dir;
		if (v[n].name == NULL || v[n].key == NULL) {
			free(v[n].name);
			free(v[n].key);
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
			break;
		}
		sprintf(v[n].key, "%s%s", de->d_name, is_dir ? "/" : "");
		n++;
	}
	if (rc == 0 && errno != 0) {
		int e = errno;

		rc = aderr_errno(err, AD_EIO, e, "%s", abs);
	}
	closedir(d);
	if (rc == 0 && n > 1)      /* an empty folder has no array at all */
		qsort(v, n, sizeof *v, dent_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *childabs = join(abs, v[i].name);
		char *childrel = *rel ? join(rel, v[i].name) : strdup(v[i].name);
		size_t plen = strlen(prefix), clen;

		if (childabs == NULL || childrel == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		} else if (v[i].is_dir) {
			/* descend only where the prefix can still match */
			clen = strlen(childrel);
			if (strncmp(childrel, prefix, clen < plen ? clen : plen) == 0)
				rc = walk(childabs, childrel, prefix, cb, ud, err);
		} else if (strncmp(childrel, prefix, plen) == 0) {
			struct stat st;
			struct stor_entry e;

			if (stat(childabs, &st) == 0) {
				fill_entry(&e, childrel, &st);
				rc = cb(ud, &e);
			}
		}
		free(childabs);
		free(childrel);
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].key);
	}
	free(v);
	return rc;
}

static int local_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err)
{
	return walk(s->root, "", prefix, cb, ud, err);
}

static int local_stat(stor *s, const char *name, struct stor_entry *e, aderr *err)
{
	char *p = join(s->root, name);
	struct stat st;
	int rc = 0;

	if (p == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (stat(p, &st) != 0) {
		int en = errno;

		if (en == ENOENT)
			rc = aderr_set(err, AD_ENOENT, "not found in %s", s->root);
		else
			rc = aderr_errno(err, aderr_from_errno(en), en, "%s", name);
	} else if (!S_ISREG(st.st_mode)) {
		rc = aderr_set(err, AD_ENOENT, "%s: not a regular file", name);
	} else {
		fill_entry(e, NULL, &st);
	}
	free(p);
	return rc;
}

int file_same(const char *a, const char *b, aderr *err)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	char ba[65536], bb[65536];
	int rc = 1;

	if (fa == NULL || fb == NULL) {
		int e = errno;

		if (fa) fclose(fa);
		if (fb) fclose(fb);
		return aderr_errno(err, aderr_from_errno(e), e, "%s", fa ? b : a);
	}
	for (;;) {
		size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);

		if (na != nb || memcmp(ba, bb, na) != 0) {
			rc = 0;
			break;
		}
		if (na == 0)
			break;
	}
	if (ferror(fa) || ferror(fb))
		rc = aderr_set(err, AD_EIO, "read error comparing %s and %s", a, b);
	fclose(fa);
	fclose(fb);
	return rc;
}

static int copy_atomic(const char *from, const char *to, int sync, aderr *err)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct afile af;
	char buf[1 << 16];
	ssize_t got;
	int rc;

	if (in < 0) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", from);
	}
	if (fstat(in, &st) != 0) {
		int e = errno;

		close(in);
		return aderr_errno(err, AD_EIO, e, "%s", from);
	}
	if ((rc = afile_open(&af, to, err)) < 0) {
		close(in);
		return rc;
	}
	while ((got = read(in, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)got, af.fp) != (size_t)got) {
			int e = errno;

			close(in);
			afile_abort(&af);
			return aderr_errno(err, AD_EIO, e, "%s", to);
		}
	}
	if (got < 0) {
		int e = errno;

		close(in);
		afile_abort(&af);
		return aderr_errno(err, AD_EIO, e, "%s", from);
	}
	close(in);
	{
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		fflush(af.fp);
		futimens(fileno(af.fp), ts);
	}
	return afile_commit_sync(&af, sync, err);
}

int file_copy_atomic(const char *from, const char *to, aderr *err)
{
	return copy_atomic(from, to, 1, err);
}

int file_copy_atomic_nosync(const char *from, const char *to, aderr *err)
{
	return copy_atomic(from, to, 0, err);
}

/* Shared rule of put and copy: identical content is left alone, different content
 * is replaced only when asked. */
static int place(const char *from, const char *dst, int flags, aderr *err)
{
	struct stat sd, sf;

	if (stat(dst, &sd) == 0) {
		int same;

		if (!S_ISREG(sd.st_mode))
			return aderr_set(err, AD_EEXIST, "%s: exists and is not a regular file", dst);
		if (stat(from, &sf) != 0) {
			int e = errno;

			return aderr_errno(err, aderr_from_errno(e), e, "%s", from);
		}
		if (sf.st_dev == sd.st_dev && sf.st_ino == sd.st_ino)
			return STOR_SAME;
		same = sf.st_size == sd.st_size ? file_same(from, dst, err) : 0;
		if (same < 0)
			return same;
		if (same)
			return STOR_SAME;
		if (!(flags & STOR_OVERWRITE))
			return aderr_set(err, AD_EEXIST,
			    "destination exists with different content (use --overwrite to replace it)");
	}
	return file_copy_atomic(from, dst, err);
}

static int local_get(stor *s, const char *name, const char *local, int flags,
    const struct stor_entry *known, aderr *err)
{
	char *src = join(s->root, name);

	(void)known;   /* a local file is looked at directly */
	struct stat ss, sl;
	int rc;

	if (src == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (stat(src, &ss) != 0) {
		int e = errno;

		free(src);
		if (e == ENOENT)
			return aderr_set(err, AD_ENOENT, "not found in %s", s->root);
		return aderr_errno(err, aderr_from_errno(e), e, "%s", name);
	}
	/* already there: the same file, or a copy of the same size and time */
	if (stat(local, &sl) == 0 && S_ISREG(sl.st_mode) &&
	    ((sl.st_dev == ss.st_dev && sl.st_ino == ss.st_ino) ||
	     (sl.st_size == ss.st_size && sl.st_mtim.tv_sec == ss.st_mtim.tv_sec &&
	      sl.st_mtim.tv_nsec == ss.st_mtim.tv_nsec))) {
		free(src);
		return STOR_SAME;
	}
	if (flags & STOR_LINK) {
		char *tmp = partial_name_for(local);

		rc = -1;
		if (tmp != NULL)
			unlink(tmp);    /* a leftover of a killed run */
		if (tmp != NULL && (link(src, tmp) == 0 ||
		    (errno == ENOENT && mkdir_parents(local, NULL) == 0 && link(src, tmp) == 0))) {
			rc = rename(tmp, local) == 0 ? STOR_DONE : -1;
			if (rc < 0)
				unlink(tmp);
		}
		free(tmp);
		if (rc == STOR_DONE) {
			free(src);
			return rc;
		}
		/* other file system, or links not allowed: fall back on a copy */
	}
	rc = file_copy_atomic_nosync(src, local, err);     /* a work copy */
	free(src);
	return rc;
}

static int local_put(stor *s, const char *name, const char *local, int flags, aderr *err)
{
	char *dst = join(s->root, name);
	int rc;

	if (dst == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = place(local, dst, flags, err);
	free(dst);
	return rc;
}

static int local_copy(stor *dst, const char *dstname, stor *src, const char *srcname,
    int flags, aderr *err)
{
	char *from, *tmp;
	int rc;

	if (src->ops == &stor_local_ops) {
		from = join(src->root, srcname);
		if (from == NULL)
			return aderr_set(err, AD_ENOMEM, "out of memory");
		rc = local_put(dst, dstname, from, flags, err);
		free(from);
		return rc;
	}
	/* from another backend: fetch to a temporary beside the destination, then place it */
	from = join(dst->root, dstname);
	tmp = from ? tmp_name_for(from) : NULL;
	if (tmp == NULL) {
		free(from);
		return aderr_set(err, AD_ENOMEM, "out of memory");
	}
	rc = src->ops->get(src, srcname, tmp, 0, NULL, err);
	if (rc >= 0)
		rc = place(tmp, from, flags, err);
	unlink(tmp);
	free(tmp);
	free(from);
	return rc;
}

static void local_close(stor *s)
{
	(void)s;
}

const struct stor_ops stor_local_ops = {
	.kind = "local",
	.list = local_list,
	.stat = local_stat,
	.get = local_get,
	.put = local_put,
	.copy = local_copy,
	.close = local_close,
};

int stor_local_open(stor *s, const char *path, int flags, aderr *err)
{
	char real[PATH_MAX];
	struct stat st;

	if (*path == '\0')
		return aderr_set(err, AD_EUSAGE, "empty folder name");
	if (stat(path, &st) != 0) {
		int e = errno;

		if (e == ENOENT && (flags & STOR_CREATE)) {
			char *probe = join(path, "x");

			if (probe == NULL)
				return aderr_set(err, AD_ENOMEM, "out of memory");
			if (mkdir_parents(probe, err) < 0) {
				free(probe);
				return err ? err->code : AD_EIO;
			}
			free(probe);
		} else {
			return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
		}
	} else if (!S_ISDIR(st.st_mode)) {
		return aderr_set(err, AD_EUSAGE, "%s: not a folder", path);
	}
	if (realpath(path, real) == NULL) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
	}
	s->ops = &stor_local_ops;
	s->root = strdup(real);
	if (s->root == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
}
