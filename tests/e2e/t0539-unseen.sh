#!/bin/sh
# dedupe and pictures whose keypoints it does not read (featx --local 0, dedupe
# --no-local): pages of text of one layout with other words hash a few bits apart, and
# with nothing else within the hash search's radius their margin looks open.  Nothing
# looked past that radius for them (the descriptor index finds the look-alikes of
# pictures with keypoints), so a hash match alone is taken only up to the distance a
# margin of 7 allows there (GRP_SEEN_RADIUS 12 + 1 - 7 = 6 bits); the keypoints, where
# read, tell every page apart.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw, ImageFont
out = sys.argv[1]
font = ImageFont.load_default()
words = ("the of and to in is that for it as with was on be by this are or from at which an "
         "have not has but were all can one their more its also other been will when than "
         "into only new some these would").split()

def layout(seed):
    # lines of text: where each starts and how long it is, with blank lines between
    r = random.Random(seed)
    lines, y = [], 10
    while y < 240:
        if r.random() >= 0.2:
            lines.append((10 + (20 if r.random() < 0.2 else 0), y, r.randint(2, 30)))
        y += 11
    return lines

def page(lay, seed):
    # the layout filled with other words: another page of one manual
    r = random.Random(seed)
    im = Image.new("L", (200, 260), 255)
    d = ImageDraw.Draw(im)
    for x, y, n in lay:
        s = ""
        while len(s) < n:
            s += r.choice(words) + " "
        d.text((x, y), s[:n], fill=0, font=font)
    return im.resize((600, 780), Image.NEAREST)

for L in range(12):
    lay = layout(L)
    for k in "ab":
        os.makedirs(os.path.join(out, "L%02d%s" % (L, k)))
        page(lay, 100 * L + ord(k)).save(os.path.join(out, "L%02d%s" % (L, k), "original.png"))
Image.open(os.path.join(out, "L10a", "original.png")).save(os.path.join(out, "L10a", "q75.jpg"), quality=75)
# a page of a layout of its own and its half-size copy (a half-size page keeps too few
# of its keypoints to outweigh a page of its layout two bits off: make eval's pages)
os.makedirs(os.path.join(out, "solo"))
im = page(layout(99), 99)
im.save(os.path.join(out, "solo", "original.png"))
im.resize((300, 390), Image.LANCZOS).save(os.path.join(out, "solo", "half.png"))
PY
azls -q "$T/img" > "$T/list" || fail "azls"
featx -q -i "$T/list" > "$T/feat" || fail "featx"
featx -q --local 0 -i "$T/list" > "$T/feat0" || fail "featx --local 0"
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$2"; }
# pairs of two pages taken on their hashes alone over 6 bits apart: "NAME KEEPER BITS"
far() {
	jq -r 'select(.dup.role == "duplicate" and .dup.evidence.kind == "hash" and .dup.phash > 6) |
		"\(.name) \(.dup.keeper) \(.dup.phash)"' "$1"
}
copies() {
	check "$1: the JPEG copy of a page is found" \
		test "$(group L10a/q75.jpg "$2")" != none -a "$(group L10a/q75.jpg "$2")" = "$(group L10a/original.png "$2")"
	check "$1: its half-size copy is found" \
		test "$(group solo/half.png "$2")" != none -a "$(group solo/half.png "$2")" = "$(group solo/original.png "$2")"
}

dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "the keypoints tell every page from the other page of its layout" "$(mixed_groups "$T/r")" ""
copies "with keypoints" "$T/r"

dedupe -q -i "$T/feat0" -o "$T/r0" || fail "dedupe (featx --local 0)"
check_eq "featx --local 0: no two pages taken on their hashes alone over 6 bits apart" "$(far "$T/r0")" ""
copies "featx --local 0" "$T/r0"
dedupe -q --no-local -i "$T/feat" -o "$T/r1" || fail "dedupe --no-local"
check_eq "dedupe --no-local: no two pages taken on their hashes alone over 6 bits apart" "$(far "$T/r1")" ""
copies "dedupe --no-local" "$T/r1"
# a search that sees further sees their neighbours: with --phash-max 16 the margins are
# measured, not assumed
dedupe -q --phash-max 16 -i "$T/feat0" -o "$T/r2" || fail "dedupe --phash-max 16"
copies "featx --local 0, --phash-max 16" "$T/r2"
finish
