#!/bin/sh
# dedupe and scanned pages in a crowd of pages: 60 pages of a made-up manual (one font,
# one layout, other words: every page's hashes are near its neighbours', so a page's
# hash match is ambiguous and the keypoints decide it), 30 of them also printed and
# scanned (a slight skew, the margins cropped, blurred, noisy, half size, JPEG 30).  A
# scan keeps about 30 inliers of its page; the strict test wanted 36 at 256 keypoints
# (GRP_STRICT_GROW) and 4 of the 30 scans were found; an ambiguous pair now wants 30
# (GRP_AMBIG_GROW) and 12 are, and no page joins another's group.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2])
import evalsets  # its manual pages and its scan

for k in range(60):
    d = os.path.join(sys.argv[1], "p%03d" % k)
    os.makedirs(d)
    im = evalsets.manual_page(k + 1, random.Random(500 + k), varied=True)
    im.save(os.path.join(d, "original.png"))
    if k < 30:
        evalsets.t_scan(im, random.Random(900 + k), None).save(os.path.join(d, "scan.jpg"),
                                                                quality=30)
PY
dedupe_img 90
n=$(with_originals "$T/r" scan)
check "10 or more of the 30 scans in their pages' groups ($n)" test "$n" -ge 10
check_eq "no page in another page's group" "$(mixed_groups "$T/r" | wc -l)" 0
finish
