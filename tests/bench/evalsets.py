#!/usr/bin/python3
"""evalsets.py - sets of one kind for `make eval`: build them, score dedupe on them.

    evalsets.py build DIR SET...      write DIR/SET/files/<id>/<file> and DIR/SET/truth.tsv
                                      (sources from DIR/debs/root, extracted Debian packages)
    evalsets.py score DIR SET... -r RUN=REPORTDIR... [--json FILE] [--tsv FILE] [--false N]
                                      pair precision and recall per set and per transform
                                      (REPORTDIR/SET.ndjson: dedupe's output for the set)
    evalsets.py sets                  per set: name, Debian packages, version key; then what
                                      counts as distinct

Every set: originals, each with VARIANTS (2) variants drawn from the transforms with a
fixed seed (dealt so that each transform gets its share), distractors (other images of
the kind, no variants) and look-alikes (a distinct image that looks like one original).
Files of one id (an original and its variants) are true pairs; any two files of
different ids are distinct: grouping them is a false pair.  What counts as distinct, per
set, is written in SETS below and in DISTINCT.
"""
import colorsys
import glob
import hashlib
import io
import json
import math
import os
import random
import re
import subprocess
import sys
from collections import defaultdict

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval import groups_of  # noqa: E402  (the example-photo eval's reader of reports)

try:
    import numpy as np
except ImportError:  # noise, star fields and scan-like variants need it
    np = None

# the generator's version, and each set's (in SETS): a built set is kept while its key
# (both versions) is unchanged, so any change to what a set holds must bump one of them
GEN_VERSION = 1
VARIANTS = int(os.environ.get("EVAL_VARIANTS", "2"))  # variants per original (part of the key)
MAX_SIDE = 1024  # sources larger than this are shrunk first (featx time)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

DISTINCT = """\
What counts as distinct (a false pair when grouped) and what as a copy (a true pair):
- copies: an original and its variants (the transforms below), and two variants of one
  original.  Nothing else.
- photos: different photos and wallpapers; the light and dark versions of one GNOME
  wallpaper are distinct (look-alikes); the left and right 60 percent of an example photo
  (a pan: 20 percent overlap) are distinct (the whole photo is not in the set: each part
  is a crop of it).
- pages: different pages of a manual; neighbouring pages are the look-alikes.
- nightsky: star fields of different sky regions; a neighbouring region that overlaps a
  third of the width is distinct (a look-alike); two galaxies of nearly the same shape on
  different star fields are distinct; two phases of the Moon whose 32x32 thumbnails
  differ by 6 or more grey levels on average are distinct.
- flat: flat colours that differ by 20 or more levels in one channel, gradients whose
  end colour differs by 40 or more levels, overlays of a different shape, and cut-outs of
  one shape in a different colour are distinct.  A colour-changing transform (gamma,
  contrast, grayscale) of a flat image is still its copy.
- faces, ui: different source files (source files that are near-identical, as they are
  or after one tone curve, are dropped before the set is built); look-alikes are the nearest other source by a 16x16 grey
  thumbnail.  Drawn faces: the same face with another expression, glasses and shirt
  colour is distinct (a look-alike).
- icons: different icons of one theme (files, not links; two icons whose 32x32 grey
  thumbnails differ by under 1 level on average are one); the same folder, printer,
  battery or face with another emblem, level or expression is distinct (look-alikes are
  the nearest other icon by a 16x16 grey thumbnail).
- products: a shape on a plain background; the same shape in another colour (hue turned
  by at least 90 degrees and lightness changed) is distinct (a look-alike).
- octave-pages: as pages, from another manual (GNU Octave's), to see how the thresholds
  chosen on debian-reference carry to a manual of code and formulas.
- mate-icons, lxde-icons: as icons, from two other themes (MATE's at 256 px, LXDE's
  nuoveXT2 at 128 px), to see how the thresholds chosen on the sets above carry to
  themes they were not chosen on.  Two icons that are one drawing mirrored (go-next and
  go-previous, indent more and indent less) are distinct, as are two icons that differ
  only by a shade (a folder and the same folder paler).
- small-icons: as icons, from elementary-xfce at 48 px: a detail is a pixel or two, and
  most icons hold few keypoints or none, so the hashes and the details decide alone.
  Icons of two names that are one image (a theme's copy of an icon in two folders)
  are one picture: the set keeps the first.
- clipart: a children's game's drawings (pysiogame's art4apps), as icons: the nearest
  other drawing is the look-alike, often the same drawing with an arrow added or
  pointing at another part (a boy and a girl, a raft and its mast) or in other colours
  (a llama and a lama, a toad and a frog, beef and a steak); not used to choose
  thresholds.
- sprites: the same game's cards on transparency (fruit, animals, things, and grey
  silhouettes of some of the animals), as icons; a drawing both games hold is one.
- faenza-icons, tango-icons, symbolic-icons: as small-icons, from three more themes
  (Faenza at 96 px, Tango at 32 px, and Adwaita's one-colour symbolic glyphs at 96 px),
  added on 2026-12-07 and scored once before any change was made with them in view (the
  figures are in that session's note): how the decisions carry to themes nobody tuned
  on.  Two icons that are one glyph mirrored (a theme's left-to-right and right-to-left
  versions) are distinct, as in the other themes.
- moka-icons, yaru-icons: as small-icons, from two more themes (Moka's flat 64 px tiles,
  many one template with another glyph; Yaru at 256 px), added on 2026-12-07 after the
  two below and scored once before any change was made with them in view.
- portraits, openclipart: as sprites, from a strategy game's painted portraits (Wesnoth's
  figures of its races and classes) and from clip art of every kind (every sixteenth
  file of openclipart-png), added on 2026-12-07 and scored once before any change was
  made with them in view (that session's note); the nearest other picture is the
  look-alike.
- wallpapers, flags, terrain: three kinds more, added later on 2026-12-07 and scored once
  before any change was made with them in view (that session's note): KDE Plasma's and
  UKUI's wallpapers (renders, paintings, photos; a Plasma wallpaper's dark version is its
  look-alike and distinct, as GNOME's are), national flags at 320 x 240
  (iso-flags-png-320x240), and a puzzle game's terrain pieces (Pingus': a few textures
  cut into many shapes), the nearest other flag or piece the look-alike.  Two flags or
  pieces that are one mirrored (Guinea and Mali, a branch and its mirror) are distinct,
  as a theme's mirrored glyphs are; a piece the game holds at another size is one piece
  when their grey thumbnails are within 3 levels (as photos), else distinct.
- space: a space strategy game's art (FreeOrion's planets' surface maps, nebulae, stars,
  galaxy decorations), added later on 2026-12-07 and scored once before any change was
  made with it in view (that session's note): dark skies and lit discs of one style, as
  a night sky's pictures are; the nearest other picture is the look-alike, and a
  planet's bump map (its relief in gray, made from its surface map) is left out.
- creatures: a platform game's sprites (SuperTux's creatures: pixel art, 32 to 90 px),
  added and scored the same way: the frames of one creature's walk, flight or blink are
  distinct pictures (as a sprite's costumes are), and its nearest other frame, often a
  few pixels apart (a fuse's spark, a blink), is its look-alike.
- plots, forms: pictures of one template, generated, no threshold chosen on them: charts
  of one style whose axes, ticks, labels and title are the same (three styles: white,
  shaded with a grid, dark) and whose data differ (the look-alike of a chart is the same
  chart with other data); invoices, receipts and orders of three templates, each filled
  with another number, date, name and rows.  Any two charts or forms are distinct.
"""


def font(size):
    try:
        return ImageFont.truetype(FONT, max(8, int(size)))
    except OSError:
        return ImageFont.load_default()


MANUAL_WORDS = ("the of and to in is that for it as with was on be by this are from at or an "
                "which system image file copy page manual chapter section value option "
                "default group hash distance keeper record index search pair match colour "
                "photo scan").split()


def manual_page(number, rng, varied=False):
    """A page of a made-up manual, 850 x 1100: one font, one layout, different words (the
    look-alikes of the tests' precision checks).  varied adds code blocks on gray, lines
    indented or of several lengths."""
    dejavu = "/usr/share/fonts/truetype/dejavu/"
    text = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", 18)
    head = ImageFont.truetype(dejavu + "DejaVuSans-Bold.ttf", 26)
    mono = ImageFont.truetype(dejavu + "DejaVuSansMono.ttf", 16)
    im = Image.new("RGB", (850, 1100), (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.text((80, 60), "Chapter %d" % number, font=head, fill=0)
    y = 120
    while y < 1000:
        r = rng.random()
        if r < 0.08:
            y += 26
            continue
        if varied and r < 0.16:
            n = rng.randint(2, 5)
            d.rectangle((100, y, 760, y + 22 * n + 8), fill=(235, 235, 235))
            for k in range(n):
                d.text((110, y + 4 + 22 * k), "$ " + " ".join(
                    rng.choice(MANUAL_WORDS) for _ in range(rng.randint(2, 6))), font=mono, fill=0)
            y += 22 * n + 20
            continue
        line = []
        x = rng.choice((80, 80, 80, 110)) if varied else 80
        while len(" ".join(line)) < (rng.randint(40, 62) if varied else 62):
            line.append(rng.choice(MANUAL_WORDS))
        d.text((x, y), " ".join(line), font=text, fill=0)
        y += 26
    return im


DIALOG_SECTIONS = ("Catalogs", "Solar System", "Satellites", "Supernovae", "Guides",
                   "Terrain", "Colors", "FITS", "Ekos", "Advanced")


def settings_dialog(section, rng):
    """One page of a made-up settings dialog, 900 x 740: the frame every page shares (a
    title bar, a side bar of ten sections with an icon and a name each, the section
    picked, a row of buttons) around the section's own page, two columns of check boxes,
    sliders, number fields and radio buttons with words from rng (the look-alikes of the
    tests' precision checks: two pages share their frame and nothing else)."""
    dejavu = "/usr/share/fonts/truetype/dejavu/"
    ui = ImageFont.truetype(dejavu + "DejaVuSans.ttf", 13)
    big = ImageFont.truetype(dejavu + "DejaVuSans.ttf", 20)
    w, h, ink, blue = 900, 740, (20, 20, 20), (60, 150, 220)
    im = Image.new("RGB", (w, h), (239, 240, 241))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, w, 28), fill=(222, 224, 226))
    d.text((w // 2 - 70, 7), "Configure - Planetarium", font=ui, fill=ink)
    for k, x in enumerate((w - 80, w - 55, w - 30)):
        d.ellipse((x, 7, x + 14, 21), outline=(60, 60, 60), fill=(200, 60, 60) if k == 2 else None)
    d.rectangle((0, 29, 134, h - 45), fill=(252, 252, 252))
    for i, name in enumerate(DIALOG_SECTIONS):
        y, cx = 40 + i * 64, 67
        cy = y + 14
        if i == section:
            d.rectangle((0, y - 6, 134, y + 56), fill=(190, 220, 245))
        if i % 4 == 0:
            d.polygon([(cx, cy - 12), (cx + 11, cy + 10), (cx - 11, cy + 10)], fill=(40, 40, 40))
        elif i % 4 == 1:
            d.ellipse((cx - 12, cy - 12, cx + 12, cy + 12), outline=(40, 40, 40), width=3)
            d.ellipse((cx - 4, cy - 4, cx + 4, cy + 4), fill=(40, 40, 40))
        elif i % 4 == 2:
            d.rectangle((cx - 11, cy - 10, cx + 11, cy + 10), outline=(40, 40, 40), width=2)
            d.line((cx - 11, cy - 3, cx + 11, cy - 3), fill=(40, 40, 40), width=2)
        else:
            for k in range(4):
                d.line((cx - 12 + 8 * k, cy - 12, cx - 12 + 8 * k, cy + 12), fill=(40, 40, 40), width=2)
        d.text((cx - d.textlength(name, font=ui) / 2, y + 32), name, font=ui, fill=ink)
    for name, x in (("Help", 145), ("Defaults", 235), ("OK", w - 270), ("Apply", w - 180),
                    ("Cancel", w - 90)):
        d.rounded_rectangle((x, h - 38, x + 80, h - 10), 3, outline=(150, 150, 150), fill=(245, 245, 245))
        d.text((x + 14, h - 31), name, font=ui, fill=ink)
    d.text((145, 36), DIALOG_SECTIONS[section], font=big, fill=ink)
    d.rectangle((145, 70, w - 12, h - 50), outline=(200, 200, 200))
    for col in (0, 1):
        y = 80 + rng.randrange(0, 20)
        while y < h - 90:
            kind = rng.randrange(4)
            label = " ".join(rng.choice(MANUAL_WORDS) for _ in range(rng.randint(2, 4))).capitalize()
            x = 165 + col * 370 + rng.randrange(0, 30)
            if kind == 0:
                d.rectangle((x, y + 2, x + 13, y + 15), outline=(80, 80, 80),
                            fill=blue if rng.random() < .5 else (255, 255, 255))
                d.text((x + 22, y), label, font=ui, fill=ink)
            elif kind == 1:
                d.text((x, y), label + ":", font=ui, fill=ink)
                length, x0 = rng.randint(80, 150), x + 190
                k = x0 + rng.randrange(length)
                d.line((x0, y + 8, x0 + length, y + 8), fill=(180, 180, 180), width=4)
                d.line((x0, y + 8, k, y + 8), fill=blue, width=4)
                d.ellipse((k - 8, y, k + 8, y + 16), fill=(250, 250, 250), outline=(120, 120, 120))
            elif kind == 2:
                d.text((x, y), label + ":", font=ui, fill=ink)
                d.rectangle((x + 200, y - 3, x + 280, y + 19), outline=(140, 140, 140), fill=(255, 255, 255))
                d.text((x + 206, y), "%.1f" % (rng.random() * 30), font=ui, fill=ink)
            else:
                d.ellipse((x, y + 2, x + 13, y + 15), outline=(80, 80, 80))
                d.text((x + 22, y), label, font=ui, fill=ink)
                d.ellipse((x + 200, y + 2, x + 213, y + 15), outline=(80, 80, 80), fill=blue)
                d.text((x + 222, y), rng.choice(MANUAL_WORDS).capitalize(), font=ui, fill=ink)
            y += rng.choice((26, 30, 36))
    return im


# ---------------------------------------------------------------------------------------
# transforms: fn(image, rng, matte) -> image; matte is the colour an image with an alpha
# channel is shown on (where a transform or JPEG must flatten it)


def rgb(im, matte):
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, matte + (255,))
        return Image.alpha_composite(bg, im).convert("RGB")
    return im.convert("RGB")


def keep_alpha(im, fn):
    """apply fn to the colour of im, keeping its alpha channel"""
    if im.mode == "RGBA":
        a = im.getchannel("A")
        out = fn(im.convert("RGB"))
        if out.mode != "RGB":
            out = out.convert("RGB")
        out.putalpha(a)
        return out
    return fn(im.convert("RGB"))


def t_gamma(im, rng, matte):
    g = rng.choice((0.6, 0.7, 1.4, 1.6))
    lut = [min(255, int(255 * (i / 255.0) ** g + 0.5)) for i in range(256)]
    return keep_alpha(im, lambda c: c.point(lut * 3))


def t_contrast(im, rng, matte):
    f = rng.choice((0.7, 1.3, 1.5))
    return keep_alpha(im, lambda c: ImageEnhance.Contrast(c).enhance(f))


def t_gray(im, rng, matte):
    if im.mode == "RGBA":
        a = im.getchannel("A")
        g = ImageOps.grayscale(im.convert("RGB")).convert("LA")
        g.putalpha(a)
        return g
    return ImageOps.grayscale(im.convert("RGB"))


def t_blur(im, rng, matte):
    r = max(1.0, min(im.size) / 400.0) * rng.choice((1.0, 1.5, 2.0))
    return im.filter(ImageFilter.GaussianBlur(r))


def add_noise(c, sigma, seed):
    a = np.asarray(c, dtype=np.float32)
    a = a + np.random.default_rng(seed).normal(0, sigma, a.shape)
    return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), c.mode)


def t_noise(im, rng, matte):
    sigma = rng.choice((8, 12, 16))
    seed = rng.getrandbits(32)
    return keep_alpha(im, lambda c: add_noise(c, sigma, seed))


def t_resize50(im, rng, matte):
    return im.resize((max(8, im.width // 2), max(8, im.height // 2)), Image.LANCZOS)


def t_crop(frac):
    def fn(im, rng, matte):
        # frac of the width and of the height removed, split at random between the sides
        w, h = im.size
        cw, ch = int(w * frac), int(h * frac)
        x0, y0 = rng.randint(0, cw), rng.randint(0, ch)
        return im.crop((x0, y0, x0 + w - cw, y0 + h - ch))
    return fn


CAPTIONS = ("holiday 2019", "(c) azdedup", "SALE -30%", "draft", "copy", "page 12",
            "M42 - 2h exposure", "sample", "do not share", "my avatar")


def t_caption(im, rng, matte):
    # a line of text across the bottom quarter, in white with a dark outline, as captions
    # and watermarks are
    im = im.convert("RGBA") if im.mode in ("RGBA", "LA", "P") else im.convert("RGB")
    d = ImageDraw.Draw(im)
    w, h = im.size
    s = rng.choice(CAPTIONS)
    f = font(max(10, h // 12))
    tw = d.textlength(s, font=f)
    x = max(2, int((w - tw) / 2))
    y = int(h * 0.78)
    fill = (255, 255, 255, 255) if im.mode == "RGBA" else (255, 255, 255)
    d.text((x, y), s, font=f, fill=fill, stroke_width=max(1, h // 200),
           stroke_fill=(0, 0, 0, 255) if im.mode == "RGBA" else (0, 0, 0))
    return im


def t_border(im, rng, matte):
    # a frame of one colour, 4 to 8 percent of the short side
    w, h = im.size
    b = max(2, int(min(w, h) * rng.uniform(0.04, 0.08)))
    c = rng.choice(((255, 255, 255), (0, 0, 0), (128, 128, 128), (200, 180, 140)))
    mode = "RGBA" if im.mode in ("RGBA", "LA") else "RGB"
    out = Image.new(mode, (w + 2 * b, h + 2 * b), c + ((255,) if mode == "RGBA" else ()))
    out.paste(im.convert(mode), (b, b))
    return out


def t_letterbox(im, rng, matte):
    # black bars above and below (or left and right of a tall image) to 16:9 or 9:16
    w, h = im.size
    mode = "RGBA" if im.mode in ("RGBA", "LA") else "RGB"
    black = (0, 0, 0, 255) if mode == "RGBA" else (0, 0, 0)
    if w >= h:
        H = max(h + h // 5, w * 9 // 16)
        out = Image.new(mode, (w, H), black)
        out.paste(im.convert(mode), (0, (H - h) // 2))
    else:
        W = max(w + w // 5, h * 9 // 16)
        out = Image.new(mode, (W, h), black)
        out.paste(im.convert(mode), ((W - w) // 2, 0))
    return out


def t_rotate5(im, rng, matte):
    a = rng.choice((-5, 5))
    if im.mode == "RGBA":
        return im.rotate(a, resample=Image.BICUBIC)
    return im.convert("RGB").rotate(a, resample=Image.BICUBIC)


def t_scan(im, rng, matte):
    # a page printed and scanned: slight skew, margin crop, blur, noise, contrast, half
    # size, then JPEG 30 (the format below)
    c = rgb(im, matte)
    angle = rng.uniform(0.5, 1.5) * rng.choice((-1, 1))
    c = c.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    w, h = c.size
    m = [int(rng.uniform(0.02, 0.05) * s) for s in (w, h, w, h)]
    c = c.crop((m[0], m[1], w - m[2], h - m[3]))
    c = c.filter(ImageFilter.GaussianBlur(0.8))
    c = add_noise(c, 6, rng.getrandbits(32))
    c = ImageEnhance.Contrast(c).enhance(1.25)
    c = ImageEnhance.Brightness(c).enhance(0.95)
    return c.resize((max(8, c.width // 2), max(8, c.height // 2)), Image.LANCZOS)


def same(im, rng, matte):
    return im


# name -> (function, output format); the 17 transforms of every set, then the pages' scan
TRANSFORMS = [
    ("jpeg-q30", same, ("JPEG", 30)),
    ("jpeg-q75", same, ("JPEG", 75)),
    ("resize-50", t_resize50, ("PNG",)),
    ("blur", t_blur, ("PNG",)),
    ("noise", t_noise, ("PNG",)),
    ("gamma", t_gamma, ("PNG",)),
    ("contrast", t_contrast, ("PNG",)),
    ("grayscale", t_gray, ("PNG",)),
    ("crop-10", t_crop(0.10), ("PNG",)),
    ("crop-20", t_crop(0.20), ("PNG",)),
    ("caption", t_caption, ("PNG",)),
    ("border", t_border, ("PNG",)),
    ("letterbox", t_letterbox, ("PNG",)),
    ("mirror", lambda im, r, m: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ("PNG",)),
    ("rotate-90", lambda im, r, m: im.transpose(Image.Transpose.ROTATE_90), ("PNG",)),
    ("rotate-180", lambda im, r, m: im.transpose(Image.Transpose.ROTATE_180), ("PNG",)),
    ("rotate-5deg", t_rotate5, ("PNG",)),
    ("scan", t_scan, ("JPEG", 30)),
]
TRANSFORM_NAMES = [t[0] for t in TRANSFORMS]
EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def save(im, path_stem, fmt, matte):
    path = "%s.%s" % (path_stem, EXT[fmt[0]])
    if fmt[0] == "JPEG":
        rgb(im, matte).save(path, "JPEG", quality=fmt[1])
    else:
        if im.mode not in ("RGB", "RGBA", "L", "LA"):
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        im.save(path, fmt[0])
    return path


# ---------------------------------------------------------------------------------------
# sources


def shrink(im):
    im.load()
    if im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if ("transparency" in im.info or "A" in im.mode) else "RGB")
    if max(im.size) > MAX_SIDE:
        f = MAX_SIDE / max(im.size)
        im = im.resize((max(8, round(im.width * f)), max(8, round(im.height * f))), Image.LANCZOS)
    return im


def thumb(im, n=16):
    return list(rgb(im, (255, 255, 255)).convert("L").resize((n, n), Image.BILINEAR).getdata())


def tdist(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)


def tone_dist(a, b):
    """the mean absolute difference of thumbnail b from the rising straight line (a tone
    curve: brightness and contrast) that fits b to a best, least squares"""
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sxx = sum((x - ma) ** 2 for x in a)
    sxy = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    k = sxy / sxx if sxx > 0 and sxy > 0 else 0
    return sum(abs(y - (k * (x - ma) + mb)) for x, y in zip(a, b)) / n


def drop_near_identical(items, limit=3.0):
    """items [(key, image)] less those whose 32x32 grey thumbnail is within limit (mean
    absolute difference) of an earlier one, as it is or after one tone curve: re-captures
    of one screen, one picture at two sizes, one photo printed with two colour profiles
    (gnome-help's color-display and color-printer figures).  The sets' own gamma,
    contrast and grayscale transforms make copies of that kind, so two such sources are
    one picture, not two."""
    kept, th = [], []
    for k, im in items:
        t = thumb(im, 32)
        if any(tdist(t, u) < limit or min(tone_dist(t, u), tone_dist(u, t)) < limit
               for u in th):
            continue
        kept.append((k, im))
        th.append(t)
    return kept


def nearest_pairs(items, count, rng):
    """look-alikes: up to count (original, look-alike) pairs, each the nearest other item
    by grey thumbnail, every item used once"""
    th = {k: thumb(im) for k, im in items}
    keys = [k for k, _ in items]
    cand = sorted((tdist(th[a], th[b]), a, b) for i, a in enumerate(keys) for b in keys[i + 1:])
    used, out = set(), []
    for _, a, b in cand:
        if a in used or b in used:
            continue
        used.update((a, b))
        out.append((a, b) if rng.random() < 0.5 else (b, a))
        if len(out) == count:
            break
    return out


def open_files(paths):
    out = []
    for p in paths:
        try:
            im = Image.open(p)
            im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a smaller scale
            im = shrink(im)
        except (OSError, ValueError) as e:
            print("evalsets: %s: %s (skipped)" % (p, e), file=sys.stderr)
            continue
        if min(im.size) < 32:
            continue
        out.append((os.path.splitext(os.path.basename(p))[0], im))
    return out


# ---------------------------------------------------------------------------------------
# the sets: each returns (originals, distractors, lookalikes, source note), where
# originals and distractors are [(key, image)] and lookalikes [(original's key, image,
# own key)]


def split(items, rng, n_orig, n_dist, n_look, lookalike_of=None):
    """originals, distractors and look-alikes from one pool of distinct items: look-alike
    pairs first (nearest items), then originals, then distractors"""
    items = list(items)
    rng.shuffle(items)
    look = nearest_pairs(items, n_look, rng) if lookalike_of is None else lookalike_of
    by = dict(items)
    used = set()
    originals, lookalikes = [], []
    for a, b in look:
        originals.append((a, by[a]))
        lookalikes.append((a, by[b], b))
        used.update((a, b))
    rest = [kv for kv in items if kv[0] not in used]
    k = max(0, n_orig - len(originals))
    originals += rest[:k]
    distractors = rest[k:k + n_dist]
    return originals, distractors, lookalikes


def set_photos(root, rng):
    ex = sorted(glob.glob("examples/photos/*.*"))
    ex = [p for p in ex if p.lower().endswith((".jpg", ".png", ".webp"))]
    gn = sorted(glob.glob(os.path.join(root, "usr/share/backgrounds/gnome/*.webp")))
    mate = sorted(p for p in glob.glob(os.path.join(root, "usr/share/backgrounds/mate/*/*.*"))
                  if p.lower().endswith((".jpg", ".png")))
    # one picture at several sizes (Elephants_3840x2160.jpg): keep the first
    seen, mate1 = set(), []
    for p in mate:
        stem = os.path.splitext(os.path.basename(p))[0].split("_")[0]
        if stem not in seen:
            seen.add(stem)
            mate1.append(p)
    # the example photos as a pan: the left 60 percent is the original, the right 60
    # percent (20 percent overlap) its look-alike; the whole photo is not in the set (each
    # part is a crop of it)
    items, look = [], []
    for k, im in open_files(ex):
        w, h = im.size
        items.append((k, im.crop((0, 0, w * 3 // 5, h))))
        look.append((k, im.crop((w * 2 // 5, 0, w, h)), k + "-right"))
    g = dict(open_files(gn))
    for k in sorted(g):
        if k.endswith("-l") and k[:-2] + "-d" in g:
            items.append((k, g[k]))
            look.append((k, g[k[:-2] + "-d"], k[:-2] + "-d"))
    mates = drop_near_identical(open_files(mate1))
    rng.shuffle(mates)
    # the MATE wallpapers: 14 originals, the rest distractors
    items += mates[:14]
    rng.shuffle(items)
    lk = {k: (im, n) for k, im, n in look}
    originals = items
    lookalikes = [(k,) + lk[k] for k, _ in originals if k in lk]
    return originals, mates[14:], lookalikes, (
        "examples/photos (left 60%, the right 60% as its look-alike), gnome-backgrounds "
        "(light versions; the dark ones as look-alikes), mate-backgrounds")


def render_pdf(pdf, pages, dpi, tmp):
    out = []
    for p in pages:
        stem = os.path.join(tmp, "p%04d" % p)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(p), "-l", str(p), "-singlefile",
                        "-png", pdf, stem], check=True)
        out.append((p, Image.open(stem + ".png").convert("RGB")))
        os.unlink(stem + ".png")
    return out


def pdf_pages(pdf):
    r = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise RuntimeError("%s: no page count" % pdf)


def manual_pages(root, tmp, manual, tag, other, otag):
    """40 pages spread over a manual (skipping the first 10: title, contents), the page
    after each of 12 of them as its look-alike; 20 pages of another manual as
    distractors; all at 60 dpi"""
    ref = os.path.join(root, manual)
    gp = os.path.join(root, other)
    for p in (ref, gp):
        if not os.path.exists(p):
            raise RuntimeError("%s: missing" % p)
    n = pdf_pages(ref)
    starts = [10 + i * (n - 20) // 40 for i in range(40)]
    pick = sorted(set(starts) | {p + 1 for p in starts[:: 40 // 12][:12]})
    pages = dict(render_pdf(ref, pick, 60, tmp))
    originals = [("%s-p%d" % (tag, p), pages[p]) for p in starts]
    lookalikes = [("%s-p%d" % (tag, p), pages[p + 1], "%s-p%d" % (tag, p + 1))
                  for p in starts[:: 40 // 12][:12]]
    ng = pdf_pages(gp)
    dp = [20 + i * (ng - 40) // 20 for i in range(20)]
    distractors = [("%s-p%d" % (otag, p), im) for p, im in render_pdf(gp, dp, 60, tmp)]
    return originals, distractors, lookalikes


def set_pages(root, rng, tmp):
    o, d, lk = manual_pages(root, tmp, "usr/share/debian-reference/debian-reference.en.pdf", "ref",
                            "usr/share/doc/gnuplot/gnuplot.pdf", "gnuplot")
    return o, d, lk, ("debian-reference-en (pages at 60 dpi, neighbouring pages as look-alikes), "
                      "gnuplot-doc pages as distractors; pdftoppm")


def set_octave_pages(root, rng, tmp):
    o, d, lk = manual_pages(root, tmp, "usr/share/doc/octave/octave.pdf", "octave",
                            "usr/share/developers-reference/developers-reference.pdf", "devref")
    return o, d, lk, ("octave-doc's manual (pages at 60 dpi, neighbouring pages as look-alikes; "
                      "not used to choose thresholds), developers-reference pages as "
                      "distractors; pdftoppm")


class Sky:
    """a strip of synthetic sky: stars as Gaussians (power-law brightness, some colour),
    faint nebulae from smoothed noise, a sky-glow gradient; deterministic from a seed"""

    SIGMAS = (0.7, 1.0, 1.4, 1.9, 2.5)

    def __init__(self, seed, width, height=600):
        r = np.random.default_rng(seed)
        n = int(width * height * 0.0012)
        self.x = r.uniform(0, width, n)
        self.y = r.uniform(0, height, n)
        self.mag = r.pareto(1.6, n) + 1.0
        # brighter stars are wider: one of five widths
        self.cls = np.minimum(len(self.SIGMAS) - 1, (np.log2(self.mag) * 1.2).astype(int))
        self.tint = r.uniform(-0.15, 0.15, (n, 3))
        self.seed = seed
        self.h = height

    def tile(self, x0, w):
        h, pad = self.h, 20
        H, W = h + 2 * pad, w + 2 * pad
        img = np.zeros((h, w, 3), np.float32)
        # sky glow: a gradient from the horizon, and a nebula from smoothed noise
        yy = np.linspace(1, 0, h)[:, None, None]
        img += np.array([8, 10, 22], np.float32) + 18 * yy ** 2 * np.array([1.0, 0.8, 0.6], np.float32)
        r = np.random.default_rng(self.seed + int(x0))
        lo = r.normal(0, 1, (h // 40 + 2, w // 40 + 2, 3)).astype(np.float32)
        neb = np.asarray(Image.fromarray(((lo - lo.min()) / (np.ptp(lo) + 1e-6) * 255).astype(np.uint8))
                         .resize((w, h), Image.BICUBIC), np.float32) / 255.0
        img += 30 * np.clip(neb - 0.45, 0, 1) * np.array([1.0, 0.4, 0.7], np.float32)
        # stars: their light put on the nearest pixel (of a padded frame), then each width
        # class blurred by its Gaussian (in the frequency domain)
        sel = (self.x >= x0 - pad) & (self.x < x0 + w + pad)
        xs, ys = self.x[sel] - x0 + pad, self.y[sel] + pad
        amp = np.minimum(255.0, 40 * self.mag[sel])
        fy = np.fft.fftfreq(H)[:, None]
        fx = np.fft.rfftfreq(W)[None, :]
        for c, s in enumerate(self.SIGMAS):
            k = self.cls[sel] == c
            if not k.any():
                continue
            acc = np.zeros((H, W, 3), np.float64)
            xi = np.clip(np.rint(xs[k]).astype(int), 0, W - 1)
            yi = np.clip(np.rint(ys[k]).astype(int), 0, H - 1)
            np.add.at(acc, (yi, xi), (amp[k, None] * (1 + self.tint[sel][k])) * 2 * math.pi * s * s)
            g = np.exp(-2 * math.pi ** 2 * s * s * (fx ** 2 + fy ** 2))[..., None]
            acc = np.fft.irfft2(np.fft.rfft2(acc, axes=(0, 1)) * g, s=(H, W), axes=(0, 1))
            img += acc[pad:pad + h, pad:pad + w].astype(np.float32)
        img += r.normal(0, 2.0, img.shape).astype(np.float32)
        return Image.fromarray(np.clip(img + 0.5, 0, 255).astype(np.uint8), "RGB")


def galaxy(bg, g):
    """a galaxy (an exponential disc with two spiral arms and a bulge) from the parameters
    g, on the star field bg"""
    w, h = bg.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = xx - g["cx"] * w, yy - g["cy"] * h
    c, s_ = math.cos(g["angle"]), math.sin(g["angle"])
    u, v = x * c + y * s_, (-x * s_ + y * c) / g["q"]
    r = np.hypot(u, v) + 1e-3
    th = np.arctan2(v, u)
    rs = g["size"] * min(w, h)
    arms = 1 + g["arms"] * np.cos(2 * (th - np.log(r / rs + 1e-3) / g["pitch"]))
    disc = np.exp(-r / rs) * arms
    bulge = np.exp(-(r / (rs * 0.25)) ** 2)
    light = (disc[..., None] * np.array(g["disc"], np.float32) +
             bulge[..., None] * np.array(g["core"], np.float32))
    out = np.asarray(bg, np.float32) + light * g["bright"]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def galaxy_params(rng):
    return {"cx": rng.uniform(0.35, 0.65), "cy": rng.uniform(0.35, 0.65), "angle": rng.uniform(0, math.pi),
            "q": rng.uniform(0.3, 0.9), "size": rng.uniform(0.06, 0.12), "arms": rng.uniform(0.2, 0.7),
            "pitch": rng.uniform(0.3, 0.6), "disc": (rng.uniform(0.6, 1), rng.uniform(0.6, 0.9), 1.0),
            "core": (1.0, rng.uniform(0.8, 0.95), rng.uniform(0.5, 0.8)), "bright": rng.uniform(120, 220)}


def set_nightsky(root, rng):
    if np is None:
        raise RuntimeError("python3-numpy is missing")
    w = 800
    sky = Sky(20261201, 3 * w * 60 + w)
    # star fields: region i starts at 3w*i: a gap of two widths between originals; the
    # look-alike of region i starts two thirds of a width further (overlap: a third)
    originals, lookalikes, distractors = [], [], []
    for i in range(26):
        x0 = 3 * w * i
        originals.append(("sky-%d" % x0, sky.tile(x0, w)))
        if i % 3 == 0:
            lookalikes.append(("sky-%d" % x0, sky.tile(x0 + 2 * w // 3, w), "sky-%d" % (x0 + 2 * w // 3)))
    for i in range(26, 36):
        x0 = 3 * w * i
        distractors.append(("sky-%d" % x0, sky.tile(x0, w)))
    # galaxies on star fields (dimmed): 8 originals, 4 distractors; look-alike of 3: another
    # galaxy of nearly the same shape on another field
    for i in range(12):
        x0 = 3 * w * (36 + i)
        g = galaxy_params(rng)
        item = ("galaxy-%d" % i, galaxy(ImageEnhance.Brightness(sky.tile(x0, w)).enhance(0.6), g))
        (originals if i < 8 else distractors).append(item)
        if i < 3:
            g2 = dict(g, angle=g["angle"] + rng.choice((-1, 1)) * 0.5, q=min(0.95, g["q"] + 0.1),
                      arms=g["arms"] * 0.7)
            bg2 = ImageEnhance.Brightness(sky.tile(3 * w * (50 + i), w)).enhance(0.6)
            lookalikes.append((item[0], galaxy(bg2, g2), item[0] + "-other"))
    # the Moon's phases from kstars-data (grey with alpha, shown on black); phases whose
    # 32x32 thumbnails on black are within 6 levels of a kept one are dropped (the textures
    # near full and new moon barely differ); of the rest, in phase order, pairs of
    # neighbours: the first of three pairs an original with the second its look-alike,
    # then originals, the last three distractors
    moons = sorted(glob.glob(os.path.join(root, "usr/share/kstars/textures/moon[0-9][0-9].png")))
    if len(moons) != 36:
        raise RuntimeError("kstars-data: %d moon textures, not 36" % len(moons))
    kept, th = [], []
    for f in moons:
        im = Image.open(f).convert("RGBA")
        t = thumb(rgb(im, (0, 0, 0)), 32)
        if all(tdist(t, u) >= 6 for u in th):
            kept.append((os.path.basename(f)[:-4], im))
            th.append(t)
    for k in range(3):
        originals.append(kept[2 * k])
        lookalikes.append((kept[2 * k][0], kept[2 * k + 1][1], kept[2 * k + 1][0]))
    originals += kept[6:-3]
    distractors += kept[-3:]
    return originals, distractors, lookalikes, (
        "generated star fields cut from one synthetic strip of sky (seed 20261201; no "
        "Debian package outside the reserved list has night-sky photos), generated galaxies "
        "on star fields, and the Moon's phases from kstars-data")


def gradient(w, h, c0, c1, angle, radial=False):
    a = np.zeros((h, w, 3), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if radial:
        t = np.hypot(xx - w / 2, yy - h / 2) / math.hypot(w / 2, h / 2)
    else:
        dx, dy = math.cos(angle), math.sin(angle)
        p = xx * dx + yy * dy
        t = (p - p.min()) / (np.ptp(p) + 1e-6)
    a = np.array(c0, np.float32) * (1 - t[..., None]) + np.array(c1, np.float32) * t[..., None]
    return Image.fromarray(np.clip(a + 0.5, 0, 255).astype(np.uint8), "RGB")


def shape_mask(w, h, kind, rng, box=None):
    m = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(m)
    if box is None:
        bw, bh = rng.uniform(0.3, 0.6) * w, rng.uniform(0.3, 0.6) * h
        x0, y0 = rng.uniform(0.1, 0.9) * w - bw / 2, rng.uniform(0.1, 0.9) * h - bh / 2
        box = (x0, y0, x0 + bw, y0 + bh)
    if kind == "ellipse":
        d.ellipse(box, fill=255)
    elif kind == "rect":
        d.rounded_rectangle(box, radius=int((box[2] - box[0]) / 6), fill=255)
    elif kind == "triangle":
        d.polygon([(box[0], box[3]), ((box[0] + box[2]) / 2, box[1]), (box[2], box[3])], fill=255)
    elif kind == "star":
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        R = min(box[2] - box[0], box[3] - box[1]) / 2
        pts = [(cx + (R if k % 2 == 0 else R / 2.3) * math.sin(k * math.pi / 5),
                cy - (R if k % 2 == 0 else R / 2.3) * math.cos(k * math.pi / 5)) for k in range(10)]
        d.polygon(pts, fill=255)
    elif kind == "text":
        s = rng.choice(("LOGO", "azd", "OK", "NEW", "beta", "2026"))
        f = font(h // 3)
        x0, y0, x1, y1 = d.textbbox((0, 0), s, font=f)
        x = min(max(0, box[0]), w - (x1 - x0)) - x0
        y = min(max(0, box[1]), h - (y1 - y0)) - y0
        d.text((x, y), s, font=f, fill=255)
    return m, box


SHAPES = ("ellipse", "rect", "triangle", "star", "text")


def far_colour(rng, taken, gap):
    for _ in range(10000):
        c = tuple(rng.randrange(0, 256) for _ in range(3))
        if all(max(abs(a - b) for a, b in zip(c, t)) >= gap for t in taken):
            return c
    raise RuntimeError("no colour far enough")


def set_flat(root, rng):
    if np is None:
        raise RuntimeError("python3-numpy is missing")
    w, h = 640, 480
    items, looks = [], []
    taken = []
    # flat colours: 14 originals at least 48 levels apart in some channel; look-alike of 5:
    # the same colour 20 levels off in one channel; 8 more as distractors
    for i in range(22):
        c = far_colour(rng, taken, 48)
        taken.append(c)
        items.append(("flat-%02x%02x%02x" % c, Image.new("RGB", (w, h), c)))
    for k, im in items[:5]:
        c = list(im.getpixel((0, 0)))
        j = rng.randrange(3)
        c[j] = c[j] + 20 if c[j] < 200 else c[j] - 20
        looks.append((k, Image.new("RGB", (w, h), tuple(c)), "flat-%02x%02x%02x" % tuple(c)))
    flats = items
    # gradients: linear at an angle, or radial; look-alike: one end colour 40 levels off
    grads = []
    for i in range(18):
        c0, c1 = far_colour(rng, [], 0), far_colour(rng, [], 0)
        ang = rng.uniform(0, 2 * math.pi)
        radial = rng.random() < 0.25
        grads.append(("grad-%d" % i, gradient(w, h, c0, c1, ang, radial), (c0, c1, ang, radial)))
    for k, im, (c0, c1, ang, radial) in grads[:4]:
        c = list(c1)
        j = rng.randrange(3)
        c[j] = c[j] + 40 if c[j] < 180 else c[j] - 40
        looks.append((k, gradient(w, h, c0, tuple(c), ang, radial), k + "-other-end"))
    # transparent overlays: white RGB with the picture in the alpha channel (a watermark
    # or icon made to lie on a dark page), and cut-outs: a coloured shape on transparency;
    # look-alike: the same kind, another shape in the same place / the same shape in
    # another colour
    overlays = []
    for i in range(14):
        kind = SHAPES[i % len(SHAPES)]
        m, box = shape_mask(w, h, kind, rng)
        m = m.filter(ImageFilter.GaussianBlur(1.5))
        if i % 2 == 0:
            im = Image.new("RGBA", (w, h), (255, 255, 255, 0))
            im.putalpha(m)
            overlays.append(("ink-%d" % i, im, (kind, box, None)))
        else:
            c = far_colour(rng, [], 0)
            im = Image.new("RGBA", (w, h), c + (0,))
            im.putalpha(m)
            overlays.append(("cut-%d" % i, im, (kind, box, c)))
    for k, im, (kind, box, c) in overlays[:4]:
        if c is None:
            other = SHAPES[(SHAPES.index(kind) + 1) % 4]
            m, _ = shape_mask(w, h, other, rng, box)
            m = m.filter(ImageFilter.GaussianBlur(1.5))
            lim = Image.new("RGBA", (w, h), (255, 255, 255, 0))
        else:
            m = im.getchannel("A")
            lim = Image.new("RGBA", (w, h), far_colour(rng, [c], 120) + (0,))
        lim.putalpha(m)
        looks.append((k, lim, k + ("-other-shape" if c is None else "-other-colour")))
    originals = flats[:14] + [(k, im) for k, im, _ in grads[:12]] + [(k, im) for k, im, _ in overlays[:10]]
    distractors = flats[14:] + [(k, im) for k, im, _ in grads[12:]] + [(k, im) for k, im, _ in overlays[10:]]
    return originals, distractors, looks, (
        "generated: flat colours, linear and radial gradients, white-on-alpha overlays "
        "(shown on black) and coloured cut-outs on transparency (shown on white)")


SKIN = ((255, 224, 189), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 56, 30))
HAIR = ((20, 20, 20), (90, 56, 30), (160, 110, 50), (230, 200, 120), (170, 60, 30), (140, 140, 140))


def face(size, p):
    """a drawn avatar face from the parameters p (a dict): head, hair, eyes, mouth,
    glasses, background"""
    S = size
    im = Image.new("RGB", (S, S), p["bg"])
    d = ImageDraw.Draw(im)
    cx, cy = S / 2, S * 0.55
    hw, hh = S * p["hw"], S * p["hh"]
    d.ellipse((cx - hw * 1.6, S * 0.85, cx + hw * 1.6, S * 1.4), fill=p["shirt"])  # shoulders
    if p["long"]:
        d.rounded_rectangle((cx - hw * 1.1, cy - hh * 1.05, cx + hw * 1.1, cy + hh * 0.9), S // 10, fill=p["hair"])
    d.ellipse((cx - hw, cy - hh, cx + hw, cy + hh), fill=p["skin"])
    d.chord((cx - hw * 1.05, cy - hh * 1.1, cx + hw * 1.05, cy + hh * p["fringe"]), 180, 360, fill=p["hair"])
    ey = cy - hh * 0.05
    for sx in (-1, 1):
        ex = cx + sx * hw * p["eyes"]
        r = S * 0.025
        d.ellipse((ex - r * 1.6, ey - r, ex + r * 1.6, ey + r * 1.2), fill=(255, 255, 255))
        d.ellipse((ex - r * 0.8, ey - r * 0.7, ex + r * 0.8, ey + r * 0.9), fill=p["iris"])
        d.line((ex - r * 2, ey - r * 3 + p["brow"] * S, ex + r * 2, ey - r * 3.4), fill=p["hair"], width=max(2, S // 90))
        if p["glasses"]:
            d.ellipse((ex - r * 3, ey - r * 2.4, ex + r * 3, ey + r * 2.4), outline=(30, 30, 30), width=max(2, S // 120))
    my = cy + hh * 0.45
    if p["smile"]:
        d.arc((cx - hw * 0.4, my - hh * 0.2, cx + hw * 0.4, my + hh * 0.15), 20, 160, fill=(150, 40, 40), width=max(2, S // 80))
    else:
        d.line((cx - hw * 0.25, my, cx + hw * 0.25, my), fill=(150, 40, 40), width=max(2, S // 80))
    d.polygon([(cx, cy), (cx - S * 0.02, cy + hh * 0.25), (cx + S * 0.02, cy + hh * 0.25)],
              fill=tuple(int(c * 0.85) for c in p["skin"]))
    return im


def face_params(rng):
    return {"bg": tuple(rng.randrange(120, 256) for _ in range(3)), "skin": rng.choice(SKIN),
            "hair": rng.choice(HAIR), "shirt": tuple(rng.randrange(0, 256) for _ in range(3)),
            "iris": rng.choice(((60, 40, 20), (40, 90, 160), (50, 110, 60))),
            "hw": rng.uniform(0.2, 0.26), "hh": rng.uniform(0.27, 0.33), "long": rng.random() < 0.5,
            "fringe": rng.uniform(-0.6, -0.2), "eyes": rng.uniform(0.35, 0.45),
            "brow": rng.uniform(-0.01, 0.01), "glasses": rng.random() < 0.3, "smile": rng.random() < 0.6}


def set_faces(root, rng):
    fs = sorted(glob.glob(os.path.join(root, "usr/share/pixmaps/faces/*.*")))
    items = drop_near_identical(open_files(fs))
    o, d, lk = split(items, rng, 24, 6, 5)
    # drawn faces: 22 (16 originals, 6 distractors); look-alike of 6: the same face with
    # another expression, glasses and shirt
    drawn = []
    for i in range(22):
        p = face_params(rng)
        drawn.append(("drawn-%d" % i, face(512, p), p))
    for k, im, p in drawn[:6]:
        q = dict(p, smile=not p["smile"], glasses=not p["glasses"],
                 shirt=tuple(rng.randrange(0, 256) for _ in range(3)))
        lk.append((k, face(512, q), k + "-other-expression"))
    o += [(k, im) for k, im, _ in drawn[:16]]
    d += [(k, im) for k, im, _ in drawn[16:]]
    return o, d, lk, ("gnome-control-center-data /usr/share/pixmaps/faces (avatars, not "
                      "the legacy/ copies; look-alikes: nearest other avatar) and drawn "
                      "faces (look-alikes: another expression and glasses)")


def set_ui(root, rng):
    fs = sorted(glob.glob(os.path.join(root, "usr/share/doc/HTML/en/kstars/*.png")) +
                glob.glob(os.path.join(root, "usr/share/help/C/gnome-help/figures/*.png")))
    items = [(k, im) for k, im in open_files(fs) if im.width >= 300 and im.height >= 200]
    items = drop_near_identical(items)
    o, d, lk = split(items, rng, 45, 20, 12)
    return o, d, lk, ("kstars-data (en handbook screenshots), gnome-user-docs (C figures); "
                      "look-alikes: nearest other screenshot (dialog tabs, wizard pages)")


def product(w, h, kind, colour, bg, rng_geom):
    r = rng_geom
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im, "RGBA")
    cx, cy = w / 2 + r.uniform(-0.08, 0.08) * w, h / 2 + r.uniform(-0.05, 0.05) * h
    s = min(w, h) * r.uniform(0.28, 0.38)
    # a soft shadow under the object
    sh = Image.new("L", (w, h), 0)
    ImageDraw.Draw(sh).ellipse((cx - s, cy + s * 0.85, cx + s, cy + s * 1.1), fill=90)
    sh = sh.filter(ImageFilter.GaussianBlur(s / 8))
    im.paste((60, 60, 60), (0, 0), sh)
    dark = tuple(int(c * 0.7) for c in colour)
    if kind == "mug":
        d.rounded_rectangle((cx - s * 0.6, cy - s * 0.7, cx + s * 0.6, cy + s * 0.9), s / 8, fill=colour)
        d.ellipse((cx + s * 0.45, cy - s * 0.35, cx + s * 1.0, cy + s * 0.45), outline=dark, width=int(s / 7))
    elif kind == "bottle":
        d.rounded_rectangle((cx - s * 0.35, cy - s * 0.4, cx + s * 0.35, cy + s), s / 6, fill=colour)
        d.rectangle((cx - s * 0.12, cy - s, cx + s * 0.12, cy - s * 0.35), fill=dark)
    elif kind == "box":
        d.polygon([(cx - s * 0.8, cy - s * 0.3), (cx, cy - s * 0.7), (cx + s * 0.8, cy - s * 0.3),
                   (cx, cy + s * 0.1)], fill=tuple(min(255, int(c * 1.2)) for c in colour))
        d.polygon([(cx - s * 0.8, cy - s * 0.3), (cx, cy + s * 0.1), (cx, cy + s), (cx - s * 0.8, cy + s * 0.6)],
                  fill=colour)
        d.polygon([(cx + s * 0.8, cy - s * 0.3), (cx, cy + s * 0.1), (cx, cy + s), (cx + s * 0.8, cy + s * 0.6)],
                  fill=dark)
    elif kind == "ball":
        d.ellipse((cx - s * 0.8, cy - s * 0.6, cx + s * 0.8, cy + s), fill=colour)
        d.ellipse((cx - s * 0.45, cy - s * 0.35, cx - s * 0.1, cy), fill=(255, 255, 255, 110))
    elif kind == "shoe":
        d.polygon([(cx - s, cy + s * 0.6), (cx - s, cy - s * 0.1), (cx - s * 0.3, cy - s * 0.2),
                   (cx + s * 0.2, cy + s * 0.2), (cx + s, cy + s * 0.35), (cx + s, cy + s * 0.6)], fill=colour)
        d.rectangle((cx - s, cy + s * 0.6, cx + s, cy + s * 0.75), fill=dark)
    else:  # lamp
        d.polygon([(cx - s * 0.6, cy - s * 0.1), (cx - s * 0.3, cy - s * 0.8), (cx + s * 0.3, cy - s * 0.8),
                   (cx + s * 0.6, cy - s * 0.1)], fill=colour)
        d.rectangle((cx - s * 0.05, cy - s * 0.1, cx + s * 0.05, cy + s * 0.8), fill=dark)
        d.ellipse((cx - s * 0.4, cy + s * 0.7, cx + s * 0.4, cy + s * 0.95), fill=dark)
    return im


PRODUCTS = ("mug", "bottle", "box", "ball", "shoe", "lamp")


def set_products(root, rng):
    w, h = 640, 640
    originals, looks, distractors = [], [], []
    for i in range(44):
        kind = PRODUCTS[i % len(PRODUCTS)]
        hue = rng.random()
        light = rng.uniform(0.35, 0.6)
        colour = tuple(int(255 * c) for c in colorsys.hls_to_rgb(hue, light, rng.uniform(0.5, 0.9)))
        bg = rng.choice(((255, 255, 255), (245, 245, 245), (235, 238, 242), (250, 246, 238)))
        gseed = rng.getrandbits(32)
        im = product(w, h, kind, colour, bg, random.Random(gseed))
        item = ("%s-%d" % (kind, i), im)
        (originals if i < 32 else distractors).append(item)
        if i < 10:
            # the same product in another colour: hue turned 90 to 270 degrees, lighter or
            # darker by 0.15
            h2 = (hue + rng.uniform(0.25, 0.75)) % 1.0
            l2 = light + (0.15 if light < 0.5 else -0.15)
            c2 = tuple(int(255 * c) for c in colorsys.hls_to_rgb(h2, l2, 0.7))
            looks.append((item[0], product(w, h, kind, c2, bg, random.Random(gseed)), item[0] + "-other-colour"))
    return originals, distractors, looks, (
        "generated: six kinds of object on a plain light background with a soft shadow; "
        "look-alikes: the same object in another colour")


PLOT_TITLES = ("Training loss", "Validation accuracy", "Throughput", "Latency", "Memory use",
               "Temperature", "Response time", "Error rate")
PLOT_STYLES = ("plain", "shaded", "dark")


CARTOON_COLOURS = ((230, 60, 50), (250, 200, 40), (60, 150, 230), (90, 190, 80),
                   (240, 140, 180), (160, 100, 60), (250, 150, 40), (140, 90, 200))


def cartoon(r, shapes=(5, 8), at=(20, 150), size=(25, 70), spread=30, strokes=True):
    """A drawing for the tests, 200 px on white: shapes (a count from the range) filled
    and outlined in black two pixels wide, ellipses or polygons, placed within at and
    sized within size (a polygon's corners within spread of its place); with strokes,
    a few short lines one pixel wide around each (hair, whiskers, a movement's marks)."""
    im = Image.new("RGB", (200, 200), "white")
    d = ImageDraw.Draw(im)
    for _ in range(r.randint(*shapes)):
        x, y = r.randint(*at), r.randint(*at)
        w, h = r.randint(*size), r.randint(*size)
        c = r.choice(CARTOON_COLOURS)
        if r.random() < 0.5:
            d.ellipse((x, y, min(195, x + w), min(195, y + h)), fill=c, outline="black",
                      width=2)
        else:
            pts = [(x + r.randint(-spread, spread), y + r.randint(-spread, spread))
                   for _ in range(r.randint(3, 5))]
            d.polygon(pts, fill=c, outline="black", width=2)
        for _ in range(r.randint(2, 5) if strokes else 0):
            x0, y0 = r.randint(5, 195), r.randint(5, 195)
            d.line((x0, y0, x0 + r.randint(-12, 12), y0 + r.randint(-12, 12)),
                   fill="black", width=1)
    return im


def cartoon_crops(out, seed, count, extra=None, **kw):
    """For the tests: count folders d0, d1 ... under out, each a cartoon (cartoon's
    keywords kw, drawn from random.Random(seed + k)) as original.png, with extra(image,
    rng) drawn on it first when given, and its crops by a tenth and a fifth (crop10.png,
    crop20.png)."""
    for k in range(count):
        d = os.path.join(out, "d%d" % k)
        os.makedirs(d)
        r = random.Random(seed + k)
        im = cartoon(r, **kw)
        if extra is not None:
            extra(im, r)
        im.save(os.path.join(d, "original.png"))
        for frac in (0.1, 0.2):
            t_crop(frac)(im, r, None).save(os.path.join(d, "crop%d.png" % int(frac * 100)))


def chart(rng_data, style, title, kind):
    """A chart of one style, 640 x 480: axes, ticks and their labels, a title and a grid
    the same in every chart of that style and title; the data (one to three curves, bars
    or points) drawn from rng_data."""
    w, h = 640, 480
    x0, y0, x1, y1 = 72, 44, 610, 418
    bg, ink, area, grid = {
        "plain": ((255, 255, 255), (0, 0, 0), None, (225, 225, 225)),
        "shaded": ((255, 255, 255), (40, 40, 40), (234, 234, 242), (255, 255, 255)),
        "dark": ((30, 30, 36), (220, 220, 220), (44, 44, 52), (70, 70, 80)),
    }[style]
    colours = ((31, 119, 180), (255, 127, 14), (44, 160, 44))
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    if area is not None:
        d.rectangle((x0, y0, x1, y1), fill=area)
    small, big = font(13), font(17)
    for i in range(6):
        x = x0 + i * (x1 - x0) / 5
        y = y1 - i * (y1 - y0) / 5
        if 0 < i < 5:
            d.line((x, y0, x, y1), fill=grid)
            d.line((x0, y, x1, y), fill=grid)
        d.line((x, y1, x, y1 + 5), fill=ink)
        d.text((x - 9, y1 + 9), str(i * 20), fill=ink, font=small)
        d.line((x0 - 5, y, x0, y), fill=ink)
        d.text((x0 - 36, y - 8), "%.1f" % (i * 0.2), fill=ink, font=small)
    if style == "plain":
        d.rectangle((x0, y0, x1, y1), outline=ink)
    d.text((w / 2 - 6 * len(title), 12), title, fill=ink, font=big)
    d.text((w / 2 - 20, 448), "epoch", fill=ink, font=small)
    r = rng_data
    if kind == "bars":
        n = r.randint(5, 9)
        bw = (x1 - x0) / n
        for k in range(n):
            v = r.uniform(0.1, 0.95)
            d.rectangle((x0 + k * bw + bw * 0.15, y1 - v * (y1 - y0), x0 + (k + 0.85) * bw, y1),
                        fill=colours[0])
    elif kind == "points":
        a, b = r.uniform(0.1, 0.4), r.uniform(0.3, 0.6)
        for _ in range(r.randint(40, 80)):
            t = r.random()
            v = min(0.97, max(0.03, a + b * t + r.gauss(0, 0.08)))
            x, y = x0 + t * (x1 - x0), y1 - v * (y1 - y0)
            d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=colours[1])
    else:
        for c in range(r.randint(1, 3)):
            fam = r.randrange(3)
            p = [r.uniform(0.5, 1.0) for _ in range(4)]
            pts = []
            for i in range(160):
                t = i / 159
                if fam == 0:
                    v = 0.1 + 0.8 * p[0] * math.exp(-6 * p[1] * t) + 0.04 * math.sin(30 * p[2] * t)
                elif fam == 1:
                    v = 0.5 + 0.4 * p[0] * math.sin(2 * math.pi * (2.5 * p[1] * t + p[2]))
                else:
                    v = 0.1 + 0.8 * p[0] * (1 - math.exp(-5 * p[1] * t))
                pts.append((x0 + t * (x1 - x0), y1 - min(0.98, max(0.02, v)) * (y1 - y0)))
            d.line(pts, fill=colours[c], width=2)
    return im


def set_plots(root, rng):
    originals, distractors, looks = [], [], []
    for i in range(40):
        style = PLOT_STYLES[i % 3]
        title = PLOT_TITLES[rng.randrange(len(PLOT_TITLES))]
        kind = ("curves", "curves", "bars", "points")[rng.randrange(4)]
        dseed = rng.getrandbits(32)
        item = ("%s-%s-%d" % (style, kind, i), chart(random.Random(dseed), style, title, kind))
        (originals if i < 30 else distractors).append(item)
        if i < 10:
            # the same chart with other data: the look-alike every chart of a report has
            looks.append((item[0], chart(random.Random(dseed + 1), style, title, kind),
                          item[0] + "-other-data"))
    return originals, distractors, looks, (
        "generated: charts in three styles (curves, bars, points) whose axes, ticks, "
        "labels and title are those of the style; look-alikes: the same chart with other data")


FORM_NAMES = ("J. Smith", "A. Jones", "M. Garcia", "L. Chen", "K. Novak", "P. Rossi", "S. Kim",
              "T. Berg", "R. Haddad", "E. Dubois")
FORM_ITEMS = ("Widget", "Bolt", "Gear", "Cable", "Panel", "Valve", "Sensor", "Bracket")


def form(rng_data, template, filled=None):
    """A filled form, 850 x 1100: the template's frame, headings and table the same in every
    form of it; the number, date, name, address and rows drawn from rng_data (filled: how
    many rows, drawn too where None)."""
    r = rng_data
    im = Image.new("RGB", (850, 1100), (255, 255, 255))
    d = ImageDraw.Draw(im)
    head, text, small = font(30), font(18), font(16)
    company = ("ACME", "Globex", "Initech")[template]
    d.rectangle((60, 50, 230, 130), outline=0, width=3)
    d.text((78, 72), company, font=head, fill=0)
    d.text((520, 60), ("INVOICE", "RECEIPT", "ORDER")[template], font=head, fill=0)
    d.text((520, 110), "No. %06d" % r.randrange(10 ** 6), font=text, fill=0)
    d.text((520, 140), "Date: 2026-%02d-%02d" % (r.randrange(1, 13), r.randrange(1, 29)), font=text, fill=0)
    d.text((60, 200), "Bill to:", font=text, fill=0)
    d.text((60, 230), r.choice(FORM_NAMES), font=text, fill=0)
    d.text((60, 255), "%d %s Street" % (r.randrange(1, 200), r.choice(("Oak", "Elm", "Pine", "Main"))),
           font=text, fill=0)
    y0, rows = 330, (12, 9, 15)[template]
    for i, hd in enumerate(("Item", "Qty", "Price", "Total")):
        d.text((70 + i * 190, y0 + 8), hd, font=text, fill=0)
    for k in range(rows):
        d.line((60, y0 + (k + 1) * 40, 790, y0 + (k + 1) * 40), fill=0, width=1)
    for x in (60, 250, 440, 630, 790):
        d.line((x, y0, x, y0 + rows * 40), fill=0, width=1)
    d.rectangle((60, y0, 790, y0 + 40), outline=0, width=2)
    total = 0
    for k in range(r.randint(2, rows - 1) if filled is None else filled):
        q, p = r.randrange(1, 10), r.randrange(5, 500)
        total += q * p
        y = y0 + (k + 1) * 40 + 10
        d.text((70, y), r.choice(FORM_ITEMS), font=small, fill=0)
        d.text((260, y), str(q), font=small, fill=0)
        d.text((450, y), "%d.00" % p, font=small, fill=0)
        d.text((640, y), "%d.00" % (q * p), font=small, fill=0)
    d.text((500, y0 + rows * 40 + 30), "Total: %d.00" % total, font=head, fill=0)
    d.text((60, 1020), "%s Corp - 1 Industrial Way - Thank you for your business" % company,
           font=small, fill=0)
    return im


def set_forms(root, rng):
    originals, distractors, looks = [], [], []
    for i in range(36):
        template = i % 3
        dseed = rng.getrandbits(32)
        item = ("form%d-%d" % (template, i), form(random.Random(dseed), template))
        (originals if i < 28 else distractors).append(item)
    return originals, distractors, looks, (
        "generated: invoices, receipts and orders of three templates, each filled "
        "otherwise (every form of a template is the look-alike of the others)")


def set_icons(root, rng):
    # the theme's largest icons (256 px, RGBA): one file per icon (the theme's symbolic
    # links give one picture many names)
    fs = sorted(p for p in glob.glob(os.path.join(root, "usr/share/icons/gnome/256x256/*/*.png"))
                if not os.path.islink(p))
    items = drop_near_identical(open_files(fs), 1.0)
    o, d, lk = split(items, rng, 60, 40, 20)
    return o, d, lk, ("gnome-icon-theme (256 px icons with transparency, shown on white); "
                      "look-alikes: nearest other icon (folders with other emblems, "
                      "battery levels, faces, devices with badges)")


def theme_icons(pattern, note, unique=False):
    """a set builder like set_icons over another theme's icons (pattern: under root);
    unique: an icon whose name an earlier one (of another folder) has is named NAME-2,
    NAME-3, ... (else the two share one key, and the set writes one image for both)"""
    def build_set(root, rng):
        fs = sorted(p for p in glob.glob(os.path.join(root, pattern)) if not os.path.islink(p))
        items = open_files(fs)
        if unique:
            seen, named = defaultdict(int), []
            for k, im in items:
                seen[k] += 1
                named.append((k if seen[k] == 1 else "%s-%d" % (k, seen[k]), im))
            items = named
        items = drop_near_identical(items, 1.0)
        o, d, lk = split(items, rng, 60, 40, 20)
        return o, d, lk, note
    return build_set


def game_pictures(paths, limit, note, rng):
    """a set builder's sets from a game's pictures (named folder-file, as two folders may
    hold one name), less the near-identical ones (drop_near_identical at limit), split as
    icons are: 60 originals, 40 distractors, 20 look-alikes"""
    items = [("%s-%s" % (os.path.basename(os.path.dirname(p)), k), im)
             for p in paths for k, im in open_files([p])]
    items = drop_near_identical(items, limit)
    o, d, lk = split(items, rng, 60, 40, 20)
    return o, d, lk, note


def set_clipart(root, rng):
    # a children's game's drawings (art4apps: outlined cartoon pictures of animals, food,
    # jobs, body parts, 200 px JPEGs on white); several are one drawing with an arrow put
    # on another part, or in other colours, which the nearest-pair look-alikes find
    fs = sorted(glob.glob(os.path.join(root, "usr/share/games/pysiogame/res/images/art4apps/*/*.jpg")))
    return game_pictures(fs, 1.0, "pysiogame's art4apps drawings (cartoons on white, 200 px JPEG; "
                         "not used to choose thresholds); look-alikes: nearest other drawing", rng)


def set_sprites(root, rng):
    # the same game's sprites: fruit, animals and things on transparency (its memory
    # game's cards, with grey silhouettes of some of the animals, and its animal
    # matching game's), 200 px PNG with alpha, shown as icons are; the two games share
    # some drawings (a penguin on white in one, on transparency in the other): one
    # picture, not two (3.0)
    base = os.path.join(root, "usr/share/games/pysiogame/res/images")
    fs = sorted(glob.glob(os.path.join(base, "memory/*.png")) +
                glob.glob(os.path.join(base, "match_animals/*.png")))
    return game_pictures(fs, 3.0, "pysiogame's memory and animal-matching cards (drawings on "
                         "transparency, 200 px; not used to choose thresholds); look-alikes: "
                         "nearest other card", rng)


def set_portraits(root, rng):
    # a strategy game's character portraits (Wesnoth's: painted figures of its races and
    # classes on transparency, 400 to 500 px), shown on white: drawn people and
    # creatures, where a race's classes share a painter, a palette and a pose
    fs = sorted(glob.glob(os.path.join(root, "usr/share/games/wesnoth/*/data/core/images/portraits/**/*.png"),
                          recursive=True))
    return game_pictures(fs, 1.0, "wesnoth-1.16-data's portraits (painted figures on "
                         "transparency, 400 to 500 px, shown on white; added to check the "
                         "thresholds on drawn figures nobody tuned on); look-alikes: nearest "
                         "other portrait", rng)


def set_openclipart(root, rng):
    # clip art of every kind (openclipart-png: drawings, symbols, cartoons, many on
    # transparency, 16 to 3,500 px): every sixteenth file of the sorted list
    fs = sorted(glob.glob(os.path.join(root, "usr/share/openclipart/png/**/*.png"), recursive=True))
    return game_pictures(fs[::16], 1.0, "openclipart-png (every sixteenth drawing, many on "
                         "transparency, shown on white; added to check the thresholds on "
                         "clip art nobody tuned on); look-alikes: nearest other drawing", rng)


def set_wallpapers(root, rng):
    # desktop wallpapers of two more desktops (KDE Plasma's and UKUI's: renders, paintings
    # and photos, 1,920 to 5,120 px): each Plasma wallpaper's largest landscape image, its
    # dark version (where it has one) as its look-alike, as GNOME's light and dark are
    def largest(folder):  # the largest landscape image of a folder of WxH.ext files
        best = (0, None)
        for p in glob.glob(os.path.join(folder, "*.*")):
            m = re.match(r"(\d+)x(\d+)\.", os.path.basename(p))
            if m and int(m.group(1)) > int(m.group(2)):
                best = max(best, (int(m.group(1)) * int(m.group(2)), p))
        return best[1]
    items, look = [], {}
    for d in sorted(glob.glob(os.path.join(root, "usr/share/wallpapers/*/contents"))):
        name = d.split(os.sep)[-2]
        light, dark = largest(os.path.join(d, "images")), largest(os.path.join(d, "images_dark"))
        if light is None:
            continue
        items += [(name, im) for _, im in open_files([light])]
        if dark is not None:
            look.update((name, (im, name + "-dark")) for _, im in open_files([dark]))
    items += open_files(sorted(p for p in glob.glob(os.path.join(root, "usr/share/backgrounds/*.*"))
                               if p.lower().endswith((".jpg", ".png"))))
    items = drop_near_identical(items)
    rng.shuffle(items)
    # 24 originals (those with a dark version first), the rest distractors
    items.sort(key=lambda kv: kv[0] not in look)
    originals, distractors = items[:24], items[24:]
    lookalikes = [(k,) + look[k] for k, _ in originals if k in look]
    return originals, distractors, lookalikes, (
        "plasma-workspace-wallpapers (the largest landscape image of each; the dark version "
        "as its look-alike where there is one) and ukui-wallpapers: renders, paintings and "
        "photos, added to check the thresholds on wallpapers nobody tuned on")


def set_flags(root, rng):
    # national flags (iso-flags-png-320x240): stripes, crosses and emblems of few colours,
    # many flags one pattern in other colours (tricolours); the nearest other flag (by its
    # grey thumbnail) is the look-alike
    fs = sorted(glob.glob(os.path.join(root, "usr/share/iso-flags-png-320x240/*.png")))
    return game_pictures(fs, 1.0, "iso-flags-png-320x240 (national flags, 320 x 240: "
                         "stripes, crosses and emblems, many one pattern in other colours; "
                         "added to check the thresholds on flags nobody tuned on); "
                         "look-alikes: nearest other flag", rng)


def path_pictures(top, limit, rng):
    """originals, distractors and look-alikes (as game_pictures splits them) from the PNG
    files under top, each named by its path below top (two folders may hold one file
    name), less the near-identical ones (drop_near_identical at limit)"""
    fs = sorted(glob.glob(os.path.join(top, "**/*.png"), recursive=True))
    items = [(os.path.splitext(os.path.relpath(p, top))[0].replace(os.sep, "-"), im)
             for p in fs for _, im in open_files([p])]
    return split(drop_near_identical(items, limit), rng, 60, 40, 20)


def set_terrain(root, rng):
    # a puzzle game's terrain pieces (Pingus' ground pieces: rock, snow, wood, metal and
    # desert cut into slabs, ramps and blocks on transparency, 32 to 700 px): pieces of
    # one texture in other shapes, and of one shape in other textures.  Named by their
    # path (ground/desert/x.png and solid/desert/x.png are two pieces); a piece the game
    # holds at two sizes (a toadstool at 211 and 63 px) is one picture (the limit photos
    # use)
    o, d, lk = path_pictures(os.path.join(root, "usr/share/games/pingus/data/images/groundpieces"),
                             3.0, rng)
    return o, d, lk, ("pingus-data's ground pieces (terrain of a few textures cut into many "
                      "shapes, on transparency, shown on white; added to check the thresholds "
                      "on game terrain nobody tuned on); look-alikes: nearest other piece")


def set_space(root, rng):
    # a space strategy game's art (FreeOrion's: planets' surface maps, nebulae, stars,
    # galaxy decorations and the encyclopedia's pictures, 128 to 2,000 px): dark skies
    # and lit discs of one style, as a night sky's pictures are; the planets' bump maps
    # (their relief in gray, made from a surface map) left out
    art = os.path.join(root, "usr/share/games/freeorion/default/data/art")
    fs = sorted(p for d in ("planets", "nebulae", "stars_sidepanel", "galaxy_decoration",
                            "encyclopedia")
                for p in glob.glob(os.path.join(art, d, "*.*"))
                if p.lower().endswith((".png", ".jpg")) and "-bump" not in p)
    return game_pictures(fs, 1.0, "freeorion-data's art (planets' surface maps, nebulae, "
                         "stars, galaxy decorations: dark skies and lit discs of one "
                         "style, added to check the thresholds on space art nobody tuned "
                         "on); look-alikes: nearest other picture", rng)


def set_creatures(root, rng):
    # a platform game's creatures (SuperTux's: pixel-art sprites, 32 to 90 px, each
    # creature drawn in several frames of a walk or a flight, facing left and right):
    # the frames of one creature are distinct pictures, as costumes are; named by their
    # path (two creatures' folders hold the same file names)
    o, d, lk = path_pictures(os.path.join(root, "usr/share/games/supertux2/images/creatures"),
                             1.0, rng)
    return o, d, lk, ("supertux-data's creatures (pixel-art sprites, 32 to 90 px, several "
                      "frames of each creature facing left and right, on transparency, shown "
                      "on white; added to check the thresholds on sprites nobody tuned on); "
                      "look-alikes: nearest other frame")


def unseen_theme(pattern, package, what):
    """SETS' entry of an icon theme added to see how the thresholds carry to a theme
    nobody tuned on: its icons under pattern, from package (what: their size and kind)"""
    return (theme_icons(pattern, "%s (%s, shown on white; added to check the thresholds on a "
                        "theme nobody tuned on); look-alikes: nearest other icon" % (package, what),
                        unique=True), [package], 1)


# name -> (builder, the Debian packages its images come from, the set's version)
SETS = {
    "photos": (set_photos, ["gnome-backgrounds", "mate-backgrounds"], 4),
    "pages": (set_pages, ["debian-reference-en", "gnuplot-doc"], 2),
    "nightsky": (set_nightsky, ["kstars-data"], 4),
    "flat": (set_flat, [], 3),
    "faces": (set_faces, ["gnome-control-center-data"], 4),
    "ui": (set_ui, ["kstars-data", "gnome-user-docs"], 3),
    "products": (set_products, [], 2),
    "icons": (set_icons, ["gnome-icon-theme"], 1),
    "octave-pages": (set_octave_pages, ["octave-doc", "developers-reference"], 1),
    "mate-icons": (theme_icons("usr/share/icons/mate/256x256/*/*.png",
                               "mate-icon-theme (256 px icons with transparency, shown on white; "
                               "not used to choose thresholds); look-alikes: nearest other icon"),
                   ["mate-icon-theme"], 1),
    "lxde-icons": (theme_icons("usr/share/icons/nuoveXT2/128x128/*/*.png",
                               "lxde-icon-theme nuoveXT2 (128 px icons with transparency, shown on "
                               "white; not used to choose thresholds); look-alikes: nearest other icon"),
                   ["lxde-icon-theme"], 1),
    "small-icons": (theme_icons("usr/share/icons/elementary-xfce/*/48/*.png",
                                "elementary-xfce-icon-theme (48 px icons with transparency, "
                                "shown on white: a few pixels a detail, few or no keypoints; not "
                                "used to choose thresholds); look-alikes: nearest other icon",
                                unique=True),
                    ["elementary-xfce-icon-theme"], 1),
    "faenza-icons": (theme_icons("usr/share/icons/Faenza/*/96/*.png",
                                 "faenza-icon-theme (96 px icons with transparency, shown on "
                                 "white; added to check the thresholds on a theme they were not "
                                 "chosen on); look-alikes: nearest other icon", unique=True),
                     ["faenza-icon-theme"], 1),
    "tango-icons": (theme_icons("usr/share/icons/Tango/32x32/*/*.png",
                                "tango-icon-theme (32 px icons with transparency, shown on white; "
                                "added to check the thresholds on a theme they were not chosen "
                                "on); look-alikes: nearest other icon", unique=True),
                    ["tango-icon-theme"], 1),
    "symbolic-icons": (theme_icons("usr/share/icons/Adwaita/96x96/*/*.symbolic.png",
                                   "adwaita-icon-theme's symbolic icons (96 px one-colour glyphs "
                                   "on transparency, shown on white; added to check the "
                                   "thresholds on glyphs they were not chosen on); look-alikes: "
                                   "nearest other glyph", unique=True),
                       ["adwaita-icon-theme"], 1),
    "plots": (set_plots, [], 1),
    "forms": (set_forms, [], 1),
    "clipart": (set_clipart, ["pysiogame"], 1),
    "sprites": (set_sprites, ["pysiogame"], 1),
    "moka-icons": unseen_theme("usr/share/icons/Moka/64x64/*/*.png", "moka-icon-theme",
                               "64 px flat icons with transparency"),
    "yaru-icons": unseen_theme("usr/share/icons/Yaru/256x256/*/*.png", "yaru-theme-icon",
                               "256 px icons with transparency"),
    "portraits": (set_portraits, ["wesnoth-1.16-data"], 1),
    "openclipart": (set_openclipart, ["openclipart-png"], 1),
    "wallpapers": (set_wallpapers, ["plasma-workspace-wallpapers", "ukui-wallpapers"], 1),
    "flags": (set_flags, ["iso-flags-png-320x240"], 1),
    "terrain": (set_terrain, ["pingus-data"], 1),
    "space": (set_space, ["freeorion-data"], 1),
    "creatures": (set_creatures, ["supertux-data"], 1),
}
# packages whose images must never be drawn on (the held-out evaluation's)
RESERVED = {"stellarium-data", "r-doc-pdf", "gcompris-qt-data", "scratch", "opencv-doc",
            "kphotoalbum", "tuxpaint-data", "oxygen-icon-theme"}
assert not RESERVED & {p for _, ps, _ in SETS.values() for p in ps}


def transforms_of(name):
    return TRANSFORMS if name in ("pages", "octave-pages") else TRANSFORMS[:17]


def build(top, name, root):
    fn = SETS[name][0]
    rng = random.Random("%s-%d" % (name, GEN_VERSION))
    d = os.path.join(top, name)
    files = os.path.join(d, "files")
    os.makedirs(files, exist_ok=True)
    if name in ("pages", "octave-pages"):
        originals, distractors, lookalikes, note = fn(root, rng, d)
    else:
        originals, distractors, lookalikes, note = fn(root, rng)
    tr = transforms_of(name)
    # deal the transforms: VARIANTS per original, every transform about as often, no
    # original twice with one transform
    deck = []
    rows = []
    for i, (key, im) in enumerate(originals):
        want = []
        while len(want) < VARIANTS:
            if not deck:
                deck = list(range(len(tr)))
                rng.shuffle(deck)
            t = deck.pop()
            if t in want:
                deck.insert(0, t)
                if len(set(deck)) == 1 and deck[0] in want:
                    deck = []
                continue
            want.append(t)
        matte = (0, 0, 0) if key.startswith(("ink-", "moon")) else (255, 255, 255)
        oid = "o%03d-%s" % (i, key)
        os.makedirs(os.path.join(files, oid), exist_ok=True)
        rows.append((save(im, os.path.join(files, oid, "original"), ("PNG",), matte), oid, "original", "-"))
        for t in sorted(want):
            tname, tfn, fmt = tr[t]
            v = tfn(im, random.Random("%s-%s-%s" % (name, oid, tname)), matte)
            rows.append((save(v, os.path.join(files, oid, tname), fmt, matte), oid, "variant", tname))
    okeys = [k for k, _ in originals]
    for role, lst in (("distractor", [(k, im, k) for k, im in distractors]), ("lookalike", lookalikes)):
        for i, (key, im, own) in enumerate(lst):
            matte = (0, 0, 0) if key.startswith(("ink-", "moon")) else (255, 255, 255)
            oid = "%s%03d-%s" % (role[0], i, own)
            os.makedirs(os.path.join(files, oid), exist_ok=True)
            rows.append((save(im, os.path.join(files, oid, role), ("PNG",), matte), oid, role,
                         "-" if role == "distractor" else "o%03d" % okeys.index(key)))
    with open(os.path.join(d, "truth.tsv"), "w") as f:
        f.write("# name\tid\trole\ttransform-or-lookalike-of\n")
        for path, oid, role, t in rows:
            f.write("%s\t%s\t%s\t%s\n" % (os.path.relpath(path, files), oid, role, t))
    with open(os.path.join(d, "source.txt"), "w") as f:
        f.write(note + "\n")
    print("%s: %d originals, %d variants, %d distractors, %d look-alikes (%s)"
          % (name, len(originals), sum(1 for r in rows if r[2] == "variant"), len(distractors),
             len(lookalikes), note))


# ---------------------------------------------------------------------------------------
# scoring


def read_truth(d):
    truth = {}
    for line in open(os.path.join(d, "truth.tsv")):
        if line.startswith("#"):
            continue
        name, oid, role, t = line.rstrip("\n").split("\t")
        truth[name] = (oid, role, t)
    return truth


def imagehash_phash(d, truth):
    """ImageHash's phash of every file (cached in d/imagehash.tsv), or (None, why)"""
    cache = os.path.join(d, "imagehash.tsv")
    if os.path.exists(cache):
        h = {}
        for line in open(cache):
            n, v = line.split()
            h[n] = int(v, 16)
        if set(h) == set(truth):
            return h, None
    if os.environ.get("IMAGEHASH_SRC"):
        sys.path.insert(0, os.environ["IMAGEHASH_SRC"])
    try:
        import imagehash
    except ImportError as e:
        return None, ("ImageHash not importable (%s): Debian has no python3-imagehash; set "
                      "IMAGEHASH_SRC to a checkout of JohannesBuchner/imagehash" % e)
    h = {n: int(str(imagehash.phash(Image.open(os.path.join(d, "files", n)))), 16) for n in truth}
    with open(cache, "w") as f:
        for n in sorted(h):
            f.write("%s %016x\n" % (n, h[n]))
    return h, None


def ham(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


IH_MAX = 10  # imagededup's default max_distance_threshold for its hashes


def pairs_of_groups(g):
    members = defaultdict(list)
    for n, k in g.items():
        if k:
            members[k].append(n)
    out = set()
    for ms in members.values():
        ms.sort()
        for i, a in enumerate(ms):
            for b in ms[i + 1:]:
                out.add((a, b))
    return out


# the transforms that lose nothing: a copy through one of them keeping is as good as the
# original keeping
LOSSLESS = ("mirror", "rotate-90", "rotate-180")


def keepers_of(dup, truth):
    """who keeps the groups that hold an original and a copy of its own (dup: name -> its
    dup object): {"groups", "original", "turn" (a lossless turn of it), "copy" ({transform:
    count}: a degraded copy), "other" (another picture)}"""
    members = defaultdict(list)
    for n, d in dup.items():
        if d.get("role") in ("keeper", "duplicate") and n in truth:
            members[d.get("group")].append(n)
    out = {"groups": 0, "original": 0, "turn": 0, "copy": defaultdict(int), "other": 0}
    for ms in members.values():
        k = next((n for n in ms if dup[n].get("role") == "keeper"), None)
        for o in ms:
            if truth[o][1] != "original" or k is None or \
                    not any(truth[n][0] == truth[o][0] for n in ms if n != o):
                continue
            out["groups"] += 1
            if k == o:
                out["original"] += 1
            elif truth[k][0] != truth[o][0]:
                out["other"] += 1
            elif truth[k][2] in LOSSLESS:
                out["turn"] += 1
            else:
                out["copy"][truth[k][2]] += 1
    out["copy"] = dict(out["copy"])
    return out


def keepers_line(k):
    c = sum(k["copy"].values())
    return ("the original or a lossless turn of it keeps %d of %d groups that hold it with a "
            "copy (%d a turn), a degraded copy %d%s, another picture %d"
            % (k["original"] + k["turn"], k["groups"], k["turn"], c,
               " (%s)" % ", ".join("%s %d" % (t, n) for t, n in sorted(k["copy"].items())) if c else "",
               k["other"]))


TWIN_LIMIT = 1.0  # the icon sets' near-identical limit (drop_near_identical)
ORIENTATIONS = (("mirror", Image.FLIP_LEFT_RIGHT), ("rotate-90", Image.ROTATE_90),
                ("rotate-180", Image.ROTATE_180), ("rotate-270", Image.ROTATE_270),
                ("flip", Image.FLIP_TOP_BOTTOM), ("transpose", Image.TRANSPOSE),
                ("transverse", Image.TRANSVERSE))


def twins_of(d, truth, ids):
    """which pairs of the given picture ids are twins: one's source (an original, a
    distractor or a look-alike) the other's mirrored or turned, their 32x32 grey
    thumbnails within TWIN_LIMIT of each other through one of the seven orientations
    that are not upright (an icon theme's left-to-right and right-to-left arrows, the
    flags of Guinea and Mali).  dedupe matches mirrored and turned copies by default, and
    nothing in the pixels tells such a pair from a picture and its mirrored copy: their
    false pairs are counted apart, a floor under the false pairs at the defaults
    (--no-rotations keeps them apart).  {(id, id): orientation}"""
    src = {}
    for n, (oid, role, _) in truth.items():
        if oid in ids and role in ("original", "distractor", "lookalike"):
            src[oid] = n
    thumbs = {}
    for oid, n in src.items():
        im = Image.open(os.path.join(d, "files", n))
        thumbs[oid] = (thumb(im, 32), [(o, thumb(im.transpose(op), 32)) for o, op in ORIENTATIONS])
    out = {}
    keys = sorted(thumbs)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            ta = thumbs[a][0]
            for o, tb in thumbs[b][1]:
                if tdist(ta, tb) < TWIN_LIMIT:
                    out[(a, b)] = o
                    break
    return out


def score_set(top, name, runs, show_false):
    d = os.path.join(top, name)
    truth = read_truth(d)
    names = sorted(truth)
    by_id = defaultdict(list)
    for n in names:
        by_id[truth[n][0]].append(n)
    true_pairs = set()
    for ms in by_id.values():
        for i, a in enumerate(ms):
            for b in ms[i + 1:]:
                true_pairs.add((a, b))
    # each true pair's row: the transform of its variant(s); a pair of two variants is in
    # the row "variant+variant"
    def row(p):
        a, b = truth[p[0]], truth[p[1]]
        if a[1] == "original":
            return b[2]
        if b[1] == "original":
            return a[2]
        return "variant+variant"
    predicted = {}
    dups = {}  # run -> name -> its dup object (the evidence printed with a false pair)
    for rname, rdir in runs:
        rep = os.path.join(rdir, name + ".ndjson")
        predicted[rname] = pairs_of_groups(groups_of(rep))
        dups[rname] = {}
        for line in open(rep):
            r = json.loads(line)
            if "dup" in r and "type" not in r:
                dups[rname][r["name"]] = r["dup"]
    feats = {}
    fp_path = os.path.join(d, "features.ndjson")
    if os.path.exists(fp_path):
        for line in open(fp_path):
            r = json.loads(line)
            if "phash" in r:
                feats[r["name"]] = r

    def dist(p):
        """the hash distances of a pair (phash_rot: the least over the turned forms)"""
        a, b = feats.get(p[0]), feats.get(p[1])
        out = {"a": p[0], "b": p[1]}
        if a and b:
            for h in ("phash", "dhash", "whash"):
                out[h] = ham(a[h], b[h])
            if "phash_orientations" in b:
                out["phash_rot"] = min(ham(a["phash"], x) for x in b["phash_orientations"])
        return out
    ih, why = imagehash_phash(d, truth)
    if ih is not None:
        ip = set()
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if bin(ih[a] ^ ih[b]).count("1") <= IH_MAX:
                    ip.add((a, b))
        predicted["ImageHash"] = ip
    cols = list(predicted)
    res = {"set": name, "files": len(names), "true_pairs": len(true_pairs), "runs": {},
           "source": open(os.path.join(d, "source.txt")).read().strip()}
    rows = [t[0] for t in transforms_of(name)] + ["variant+variant"]
    per = {c: defaultdict(lambda: [0, 0]) for c in cols}
    for p in true_pairs:
        r = row(p)
        for c in cols:
            per[c][r][1] += 1
            per[c][r][0] += p in predicted[c]
    ids = {truth[x][0] for c in cols for p in predicted[c] - true_pairs for x in p}
    twins = twins_of(d, truth, ids)

    def twin(p):
        return tuple(sorted((truth[p[0]][0], truth[p[1]][0]))) in twins
    for c in cols:
        tp = len(predicted[c] & true_pairs)
        fp = sorted(predicted[c] - true_pairs)
        look_fp = [p for p in fp if any(truth[x][1] == "lookalike" for x in p)]
        res["runs"][c] = {
            "precision": tp / max(1, tp + len(fp)), "recall": tp / max(1, len(true_pairs)),
            "true_pairs_found": tp, "false_pairs": len(fp), "lookalike_false_pairs": len(look_fp),
            "twin_false_pairs": sum(1 for p in fp if twin(p)),
            "files_in_false_pairs": len({x for p in fp for x in p}),
            "per_transform": {r: {"found": per[c][r][0], "pairs": per[c][r][1],
                                  "recall": per[c][r][0] / max(1, per[c][r][1])}
                              for r in rows if per[c][r][1]},
            "false": [dist(p) for p in fp],
            "missed": [dict(dist(p), transform=row(p)) for p in sorted(true_pairs - predicted[c])],
        }
    res["imagehash_missing"] = why
    # the table
    print("== %s: %d files, %d true pairs (%s)" % (name, len(names), len(true_pairs), res["source"]))
    dash = "  %-14s" % "-" if why else ""  # the ImageHash column when it cannot be had
    print("%-16s %5s  %s%s" % ("transform", "pairs", "  ".join("%-14s" % c for c in cols),
                               "  %-14s" % "ImageHash" if why else ""))
    for r in rows:
        k = per[cols[0]][r][1] if cols else 0
        if not k:
            continue
        print("%-16s %5d  %s%s" % (r, k, "  ".join("%-14s" % ("%d/%d %.2f" % (per[c][r][0], k, per[c][r][0] / k))
                                                   for c in cols), dash))
    for c in cols:
        x = res["runs"][c]
        print("%s: %s: precision %.3f recall %.3f (false pairs %d, %d with a look-alike, %d between "
              "twins, %d files in one; true pairs %d/%d)"
              % (name, c, x["precision"], x["recall"], x["false_pairs"], x["lookalike_false_pairs"],
                 x["twin_false_pairs"], x["files_in_false_pairs"], x["true_pairs_found"], len(true_pairs)))
        for p in x["false"][:show_false]:
            print("    false: %s  %s  %s" % (p["a"], p["b"], " ".join(
                "%s %d" % (h, p[h]) for h in ("phash", "dhash", "whash", "phash_rot") if h in p)))
            # how each end joined its group: keeper, stage and evidence (dedupe's dup)
            for m in (p["a"], p["b"]):
                d = dups.get(c, {}).get(m)
                if d and d.get("role") == "duplicate":
                    print("        %s: keeper %s, %s %s" % (m, d.get("keeper"), d.get("stage"),
                                                     json.dumps(d.get("evidence"), sort_keys=True)))
    if why:
        print("%s: ImageHash: - (%s)" % (name, why))
    # the keepers dedupe at its defaults chose
    if "default" in dups:
        res["keepers"] = keepers_of(dups["default"], truth)
        print("%s: keepers: %s" % (name, keepers_line(res["keepers"])))
    return res


def score(top, sets, runs, json_out, show_false, tsv_out=None):
    results = [score_set(top, s, runs, show_false) for s in sets]
    # all sets together, per transform
    # every run any set has (ImageHash's only where it was importable when the set's
    # features were made)
    cols = []
    for res in results:
        cols += [c for c in res["runs"] if c not in cols]
    print("== all sets: recall per transform")
    print("%-16s %5s  %s" % ("transform", "pairs", "  ".join("%-14s" % c for c in cols)))
    tot = {}
    for r in TRANSFORM_NAMES + ["variant+variant"]:
        vals = []
        k = 0
        for c in cols:
            f = n = 0
            for res in results:
                x = res["runs"][c]["per_transform"].get(r) if c in res["runs"] else None
                if x:
                    f += x["found"]
                    n += x["pairs"]
            vals.append((f, n))
            k = n
        if k:
            tot[r] = {c: {"found": f, "pairs": n} for c, (f, n) in zip(cols, vals)}
            print("%-16s %5d  %s" % (r, k, "  ".join("%-14s" % ("%d/%d %.2f" % (f, n, f / n)) for f, n in vals)))
    # one line per set and run: "SET: ..." for dedupe at its defaults, "SET/RUN: ..." else
    print("== summary: pair precision and recall per set")
    for c in cols:
        have = [res for res in results if c in res["runs"]]
        for res in have:
            x = res["runs"][c]
            print("%s: precision %.3f recall %.3f (false pairs %d, %d between twins, true pairs %d)"
                  % (res["set"] if c == "default" else "%s/%s" % (res["set"], c), x["precision"],
                     x["recall"], x["false_pairs"], x["twin_false_pairs"], res["true_pairs"]))
        tp = sum(r["runs"][c]["true_pairs_found"] for r in have)
        fp = sum(r["runs"][c]["false_pairs"] for r in have)
        tw = sum(r["runs"][c]["twin_false_pairs"] for r in have)
        t = sum(r["true_pairs"] for r in have)
        print("%s: precision %.3f recall %.3f (false pairs %d, %d between twins, true pairs %d%s)"
              % ("all" if c == "default" else "all/" + c, tp / max(1, tp + fp), tp / max(1, t), fp, tw, t,
                 "" if len(have) == len(results) else "; %d of %d sets" % (len(have), len(results))))
        if tw:
            print("%s: without the twins' false pairs (a picture and its mirror image or turn "
                  "taken as two): precision %.3f" % ("all" if c == "default" else "all/" + c,
                                                      tp / max(1, tp + fp - tw)))
    have = [res["keepers"] for res in results if "keepers" in res]
    if have:
        tot_k = {"groups": 0, "original": 0, "turn": 0, "copy": defaultdict(int), "other": 0}
        for k in have:
            for f in ("groups", "original", "turn", "other"):
                tot_k[f] += k[f]
            for t, n in k["copy"].items():
                tot_k["copy"][t] += n
        print("all: keepers: %s" % keepers_line(tot_k))
    if tsv_out:
        # one line per set, run and row: the row "all" has precision and false pairs too
        with open(tsv_out, "w") as f:
            f.write("set\trun\trow\tfound\tpairs\trecall\tprecision\tfalse_pairs\n")
            for res in results:
                for c, x in res["runs"].items():
                    f.write("%s\t%s\tall\t%d\t%d\t%.4f\t%.4f\t%d\n" % (
                        res["set"], c, x["true_pairs_found"], res["true_pairs"], x["recall"],
                        x["precision"], x["false_pairs"]))
                    for r, y in x["per_transform"].items():
                        f.write("%s\t%s\t%s\t%d\t%d\t%.4f\t-\t-\n" % (
                            res["set"], c, r, y["found"], y["pairs"], y["recall"]))
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"version": GEN_VERSION, "sets": results, "per_transform": tot}, f, indent=1)


def main(argv):
    if len(argv) >= 2 and argv[1] == "sets":
        for k, (fn, pkgs, v) in SETS.items():
            print("%s\t%s\t%d.%d.%d" % (k, " ".join(pkgs) or "generated", GEN_VERSION, v, VARIANTS))
        print(DISTINCT, end="")
        return 0
    if len(argv) >= 4 and argv[1] == "build":
        top = argv[2]
        for s in argv[3:]:
            if s not in SETS:
                sys.exit("evalsets.py: %s: no such set" % s)
            build(top, s, os.environ.get("EVAL_DEBS", "/"))
        return 0
    if len(argv) >= 4 and argv[1] == "score":
        top = argv[2]
        sets, runs, json_out, tsv_out, show_false = [], [], None, None, 0
        i = 3
        while i < len(argv):
            if argv[i] == "-r":
                k, v = argv[i + 1].split("=", 1)
                runs.append((k, v))
                i += 2
            elif argv[i] == "--json":
                json_out = argv[i + 1]
                i += 2
            elif argv[i] == "--tsv":
                tsv_out = argv[i + 1]
                i += 2
            elif argv[i] == "--false":
                show_false = int(argv[i + 1])
                i += 2
            else:
                sets.append(argv[i])
                i += 1
        score(top, sets, runs, json_out, show_false, tsv_out)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
