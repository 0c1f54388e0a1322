#!/bin/sh
# dedupe's descriptor index in a crowd of look-alikes: 40 invoices of one template (make
# eval's forms), whose perceptual hashes lie 2 to 10 bits apart and whose keypoints lie
# on the same frame, table and headings, and crops of 8 of them (10 and 20 percent,
# some 18 bits from their invoice, with fewer descriptors alike).  The index proposes
# each picture's GRP_LSH_TOPK best pairs past the hash search; while the pairs within
# the search's radius took places too, an invoice's siblings filled them and 5 of the 8
# crops were never compared with their invoices.  Every crop is now (--trace-pairs
# lists each pair compared).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2])
import evalsets  # make eval's forms and its crop

out = sys.argv[1]
for k in range(40):
    d = os.path.join(out, "f%02d" % k)
    os.makedirs(d)
    im = evalsets.form(random.Random(5200 + k), 0)
    im.save(os.path.join(d, "original.png"))
    if k < 8:
        evalsets.t_crop(0.1 if k % 2 else 0.2)(im, random.Random(77 + k), None).save(
            os.path.join(d, "crop.png"))
PY
dedupe_img 48 --trace-pairs "$T/trace"
n=$(jq -r 'select((.a | endswith("/crop.png")) or (.b | endswith("/crop.png"))) |
	select((.a | split("/")[0]) == (.b | split("/")[0])) | .a + " " + .b' "$T/trace" | sort -u | wc -l)
check_eq "each crop compared with its invoice" "$n" 8
finish
