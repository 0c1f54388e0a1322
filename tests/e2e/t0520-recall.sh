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
	"$(mixed_groups "$T/p")" ""

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
check_eq "a mirrored bottle of another colour is no copy (the colours decide)" \
	"$(role products/bottle6.png)" "unique -"
check_eq "no distinct pictures share a group" \
	"$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/r" |
		sed 's|\([^ ]*/[^-. ]*\)[^ ]* \([^ ]*/[^-. ]*\).*|\1 \2|' | awk '$1 != $2')" ""
# the mirrored copy joins the tilted, larger keeper's group (with the photo)
for p in coffee hubble; do
	check_eq "$p: the mirrored copy joins the tilted keeper's group" \
		"$(role turned/$p.png | cut -d' ' -f2) $(role turned/$p-mirror.png)" \
		"turned/$p-tiltbig.png duplicate turned/$p-tiltbig.png"
done
# (before the keypoints could see a mirror it joined only through the photo, its one
# sure match: the keeper's tone differs too much for a blind pair)
check_eq "on the keeper's own keypoints, matched mirrored" \
	"$(jq -r 'select(.name == "turned/coffee-mirror.png") | "\(.dup.evidence.kind) \(.dup.evidence.via)"' "$T/r")" \
	"keypoints null"
# a reviewer's not_duplicate keeps such a join out too (dedupe --decisions)
sha() { jq -r --arg n "$1" 'select(.name == $n) | .sha256' "$T/feat"; }
printf '{"op":"not_duplicate","sha256":"%s","of":"%s"}\n' "$(sha turned/coffee-mirror.png)" \
	"$(sha turned/coffee-tiltbig.png)" > "$T/dec.ndjson"
dedupe -q --decisions "$T/dec.ndjson" -i "$T/feat" -o "$T/rd" || fail "dedupe --decisions"
check_eq "a not_duplicate decision keeps the mirrored copy out of the keeper's group" \
	"$(jq -r 'select(.name == "turned/coffee-mirror.png") | "\(.dup.role) \(.dup.released_by)"' "$T/rd")" \
	"unique decision"

# 3. flat pictures (low information: no hash says anything) are their colour: a JPEG, a
# half-size and a noisy copy of a flat purple share its group; a purple 20 levels off,
# a flat grey, and a clear PNG beside a white JPEG do not
mkdir -p "$T/flat"
"$PY" - "$T/flat" <<'PY'
import os, random, sys
from PIL import Image
out = sys.argv[1]
im = Image.new("RGB", (400, 300), (120, 40, 160))
im.save(out + "/purple.png")
im.save(out + "/purple-q30.jpg", quality=30)
im.resize((200, 150)).save(out + "/purple-half.png")
r = random.Random(3)
n = im.copy()
n.putdata([tuple(max(0, min(255, c + r.randint(-3, 3))) for c in p) for p in n.getdata()])
n.save(out + "/purple-noise.png")
Image.new("RGB", (400, 300), (120, 60, 160)).save(out + "/purple2.png")
Image.new("RGB", (400, 300), (128, 128, 128)).save(out + "/grey.png")
Image.new("RGB", (300, 300), (255, 255, 255)).save(out + "/white.jpg", quality=90)
Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(out + "/clear.png")
for f in os.listdir(out):
    os.utime(os.path.join(out, f), (1700000000, 1700000000))
PY
azls -q "$T/flat" | featx -q | dedupe -q -o "$T/f" || fail "dedupe"
check_eq "every flat picture is low_info" "$(jq -r 'select(.dup) | .low_info' "$T/f" | sort -u)" "true"
check_eq "the copies of a flat purple share its group, as one flat picture" \
	"$(jq -r 'select((.name // "") | test("^purple[.-]")) | "\(.dup.group) \(.dup.evidence.kind // "keeper")"' "$T/f" | sort | uniq -c | awk '{ print $1, $3 }' | tr '\n' ' ')" \
	"3 hash 1 keeper "
for f in purple2.png grey.png white.jpg clear.png; do
	check_eq "$f stays apart" "$(jq -r --arg n "$f" 'select(.name == $n) | .dup.role' "$T/f")" "unique"
done

# 4. --trace-pairs: a line per candidate pair, with what the checks found
azls -q "$T/flat" | featx -q | dedupe -q --trace-pairs "$T/trace" -o /dev/null || fail "dedupe --trace-pairs"
check_eq "the flat purple and its JPEG copy: taken as near in the second pass" \
	"$(jq -r 'select([.a, .b] == ["purple-q30.jpg", "purple.png"]) | "\(.pass) \(.stage)"' "$T/trace")" "2 2"
check_eq "every line names both images and its checks" \
	"$(jq -r '[.a, .b, .pass, .stage, .dmin, .margin, .cdiff, .tone, .inliers, .matches, .cover] | map(type) | join(",")' "$T/trace" | sort -u)" \
	"string,string,number,number,number,number,number,number,number,number,number"
azls -q "$T/flat" | featx -q > "$T/flat.feat"
dedupe -q --trace-pairs "$T/no/such/dir/trace" -i "$T/flat.feat" -o /dev/null 2> "$T/err"
check_eq "an unwritable trace file is an error (exit 2)" "$?" 2
check "naming the file" grep -q "^dedupe: $T/no/such/dir/trace: " "$T/err"


# 5. a framed copy is kept for its size and takes its original on the keypoints (a
# patterned mat, which featx cannot tell from the picture as it does a plain band: see
# t0522-frame); a soft copy of the original (its hashes match the original's with the margin, its
# corners blurred away) matches the framed keeper neither by hashes nor by keypoints,
# and joins the group through the original (it was left unique)
mkdir -p "$T/framed"
"$PY" - "$T/framed" "$PHOTOS" <<'PY'
import random, sys
from PIL import Image, ImageDraw, ImageFilter
out, photos = sys.argv[1], sys.argv[2]
o = Image.open(photos + "/astronaut.jpg").convert("RGB")
o.save(out + "/orig.png")
b = max(o.size) // 14
mat = Image.new("RGB", (o.size[0] + 2 * b, o.size[1] + 2 * b), (250, 248, 240))
d, rng = ImageDraw.Draw(mat), random.Random(4)
for _ in range(400):
    x, y = rng.randrange(mat.size[0]), rng.randrange(mat.size[1])
    d.ellipse((x - 4, y - 4, x + 4, y + 4), fill=(rng.randrange(120, 200),) * 3)
mat.paste(o, (b, b))
mat.save(out + "/framed.png")
# (at a blur of 6 the keypoints' test of repetition with the same colour details takes
# the soft copy and the framed one directly; at 8 only the chain can)
o.filter(ImageFilter.GaussianBlur(8)).save(out + "/soft.png")
PY
azls -q "$T/framed" | featx -q > "$T/ffeat" || fail "featx on the framed set"
dedupe -q -i "$T/ffeat" -o "$T/fr" --trace-pairs "$T/ftrace" || fail "dedupe on the framed set"
check_eq "the framed copy keeps, the original joins it on keypoints" \
	"$(jq -r 'select(.name == "orig.png") | "\(.dup.keeper) \(.dup.evidence.kind)"' "$T/fr")" "framed.png keypoints"
check_eq "the soft copy matches the framed one neither way" \
	"$(jq -r 'select(.a == "framed.png" and .b == "soft.png") | .stage' "$T/ftrace")" "0"
check_eq "it joins the group through the original" \
	"$(jq -r 'select(.name == "soft.png") | "\(.dup.keeper) \(.dup.evidence.kind) \(.dup.evidence.via)"' "$T/fr")" \
	"framed.png chain orig.png"
dedupe -q --html "$T/page.html" -i "$T/ffeat" -o /dev/null
check "the HTML page says so too (in its groups' chunks)" grep -q "joined through orig.png, whose hashes match its own with the margin (perceptual hash [0-9]* bits from the keeper)" "$T/page_files/g/000000.js"
finish
