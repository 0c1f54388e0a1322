/* thumb.h — a small JPEG of an image, for the visual report of dedupe --html.
 *
 * thumb_data_uri decodes the bytes again, in colour, at the smallest scale that gives
 * `side` pixels (JPEG DCT scaling makes that cheap), fits the image in side x side
 * keeping its shape, encodes it as JPEG (quality 80) and returns it as a
 * "data:image/jpeg;base64,..." string the caller frees.  Gray+alpha and RGBA images are
 * composited on white first. */
#ifndef AZD_THUMB_H
#define AZD_THUMB_H

#include <stddef.h>
#include "err.h"

int thumb_data_uri(const unsigned char *buf, size_t len, int side,
    unsigned long long max_pixels, char **uri, aderr *err);

#endif
