#!/bin/sh
# dedupe and a caption that takes a page's strongest keypoints: 120 pages of small print
# (one font, one layout, other words: they share their letters' corners with one
# another), twelve of them with a copy that carries a word in large bold letters over
# the bottom lines.  The large letters are the copy's strongest corners; while the
# descriptor index keyed the strongest alone (GRP_LSH_KEYPOINTS), the copy shared too
# few of them with its page to rank among the pages' best candidates and 3 of the 12
# copies were found; keyed spread over the picture too (GRP_LSH_SPREAD), all 12.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw
sys.path.insert(0, sys.argv[2])
import evalsets  # its words and its caption font (DejaVu Sans Bold)

r = random.Random(7)
small, big = evalsets.font(9), evalsets.font(72)
for k in range(120):
    d = os.path.join(sys.argv[1], "p%03d" % k)
    os.makedirs(d)
    im = Image.new("L", (520, 700), 255)
    dr = ImageDraw.Draw(im)
    y = 30
    while y < 660:
        x = 30 + (r.randint(0, 3) * 20 if r.random() < 0.2 else 0)
        words = []
        while True:
            w = r.choice(evalsets.MANUAL_WORDS)
            if dr.textlength(" ".join(words + [w]), font=small) > 490 - x:
                break
            words.append(w)
        dr.text((x, y), " ".join(words), font=small, fill=120)
        y += 18 + (14 if r.random() < 0.1 else 0)
    im.save(os.path.join(d, "original.png"))
    if k < 12:
        dr.text((40, 560), ("DRAFT", "COPY 2", "Page %d" % (k + 1), "CONFIDENTIAL", "scanned",
                            "v2 final")[k % 6], font=big, fill=0, stroke_width=4,
                stroke_fill=255)
        im.save(os.path.join(d, "caption.png"))
PY
dedupe_img 132
n=$(with_originals "$T/r" caption)
check "11 or more of the 12 captioned copies in their pages' groups ($n)" test "$n" -ge 11
check_eq "no page in another page's group" "$(mixed_groups "$T/r" | wc -l)" 0
finish
