/* ink.h — the ink of a page: where a picture departs from its plain ground, fine enough
 * to tell two forms of one template filled otherwise.
 *
 * Two invoices of one template differ in their numbers, names and amounts alone.  The
 * fine detail (keypoints.h, KP_FINE cells a side) averages a word into a cell, and two
 * numbers of as many digits into the same shade; the keypoints sit on the frame and the
 * headings.  At INK_SIDE cells along the longer side (a cell of 1.6 pixels of featx's
 * working picture, about 4 of an 850 x 1100 page) a digit spans a few cells and another
 * digit shades them otherwise, where a copy (JPEG, noise, a gamma, half the size, a blur
 * once both sides are as soft) shades them alike.  Only a page of text has one: a
 * picture INK_PAPER of whose pixels lie within INK_PAPER_TOL levels of its commonest
 * level (the paper: of the commonest five levels together the commonest one,
 * INK_PAPER_LIGHT or lighter: a night sky is none), with some ink to show
 * (INK_RANGE_MIN levels from the paper at the INK_RANGE_PCT percentile), its ink
 * strokes rather than shapes (at most INK_SOLID of the inked cells inside a patch of
 * ink, the ink that reaches the edge left out: a turned copy's filled corners); a
 * photo, a product on white, a drawing has none, and its record no "ink" field.
 *
 * The grid: each cell the area average of |level - paper| / range, clipped to 1, in
 * sixteenths (0 .. 15) of the grid's own INK_RANGE_CELLS percentile (a softer copy's
 * strokes spread lighter), the ink that reaches the edge of the view left out of that
 * percentile (a turned copy's filled corners would set it and pale its strokes: a
 * chart's dots read a third as dark as its original's), row-major, of the same picture the keypoints see, the bands
 * of an added frame it keeps read as paper.  Packed as
 * byte 0 version (1), bytes 1-2 the grid's width, 3-4 its height (little-endian), then
 * the cells through zlib (most of a page is paper: an invoice takes 2 to 3 KB, a page
 * of text 5 to 10).  The record carries the packing as base64 ("ink"); dedupe reads two
 * through their keypoint transform (group.c, ink_apart). */
#ifndef AZD_INK_H
#define AZD_INK_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

#define INK_SIDE 256
#define INK_MIN_SIDE 256        /* a picture smaller than this along both sides has none */
#define INK_PAPER 0.5
#define INK_PAPER_TOL 12
#define INK_PAPER_LIGHT 128     /* the paper at least this light: a night sky is no page */
#define INK_RANGE_PCT 99.5
#define INK_RANGE_MIN 32
#define INK_RANGE_CELLS 99      /* the grid's range: this percentile of its cells */
#define INK_SOLID 0.3
#define INK_SOLID_LEVEL 4
#define INK_LEVELS 16
#define INK_HEAD 5
#define INK_ZLEVEL 6             /* zlib's level: 1 is 4% faster a page and 16% larger */

#define INK_MAX_PACKED (INK_HEAD + INK_SIDE * INK_SIDE + INK_SIDE * INK_SIDE / 1000 + 64)

/* The ink packing of a gray picture (ch 1), malloc'd in *out (length *len), or *out NULL
 * when the picture is no page.  band (or NULL): the rows and columns of an added frame
 * the picture keeps, top, bottom, left, right, in its pixels: read as paper (a black
 * border is no ink, and dedupe leaves the frame's cells out).  0, or AD_ENOMEM. */
int ink_of(const struct img *gray, const int band[4], unsigned char **out, size_t *len);

/* A packing's grid size from its header (the cells are not read): 0 with *w, *h, or -1
 * when the bytes do not start one. */
int ink_size(const unsigned char *b, size_t len, int *w, int *h);

/* A packing's grid: its cells (0 .. 15) into cells (room for INK_SIDE * INK_SIDE), its
 * size in *w, *h.  0, or -1 when the bytes are not a packing. */
int ink_unpack(const unsigned char *b, size_t len, uint8_t *cells, int *w, int *h);

#endif
