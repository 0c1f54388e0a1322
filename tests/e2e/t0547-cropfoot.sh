#!/bin/sh
# dedupe and crops of line drawings: 24 cartoons of a few coloured shapes with thirty
# strokes one pixel wide around them (whiskers, hair, a movement's marks), 200 pixels
# on white, each cropped by a tenth and by a fifth.  A crop's cells are larger than its
# original's (by a ninth, by a quarter); read at a point, a stroke fell whole into one
# side's cell and in part into the other's, and before the finer grid was averaged over
# the larger cell (GRP_DETAIL_FOOT) 7 of the 48 crops missed their drawings' details.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import sys
from PIL import ImageDraw
sys.path.insert(0, sys.argv[2])
import evalsets  # its cartoons and its crops


def strokes(im, r):
    dr = ImageDraw.Draw(im)
    for _ in range(30):
        x0, y0 = r.randint(5, 195), r.randint(5, 195)
        dr.line((x0, y0, x0 + r.randint(-15, 15), y0 + r.randint(-15, 15)), fill="black",
                width=1)


evalsets.cartoon_crops(sys.argv[1], 7000, 24, strokes, shapes=(3, 5), size=(20, 40))
PY
dedupe_img 72
check_eq "no group holds two drawings" "$(mixed_groups "$T/r")" ""
found=$(with_originals "$T/r" crop)
check "46 or more of the 48 crops in their drawings' groups ($found)" test "$found" -ge 46
finish
