#!/bin/sh
# dedupe's pairs no keypoints can see (GRP_BLIND_DETAIL): an icon of a page with five
# lines has too few corners for the keypoint tests, and its perceptual hash is 6 bits
# from the same page with one line 8 pixels shorter, with nothing else near: the hashes
# alone took the two as one picture.  Such a pair's pictures lie one on the other, so
# their details are read cell for cell (each view placed in its picture, or the part
# inside each frame on the other's) and must agree: the page with the shorter line
# stands apart, and the page's own copies (noise, JPEG, two blurs, half size, a gamma),
# whose views the blur moves by a pixel or two, stay in one group.  The same again at 48
# pixels, where the page has no keypoint at all: its details alone are read.  And through
# a turn: the other page turned a quarter or a half matched the page through its
# orientation and nothing read its details; read through the turn they miss by over 35,
# where the page turned a quarter and its JPEG stay one group.  (featx now enlarges the
# 128-pixel page to 160 for its keypoints, KP_MIN_SIDE, and finds corners enough on it:
# dedupe --keypoints 40 gives it as few as such an icon had, the 48-pixel page none.)
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img" "$T/small" "$T/turned"
"$PY" - "$T/img" "$T/small" <<'PY'
import random, sys
from PIL import Image, ImageDraw, ImageFilter
big, small = sys.argv[1], sys.argv[2]

def page(short):
    im = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle([14, 6, 116, 124], radius=6, fill=(90, 90, 90, 90))   # shadow
    for y in range(4, 120):
        g = int(252 - (y - 4) * 70 / 116)
        d.line([(12, y), (112, y)], fill=(g, g, g, 255))
    d.rounded_rectangle([11, 3, 113, 120], radius=4, outline=(100, 100, 100, 255), width=2)
    for i, n in enumerate([70, 70, 60, 70, 54]):
        y = 26 + i * 17
        n -= 8 if i == short else 0
        d.rectangle([27, y, 27 + n, y + 5], fill=(120, 120, 120, 255))
    return im

def small_page(short):
    # the same page drawn at 48 pixels, its lines a pixel or two high
    k = 48 / 128
    im = Image.new("RGBA", (48, 48), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for y in range(int(4 * k), int(120 * k)):
        g = int(252 - (y - 4 * k) * 70 / (116 * k))
        d.line([(int(12 * k), y), (int(112 * k), y)], fill=(g, g, g, 255))
    d.rectangle([int(11 * k), int(3 * k), int(113 * k), int(120 * k)], outline=(100, 100, 100, 255))
    for i, n in enumerate([70, 70, 60, 70, 54]):
        y = int((26 + i * 17) * k)
        n -= 24 if i == short else 0
        d.rectangle([int(27 * k), y, int((27 + n) * k), y + 1], fill=(120, 120, 120, 255))
    return im

def noisy(p, seed):
    rng = random.Random(seed)
    out = p.copy()
    px = out.load()
    for y in range(p.height):
        for x in range(p.width):
            r, g, b, a = px[x, y]
            if a:
                v = max(0, min(255, r + rng.randint(-6, 6)))
                px[x, y] = (v, v, v, a)
    return out

def jpeg_on_white(p, path):
    white = Image.new("RGBA", p.size, (255, 255, 255, 255))
    white.alpha_composite(p)
    white.convert("RGB").save(path, quality=75)

p = page(-1)
p.save(big + "/page.png")
page(2).save(big + "/other-page.png")
noisy(p, 1).save(big + "/page-noise.png")
jpeg_on_white(p, big + "/page-q75.jpg")
for r in (1, 2):
    p.filter(ImageFilter.GaussianBlur(r)).save(big + "/page-blur%d.png" % r)
p.resize((64, 64), Image.LANCZOS).save(big + "/page-half.png")
lut = [int(255 * (v / 255) ** 0.8 + 0.5) for v in range(256)]
gam = p.copy()
px = gam.load()
for y in range(128):
    for x in range(128):
        r, g, b, a = px[x, y]
        px[x, y] = (lut[r], lut[g], lut[b], a)
gam.save(big + "/page-gamma.png")

# turned: the other page a quarter and a half turn round, the page a quarter, matched
# through their orientations (a folder of their own each, below)
page(2).transpose(Image.Transpose.ROTATE_90).save(big + "/../turned/other-page-turned.png")
page(2).transpose(Image.Transpose.ROTATE_180).save(big + "/../turned/other-page-half-turn.png")
p.transpose(Image.Transpose.ROTATE_90).save(big + "/../turned/page-turned.png")

s = small_page(-1)
s.save(small + "/page.png")
small_page(2).save(small + "/other-page.png")
jpeg_on_white(s, small + "/page-q75.jpg")
s.resize((96, 96), Image.LANCZOS).save(small + "/page-double.png")
noisy(s, 2).save(small + "/page-noise.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --keypoints 40 --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$T/r"; }
pair() { jq -r --arg a "$1" --arg b "$2" 'select((.a == $a and .b == $b) or
	(.a == $b and .b == $a)) | '"$3" "$T/trace"; }
check_eq "the two pages are hash neighbours no keypoints can see, nothing else near" \
	"$(pair other-page.png page.png '"\(.dmin <= 8) \(.margin) \(.blind)"')" "true 99 true"
check_eq "the page with a shorter line is no copy of the page (its details miss)" \
	"$(pair other-page.png page.png '"\(.stage) \(.detail > 17)"')" "0 true"
check_eq "... and shares no group with it or any of its copies" "$(group other-page.png)" "none"
g=$(group page.png)
for c in page-noise.png page-q75.jpg page-blur1.png page-blur2.png page-half.png page-gamma.png; do
	check "$c shares the page's group (group $g)" test "$g" != none -a "$(group $c)" = "$g"
done
check_eq "the page's copies read cell for cell miss by 17 at most where compared" \
	"$(jq -r 'select(.a != "other-page.png" and .b != "other-page.png" and .detail > 17) |
		"\(.a) \(.b) \(.detail)"' "$T/trace")" ""

# the same at 48 pixels (written above), where featx finds no keypoint at all on the
# page (its details are all it has): the page with a line shorter apart, its copies one
# group
azls -q "$T/small" | featx -q > "$T/sfeat" || fail "featx (48 pixels)"
dedupe -q --trace-pairs "$T/strace" -i "$T/sfeat" -o "$T/sr" || fail "dedupe (48 pixels)"
check_eq "the 48-pixel page has no keypoint (its packing is a header alone)" \
	"$(jq -r 'select(.name == "page.png") | .local | length' "$T/sfeat")" "8"
check_eq "the 48-pixel page with a shorter line is no copy of it (blind, its details miss)" \
	"$(jq -r 'select(.a == "other-page.png" and .b == "page.png") |
		"\(.stage) \(.blind) \(.detail > 17)"' "$T/strace")" "0 true true"
check_eq "... and is in no group" \
	"$(jq -r 'select(.name == "other-page.png") | .dup.group // "none"' "$T/sr")" "none"
check_eq "the 48-pixel page's copies (JPEG, noise, double size) share its group" \
	"$(jq -r 'select(.name != null and .name != "other-page.png") | .dup.group // "none"' "$T/sr" |
		sort -u | wc -l | tr -d ' ') $(jq -r 'select(.name == "page.png") | .dup.group // "none"' "$T/sr")" "1 1"
# turned copies and turned look-alikes: matched through a quarter or a half turn, read
# cell for cell through it (b's grid laid out again); a turn lays out a 128-pixel
# icon's cells afresh, so a turned pair may miss by as much as a keypoint match's
# details (35) before it is no copy
for k in other-page-turned other-page-half-turn; do
	mkdir -p "$T/$k"
	cp "$T/img/page.png" "$T/turned/$k.png" "$T/$k/"
	azls -q "$T/$k" | featx -q > "$T/$k.feat" || fail "featx ($k)"
	dedupe -q --keypoints 40 --trace-pairs "$T/$k.trace" -i "$T/$k.feat" -o "$T/$k.r" || fail "dedupe ($k)"
	check_eq "$k: a blind hash match through a turn, with nothing else near" \
		"$(jq -r '"\(.orient != 1) \(.margin) \(.verified)"' "$T/$k.trace")" "true 99 0"
	check_eq "$k: no copy of the page (its details read through the turn miss)" \
		"$(jq -r '"\(.stage) \(.blind) \(.detail > 35)"' "$T/$k.trace")" "0 true true"
done
mkdir -p "$T/copies-turned"
cp "$T/img/page.png" "$T/img/page-q75.jpg" "$T/turned/page-turned.png" "$T/copies-turned/"
azls -q "$T/copies-turned" | featx -q > "$T/ct.feat" || fail "featx (turned copies)"
dedupe -q --trace-pairs "$T/ct.trace" -i "$T/ct.feat" -o "$T/ct.r" || fail "dedupe (turned copies)"
check_eq "the page turned a quarter and its JPEG share the page's group" \
	"$(jq -r 'select(.name != null) | .dup.group // "none"' "$T/ct.r" | sort -u)" "1"
check_eq "... the turned copy matched through its orientation" \
	"$(jq -r 'select(.b == "page.png" and .a == "page-turned.png") | "\(.orient != 1) \(.stage)"' \
		"$T/ct.trace")" "true 2"
finish
