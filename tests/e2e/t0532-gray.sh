#!/bin/sh
# A gray picture and a colour one are one picture only as a gray copy and its original
# (GRP_GRAY_DETAIL): the colours cannot be compared, so the details must follow one
# tone curve as closely as a gray copy's do.  A gold trophy and a silver one drawn on
# one outline, shaded otherwise, match on their hashes (a few bits apart) and on nearly
# every keypoint; the gray copy of the gold one is still its copy, and the silver one
# joins no group of the gold one's, not even through that gray copy.  And a gray keeper
# never takes a colour picture (loses_colour): a gray copy with more pixels than its
# original ranks first, and the original then stays out, kept; one as large joins the
# original's group.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import os, sys
from PIL import Image, ImageDraw
out = sys.argv[1]

def cup(metal):
    """a drawn trophy, 256 px on transparency: one outline, in gold lit from the left,
    or in silver lit so too but with a bright band left of the middle"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    gold = metal == "gold"
    for x in range(60, 197):
        t = (x - 60) / 136
        c = (int(250 - 90 * t), int(200 - 80 * t), int(40 + 20 * t))
        if not gold:
            v = int(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2])
            v = min(255, v + (40 if 0.35 < t < 0.5 else 0))
            c = (v, v, v)
        d.line((x, 40, x, 40 + int(100 * (1 - abs(t - 0.5) ** 2 * 1.6))), fill=c + (255,))
    rim = (120, 100, 40, 255) if gold else (110, 110, 110, 255)
    d.ellipse((20, 50, 70, 110), outline=rim, width=8)
    d.ellipse((186, 50, 236, 110), outline=rim, width=8)
    d.rectangle((116, 140, 140, 190), fill=(180, 140, 40, 255) if gold else (150, 150, 150, 255))
    d.rounded_rectangle((70, 190, 186, 220), 6, fill=(90, 60, 30, 255) if gold else (60, 60, 60, 255))
    d.text((110, 196), "2026", fill=(230, 210, 120, 255) if gold else (220, 220, 220, 255))
    return im

g = cup("gold")
g.save(out + "/gold.png")
cup("silver").save(out + "/silver.png")
g.convert("LA").save(out + "/gold-gray.png")
g.convert("LA").convert("RGBA").resize((192, 192), Image.LANCZOS).save(out + "/gold-gray-small.png")
# apart: the gold trophy and a gray copy of it with more pixels, which the default
# policy (resolution first) ranks first
os.makedirs(out + "2")
g.save(out + "2/gold.png")
g.convert("LA").convert("RGBA").resize((320, 320), Image.LANCZOS).save(out + "2/gold-gray-big.png")
# together: the gold trophy and a gray copy of it as large, but older, which the default
# policy (the oldest first at equal resolution) ranks first
os.makedirs(out + "3")
g.save(out + "3/gold.png")
g.convert("LA").save(out + "3/gold-gray-old.png")
os.utime(out + "3/gold-gray-old.png", (1500000000, 1500000000))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
pair() { jq -r --arg a "$1" --arg b "$2" 'select(.a == $a and .b == $b) | '"$3" "$T/trace"; }
check "gold and silver: their hashes match (a few bits apart)" \
	test "$(pair gold.png silver.png .dmin)" -le 6
check "gold and silver: their keypoints agree" \
	test "$(pair gold.png silver.png .inliers)" -ge 40
check "gold and silver: their details miss by over GRP_GRAY_DETAIL (12)" \
	test "$(pair gold.png silver.png .detail)" -gt 12
check_eq "gold and silver: turned down, and told apart for good" \
	"$(pair gold.png silver.png '"\(.stage) \(.conflict)"')" "0 true"
check_eq "the gray copies are in the gold trophy's group" \
	"$(jq -r 'select(.dup.keeper == "gold.png") | .name' "$T/r" | sort | tr '\n' ' ')" \
	"gold-gray-small.png gold-gray.png "
check_eq "the silver trophy is in no group" \
	"$(jq -r 'select(.name == "silver.png") | .dup.role' "$T/r")" "unique"
# A keeper never takes a picture in colour when it is gray itself: the gray copy with
# more pixels ranks first, and dropping the colour picture for it would lose its colours
azls -q "$T/img2" | featx -q > "$T/feat2" || fail "featx"
dedupe -q --trace-pairs "$T/trace2" -i "$T/feat2" -o "$T/r2" || fail "dedupe"
check_eq "gold and its larger gray copy: a pair the hashes take" \
	"$(jq -r 'select(.a == "gold-gray-big.png" and .b == "gold.png") | .stage' "$T/trace2")" "2"
check_eq "the gold trophy is no duplicate of its gray copy (both kept)" \
	"$(jq -r 'select(.name == "gold.png") | .dup.role' "$T/r2")" "unique"
check_eq "nor is the gray copy dropped" \
	"$(jq -r 'select(.name == "gold-gray-big.png") | .dup.role' "$T/r2")" "unique"
# A gray keeper that took nothing is still a copy a later keeper may take, one as large:
# the gray copy ranks first (older), takes no colour picture, and then joins the gold
# trophy's group (before, it stayed out beside it: the pair lost)
azls -q "$T/img3" | featx -q > "$T/feat3" || fail "featx"
dedupe -q -i "$T/feat3" -o "$T/r3" || fail "dedupe"
check_eq "an older gray copy as large as its original: in the original's group" \
	"$(jq -r 'select(.name == "gold-gray-old.png") | "\(.dup.role) \(.dup.keeper)"' "$T/r3")" \
	"duplicate gold.png"
finish
