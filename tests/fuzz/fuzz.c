/* fuzz.c — libFuzzer targets for every decoder entry point: built once per target with
 * -DTARGET_JPEG, _PNG, _WEBP, _GIF, _TIFF, _HEIF, _BMP, _EXIF or _FEATURES (make fuzz).
 * The format targets put the format's signature in front of the fuzzer's bytes (when
 * missing) so the input reaches that decoder rather than the "not an image" answer; the
 * features target takes the bytes as they are, thumbnail included, as featx does.  The
 * HEIF seeds (seeds/heif) are chelsea.jpg at 64x43 through heif-enc -q 40, and -A with
 * alpha; the BMP seeds (seeds/bmp, the unit tests' fixtures too) are made by
 * seeds/bmp/make-bmp.py; the small decompression bombs (a 1999 x 1999 picture claimed by
 * a few hundred bytes) are tests/e2e/mkbombs.py's with SIDE 1999. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "features.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int decode(const uint8_t *data, size_t size, const uint8_t *magic, size_t mlen)
{
	struct img_decode_opts o = { 64, 4000000, 0 };
	struct img_info info;
	struct img *im = NULL;
	aderr err = {0};
	uint8_t *buf;

	if (size >= mlen && memcmp(data, magic, mlen) == 0)
		mlen = 0;
	buf = malloc(size + mlen + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, magic, mlen);
	memcpy(buf + mlen, data, size);
	for (int color = 0; color < 3; color++) {
		/* the third time within a small budget: the ways of decoding with less
		 * (decode.h), and refusals */
		static struct membudget *mb;
		struct mb_hold h = { NULL, 0, 0 };

		if (color == 2 && mb == NULL && (mb = membudget_new((size_t)1 << 20)) == NULL)
			abort();
		h.b = color == 2 ? mb : NULL;
		o.color = color & 1;
		if (img_decode_held(buf, size + mlen, &o, &h, &im, &info, &err) == 0) {
			/* a decoded image must be what it says */
			if (im == NULL || im->w < 1 || im->h < 1 || (im->ch != 1 && im->ch != 3))
				abort();
			img_free(im);
			im = NULL;
		}
		if (h.held != 0)
			abort();        /* the budget is given back */
	}
	free(buf);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(TARGET_JPEG)
	static const uint8_t m[] = { 0xff, 0xd8, 0xff };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_PNG)
	static const uint8_t m[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_WEBP)
	/* RIFF <size> WEBP, the size from the input so that it is sometimes a lie */
	uint8_t m[12] = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P' };
	uint32_t n = (uint32_t)size + 4;

	if (size > 0 && (data[0] & 1))
		n ^= data[0];
	memcpy(m + 4, &n, 4);
	return decode(data, size, m, sizeof m);
#elif defined(TARGET_GIF)
	static const uint8_t m[] = { 'G', 'I', 'F', '8', '9', 'a' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_TIFF)
	static const uint8_t m[] = { 'I', 'I', '*', 0 };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_BMP)
	static const uint8_t m[] = { 'B', 'M' };

	return decode(data, size, m, sizeof m);
#elif defined(TARGET_HEIF)
	/* an ftyp box naming HEIC or AVIF (the first byte picks), unless one is there */
	static const uint8_t heic[24] = { 0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c',
		0, 0, 0, 0, 'm', 'i', 'f', '1', 'h', 'e', 'i', 'c' };
	static const uint8_t avif[24] = { 0, 0, 0, 24, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f',
		0, 0, 0, 0, 'm', 'i', 'f', '1', 'm', 'i', 'a', 'f' };

	if (size >= 8 && memcmp(data + 4, "ftyp", 4) == 0)
		return decode(data, size, heic, 0);
	return decode(data, size, size > 0 && (data[0] & 1) ? avif : heic, sizeof heic);
#elif defined(TARGET_EXIF)
	int r = img_exif_orientation(data, size);

	if (r < 1 || r > 8)
		abort();
	return 0;
#elif defined(TARGET_FEATURES)
	struct feat_opts o;
	struct feat f;
	aderr err = {0};

	feat_opts_default(&o);
	o.max_pixels = 4000000;
	o.thumb = 32;
	if (feat_buffer(data, size, &o, &f, &err) == 0)
		feat_clear(&f);
	return 0;
#else
#error "define one TARGET_*"
#endif
}
