#!/bin/sh
# The detail pass reads the colour details' tint through a pair's keypoint transform
# (group.c chroma_tint: the chroma alone, one side scaled to fit the other's): two
# screenshots of one settings dialog, one with its first tab lit light blue, the other
# with it lit dark teal and two fields of other values, keep their keypoints, hashes and
# (through one tone curve) most of their details (make eval: 58 inliers, details 25),
# and were taken as copies.  Where the tints stray by over 30 in a block (in the cells
# where both sides show a colour), the pair is two pictures (GRP_TINT_APART), whatever
# the details say; the dialog's own copies (a crop, a gamma, a caption) stay with it.
# Each dialog's original is its oldest file, and ranks first; then its gamma copy is:
# with the details required to stray too (before), the gamma copies of two twins were
# taken as one picture, and a keeper took its twin's copies.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import os, random, shutil, sys
from PIL import Image, ImageDraw, ImageFont
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
font = ImageFont.load_default()
def dialog(seed, lit, colour, values, other=None):
    r = random.Random(seed)
    im = Image.new("RGB", (800, 560), (239, 240, 241))
    d = ImageDraw.Draw(im)
    d.rectangle((0, 0, 799, 30), fill=(60, 64, 72))
    d.text((12, 9), "Astrometry settings - KStars", fill=(235, 235, 235), font=font)
    for k in range(6):
        box = (10, 50 + 70 * k, 230, 110 + 70 * k)
        d.rectangle(box, fill=colour if k == lit else (250, 250, 250), outline=(170, 170, 175))
        d.ellipse((25, 62 + 70 * k, 55, 92 + 70 * k), fill=(90, 120, 160), outline=(40, 40, 50))
        d.text((65, 72 + 70 * k), ["Solver", "Options", "Indexes", "Paths", "Remote", "Logs"][k],
               fill=(255, 255, 255) if k == lit and colour[0] < 100 else (20, 20, 20), font=font)
    rv = random.Random(values)
    for row in range(14):
        y = 55 + 32 * row
        d.text((250, y + 6), "".join(r.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(18)),
               fill=(30, 30, 30), font=font)
        d.rectangle((360, y, 760, y + 24), fill=(255, 255, 255), outline=(160, 160, 165))
        txt = "".join(rv.choice("0123456789.-/abcdef") for _ in range(rv.randrange(6, 40)))
        if other is not None and row in (3, 9):
            txt = "".join(random.Random(other + row).choice("0123456789.-/abcdef") for _ in range(30))
        d.text((368, y + 6), txt,
               fill=(10, 10, 10), font=font)
    d.rectangle((560, 515, 660, 545), fill=(225, 226, 228), outline=(140, 140, 145))
    d.text((592, 524), "OK", fill=(0, 0, 0), font=font)
    d.rectangle((680, 515, 780, 545), fill=(225, 226, 228), outline=(140, 140, 145))
    d.text((704, 524), "Cancel", fill=(0, 0, 0), font=font)
    return im
for k in range(4):
    a = dialog(100 + k, 0, (150, 190, 240), 7 + k)
    b = dialog(100 + k, 0, (0, 110, 100), 7 + k, 900 + k)
    for name, im in (("a", a), ("b", b)):
        d = os.path.join(out, "d%d%s" % (k, name))
        os.makedirs(d)
        im.save(d + "/original.png")
        E.t_crop(0.10)(im, random.Random(k), None).save(d + "/crop-10.png")
        E.t_gamma(im, random.Random(k), None).save(d + "/gamma.png")
        E.t_caption(im, random.Random(k), None).save(d + "/caption.png")
        # the original the oldest file, the keeper (the default policy ranks the oldest
        # first at equal pixels), and in img2 the same files with the gamma copy the
        # oldest, the keeper, which must not take its twin's copies
        d2 = os.path.join(out + "2", "d%d%s" % (k, name))
        os.makedirs(d2)
        for f, age, age2 in (("original.png", 400, 300), ("gamma.png", 300, 400),
                             ("caption.png", 200, 200), ("crop-10.png", 100, 100)):
            shutil.copyfile(d + "/" + f, d2 + "/" + f)
            os.utime(d + "/" + f, (1700000000 - age, 1700000000 - age))
            os.utime(d2 + "/" + f, (1700000000 - age2, 1700000000 - age2))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
n=$(cross_pairs "$T/trace" '.detail > 17 and .tint > 30')
check "some pairs of twins stray in their details and their tints ($n)" test "$n" -ge 2
n=$(cross_pairs "$T/trace" '.detail >= 0 and .detail <= 17 and .tint > 30')
check "more keep their details and stray in their tints alone ($n)" test "$n" -ge 4
check "and every pair whose tints stray is turned down" test "$(cross_pairs "$T/trace" '.tint > 30 and .stage > 0')" -eq 0
check_eq "no dialog shares a group with its twin" "$(mixed_groups "$T/r")" ""
# (a crop of a tenth of such a dialog is no candidate of its own original: neither its
# hashes nor the descriptor index propose the pair; it is left on its own)
check_eq "every gamma and caption copy of a dialog is in its group" \
	"$(jq -r 'select(.dup.role == "unique") | select(.name | endswith("crop-10.png") | not) | .name' "$T/r")" ""
# the gamma copies first: no keeper takes its twin's copies either
azls -q "$T/img2" | featx -q > "$T/feat2" || fail "featx"
dedupe -q -i "$T/feat2" -o "$T/r2" || fail "dedupe"
check_eq "the gamma copies first: they are the keepers" \
	"$(jq -r 'select(.dup.role == "keeper") | .name | split("/")[1]' "$T/r2" | sort -u)" "gamma.png"
check_eq "the gamma copies first: no dialog shares a group with its twin" "$(mixed_groups "$T/r2")" ""
check_eq "no pair of copies is turned down on its tint" \
	"$(jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0])) |
		select(.detail > 17 and .tint > 30) | "\(.a) \(.b)"' "$T/trace")" ""
finish
