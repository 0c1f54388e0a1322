#!/bin/sh
# dedupe and captions whose words are narrow: twelve cartoons (200 pixels on white) with
# a caption of short words in the bottom band ("M42 - 2h exposure", "me & my cat", "a 1
# b 2 c 3").  On the 32 x 32 detail a long word is a component wider than tall, which
# the caption rule passes over, but "2h", "&" or a lone letter is a component as tall
# as wide; before the words of one line were read together as a line (a word in it, or
# four components, and four times as wide as tall) 4 of the 12 copies were found, 8
# now (words far apart, "so - on - it", still make lines of their own).  The same
# drawings with a row of three dots added in the top band (an icon's state: "receiving"
# against "idle") stay apart: two dots make a component wider than tall, the third is
# joined to them, and the three together are too short for a line (with lines one and a
# half times as wide as tall, two of the twelve joined their drawings' groups).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import evalsets  # its cartoons and its caption font (DejaVu Sans Bold)

WORDS = ("M42 - 2h exposure", "do not share", "me & my cat", "a 1 b 2 c 3", "so - on - it",
         "at 7 pm by us")
for k in range(12):
    d = os.path.join(out, "d%d" % k)
    os.makedirs(d)
    im = evalsets.cartoon(random.Random(2000 + k))
    im.save(os.path.join(d, "original.png"))
    c = im.copy()
    dr = ImageDraw.Draw(c)
    s = WORDS[k % len(WORDS)]
    f = evalsets.font(17)
    tw = dr.textlength(s, font=f)
    dr.text((max(2, int((200 - tw) / 2)), 156), s, font=f, fill="white", stroke_width=1,
            stroke_fill="black")
    c.save(os.path.join(d, "caption.png"))
    # the row of dots, in a folder of its own: another picture
    e = os.path.join(out, "e%d" % k)
    os.makedirs(e)
    im = im.copy()
    dr = ImageDraw.Draw(im)
    r = random.Random(3000 + k)
    x0, y = r.randint(40, 80), r.randint(18, 40)
    for i in range(3):
        dr.ellipse((x0 + 22 * i, y, x0 + 22 * i + 12, y + 12), fill=(30, 60, 160),
                   outline="black")
    im.save(os.path.join(e, "dots.png"))
PY
dedupe_img 36
jq -r 'select(.name != null) | "\(.name)\t\(.dup.group // ("none:" + .name))"' "$T/r" > "$T/g"
counts=$(awk -F'\t' '{ g[$1] = $2 }
	END { for (n in g) {
		split(n, p, "/"); o = p[1]; sub(/^e/, "d", o); o = o "/original.png"
		if (n ~ /caption/ && g[n] == g[o]) c++
		if (n ~ /dots/ && g[n] == g[o]) d++ }
		print c + 0, d + 0 }' "$T/g")
check "7 or more of the 12 captioned copies in their drawings' groups ($counts)" \
	test "${counts% *}" -ge 7
check_eq "no drawing with dots added in its drawing's group" "${counts#* }" 0
finish
