#!/usr/bin/python3
"""mkbombs.py DIR [SIDE] — small image files whose headers promise a huge picture.

Each is under featx's default pixel limit (SIDE x SIDE, default 9999 x 9999, about 1e8
pixels) and costs a decoder that trusts its header hundreds of megabytes:

  anim.webp         animated WebP, a SIDE x SIDE canvas with two 1x1 frames (140 bytes)
  strip.tif         TIFF, RGB, deflate, the whole image one strip
  strips.tif        TIFF, RGB, deflate, 16 rows a strip
  interlaced.png    PNG, RGB, Adam7
  progressive.jpg   JPEG, progressive, 4:2:0 (a flat picture with a few shapes)
  screen.gif        GIF, a SIDE x SIDE logical screen with one 1x1 frame

Written byte by byte (zlib for the compressed parts) except the JPEG, which PIL encodes
from a picture it draws; the files are the same on every run."""
import io
import struct
import sys
import zlib

from PIL import Image, ImageDraw


def chunk(tag, data):
    pad = b"\0" if len(data) & 1 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def u24(v):
    return struct.pack("<I", v)[:3]


def webp_anim(side):
    one = io.BytesIO()
    Image.new("RGBA", (1, 1), (200, 30, 30, 255)).save(one, "WEBP", lossless=True)
    b = one.getvalue()
    assert b[12:16] == b"VP8L", b[12:16]
    vp8l = chunk(b"VP8L", b[20:20 + struct.unpack("<I", b[16:20])[0]])
    body = chunk(b"VP8X", bytes([0x12, 0, 0, 0]) + u24(side - 1) + u24(side - 1))
    body += chunk(b"ANIM", struct.pack("<IH", 0xffffffff, 0))
    for x in (0, 2):
        body += chunk(b"ANMF", u24(x // 2) + u24(0) + u24(0) + u24(0) + u24(100) +
                      bytes([0]) + vp8l)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def zeros_deflated(n, rowlen=0):
    """zlib stream of n zero bytes (rows of rowlen bytes after a 0 filter byte when
    rowlen > 0, n then being the row count)."""
    z = zlib.compressobj(9)
    out = []
    if rowlen:
        block = (b"\0" * (rowlen + 1)) * max(1, (1 << 22) // (rowlen + 1))
        per = len(block) // (rowlen + 1)
        while n > 0:
            k = min(n, per)
            out.append(z.compress(block[:k * (rowlen + 1)]))
            n -= k
    else:
        block = b"\0" * (1 << 22)
        while n > 0:
            k = min(n, len(block))
            out.append(z.compress(block[:k]))
            n -= k
    out.append(z.flush())
    return b"".join(out)


def tiff(side, rows_per_strip):
    strips = []
    y = 0
    while y < side:
        n = min(rows_per_strip, side - y)
        strips.append(zeros_deflated(side * n * 3))
        y += n
    ns = len(strips)
    # header, then the IFD, then its out-of-line values, then the strips
    tags = []
    ifd_at = 8
    nt = 11
    extra_at = ifd_at + 2 + nt * 12 + 4
    bps_at = extra_at
    offs_at = bps_at + 6
    cnts_at = offs_at + 4 * ns
    data_at = cnts_at + 4 * ns
    offs = []
    p = data_at
    for s in strips:
        offs.append(p)
        p += len(s)

    def tag(t, typ, count, value):
        tags.append(struct.pack("<HHI", t, typ, count) + value)

    def short(v):
        return struct.pack("<HH", v, 0)

    def long_(v):
        return struct.pack("<I", v)

    tag(256, 4, 1, long_(side))
    tag(257, 4, 1, long_(side))
    tag(258, 3, 3, long_(bps_at))
    tag(259, 3, 1, short(8))                        # adobe deflate
    tag(262, 3, 1, short(2))                        # RGB
    tag(273, 4, ns, long_(offs_at) if ns > 1 else long_(offs[0]))
    tag(277, 3, 1, short(3))
    tag(278, 4, 1, long_(rows_per_strip))
    tag(279, 4, ns, long_(cnts_at) if ns > 1 else long_(len(strips[0])))
    tag(284, 3, 1, short(1))
    tag(317, 3, 1, short(1))                        # no predictor
    assert len(tags) == nt
    out = b"II*\0" + struct.pack("<I", ifd_at) + struct.pack("<H", nt) + b"".join(tags)
    out += struct.pack("<I", 0)
    out += struct.pack("<HHH", 8, 8, 8)
    out += b"".join(struct.pack("<I", o) for o in offs)
    out += b"".join(struct.pack("<I", len(s)) for s in strips)
    assert len(out) == data_at
    return out + b"".join(strips)


def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_interlaced(side):
    # Adam7: pass p holds the pixels at x0 + k*dx, y0 + k*dy
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
              (1, 0, 2, 2), (0, 1, 1, 2))
    z = zlib.compressobj(9)
    out = []
    for x0, y0, dx, dy in passes:
        w = (side - x0 + dx - 1) // dx
        h = (side - y0 + dy - 1) // dy
        if w <= 0 or h <= 0:
            continue
        row = b"\0" * (1 + 3 * w)
        per = max(1, (1 << 22) // len(row))
        while h > 0:
            k = min(h, per)
            out.append(z.compress(row * k))
            h -= k
    out.append(z.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", b"".join(out)) + png_chunk(b"IEND", b""))


def jpeg_progressive(side):
    im = Image.new("RGB", (side, side), (90, 140, 200))
    d = ImageDraw.Draw(im)
    d.ellipse((side // 5, side // 5, side * 3 // 5, side * 3 // 5), fill=(240, 200, 40))
    d.rectangle((side // 2, side // 2, side * 9 // 10, side * 4 // 5), fill=(30, 90, 40))
    b = io.BytesIO()
    im.save(b, "JPEG", quality=50, progressive=True)
    return b.getvalue()


def gif_screen(side):
    return (b"GIF89a" + struct.pack("<HH", side, side) + bytes([0x80, 0, 0]) +
            bytes([200, 30, 30, 0, 0, 0]) +
            b"," + struct.pack("<HHHH", 0, 0, 1, 1) + b"\0" +
            bytes([2, 2, 0x44, 0x01, 0]) + b";")


def main():
    d = sys.argv[1]
    side = int(sys.argv[2]) if len(sys.argv) > 2 else 9999
    files = {
        "anim.webp": webp_anim(side),
        "strip.tif": tiff(side, side),
        "strips.tif": tiff(side, 16),
        "interlaced.png": png_interlaced(side),
        "progressive.jpg": jpeg_progressive(side),
        "screen.gif": gif_screen(side),
    }
    for name, b in files.items():
        with open(d + "/" + name, "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
