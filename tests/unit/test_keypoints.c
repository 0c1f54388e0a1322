/* test_keypoints.c — keypoints on the example photos: deterministic, packed and back,
 * matched under rotation, crop, rescaling and (through kp_mirror) mirroring, and not
 * matched between different photos. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "features.h"
#include "keypoints.h"
#include "unit.h"

#define MAXP 32

static struct img *load_gray(const char *path)
{
	struct img *im = NULL;
	aderr err = {0};

	return feat_work_gray(path, &im, &err) == 0 ? im : NULL;
}

/* The centre (1 - frac) of the image in each direction, shifted by (sx, sy) of the
 * margin (-1..1). */
static struct img *crop(const struct img *im, double frac, double sx, double sy)
{
	int w = (int)(im->w * (1 - frac)), h = (int)(im->h * (1 - frac));
	int x0 = (int)((im->w - w) / 2.0 * (1 + sx)), y0 = (int)((im->h - h) / 2.0 * (1 + sy));
	struct img *out = img_new(w, h, 1);

	if (out != NULL)
		for (int y = 0; y < h; y++)
			memcpy(out->px + (size_t)y * w, im->px + (size_t)(y + y0) * im->w + x0, (size_t)w);
	return out;
}

/* Matches a against the keypoints of image b; *bw gets b's level-0 width. */
static int inliers(const struct kp_set *a, const struct img *b, struct kp_match *m, int *bw)
{
	struct kp_set sb;

	memset(m, 0, sizeof *m);
	if (b == NULL || kp_detect(b, KP_DEFAULT, &sb) < 0)
		return -1;
	if (bw != NULL)
		*bw = sb.w;
	if (kp_match(a, &sb, m) < 0)
		m->inliers = -1;
	kp_free(&sb);
	return m->inliers;
}

int main(void)
{
	struct kp_set set[MAXP];
	char names[MAXP][256];
	int np = 0, worst_distinct = 0;
	DIR *d = opendir("examples/photos");
	struct dirent *e;

	CHECK(d != NULL);
	while (d != NULL && (e = readdir(d)) != NULL && np < MAXP) {
		char path[512];
		struct img *im, *t;
		struct kp_set again, back;
		unsigned char *packed;
		size_t plen = 0;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".txt") || strstr(e->d_name, ".md") ||
		    strcmp(e->d_name, "CREDITS") == 0)
			continue;
		snprintf(path, sizeof path, "examples/photos/%s", e->d_name);
		if ((im = load_gray(path)) == NULL)
			continue;
		snprintf(names[np], sizeof names[np], "%s", e->d_name);
		CHECK(kp_detect(im, KP_DEFAULT, &set[np]) == 0);
		CHECK(set[np].n <= KP_DEFAULT);

		/* the same pixels give the same keypoints, and the packing keeps them */
		CHECK(kp_detect(im, KP_DEFAULT, &again) == 0);
		CHECK_EQ_INT(again.n, set[np].n);
		for (int i = 0; i < again.n && i < set[np].n; i++) {
			const struct kp *p = &again.kp[i], *q = &set[np].kp[i];

			if (p->x != q->x || p->y != q->y || p->level != q->level ||
			    p->angle != q->angle || memcmp(p->d, q->d, 32) != 0) {
				CHECK(!"a second detection differs");
				break;
			}
		}
		kp_free(&again);
		packed = kp_pack(&set[np], &plen);
		CHECK(packed != NULL);
		CHECK_EQ_INT(plen, KP_PACKED_HEAD + (size_t)set[np].n * KP_PACKED_SIZE);
		CHECK(packed != NULL && kp_unpack(packed, plen, &back) == 0);
		CHECK_EQ_INT(back.n, set[np].n);
		for (int i = 0; i < back.n && i < set[np].n; i++)
			if (memcmp(back.kp[i].d, set[np].kp[i].d, 32) != 0 ||
			    fabsf(back.kp[i].x - set[np].kp[i].x) > 0.04f ||
			    back.kp[i].angle != set[np].kp[i].angle) {
				CHECK(!"unpacked keypoint differs");
				break;
			}
		kp_free(&back);
		CHECK(packed == NULL || kp_unpack(packed, plen - 1, &back) == -1);
		/* with the picture's detail: version 2, the keypoints as they were, the detail
		 * back as it went in, mirrored by kp_mirror; cut anywhere it is no packing */
		if (packed != NULL) {
			uint8_t det[KP_DETAIL_BYTES];
			unsigned char *v2;
			size_t l2 = 0;
			struct kp_set mir;

			double dm = 0, im_m = 0;

			/* the detail is the picture averaged down: the same mean level */
			CHECK(kp_detail_of(im, KP_DETAIL, det) == 0);
			for (int i = 0; i < KP_DETAIL_BYTES; i++)
				dm += det[i];
			for (size_t i = 0; i < (size_t)im->w * (size_t)im->h; i++)
				im_m += im->px[i];
			CHECK(fabs(dm / KP_DETAIL_BYTES - im_m / ((double)im->w * im->h)) < 2);
			v2 = kp_pack_detail(packed, plen, det, NULL, NULL, NULL, NULL, 0, &l2);
			CHECK(v2 != NULL && l2 == plen + KP_DETAIL_BYTES && v2[0] == 2);
			CHECK(v2 != NULL && kp_packed_count(v2, l2) == set[np].n);
			CHECK(v2 != NULL && kp_packed_head(v2, l2) == KP_PACKED_HEAD + KP_DETAIL_BYTES);
			CHECK(v2 != NULL && kp_unpack(v2, l2, &back) == 0);
			CHECK_EQ_INT(back.n, set[np].n);
			CHECK(back.detail != NULL && memcmp(back.detail, det, sizeof det) == 0);
			for (int i = 0; i < back.n && i < set[np].n; i++)
				if (memcmp(back.kp[i].d, set[np].kp[i].d, 32) != 0) {
					CHECK(!"a keypoint of the version-2 packing differs");
					break;
				}
			CHECK(kp_mirror(&back, &mir) == 0);
			CHECK(back.n == 0 || (mir.detail != NULL && mir.detail[0] == det[KP_DETAIL - 1] &&
			    mir.detail[KP_DETAIL] == det[2 * KP_DETAIL - 1]));
			kp_free(&mir);
			kp_free(&back);
			CHECK(v2 == NULL || kp_unpack(v2, l2 - 1, &back) == -1);
			CHECK(v2 == NULL || kp_packed_count(v2, KP_PACKED_HEAD + 10) == -1);
			CHECK(v2 == NULL || back.alpha == NULL);
			free(v2);
			/* with a shape too: version 3, the detail then the shape, both back as they
			 * went in and mirrored together; the keypoints as they were */
			{
				uint8_t shp[KP_DETAIL_BYTES];
				unsigned char *v3;
				size_t l3 = 0;

				for (int i = 0; i < KP_DETAIL_BYTES; i++)
					shp[i] = (uint8_t)(i * 7 + 3);
				v3 = kp_pack_detail(packed, plen, det, shp, NULL, NULL, NULL, 0, &l3);
				CHECK(v3 != NULL && l3 == plen + 2 * KP_DETAIL_BYTES && v3[0] == 3);
				CHECK(v3 != NULL && kp_packed_count(v3, l3) == set[np].n);
				CHECK(v3 != NULL && kp_packed_head(v3, l3) == KP_PACKED_HEAD + 2 * KP_DETAIL_BYTES);
				CHECK(v3 != NULL && kp_unpack(v3, l3, &back) == 0);
				CHECK_EQ_INT(back.n, set[np].n);
				CHECK(back.detail != NULL && memcmp(back.detail, det, sizeof det) == 0);
				CHECK(back.alpha != NULL && memcmp(back.alpha, shp, sizeof shp) == 0);
				for (int i = 0; i < back.n && i < set[np].n; i++)
					if (memcmp(back.kp[i].d, set[np].kp[i].d, 32) != 0 ||
					    fabsf(back.kp[i].x - set[np].kp[i].x) > 0.04f) {
						CHECK(!"a keypoint of the version-3 packing differs");
						break;
					}
				CHECK(kp_mirror(&back, &mir) == 0);
				CHECK(back.n == 0 || (mir.alpha != NULL && mir.alpha[0] == shp[KP_DETAIL - 1] &&
				    mir.alpha[KP_DETAIL] == shp[2 * KP_DETAIL - 1] &&
				    mir.detail[0] == det[KP_DETAIL - 1]));
				kp_free(&mir);
				kp_free(&back);
				CHECK(v3 == NULL || kp_unpack(v3, l3 - 1, &back) == -1);
				free(v3);
			}
			/* with colours too: version 4 (the detail, then the colours) and version
			 * 5 (the detail, the shape, the colours), and each with the fine detail
			 * after the colours (KP_PACKED_FINE), each grid back as it went in,
			 * mirrored with the others (a cell's two bytes move together and keep
			 * their values); a version past 5, or 1 with the flag, is no packing */
			for (int v = 0; v < 4; v++) {
				int withshape = v & 1, withfine = v >> 1;
				uint8_t shp[KP_DETAIL_BYTES], col[KP_CHROMA_BYTES], fine[KP_FINE_BYTES];
				unsigned char *v4;
				size_t l4 = 0, grids = (withshape ? 2 : 1) * (size_t)KP_DETAIL_BYTES +
				    KP_CHROMA_BYTES + (withfine ? KP_FINE_BYTES : 0);
				double fm = 0, dm2 = 0;

				for (int i = 0; i < KP_DETAIL_BYTES; i++)
					shp[i] = (uint8_t)(i * 7 + 3);
				for (int i = 0; i < KP_CHROMA_BYTES; i++)
					col[i] = (uint8_t)(i * 13 + 5);
				/* the fine detail is the same picture: the same mean level */
				CHECK(kp_detail_of(im, KP_FINE, fine) == 0);
				for (int i = 0; i < KP_FINE_BYTES; i++)
					fm += fine[i];
				for (int i = 0; i < KP_DETAIL_BYTES; i++)
					dm2 += det[i];
				CHECK(fabs(fm / KP_FINE_BYTES - dm2 / KP_DETAIL_BYTES) < 2);
				v4 = kp_pack_detail(packed, plen, det, withshape ? shp : NULL, col,
				    withfine ? fine : NULL, NULL, 0, &l4);
				CHECK(v4 != NULL && l4 == plen + grids &&
				    v4[0] == (withshape ? 5 : 4) + (withfine ? KP_PACKED_FINE : 0));
				CHECK(v4 != NULL && kp_packed_count(v4, l4) == set[np].n);
				CHECK(v4 != NULL && kp_packed_head(v4, l4) == KP_PACKED_HEAD + grids);
				CHECK(v4 != NULL && kp_unpack(v4, l4, &back) == 0);
				CHECK_EQ_INT(back.n, set[np].n);
				CHECK(back.detail != NULL && memcmp(back.detail, det, sizeof det) == 0);
				CHECK(withshape ? back.alpha != NULL && memcmp(back.alpha, shp, sizeof shp) == 0 :
				    back.alpha == NULL);
				CHECK(back.chroma != NULL && memcmp(back.chroma, col, sizeof col) == 0);
				CHECK(withfine ? back.fine != NULL && memcmp(back.fine, fine, sizeof fine) == 0 :
				    back.fine == NULL);
				for (int i = 0; i < back.n && i < set[np].n; i++)
					if (memcmp(back.kp[i].d, set[np].kp[i].d, 32) != 0) {
						CHECK(!"a keypoint of the version-4 or 5 packing differs");
						break;
					}
				CHECK(kp_mirror(&back, &mir) == 0);
				CHECK(back.n == 0 || (mir.chroma != NULL &&
				    mir.chroma[0] == col[2 * (KP_CHROMA - 1)] &&
				    mir.chroma[1] == col[2 * (KP_CHROMA - 1) + 1] &&
				    mir.chroma[2 * KP_CHROMA] == col[2 * (2 * KP_CHROMA - 1)] &&
				    mir.detail[0] == det[KP_DETAIL - 1] &&
				    (!withshape || mir.alpha[0] == shp[KP_DETAIL - 1]) &&
				    (!withfine || (mir.fine[0] == fine[KP_FINE - 1] &&
				    mir.fine[KP_FINE] == fine[2 * KP_FINE - 1]))));
				kp_free(&mir);
				kp_free(&back);
				CHECK(v4 == NULL || kp_unpack(v4, l4 - 1, &back) == -1);
				if (v4 != NULL) {
					v4[0] = withfine ? 1 | KP_PACKED_FINE : 6;
					CHECK(kp_packed_count(v4, l4) == -1);
				}
				free(v4);
			}
			/* with a page's ink too (KP_PACKED_INK): its length and bytes after the
			 * grids, back as they went in, the keypoints after them; the mirror keeps
			 * the bytes and says the grid is to be read turned; a length that runs
			 * past the packing, or none, is no packing, nor is the ink on version 1 */
			{
				uint8_t fine[KP_FINE_BYTES], ink[300];
				unsigned char *v6;
				size_t l6 = 0, head = KP_PACKED_HEAD + KP_DETAIL_BYTES + KP_FINE_BYTES + 4 +
				    sizeof ink;

				memset(fine, 7, sizeof fine);
				for (size_t i = 0; i < sizeof ink; i++)
					ink[i] = (uint8_t)(i * 31 + 1);
				v6 = kp_pack_detail(packed, plen, det, NULL, NULL, fine, ink, sizeof ink, &l6);
				CHECK(v6 != NULL && l6 == plen + head - KP_PACKED_HEAD &&
				    v6[0] == (2 | KP_PACKED_FINE | KP_PACKED_INK));
				CHECK(v6 != NULL && kp_packed_head(v6, l6) == head);
				CHECK(v6 != NULL && kp_packed_count(v6, l6) == set[np].n);
				CHECK(v6 != NULL && kp_unpack(v6, l6, &back) == 0);
				CHECK_EQ_INT(back.n, set[np].n);
				CHECK(back.detail != NULL && memcmp(back.detail, det, sizeof det) == 0);
				CHECK(back.fine != NULL && memcmp(back.fine, fine, sizeof fine) == 0);
				CHECK(back.ink != NULL && back.inklen == sizeof ink &&
				    memcmp(back.ink, ink, sizeof ink) == 0 && !back.ink_mirror);
				for (int i = 0; i < back.n && i < set[np].n; i++)
					if (memcmp(back.kp[i].d, set[np].kp[i].d, 32) != 0) {
						CHECK(!"a keypoint of the packing with ink differs");
						break;
					}
				CHECK(kp_mirror(&back, &mir) == 0);
				CHECK(back.n == 0 || (mir.ink != NULL && mir.inklen == sizeof ink &&
				    memcmp(mir.ink, ink, sizeof ink) == 0 && mir.ink_mirror == 1));
				kp_free(&mir);
				kp_free(&back);
				if (v6 != NULL) {
					size_t at = KP_PACKED_HEAD + KP_DETAIL_BYTES + KP_FINE_BYTES;

					CHECK(kp_packed_head(v6, head - 1) == 0);
					CHECK(kp_packed_count(v6, head - 1) == -1);
					v6[at + 1] = 0x40;      /* a length past the packing */
					CHECK(kp_packed_head(v6, l6) == 0 && kp_unpack(v6, l6, &back) == -1);
					memset(v6 + at, 0, 4);  /* no length at all */
					CHECK(kp_packed_count(v6, l6) == -1);
					v6[0] = 1 | KP_PACKED_INK;
					CHECK(kp_packed_count(v6, l6) == -1);
				}
				free(v6);
			}
		}
		free(packed);

		/* textured photos must match their turned, cropped and shifted copies */
		if (set[np].n >= 128) {
			struct kp_match m90, mc, ms, mr;
			double want = 1;
			int bw = 0;

			t = img_orient(im, 6);
			inliers(&set[np], t, &m90, NULL);
			img_free(t);
			t = crop(im, 0.25, 0, 0);
			inliers(&set[np], t, &mc, &bw);
			if (t != NULL)  /* level 0 shrinks each image to its own size */
				want = ((double)bw / t->w) / ((double)set[np].w / im->w);
			img_free(t);
			t = crop(im, 0.2, 0.8, -0.6);
			inliers(&set[np], t, &ms, NULL);
			img_free(t);
			t = img_resize(im, im->w * 3 / 5, im->h * 3 / 5);
			inliers(&set[np], t, &mr, NULL);
			img_free(t);
			fprintf(stderr, "%-14s %3d kp  rot90 %3d/%3d (%.0f deg)  crop25 %3d/%3d (x%.2f)  "
			    "crop20 off-centre %3d  resize60 %3d\n", e->d_name, set[np].n, m90.inliers,
			    m90.matches, m90.angle_deg, mc.inliers, mc.matches, mc.scale, ms.inliers,
			    mr.inliers);
			CHECK(m90.inliers >= 30);
			CHECK(fabs(fabs(m90.angle_deg) - 90) < 3);
			CHECK(mc.inliers >= 30);
			CHECK(fabs(mc.scale - want) < 0.03 * want);
			CHECK(ms.inliers >= 30);
			CHECK(mr.inliers >= 30);
			/* a crop lies inside its photo on the transform, and the keypoints of the
			 * part they share are mostly found on both; the left and the right 60% of
			 * the photo (two shots that only overlap) share a third of each */
			CHECK(mc.contain >= 0.95);
			/* mirrored: a keypoint found at the mirrored place has kp_mirror's angle
			 * and descriptor (the recipe is symmetric but for rounding at a tie),
			 * and the mirrored set matches the mirrored photo with no turn, while
			 * the set itself does not match it (the photos are not symmetric) */
			t = img_orient(im, 2);
			CHECK(t != NULL);
			if (t != NULL) {
				struct kp_set sm, mir;
				struct kp_match mm, mp;
				int same = 0, exact = 0;

				CHECK(kp_detect(t, KP_DEFAULT, &sm) == 0);
				CHECK(kp_mirror(&set[np], &mir) == 0);
				CHECK_EQ_INT(mir.n, set[np].n);
				for (int i = 0; i < mir.n; i++)
					for (int j = 0; j < sm.n; j++)
						if (fabsf(mir.kp[i].x - sm.kp[j].x) < 0.01f &&
						    fabsf(mir.kp[i].y - sm.kp[j].y) < 0.01f &&
						    mir.kp[i].level == sm.kp[j].level) {
							same++;
							exact += mir.kp[i].angle == sm.kp[j].angle &&
							    kp_distance(mir.kp[i].d, sm.kp[j].d) == 0;
							break;
						}
				CHECK(kp_match(&mir, &sm, &mm) == 0);
				CHECK(kp_match(&set[np], &sm, &mp) == 0);
				fprintf(stderr, "%-14s mirror: %d at mirrored places, %d the same; "
				    "mirrored set %d/%d inliers (%.0f deg, x%.2f), unmirrored %d\n",
				    e->d_name, same, exact, mm.inliers, mm.matches, mm.angle_deg,
				    mm.scale, mp.inliers);
				CHECK(same >= set[np].n / 2);
				CHECK(exact >= same * 9 / 10);
				CHECK(mm.inliers >= 30);
				CHECK(fabs(mm.angle_deg) < 3 && fabs(mm.scale - 1) < 0.03);
				CHECK(mp.inliers < mm.inliers / 2);
				kp_free(&sm);
				kp_free(&mir);
				img_free(t);
			}
			{
				struct img *l = crop(im, 0.4, -1, 0), *r = crop(im, 0.4, 1, 0);
				struct kp_set sl, sr, sc;
				struct kp_match mo, mk;

				t = crop(im, 0.25, 0, 0);
				CHECK(l != NULL && r != NULL && t != NULL);
				if (l != NULL && r != NULL && t != NULL && kp_detect(l, KP_DEFAULT, &sl) == 0) {
					if (kp_detect(r, KP_DEFAULT, &sr) == 0) {
						CHECK(kp_match(&sl, &sr, &mo) == 0);
						fprintf(stderr, "%-14s left/right 60%%: %d inliers, contain %.2f\n",
						    e->d_name, mo.inliers, mo.contain);
						CHECK(mo.inliers == 0 || mo.contain < 0.9);
						kp_free(&sr);
					}
					if (kp_detect(t, KP_DEFAULT, &sc) == 0) {
						CHECK(kp_match(&set[np], &sc, &mk) == 0);
						kp_shared(&set[np], &sc, &mk);
						fprintf(stderr, "%-14s crop25 shared %d agree %d\n", e->d_name,
						    mk.shared, mk.agree);
						CHECK(mk.shared >= 30 && mk.agree >= mk.shared / 2);
						kp_free(&sc);
					}
					kp_free(&sl);
				}
				img_free(l);
				img_free(r);
				img_free(t);
			}
		}
		img_free(im);
		np++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(np >= 8);
	for (int i = 0; i < np; i++)
		for (int j = i + 1; j < np; j++) {
			struct kp_match m;

			CHECK(kp_match(&set[i], &set[j], &m) == 0);
			if (m.inliers > worst_distinct)
				worst_distinct = m.inliers;
			if (m.inliers >= 8)
				fprintf(stderr, "distinct %s %s: %d inliers\n", names[i], names[j], m.inliers);
			CHECK(m.inliers < 8);
		}
	fprintf(stderr, "most inliers between different photos: %d\n", worst_distinct);
	for (int i = 0; i < np; i++)
		kp_free(&set[i]);
	/* the colours: a picture red on its left half and blue on its right, 64 x 32, has
	 * (R - G) / 2 + 128 = 255 and 128, then 128 and 255, in each row; a gray picture is
	 * 128 throughout */
	{
		struct img *rb = img_new(64, 32, 3), *g = img_new(64, 32, 1);
		uint8_t col[KP_CHROMA_BYTES];
		int ok = 1;

		CHECK(rb != NULL && g != NULL);
		if (rb != NULL && g != NULL) {
			for (int i = 0; i < 64 * 32; i++) {
				int left = i % 64 < 32;

				rb->px[3 * i] = (unsigned char)(left ? 255 : 0);
				rb->px[3 * i + 1] = 0;
				rb->px[3 * i + 2] = (unsigned char)(left ? 0 : 255);
				g->px[i] = (unsigned char)(i % 251);
			}
			CHECK(kp_chroma_of(rb, col) == 0);
			for (int y = 0; y < KP_CHROMA; y++)
				for (int x = 0; x < KP_CHROMA; x++) {
					const uint8_t *c = col + 2 * (y * KP_CHROMA + x);

					ok = ok && c[0] == (x < KP_CHROMA / 2 ? 255 : 128) &&
					    c[1] == (x < KP_CHROMA / 2 ? 128 : 255);
				}
			CHECK(ok);
			CHECK(kp_chroma_of(g, col) == 0);
			ok = 1;
			for (int i = 0; i < KP_CHROMA_BYTES; i++)
				ok = ok && col[i] == 128;
			CHECK(ok);
		}
		img_free(rb);
		img_free(g);
	}
	return unit_done();
}
