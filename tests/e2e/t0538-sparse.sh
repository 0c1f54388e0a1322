#!/bin/sh
# dedupe and the pictures of one colour almost everywhere that still show something at a
# place: a blank page with its page number, a chapter's title page, a small emblem on a
# clear canvas.  featx marks them low_info (their hashes carry little), and their 4x4
# colour grids are as flat as a blank page's, but they are not flat: featx finds corners
# in them.  Such a picture is grouped by its bytes alone (GRP_FLAT_TOL); a flat one
# (no keypoint) by its colour, as before.  Page 42 grouped with page 43 is page 43 lost.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import os, shutil, sys
from PIL import Image, ImageDraw, ImageFont
out = sys.argv[1]
font = ImageFont.load_default()

def text(page, xy, s, scale):
    # the default bitmap font drawn small and scaled up: blocky letters with corners
    w, h = 8 * len(s) + 4, 16
    im = Image.new("L", (w, h), 255)
    ImageDraw.Draw(im).text((2, 2), s, fill=0, font=font)
    page.paste(im.resize((w * scale, h * scale), Image.NEAREST).convert("RGB"), xy)

def page(lines):
    im = Image.new("RGB", (850, 1100), (255, 255, 255))
    for xy, s, scale in lines:
        text(im, xy, s, scale)
    return im

pics = {
    "p42": page([((400, 1040), "42", 2)]),
    "p43": page([((400, 1040), "43", 2)]),
    "ch1": page([((90, 140), "Chapter 1", 4), ((90, 230), "Introduction", 3), ((410, 1040), "1", 2)]),
    "ch4": page([((90, 140), "Chapter 4", 4), ((90, 230), "Introduction", 3), ((400, 1040), "45", 2)]),
    "blank": page([]),
}
for name, im in pics.items():
    os.makedirs(os.path.join(out, name))
    im.save(os.path.join(out, name, "original.png"))
shutil.copyfile(os.path.join(out, "p42", "original.png"), os.path.join(out, "p42", "copy.png"))
pics["blank"].save(os.path.join(out, "blank", "q75.jpg"), quality=75)
# two emblems of one colour on a clear canvas, a 40-pixel square and a 40-pixel cross
for name, boxes in (("square", [(180, 180, 220, 220)]),
                    ("cross", [(196, 180, 204, 220), (180, 196, 220, 204)])):
    im = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    for b in boxes:
        d.rectangle(b, fill=(200, 30, 30, 255))
    os.makedirs(os.path.join(out, name))
    im.save(os.path.join(out, name, "original.png"))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
check_eq "featx marks every page and emblem low_info (their hashes carry little)" \
	"$(jq -r 'select(.name != null) | "\(.low_info // false)"' "$T/feat" | sort -u)" "true"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$T/r"; }
role() { jq -r --arg n "$1" 'select(.name == $n) | "\(.dup.role) \(.dup.evidence.kind // "-")"' "$T/r"; }
# which of the two is kept is the keeper rule's (mtime, then name), not this test's
check_eq "page 42 and its byte copy: a keeper and its exact duplicate" \
	"$( (role p42/copy.png; role p42/original.png) | sort)" "$(printf 'duplicate exact\nkeeper -')"
check "the blank page and its JPEG copy are one flat picture" \
	test "$(group blank/q75.jpg)" != none -a "$(group blank/q75.jpg)" = "$(group blank/original.png)"
for p in p43/original.png ch1/original.png ch4/original.png square/original.png cross/original.png; do
	check_eq "$p is in no group" "$(group $p)" "none"
done
check_eq "no group holds two pictures (page 42 and 43, chapters 1 and 4, a blank page, two emblems)" \
	"$(mixed_groups "$T/r")" ""
check_eq "no pair of two pictures was taken as one flat picture" \
	"$(cross_pairs "$T/trace" '.stage != 0')" "0"

# Without keypoints (featx --local 0, dedupe --no-local) nothing tells page 42 from page
# 43, nor either from a blank page, but featx's info (the gray levels' spread): only a
# picture that varies by no more than a flat colour's JPEG copy is flat (GRP_FLAT_INFO)
azls -q "$T/img" | featx -q --local 0 > "$T/feat0" || fail "featx --local 0"
for run in "featx --local 0:$T/feat0:" "dedupe --no-local:$T/feat:--no-local"; do
	what=${run%%:*} rest=${run#*:}
	dedupe -q ${rest#*:} -i "${rest%%:*}" -o "$T/r" || fail "dedupe ($what)"
	check_eq "$what: page 42 and its byte copy are still one picture" \
		"$( (role p42/copy.png; role p42/original.png) | sort)" "$(printf 'duplicate exact\nkeeper -')"
	check "$what: the blank page and its JPEG copy are still one flat picture" \
		test "$(group blank/q75.jpg)" != none -a "$(group blank/q75.jpg)" = "$(group blank/original.png)"
	check_eq "$what: no group holds two pictures" "$(mixed_groups "$T/r")" ""
done
finish
