/* report_html.c — dedupe's visual report: one self-contained HTML page. */
#include "report_html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"

static void esc(FILE *fp, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

static void bytes(FILE *fp, long long n)
{
	if (n < 0)
		fputs("size unknown", fp);
	else if (n < 10000)
		fprintf(fp, "%lld B", n);
	else if (n < 10000000)
		fprintf(fp, "%.1f kB", (double)n / 1e3);
	else
		fprintf(fp, "%.1f MB", (double)n / 1e6);
}

/* only data: URIs of images go into src: nothing a record says can load or run anything */
static int safe_uri(const char *s)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

	if (s == NULL || strncmp(s, "data:image/jpeg;base64,", 23) != 0)
		return 0;
	return strspn(s + 23, ok) == strlen(s + 23);
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}"
	"h1{font-size:1.4em;margin:0 0 .3em}.summary{color:#444}"
	"nav button{margin-right:.4em;padding:.3em .8em;border:1px solid #888;border-radius:4px;"
	"background:#fff;cursor:pointer}nav button.on{background:#234;color:#fff}"
	".group{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}"
	".group h2{font-size:1em;margin:.2em 0 .6em}.row{display:flex;flex-wrap:wrap;gap:12px}"
	"figure{margin:0;width:170px}figure img,.noimg{display:block;max-width:160px;max-height:160px;"
	"border:3px solid #ccc;border-radius:4px}.noimg{width:154px;height:100px;background:#eee;"
	"color:#888;font-size:12px;display:flex;align-items:center;justify-content:center}"
	"figure.keeper img,figure.keeper .noimg{border-color:#2a7}"
	"figcaption{font-size:12px;word-break:break-all;margin-top:4px}"
	".tag{display:inline-block;font-weight:600;color:#fff;background:#2a7;border-radius:3px;"
	"padding:0 .4em;margin-right:.3em}.dup .tag{background:#b54}";

static const char script[] =
	"(function(){var box=document.getElementById('groups');"
	"var keys={size:function(g){return -(+g.dataset.size)},"
	"saved:function(g){return -(+g.dataset.saved)},name:function(g){return g.dataset.name}};"
	"function sort(by){var gs=Array.prototype.slice.call(box.children);"
	"gs.sort(function(a,b){var x=keys[by](a),y=keys[by](b);"
	"return x<y?-1:x>y?1:(+a.dataset.id)-(+b.dataset.id)});"
	"gs.forEach(function(g){box.appendChild(g)});"
	"document.querySelectorAll('nav button').forEach(function(b){"
	"b.className=b.dataset.sort===by?'on':''});document.body.dataset.sorted=by}"
	"document.querySelectorAll('nav button').forEach(function(b){"
	"b.addEventListener('click',function(){sort(b.dataset.sort)})});"
	"var h=/^#sort=(size|saved|name)$/.exec(location.hash);"
	"sort(h?h[1]:'size');document.body.dataset.ready='1'})();";

int html_write(const char *path, const struct html_group *g, size_t ng, const char *summary,
    aderr *err)
{
	struct afile af;
	FILE *fp;

	if (afile_open(&af, path, err) < 0)
		return err->code;
	fp = af.fp;
	errno = 0;
	fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>azdedup: duplicate groups</title><style>", fp);
	fputs(style, fp);
	fputs("</style></head>\n<body>\n<h1>Duplicate groups</h1>\n<p class=\"summary\">", fp);
	esc(fp, summary);
	fputs("</p>\n<nav>Sort: <button data-sort=\"size\">largest groups first</button>"
	    "<button data-sort=\"saved\">most bytes saved</button>"
	    "<button data-sort=\"name\">keeper name</button></nav>\n<div id=\"groups\">\n", fp);
	for (size_t i = 0; i < ng; i++) {
		const struct html_group *gr = &g[i];

		fprintf(fp, "<section class=\"group\" id=\"g%ld\" data-id=\"%ld\" data-size=\"%zu\" "
		    "data-saved=\"%lld\" data-name=\"", gr->id, gr->id, gr->n, gr->saved);
		esc(fp, gr->n ? gr->m[0].name : "");
		fprintf(fp, "\">\n<h2>Group %ld &middot; %zu images &middot; ", gr->id, gr->n);
		bytes(fp, gr->saved);
		fputs(" to save</h2>\n<div class=\"row\">\n", fp);
		for (size_t k = 0; k < gr->n; k++) {
			const struct html_member *m = &gr->m[k];

			fputs(k == 0 ? "<figure class=\"keeper\">" : "<figure class=\"dup\">", fp);
			if (safe_uri(m->thumb)) {
				fprintf(fp, "<img src=\"%s\" alt=\"", m->thumb);
				esc(fp, m->name);
				fputs("\">", fp);
			} else {
				fputs("<div class=\"noimg\">no thumbnail<br>(featx --thumb)</div>", fp);
			}
			fprintf(fp, "<figcaption><span class=\"tag\">%s</span>",
			    k == 0 ? "keeper" : m->stage ? m->stage : "duplicate");
			esc(fp, m->name);
			fputs("<br>", fp);
			if (m->w > 0 && m->h > 0)
				fprintf(fp, "%lld&times;%lld &middot; ", m->w, m->h);
			bytes(fp, m->size);
			if (k > 0) {
				fprintf(fp, "<br>phash %d &middot; dhash %d &middot; whash %d", m->dist[0],
				    m->dist[1], m->dist[2]);
				if (m->orient > 1)
					fprintf(fp, " &middot; turned (orientation %d)", m->orient);
			}
			if (m->why != NULL) {
				fputs("<br><span class=\"why\">", fp);
				esc(fp, m->why);
				fputs("</span>", fp);
			}
			fputs("</figcaption></figure>\n", fp);
		}
		fputs("</div></section>\n", fp);
	}
	fputs("</div>\n<script>", fp);
	fputs(script, fp);
	fputs("</script>\n</body></html>\n", fp);
	if (ferror(fp)) {
		/* the stream keeps only a flag: the failed write's errno is the cause */
		int e = errno ? errno : EIO;

		afile_abort(&af);
		return aderr_errno(err, aderr_from_errno(e), e, "%s", path);
	}
	return afile_commit(&af, err);
}
