#!/bin/sh
# dedupe and forms of one template filled otherwise: 16 orders (make eval's forms, eight
# rows filled in each) whose frame, headings, table and footer are the same and whose
# number, date, name, address and rows are not.  The keypoints lie on the template, the
# 32 x 32 detail sees a filled field as a shade, and the fine detail's blocks miss too
# seldom for GRP_FINE_SPREAD; but in the middle of the page the fine cells of the fields
# miss where both sides show something, some lighter and some darker (GRP_FINE_CELLS),
# where a copy misses nowhere (or all one way, where a watermark lies over a photo).
# Before that rule every order shared a group with others; now at most half do (the
# rest differ by rows one has and the other leaves blank: all one way, as a watermark).
# Copies of an order (JPEG, gray, half size, a half turn) stay in its group.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
from PIL import Image
sys.path.insert(0, sys.argv[2])
import evalsets  # make eval's forms

out = sys.argv[1]
for k in range(16):
    d = os.path.join(out, "r%02d" % k)
    os.makedirs(d)
    # orders of one template, eight rows filled in each
    im = evalsets.form(random.Random(9100 + k), 2, filled=8)
    im.save(os.path.join(d, "original.png"))
    if k == 0:
        im.save(os.path.join(d, "q75.jpg"), quality=75)
        im.convert("L").save(os.path.join(d, "gray.png"))
    if k == 1:
        im.resize((425, 550), Image.LANCZOS).save(os.path.join(d, "half.png"))
        im.rotate(180).save(os.path.join(d, "turned.png"))
PY
dedupe_img 20 --trace-pairs "$T/trace"
# the orders that share a group with another order
n=$(jq -r 'select(.dup.group != null) | "\(.dup.group) \(.name)"' "$T/r" | sed 's|/[^/]*$||' |
	sort -u | awk '{ f[$1] = f[$1] " " $2; c[$1]++ }
	END { for (g in c) if (c[g] > 1) { k = split(f[g], x, " "); for (i = 1; i <= k; i++) m[x[i]] = 1 }
	for (o in m) n++; print n + 0 }')
check "at most 8 of the 16 orders share a group with another order ($n)" test "$n" -le 8
check "orders were told apart on their fine details" \
	test "$(jq -s 'map(select(.fine_apart == true)) | length' "$T/trace")" -gt 0
for f in r00/q75.jpg r00/gray.png r01/half.png r01/turned.png; do
	check "the copy $f is in its order's group" \
		test "$(with_originals "$T/r" "^${f%%/*}/${f#*/}\$")" -eq 1
done
finish
