#!/bin/sh
# A copy turned 5 degrees whose hashes match with the margin and whose keypoints vouch
# for it (over 100 inliers) was turned down by the tone test: on the 4 x 4 grids, which
# a turn does not lay alike, a dark body's edges along the grid's lines moved and the
# cells missed one tone line by 21, over the 20 a vouched pair may.  Where the keypoints
# agree on such a turn, the colour grids read through it decide instead (within 24, as
# for a framed copy): the turned copy joins its figure.  The same figure with its
# colours changed and turned alike stays out.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import random, sys
from PIL import Image, ImageDraw
out, S, side = sys.argv[1], 2, 400

def figure(seed, recolour):
    # a painted figure on transparency: a dark body whose edges run along the 4 x 4
    # grid's lines, a face, and small outlined shapes for corners
    r = random.Random(seed)
    im = Image.new("RGBA", (side * S, side * S), (0, 0, 0, 0))
    g = ImageDraw.Draw(im)
    g.rectangle((100 * S, 0, 300 * S, 400 * S), fill=(25, 35, 90, 255) if recolour else (40, 30, 25, 255))
    g.ellipse((120 * S, 10 * S, 280 * S, 160 * S), fill=(150, 200, 150, 255) if recolour else (225, 190, 160, 255))
    for k in range(60):
        x, y = r.randrange(20, 380) * S, r.randrange(20, 380) * S
        w, h = r.randrange(6, 22) * S, r.randrange(6, 22) * S
        col = tuple(r.randrange(0, 256) for _ in range(3))
        col = (col[2], col[0], col[1]) if recolour else col
        if k % 2:
            g.rectangle((x, y, x + w, y + h), fill=col + (255,), outline=(0, 0, 0, 255), width=S)
        else:
            g.ellipse((x, y, x + w, y + h), fill=col + (255,), outline=(0, 0, 0, 255), width=S)
    return im.resize((side, side), Image.LANCZOS)

figure(5, False).save(out + "/figure.png")
figure(5, False).rotate(-5, resample=Image.BICUBIC).save(out + "/figure-turned.png")
figure(5, True).rotate(-5, resample=Image.BICUBIC).save(out + "/other-turned.png")
PY
dedupe_img 3 --trace-pairs "$T/trace"
pair=$(jq -r 'select(.pass == 2 and .a == "figure-turned.png" and .b == "figure.png") |
	"\(.hashed) \(.inliers >= 24) \(.tone > 20) \(.wcol >= 0 and .wcol <= 24)"' "$T/trace")
check_eq "the turned copy: a hash match the keypoints vouch for, off the tone line, its colours alike through the turn" \
	"$pair" "true true true true"
check_eq "the turned copy joins its figure" \
	"$(jq -r 'select(.name == "figure.png" or .name == "figure-turned.png") | .dup.group // "none"' "$T/r" |
		sort -u | grep -vc none)" "1"
check_eq "the figure in other colours, turned alike, stays out" \
	"$(jq -r 'select(.name == "other-turned.png") | .dup.group // "none"' "$T/r")" "none"
finish
