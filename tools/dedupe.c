/* dedupe — group exact and near-duplicate images and pick a keeper for each group.
 *
 * The options and the record loop: the loop collects every record's features into an
 * item set (lib/match/itemset) and keeps the records in a spool, grp_run groups the
 * items, and the report (lib/report/report) writes each record again with its role. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "decisions.h"
#include "filter.h"
#include "group.h"
#include "itemset.h"
#include "log.h"
#include "report.h"
#include "tool.h"

/* The options that shape the item set and the report. */
struct dd {
	struct itemset set;         /* the images, --format-order set in it */
	const char **prefer;
	int nprefer;
	int rotations;
	const char *html;           /* --html FILE, or NULL */
	const char *trace;          /* --trace-pairs FILE, or NULL */
	FILE *trace_f;
	int trace_rc;               /* 0, or -1 after a write failed */
	int local;                  /* read keypoints (unless --no-local) */
	int keypoints;              /* strongest keypoints kept per image */
	int cache_mb;               /* --kp-cache */
	struct dec_set *dec;        /* --decisions, or NULL */
};

static const char help[] =
    "usage: dedupe [-q] [--keep POLICY] [--prefer PREFIX]... [--phash-max N]\n"
    "              [--dhash-max N] [--whash-max N] [--exact-only] [--no-rotations]\n"
    "              [--mode star|clique|components] [--search all|index]\n"
    "              [--no-local] [--local-min N] [--keypoints N] [--kp-cache MB]\n"
    "              [--html FILE] [--decisions FILE]... [--trace-pairs FILE]\n"
    "              [-j N] [--device DEV] [-i FILE] [-o FILE]\n"
    "Read feature records (from featx or featstore), group exact duplicates (same\n"
    "bytes), near duplicates (every hash within its distance) and local matches\n"
    "(crops and other copies whose keypoints agree on one transform), pick a keeper\n"
    "per group, and write each record with \"dup\" added (and its keypoints\n"
    "dropped), then one record per group and a summary.  A group is a star around\n"
    "its keeper: each member matches the keeper, or a member by a sure match.\n\n"
    "      --keep POLICY   how keepers are chosen, a comma list of resolution, date,\n"
    "                      center, size, format, name (default\n"
    "                      resolution,date,center,size,name: most pixels, then\n"
    "                      oldest, then nearest the rest of its group (an\n"
    "                      original lies one change from each copy), then\n"
    "                      largest file)\n"
    "      --format-order LIST  formats best first, for the format key (default\n"
    "                      png,tiff,webp,jpeg,gif: lossless before lossy)\n"
    "      --prefer PREFIX names under PREFIX are kept first (may be repeated;\n"
    "                      earlier ones win)\n"
    "      --phash-max N   largest perceptual-hash distance of a near pair (12)\n"
    "      --dhash-max N   largest difference-hash distance (default 16)\n"
    "      --whash-max N   largest wavelet-hash distance (default 16)\n"
    "      --exact-only    only group byte-identical images\n"
    "      --no-local      ignore keypoints: no crop candidates, no verification\n"
    "      --local-min N   keypoint matches that make a local match (default 16)\n"
    "      --keypoints N   strongest keypoints used per image (default 256)\n"
    "      --kp-cache MB   memory for unpacked keypoints; the rest wait in a\n"
    "                      temporary file (default 256)\n"
    "      --html FILE     also write a review page, FILE and a folder FILE_files\n"
    "                      (groups, thumbnails featx makes on request): sorted\n"
    "                      weakest evidence first, filters, side by side with the\n"
    "                      keeper, decisions saved as a file for the next run\n"
    "      --decisions FILE  apply a reviewer's decisions (NDJSON, keyed by sha256:\n"
    "                      keeper, not_duplicate, split, reviewed); may be repeated,\n"
    "                      later files winning\n"
    "      --trace-pairs FILE  also write one JSON line per candidate pair with\n"
    "                      what the acceptance checks found (for tuning; see\n"
    "                      dedupe(1), Acceptance)\n"
    "      --rotations     also match mirrored and turned copies (90, 180, 270\n"
    "                      degrees, flips; needs featx's phash_orientations): the\n"
    "                      default\n"
    "      --no-rotations  match images only as they are turned\n"
    "      --mode MODE     star: each member matches its keeper (default); clique:\n"
    "                      every member matches every other; components: matches\n"
    "                      chain (A~B~C puts A with C)\n"
    "      --search HOW    index: find candidate pairs by multi-index hashing on the\n"
    "                      perceptual hash (default); all: compare every pair (same\n"
    "                      groups, for checking)\n"
    "  -j, --threads N     threads for the search and the keypoint checks (default:\n"
    "                      the number of cores)\n"
    "      --device DEV    cpu (default), or cuda[:N]: the hash search on CUDA GPU N\n";

/* --format-order LIST into the item set; -1 after a usage error when malformed. */
static int parse_formats(struct dd *d, const char *list)
{
	aderr err = {0};

	if (itemset_formats(&d->set, list, &err) < 0) {
		tool_usage("%s", err.msg);
		return -1;
	}
	return 0;
}

/* grp_opts.trace: one candidate pair as a JSON line in --trace-pairs. */
static void trace_pair(void *ud, const struct grp_trace *t)
{
	struct dd *d = ud;
	json_t *j;

	if (d->trace_rc < 0)
		return;
	j = json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:b,s:b,s:b,s:b,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:f,s:i,s:i,s:i,s:i,s:i,s:i,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:b,s:b}",
	    "a", d->set.items[t->a].name, "b", d->set.items[t->b].name, "pass", t->pass,
	    "stage", t->stage, "orient", t->orient, "verified", t->verified, "blind", t->blind,
	    "conflict", t->conflict, "hashed", t->hashed, "shifted", t->shifted, "dmin", t->dmin,
	    "margin", t->margin, "cdiff", t->cdiff, "tone", t->tone, "inliers", t->inliers,
	    "matches", t->matches, "strict", t->strict,
	    "cover", (double)(int)(t->cover * 1000 + 0.5) / 1000,
	    "contain", (double)(int)(t->contain * 1000 + 0.5) / 1000,
	    "overlap", (double)(int)(t->overlap * 1000 + 0.5) / 1000, "wcol", t->wcol,
	    "detail", t->ddiff,
	    "mid", t->mid, "mid_dead", t->mid_dead, "shared", t->shared, "agree", t->agree,
	    "repeated", t->repeated, "shape_apart", t->shape_apart,
	    "spread_apart", t->spread_apart, "fine_apart", t->fine_apart,
	    "ink_apart", t->ink_apart, "chroma", t->chroma,
	    "tint", t->tint, "capped", t->capped, "captioned", t->captioned);
	if (j == NULL || json_dumpf(j, d->trace_f, JSON_COMPACT) < 0 || fputc('\n', d->trace_f) == EOF)
		d->trace_rc = -1;
	json_decref(j);
}

/* The record loop: every record into the item set (its text into the spool), then the
 * groups and the report.  The exit status. */
static int run(struct dd *d, struct grp_opts *o, int device, const char *in, const char *out,
    int quiet)
{
	struct itemset *set = &d->set;
	struct filter f = { .in = in, .quiet = quiet, .threads = o->threads, .see_errors = 1,
	    .item_size = itemset_slot_size, .each_item = itemset_each, .each_line = itemset_each_line,
	    .collect = itemset_collect, .drop = itemset_drop, .keep = 1, .ud = set };
	struct report_totals t = {0};
	struct grp_stats st;
	struct dec_counts dc;
	char dtext[128] = "";
	aderr err = {0};
	long ngroups;
	int status = 2;

	set->prefer = d->prefer;
	set->nprefer = d->nprefer;
	set->rotations = d->rotations;
	set->local = d->local;
	set->keypoints = d->keypoints;
	if (device >= 0 && gpu_open(device, &o->gpu, &err) < 0) {
		log_err("--device cuda:%d: %s", device, err.msg);
		return 2;
	}
	if ((d->local && (o->kps = set->kps = kpcache_open((size_t)d->cache_mb << 20,
	    d->keypoints, NULL, &err)) == NULL) || filter_run(&f, log_prog(), &err) < 0) {
		log_err("%s", err.msg);
		goto done;
	}
	itemset_finish(set);
	if (d->trace != NULL) {
		if ((d->trace_f = fopen(d->trace, "w")) == NULL) {
			log_err("%s: %s", d->trace, strerror(errno));
			goto done;
		}
		o->trace = trace_pair;
		o->trace_ud = d;
	}
	if ((d->dec != NULL && dec_bind(d->dec, set->items, set->nitems, &o->apart, &err) < 0) ||
	    (ngroups = grp_run_stats(set->items, set->nitems, o, &st, &err)) < 0 ||
	    (d->dec != NULL && dec_finish(d->dec, set->items, set->nitems, &dc, &err) < 0)) {
		log_err("%s", err.msg);
		goto done;
	}
	st.decisions = d->dec != NULL ? &dc : NULL;
	if (report_write(set, f.kept, ngroups, o, &st, out, d->html, &t, &err) < 0) {
		log_err("%s", err.msg);
		goto done;
	}
	if (d->trace_f != NULL && (fclose(d->trace_f) != 0 || d->trace_rc < 0)) {
		d->trace_f = NULL;
		log_err("%s: write failed", d->trace);
		goto done;
	}
	d->trace_f = NULL;
	if (d->dec != NULL)
		snprintf(dtext, sizeof dtext, ", %ld decisions (%ld applied, %ld unmatched)",
		    dc.total, dc.applied, dc.unmatched);
	progress_done(&f.progress, "%ld images, %ld groups, %ld duplicates (%ld exact, %ld near, "
	    "%ld local), %ld unique, %ld failed%s", t.images, t.groups, t.dups, t.exact, t.near,
	    t.local, t.unique, t.failed, dtext);
	status = filter_status(&f);
done:
	if (d->trace_f != NULL)
		fclose(d->trace_f);
	spool_close(f.kept);
	itemset_free(set);
	kpcache_close(set->kps);
	gpu_close(o->gpu);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "prefer", required_argument, NULL, 'p' },
		{ "format-order", required_argument, NULL, 'F' },
		{ "phash-max", required_argument, NULL, 'P' },
		{ "dhash-max", required_argument, NULL, 'D' },
		{ "whash-max", required_argument, NULL, 'W' },
		{ "exact-only", no_argument, NULL, 'x' },
		{ "search", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "rotations", no_argument, NULL, 'R' },
		{ "no-rotations", no_argument, NULL, 'r' },
		{ "html", required_argument, NULL, 'H' },
		{ "trace-pairs", required_argument, NULL, 'T' },
		{ "no-local", no_argument, NULL, 'N' },
		{ "device", required_argument, NULL, 'G' },
		{ "local-min", required_argument, NULL, 'M' },
		{ "keypoints", required_argument, NULL, 'K' },
		{ "kp-cache", required_argument, NULL, 'C' },
		{ "decisions", required_argument, NULL, 'X' },
		TOOL_LONG_THREADS,
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool tl = { .help = help, .col = 22, .flags = TOOL_IN | TOOL_OUT | TOOL_THREADS,
	    .threads = tool_cores() };
	struct dd d = {0};
	struct grp_opts o;
	aderr err = {0};
	int c, status, go = TOOL_GO;
	int device = -1;

	tool_init(argv);
	grp_opts_default(&o);
	d.rotations = o.rotations;
	d.local = o.local;
	d.keypoints = 256;
	d.cache_mb = 256;
	parse_formats(&d, "png,tiff,webp,jpeg,gif");
	d.prefer = calloc((size_t)argc, sizeof(*d.prefer));
	if (d.prefer == NULL) {
		log_err("out of memory");
		return TOOL_ERROR;
	}
	while (go == TOOL_GO && (c = getopt_long(argc, argv, "j:i:o:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strcmp(optarg, "all") == 0)
				o.search = GRP_SEARCH_ALL;
			else if (strcmp(optarg, "index") == 0)
				o.search = GRP_SEARCH_INDEX;
			else
				go = tool_usage("--search: expected all or index, got '%s'", optarg);
			break;
		case 'R': o.rotations = d.rotations = 1; break;
		case 'r': o.rotations = d.rotations = 0; break;
		case 'F':
			if (parse_formats(&d, optarg) < 0)
				go = TOOL_ERROR;
			break;
		case 'H': d.html = optarg; break;
		case 'X':
			/* read now: a bad file stops the run before any input is read */
			if (d.dec == NULL && (d.dec = dec_new()) == NULL) {
				log_err("out of memory");
				go = TOOL_ERROR;
			} else if (dec_load(d.dec, optarg, &err) < 0) {
				log_err("%s", err.msg);
				go = TOOL_ERROR;
			}
			break;
		case 'T': d.trace = optarg; break;
		case 'N': o.local = d.local = 0; break;
		case 'G':
			if (gpu_parse_device(optarg, &device, &err) < 0)
				go = tool_usage("%s", err.msg);
			break;
		case 'M': if (tool_int("--local-min", optarg, 2, 1000, &o.local_min)) go = TOOL_ERROR; break;
		case 'K': if (tool_int("--keypoints", optarg, 2, KP_MAX, &d.keypoints)) go = TOOL_ERROR; break;
		case 'C': if (tool_int("--kp-cache", optarg, 0, 1 << 20, &d.cache_mb)) go = TOOL_ERROR; break;
		case 'm':
			if (strcmp(optarg, "star") == 0)
				o.mode = GRP_MODE_STAR;
			else if (strcmp(optarg, "clique") == 0)
				o.mode = GRP_MODE_CLIQUE;
			else if (strcmp(optarg, "components") == 0)
				o.mode = GRP_MODE_COMPONENTS;
			else
				go = tool_usage("--mode: expected star, clique or components, got '%s'",
				    optarg);
			break;
		case 'k':
			if (grp_parse_keep(&o, optarg, &err) < 0)
				go = tool_usage("%s", err.msg);
			break;
		case 'p':
			if (*optarg == '\0')
				go = tool_usage("--prefer: empty prefix");
			d.prefer[d.nprefer++] = optarg;
			break;
		case 'P': if (tool_int("--phash-max", optarg, 0, 64, &o.phash_max)) go = TOOL_ERROR; break;
		case 'D': if (tool_int("--dhash-max", optarg, 0, 64, &o.dhash_max)) go = TOOL_ERROR; break;
		case 'W': if (tool_int("--whash-max", optarg, 0, 64, &o.whash_max)) go = TOOL_ERROR; break;
		case 'x': o.exact_only = 1; break;
		default: go = tool_opt(&tl, c, optarg); break;
		}
	}
	if (go == TOOL_GO && tool_operands(argc, argv, 0) != TOOL_OK)
		go = TOOL_ERROR;
	if (go != TOOL_GO) {
		free(d.prefer);
		dec_free(d.dec);
		return go;
	}
	o.threads = tl.threads;
	status = run(&d, &o, device, tl.in, tl.out, tl.quiet);
	free(d.prefer);
	dec_free(d.dec);
	return status;
}
