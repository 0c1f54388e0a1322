#!/bin/sh
# dedupe's details read through a keypoint transform that turns a picture a half (a turn
# of 180 degrees, or a flip top to bottom: a mirror and that turn).  The keypoints'
# places, and so their transform, are pixel centres; the detail cells' middles were fed
# to it as shares of the whole side, half a pixel off on each side of it.  Upright and
# mirrored the two halves cancel; through a half turn they add up to a whole pixel, a
# third of a detail cell of a 96-pixel glyph, and a black glyph's strokes read a pixel
# off missed by 37 to 100 "all over": its lossless turned and flipped copies were told
# apart from it for good (adwaita-icon-theme's symbolic icons: a weather glyph, a
# battery).  Read on the pixel centres they miss by a few levels and share one group,
# and the same battery at another level (its fill a third higher) stays apart.  The
# glyph is drawn at 136 pixels, its part inside its clear margins enlarged by featx to
# 160 for the keypoints (KP_MIN_SIDE), not so much that the keypoints count for nothing
# (GRP_BLIND_ENLARGE); read a pixel off there the copies missed by 19, read right by 0.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/g"
"$PY" - "$T/g" <<'PY'
import sys
from PIL import Image, ImageDraw
d, S = sys.argv[1], 4

def sc(*v):
    return tuple(k * S for k in v)

def battery(top, side=136):
    # drawn at 4x and scaled down (smooth edges, as an SVG glyph is rendered): a cap, a
    # thick rounded body, a block of fill from row top, a bolt and four level marks
    im = Image.new("RGBA", (96 * S, 96 * S), (0, 0, 0, 0))
    g = ImageDraw.Draw(im)
    g.rounded_rectangle(sc(36, 2, 60, 12), radius=3 * S, fill=(0, 0, 0, 255))
    g.rounded_rectangle(sc(12, 10, 84, 94), radius=14 * S, outline=(0, 0, 0, 255), width=8 * S)
    g.rectangle(sc(24, top, 58, 82), fill=(0, 0, 0, 255))
    g.polygon([sc(70, 28), sc(46, 58), sc(60, 58), sc(50, 86), sc(78, 52), sc(64, 52),
               sc(76, 28)], fill=(0, 0, 0, 255))
    for k in range(4):
        g.rectangle(sc(24 + 9 * k, 24, 29 + 9 * k, 29 + 4 * k), fill=(0, 0, 0, 255))
    return im.resize((side, side), Image.LANCZOS)

b = battery(56)
b.save(d + "/battery.png")
b.transpose(Image.Transpose.ROTATE_180).save(d + "/battery-180.png")
b.transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(d + "/battery-flip.png")
battery(40).save(d + "/battery-fuller.png")
PY
azls -q "$T/g" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
pair() {
	jq -r --arg a "$1" --arg b "$2" \
		'select((.a == $a and .b == $b) or (.a == $b and .b == $a)) | '"$3" "$T/trace"
}
check_eq "the glyph has keypoints enough for the keypoint tests (48)" \
	"$(jq -r 'select(.name == "battery.png") |
		((.local | rtrimstr("=") | length) * 3 / 4 | floor) - 5 | . / 38 >= 48' "$T/feat")" "true"
check_eq "the half turn and the flip are matched through their orientations, keypoints agreeing" \
	"$(pair battery.png battery-180.png '"\(.orient) \(.inliers >= 24)"') $(pair battery.png \
		battery-flip.png '"\(.orient) \(.inliers >= 24)"')" "3 true 4 true"
for c in battery-180.png battery-flip.png; do
	check_eq "battery.png and $c: the details read through the transform agree" \
		"$(pair battery.png $c '"\(.detail >= 0 and .detail <= 12) \(.spread_apart) \(.conflict)"')" \
		"true false false"
done
check_eq "the glyph and its turned and flipped copies share one group" \
	"$(jq -r 'select(.name != null and (.name | test("^battery(-180|-flip)?\\.png$"))) |
		.dup.group // "none"' "$T/r" | sort -u | wc -l | tr -d ' ') $(jq -r 'select(.name ==
		"battery-180.png") | .dup.group // "none"' "$T/r")" "1 1"
check_eq "the battery at another level is in no group" \
	"$(jq -r 'select(.name == "battery-fuller.png") | .dup.group // "none"' "$T/r")" "none"
finish
