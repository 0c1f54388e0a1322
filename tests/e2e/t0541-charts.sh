#!/bin/sh
# make eval's charts (evalsets.py's plots set, generated: thirty charts in three styles
# whose axes, ticks, labels and title are the style's, ten "other data" look-alikes, ten
# distractors, two variants of each original from the seventeen transforms) at dedupe's
# defaults.  A chart and the same chart with other data match on their hashes and on
# every keypoint of the frame: the strict test's inliers grow with the keypoints
# (GRP_STRICT_GROW: 24 at 128, 36 at 256), or a look-alike passes on 25 of its 50
# matches; on 256 keypoints a chart's crops and small copies are found that 128 missed
# (45 of the 60 variants in their original's group at 128, 57 now).
. "$(dirname "$0")/lib.sh"

"$PY" "$TOP/tests/bench/evalsets.py" build "$T/sets" plots > "$T/build.out" 2>&1 ||
	fail "evalsets.py build plots: $(tail -1 "$T/build.out")"
azls -q "$T/sets/plots/files" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "no group holds two charts (nor a chart and its other-data look-alike)" \
	"$(mixed_groups "$T/r")" ""
jq -r 'select(.name != null) | "\(.name)\t\(.dup.group // ("none:" + .name))"' "$T/r" > "$T/g"
found=$(awk -F'\t' 'FNR == NR { g[$1] = $2; next }
	FNR > 1 && $3 == "variant" && g[$1] == g[$2 "/original.png"] { n++ }
	END { print n + 0 }' "$T/g" "$T/sets/plots/truth.tsv")
check "the variants in their original's group: 55 or more of the 60 (got $found)" \
	test "$found" -ge 55
finish
