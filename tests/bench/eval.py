#!/usr/bin/python3
"""eval.py - accuracy of featx + dedupe on known variants of distinct real photos.

    eval.py make PHOTOS OUT      write OUT/<photo>/<transform>.<ext> (original.<ext> too)
    eval.py score FEATURES REPORT [REPORT_ROTATIONS]
                                 print per-transform distances and recall, and precision

Every variant belongs to its photo; any two files of different photos are distinct.
A pair counts as found when both files end in the same dedupe group.
"""
import io
import json
import os
import sys
from collections import defaultdict

from PIL import Image, ImageDraw, ImageEnhance, ImageOps


def jpeg(im, q):
    b = io.BytesIO()
    im.convert("RGB").save(b, "JPEG", quality=q)
    return Image.open(io.BytesIO(b.getvalue())), b.getvalue()


def crop(im, frac):
    w, h = im.size
    dx, dy = int(w * frac / 2), int(h * frac / 2)
    return im.crop((dx, dy, w - dx, h - dy))


def gamma(im, g):
    lut = [min(255, int(255 * (i / 255.0) ** g + 0.5)) for i in range(256)]
    return im.convert("RGB").point(lut * 3)


def text(im):
    im = im.convert("RGB").copy()
    d = ImageDraw.Draw(im)
    w, h = im.size
    for k in range(3):
        d.text((w // 10, h // 8 + k * h // 4), "holiday 2019 (c) azdedup", fill=(255, 255, 0))
    return im


def letterbox(im):
    w, h = im.size
    out = Image.new("RGB", (w, h + h // 5), (0, 0, 0))
    out.paste(im.convert("RGB"), (0, h // 10))
    return out


# name -> (function of the image, file format); the "group" names the row of the table
TRANSFORMS = [
    ("jpeg-q30", lambda im: im, ("JPEG", 30)),
    ("jpeg-q50", lambda im: im, ("JPEG", 50)),
    ("jpeg-q75", lambda im: im, ("JPEG", 75)),
    ("jpeg-q95", lambda im: im, ("JPEG", 95)),
    ("resize-25", lambda im: im.resize((max(8, im.width // 4), max(8, im.height // 4)), Image.LANCZOS), ("PNG",)),
    ("resize-50", lambda im: im.resize((im.width // 2, im.height // 2), Image.LANCZOS), ("PNG",)),
    ("resize-75", lambda im: im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.LANCZOS), ("PNG",)),
    ("resize-150", lambda im: im.resize((im.width * 3 // 2, im.height * 3 // 2), Image.BICUBIC), ("JPEG", 90)),
    ("resize-200", lambda im: im.resize((im.width * 2, im.height * 2), Image.BICUBIC), ("JPEG", 90)),
    ("crop-5", lambda im: crop(im, 0.05), ("PNG",)),
    ("crop-10", lambda im: crop(im, 0.10), ("PNG",)),
    ("crop-20", lambda im: crop(im, 0.20), ("PNG",)),
    ("crop-30", lambda im: crop(im, 0.30), ("PNG",)),
    ("bright+20", lambda im: ImageEnhance.Brightness(im.convert("RGB")).enhance(1.2), ("PNG",)),
    ("bright-20", lambda im: ImageEnhance.Brightness(im.convert("RGB")).enhance(0.8), ("PNG",)),
    ("contrast+30", lambda im: ImageEnhance.Contrast(im.convert("RGB")).enhance(1.3), ("PNG",)),
    ("gamma-0.7", lambda im: gamma(im, 0.7), ("PNG",)),
    ("gamma-1.4", lambda im: gamma(im, 1.4), ("PNG",)),
    ("grayscale", lambda im: ImageOps.grayscale(im.convert("RGB")), ("PNG",)),
    ("flip", lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ("PNG",)),
    ("rotate-90", lambda im: im.transpose(Image.Transpose.ROTATE_90), ("PNG",)),
    ("rotate-180", lambda im: im.transpose(Image.Transpose.ROTATE_180), ("PNG",)),
    ("rotate-5deg", lambda im: im.convert("RGB").rotate(5, resample=Image.BICUBIC), ("PNG",)),
    ("text", text, ("PNG",)),
    ("letterbox", letterbox, ("PNG",)),
    ("to-webp", lambda im: im, ("WEBP", 80)),
    ("to-png", lambda im: im, ("PNG",)),
]
EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


# hard negatives: two shots of one scene that overlap (the left and right 60 percent of a
# photo, as a pan or a burst would give) are different pictures
def halves(im):
    w, h = im.size
    return im.crop((0, 0, w * 3 // 5, h)), im.crop((w * 2 // 5, 0, w, h))


def make(photos, out):
    for f in sorted(os.listdir(photos)):
        if f.startswith(".") or not f.lower().endswith((".jpg", ".png", ".webp")):
            continue
        stem = os.path.splitext(f)[0]
        d = os.path.join(out, stem)
        os.makedirs(d, exist_ok=True)
        src = os.path.join(photos, f)
        with open(src, "rb") as i, open(os.path.join(d, "original" + os.path.splitext(f)[1]), "wb") as o:
            o.write(i.read())
        im = Image.open(src)
        im.load()
        # (a set of their own: each half is also a crop of the photo itself)
        for side, part in zip(("left", "right"), halves(im.convert("RGB"))):
            os.makedirs(out + ".hard", exist_ok=True)
            part.save(os.path.join(out + ".hard", "%s-%s.png" % (stem, side)), "PNG")
        for name, fn, fmt in TRANSFORMS:
            v = fn(im)
            path = os.path.join(d, "%s.%s" % (name, EXT[fmt[0]]))
            if fmt[0] == "JPEG":
                v.convert("RGB").save(path, "JPEG", quality=fmt[1])
            elif fmt[0] == "WEBP":
                v.save(path, "WEBP", quality=fmt[1])
            else:
                v.save(path, "PNG")


def ham(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def groups_of(report, prefix=""):
    """name (with prefix) -> its dedupe group, 0 for a unique image"""
    g = {}
    for line in open(report):
        r = json.loads(line)
        if "type" in r or "dup" not in r:
            continue
        d = r["dup"]
        g[prefix + r["name"]] = d.get("group", 0) if d["role"] != "unique" else 0
    return g


IMAGEDEDUP_THRESHOLD = 10  # imagededup's default max_distance_threshold for its hashes


def imagehash_phash(feats):
    """ImageHash's phash of every file as an int, or None when ImageHash is not there
    (set IMAGEHASH_SRC to a checkout of JohannesBuchner/imagehash)."""
    if os.environ.get("IMAGEHASH_SRC"):
        sys.path.insert(0, os.environ["IMAGEHASH_SRC"])
    try:
        import imagehash
    except ImportError:
        return None
    return {n: int(str(imagehash.phash(Image.open(os.path.join(r["src"], n)))), 16)
            for n, r in feats.items()}


def score(features, reports):
    feats = {}
    for line in open(features):
        r = json.loads(line)
        if "phash" in r:
            feats[r["name"]] = r
    ih = imagehash_phash(feats)
    photo = {n: n.split("/")[0] for n in feats}
    kind = {n: os.path.splitext(n.split("/")[1])[0] for n in feats}
    originals = {photo[n]: n for n in feats if kind[n] == "original"}
    runs = [(os.path.basename(p), groups_of(p)) for p in reports]

    print("%-12s %5s  %-12s %-12s %-12s %s%s" % ("transform", "pairs", "phash med/max", "dhash med/max",
          "whash med/max", "  ".join("recall(%s)" % n for n, _ in runs),
          "  ImageHash<=%d" % IMAGEDEDUP_THRESHOLD if ih else ""))
    ih_tot = [0, 0]
    by = defaultdict(list)
    for n in feats:
        if kind[n] != "original":
            by[kind[n]].append(n)
    order = [t[0] for t in TRANSFORMS]
    totals = [[0, 0] for _ in runs]
    for k in order:
        ns = by.get(k, [])
        if not ns:
            continue
        d = {h: [] for h in ("phash", "dhash", "whash")}
        for n in ns:
            o = feats[originals[photo[n]]]
            v = feats[n]
            for h in d:
                d[h].append(ham(o[h], v[h]))
            # for turned copies, the best orientation variant
            if "phash_orientations" in v:
                d["phash"][-1] = min(ham(o["phash"], x) for x in v["phash_orientations"])
        rec = []
        for i, (_, g) in enumerate(runs):
            found = sum(1 for n in ns if g.get(n, 0) and g.get(n) == g.get(originals[photo[n]]))
            totals[i][0] += found
            totals[i][1] += len(ns)
            rec.append("%d/%d" % (found, len(ns)))
        if ih:
            f = sum(1 for n in ns if bin(ih[n] ^ ih[originals[photo[n]]]).count("1") <= IMAGEDEDUP_THRESHOLD)
            ih_tot[0] += f
            ih_tot[1] += len(ns)
            rec.append("%d/%d" % (f, len(ns)))
        med = lambda xs: sorted(xs)[len(xs) // 2]
        print("%-12s %5d  %5d/%-6d %5d/%-6d %5d/%-6d %s" % (k, len(ns), med(d["phash"]), max(d["phash"]),
              med(d["dhash"]), max(d["dhash"]), med(d["whash"]), max(d["whash"]),
              "  ".join("%-13s" % r for r in rec)))
    print("%-12s %5s  %s%s" % ("all", "", "  ".join("recall %.3f" % (f / t) for f, t in totals),
          "  recall %.3f" % (ih_tot[0] / ih_tot[1]) if ih else ""))
    # distinct pairs: the closest two files of different photos
    names = sorted(feats)
    close = min((ham(feats[a]["phash"], feats[b]["phash"]), a, b) for i, a in enumerate(names)
                for b in names[i + 1:] if photo[a] != photo[b])
    print("closest distinct pair: phash %d (%s, %s)" % close)
    for name, g in runs:
        members = defaultdict(list)
        for n, k in g.items():
            if k:
                members[k].append(n)
        tp = fp = 0
        purity = []
        for k, ms in members.items():
            for i, a in enumerate(ms):
                for b in ms[i + 1:]:
                    if photo[a] == photo[b]:
                        tp += 1
                    else:
                        fp += 1
            top = max(sum(1 for m in ms if photo[m] == p) for p in set(photo[m] for m in ms))
            purity.append(top / len(ms))
        print("%s: %d groups, pair precision %.3f (%d true, %d false pairs), mean group purity %.3f"
              % (name, len(members), tp / max(1, tp + fp), tp, fp, sum(purity) / max(1, len(purity))))
    if ih:
        # imagededup's way: every pair within the threshold is a duplicate pair
        tp = fp = 0
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                if bin(ih[a] ^ ih[b]).count("1") <= IMAGEDEDUP_THRESHOLD:
                    tp += photo[a] == photo[b]
                    fp += photo[a] != photo[b]
        print("ImageHash phash <= %d (imagededup's default): pair precision %.3f (%d true, %d false pairs)"
              % (IMAGEDEDUP_THRESHOLD, tp / max(1, tp + fp), tp, fp))
    else:
        print("ImageHash: not found (set IMAGEHASH_SRC to a checkout of JohannesBuchner/imagehash "
              "for its column)")


def hard(report):
    n = pairs = 0
    members = defaultdict(list)
    for name, k in groups_of(report).items():
        n += 1
        if k:
            members[k].append(name)
    for ms in members.values():
        pairs += len(ms) * (len(ms) - 1) // 2
    print("hard negatives: %d overlapping shots (left and right 60%% of each photo), "
          "%d false pairs" % (n, pairs))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "hard":
        hard(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
