#!/bin/sh
# dedupe's precision on collections of one kind, at the default settings: flat and
# transparent images, pages of one manual, star fields, mirrored and turned copies.
# Every image is drawn here with fixed seeds; a distinct picture in a group is a loss.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$PHOTOS" "$TOP" <<'PY'
import io, os, random, sys
from PIL import Image, ImageChops, ImageDraw, ImageFilter
out, photos = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3] + "/tests/bench")
import evalsets as E
for d in ("flat", "pages", "sky", "turned", "cut"):
    os.makedirs(os.path.join(out, d), exist_ok=True)

# flat and transparent: every hash of these is constant
Image.new("RGB", (640, 480), (255, 255, 255)).save(out + "/flat/white.jpg", quality=90)
Image.new("RGB", (500, 400), (128, 128, 128)).save(out + "/flat/grey.png")
Image.new("RGB", (400, 400), (120, 40, 160)).save(out + "/flat/purple.png")
Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(out + "/flat/clear.png")
with open(out + "/flat/grey.png", "rb") as i, open(out + "/flat/grey-copy.png", "wb") as o:
    o.write(i.read())
# overlays: white pixels, the picture in the alpha channel (at opacity 5/5 of its gray)
def overlay(name, side, path, opacity=5):
    a = Image.open(path).convert("L").resize((side, side)).point(lambda v: v * opacity // 5)
    im = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    im.putalpha(a)
    im.save(out + "/flat/" + name)
overlay("overlay-camera.png", 400, photos + "/camera.png")
overlay("overlay-camera-half.png", 200, photos + "/camera.png")
overlay("overlay-astronaut.png", 400, photos + "/astronaut.jpg")
# faint ones (2/5), a wallpaper of white light: no pixel even half opaque, the picture
# shows on black only (the same pictures, fainter: copies of the overlays above)
overlay("overlay-camera-faint.png", 400, photos + "/camera.png", 2)
overlay("overlay-camera-faint-half.png", 200, photos + "/camera.png", 2)
overlay("overlay-astronaut-faint.png", 400, photos + "/astronaut.jpg", 2)

# pages of one manual: one font, one layout, different words
rng = random.Random(7)
for i in range(8):
    im = E.manual_page(i + 1, rng)
    im.save(out + "/pages/page%d.png" % i)
    if i < 2:
        # a re-scan: slight skew, blur, noise, less contrast, margins cropped, JPEG 50
        s = im.convert("L").rotate(0.5, resample=Image.BICUBIC, fillcolor=255)
        s = s.filter(ImageFilter.GaussianBlur(0.5))
        s = ImageChops.add(s, Image.effect_noise(s.size, 6), 1.0, -128)
        s = s.point(lambda v: 30 + v * 200 // 255).crop((20, 20, 830, 1080))
        s.save(out + "/pages/page%d-rescan.jpg" % i, quality=50)
        im.save(out + "/pages/page%d-q75.jpg" % i, quality=75)

# cut-outs: one star shape on transparency, a light warm grey one and a green one (a
# grey with a tint is no grayscale copy: their colours are compared)
m = Image.new("L", (400, 300), 0)
pts = [(200 + (110 if k % 2 == 0 else 48) * __import__("math").sin(k * 0.6283185),
        150 - (110 if k % 2 == 0 else 48) * __import__("math").cos(k * 0.6283185)) for k in range(10)]
ImageDraw.Draw(m).polygon(pts, fill=255)
m = m.filter(ImageFilter.GaussianBlur(1.5))
for name, c in (("grey", (191, 185, 168)), ("green", (118, 211, 39))):
    cut = Image.new("RGBA", (400, 300), c + (0,))
    cut.putalpha(m)
    cut.save(out + "/cut/%s.png" % name)

# star fields over one horizon, as a night's shots from one place
rng = random.Random(11)
for i in range(8):
    w, h = 800, 600
    im = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(im)
    for _ in range(rng.randint(150, 500)):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), 0.6 + 2.0 * rng.random() ** 4
        d.ellipse((x - r, y - r, x + r, y + r), fill=min(255, int(255 * rng.random() ** 3) + 20))
    im = im.filter(ImageFilter.GaussianBlur(0.8))
    im = ImageChops.add(im, Image.linear_gradient("L").resize((w, h)).point(lambda v: v * 60 // 255))
    d = ImageDraw.Draw(im)
    d.polygon([(0, h)] + [(x, int(h * 0.82 + 25 * ((x * 7919) % 13) / 13)) for x in range(0, w + 20, 20)] + [(w, h)], fill=0)
    im.save(out + "/sky/sky%d.png" % i)
    if i < 2:
        im.save(out + "/sky/sky%d-q50.jpg" % i, quality=50)

# mirrored and turned copies of a photo
im = Image.open(photos + "/chelsea.jpg")
im.save(out + "/turned/chelsea.png")
for name, op in (("mirror", Image.Transpose.FLIP_LEFT_RIGHT), ("upside", Image.Transpose.ROTATE_180),
                 ("ccw", Image.Transpose.ROTATE_90), ("flipped", Image.Transpose.FLIP_TOP_BOTTOM)):
    im.transpose(op).save(out + "/turned/chelsea-%s.png" % name)
# a crop (found by keypoints) and a byte copy (exact, inside a near group)
w, h = im.size
im.crop((w // 5, h // 5, w - w // 5, h - h // 5)).save(out + "/turned/chelsea-crop.png")
with open(out + "/turned/chelsea.png", "rb") as i, open(out + "/turned/chelsea-same.png", "wb") as o:
    o.write(i.read())
# one date for every file, so that the keep policy goes by what the files are
for root, _, files in os.walk(out):
    for f in files:
        os.utime(os.path.join(root, f), (1700000000, 1700000000))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"

# the picture a file shows: its name up to the first '-' or '.'
pairs() {
	jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$1" |
		sed 's|\([^ ]*/[^-. ]*\)[^ ]* \([^ ]*/[^-. ]*\).*|\1 \2|'
}
check_eq "no distinct pictures share a group" "$(pairs "$T/r" | awk '$1 != $2' | sort)" ""
role() { jq -r --arg n "$1" 'select(.name == $n) | "\(.dup.role) \(.dup.keeper // "-")"' "$T/r"; }

# 1. low information: exact bytes only; overlays hashed by what they show
check_eq "flat and transparent images are marked low_info" \
	"$(jq -r 'select(.low_info) | .name' "$T/feat" | sort | tr '\n' ' ')" \
	"flat/clear.png flat/grey-copy.png flat/grey.png flat/purple.png flat/white.jpg "
check_eq "the byte copy of the grey image still groups with it (exact)" \
	"$(jq -r 'select((.name // "") | startswith("flat/grey")) | "\(.dup.role) \(.dup.evidence.kind // "-")"' "$T/r" | sort | tr '\n' ' ')" \
	"duplicate exact keeper - "
for f in white.jpg purple.png clear.png; do
	check_eq "flat/$f stays unique" "$(role flat/$f)" "unique -"
done
check_eq "overlays are hashed on black: the picture in the alpha channel" \
	"$(jq -r 'select((.name // "") | startswith("flat/overlay")) | .alpha' "$T/feat" | sort -u)" "black"
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$T/r"; }
# (the two full-size overlays, the plain and the faint, lie as near the rest of their
# group, each with a half-size copy: either keeps, by the center key)
check_eq "the half-size overlay joins its overlay" \
	"$(role flat/overlay-camera-half.png | cut -d' ' -f1) $(group flat/overlay-camera-half.png)" \
	"duplicate $(group flat/overlay-camera.png)"
check "a full-size overlay keeps" jq -e -s --arg k "$(role flat/overlay-camera-half.png | cut -d' ' -f2)" \
	'any(.[]; .name == $k and .width == 400)' "$T/feat"
check "the two overlays of different pictures do not share a group" \
	test "$(group flat/overlay-astronaut.png)" != "$(group flat/overlay-camera.png)"
check_eq "faint overlays (no pixel half opaque) are shown on black and not low_info" \
	"$(jq -r 'select((.name // "") | endswith("faint.png") or endswith("faint-half.png")) |
		"\(.alpha) \(.low_info // false) \(.opaque < 0.02)"' "$T/feat" | sort -u)" \
	"black false true"
for f in overlay-camera-faint overlay-camera-faint-half; do
	check_eq "flat/$f.png, fainter, is in its overlay's group" "$(group flat/$f.png)" \
		"$(group flat/overlay-camera.png)"
done
astro=$(group flat/overlay-astronaut.png)
check "and so is the faint astronaut in the astronaut's (group $astro)" \
	test "$(group flat/overlay-astronaut-faint.png)" = "$astro" -a "$astro" != none

check_eq "a grey cut-out and a green one of one shape stay apart (colour)" \
	"$(role cut/grey.png) $(role cut/green.png)" "unique - unique -"

# 2, 3. pages of one manual: the keypoints decide, strictly
check_eq "no two pages share a group" "$(pairs "$T/r" | grep pages/ | awk '$1 != $2')" ""
for i in 0 1; do
	check_eq "the JPEG copy of page $i shares its group" \
		"$(jq -r --arg p "pages/page$i" 'select((.name // "") | startswith($p + ".") or startswith($p + "-q")) | .dup.group' "$T/r" | sort -u | grep -c '^[1-9]')" "1"
done
check "the keypoint evidence names inliers, matches and coverage" sh -c \
	"jq -e -s '[.[] | select(.dup.evidence.kind == \"keypoints\") | .dup.evidence | .inliers >= 24 and .matches >= .inliers and .coverage > 0] | length > 0 and all' '$T/r' > /dev/null"

# star fields: crowded hashes, copies still found
check_eq "no two star fields share a group" "$(pairs "$T/r" | grep sky/ | awk '$1 != $2')" ""
for i in 0 1; do
	check_eq "sky $i: its JPEG copy shares its group" \
		"$(jq -r --arg p "sky/sky$i" 'select((.name // "") | startswith($p + ".") or startswith($p + "-q")) | .dup.group' "$T/r" | sort -u | grep -c '^[1-9]')" "1"
done

# 4. mirrors and turns by default
check_eq "mirrored, turned and cropped copies share the photo's group by default" \
	"$(jq -r 'select((.name // "") | startswith("turned/")) | .dup.group' "$T/r" | sort -u | grep -c '^[1-9]')" "1"
check_eq "the crop is found by keypoints" \
	"$(jq -r 'select(.name == "turned/chelsea-crop.png") | .dup.evidence.kind' "$T/r")" "keypoints"
dedupe -q --no-rotations --no-local -i "$T/feat" -o "$T/r0"
check_eq "--no-rotations (hashes only): the mirror is unique" \
	"$(jq -r 'select(.name == "turned/chelsea-mirror.png") | .dup.role' "$T/r0")" "unique"

# 5. say why
check_eq "the keeper says why it was kept (over its byte copy: by name)" \
	"$(jq -r 'select(.type == null and .dup.role == "keeper" and (.name | startswith("turned/"))) | "\(.name) \(.dup.kept_because) over \(.dup.over)"' "$T/r")" \
	"turned/chelsea-same.png name over turned/chelsea.png"
check "every duplicate carries its evidence" sh -c \
	"jq -e -s '[.[] | select(.dup.role == \"duplicate\") | .dup.evidence.kind] | all(. == \"exact\" or . == \"hash\" or . == \"keypoints\")' '$T/r' > /dev/null"
check_eq "the summary counts exact pairs inside near groups" \
	"$(jq -r 'select(.type == "summary") | .exact_in_groups' "$T/r")" "1"
dedupe -q --html "$T/page.html" -i "$T/feat" -o /dev/null
check "the HTML page says why each keeper was kept" grep -q "kept: name, over turned/chelsea.png" "$T/page_files/g/000000.js"
check "and what accepted the crop" grep -q "keypoints: [0-9]* inliers of [0-9]* matches, coverage" "$T/page_files/g/000000.js"
# 6. a light and a dark version of one picture (a wallpaper's two shades): its shapes
# and so its hashes, but other shades, which no one tone curve maps onto the first's,
# and a grain of its own that the keypoints cannot pair; taken on the hashes before.
# A gamma copy and a JPEG copy of the light one still join it.
mkdir -p "$T/shades"
"$PY" - "$T/shades" <<'PY'
import random, sys
from PIL import Image, ImageDraw, ImageFilter
out = sys.argv[1]
def pic(bg, c1, c2, seed):
    w, h = 800, 600
    im = Image.new("L", (w, h), bg)
    d = ImageDraw.Draw(im)
    d.ellipse((60, 80, 380, 420), fill=c1)
    d.rectangle((440, 120, 760, 520), fill=c2)
    im = im.filter(ImageFilter.GaussianBlur(12))
    r = random.Random(seed)
    px = im.load()
    for _ in range(9000):
        x, y = r.randrange(2, w - 2), r.randrange(2, h - 2)
        t = max(0, min(255, px[x, y] + r.choice((-70, 70))))
        for dx in (0, 1):
            for dy in (0, 1):
                px[x + dx, y + dy] = t
    return im.convert("RGB")
light = pic(210, 70, 140, 1)
light.save(out + "/light.png")
pic(150, 20, 110, 2).save(out + "/dark.png")
light.point(lambda v: int(255 * (v / 255) ** 1.4)).save(out + "/light-gamma.png")
light.save(out + "/light.jpg", quality=80)
PY
azls -q "$T/shades" | featx -q > "$T/sfeat" || fail "featx on the shades"
dedupe -q -i "$T/sfeat" -o "$T/s" --trace-pairs "$T/strace" || fail "dedupe on the shades"
check_eq "the dark version's hashes match the light one's" \
	"$(jq -r 'select((.a == "dark.png" and .b == "light.png") or (.a == "light.png" and .b == "dark.png")) | .stage > 0 or .dmin <= 12' "$T/strace")" "true"
check_eq "but the two shades are two pictures" \
	"$(jq -r 'select(.name == "dark.png") | .dup.role' "$T/s")" "unique"
check_eq "the gamma and JPEG copies share the light one's group" \
	"$(jq -r 'select(.name != null and (.name | startswith("light"))) | .dup.group // 0' "$T/s" | sort -u)" "1"
finish
