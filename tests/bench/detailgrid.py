#!/usr/bin/python3
"""detailgrid.py -- how finely a detail grid must see to tell pictures of one template
(charts of one style, forms of one layout, pages of one manual) from their copies.

A model of dedupe's detail pass, not the pass itself: each picture (alpha laid on white)
is shrunk by area average to an N x N gray grid; two pictures are read as they lie (no
keypoint transform: only the transforms that keep the picture in place are taken, JPEG,
blur, noise, gamma, contrast, gray, half size), one grid mapped onto the other by a tone
curve (per band of 16 levels the median), each cell's miss less a quarter of the smaller
3x3 range (misplacement along edges) and twice the median miss (noise), and of the 3x3
blocks the largest mean of the three largest misses.  Prints, per set and grid size, that
largest miss for copies (an original and its variant) and for distinct originals (other
pictures, look-alikes, distractors of the set), and how many distinct pairs miss by more
than any copy does.  For choosing featx's KP_DETAIL with data; not run by any target.

  /usr/bin/python3 tests/bench/detailgrid.py [--sizes 32,64] SET...   (sets of make eval,
  read from build/eval/sets/SET; numpy and PIL from Debian)
"""
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as windows
from PIL import Image

IN_PLACE = {"jpeg-q30", "jpeg-q75", "blur", "noise", "gamma", "contrast", "grayscale", "resize-50"}


def grid(path, n):
    im = Image.open(path)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    return np.asarray(im.convert("L").resize((n, n), Image.BOX), dtype=float)


def worst_block(a, b):
    n = a.shape[0]
    lut = np.full(256, np.nan)
    for k in range(16):
        m = (a >= 16 * k) & (a < 16 * k + 16)
        if m.sum() >= 4:
            lut[16 * k:16 * k + 16] = np.median(b[m])
    idx = np.arange(256)
    ok = ~np.isnan(lut)
    lut = np.interp(idx, idx[ok], lut[ok]) if ok.any() else idx.astype(float)
    ta = lut[a.astype(int)]
    res = np.abs(b - ta)
    med = np.median(res)
    wa = windows(np.pad(ta, 1, mode="edge"), (3, 3))
    wb = windows(np.pad(b, 1, mode="edge"), (3, 3))
    span = np.minimum(wa.max(axis=(2, 3)) - wa.min(axis=(2, 3)), wb.max(axis=(2, 3)) - wb.min(axis=(2, 3)))
    res = np.maximum(res - 0.25 * span - 2 * med, 0)
    blocks = windows(res, (3, 3)).reshape(n - 2, n - 2, 9)
    return np.sort(blocks, axis=2)[:, :, -3:].mean(axis=2).max()


def main(argv):
    sizes = [32, 64]
    if len(argv) > 1 and argv[0] == "--sizes":
        sizes = [int(x) for x in argv[1].split(",")]
        argv = argv[2:]
    print("%-12s %5s %6s %14s %8s %14s %s" % ("set", "grid", "copies", "miss p90/max", "others",
                                              "miss p10/p50", "others over every copy"))
    for s in argv:
        ids, kind = {}, {}
        with open("build/eval/sets/%s/truth.tsv" % s) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                x = line.rstrip("\n").split("\t")
                ids[x[0]], kind[x[0]] = x[1], x[3]
        copies = [n for n in ids if kind[n] in IN_PLACE]
        heads = [n for n in ids if n.endswith("/original.png") or kind[n] == "-" and "/original" not in n]
        for size in sizes:
            g = {}

            def at(n):
                if n not in g:
                    g[n] = grid("build/eval/sets/%s/files/%s" % (s, n), size)
                return g[n]
            same = []
            for n in copies:
                o = n.split("/")[0] + "/original.png"
                if o in ids and ids[o] == ids[n]:
                    same.append(worst_block(at(o), at(n)))
            other = [worst_block(at(x), at(y)) for i, x in enumerate(heads) for y in heads[i + 1:]
                     if ids[x] != ids[y]]
            same, other = np.array(same), np.array(other)
            print("%-12s %5d %6d %8.0f/%-5.0f %8d %8.0f/%-5.0f %d/%d" % (
                s, size, len(same), np.percentile(same, 90), same.max(), len(other),
                np.percentile(other, 10), np.percentile(other, 50), (other > same.max()).sum(), len(other)))


if __name__ == "__main__":
    main(sys.argv[1:])
