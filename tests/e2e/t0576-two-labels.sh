#!/bin/sh
# dedupe and icons of one template that differ only in their word: eight file-type icons
# (a page, one note glyph, and "midi", "wma", "flac", ... under it, 256 pixels, as an
# icon theme draws its audio types), each with four copies (JPEG, letterbox, gamma, half
# size).  Their hashes lie 4 to 8 bits apart, so the whole set is one neighbourhood of
# look-alikes, and the keypoints of the glyph match across the words.  Two rules kept
# them together before: detail_diff passed over the line of words as it passes over a
# caption (a copy's mark), whichever side carried it, so two words read as one picture;
# and a pair taken on the trust of its neighbourhood (the keypoints of the others had
# vouched) was never read in place.  Now a line where both sides carry strokes and
# corners alike is two texts and counts as it misses (GRP_TEXTS_*), and a pair taken on
# trust must agree in its details: through its few keypoints as a blind pair's do, and
# read in place where those read nothing (a letterbox copy of "mp3" and a half-size copy
# of "wav" missed by 48 so, and were one group when make check-dates dated the files).
# Before: 6 of the 8 originals in a group with another word's icon, 35 pairs of two words
# in groups, 5 of the 40 copies with their original; either rule alone: 3 or 6
# originals, 9 or 27 pairs, 13 or 14 copies.  Now no original with another word, one
# pair (a JPEG of "wma" and a gamma of "aac": three letters each, which the 32-cell
# detail barely tells apart, 8 levels), 30 copies, whatever the files' dates.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import os, sys
from PIL import Image, ImageDraw
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import evalsets as E  # its font (DejaVu Sans Bold)

WORDS = ("midi", "wma", "flac", "ogg", "mp3", "aac", "opus", "wav")


def icon(word):
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((40, 16, 216, 240), 18, fill=(246, 246, 246, 255),
                        outline=(190, 190, 190, 255), width=2)
    ink = (240, 110, 120, 255)
    d.ellipse((78, 128, 112, 156), fill=ink)
    d.ellipse((142, 118, 176, 146), fill=ink)
    d.rectangle((104, 58, 112, 142), fill=ink)
    d.rectangle((168, 48, 176, 132), fill=ink)
    d.polygon([(104, 58), (176, 48), (176, 66), (104, 76)], fill=ink)
    f = E.font(40)
    d.text(((256 - d.textlength(word, font=f)) / 2, 176), word, font=f, fill=(110, 110, 110, 255))
    return im


for k, w in enumerate(WORDS):
    im = icon(w)
    d = os.path.join(out, "i%02d-%s" % (k, w))
    os.makedirs(d)
    im.save(os.path.join(d, "original.png"))
    flat = Image.new("RGBA", im.size, (255, 255, 255, 255))
    flat.alpha_composite(im)
    rgb = flat.convert("RGB")
    rgb.save(os.path.join(d, "jpeg.jpg"), quality=75)
    lb = Image.new("RGB", (256, 320), (0, 0, 0))
    lb.paste(rgb, (0, 32))
    lb.save(os.path.join(d, "letterbox.png"))
    rgb.point(lambda v: int(255 * (v / 255) ** 0.8)).save(os.path.join(d, "gamma.png"))
    rgb.resize((128, 128), Image.LANCZOS).save(os.path.join(d, "half.png"))
PY
dedupe_img 40
# each original's group, and the folders (words) each group holds
check_eq "no original in a group with another word's icon (6 of 8 before)" \
	"$(jq -r 'select(.name != null) | "\(.name)\t\(.dup.group // ("none:" + .name))"' "$T/r" |
	awk -F'\t' '{ g[$1] = $2; split($1, p, "/"); w[$2] = w[$2] " " p[1] }
	END { for (n in g) if (n ~ /original/) { split(w[g[n]], q, " "); split(n, p, "/")
		for (i in q) if (q[i] != p[1]) { print n; break } } }')" ""
pairs=$(jq -r 'select(.name != null and .dup.group != null) | "\(.dup.group)\t\(.name)"' "$T/r" |
	awk -F'\t' '{ split($2, p, "/"); n[$1]++; m[$1, n[$1]] = p[1] }
	END { for (g in n) for (i = 1; i <= n[g]; i++) for (j = i + 1; j <= n[g]; j++)
		if (m[g, i] != m[g, j]) k++; print k + 0 }')
check "at most one pair of two words' icons in one group ($pairs; 35 before)" test "$pairs" -le 1
found=$(with_originals "$T/r" "jpeg|letterbox|gamma|half")
check "28 or more of the 40 copies with their originals ($found; 5 before)" test "$found" -ge 28
finish
