/* spool.c — an unlinked stdio temporary file of NDJSON lines. */
#include "spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct spool {
	FILE *fp;
	char dir[256];      /* where it is, for messages */
	char *line;
	size_t cap;
	size_t added, read;	/* records written, and read back since the rewind */
	char *buf;          /* stdio's buffer: large, as the file is (one record a line) */
};

enum { SPOOL_BUF = 1 << 20 };

spool *spool_open(aderr *err)
{
	const char *dir = getenv("TMPDIR");
	char path[300];
	spool *s;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((s = calloc(1, sizeof *s)) == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	if ((size_t)snprintf(path, sizeof path, "%s/dedupe.XXXXXX", dir) >= sizeof path) {
		aderr_set(err, AD_EUSAGE, "TMPDIR: path too long");
		free(s);
		return NULL;
	}
	if ((fd = mkstemp(path)) < 0) {
		aderr_errno(err, AD_EIO, errno, "a temporary file in %s", dir);
		free(s);
		return NULL;
	}
	unlink(path);
	if ((s->fp = fdopen(fd, "w+")) == NULL) {
		aderr_errno(err, AD_ENOMEM, errno, "a temporary file in %s", dir);
		close(fd);
		free(s);
		return NULL;
	}
	/* without it, stdio moves the file a block (4 KiB) per system call */
	if ((s->buf = malloc(SPOOL_BUF)) != NULL)
		setvbuf(s->fp, s->buf, _IOFBF, SPOOL_BUF);
	return s;
}

int spool_add(spool *s, const char *text, size_t len, aderr *err)
{
	if (fwrite(text, 1, len, s->fp) != len || putc('\n', s->fp) == EOF)
		return aderr_errno(err, AD_EIO, errno ? errno : EIO, "writing a temporary file in "
		    "%s (set TMPDIR to a folder with room)", s->dir);
	s->added++;
	return 0;
}

int spool_rewind(spool *s, aderr *err)
{
	if (fflush(s->fp) != 0 || ferror(s->fp) || fseek(s->fp, 0, SEEK_SET) != 0)
		return aderr_errno(err, AD_EIO, errno ? errno : EIO, "a temporary file in %s",
		    s->dir);
	s->read = 0;
	return 0;
}

int spool_next(spool *s, const char **text, size_t *len, aderr *err)
{
	ssize_t got;

	if (s->read == s->added)
		return 0;
	errno = 0;
	got = getline(&s->line, &s->cap, s->fp);
	if (got < 2 || s->line[got - 1] != '\n')
		return aderr_errno(err, AD_EIO, errno ? errno : EIO, "reading back a temporary "
		    "file in %s", s->dir);
	s->line[got - 1] = '\0';
	*text = s->line;
	*len = (size_t)got - 1;
	s->read++;
	return 1;
}

void spool_close(spool *s)
{
	if (s == NULL)
		return;
	if (s->fp != NULL)
		fclose(s->fp);
	free(s->buf);
	free(s->line);
	free(s);
}
