/* featx — fingerprint each image: checksum, size, perceptual hashes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "features.h"
#include "filter.h"
#include "log.h"
#include "membudget.h"
#include "readroots.h"
#include "rec.h"
#include "version.h"

struct fx {
	struct feat_opts fo;
	read_roots *roots;  /* where a record's file may be read from */
	char spec[64];      /* feat_spec of fo, stamped on each record */
};

/* What the threads' decodes may hold at once: a progressive JPEG at the pixel limit
 * (1e8 pixels, 4:2:0) keeps 300 MB of coefficients and fits with room beside it for the
 * other threads' ordinary photos, while -j 4 on files that each claim the most they
 * may stays near half a gigabyte instead of four times one of them. */
#define FX_MAX_MEMORY ((size_t)512 << 20)

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: featx [-q] [-j N] [--device DEV] [--order input|completion] [--local K]\n"
	    "             [--thumb N] [--max-pixels N] [--max-bytes N] [--max-memory SIZE]\n"
	    "             [-i FILE] [-o FILE]\n"
	    "       featx [--local K] [--thumb N] --spec\n"
	    "Read records (from azget), decode each image (JPEG, PNG, WebP, GIF, TIFF, HEIC,\n"
	    "AVIF, told apart by their bytes) and add its features: format, width, height, sha256,\n"
	    "phash, dhash, whash, phash_orientations, color, local, and feat_spec: the feature\n"
	    "version and the options they were made with.  An image that cannot be decoded\n"
	    "gets an error object and is passed on.\n\n"
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
	    "                      needs more than SIZE alone gets a too_large error\n"
	    "  -i, --input FILE    read FILE instead of standard input\n"
	    "  -o, --output FILE   write to FILE atomically instead of standard output\n"
	    "  -q, --quiet         no progress line or summary\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       print the version\n");
}

static int fx_one(void *ud, json_t *rec, aderr *err)
{
	struct fx *fx = ud;
	const char *name = rec_name(rec), *path = rec_str(rec, "path"), *src;
	char *built = NULL;
	struct feat ft;
	int rc;

	if (name == NULL)
		name = "(no name)";
	if (path == NULL && (src = rec_str(rec, "src")) != NULL && strstr(src, "://") == NULL &&
	    rec_name(rec) != NULL) {
		/* a local source needs no azget: read the file where it is */
		if (asprintf(&built, "%s/%s", src, name) < 0)
			built = NULL;
		path = built;
	}
	if (path == NULL) {
		aderr_set(err, AD_ENOENT, "record has no local path (run azget first)");
		rc = err->code;
	} else if ((rc = rr_check(fx->roots, path, err)) == 0) {
		rc = feat_file(path, &fx->fo, &ft, err);
	}
	free(built);
	if (rc < 0) {
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

static int parse_count(const char *opt, const char *s, unsigned long long *out)
{
	char *end;
	double v = strtod(s, &end);

	/* accept 1e8 and plain integers */
	if (end == s || *end != '\0' || v < 1) {
		log_err("%s: expected a positive number, got '%s'", opt, s);
		return -1;
	}
	*out = (unsigned long long)v;
	return 0;
}

/* the read folders, freed at exit (main returns from many places) */
static read_roots *roots;

static void free_roots(void)
{
	rr_free(roots);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 'j' },
		{ "max-pixels", required_argument, NULL, 'P' },
		{ "thumb", required_argument, NULL, 'T' },
		{ "local", required_argument, NULL, 'L' },
		{ "device", required_argument, NULL, 'G' },
		{ "order", required_argument, NULL, 'O' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "read-under", required_argument, NULL, 'R' },
		{ "spec", no_argument, NULL, 'S' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct fx fx = {0};
	struct filter f = { .each = fx_one, .ud = &fx };
	unsigned long long v;
	size_t maxmem = FX_MAX_MEMORY;
	aderr err = {0};
	struct gpu *gpu = NULL;
	int c, rc, device = -1, spec = 0;

	log_init(argv[0]);
	feat_opts_default(&fx.fo);
	fx.roots = roots = rr_new();
	atexit(free_roots);
	if (fx.roots == NULL || rr_add_env(fx.roots, &err) < 0) {
		log_err("AZDEDUP_READ_ROOTS: %s", fx.roots ? err.msg : "out of memory");
		return 2;
	}
	f.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (f.threads < 1)
		f.threads = 1;
	if (f.threads > 64)
		f.threads = 64;
	while ((c = getopt_long(argc, argv, "j:i:o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (parse_count("--max-pixels", optarg, &v) < 0)
				return 2;
			fx.fo.max_pixels = v;
			break;
		case 'T':
			if (parse_count("--thumb", optarg, &v) < 0 || v < 8 || v > 1024) {
				log_err("--thumb: expected 8 to 1024 pixels, got '%s'", optarg);
				return 2;
			}
			fx.fo.thumb = (int)v;
			break;
		case 'L':
			if (strcmp(optarg, "0") == 0) {
				fx.fo.local = 0;
				break;
			}
			if (parse_count("--local", optarg, &v) < 0 || v > KP_MAX) {
				log_err("--local: expected 0 to %d keypoints, got '%s'", KP_MAX, optarg);
				return 2;
			}
			fx.fo.local = (int)v;
			break;
		case 'G':
			if (gpu_parse_device(optarg, &device, &err) < 0) {
				log_err("%s", err.msg);
				return 2;
			}
			break;
		case 'O':
			if (strcmp(optarg, "input") == 0) {
				f.unordered = 0;
			} else if (strcmp(optarg, "completion") == 0) {
				f.unordered = 1;
			} else {
				log_err("--order: expected input or completion, got '%s'", optarg);
				return 2;
			}
			break;
		case 'B':
			if (parse_count("--max-bytes", optarg, &v) < 0)
				return 2;
			fx.fo.max_bytes = (long long)v;
			break;
		case 'R':
			if (rr_add(fx.roots, optarg, &err) < 0) {
				log_err("--read-under: %s", err.msg);
				return 2;
			}
			break;
		case 'M':
			if (membudget_parse_size(optarg, &maxmem) < 0) {
				log_err("--max-memory: expected a size such as 512M or 2G, got '%s'",
				    optarg);
				return 2;
			}
			break;
		case 'j':
			if (parse_count("--threads", optarg, &v) < 0)
				return 2;
			if (v > 64) {
				log_err("--threads: at most 64, got %llu", v);
				return 2;
			}
			f.threads = (int)v;
			break;
		case 'S': spec = 1; break;
		case 'i': f.in = optarg; break;
		case 'o': f.out = optarg; break;
		case 'q': f.quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("featx (azdedup) %s\n", AZDEDUP_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	feat_spec(&fx.fo, fx.spec, sizeof fx.spec);
	if (spec) {
		printf("%s\n", fx.spec);
		return 0;
	}
	if ((fx.fo.mem = membudget_new(maxmem)) == NULL) {
		log_err("out of memory");
		return 2;
	}
	if (device >= 0 && (gpu_open(device, &gpu, &err) < 0 ||
	    gpu_batcher_new(gpu, 0, 0, &fx.fo.gpu, &err) < 0)) {
		log_err("--device cuda:%d: %s", device, err.msg);
		gpu_close(gpu);
		membudget_free(fx.fo.mem);
		return 2;
	}
	rc = filter_run(&f, log_prog(), &err);
	if (fx.fo.gpu != NULL)
		gpu_batcher_free(fx.fo.gpu);
	gpu_close(gpu);
	membudget_free(fx.fo.mem);
	if (rc < 0) {
		log_err("%s", err.msg);
		return 2;
	}
	progress_done(&f.progress, "%ld images fingerprinted, %ld failed, %ld failed upstream",
	    f.records - f.failed - f.upstream, f.failed, f.upstream);
	return filter_status(&f);
}
