#!/bin/sh
# dedupe and blurred copies of drawings: cartoons of filled shapes with black outlines
# two pixels wide, 200 pixels across, each blurred by 1.5 and 2 pixels.  The 32 x 32
# detail sees a blurred outline as the same shade; the 64 x 64 fine detail sees it a
# cell or two wider on each side of every line, block after block, as it sees another
# chart of one template, and before GRP_FINE_SHARPER the fine rule parted 10 of the 16
# copies from their drawings.  A blurred copy misses as little as any copy once the
# sharp side is blurred as much, and only a copy whose lines are no sharper than that
# is read so: charts of one style and title whose curves differ stay apart (with the
# blur read on any pair one side of which is the sharper, two of them shared a group).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
from PIL import ImageFilter, ImageFont
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import evalsets  # its cartoons, and make eval's charts drawn with Pillow's own font
evalsets.font = lambda size: ImageFont.load_default()

for k in range(8):
    d = os.path.join(out, "d%d" % k)
    os.makedirs(d)
    im = evalsets.cartoon(random.Random(1000 + k))
    im.save(os.path.join(d, "original.png"))
    for rad in (1.5, 2.0):
        im.filter(ImageFilter.GaussianBlur(rad)).save(os.path.join(d, "blur%s.png" % rad))
# charts of one style and title whose curves differ (one to three of them): one has
# the sharper lines, and the other's are no blurred copy of them
for k in range(4):
    d = os.path.join(out, "c%d" % k)
    os.makedirs(d)
    evalsets.chart(random.Random(300 + k), "shaded", "Response time", "curves").save(
        os.path.join(d, "original.png"))
PY
dedupe_img 28
check_eq "no group holds two drawings or two charts" "$(mixed_groups "$T/r")" ""
found=$(with_originals "$T/r" '^d[0-9]/blur')
check_eq "each drawing's two blurred copies in its group" "$found" 16
finish
