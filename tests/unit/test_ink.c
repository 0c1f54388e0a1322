/* test_ink.c — a page's ink (ink.h): a drawn page of text gets a grid INK_SIDE cells
 * along its longer side, in sixteenths, its paper empty and its words inked; the same
 * page at half the size gets the same grid within a level or two; a photo's noise, a
 * night sky, a blank page, a page too small and a page of solid shapes get none; two
 * copies of one page read alike (a pale page's paper, a turned copy's filled corners);
 * and ink_unpack takes a packing back and says no to every way one can be broken. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "image.h"
#include "ink.h"
#include "splitmix.h"
#include "unit.h"

/* A page w x h of paper at level paper, with lines of "words" (runs of glyphs 2 to 4
 * pixels wide and 8 tall, ink at level ink), the words' lengths drawn from seed. */
static struct img *page(int w, int h, int paper, int ink, uint64_t seed)
{
	struct img *im = img_new(w, h, 1);
	uint64_t s = seed;

	if (im == NULL)
		return NULL;
	memset(im->px, paper, (size_t)w * (size_t)h);
	for (int y = h / 10; y + 10 < h - h / 10; y += 18) {
		int x = w / 10;

		while (x < w - w / 10) {
			int word = 3 + (int)(splitmix64(&s) % 8);

			for (int g = 0; g < word && x + 4 < w - w / 10; g++) {
				int gw = 2 + (int)(splitmix64(&s) % 3);

				for (int yy = y; yy < y + 8; yy++)
					for (int xx = x; xx < x + gw; xx++)
						im->px[(size_t)yy * (size_t)w + (size_t)xx] = (unsigned char)ink;
				x += gw + 2;
			}
			x += 7;
		}
	}
	return im;
}

/* ink_of's grid of im, in cells (INK_SIDE * INK_SIDE room), its size in *w, *h; 1 when
 * it has one, 0 when none, -1 when something failed. */
static int grid_of(const struct img *im, uint8_t *cells, int *w, int *h)
{
	unsigned char *b = NULL;
	size_t len = 0;
	int rc;

	if (im == NULL || ink_of(im, NULL, &b, &len) != 0)
		return -1;
	if (b == NULL)
		return len == 0 ? 0 : -1;
	rc = ink_unpack(b, len, cells, w, h) == 0 ? 1 : -1;
	free(b);
	return rc;
}

static void test_page(void)
{
	uint8_t *g = malloc((size_t)INK_SIDE * INK_SIDE), *g2 = malloc((size_t)INK_SIDE * INK_SIDE);
	struct img *im = page(600, 800, 245, 20, 1), *half;
	int w = 0, h = 0, w2 = 0, h2 = 0, inked = 0, paper = 0, big = 0, over = 0;
	long diff = 0;

	CHECK(g != NULL && g2 != NULL && im != NULL);
	if (g == NULL || g2 == NULL || im == NULL)
		goto out;
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 1);
	CHECK_EQ_INT(w, 192);
	CHECK_EQ_INT(h, INK_SIDE);
	for (int i = 0; i < w * h; i++) {
		over += g[i] >= INK_LEVELS;
		inked += g[i] >= 4;
		big += g[i] == INK_LEVELS - 1;
	}
	CHECK_EQ_INT(over, 0);
	/* the margins are paper */
	for (int y = 0; y < h / 12; y++)
		for (int x = 0; x < w; x++)
			paper += g[y * w + x] == 0;
	CHECK_EQ_INT(paper, (h / 12) * w);
	CHECK(inked > w * h / 20 && inked < w * h / 2);
	CHECK(big > 0);
	/* half the size (area averaged): the same grid, a level or two apart */
	half = img_resize(im, 300, 400);
	CHECK_EQ_INT(grid_of(half, g2, &w2, &h2), 1);
	CHECK(w2 == w && h2 == h);
	if (w2 == w && h2 == h) {
		for (int i = 0; i < w * h; i++)
			diff += abs(g[i] - g2[i]);
		CHECK((double)diff / (w * h) < 0.5);
	}
	img_free(half);
	/* light ink on dark paper is no page (a night sky, a dark theme) */
	img_free(im);
	im = page(600, 800, 20, 240, 1);
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 0);
	/* a blank page has no ink to show */
	img_free(im);
	im = page(600, 800, 245, 240, 1);
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 0);
	/* nor a page smaller than INK_MIN_SIDE along both sides */
	img_free(im);
	im = page(200, 240, 245, 20, 1);
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 0);
	/* a photo's noise has no paper */
	img_free(im);
	if ((im = img_new(600, 800, 1)) != NULL) {
		uint64_t s = 7;

		for (size_t i = 0; i < 600 * 800; i++)
			im->px[i] = (unsigned char)(splitmix64(&s) % 256);
		CHECK_EQ_INT(grid_of(im, g, &w, &h), 0);
	}
	/* solid shapes on white (a product, a drawing) are no text */
	img_free(im);
	if ((im = page(600, 800, 245, 245, 1)) != NULL) {
		for (int y = 100; y < 700; y++)
			for (int x = 100; x < 300; x++)
				im->px[(size_t)y * 600 + (size_t)x] = 30;
		CHECK_EQ_INT(grid_of(im, g, &w, &h), 0);
	}
out:
	img_free(im);
	free(g);
	free(g2);
}

/* a packing of w x h cells, each cells[i], in *len bytes of a new buffer */
static unsigned char *pack(int w, int h, const uint8_t *cells, size_t *len)
{
	uLongf zl = compressBound((uLong)w * (uLong)h);
	unsigned char *b = malloc(INK_HEAD + zl);

	if (b == NULL)
		return NULL;
	b[0] = 1;
	b[1] = (unsigned char)(w & 255);
	b[2] = (unsigned char)(w >> 8);
	b[3] = (unsigned char)(h & 255);
	b[4] = (unsigned char)(h >> 8);
	if (compress2(b + INK_HEAD, &zl, cells, (uLong)w * (uLong)h, 6) != Z_OK) {
		free(b);
		return NULL;
	}
	*len = INK_HEAD + zl;
	return b;
}

static void test_unpack(void)
{
	uint8_t cells[40 * 30], *out = malloc((size_t)INK_SIDE * INK_SIDE);
	unsigned char *b;
	size_t len = 0;
	int w = 0, h = 0;

	for (int i = 0; i < 40 * 30; i++)
		cells[i] = (uint8_t)(i % INK_LEVELS);
	b = pack(40, 30, cells, &len);
	CHECK(b != NULL && out != NULL);
	if (b == NULL || out == NULL) {
		free(b);
		free(out);
		return;
	}
	CHECK(ink_unpack(b, len, out, &w, &h) == 0 && w == 40 && h == 30 &&
	    memcmp(out, cells, sizeof cells) == 0);
	/* cut short, another version, no size, too large a size, a size the stream does not
	 * fill or overfills */
	CHECK(ink_unpack(b, len - 3, out, &w, &h) == -1);
	CHECK(ink_unpack(b, INK_HEAD, out, &w, &h) == -1);
	b[0] = 2;
	CHECK(ink_unpack(b, len, out, &w, &h) == -1);
	b[0] = 1;
	b[1] = 0;
	CHECK(ink_unpack(b, len, out, &w, &h) == -1);
	b[1] = 1;
	b[2] = 1;               /* 257 wide */
	CHECK(ink_unpack(b, len, out, &w, &h) == -1);
	b[1] = 39;
	b[2] = 0;
	CHECK(ink_unpack(b, len, out, &w, &h) == -1);
	b[1] = 41;
	CHECK(ink_unpack(b, len, out, &w, &h) == -1);
	free(b);
	/* a cell past the levels */
	cells[17] = INK_LEVELS;
	b = pack(40, 30, cells, &len);
	CHECK(b != NULL && ink_unpack(b, len, out, &w, &h) == -1);
	free(b);
	/* not zlib at all */
	{
		unsigned char junk[64] = { 1, 8, 0, 8, 0 };

		for (int i = INK_HEAD; i < 64; i++)
			junk[i] = (unsigned char)(i * 37);
		CHECK(ink_unpack(junk, sizeof junk, out, &w, &h) == -1);
	}
	free(out);
}

/* Two copies of one page read alike: pale ink on a paper of one level exactly (the
 * paper is that level, not the first of the five-level windows that hold it: 2 levels
 * off, a pale page's paper came out as ink), and a page whose corners are filled black,
 * as a turned copy's are (the fill reaches the edge and sets no range: it made the
 * words a third as dark as the same page's without it). */
static void test_copies(void)
{
	uint8_t *g = malloc((size_t)INK_SIDE * INK_SIDE), *g2 = malloc((size_t)INK_SIDE * INK_SIDE);
	struct img *im = page(600, 800, 235, 195, 2), *filled = NULL;
	int w = 0, h = 0, w2 = 0, h2 = 0, paper = 0, apart = 0, inked = 0;

	CHECK(g != NULL && g2 != NULL && im != NULL);
	if (g == NULL || g2 == NULL || im == NULL)
		goto out;
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 1);
	for (int y = 0; y < h / 12; y++)
		for (int x = 0; x < w; x++)
			paper += g[y * w + x] == 0;
	CHECK_EQ_INT(paper, (h / 12) * w);
	/* gray words, and the same page with two corners filled black */
	img_free(im);
	im = page(600, 800, 245, 150, 3);
	filled = page(600, 800, 245, 150, 3);
	CHECK(im != NULL && filled != NULL);
	if (im == NULL || filled == NULL)
		goto out;
	for (int y = 0; y < 150; y++)
		for (int x = 0; x < 150 - y; x++) {
			filled->px[(size_t)y * 600 + (size_t)x] = 0;
			filled->px[(size_t)(799 - y) * 600 + (size_t)(599 - x)] = 0;
		}
	CHECK_EQ_INT(grid_of(im, g, &w, &h), 1);
	CHECK_EQ_INT(grid_of(filled, g2, &w2, &h2), 1);
	CHECK(w2 == w && h2 == h);
	if (w2 == w && h2 == h) {
		/* the words' cells, away from the corners: a level apart at most */
		for (int y = h / 4; y < h - h / 4; y++)
			for (int x = 0; x < w; x++) {
				inked += g[y * w + x] >= 4;
				apart += abs(g[y * w + x] - g2[y * w + x]) > 1;
			}
		CHECK(inked > 0);
		CHECK_EQ_INT(apart, 0);
	}
out:
	img_free(im);
	img_free(filled);
	free(g);
	free(g2);
}

int main(void)
{
	test_page();
	test_copies();
	test_unpack();
	return unit_done();
}
