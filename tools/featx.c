/* featx — fingerprint each image: checksum, size, perceptual hashes. */
#include <getopt.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "featmemo.h"
#include "features.h"
#include "filter.h"
#include "http.h"
#include "log.h"
#include "membudget.h"
#include "readroots.h"
#include "rec.h"
#include "recstor.h"
#include "storage.h"
#include "tool.h"

struct fx {
	struct feat_opts fo;
	read_roots *roots;  /* where a record's file may be read from */
	char spec[64];      /* feat_spec of fo, stamped on each record */
	stor_pool *sources; /* the containers records without a path are read from */
	atomic_long read;   /* images read from their source (no local copy) */
};

/* What the threads' decodes may hold at once: a progressive JPEG at the pixel limit
 * (1e8 pixels, 4:2:0) keeps 300 MB of coefficients and fits with room beside it for the
 * other threads' ordinary photos, while -j 4 on files that each claim the most they
 * may stays near half a gigabyte instead of four times one of them. */
#define FX_MAX_MEMORY ((size_t)512 << 20)

/* The features kept to answer byte-identical files from (--memo): an entry of a photo
 * with its default 256 keypoints takes about 12 KB, so some 5,000 contents, more than
 * lie between the copies of a file in the same or a sibling folder. */
#define FX_MEMO ((size_t)64 << 20)

static const char help[] =
    "usage: featx [-q] [-j N] [--device DEV] [--order input|completion] [--local K]\n"
    "             [--thumb N] [--max-pixels N] [--max-bytes N] [--max-memory SIZE]\n"
    "             [--memo SIZE] [-i FILE] [-o FILE]\n"
    "       featx [--local K] [--thumb N] --spec\n"
    "Read records (from azls or azget), decode each image (JPEG, PNG, WebP, GIF, TIFF, HEIC,\n"
    "AVIF, told apart by their bytes) and add its features: format, width, height, sha256,\n"
    "phash, dhash, whash, phash_orientations, color, local, and feat_spec: the feature\n"
    "version and the options they were made with.  An image that cannot be decoded\n"
    "gets an error object and is passed on.  A record without a \"path\" is read\n"
    "from its source (\"src\" and \"name\": a folder, or a container read into memory,\n"
    "checked as azget checks it), never copied to disk.\n\n"
    "  -j, --threads N     decode N images at once (default: the number of cores)\n"
    "      --device DEV    cpu (default), or cuda[:N]: hash on CUDA GPU N while the\n"
    "                      threads decode (one featx per GPU, each on a shard)\n"
    "      --order ORDER   input (default): records leave in the order they came;\n"
    "                      completion: as soon as each is done\n"
    "      --local K       keep up to K keypoints with descriptors (default 256;\n"
    "                      0: hashes only, for dedupe without crop matching)\n"
    "      --thumb N       add \"thumb\": a JPEG at most N pixels wide and high, as a\n"
    "                      data: URI, for the visual report of dedupe (8 to 1024)\n"
    "      --max-pixels N  refuse images with more than N pixels (default 100000000)\n"
    "      --max-bytes N   refuse files larger than N bytes (default 536870912)\n"
    "      --read-under DIR  read records' files only under DIR (may be repeated;\n"
    "                      adds to AZDEDUP_READ_ROOTS)\n"
    "      --spec          print the feat_spec these options give and exit (for\n"
    "                      featstore has --spec)\n"
    "      --max-memory SIZE  what the threads' decodes may hold at once (K, M, G;\n"
    "                      default 512M): a decode waits for room, and an image that\n"
    "                      needs more than SIZE alone gets a too_large error;\n"
    "                      images read from a container hold their bytes in it too\n"
    "      --memo SIZE     keep the features of up to SIZE of the latest contents\n"
    "                      (default 64M; 0: none): a file whose bytes equal one of\n"
    "                      theirs (same SHA-256) takes their features, not decoded again\n"
    HTTP_OPTS_HELP;

/* The features of a blob read into memory: its room is taken from the budget before a
 * byte is fetched, so the images in flight never hold more than --max-memory. */
static int fx_remote(struct fx *fx, stor *s, const json_t *rec, const char *name,
    struct feat *ft, aderr *err)
{
	struct mb_hold h = { fx->fo.mem, 0, 0 };
	struct stor_entry e;
	unsigned char *buf;
	int rc;

	memset(ft, 0, sizeof *ft);
	if (rec_stor_entry(rec, &e, 0) == NULL && (rc = stor_stat(s, name, &e, err)) < 0)
		return rc;
	if (e.size == 0)
		return aderr_set(err, AD_EEMPTY, "empty file");
	if (fx->fo.max_bytes > 0 && e.size > fx->fo.max_bytes)
		return aderr_set(err, AD_ETOOBIG, "too large: %lld bytes is over the %lld limit "
		    "(--max-bytes)", e.size, fx->fo.max_bytes);
	if ((unsigned long long)e.size > SIZE_MAX)
		return aderr_set(err, AD_ETOOBIG, "too large: %lld bytes", e.size);
	if ((rc = membudget_hold(&h, (size_t)e.size, err)) < 0)
		return rc;
	if ((buf = malloc((size_t)e.size)) == NULL) {
		membudget_release(&h);
		return aderr_set(err, AD_ENOMEM, "out of memory reading %lld bytes", e.size);
	}
	rc = stor_read(s, name, &e, buf, err);
	if (rc == 0) {
		fx->read++;
		rc = feat_buffer_held(buf, (size_t)e.size, &fx->fo, &h, ft, err);
	}
	free(buf);
	membudget_release(&h);
	return rc;
}

static int fx_one(void *ud, json_t *rec, aderr *err)
{
	struct fx *fx = ud;
	const char *name = rec_name(rec), *path = rec_str(rec, "path"), *src;
	char *built = NULL;
	stor *s = NULL;
	struct feat ft;
	int rc;

	if (path == NULL && (src = rec_str(rec, "src")) != NULL && name != NULL) {
		if (!stor_name_ok(name, err)) {
			rc = err->code;
			goto done;
		}
		if (strstr(src, "://") != NULL) {
			if ((s = stor_pool_get(fx->sources, src, 0, err)) == NULL) {
				rc = err->code;
				goto done;
			}
			if (strcmp(stor_kind(s), "local") != 0) {
				rc = fx_remote(fx, s, rec, name, &ft, err);
				goto done;
			}
			src = stor_root(s);   /* a file:// URL: the folder it names */
		}
		/* a local source needs no azget: read the file where it is */
		if (asprintf(&built, "%s/%s", src, name) < 0)
			built = NULL;
		path = built;
		if (path != NULL)
			fx->read++;
	}
	if (path == NULL) {
		aderr_set(err, AD_ENOENT, "record has no local path and no src to read from");
		rc = err->code;
	} else if ((rc = rr_check(fx->roots, path, err)) == 0) {
		rc = feat_file(path, &fx->fo, &ft, err);
	}
done:
	free(built);
	if (name == NULL)
		name = "(no name)";
	if (rc < 0) {
		/* credentials refused, a missing container: every record would fail the same way */
		if (aderr_fatal(rc))
			return rc;
		log_err("%s: %s", name, err->msg);
		rec_set_error(rec, "featx", aderr_name(err->code), err->msg);
		return FILTER_FAILED;
	}
	if (feat_to_json(&ft, rec) < 0 || rec_set_str(rec, "feat_spec", fx->spec) < 0) {
		feat_clear(&ft);
		aderr_set(err, AD_ENOMEM, "out of memory");
		return AD_ENOMEM;
	}
	feat_clear(&ft);
	return FILTER_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-pixels", required_argument, NULL, 'P' },
		{ "thumb", required_argument, NULL, 'T' },
		{ "local", required_argument, NULL, 'L' },
		{ "device", required_argument, NULL, 'G' },
		{ "order", required_argument, NULL, 'O' },
		{ "max-bytes", required_argument, NULL, 'B' },
		RR_LONG_OPTS,
		HTTP_LONG_OPTS,
		{ "spec", no_argument, NULL, 'S' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "memo", required_argument, NULL, 'm' },
		TOOL_LONG_THREADS,
		TOOL_LONG_IN,
		TOOL_LONG_OUT,
		TOOL_LONG_OPTS
	};
	struct tool t = { .help = help, .col = 22, .flags = TOOL_IN | TOOL_OUT | TOOL_THREADS,
	    .more = { rr_parse_opt, http_parse_opt }, .threads = tool_cores() };
	struct fx fx = {0};
	struct filter f = { .each = fx_one, .ud = &fx };
	unsigned long long v;
	size_t maxmem = FX_MAX_MEMORY, memo = FX_MEMO;
	struct feat_memo_stats ms;
	char memonote[96] = "";
	aderr err = {0};
	struct gpu *gpu = NULL;
	int c, rc, device = -1, spec = 0;

	tool_init(argv);
#ifdef __GLIBC__
	/* a decode's buffers and the keypoints' levels (up to a few MB) reused from the heap
	 * instead of each taken from and given back to the kernel, page by page faulted in
	 * (150 faults an image down to 20); bigger ones, the budget's business, still go
	 * straight back */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	feat_opts_default(&fx.fo);
	if ((fx.roots = rr_tool(&err)) == NULL) {
		log_err("AZDEDUP_READ_ROOTS: %s", err.msg);
		return TOOL_ERROR;
	}
	while ((c = getopt_long(argc, argv, "j:i:o:" TOOL_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (tool_count("--max-pixels", optarg, 1, ULLONG_MAX, &v))
				return TOOL_ERROR;
			fx.fo.max_pixels = v;
			break;
		case 'B':
			if (tool_count("--max-bytes", optarg, 1, LLONG_MAX, &v))
				return TOOL_ERROR;
			fx.fo.max_bytes = (long long)v;
			break;
		case 'T':
			if (tool_int("--thumb", optarg, 8, 1024, &fx.fo.thumb))
				return TOOL_ERROR;
			break;
		case 'L':
			if (tool_int("--local", optarg, 0, KP_MAX, &fx.fo.local))
				return TOOL_ERROR;
			break;
		case 'G':
			if (gpu_parse_device(optarg, &device, &err) < 0)
				return tool_usage("%s", err.msg);
			break;
		case 'O':
			if (strcmp(optarg, "input") != 0 && strcmp(optarg, "completion") != 0)
				return tool_usage("--order: expected input or completion, got '%s'",
				    optarg);
			f.unordered = strcmp(optarg, "completion") == 0;
			break;
		case 'M':
			if (tool_size("--max-memory", optarg, &maxmem))
				return TOOL_ERROR;
			break;
		case 'm':
			if (strcmp(optarg, "0") == 0)
				memo = 0;
			else if (tool_size("--memo", optarg, &memo))
				return TOOL_ERROR;
			break;
		case 'S': spec = 1; break;
		default:
			if ((rc = tool_opt(&t, c, optarg)) != TOOL_GO)
				return rc;
		}
	}
	if ((rc = tool_operands(argc, argv, 0)) != TOOL_OK)
		return rc;
	tool_filter(&t, &f);
	feat_spec(&fx.fo, fx.spec, sizeof fx.spec);
	if (spec) {
		printf("%s\n", fx.spec);
		return 0;
	}
	if ((fx.fo.mem = membudget_new(maxmem)) == NULL) {
		log_err("out of memory");
		return TOOL_ERROR;
	}
	if (memo > 0 && (fx.fo.memo = feat_memo_new(memo)) == NULL) {
		log_err("out of memory");
		membudget_free(fx.fo.mem);
		return TOOL_ERROR;
	}
	if (device >= 0 && (gpu_open(device, &gpu, &err) < 0 ||
	    gpu_batcher_new(gpu, 0, 0, &fx.fo.gpu, &err) < 0)) {
		log_err("--device cuda:%d: %s", device, err.msg);
		gpu_close(gpu);
		feat_memo_free(fx.fo.memo);
		membudget_free(fx.fo.mem);
		return TOOL_ERROR;
	}
	if ((fx.sources = stor_pool_new()) == NULL) {
		log_err("out of memory");
		gpu_batcher_free(fx.fo.gpu);
		gpu_close(gpu);
		feat_memo_free(fx.fo.memo);
		membudget_free(fx.fo.mem);
		return TOOL_ERROR;
	}
	rc = filter_run(&f, log_prog(), &err);
	stor_pool_free(fx.sources);
	if (fx.fo.gpu != NULL)
		gpu_batcher_free(fx.fo.gpu);
	gpu_close(gpu);
	feat_memo_stats(fx.fo.memo, &ms);
	feat_memo_free(fx.fo.memo);
	membudget_free(fx.fo.mem);
	if (ms.hits > 0)
		snprintf(memonote, sizeof memonote, "; %llu the same bytes as an earlier image "
		    "(not decoded again)", (unsigned long long)ms.hits);
	if (rc < 0) {
		log_err("%s", err.msg);
		return TOOL_ERROR;
	}
	progress_done(&f.progress, "%ld images fingerprinted, %ld failed, %ld failed "
	    "upstream; %ld read from their source%s%s%s", f.records - f.failed - f.upstream,
	    f.failed, f.upstream, atomic_load(&fx.read), http_received_note(),
	    http_retry_note(), memonote);
	return filter_status(&f);
}
