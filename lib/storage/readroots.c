/* readroots.c — the folders a run may read local files from. */
#include "readroots.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

struct read_roots {
	char **dirs;    /* real paths */
	size_t n;
};

read_roots *rr_new(void)
{
	return calloc(1, sizeof(struct read_roots));
}

void rr_free(read_roots *rr)
{
	if (rr == NULL)
		return;
	for (size_t i = 0; i < rr->n; i++)
		free(rr->dirs[i]);
	free(rr->dirs);
	free(rr);
}

int rr_add(read_roots *rr, const char *dir, aderr *err)
{
	char real[PATH_MAX], **nd;

	if (realpath(dir, real) == NULL) {
		int e = errno;

		return aderr_errno(err, AD_EUSAGE, e, "read folder %s", dir);
	}
	nd = realloc(rr->dirs, (rr->n + 1) * sizeof *nd);
	if (nd == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rr->dirs = nd;
	if ((rr->dirs[rr->n] = strdup(real)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rr->n++;
	return 0;
}

int rr_add_env(read_roots *rr, aderr *err)
{
	const char *v = getenv("AZDEDUP_READ_ROOTS");
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (v == NULL || *v == '\0')
		return 0;
	if ((copy = strdup(v)) == NULL)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ":", &save); tok && rc == 0; tok = strtok_r(NULL, ":", &save))
		rc = rr_add(rr, tok, err);
	free(copy);
	return rc;
}

int rr_active(const read_roots *rr)
{
	return rr != NULL && rr->n > 0;
}

int rr_check(const read_roots *rr, const char *path, aderr *err)
{
	char real[PATH_MAX];

	if (!rr_active(rr))
		return 0;
	if (realpath(path, real) == NULL) {
		int e = errno;

		return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
	}
	for (size_t i = 0; i < rr->n; i++) {
		size_t k = strlen(rr->dirs[i]);

		if ((k == 1 && rr->dirs[i][0] == '/') ||
		    (strncmp(real, rr->dirs[i], k) == 0 && (real[k] == '/' || real[k] == '\0')))
			return 0;
	}
	return aderr_set(err, AD_EPERM, "%s is outside the folders reads are allowed from "
	    "(--read-under, AZDEDUP_READ_ROOTS): not read", real);
}

static read_roots *tool_set;

static void tool_set_free(void)
{
	rr_free(tool_set);
	tool_set = NULL;
}

read_roots *rr_tool(aderr *err)
{
	if (tool_set != NULL)
		return tool_set;
	if ((tool_set = rr_new()) == NULL) {
		aderr_set(err, AD_ENOMEM, "out of memory");
		return NULL;
	}
	atexit(tool_set_free);
	if (rr_add_env(tool_set, err) < 0)
		tool_set_free();
	return tool_set;
}

int rr_parse_opt(int code, const char *arg, aderr *err)
{
	read_roots *rr;
	aderr why = {0};

	if (code != RR_OPT_READ_UNDER)
		return 0;
	if ((rr = rr_tool(&why)) == NULL || rr_add(rr, arg, &why) < 0)
		return aderr_set(err, why.code, "--read-under: %s", why.msg);
	return 1;
}

int rr_check_in(const read_roots *rr, stor *s, const char *name, aderr *err)
{
	char *p;
	int rc;

	if (!rr_active(rr) || strcmp(stor_kind(s), "local") != 0)
		return 0;
	if (!stor_name_ok(name, err))
		return err->code;
	if (asprintf(&p, "%s/%s", stor_root(s), name) < 0)
		return aderr_set(err, AD_ENOMEM, "out of memory");
	rc = rr_check(rr, p, err);
	free(p);
	return rc;
}
