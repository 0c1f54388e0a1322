/* storage_local.c — a local folder as a storage.
 *
 * Listing walks the tree depth first and sorts each folder's entries with a '/' after
 * folder names, which yields exactly the byte order of the full names (the order Azure
 * lists blobs in) without holding more than one folder's entries in memory.
 *
 * Links: a link to a file is listed under its own name and read through (get, copy and
 * stat all see the target's bytes, never the link itself); a link that leads out of the
 * folder, and a link to a folder, are followed only with STOR_FOLLOW and otherwise
 * reported with a note; links to folders inside the tree are never followed (their files
 * are listed under their own names), nor are loops.  Dangling links and link loops are
 * listed with a note that fails the name. */
#include "storage_local.h"
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
	char *note;    /* a link not listed as an object: why (see struct stor_entry) */
	int fail;
	int note_dir;  /* the note is of a link to a folder: its name ends in '/' */
};

/* The real paths of the folders being walked, innermost first: a folder link that leads
 * to one of them or above one of them is a loop. */
struct dirstack {
	const char *real;
	const struct dirstack *up;
};

struct walkctx {
	const char *root;      /* real path */
	int follow;
	const char *prefix;
	stor_list_cb cb;
	void *ud;
};

/* 1 when path is dir or lies under it. */
static int path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* What to do with the link at full: 0 list it as a file (*is_dir 0) or walk it as a
 * folder (*is_dir 1); 1 it gets a note (*note, *fail); negative on failure. */
static int classify_link(const struct walkctx *w, const struct dirstack *ds, const char *full,
    int *is_dir, char **note, int *fail, aderr *err)
{
	char real[PATH_MAX];
	struct stat st;
	int inside;

	*note = NULL;
	*fail = 0;
	if (realpath(full, real) == NULL || stat(real, &st) != 0) {
		int e = errno;

		*fail = 1;
		if (e == ENOENT || e == ENOTDIR)
			*note = strdup("dangling link (its target does not exist)");
		else if (e == ELOOP)
			*note = strdup("link loop (too many levels of links)");
		else if (asprintf(note, "link not followed: %s", strerror(e)) < 0)
			*note = NULL;
		return *note ? 1 : aderr_set(err, AD_ENOMEM, "out of memory");
	}
	inside = path_under(real, w->root);
	*is_dir = S_ISDIR(st.st_mode);
	if (!*is_dir && !S_ISREG(st.st_mode)) {
		*note = strdup("link to something that is not a file, not followed");
	} else if (*is_dir && inside) {
		*note = strdup("link to a folder inside the source, not followed (its files are "
		    "listed under their own names)");
	} else if (!inside && !w->follow) {
		if (asprintf(note, "link out of the source (to %s), not followed (--follow-links "
		    "follows it)", real) < 0)
			*note = NULL;
	} else if (*is_dir) {
		for (; ds; ds = ds->up)
			if (path_under(ds->real, real)) {
				if (asprintf(note, "link loop (to %s, a folder being listed), not "
				    "followed", real) < 0)
					*note = NULL;
				break;
			}
		if (ds == NULL)
			return 0;
	} else {
		return 0;
	}
	return *note ? 1 : aderr_set(err, AD_ENOMEM, "out of memory");
}

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
static int walk(const struct walkctx *w, const struct dirstack *up, const char *abs,
    const char *rel, aderr *err)
{
	const char *prefix = w->prefix;
	DIR *d = opendir(abs);
	struct dirent *de;
	struct dent *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	char real[PATH_MAX];
	struct dirstack ds = { real, up };

	if (d == NULL || realpath(abs, real) == NULL) {
		int e = errno;

		if (d != NULL)
			closedir(d);
		return aderr_errno(err, aderr_from_errno(e), e, "%s", abs);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		char *full, *note = NULL;
		int is_dir, fail = 0, note_dir = 0;

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
		if (lstat(full, &st) != 0) {
			free(full);
			continue;
		}
		is_dir = S_ISDIR(st.st_mode);
		if (S_ISLNK(st.st_mode)) {
			rc = classify_link(w, &ds, full, &is_dir, &note, &fail, err);
			if (rc < 0) {
				free(full);
				break;
			}
			rc = 0;
			if (note != NULL) {
				note_dir = is_dir;
				is_dir = 0;     /* a name with a note, listed in its place */
			}
		} else if (!is_dir && !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		free(full);
		if (n == cap) {
			struct dent *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof *v);
			if (nv == NULL) {
				free(note);
				rc = aderr_set(err, AD_ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		v[n].name = strdup(de->d_name);
		v[n].key = malloc(strlen(de->d_name) + 2);
		v[n].is_dir = is_dir;
		v[n].note = note;
		v[n].fail = fail;
		v[n].note_dir = note_dir;
		if (v[n].name == NULL || v[n].key == NULL) {
			free(v[n].name);
			free(v[n].key);
			free(note);
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

		if (childrel != NULL && v[i].note_dir) {
			char *t = NULL;

			if (asprintf(&t, "%s/", childrel) < 0)
				t = NULL;
			free(childrel);
			childrel = t;
		}
		size_t plen = strlen(prefix), clen;

		if (childabs == NULL || childrel == NULL) {
			rc = aderr_set(err, AD_ENOMEM, "out of memory");
		} else if (v[i].is_dir) {
			/* descend only where the prefix can still match */
			clen = strlen(childrel);
			if (strncmp(childrel, prefix, clen < plen ? clen : plen) == 0)
				rc = walk(w, &ds, childabs, childrel, err);
		} else if (strncmp(childrel, prefix, plen) == 0) {
			struct stat st;
			struct stor_entry e;

			if (v[i].note != NULL) {
				memset(&e, 0, sizeof e);
				e.name = childrel;
				e.size = -1;
				e.note = v[i].note;
				e.fail = v[i].fail;
				rc = w->cb(w->ud, &e);
			} else if (stat(childabs, &st) == 0) {
				fill_entry(&e, childrel, &st);
				rc = w->cb(w->ud, &e);
			}
		}
		free(childabs);
		free(childrel);
	}
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].key);
		free(v[i].note);
	}
	free(v);
	return rc;
}

static int local_list(stor *s, const char *prefix, stor_list_cb cb, void *ud, aderr *err)
{
	struct walkctx w = { s->root, s->impl != NULL, prefix, cb, ud };

	return walk(&w, NULL, s->root, "", err);
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

/* Byte-compares a with b: 1 when equal, or, with prefix set, when a is b's beginning;
 * 0 otherwise; negative on a read error. */
static int compare_files(const char *a, const char *b, int prefix, aderr *err)
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

		if ((na != nb && !(prefix && na < nb)) || memcmp(ba, bb, na) != 0) {
			rc = 0;
			break;
		}
		if (na < sizeof ba)
			break;
	}
	if (ferror(fa) || ferror(fb))
		rc = aderr_set(err, AD_EIO, "read error comparing %s and %s", a, b);
	fclose(fa);
	fclose(fb);
	return rc;
}

int file_same(const char *a, const char *b, aderr *err)
{
	return compare_files(a, b, 0, err);
}

static int copy_atomic(const char *from, const char *to, int sync, aderr *err)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	struct stat st, sw;
	struct afile af;
	char buf[1 << 16];
	ssize_t got;
	long long total = 0;
	int rc, out;

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
	/* straight to the descriptor (the stream stays empty), so every short write is seen
	 * here with its errno: ENOSPC must never become a short file that looks copied */
	out = fileno(af.fp);
	while ((got = read(in, buf, sizeof buf)) > 0) {
		for (ssize_t put = 0; put < got; ) {
			ssize_t w = write(out, buf + put, (size_t)(got - put));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int e = w < 0 ? errno : EIO;

				close(in);
				afile_abort(&af);
				return aderr_errno(err, aderr_from_errno(e), e, "%s", to);
			}
			put += w;
		}
		total += got;
	}
	if (got < 0) {
		int e = errno;

		close(in);
		afile_abort(&af);
		return aderr_errno(err, AD_EIO, e, "%s", from);
	}
	close(in);
	if (fstat(out, &sw) != 0)
		sw.st_size = -1;
	if (sw.st_size != total) {
		afile_abort(&af);
		return aderr_set(err, AD_ETRUNC, "%s: wrote %lld of %lld bytes", to,
		    (long long)sw.st_size, total);
	}
	{
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		if (futimens(out, ts) != 0) {
			int e = errno;

			afile_abort(&af);
			return aderr_errno(err, aderr_from_errno(e), e, "%s", to);
		}
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
 * is replaced only when asked.  STOR_SAME, an error, or STOR_DONE: write it. */
static int place_check(const char *from, const char *dst, int flags, aderr *err)
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
		/* a copy cut short (a full disk under an older version, another tool) holds the
		 * source's first bytes: it is work not done, and finishing it loses nothing */
		if (!(flags & STOR_OVERWRITE) && sd.st_size < sf.st_size &&
		    (same = compare_files(dst, from, 1, err)) < 0)
			return same;
		if (!(flags & STOR_OVERWRITE) && !same)
			return aderr_set(err, AD_EEXIST,
			    "destination exists with different content (use --overwrite to replace it)");
	}
	return STOR_DONE;
}

static int place(const char *from, const char *dst, int flags, aderr *err)
{
	int rc = place_check(from, dst, flags, err);

	return rc == STOR_DONE ? file_copy_atomic(from, dst, err) : rc;
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
	/* already there: the same file, or a copy of the same size and time (a link in the
	 * work folder is not: it would resolve against the wrong folder) */
	if (lstat(local, &sl) == 0 && S_ISREG(sl.st_mode) &&
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
		/* a link in the source is linked as its target, never as a link */
		if (tmp != NULL && (linkat(AT_FDCWD, src, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0 ||
		    (errno == ENOENT && mkdir_parents(local, NULL) == 0 &&
		     linkat(AT_FDCWD, src, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0))) {
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

/* Only between two local folders: the dispatcher sends a copy between backends to
 * stor_across.c. */
static int local_copy(stor *dst, const char *dstname, stor *src, const char *srcname,
    int flags, aderr *err)
{
	char *from = join(src->root, srcname);
	int rc;

	if (from == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = local_put(dst, dstname, from, flags, err);
	free(from);
	return rc;
}

char *stor_local_path(const stor *s, const char *name)
{
	return join(s->root, name);
}

int stor_local_adopt(const char *tmp, const char *path, int flags, aderr *err)
{
	int rc = place_check(tmp, path, flags, err);

	if (rc == STOR_DONE && afile_move_synced(tmp, path, err) < 0)
		rc = err ? err->code : AD_EIO;
	return rc;
}

static int local_delete(stor *s, const char *name, aderr *err)
{
	char *p = join(s->root, name);
	int rc = 0;

	if (p == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	if (unlink(p) != 0) {
		int e = errno;

		rc = e == ENOENT ? aderr_set(err, AD_ENOENT, "not found in %s", s->root) :
		    aderr_errno(err, aderr_from_errno(e), e, "%s", p);
	}
	free(p);
	return rc;
}

/* What is at dst already, for a link to target (sym) or of target (hard): STOR_SAME when
 * it is that link, STOR_DONE when nothing is there or it may be replaced, else an error. */
static int link_check(const char *target, const char *dst, int sym, int flags, aderr *err)
{
	struct stat sd, st;
	char buf[PATH_MAX];
	ssize_t n;

	if (lstat(dst, &sd) != 0)
		return STOR_DONE;
	if (sym && S_ISLNK(sd.st_mode) && (n = readlink(dst, buf, sizeof buf - 1)) >= 0) {
		buf[n] = '\0';
		if (strcmp(buf, target) == 0)
			return STOR_SAME;
	}
	if (!sym && S_ISREG(sd.st_mode) && stat(target, &st) == 0 && st.st_dev == sd.st_dev &&
	    st.st_ino == sd.st_ino)
		return STOR_SAME;
	if (S_ISDIR(sd.st_mode) || !(flags & STOR_OVERWRITE))
		return aderr_set(err, AD_EEXIST, "%s: exists and is not this %s link (use "
		    "--overwrite to replace it)", dst, sym ? "symbolic" : "hard");
	return STOR_DONE;
}

int stor_local_link(stor *dst, const char *dstname, stor *src, const char *srcname, int sym,
    int flags, aderr *err)
{
	char *from = join(src->root, srcname), *to = join(dst->root, dstname), *tmp = NULL;
	struct stat st;
	int rc;

	if (from == NULL || to == NULL || (tmp = partial_name_for(to)) == NULL) {
		rc = aderr_set(err, AD_ENOMEM, "out of memory");
		goto out;
	}
	/* a link to a link would leave DST at the mercy of SRC's links: only files */
	if (lstat(from, &st) != 0) {
		int e = errno;

		rc = e == ENOENT ? aderr_set(err, AD_ENOENT, "not found in %s", src->root) :
		    aderr_errno(err, aderr_from_errno(e), e, "%s", from);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = aderr_set(err, AD_EUNSUP, "%s: not a regular file, not linked", from);
		goto out;
	}
	if ((rc = link_check(from, to, sym, flags, err)) != STOR_DONE)
		goto out;
	unlink(tmp);    /* a leftover of a killed run */
	if ((rc = mkdir_parents(to, err)) < 0)
		goto out;
	if ((sym ? symlink(from, tmp) : link(from, tmp)) != 0) {
		int e = errno;

		rc = e == EXDEV ? aderr_set(err, AD_EUNSUP, "%s: a hard link cannot cross file "
		    "systems (%s is on another one; copy, or use --link sym)", to, from) :
		    aderr_errno(err, aderr_from_errno(e), e, "%s", to);
		goto out;
	}
	if (rename(tmp, to) != 0) {
		int e = errno;

		unlink(tmp);
		rc = aderr_errno(err, aderr_from_errno(e), e, "%s", to);
	}
out:
	free(from);
	free(to);
	free(tmp);
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
	.del = local_delete,
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
	/* no state of its own: impl only says whether links out of the folder are followed */
	s->impl = (flags & STOR_FOLLOW) ? (void *)&stor_local_ops : NULL;
	s->root = strdup(real);
	if (s->root == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 0;
}
