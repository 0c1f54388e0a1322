#!/usr/bin/python3
# make-bmff.py — writes the seeds of the bmff fuzz target (lib/image/bmff.c's box walk)
# from the HEIF and AVIF seeds in ../heif.  Run from this folder:  python3 make-bmff.py
#
# The box walk reads the ftyp box and the top-level meta box (iinf, iloc, idat, iref);
# the coded pictures in mdat are libheif's, so each seed is a file's ftyp and meta boxes
# only (the grid's descriptor is in idat, inside meta):
#   small.heic     heif-enc's HEIC of chelsea.jpg at 64x43 (one hvc1 item)
#   alpha.avif     its AVIF with an alpha plane (an auxl reference)
#   grid-bomb.heic a grid item whose descriptor claims 24949 x 30828 pixels
#   loop.heic      dimg references that loop (libheif 1.15 recurses until the stack ends)
#   loop2.heic     the same loop, seen only reading the references one after the other
# and, from small.heic's:
#   large.heic     the meta box with a 64-bit size (size 1, then the largesize)
#   cut.heic       followed by an mdat box that claims more bytes than there are
#   mif1.avif      the ftyp with major brand mif1 and AVIF among the compatible brands
import struct


def boxes(b):
    """(type, start, size) of each top-level box of b."""
    out, pos = [], 0
    while pos + 8 <= len(b):
        n, t = struct.unpack(">I4s", b[pos:pos + 8])
        if n < 8 or pos + n > len(b):
            break
        out.append((t, pos, n))
        pos += n
    return out


def head(name):
    """The ftyp and meta boxes of ../heif/NAME, in file order."""
    b = open("../heif/" + name, "rb").read()
    keep = [b[s:s + n] for t, s, n in boxes(b) if t in (b"ftyp", b"meta")]
    assert len(keep) == 2, name
    return b"".join(keep)


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


for src in ("small.heic", "alpha.avif", "grid-bomb.heic", "loop.heic", "loop2.heic"):
    write(src, head(src))

small = head("small.heic")
(_, fs, fn), (_, ms, mn) = boxes(small)
ftyp, meta = small[fs:fs + fn], small[ms:ms + mn]
write("large.heic", ftyp + struct.pack(">I4sQ", 1, b"meta", mn + 8) + meta[8:])
write("cut.heic", small + struct.pack(">I4s", 4096, b"mdat") + bytes(range(64)))
brands = b"mif1" + b"\0\0\0\0" + b"mif1miafavif"
write("mif1.avif", struct.pack(">I4s", 8 + len(brands), b"ftyp") + brands + meta)
