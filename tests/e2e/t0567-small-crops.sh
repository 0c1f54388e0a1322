#!/bin/sh
# featx's keypoints on small pictures (KP_MIN_SIDE): a corner test and a descriptor keep
# 16 pixels from the edges and read a patch of radius 15, so of a 104-pixel drawing the
# keypoints saw the middle 72 pixels, and of its crops less: most crops of a picture
# that small were found by nothing (their hashes are far from the whole picture's).
# featx now enlarges a picture of 56 to 159 pixels a side to 160 for its keypoints, and
# the crops of ten drawings (a tenth and a fifth off each side, the bottom fifth cut
# off) join their drawings, 25 of the 30 (12 before); no group holds two drawings.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img" "$T/small"
"$PY" - "$T/img" <<'PY'
import random, sys
from PIL import Image, ImageDraw
out, S, side = sys.argv[1], 4, 104

def drawing(seed):
    # shapes in colours with black outlines, drawn at 4x and scaled down
    r = random.Random(seed)
    im = Image.new("RGB", (side * S, side * S), (250, 250, 250))
    g = ImageDraw.Draw(im)
    for k in range(14):
        x, y = r.randrange(0, side * S), r.randrange(0, side * S)
        w, h = r.randrange(8 * S, 30 * S), r.randrange(8 * S, 30 * S)
        col = tuple(r.randrange(0, 220) for _ in range(3))
        if k % 3 == 0:
            g.ellipse((x, y, x + w, y + h), fill=col, outline=(0, 0, 0), width=S)
        elif k % 3 == 1:
            g.rectangle((x, y, x + w, y + h), fill=col, outline=(0, 0, 0), width=S)
        else:
            g.polygon([(x, y), (x + w, y + h // 3), (x + w // 2, y + h)], fill=col,
                      outline=(0, 0, 0))
    return im.resize((side, side), Image.LANCZOS)

for i in range(10):
    d = drawing(i)
    d.save("%s/d%d.png" % (out, i))
    for f in (10, 20):
        c = side * f // 100
        d.crop((c, c, side - c, side - c)).save("%s/d%d-crop%d.png" % (out, i, f))
    d.crop((0, 0, side, side * 4 // 5)).save("%s/d%d-cut.png" % (out, i))
# under KP_ENLARGE_FLOOR a picture is not enlarged (its keypoints would be the
# enlargement's alone)
drawing(0).resize((48, 48), Image.LANCZOS).save("%s/../small/small.png" % out)
PY
dedupe_img 40 --trace-pairs "$T/trace"
check_eq "a 48-pixel picture is not enlarged (a 48-pixel view)" \
	"$(azls -q "$T/small" | featx -q | jq -r '.local | .[0:8]' | base64 -d 2>/dev/null |
		od -An -tu1 | awk '{ print $2 + 256 * $3, $4 + 256 * $5 }')" "48 48"
check_eq "the drawings are enlarged for their keypoints (a 160-pixel view)" \
	"$(jq -r 'select(.name == "d0.png") | .local | .[0:8]' "$T/feat" | base64 -d 2>/dev/null |
		od -An -tu1 | awk '{ print $2 + 256 * $3, $4 + 256 * $5 }')" "160 160"
found=$(jq -r 'select(.name != null) | "\(.name) \(.dup.group // "none")"' "$T/r" | awk '
	{ split($1, p, /[-.]/); if ($1 ~ /-/) copy[$1] = p[1]; else g[p[1]] = $2; grp[$1] = $2 }
	END { for (c in copy) if (grp[c] != "none" && grp[c] == g[copy[c]]) n++; print n + 0 }')
check "at least 24 of the 30 crops join their drawing's group ($found)" test "$found" -ge 24
check_eq "no group holds two drawings" \
	"$(jq -r 'select(.name != null and .dup.group != null) | "\(.dup.group) \(.name)"' "$T/r" |
		sed 's/[-.][^ ]*$//' | sort -u | awk '{ n[$1]++ } END { for (g in n) if (n[g] > 1) print g }')" ""
finish
