/* rec.c — NDJSON reading and writing with jansson. */
#include "rec.h"
#include "afile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* stdio's buffer for the files opened here (not stdin and stdout): a record file is
 * read or written whole, and the default moves a block (4 KiB) per system call */
enum { REC_BUF = 1 << 18 };

struct rec_reader {
	FILE *fp;
	char *buf;          /* stdio's buffer, or NULL */
	int owned;
	char *label;
	char *line;
	size_t cap;
	long lineno;
};

struct rec_writer {
	FILE *fp;
	char *fbuf;         /* stdio's buffer, or NULL */
	struct afile af;
	int is_file;
	char *buf;          /* one record's text, written with one fwrite */
	size_t len, cap;
};

rec_reader *rec_reader_open(const char *path, aderr *err)
{
	rec_reader *r = calloc(1, sizeof *r);

	if (r == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fp = stdin;
		r->label = strdup("stdin");
	} else {
		r->fp = fopen(path, "r");
		if (r->fp == NULL) {
			int e = errno;

			aderr_errno(err, aderr_from_errno(e), e, "%s", path);
			free(r);
			return NULL;
		}
		r->owned = 1;
		r->label = strdup(path);
		if ((r->buf = malloc(REC_BUF)) != NULL)
			setvbuf(r->fp, r->buf, _IOFBF, REC_BUF);
	}
	if (r->label == NULL) {
		rec_reader_close(r);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	return r;
}

const char *rec_reader_label(const rec_reader *r)
{
	return r->label;
}

long rec_reader_line(const rec_reader *r)
{
	return r->lineno;
}

long rec_reader_total(rec_reader *r)
{
	struct stat st;
	long pos, n = 0;
	char buf[65536];
	size_t got;
	int last = '\n';

	if (fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	pos = ftell(r->fp);
	if (pos < 0)
		return -1;
	while ((got = fread(buf, 1, sizeof buf, r->fp)) > 0) {
		for (size_t i = 0; i < got; i++)
			n += buf[i] == '\n';
		last = buf[got - 1];
	}
	if (last != '\n')
		n++;
	clearerr(r->fp);
	if (fseek(r->fp, pos, SEEK_SET) != 0)
		return -1;
	return n;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

int rec_read_line(rec_reader *r, const char **line, size_t *len, aderr *err)
{
	ssize_t n;

	for (;;) {
		errno = 0;
		n = getline(&r->line, &r->cap, r->fp);
		if (n < 0) {
			if (ferror(r->fp))
				return aderr_errno(err, AD_EIO, errno ? errno : EIO, "%s", r->label);
			return 0;
		}
		r->lineno++;
		if (!blank(r->line))
			break;
	}
	while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
		r->line[--n] = '\0';
	*line = r->line;
	*len = (size_t)n;
	return 1;
}

json_t *rec_parse(const char *label, long lineno, const char *line, size_t len, long *bad)
{
	json_error_t je;
	json_t *j = json_loadb(line, len, 0, &je);
	char msg[400];

	if (bad)
		*bad = 0;
	if (j != NULL && json_is_object(j))
		return j;
	if (j != NULL)
		snprintf(msg, sizeof msg, "%s:%ld: record is not a JSON object", label, lineno);
	else
		snprintf(msg, sizeof msg, "%s:%ld: invalid JSON: %s", label, lineno, je.text);
	json_decref(j);
	if ((j = json_object()) == NULL)
		return NULL;
	/* keep the text, so nothing given to us is lost */
	if (rec_set_error(j, "input", "bad_record", msg) < 0 || rec_set_str(j, "raw", line) < 0) {
		json_decref(j);
		return NULL;
	}
	if (bad)
		*bad = lineno;
	return j;
}

int rec_read(rec_reader *r, json_t **out, long *bad, aderr *err)
{
	const char *line;
	size_t len;
	int rc;

	*out = NULL;
	if (bad)
		*bad = 0;
	if ((rc = rec_read_line(r, &line, &len, err)) <= 0)
		return rc;
	if ((*out = rec_parse(r->label, r->lineno, line, len, bad)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	return 1;
}

void rec_reader_close(rec_reader *r)
{
	if (r == NULL)
		return;
	if (r->owned && r->fp)
		fclose(r->fp);
	free(r->buf);
	free(r->line);
	free(r->label);
	free(r);
}

rec_writer *rec_writer_open(const char *path, aderr *err)
{
	rec_writer *w = calloc(1, sizeof *w);

	if (w == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	if (path == NULL || strcmp(path, "-") == 0) {
		w->fp = stdout;
		return w;
	}
	if (afile_open(&w->af, path, err) < 0) {
		free(w);
		return NULL;
	}
	w->fp = w->af.fp;
	w->is_file = 1;
	if ((w->fbuf = malloc(REC_BUF)) != NULL)
		setvbuf(w->fp, w->fbuf, _IOFBF, REC_BUF);
	return w;
}

static int append(const char *s, size_t n, void *ud)
{
	rec_writer *w = ud;

	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		char *b;

		while (cap < w->len + n + 1)
			cap *= 2;
		if ((b = realloc(w->buf, cap)) == NULL)
			return -1;
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	return 0;
}

/* What a write error names: the -o file, or standard output. */
static const char *writer_name(const rec_writer *w)
{
	return w->is_file ? w->af.path : "standard output";
}

int rec_write(rec_writer *w, const json_t *rec, aderr *err)
{
	w->len = 0;
	if (json_dump_callback(rec, append, w, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		return aderr_set(err, AD_ENOMEM, "out of memory writing a record");
	w->buf[w->len++] = '\n';
	if (fwrite(w->buf, 1, w->len, w->fp) != w->len)
		return aderr_errno(err, AD_EIO, errno ? errno : EIO, "%s", writer_name(w));
	return 0;
}

int rec_write_raw(rec_writer *w, const char *text, size_t len, aderr *err)
{
	if (fwrite(text, 1, len, w->fp) != len || putc('\n', w->fp) == EOF)
		return aderr_errno(err, AD_EIO, errno ? errno : EIO, "%s", writer_name(w));
	return 0;
}

int rec_writer_close(rec_writer *w, int commit, aderr *err)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (w->is_file) {
		if (commit)
			rc = afile_commit(&w->af, err);
		else
			afile_abort(&w->af);
	} else if (fflush(w->fp) != 0 || ferror(w->fp)) {
		rc = aderr_errno(err, AD_EIO, errno ? errno : EIO, "standard output");
	}
	free(w->buf);
	free(w->fbuf);
	free(w);
	return rc;
}

const char *rec_str(const json_t *rec, const char *key)
{
	json_t *v = json_is_object(rec) ? json_object_get(rec, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

long long rec_int(const json_t *rec, const char *key, long long dflt)
{
	json_t *v = json_is_object(rec) ? json_object_get(rec, key) : NULL;

	if (json_is_integer(v))
		return json_integer_value(v);
	/* a real number only where a long long holds it (7e85 or NaN in a malformed record
	 * is no number of bytes or pixels: the default, as for a missing field) */
	if (json_is_real(v) && json_real_value(v) > -9.2e18 && json_real_value(v) < 9.2e18)
		return (long long)json_real_value(v);
	return dflt;
}

const char *rec_name(const json_t *rec)
{
	return rec_str(rec, "name");
}

int rec_has_error(const json_t *rec)
{
	return json_is_object(rec) && json_is_object(json_object_get(rec, "error"));
}

const char *rec_error_stage(const json_t *rec)
{
	json_t *e = json_is_object(rec) ? json_object_get(rec, "error") : NULL;

	return rec_str(e, "stage");
}

int rec_set_error(json_t *rec, const char *stage, const char *code, const char *message)
{
	json_t *e = json_pack("{s:s, s:s, s:s}", "stage", stage, "code", code, "message", message);

	if (e == NULL)
		return AD_ENOMEM;
	return json_object_set_new(rec, "error", e) == 0 ? 0 : AD_ENOMEM;
}

/* Copies s with every byte that is not part of valid UTF-8 replaced by U+FFFD. */
char *utf8_sanitize(const char *s)
{
	size_t n = strlen(s), o = 0;
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(3 * n + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; ) {
		int len = p[i] < 0x80 ? 1 : (p[i] & 0xe0) == 0xc0 ? 2 : (p[i] & 0xf0) == 0xe0 ? 3 :
		    (p[i] & 0xf8) == 0xf0 ? 4 : 0;
		int ok = len > 0 && i + (size_t)len <= n;

		for (int k = 1; ok && k < len; k++)
			ok = (p[i + k] & 0xc0) == 0x80;
		if (ok && len == 2 && p[i] < 0xc2)
			ok = 0;
		if (ok) {
			memcpy(out + o, p + i, (size_t)len);
			o += (size_t)len;
			i += (size_t)len;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

int rec_set_str(json_t *rec, const char *key, const char *val)
{
	json_t *s = json_string(val);

	if (s == NULL) {   /* not UTF-8: keep what can be kept rather than lose the field */
		char *clean = utf8_sanitize(val);

		s = clean ? json_string(clean) : NULL;
		free(clean);
	}
	return s && json_object_set_new(rec, key, s) == 0 ? 0 : AD_ENOMEM;
}

int rec_set_int(json_t *rec, const char *key, long long val)
{
	return json_object_set_new(rec, key, json_integer(val)) == 0 ? 0 : AD_ENOMEM;
}
