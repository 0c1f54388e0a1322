#!/usr/bin/python3
# make-bmp.py — writes the BMP test files of this folder (unit-test fixtures for
# tests/unit/test_decode.c and fuzz seeds for `make fuzz`) and the PNGs they must decode
# to.  Run from this folder with Debian's python3-pil:  /usr/bin/python3 make-bmp.py
#
# PIL's own BMP writer makes the 1-, 8- (gray and palette) and 24-bit files; PIL writes
# neither RLE, 4-bit, 16-bit, 32-bit with masks nor other headers than the 40-byte one,
# so those are put together byte by byte below from the same pictures.  Every file PIL
# can read back is checked here against its PNG, so that the fixtures do not rest on
# azdedup's decoder alone.
import struct
from PIL import Image

W, H = 37, 23   # odd: every bit depth has row padding


def base():
    """A small colour picture: gradients, a disc, a bar."""
    im = Image.new("RGB", (W, H))
    px = im.load()
    for y in range(H):
        for x in range(W):
            r, g, b = x * 255 // (W - 1), y * 255 // (H - 1), (x * y * 7) % 256
            if (x - 24) ** 2 + (y - 11) ** 2 < 49:
                r, g, b = 230, 40, 60
            if 4 <= x <= 8:
                r, g, b = 20, 30, 200
            px[x, y] = (r, g, b)
    return im


def with_alpha(im):
    """The picture with alpha falling off from left to right, and a clear corner."""
    a = im.convert("RGBA")
    px = a.load()
    for y in range(H):
        for x in range(W):
            r, g, b, _ = px[x, y]
            px[x, y] = (r, g, b, 0 if x < 3 and y < 3 else 255 - x * 6)
    return a


def bmp(hdr, pal, data, off_extra=b""):
    """File header + DIB header (+ masks) + palette + pixel data."""
    off = 14 + len(hdr) + len(off_extra) + len(pal)
    return (b"BM" + struct.pack("<IHHI", off + len(data), 0, 0, off) + hdr + off_extra +
            pal + data)


def info_hdr(size, w, h, bpp, comp, ncol=0, masks=(), data_len=0):
    """BITMAPINFOHEADER and its V2..V5 extensions (masks, then zeros for the rest)."""
    h40 = struct.pack("<IiiHHIIiiII", size, w, h, 1, bpp, comp, data_len, 2835, 2835,
                      ncol, 0)
    rest = b"".join(struct.pack("<I", m) for m in masks)
    if size > 40:
        rest = rest[:size - 40]
        if size >= 108:
            rest = rest.ljust(56 - 40, b"\0") + b"BGRs"     # LCS_sRGB colour space
        rest = rest.ljust(size - 40, b"\0")
        return h40 + rest, b""
    return h40, rest           # masks after a 40-byte header


def rows(im, pack, bottom_up=True):
    """Pixel rows packed by pack(row of pixel values) and padded to 4 bytes."""
    px = im.load()
    out = []
    for y in range(H):
        r = pack([px[x, y] for x in range(W)])
        out.append(r + b"\0" * (-len(r) % 4))
    return b"".join(reversed(out) if bottom_up else out)


def pack4(idx):
    idx = list(idx) + [0] * (len(idx) % 2)
    return bytes(idx[i] << 4 | idx[i + 1] for i in range(0, len(idx), 2))


def palette(im, n, entry=4):
    p = im.getpalette()[:3 * n]
    return b"".join(bytes([p[3 * i + 2], p[3 * i + 1], p[3 * i]]) + b"\0" * (entry - 3)
                    for i in range(n))


def rle(im, rle4):
    """RLE8/RLE4 of a palette picture: runs of 3 or more, literal runs between them."""
    px = im.load()
    out = bytearray()
    for y in reversed(range(H)):
        row = [px[x, y] for x in range(W)]
        x = 0
        lit = []

        def flush():
            while lit:
                part = lit[:254]
                del lit[:len(part)]
                if len(part) < 3:       # 1 and 2 are escapes: runs of one instead
                    for v in part:
                        out.extend((1, v << 4 | v if rle4 else v))
                    continue
                body = pack4(part) if rle4 else bytes(part)
                out.extend((0, len(part)))
                out.extend(body + b"\0" * (len(body) % 2))
        while x < W:
            n = 1
            while x + n < W and n < 255 and row[x + n] == row[x]:
                n += 1
            if n >= 3:
                flush()
                out.extend((n, row[x] << 4 | row[x] if rle4 else row[x]))
                x += n
            else:
                lit.extend(row[x:x + n])
                x += n
        flush()
        out.extend((0, 0) if y > 0 else (0, 1))
    return bytes(out)


def bgr(p):
    return bytes((p[2], p[1], p[0]))


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def check(name, png):
    """PIL's reading of name is png's picture (when PIL reads that kind of BMP)."""
    a = Image.open(name)
    a.load()
    b = Image.open(png)
    mode = "RGBA" if b.mode == "RGBA" else "RGB"
    assert a.convert(mode).tobytes() == b.convert(mode).tobytes(), name


im = base()
im.save("ref.png")
im.save("rgb24.bmp")
check("rgb24.bmp", "ref.png")
im.convert("L").save("gray.png")
im.convert("L").save("gray8.bmp")
check("gray8.bmp", "gray.png")
im.convert("1").save("bw.png")
im.convert("1").save("bw1.bmp")
check("bw1.bmp", "bw.png")
q = im.quantize(16)
q.save("pal16.png")
q.save("pal8.bmp")             # PIL writes all 256 palette entries
check("pal8.bmp", "pal16.png")

# top-down rows (negative height) behind a V4 header
h, x = info_hdr(108, W, -H, 24, 0)
write("rgb24-topdown.bmp", bmp(h, b"", rows(im, lambda r: b"".join(map(bgr, r)), False)))
check("rgb24-topdown.bmp", "ref.png")

# 32-bit BI_RGB: the fourth byte is not alpha, whatever is in it
h, x = info_hdr(40, W, H, 32, 0)
write("rgb32.bmp", bmp(h, b"", rows(im, lambda r: b"".join(bgr(p) + b"\x55" for p in r))))

# 32-bit BI_BITFIELDS with an alpha mask in a V3 header, every alpha 0: opaque
h, x = info_hdr(56, W, H, 32, 3, masks=(0xff0000, 0xff00, 0xff, 0xff000000))
write("rgb32-zero-alpha.bmp", bmp(h, b"", rows(im, lambda r: b"".join(bgr(p) + b"\0" for p in r))))

# alpha: V5 BI_BITFIELDS (BGRA), and BI_ALPHABITFIELDS (6) with RGBA bytes
a = with_alpha(im)
a.save("rgba.png")
h, x = info_hdr(124, W, H, 32, 3, masks=(0xff0000, 0xff00, 0xff, 0xff000000))
write("rgba-v5.bmp", bmp(h, b"", rows(a, lambda r: b"".join(bgr(p) + bytes([p[3]]) for p in r))))
check("rgba-v5.bmp", "rgba.png")
h, x = info_hdr(40, W, H, 32, 6, masks=(0xff, 0xff00, 0xff0000, 0xff000000))
write("rgba-alphabitfields.bmp", bmp(h, b"", rows(a, lambda r: b"".join(bytes(p) for p in r)), x))

# 16 bits: 5-6-5 masks in a V2 header, and BI_RGB's 5-5-5 (5 bits: within 4 levels)
h, x = info_hdr(52, W, H, 16, 3, masks=(0xf800, 0x07e0, 0x001f))
write("rgb565.bmp", bmp(h, b"", rows(im, lambda r: b"".join(
    struct.pack("<H", (p[0] >> 3) << 11 | (p[1] >> 2) << 5 | p[2] >> 3) for p in r))))
h, x = info_hdr(40, W, H, 16, 0)
write("rgb555.bmp", bmp(h, b"", rows(im, lambda r: b"".join(
    struct.pack("<H", (p[0] >> 3) << 10 | (p[1] >> 3) << 5 | p[2] >> 3) for p in r))))

# 4 bits, RLE8, RLE4, and 4 bits behind the OS/2 core header (3-byte palette entries)
h, x = info_hdr(40, W, H, 4, 0, ncol=16)
write("pal4.bmp", bmp(h, palette(q, 16), rows(q, pack4)))
check("pal4.bmp", "pal16.png")
data = rle(q, False)
h, x = info_hdr(40, W, H, 8, 1, ncol=16, data_len=len(data))
write("rle8.bmp", bmp(h, palette(q, 16), data))
check("rle8.bmp", "pal16.png")
data = rle(q, True)
h, x = info_hdr(40, W, H, 4, 2, ncol=16, data_len=len(data))
write("rle4.bmp", bmp(h, palette(q, 16), data))
# not checked with PIL: PIL 9.4 reads n // 2 bytes of an RLE4 literal run, dropping the
# last pixel of an odd one (the format has ceil(n / 2), padded to 16 bits)
h = struct.pack("<IHHHH", 12, W, H, 1, 4)
write("core4.bmp", bmp(h, palette(q, 16, 3), rows(q, pack4)))
check("core4.bmp", "pal16.png")

# RLE8's escapes on a 16x8 picture with a 4-colour palette: runs cut at the end of a
# line, delta, a run past the right edge, an index past the palette (black), an empty
# line; every pixel not written stays white
PAL = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
exp = Image.new("RGB", (16, 8), (255, 255, 255))


def put(x, y, i):              # y counted from the bottom, as the file does
    if x < 16 and y < 8:
        exp.putpixel((x, 7 - y), PAL[i] if i < len(PAL) else (0, 0, 0))


ops = bytearray()
ops += bytes((5, 0, 0, 0))                        # row 0: five of 0, end of line
for i in range(5):
    put(i, 0, 0)
ops += bytes((0, 3, 1, 2, 3, 0, 2, 7, 0, 0))      # row 1: 1 2 3 literal, two of 7
for i, v in enumerate((1, 2, 3, 7, 7)):
    put(i, 1, v)
ops += bytes((2, 1, 0, 2, 4, 2, 3, 2, 0, 0))      # row 2: two of 1, delta (4, 2), three of 2
put(0, 2, 1)
put(1, 2, 1)
for i in range(6, 9):
    put(i, 4, 2)
ops += bytes((20, 3, 0, 0, 0, 0))                 # row 5: 20 of 3 (16 fit); row 6 empty
for i in range(16):
    put(i, 5, 3)
lit = [i % 4 for i in range(17)]                  # row 7: 17 literal (16 fit), end
ops += bytes((0, 17)) + bytes(lit) + b"\0" + bytes((0, 1))
for i, v in enumerate(lit):
    put(i, 7, v)
h, x = info_hdr(40, 16, 8, 8, 1, ncol=4, data_len=len(ops))
write("rle8-escapes.bmp", bmp(h, b"".join(bytes((b, g, r, 0)) for r, g, b in PAL), ops))
exp.save("rle8-escapes.png")

# 8 bits with a 4-colour palette and indexes past it (black)
short = Image.new("RGB", (W, H))
sp = short.load()
idx = [[(x // 3 + y) % 6 for x in range(W)] for y in range(H)]
for y in range(H):
    for xx in range(W):
        sp[xx, y] = PAL[idx[y][xx]] if idx[y][xx] < 4 else (0, 0, 0)
short.save("pal8-short.png")
h, x = info_hdr(40, W, H, 8, 0, ncol=4)
data = b"".join(bytes(idx[y]) + b"\0" * (-W % 4) for y in reversed(range(H)))
write("pal8-short.bmp", bmp(h, b"".join(bytes((b, g, r, 0)) for r, g, b in PAL), data))
