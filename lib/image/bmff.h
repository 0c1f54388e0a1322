/* bmff.h — the ISO-BMFF box walk of HEIF and AVIF files: what img_sniff and the HEIF
 * decoder (heif.c) read from the boxes themselves, before or beside libheif; internal to
 * lib/image, callers use img_decode (decode.h).
 *
 * A box is a 32-bit big-endian size (1: a 64-bit size follows the type; 0: to the end
 * of its container), a four-letter type, then its body; a full box (meta, iinf, iloc,
 * iref, infe) has a version byte and 24 bits of flags first.  Nothing here reads past
 * len, whatever the sizes claim; nothing allocates but bmff_refs_ok (three tables of
 * 65536 entries, freed before it returns). */
#ifndef AZD_BMFF_H
#define AZD_BMFF_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* IMG_AVIF, IMG_HEIF or IMG_UNKNOWN for bytes that start with an ftyp box (its type at
 * offset 4; anything else is IMG_UNKNOWN): the major brand decides when it names a
 * codec (avif/avis: AVIF; heic/heix/hevc/hevx/heim/heis: HEIF), else any compatible
 * brand in the box's first 4096 bytes that names AV1 makes it AVIF, and any other HEIF
 * brand (those, mif1, msf1) HEIF. */
enum img_format bmff_ftyp(const unsigned char *buf, size_t len);

/* 1 when the top-level boxes claim more bytes than there are, or the last one stops
 * short of a whole header; 0 when they fill len exactly, one runs to the end (size 0)
 * or a size is nonsense (under 8). */
int bmff_cut(const unsigned char *buf, size_t len);

/* The item references (dimg, auxl) in the iref boxes of the top-level meta box, read
 * both by each reference's declared size and one after the other as libheif reads
 * them: 0 when every chain of what an item needs to decode is at most 16 steps long
 * (or there is no meta or iref box), -1 when one is longer or loops (or there are more
 * than 65536 references), -2 when out of memory. */
int bmff_refs_ok(const unsigned char *buf, size_t len);

/* 0 when every extent of every item (iloc) of the top-level meta box lies inside its data
 * (the file, or the idat box), or the boxes cannot be read; -1 when one reaches past it. */
int bmff_extents_ok(const unsigned char *buf, size_t len);

/* The size in the descriptor (in idat or in the file) of each grid item (iinf, iloc)
 * of the top-level meta box: -1 with *gw x *gh set when one is over max_pixels, else 0
 * (also when max_pixels is 0 or the boxes cannot be read: libheif reports the damage). */
int bmff_grids_ok(const unsigned char *buf, size_t len, unsigned long long max_pixels,
    uint64_t *gw, uint64_t *gh);

#endif
