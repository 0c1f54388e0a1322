#!/bin/sh
# dedupe and the colours of a crop: 24 cartoons of small coloured shapes outlined in
# black (200 pixels on white), each cropped by a tenth and by a fifth.  The colour
# details compare each side's most colourful cell (a crop keeps a shape's colour,
# another colouring of it does not); b's was read between its cells, where the crop's
# larger cells fall, and came out mixed with its neighbours, paler than the crop's, so
# that only 10 of the 48 pairs of a crop and its drawing read as the same colours
# (--trace-pairs' chroma at most 20) and the framed rule and the test of repetition,
# which want that, turned crops down.  Read on each side's own cells, 25 of them do.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import evalsets  # its cartoons and its crops

evalsets.cartoon_crops(sys.argv[1], 6000, 24, shapes=(10, 16), size=(10, 24), strokes=False)
PY
dedupe_img 72 --trace-pairs "$T/tr"
check_eq "no group holds two drawings" "$(mixed_groups "$T/r")" ""
same=$(jq -r 'select((.a | split("/")[0]) == (.b | split("/")[0]) and
	(.a + .b | test("original")) and .chroma >= 0) | .chroma' "$T/tr" |
	awk '$1 <= 20 { s++ } END { print s + 0 }')
check "20 or more pairs of a crop and its drawing read as the same colours ($same)" \
	test "$same" -ge 20
found=$(with_originals "$T/r" crop)
check "30 or more of the 48 crops in their drawings' groups ($found)" test "$found" -ge 30
finish
