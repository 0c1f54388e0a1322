#!/bin/sh
# The shapes (keypoints.h: the alpha channel of the picture the keypoints see, 32x32, in
# the record's "alpha_detail") read through a pair's keypoint transform (GRP_SHAPE_*):
# icons of one theme drawn in light shades on transparency, a loudspeaker with and
# without its sound waves, an empty waste basket and a full one, look alike on white in
# their hashes, their keypoints and their gray details, and are still two pictures: where
# one shows its waves or its paper the other is clear.  Their copies with transparency
# (half size, mirrored, a stronger contrast, blurred, turned by 5 degrees) keep the shape
# and stay with them.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw, ImageFilter
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]

def speaker(waves):
    """a gray loudspeaker, 256 px on transparency, with light blue sound waves or none"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rectangle((30, 96, 78, 160), fill=(150, 150, 150, 255), outline=(90, 90, 90, 255), width=3)
    d.polygon(((78, 96), (150, 40), (150, 216), (78, 160)), fill=(190, 190, 190, 255),
              outline=(100, 100, 100, 255))
    d.ellipse((130, 40, 170, 216), fill=(215, 215, 215, 255), outline=(110, 110, 110, 255), width=3)
    d.ellipse((140, 110, 160, 146), fill=(160, 160, 160, 255))
    if waves:
        for r in (30, 55, 80):
            d.arc((150 - r, 128 - 2 * r, 150 + r, 128 + 2 * r), -50, 50,
                  fill=(170, 195, 235, 220), width=6)
    return im

def basket(full):
    """a gray mesh waste basket, 256 px on transparency, empty or with white paper"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.polygon(((50, 70), (206, 70), (186, 236), (70, 236)), fill=(200, 200, 200, 255),
              outline=(110, 110, 110, 255))
    for x in range(56, 206, 10):
        d.line((x, 74, 70 + (x - 50) * 0.74, 232), fill=(150, 150, 150, 255), width=2)
    for y in range(84, 236, 12):
        d.line((50 + (y - 70) * 0.12, y, 206 - (y - 70) * 0.12, y), fill=(160, 160, 160, 255), width=1)
    d.ellipse((48, 60, 208, 84), outline=(100, 100, 100, 255), width=4)
    if full:
        for box in ((70, 20, 130, 78), (115, 10, 185, 76), (90, 34, 150, 80)):
            d.ellipse(box, fill=(246, 248, 252, 255), outline=(205, 210, 220, 255), width=2)
            d.line((box[0] + 10, box[1] + 20, box[2] - 12, box[3] - 15), fill=(215, 220, 228, 255), width=2)
    return im

def folder(remote):
    """a tan folder, 256 px on transparency, its foot on a clear margin (which featx
    takes for a frame on white); the remote one stands on a gray network connector there"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    top = 20 if remote else 40
    d.rounded_rectangle((30, top, 110, top + 40), 8, fill=(140, 120, 95, 255))
    d.rounded_rectangle((24, top + 22, 232, top + 176), 10, fill=(196, 180, 150, 255),
                        outline=(150, 135, 110, 255), width=2)
    for y in range(top + 40, top + 170, 14):
        d.line((36, y, 220, y), fill=(186, 170, 140, 255), width=1)
    if remote:
        d.rectangle((120, top + 176, 136, 236), fill=(150, 150, 155, 255))
        d.rounded_rectangle((60, 226, 196, 244), 6, fill=(170, 170, 175, 255),
                            outline=(120, 120, 125, 255), width=2)
    return im

items = [("speaker-waves", speaker(True)), ("speaker-quiet", speaker(False)),
         ("basket-full", basket(True)), ("basket-empty", basket(False)),
         ("folder-remote", folder(True)), ("folder-plain", folder(False))]
for k, im in items:
    d = os.path.join(out, k)
    os.makedirs(d)
    im.save(d + "/original.png")
    # copies that keep the transparency
    im.resize((128, 128), Image.LANCZOS).save(d + "/half.png")
    im.transpose(Image.FLIP_LEFT_RIGHT).save(d + "/mirror.png")
    E.t_contrast(im, random.Random(1), (255, 255, 255)).save(d + "/contrast.png")
    im.filter(ImageFilter.GaussianBlur(1.5)).save(d + "/blur.png")
    im.rotate(5, resample=Image.BICUBIC).save(d + "/turned.png")
# an opaque picture: no shape
Image.new("RGB", (200, 150), (40, 90, 160)).save(out + "/opaque.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
check_eq "every picture with transparency has its shape (32x32, base64)" \
	"$(jq -r 'select(.name != "opaque.png") | select((.alpha_detail | length) != 1368) | .name' "$T/feat")" ""
check_eq "an opaque picture has no shape" \
	"$(jq -r 'select(.name == "opaque.png") | .alpha_detail // "none"' "$T/feat")" "none"
check "the shape is the alpha channel on the detail's grid: the quiet loudspeaker's is clear where its waves would be" \
	"$PY" - "$T/feat" <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["name"] in ("speaker-quiet/original.png", "speaker-waves/original.png"):
        a = base64.b64decode(r["alpha_detail"])
        # the column of cells at x 196 .. 204 (waves at radius 55, middle rows)
        col = max(a[y * 32 + 24] for y in range(12, 20))
        if (col > 0) != (r["name"] == "speaker-waves/original.png"):
            sys.exit(1)
PY
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "no picture shares a group with the look-alike that differs by its waves, its paper or its connector" \
	"$(mixed_groups "$T/r")" ""
check "pairs of look-alikes told apart by their shapes" \
	test "$(cross_pairs "$T/trace" .shape_apart)" -ge 2
check_eq "a pair told apart by its shapes is told apart for good (no group holds both)" \
	"$(jq -r 'select(.shape_apart and (.conflict | not)) | .a' "$T/trace")" ""
check_eq "no pair of copies is told apart by its shapes" \
	"$(jq -r 'select(.shape_apart) | select((.a | split("/")[0]) == (.b | split("/")[0])) | "\(.a) \(.b)"' "$T/trace")" ""
check_eq "the plain folder's clear foot is taken for a frame, the shape is still the whole picture's" \
	"$(jq -r 'select(.name == "folder-plain/original.png") | "\(.frame != null) \(.alpha_detail | length)"' "$T/feat")" "true 1368"
# the same records without their shapes: what the other checks decide alone
jq -c 'del(.alpha_detail)' "$T/feat" > "$T/feat0"
dedupe -q --trace-pairs "$T/trace0" -i "$T/feat0" -o "$T/r0" || fail "dedupe without shapes"
check "without the shapes, look-alikes are taken (their hashes, keypoints and details agree)" \
	test "$(cross_pairs "$T/trace0" '.stage > 0')" -ge 1
pairs() {  # the decisions on pairs of copies of one picture
	jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0])) | "\(.a) \(.b) \(.stage) \(.conflict)"' "$1" | sort
}
check_same "the shapes change no decision on a pair of copies" "$(pairs "$T/trace")" "$(pairs "$T/trace0")"

# a damaged shape is said and left out; the pictures are still compared on the rest
jq -c 'if .name == "speaker-quiet/original.png" then .alpha_detail = "not base64!" else . end' \
	"$T/feat" > "$T/feat2"
dedupe -q -i "$T/feat2" -o "$T/r2" 2> "$T/err2"
check "a shape that is not base64 is named in a message" \
	grep -q 'speaker-quiet/original.png: alpha_detail: not 1024 bytes of base64 (left out)' "$T/err2"
check_eq "the report does not carry the shapes" \
	"$(jq -r 'select(.alpha_detail != null) | .name' "$T/r" "$T/r2")" ""
finish
