#!/bin/sh
# dedupe and pictures of one template: charts of one style whose axes, ticks, grid and
# title hold every keypoint, with other data drawn in (curves, points).  The keypoints
# match (the same frame at the same place) and the 32 x 32 detail sees a curve two
# pixels wide or a point as a shade over a cell or two, within what a slight
# misplacement explains; the 64 x 64 fine detail (featx's fine_detail) sees it as cells
# of its own, and two charts miss in block after block on it alone, where a copy
# misses in none (GRP_FINE_*).  Before the fine detail, dedupe put charts of each kind
# in one group.  Copies of a chart (JPEG, three quarters the size, gray, turned a half
# turn) stay found.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
from PIL import Image, ImageFont
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import evalsets  # make eval's charts; drawn here with Pillow's own font, as on any machine
evalsets.font = lambda size: ImageFont.load_default()

def chart(seed, kind="curves"):
    # one style and title; the curves (one to three, two pixels wide) or the points
    # from seed
    return evalsets.chart(random.Random(seed), "plain", "Training loss", kind)

for k in range(8):
    os.makedirs(os.path.join(out, "c%d" % k))
    chart(2000 + k).save(os.path.join(out, "c%d" % k, "original.png"))
    os.makedirs(os.path.join(out, "p%d" % k))
    chart(100 + k, "points").save(os.path.join(out, "p%d" % k, "original.png"))
im = chart(2001)
im.save(os.path.join(out, "c1", "q80.jpg"), quality=80)
im.resize((480, 360), Image.LANCZOS).save(os.path.join(out, "c1", "smaller.png"))
im = chart(2004)
im.convert("L").save(os.path.join(out, "c4", "gray.png"))
im.rotate(180).save(os.path.join(out, "c4", "turned.png"))
PY
azls -q "$T/img" > "$T/list" || fail "azls"
featx -q -i "$T/list" > "$T/feat" || fail "featx"
check_eq "each record carries a 64 x 64 fine detail (4,096 bytes of base64)" \
	"$(jq -r 'select((.fine_detail | length) != 5464) | .name' "$T/feat")" ""
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$2"; }
same() { test "$(group "$1" "$3")" != none -a "$(group "$1" "$3")" = "$(group "$2" "$3")"; }

dedupe -q -i "$T/feat" -o "$T/r" --trace-pairs "$T/trace" || fail "dedupe"
check_eq "no group holds two charts of the style" "$(mixed_groups "$T/r")" ""
check "charts of the style were told apart on their fine details" \
	test "$(jq -s 'map(select(.fine_apart == true)) | length' "$T/trace")" -gt 0
for f in q80.jpg smaller.png; do
	check "a chart's copy $f is found" same c1/$f c1/original.png "$T/r"
done
for f in gray.png turned.png; do
	check "a chart's copy $f is found" same c4/$f c4/original.png "$T/r"
done

# the detail pass takes the keypoint matches of the pairs taken from a memo rather than
# matching them again: the same report and the same trace with the memo off (0), and
# full after one entry (1), as with it
sort "$T/trace" > "$T/trace.s"
for m in 0 1; do
	AZD_KPMEMO=$m dedupe -q -j 2 -i "$T/feat" -o "$T/r.m$m" --trace-pairs "$T/trace.m$m" ||
		fail "dedupe (AZD_KPMEMO=$m)"
	check "AZD_KPMEMO=$m: the same report" cmp "$T/r" "$T/r.m$m"
	check "AZD_KPMEMO=$m: the same trace" sh -c "sort '$T/trace.m$m' | cmp - '$T/trace.s'"
done
# four contents of each picture (the checksums made distinct): pairs enough that the
# passes' threads fill the memo side by side (make tsan runs this)
jq -c '. as $r | range(4) | . as $k | $r | .name = "k\($k)/" + .name |
	.sha256 = .sha256[0:63] + ("0123"[$k:$k + 1])' "$T/feat" > "$T/feat4"
dedupe -q -j 3 -i "$T/feat4" -o "$T/r4" || fail "dedupe (four contents each)"
AZD_KPMEMO=0 dedupe -q -j 3 -i "$T/feat4" -o "$T/r4.m0" || fail "dedupe (four contents each, AZD_KPMEMO=0)"
check "four contents each: the same report with the memo and without" cmp "$T/r4" "$T/r4.m0"
check_eq "four contents each: no group holds two charts of the style" \
	"$(sed 's|"k[0-3]/|"|g' "$T/r4" > "$T/r4.names" && mixed_groups "$T/r4.names")" ""
check_eq "four contents each: every chart's four contents in one group" \
	"$(jq -r 'select(.dup.role == "duplicate") | .name' "$T/r4" | wc -l | tr -d ' ')" \
	"$(jq -r 'select(.dup.role == "duplicate") | .name' "$T/r" | awk '{ n++ } END { print 4 * n + 3 * 16 }')"

# records without the fine detail (featx before it): as before, the detail alone
jq -c 'del(.fine_detail)' "$T/feat" > "$T/feat.old"
dedupe -q -i "$T/feat.old" -o "$T/r.old" --trace-pairs "$T/trace.old" ||
	fail "dedupe (no fine_detail)"
check_eq "records without fine_detail: nothing told apart on it" \
	"$(jq -s 'map(select(.fine_apart == true)) | length' "$T/trace.old")" 0
check "records without fine_detail: the copies are found" same c1/q80.jpg c1/original.png "$T/r.old"

# a damaged fine detail is named and left out, and the rest of the record still counts
jq -c 'if .name == "c2/original.png" then .fine_detail = "not base64!" else . end' "$T/feat" \
	> "$T/feat.bad"
dedupe -q -i "$T/feat.bad" -o "$T/r.bad" 2> "$T/err" || fail "dedupe with a damaged fine_detail"
check "a damaged fine_detail is named" \
	grep -q 'c2/original.png: fine_detail: not 4096 bytes of base64 (left out)' "$T/err"
check_eq "the report carries no fine detail" "$(jq -r 'select(has("fine_detail")) | .name' "$T/r" "$T/r.bad")" ""
finish
