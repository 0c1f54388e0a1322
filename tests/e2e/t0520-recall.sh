#!/bin/sh
# dedupe's recall without giving up precision, at the default settings, on real image
# files: products on a plain ground (make eval's generated set, built here by
# tests/bench/evalsets.py), mirrored look-alikes, and a mirrored copy whose partners
# were all taken by a tilted, larger keeper.
. "$(dirname "$0")/lib.sh"

# 1. products: a copy's keypoints agree but span little of the picture (the object on
# its plain ground), and the neighbourhood is crowded with objects of one shape, so the
# strict keypoint test alone turns the copies down; the whole pictures look alike (one
# tone curve, one colour layout), which takes them
"$PY" tests/bench/evalsets.py build "$T/sets" products > /dev/null || fail "evalsets.py build"
azls -q "$T/sets/products/files" | featx -q > "$T/pfeat" || fail "featx"
dedupe -q -i "$T/pfeat" -o "$T/p" || fail "dedupe"
group_of() { jq -r --arg n "$2" 'select(.name == $n) | .dup.group // 0' "$1"; }
g=$(group_of "$T/p" o007-bottle-7/original.png)
check_eq "the half-size and JPEG copies of a bottle share its group" \
	"$(group_of "$T/p" o007-bottle-7/resize-50.png) $(group_of "$T/p" o007-bottle-7/jpeg-q75.jpg) $([ "$g" -gt 0 ] && echo grouped)" \
	"$g $g grouped"
check_eq "on keypoints, with the hashes matched" \
	"$(jq -r 'select(.name == "o007-bottle-7/resize-50.png" or .name == "o007-bottle-7/jpeg-q75.jpg") | .dup | select(.keeper == "o007-bottle-7/original.png") | "\(.evidence.kind) \(.evidence.hashes_matched)"' "$T/p" | sort -u)" \
	"keypoints true"
# the picture a file shows: its folder (oNNN-what, dNNN-what, lNNN-what)
check_eq "no distinct products share a group" \
	"$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/p" |
		sed 's|/[^ ]*||g' | awk '$1 != $2')" ""

# 2. mirrors, which the keypoints cannot see, and tilted, larger keepers
mkdir -p "$T/img"
"$PY" - "$T/img" "$PHOTOS" <<'PY'
import colorsys, os, random, sys
from PIL import Image, ImageDraw, ImageFilter, ImageOps
out, photos = sys.argv[1], sys.argv[2]
os.makedirs(out + "/products", exist_ok=True)
os.makedirs(out + "/turned", exist_ok=True)
# bottles and mugs on white in several colours, each of its own shape seed; a bottle is
# nearly mirror-symmetric, so another bottle mirrored has near hashes
def product(kind, colour, seed):
    r = random.Random(seed)
    w = h = 640
    im = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(im)
    cx, cy = w / 2 + r.uniform(-0.08, 0.08) * w, h / 2 + r.uniform(-0.05, 0.05) * h
    s = min(w, h) * r.uniform(0.28, 0.38)
    sh = Image.new("L", (w, h), 0)
    ImageDraw.Draw(sh).ellipse((cx - s, cy + s * 0.85, cx + s, cy + s * 1.1), fill=90)
    im.paste((60, 60, 60), (0, 0), sh.filter(ImageFilter.GaussianBlur(s / 8)))
    dark = tuple(int(c * 0.7) for c in colour)
    if kind == "bottle":
        d.rounded_rectangle((cx - s * 0.35, cy - s * 0.4, cx + s * 0.35, cy + s), s / 6, fill=colour)
        d.rectangle((cx - s * 0.12, cy - s, cx + s * 0.12, cy - s * 0.35), fill=dark)
    else:
        d.rounded_rectangle((cx - s * 0.6, cy - s * 0.7, cx + s * 0.6, cy + s * 0.9), s / 8, fill=colour)
        d.ellipse((cx + s * 0.45, cy - s * 0.35, cx + s * 1.0, cy + s * 0.45), outline=dark, width=int(s / 7))
    return im
rng = random.Random(11)
for i in range(8):
    kind = ("bottle", "mug")[i % 2]
    hue = rng.random()
    colour = tuple(int(255 * c) for c in colorsys.hls_to_rgb(hue, rng.uniform(0.35, 0.6), 0.8))
    product(kind, colour, rng.getrandbits(32)).save(out + "/products/%s%d.png" % (kind, i))
# each example photo, a copy turned by 5 degrees, a larger one turned by 5 degrees (the
# keeper: more pixels) and a mirrored copy
for p in sorted(os.listdir(photos)):
    if not p.endswith((".png", ".jpg", ".webp")):
        continue
    im = Image.open(photos + "/" + p).convert("RGB")
    b = out + "/turned/" + p.split(".")[0]
    im.save(b + ".png")
    im.rotate(5, resample=Image.BICUBIC).save(b + "-tilted.png")
    big = im.resize((im.width * 6 // 5, im.height * 6 // 5), Image.LANCZOS)
    big.rotate(5, resample=Image.BICUBIC).save(b + "-tiltbig.png")
    ImageOps.mirror(im).save(b + "-mirror.png")
for root, _, files in os.walk(out):
    for f in files:
        os.utime(os.path.join(root, f), (1700000000, 1700000000))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
role() { jq -r --arg n "$1" 'select(.name == $n) | "\(.dup.role) \(.dup.keeper // "-")"' "$T/r"; }
check_eq "a mirrored bottle of another colour is no copy (no keypoints see a mirror: the colours decide, closely)" \
	"$(role products/bottle6.png)" "unique -"
check_eq "no distinct pictures share a group" \
	"$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/r" |
		sed 's|\([^ ]*/[^-. ]*\)[^ ]* \([^ ]*/[^-. ]*\).*|\1 \2|' | awk '$1 != $2')" ""
# the mirrored copy's only sure match is the photo, which the tilted, larger keeper took
for p in coffee hubble; do
	check_eq "$p: the mirrored copy joins the tilted keeper's group through the photo" \
		"$(role turned/$p.png | cut -d' ' -f2) $(role turned/$p-mirror.png)" \
		"turned/$p-tiltbig.png duplicate turned/$p-tiltbig.png"
done
check_eq "and says it was joined through a member" \
	"$(jq -r 'select(.name == "turned/coffee-mirror.png") | .dup.evidence.kind' "$T/r")" "chain"
dedupe -q --html "$T/page.html" -i "$T/feat" -o /dev/null
check "the HTML page says so too" grep -q "joined through another member (perceptual hash [0-9]* bits from the keeper)" "$T/page.html"
finish
