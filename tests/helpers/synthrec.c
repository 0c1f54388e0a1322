/* synthrec.c — synthetic feature records for the dedupe scale bench (tests/bench/run.sh).
 *
 *   synthrec N [K [FLIP [ROT]]]
 *
 * N records on standard output, as featx writes them: random hashes and checksums, and
 * planted duplicates whose count dedupe must find again:
 *   - every tenth record (i % 10 == 9) is a near twin of the one before: two bits off in
 *     each hash;
 *   - with K > 0, every record has K keypoints in "local" (kp_pack, base64) at random
 *     places with random descriptors, and every record with i % 10 == 5 is a crop of the
 *     one before: its own random hashes (so only the keypoints can tie them), and the
 *     first one's keypoints as a centred crop of 80% shows them (scaled by 1.25 back to
 *     the working size), each descriptor with FLIP of its bits turned (default 0.10),
 *     plus a fifth of new keypoints of its own;
 *   - with ROT 1, every record has "phash_orientations" (random turned forms, the first
 *     its phash; a near twin's two bits off its original's), and every record with
 *     i % 10 == 7 is the one before turned: its phash and whash are the turned forms of
 *     that record's (orientation 2 to 8 at random, one bit off), and its own form turned
 *     back is the record before's phash.
 * Without ROT the records are the same as before it existed.
 * The generator is seeded: the same arguments give the same records. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hash.h"
#include "keypoints.h"
#include "splitmix.h"

static uint64_t seed = 0x5eed5eedULL;

static uint64_t rnd(void)
{
	return splitmix64(&seed);
}

static double unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static void random_kp(struct kp *k, int w, int h)
{
	k->x = (float)(unit() * (w - 1));
	k->y = (float)(unit() * (h - 1));
	k->level = (uint8_t)(rnd() % 4);
	k->angle = (uint8_t)rnd();
	for (int b = 0; b < 32; b++)
		k->d[b] = (uint8_t)rnd();
	k->response = 0;
}

/* base: a fresh image's keypoints; crop: base seen through a centred 80% window. */
static void make_set(struct kp_set *s, const struct kp_set *base, int K, double flip)
{
	int w = 320, h = 427, n = 0;

	s->w = w;
	s->h = h;
	s->n = 0;
	if (base != NULL) {
		double cx = base->w * 0.1, cy = base->h * 0.1, sc = 1.25;

		for (int i = 0; i < base->n && n < K; i++) {
			const struct kp *b = &base->kp[i];
			double x = (b->x - cx) * sc, y = (b->y - cy) * sc;

			if (x < 0 || y < 0 || x > w - 1 || y > h - 1)
				continue;
			s->kp[n] = *b;
			s->kp[n].x = (float)x;
			s->kp[n].y = (float)y;
			for (int bit = 0; bit < 256; bit++)
				if (unit() < flip)
					s->kp[n].d[bit >> 3] ^= (uint8_t)(1u << (bit & 7));
			n++;
		}
		/* new corners the crop shows at its own scale: a fifth of the set */
		if (n > K - K / 5)
			n = K - K / 5;
	}
	for (; n < K; n++)
		random_kp(&s->kp[n], w, h);
	s->n = n;
}

static void hex64(char *out, uint64_t v)
{
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	int K = argc > 2 ? atoi(argv[2]) : 0;
	double flip = argc > 3 ? atof(argv[3]) : 0.10;
	int rot = argc > 4 ? atoi(argv[4]) : 0;
	static const int inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };
	struct kp_set cur = {0}, prev = {0};
	uint64_t ph = 0, dh = 0, wh = 0, ph8[8] = {0};
	char *b64 = NULL;
	size_t b64cap = 0;

	if (n < 1 || K < 0 || K > KP_MAX || flip < 0 || flip > 1 || rot < 0 || rot > 1) {
		fprintf(stderr, "usage: synthrec N [K [FLIP [ROT]]]  (K 0 to %d, FLIP 0 to 1, "
		    "ROT 0 or 1)\n", KP_MAX);
		return 2;
	}
	if (K > 0 && ((cur.kp = calloc((size_t)K, sizeof *cur.kp)) == NULL ||
	    (prev.kp = calloc((size_t)K, sizeof *prev.kp)) == NULL)) {
		fprintf(stderr, "synthrec: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		char p[17], d[17], w[17], sha[65];
		uint64_t pwh = wh;

		if (i % 10 == 9) {
			ph ^= 1ULL << (rnd() % 64) ^ 1ULL << (rnd() % 64);
			dh ^= 1ULL << (rnd() % 64) ^ 1ULL << (rnd() % 64);
			wh ^= 1ULL << (rnd() % 64) ^ 1ULL << (rnd() % 64);
		} else {
			ph = rnd();
			dh = rnd();
			wh = rnd();
		}
		if (rot && i % 10 == 9) {
			for (int k = 1; k < 8; k++)
				ph8[k] ^= 1ULL << (rnd() % 64) ^ 1ULL << (rnd() % 64);
		} else if (rot && i % 10 == 7) {
			int t = 2 + (int)(rnd() % 7);
			uint64_t was = ph8[0];

			ph = ph8[t - 1] ^ 1ULL << (rnd() % 64);
			wh = hash_grid_orient(pwh, t) ^ 1ULL << (rnd() % 64);
			for (int k = 1; k < 8; k++)
				ph8[k] = rnd();
			ph8[inverse[t] - 1] = was;
		} else if (rot) {
			for (int k = 1; k < 8; k++)
				ph8[k] = rnd();
		}
		ph8[0] = ph;
		hex64(p, ph);
		hex64(d, dh);
		hex64(w, wh);
		for (int k = 0; k < 4; k++)
			hex64(sha + 16 * k, rnd());
		printf("{\"name\":\"s/%08ld.jpg\",\"size\":%ld,\"sha256\":\"%s\",\"phash\":\"%s\","
		    "\"dhash\":\"%s\",\"whash\":\"%s\",\"width\":320,\"height\":427", i, 1000 + i,
		    sha, p, d, w);
		if (K > 0) {
			unsigned char *packed;
			size_t len, need;
			struct kp_set t;

			make_set(&cur, i % 10 == 5 ? &prev : NULL, K, flip);
			if ((packed = kp_pack(&cur, &len)) == NULL) {
				fprintf(stderr, "synthrec: out of memory\n");
				return 1;
			}
			need = (len + 2) / 3 * 4 + 1;
			if (need > b64cap) {
				free(b64);
				if ((b64 = malloc(need)) == NULL) {
					fprintf(stderr, "synthrec: out of memory\n");
					return 1;
				}
				b64cap = need;
			}
			EVP_EncodeBlock((unsigned char *)b64, packed, (int)len);
			free(packed);
			printf(",\"local\":\"%s\"", b64);
			t = prev;
			prev = cur;
			cur = t;
		}
		for (int k = 0; rot && k < 8; k++) {
			char v[17];

			hex64(v, ph8[k]);
			printf("%s\"%s\"", k == 0 ? ",\"phash_orientations\":[" : ",", v);
		}
		printf("%s}\n", rot ? "]" : "");
	}
	free(b64);
	free(cur.kp);
	free(prev.kp);
	return ferror(stdout) || fflush(stdout) != 0;
}
