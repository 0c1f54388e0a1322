#!/bin/sh
# dedupe in a collection of one template: 150 distinct invoices (make eval's forms,
# other numbers, names and rows in each) whose perceptual hashes lie within the
# search's radius of each other, and 17 copies of every tenth (make eval's transforms
# but the scan), 405 pictures.  Every pair matched on its hashes went to the keypoints,
# 66,064 verifications here, the square of the collection (tests/bench/localscale.sh:
# 400 invoices took 75 ms an image); now each picture's nearest GRP_HASH_TOPK (64) are
# verified, the rest turned down unverified and kept apart (the summary's
# hash_crowded, the trace's capped).
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
    if k % 10 == 0:
        rng = random.Random(k)
        for name, fn, fmt in evalsets.TRANSFORMS:
            if name != "scan":
                evalsets.save(fn(im, rng, (255, 255, 255)), os.path.join(d, name), fmt,
                              (255, 255, 255))
PY
dedupe_img 405 --trace-pairs "$T/trace"
v=$(jq -r 'select(.type == "summary") | .search.local_verified' "$T/r")
check "the keypoint verifications stay within 64 a picture ($v for 405)" [ "$v" -le $((405 * 64)) ]
c=$(jq -r 'select(.type == "summary") | .search.hash_crowded' "$T/r")
check "the pairs left unverified are counted ($c)" [ "$c" -gt 0 ]
check_eq "the trace marks as many capped" \
	"$(jq -r 'select(.pass == 2 and .capped) | .a' "$T/trace" | wc -l)" "$c"
# a capped pair's pictures are kept apart: groups of look-alikes chained through copies
# do not grow (with every pair verified 90 of them were in another's group; with
# the capped pairs neither taken nor kept apart, 149)
m=$(mixed_groups "$T/r" | wc -l)
check "invoices in another invoice's group: $m, at most 75" [ "$m" -le 75 ]
k=$(with_originals "$T/r" '/(jpeg|resize|blur|noise|gamma|contrast|gray|crop|caption|border|letterbox|mirror|rotate)')
check "copies with their invoice: $k of 255, at least 110" [ "$k" -ge 110 ]
finish
