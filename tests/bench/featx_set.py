#!/usr/bin/python3
"""featx_set.py - the test images of featx_stages.sh, made from examples/photos.

    featx_set.py [--odd] SRC OUT

Writes into OUT, for every photo in SRC (jpg, jpeg, png, webp), scaled (bicubic) to
cover the size and cut to it centred, with a little fixed grain added so that the
files are as hard to decode as camera photos rather than smooth upscales:

  OUT/jpg1920/STEM.jpg   1920x1280 JPEG, quality 90, 4:2:0
  OUT/jpg12mp/STEM.jpg   4000x3000 JPEG, quality 90, 4:2:0
  OUT/png1920/STEM.png   1920x1280 PNG
  OUT/webp1920/STEM.webp 1920x1280 WebP, quality 85

With --odd, also odd shapes for checks that a change leaves featx's output as it
was (no timing): OUT/odd/ gets every photo at 1283x721 (JPEG), 721x1283 (WebP),
2001x97 and 97x2001 (PNG), 333x517 RGBA PNG with a soft alpha edge, 4001x2999
grayscale JPEG and 65x65 (PNG).

The same bytes on every run (the grain comes from a seeded generator).  Needs only
Python 3 and PIL.
"""
import os
import random
import sys

from PIL import Image, ImageChops


def sized(im, w, h, seed):
    s = max(w / im.width, h / im.height)
    up = im.resize((max(w, round(im.width * s)), max(h, round(im.height * s))),
                   Image.BICUBIC)
    dx, dy = (up.width - w) // 2, (up.height - h) // 2
    up = up.crop((dx, dy, dx + w, dy + h))
    rnd = random.Random(seed)
    # grain: the mean of two uniform draws, squeezed to 128 +- 12, added to each
    # channel around 128
    a = Image.frombytes("L", (w, h), rnd.randbytes(w * h))
    b = Image.frombytes("L", (w, h), rnd.randbytes(w * h))
    grain = Image.blend(a, b, 0.5).point(lambda v: 116 + v * 24 // 255)
    # each channel + grain - 128, clipped once at the end (adding first and taking 128
    # off after clipped every level over 128 - the grain to 127: bright parts went flat)
    res = [ImageChops.add(c, grain, 1.0, -128) for c in up.split()]
    return Image.merge("RGB", res)


def odd(im, stem, out, seed):
    d = os.path.join(out, "odd")
    os.makedirs(d, exist_ok=True)
    sized(im, 1283, 721, seed).save(os.path.join(d, stem + "-1283.jpg"), "JPEG",
                                    quality=85)
    sized(im, 721, 1283, seed + 1).save(os.path.join(d, stem + "-721.webp"), "WEBP",
                                        quality=80, method=4)
    sized(im, 2001, 97, seed + 2).save(os.path.join(d, stem + "-2001.png"), "PNG")
    sized(im, 97, 2001, seed + 3).save(os.path.join(d, stem + "-97.png"), "PNG")
    sized(im, 65, 65, seed + 4).save(os.path.join(d, stem + "-65.png"), "PNG")
    sized(im, 4001, 2999, seed + 5).convert("L").save(
        os.path.join(d, stem + "-4001.jpg"), "JPEG", quality=90)
    rgba = sized(im, 333, 517, seed + 6).convert("RGBA")
    # alpha: opaque in the middle, fading to clear over the outer 60 pixels
    a = Image.new("L", rgba.size, 0)
    for y in range(rgba.height):
        for x in range(rgba.width):
            e = min(x, y, rgba.width - 1 - x, rgba.height - 1 - y)
            a.putpixel((x, y), min(255, e * 255 // 60))
    rgba.putalpha(a)
    rgba.save(os.path.join(d, stem + "-333a.png"), "PNG")


def main():
    args = sys.argv[1:]
    with_odd = bool(args) and args[0] == "--odd"
    if with_odd:
        args = args[1:]
    src, out = args[0], args[1]
    kinds = [("jpg1920", 1920, 1280, "JPEG", ".jpg"),
             ("jpg12mp", 4000, 3000, "JPEG", ".jpg"),
             ("png1920", 1920, 1280, "PNG", ".png"),
             ("webp1920", 1920, 1280, "WEBP", ".webp")]
    for d, _, _, _, _ in kinds:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for i, name in enumerate(sorted(os.listdir(src))):
        stem, ext = os.path.splitext(name)
        if ext.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
            continue
        with Image.open(os.path.join(src, name)) as im:
            im = im.convert("RGB")
            for d, w, h, fmt, e in kinds:
                o = sized(im, w, h, i * 7919 + w)
                p = os.path.join(out, d, stem + e)
                if fmt == "JPEG":
                    o.save(p, "JPEG", quality=90, subsampling=2)
                elif fmt == "PNG":
                    o.save(p, "PNG")
                else:
                    o.save(p, "WEBP", quality=85, method=4)
            if with_odd:
                odd(im, stem, out, i * 7919 + 17)


if __name__ == "__main__":
    main()
