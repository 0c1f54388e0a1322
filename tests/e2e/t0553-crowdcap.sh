#!/bin/sh
# dedupe in a collection of one template: 150 distinct invoices (make eval's forms,
# other numbers, names and rows in each) whose perceptual hashes all lie within the
# search's radius of each other, and three copies of three of them (JPEG, gray, half
# size).  Every pair matched on its hashes went to the keypoints, 12,561 of them here,
# the square of the collection (tests/bench/localscale.sh: 400 invoices took 75 ms an
# image); now each picture's nearest GRP_HASH_TOPK (64) are verified, the rest turned
# down unverified and kept apart (the summary's hash_crowded), and the copies still
# join their invoices.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2])
import evalsets  # make eval's forms and its transforms

out = sys.argv[1]
for k in range(150):
    d = os.path.join(out, "f%03d" % k)
    os.makedirs(d)
    im = evalsets.form(random.Random(5300 + k), 0)
    im.save(os.path.join(d, "original.png"))
    if k % 50 == 0:
        im.convert("RGB").save(os.path.join(d, "q75.jpg"), quality=75)
        evalsets.t_gray(im, random.Random(k), None).save(os.path.join(d, "gray.png"))
        evalsets.t_resize50(im, random.Random(k), None).save(os.path.join(d, "half.png"))
PY
dedupe_img 159 --trace-pairs "$T/trace"
v=$(jq -r 'select(.type == "summary") | .search.local_verified' "$T/r")
check "the keypoint verifications stay within 64 a picture ($v for 159)" [ "$v" -le $((159 * 64)) ]
c=$(jq -r 'select(.type == "summary") | .search.hash_crowded' "$T/r")
check "the pairs left unverified are counted ($c)" [ "$c" -gt 0 ]
check_eq "the trace marks as many capped" \
	"$(jq -r 'select(.pass == 2 and .capped) | .a' "$T/trace" | wc -l)" "$c"
check_eq "each copy shares a group with its invoice" \
	"$(with_originals "$T/r" '/(q75|gray|half)\.')" 9
finish
