#!/bin/sh
# dedupe's test of repetition (GRP_REPEAT_*): a keypoint match with too few inliers for
# the lenient test, or whose inliers span under 0.4 of the picture without passing the
# framed rule, is a copy when the inliers span 0.15 of a picture, one picture lies inside
# the other on their transform, the colour grids read through it agree, and 40% of the
# keypoints of the part both pictures show are found again on the other side (a border,
# a crop, a letterbox); the look-alike pages of one manual, aligned on some of their
# letters, are not (they repeat far fewer), nor are two pages of one settings dialog,
# which repeat their frame and nothing of the page in the middle (GRP_MID_MIN, which
# holds for every keypoint test).
. "$(dirname "$0")/lib.sh"

# 1. copies of the example photos: borders, crops and letterboxes
mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" "$PHOTOS" <<'PY'
import glob, os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out, photos = sys.argv[1], sys.argv[3]
for f in sorted(glob.glob(photos + "/*")):
    if f.endswith(".md"):
        continue
    n = os.path.splitext(os.path.basename(f))[0]
    im = E.Image.open(f).convert("RGB")
    im.thumbnail((512, 512))
    d = out + "/" + n
    os.makedirs(d, exist_ok=True)
    im.save(d + "/original.png")
    for s in range(3):
        E.t_border(im, random.Random(s), None).save(d + "/border-%d.png" % s)
    for s in range(2):
        E.t_crop(0.2)(im, random.Random(s), None).save(d + "/crop-%d.png" % s)
    E.t_letterbox(im, random.Random(0), None).save(d + "/letterbox.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
# the pairs below were chosen on the strongest 128 keypoints of each picture, where
# only the test of repetition can take them; on dedupe's default 256 the crops keep
# enough of the photo's keypoints for the lenient test (checked after)
dedupe -q --keypoints 128 --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
dedupe -q --trace-pairs "$T/trace256" -i "$T/feat" -o "$T/r256" || fail "dedupe (256)"
pair() {
	jq -r --arg a "$1" --arg b "$2" 'select(.a == $a and .b == $b) |
		"\(.stage) \(.repeated) \(.inliers < 20 or (.cover < 0.4 and .agree < 0.85 * .shared))"' "$T/trace"
}
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // ("none: " + .name)' "$T/r"; }
# stage 3 taken on the keypoints, by the test of repetition; the last word: the lenient
# test's span or the framed rule's 85% could not take it
# (a plain border or letterbox is left out of the hashes, which then match: t0523-frame;
# a crop of the picture against such a copy is still the keypoints' to take)
check_eq "a crop of a photo against its bordered copy, 39 inliers over 0.37 of it" \
	"$(pair chelsea/border-1.png chelsea/crop-0.png)" "3 true true"
check_eq "a crop against a letterboxed copy with 16 inliers (under the lenient test's 20)" \
	"$(pair grass/crop-1.png grass/letterbox.png)" "3 true true"
check_eq "a crop of 20% of a photo, its inliers over 0.31 of it" \
	"$(pair cell/crop-1.png cell/original.png)" "3 true true"
check_eq "the crop shares its original's group" \
	"$(group chelsea/crop-0.png)" "$(group chelsea/original.png)"
check_eq "and so does the one with 16 inliers" \
	"$(group grass/crop-1.png)" "$(group grass/original.png)"
check_eq "no distinct photos share a group" \
	"$(mixed_groups "$T/r")" ""
check_eq "on 256 keypoints (the default) the three pairs are taken too" \
	"$(jq -r 'select((.a == "chelsea/border-1.png" and .b == "chelsea/crop-0.png") or
		(.a == "grass/crop-1.png" and .b == "grass/letterbox.png") or
		(.a == "cell/crop-1.png" and .b == "cell/original.png")) | .stage' "$T/trace256" | sort -u)" "3"
check_eq "and no distinct photos share a group" "$(mixed_groups "$T/r256")" ""

# 2. pages of one manual (one font, one layout, different words, a code block here and
# there) with their borders, crops and letterboxes: the keypoints align some letters of
# two pages, but the rest of the part both show is not repeated
mkdir -p "$T/pages"
"$PY" - "$T/pages" "$TOP" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
from PIL import Image
out = sys.argv[1]
rng = random.Random(7)
for i in range(8):
    im = E.manual_page(i + 1, rng, varied=True)
    im = im.resize((510, 660), Image.LANCZOS)
    p = out + "/p%d" % i
    os.makedirs(p, exist_ok=True)
    im.save(p + "/original.png")
    E.t_crop(0.1)(im, random.Random(i), None).save(p + "/crop-10.png")
    E.t_crop(0.2)(im, random.Random(i), None).save(p + "/crop-20.png")
    E.t_letterbox(im, random.Random(i), None).save(p + "/letterbox.png")
    E.t_border(im, random.Random(i), None).save(p + "/border.png")
PY
azls -q "$T/pages" | featx -q > "$T/pfeat" || fail "featx"
dedupe -q --trace-pairs "$T/ptrace" -i "$T/pfeat" -o "$T/p" || fail "dedupe"
# the pairs of distinct pages whose keypoints' transform the test of repetition looked at
jq -r 'select((.a | split("/")[0]) != (.b | split("/")[0]) and .shared >= 48) |
	"\(.agree / .shared < 0.4) \(.repeated)"' "$T/ptrace" | sort | uniq -c > "$T/apart"
check "distinct pages whose keypoints the test of repetition looked at" \
	awk '$2 == "true" && $3 == "false" { n = $1 } END { exit !(n >= 5) }' "$T/apart"
check_eq "none of them repeats 40% of the keypoints of the part both show, none is taken" \
	"$(awk '$2 != "true" || $3 != "false"' "$T/apart")" ""
check_eq "no distinct pages share a group" \
	"$(mixed_groups "$T/p")" ""

# 3. pages of one settings dialog: one frame (title, side bar, buttons) around different
# pages, with their crops, letterboxes and borders; the frame gives two pages 40 to 50
# inliers, but the middle cells (the page) repeat nothing
mkdir -p "$T/dialogs"
"$PY" - "$T/dialogs" "$TOP" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
for i in range(6):
    im = E.settings_dialog(i, random.Random(100 + i))
    p = out + "/d%d" % i
    os.makedirs(p, exist_ok=True)
    im.save(p + "/original.png")
    E.t_crop(0.1)(im, random.Random(i), None).save(p + "/crop-10.png")
    E.t_letterbox(im, random.Random(i), None).save(p + "/letterbox.png")
    E.t_border(im, random.Random(i), None).save(p + "/border.png")
PY
azls -q "$T/dialogs" | featx -q > "$T/dfeat" || fail "featx"
dedupe -q --trace-pairs "$T/dtrace" -i "$T/dfeat" -o "$T/d" || fail "dedupe"
# distinct pages whose keypoints agree on one transform (the frame's), 20 inliers or more,
# and of the middle cells holding keypoints most repeat none (GRP_MID_MIN)
jq -r 'select((.a | split("/")[0]) != (.b | split("/")[0]) and .inliers >= 20) |
	"\(2 * .mid_dead > .mid and .mid >= 3) \(.stage)"' "$T/dtrace" | sort | uniq -c > "$T/dapart"
check "distinct dialog pages with 20 or more inliers, most middle cells repeating nothing" \
	awk '$2 == "true" && $3 == 0 { n = $1 } END { exit !(n >= 10) }' "$T/dapart"
check_eq "none of those is taken" "$(awk '$2 == "true" && $3 != 0' "$T/dapart")" ""
check_eq "no distinct dialog pages share a group" \
	"$(mixed_groups "$T/d")" ""
kept=$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/d" |
	sed 's|/[^ ]*||g' | awk '$1 == $2' | wc -l)
check "each page keeps its copies: 14 or more of the 18 in their page's group (got $kept)" \
	test "$kept" -ge 14
finish
