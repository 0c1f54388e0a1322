/* featprof.c — where featx's time goes: each file read into memory once, then its
 * features computed as featx computes them (feat_buffer, one thread, the same options)
 * REPEAT times with the stage clock of featprof.h on, the record turned into its line of
 * JSON each time; then the JPEG decode floor in the same process (libjpeg-turbo at 1/8
 * DCT scale to gray, as `djpeg -scale 1/8 -grayscale` decodes) on the same files, REPEAT
 * times too.  Times are the thread's CPU time, and of the repeats the one with the least
 * total counts (the machine may be shared).  Prints, for tests/bench/featx_stages.sh,
 * milliseconds per image for each stage, the total, the floor and the ratio, one a line:
 *
 *   featprof [-r REPEAT] [--local K] LABEL FILE...
 *
 * Exit 1 when a file cannot be read or decoded. */
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <jpeglib.h>

#include "featprof.h"
#include "features.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n)) != NULL && fread(b, 1, (size_t)n, fp) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b != NULL)
		*len = (size_t)n;
	fclose(fp);
	return b;
}

/* libjpeg-turbo at 1/8 to gray, rows thrown away: 0, or -1 when not a JPEG. */
static int floor_decode(const unsigned char *buf, size_t len)
{
	struct jpeg_decompress_struct c;
	struct jpeg_error_mgr je;
	unsigned char *row;

	if (len < 3 || buf[0] != 0xff || buf[1] != 0xd8)
		return -1;
	c.err = jpeg_std_error(&je);
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, buf, (unsigned long)len);
	jpeg_read_header(&c, TRUE);
	c.scale_num = 1;
	c.scale_denom = 8;
	c.out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(&c);
	row = malloc((size_t)c.output_width * (size_t)c.output_components);
	while (row != NULL && c.output_scanline < c.output_height)
		jpeg_read_scanlines(&c, &row, 1);
	free(row);
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	return 0;
}

int main(int argc, char **argv)
{
	struct feat_opts fo;
	struct fprof p = {0};
	int repeat = 3, i = 1, nfiles, njpeg = 0;
	unsigned char **bufs;
	size_t *lens;
	const char *label;
	double total = 0, t0, floor_ms = 0;

#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 8 << 20);     /* as featx sets it */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	feat_opts_default(&fo);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (strcmp(argv[i], "--local") == 0 && i + 1 < argc)
			fo.local = atoi(argv[++i]);
		else
			break;
	}
	if (argc - i < 2 || repeat < 1) {
		fprintf(stderr, "usage: featprof [-r REPEAT] [--local K] LABEL FILE...\n");
		return 2;
	}
	label = argv[i++];
	nfiles = argc - i;
	bufs = calloc((size_t)nfiles, sizeof *bufs);
	lens = calloc((size_t)nfiles, sizeof *lens);
	if (bufs == NULL || lens == NULL)
		return 1;
	for (int k = 0; k < nfiles; k++)
		if ((bufs[k] = slurp(argv[i + k], &lens[k])) == NULL) {
			fprintf(stderr, "featprof: %s: cannot read\n", argv[i + k]);
			return 1;
		}
	/* the best of the repeats (the machine may be shared): the one with the least total */
	for (int r = 0; r < repeat; r++) {
		struct fprof pr;
		double tot = 0;

		memset(&pr, 0, sizeof pr);
		for (int k = 0; k < nfiles; k++) {
			struct feat f;
			aderr err = {0};
			json_t *rec;
			char *text;

			t0 = now_ms();
			fprof_begin(&pr);
			if (feat_buffer(bufs[k], lens[k], &fo, &f, &err) < 0) {
				fprof_end();
				fprintf(stderr, "featprof: %s: %s\n", argv[i + k], err.msg);
				return 1;
			}
			fprof_lap(FP_OTHER);
			rec = json_pack("{s:s}", "name", argv[i + k]);
			if (rec == NULL || feat_to_json(&f, rec) < 0 ||
			    (text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
				fprintf(stderr, "featprof: out of memory\n");
				return 1;
			}
			free(text);
			json_decref(rec);
			feat_clear(&f);
			fprof_lap(FP_JSON);
			fprof_end();
			tot += now_ms() - t0;
		}
		if (r == 0 || tot < total) {
			total = tot;
			p = pr;
		}
	}
	for (int r = 0; r < repeat; r++) {
		double fl = 0;

		njpeg = 0;
		for (int k = 0; k < nfiles; k++) {
			t0 = now_ms();
			if (floor_decode(bufs[k], lens[k]) == 0) {
				fl += now_ms() - t0;
				njpeg++;
			}
		}
		if (r == 0 || fl < floor_ms)
			floor_ms = fl;
	}
	{
		double n = nfiles;

		printf("%s: %d files, best of %d, CPU ms per image\n", label, nfiles, repeat);
		for (int s = 0; s < FP_NSTAGES; s++)
			if (p.n[s] > 0)
				printf("  %-14s %8.3f  %5.1f%%\n", fprof_name(s), p.ns[s] / 1e6 / n,
				    100 * p.ns[s] / 1e6 / total);
		printf("  %-14s %8.3f\n", "total", total / n);
		if (njpeg == nfiles)
			printf("  %-14s %8.3f  (libjpeg 1/8 gray, in process): featx is %.2fx\n",
			    "jpeg floor", floor_ms / n, total / floor_ms);
	}
	for (int k = 0; k < nfiles; k++)
		free(bufs[k]);
	free(bufs);
	free(lens);
	return 0;
}
