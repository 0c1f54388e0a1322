#!/bin/sh
# dedupe's tone test for pairs no keypoints can see (GRP_TONE_MAX / 2): a camera icon drawn
# flat (a body, a lens: too few corners for the keypoint tests) and its copy with a
# caption (make eval's: white letters on a black outline across the bottom quarter) are
# 10 to 12 bits apart with nothing else near, but the letters move the bottom cells of
# the 4x4 brightness grid off the tone line by over 10, and the test turned the copy
# down: make eval's small icons found none of their captioned copies so.  Read in place
# (the two lie one on the other), one side carries a line of text the other lacks, and a
# caption is a copy's mark: the tone test is excused, and the details read in place must
# still agree (GRP_BLIND_DETAIL).  The same camera with its lens lit, as far from the
# tone line and with no caption, stays a picture of its own, and so does a lighter
# camera's captioned copy: a caption excuses the rows it lies in, and the middle rows
# must follow the tone line as a copy's do.  At 100 pixels, where the keypoints see the
# pair and vouch for it, the lighter camera's copy is still no copy: the keypoints see
# shapes, not shades (GRP_TONE_VOUCHED).
. "$(dirname "$0")/lib.sh"

"$PY" - "$T" "$TOP" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]

def camera(side, body, lens):
    k = side / 128
    im = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([8 * k, 30 * k, 120 * k, 112 * k], radius=12 * k,
        fill=(body, body, body + 4, 255))
    d.rounded_rectangle([40 * k, 18 * k, 88 * k, 34 * k], radius=4 * k, fill=(60, 60, 64, 255))
    d.ellipse([38 * k, 44 * k, 90 * k, 96 * k], fill=(90, 90, 96, 255))
    d.ellipse([50 * k, 56 * k, 78 * k, 84 * k], fill=(lens, lens, lens + 4, 255))
    return im

for name, body, seed in (("grey", 100, 3), ("light", 160, 1)):
    os.makedirs("%s/%s" % (out, name))
    p = camera(80, body, 20)
    p.save("%s/%s/camera.png" % (out, name))
    E.t_caption(p, random.Random(seed), None).save("%s/%s/camera-caption.png" % (out, name))
os.makedirs(out + "/lit")
camera(80, 100, 20).save(out + "/lit/camera.png")
camera(80, 100, 180).save(out + "/lit/camera-lit.png")
# a lighter camera's captioned copy: a caption on one side, but its body lit otherwise
# everywhere the caption is not
os.makedirs(out + "/shade")
camera(80, 100, 20).save(out + "/shade/camera.png")
E.t_caption(camera(80, 130, 20), random.Random(3), None).save(out + "/shade/other-caption.png")
# the same at 100 pixels, which featx enlarges for its keypoints (KP_MIN_SIDE): they see
# the two and vouch for them, and the tone test still holds (GRP_TONE_VOUCHED)
os.makedirs(out + "/shade100")
camera(100, 100, 20).save(out + "/shade100/camera.png")
E.t_caption(camera(100, 130, 20), random.Random(3), None).save(out + "/shade100/other-caption.png")
PY
for k in grey light; do
	azls -q "$T/$k" | featx -q > "$T/$k.feat" || fail "featx ($k)"
	dedupe -q --trace-pairs "$T/$k.trace" -i "$T/$k.feat" -o "$T/$k.r" || fail "dedupe ($k)"
	check_eq "$k camera and its caption: hash neighbours with nothing else near, off the tone line" \
		"$(jq -r '"\(.dmin <= 12) \(.margin) \(.tone > 10)"' "$T/$k.trace")" "true 99 true"
	check_eq "$k camera and its caption: taken on the hashes, the caption read in place" \
		"$(jq -r '"\(.stage) \(.verified)"' "$T/$k.trace")" "2 0"
	check_eq "$k camera and its caption: one group" \
		"$(jq -r 'select(.name != null) | .dup.group // "none"' "$T/$k.r" | sort -u)" "1"
done
azls -q "$T/lit" | featx -q > "$T/lit.feat" || fail "featx (lit)"
dedupe -q --trace-pairs "$T/lit.trace" -i "$T/lit.feat" -o "$T/lit.r" || fail "dedupe (lit)"
check_eq "the camera with its lens lit: a hash neighbour, off the tone line" \
	"$(jq -r '"\(.dmin <= 12) \(.margin) \(.tone > 10)"' "$T/lit.trace")" "true 99 true"
check_eq "... no caption to excuse it: no copy, in no group" \
	"$(jq -r '.stage' "$T/lit.trace") $(jq -r 'select(.name != null) | .dup.group // "none"' "$T/lit.r" |
		sort -u)" "0 none"
azls -q "$T/shade" | featx -q > "$T/shade.feat" || fail "featx (shade)"
dedupe -q --trace-pairs "$T/shade.trace" -i "$T/shade.feat" -o "$T/shade.r" || fail "dedupe (shade)"
check_eq "a lighter camera's captioned copy: a hash neighbour, off the tone line" \
	"$(jq -r '"\(.dmin <= 12) \(.margin) \(.tone > 10)"' "$T/shade.trace")" "true 99 true"
check_eq "... its caption excuses the caption's rows alone, not its body's shade: no copy" \
	"$(jq -r '.stage' "$T/shade.trace") $(jq -r 'select(.name != null) | .dup.group // "none"' \
		"$T/shade.r" | sort -u)" "0 none"
azls -q "$T/shade100" | featx -q > "$T/shade100.feat" || fail "featx (shade100)"
dedupe -q --trace-pairs "$T/shade100.trace" -i "$T/shade100.feat" -o "$T/shade100.r" ||
	fail "dedupe (shade100)"
check_eq "at 100 pixels the keypoints vouch for the two (a strict match)" \
	"$(jq -r '"\(.hashed) \(.inliers >= 24) \(.blind)"' "$T/shade100.trace")" "true true false"
check_eq "... and the lighter camera's captioned copy is still no copy (its shade off the tone line)" \
	"$(jq -r '"\(.stage) \(.tone > 20)"' "$T/shade100.trace") $(jq -r 'select(.name != null) |
		.dup.group // "none"' "$T/shade100.r" | sort -u)" "0 true none"
finish
