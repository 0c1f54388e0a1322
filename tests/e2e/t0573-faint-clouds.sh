#!/bin/sh
# Two smooth pictures (no keypoints where there was room for them) are matched on their
# colour grids (GRP_SMOOTH_TOL), whatever their perceptual hashes say: a gradient's
# copies move its hash 20 bits and its grid 1 or 2 levels.  But a grid whose cells all
# lie within a few levels of each other says no more than a flat colour does: FreeOrion's
# gaseous nebulae, soft clouds all but clear shown on white (grids spanning 9 to 14
# levels), were one group of 20 distinct pictures, their turned copies too.  A layout
# spanning under GRP_SMOOTH_SPAN levels in every channel on both sides no longer makes
# a copy.  Twelve faint clouds of two or three puffs, each with a blurred copy: no two
# clouds in one group.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import math, os, random, sys
from PIL import Image, ImageFilter
out = sys.argv[1]
for i in range(12):
    r = random.Random(573 + i)
    s = 256
    a = Image.new("L", (s, s), 0)
    px = a.load()
    # two or three soft puffs of gas, all but clear (alpha 20 to 30 at most)
    puffs = [(r.uniform(60, 196), r.uniform(60, 196), r.uniform(25, 60), r.uniform(12, 22))
             for _ in range(r.randrange(2, 4))]
    for y in range(s):
        for x in range(s):
            px[x, y] = min(255, int(sum(h * math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w * w))
                                        for cx, cy, w, h in puffs)))
    im = Image.new("RGBA", (s, s), (r.randrange(150, 210), r.randrange(120, 180), r.randrange(200, 250), 0))
    im.putalpha(a)
    d = os.path.join(out, "cloud%02d" % i)
    os.makedirs(d)
    im.save(d + "/original.png")
    im.filter(ImageFilter.GaussianBlur(2)).save(d + "/blur.png")
PY
dedupe_img 24 --trace-pairs "$T/trace"
low=$(jq -r 'select(.name // "" | endswith("/original.png")) | select(.low_info == true) | .name' "$T/feat" | wc -l)
check "most clouds are low-information pictures, as the nebulae are ($low of 12)" test "$low" -ge 8
check_eq "no group holds two clouds" "$(mixed_groups "$T/r")" ""
check_eq "no pair of two clouds taken" "$(cross_pairs "$T/trace" '.stage > 0')" 0
finish
