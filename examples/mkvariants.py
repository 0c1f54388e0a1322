#!/usr/bin/python3
"""mkvariants.py -- make known near-duplicate variants of a folder of photos.

usage: mkvariants.py [--set demo|full] [--only STEM,STEM...] SRC OUT

Copies every photo in SRC (jpg, jpeg, png, webp) to OUT/originals/ byte for byte and adds
variants that a duplicate finder should group with it:

  copy    the same bytes under another name          OUT/copies/STEM-copy.EXT
  q40     re-encoded as JPEG at quality 40            OUT/variants/STEM-q40.jpg
  half    resized to 50% (Lanczos), same format       OUT/variants/STEM-half.EXT
  crop    3% cut from every side, same format         OUT/variants/STEM-crop.EXT
  bright  brightness +12%, same format                OUT/variants/STEM-bright.EXT
  fmt     another format: JPEG->PNG, PNG->WebP, WebP->JPEG  OUT/variants/STEM-fmt.EXT2

The first photo goes under awkward names instead ("holiday 2019/café #1.EXT", and one
of its variants as "holiday 2019/100% sure?.EXT"), as real collections have them.

--set full (default): every photo gets every variant, except the last three in sorted
order, which get none (images in no group).  --set demo: eight photos at most, six with
two or three variants each (every kind appears), two with none.

OUT/truth.tsv lists every file written as FILE<TAB>GROUP (GROUP: the photo's stem).
Originals get an older modification time than the variants and copies made from them.
The output is the same, byte for byte, on every run.  Needs only Python 3 and PIL.
"""
import os
import shutil
import sys

from PIL import Image, ImageEnhance

KINDS = ["copy", "q40", "half", "crop", "bright", "fmt"]
EXTS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
ORIGINAL_TIME = 1559390400   # 2019-06-01T12:00:00Z
VARIANT_TIME = 1577880000    # 2020-01-01T12:00:00Z
NEXT_FORMAT = {"JPEG": ".png", "PNG": ".webp", "WEBP": ".jpg"}


def die(status, msg):
    sys.stderr.write("mkvariants.py: %s\n" % msg)
    sys.exit(status)


def save(im, path, fmt):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "JPEG":
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        im.save(path, "JPEG", quality=90)
    elif fmt == "PNG":
        im.save(path, "PNG")
    else:
        im.convert("RGB").save(path, "WEBP", quality=85, method=4)


def plan(stems, which):
    """stem -> list of variant kinds"""
    if which == "full":
        keep = stems[:-3] if len(stems) > 3 else stems
        return {s: (list(KINDS) if s in keep else []) for s in stems}
    chosen = stems[:8]
    out = {}
    for i, s in enumerate(chosen):
        if i >= len(chosen) - 2 and len(chosen) > 2:
            out[s] = []
            continue
        kinds = [KINDS[i % 6], KINDS[(i + 1) % 6]]
        if i == 0:
            kinds.append(KINDS[3])
        out[s] = kinds
    return out


def main(argv):
    which, only, args = "full", None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--set", "--only") and i + 1 < len(argv):
            if a == "--set":
                which = argv[i + 1]
            else:
                only = set(x for x in argv[i + 1].split(",") if x)
            i += 2
            continue
        if a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        if a.startswith("-"):
            die(2, "unknown option %s (see --help)" % a)
        args.append(a)
        i += 1
    if len(args) != 2 or which not in ("demo", "full"):
        die(2, "usage: mkvariants.py [--set demo|full] [--only STEM,...] SRC OUT")
    src, out = args
    if not os.path.isdir(src):
        die(2, "%s: no such folder" % src)
    photos = {}
    for f in sorted(os.listdir(src)):
        stem, ext = os.path.splitext(f)
        if ext.lower() in EXTS and (only is None or stem in only):
            photos[stem] = f
    if not photos:
        die(2, "%s: no photos (jpg, png, webp) found" % src)
    stems = sorted(photos)
    kinds_of = plan(stems, which)

    truth = []
    status = 0
    for n, stem in enumerate(s for s in stems if s in kinds_of):
        f = photos[stem]
        ext = os.path.splitext(f)[1].lower()
        fmt = EXTS[ext]
        try:
            im = Image.open(os.path.join(src, f))
            im.load()
        except (OSError, ValueError) as e:
            sys.stderr.write("mkvariants.py: %s: cannot read: %s\n" % (os.path.join(src, f), e))
            status = 1
            continue
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        odd = n == 0
        orig = os.path.join("holiday 2019", "café #1" + ext) if odd else os.path.join("originals", f)
        os.makedirs(os.path.dirname(os.path.join(out, orig)), exist_ok=True)
        shutil.copyfile(os.path.join(src, f), os.path.join(out, orig))
        truth.append((orig, stem))
        for k in kinds_of[stem]:
            vext = ext
            if k == "copy":
                name = os.path.join("copies", stem + "-copy" + ext)
                os.makedirs(os.path.join(out, "copies"), exist_ok=True)
                shutil.copyfile(os.path.join(src, f), os.path.join(out, name))
                truth.append((name, stem))
                continue
            if k == "q40":
                v, vext = im, ".jpg"
            elif k == "half":
                v = im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.LANCZOS)
            elif k == "crop":
                dx, dy = im.width * 3 // 100, im.height * 3 // 100
                v = im.crop((dx, dy, im.width - dx, im.height - dy))
            elif k == "bright":
                v = ImageEnhance.Brightness(im).enhance(1.12)
            else:
                v, vext = im, NEXT_FORMAT[fmt]
            name = os.path.join("variants", "%s-%s%s" % (stem, k, vext))
            if odd and k == kinds_of[stem][-1]:
                name = os.path.join("holiday 2019", "100% sure?" + vext)
            if k == "q40":
                os.makedirs(os.path.dirname(os.path.join(out, name)), exist_ok=True)
                (v if v.mode in ("L", "RGB") else v.convert("RGB")).save(
                    os.path.join(out, name), "JPEG", quality=40)
            else:
                save(v, os.path.join(out, name), EXTS[vext])
            truth.append((name, stem))
    # originals are older than what was made from them, as in real collections
    for name, _ in truth:
        orig = name.startswith("originals/") or name.startswith("holiday 2019/café")
        t = ORIGINAL_TIME if orig else VARIANT_TIME
        os.utime(os.path.join(out, name), (t, t))
    with open(os.path.join(out, "truth.tsv"), "w", encoding="utf-8") as t:
        for name, group in sorted(truth):
            t.write("%s\t%s\n" % (name, group))
    groups = len(set(g for _, g in truth))
    print("mkvariants.py: %d files from %d photos (%s set) in %s" % (len(truth), groups, which, out))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
