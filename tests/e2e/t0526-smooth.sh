#!/bin/sh
# dedupe's smooth pictures (GRP_SMOOTH_*): featx finds no keypoint in a gradient, and its
# perceptual hash is noise (a JPEG or half-size copy lands 20 or more bits off), so two
# such pictures are one when their colour grids agree within 6 in every cell and channel
# and their wavelet and difference hashes are close; and they are one only then, whatever
# their hashes say: a gradient whose end colour is 40 levels off hashes 1 or 2 bits from
# it (its colour grid 35 off).  A radial one of the same colours and a flat colour are
# others too.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import math, os, sys
from PIL import Image
out = sys.argv[1]

def linear(w, h, c0, c1, vertical=False):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            t = (y / (h - 1)) if vertical else (x / (w - 1))
            px[x, y] = tuple(int(a + (b - a) * t + 0.5) for a, b in zip(c0, c1))
    return im

def radial(w, h, c0, c1):
    im = Image.new("RGB", (w, h))
    px = im.load()
    r = math.hypot(w / 2, h / 2)
    for y in range(h):
        for x in range(w):
            t = math.hypot(x - w / 2, y - h / 2) / r
            px[x, y] = tuple(int(a + (b - a) * t + 0.5) for a, b in zip(c0, c1))
    return im

pics = {
    "sunset": linear(320, 240, (250, 140, 60), (90, 40, 120)),
    "sunset-other": linear(320, 240, (250, 140, 60), (130, 40, 120)),  # end 40 off
    "sea": linear(240, 320, (20, 60, 140), (120, 200, 230), vertical=True),
    "glow": radial(320, 240, (250, 140, 60), (90, 40, 120)),          # sunset's colours
    "mint": linear(320, 240, (150, 220, 190), (160, 225, 200)),       # nearly flat
}
for name, im in pics.items():
    d = out + "/" + name
    os.makedirs(d)
    im.save(d + "/original.png")
    im.save(d + "/q30.jpg", quality=30)
    im.resize((im.width // 2, im.height // 2), Image.LANCZOS).save(d + "/half.png")
Image.new("RGB", (320, 240), (170, 90, 90)).save(out + "/flat.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
check_eq "featx finds no keypoint in the gradients (local holds none)" \
	"$(jq -r 'select(.name != null and .name != "flat.png") | .local | length' "$T/feat" | sort -u)" "8"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$T/r"; }
for p in sunset sunset-other sea glow; do
	g=$(group $p/original.png)
	check "$p: its JPEG and half-size copies share its group (group $g)" \
		test "$g" != none -a "$(group $p/q30.jpg)" = "$g" -a "$(group $p/half.png)" = "$g"
done
check_eq "the copies are taken on the hashes with an open margin (the grids decided)" \
	"$(jq -r 'select(.name == "sunset/q30.jpg" or .name == "sea/half.png") |
		"\(.dup.evidence.kind) \(.dup.evidence.margin)"' "$T/r" | sort -u)" "hash open"
check_eq "the gradient whose end colour is 40 off is 1 or 2 bits away on every hash, yet apart" \
	"$(jq -r 'select(.a == "sunset-other/original.png" and .b == "sunset/original.png") |
		"\(.dmin <= 2) \(.stage)"' "$T/trace")" "true 0"
check_eq "no two pictures share a group (an end colour 40 off, a radial one, a flat one)" \
	"$(mixed_groups "$T/r")" ""
finish
