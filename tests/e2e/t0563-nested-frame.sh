#!/bin/sh
# A frame inside a frame is one frame.  An icon drawn on transparency with clear margins
# is shown on white, and featx takes the white margins for its frame: its hashes, colour
# grid and details are of the drawing inside.  A letterbox or a border added to the icon
# (opaque bands, the margins still clear) was found as the outer bands alone, so the
# copy's hashes were of the drawing with the margins around it, another picture than
# its original's: make eval's 48-pixel icons matched 0 of 7 letterbox copies that way.
# Now a white frame found inside a frame of another colour joins it (once), and the copy
# keeps what its original keeps.  Drawings of boxes and discs, 48 to 96 pixels with clear
# margins of 3 to 12 on each side, each with a letterbox copy (black bars above and
# below) and a bordered copy (a gray or tan frame): the copies' frames must be their
# original's plus the bands added, within a pixel, and each original must share a group
# with both of its copies.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" > "$T/added" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw
out = sys.argv[1]
for i in range(24):
    r = random.Random(563 + i)
    s = r.randrange(48, 97)
    m = [r.randrange(3, 13) for _ in range(4)]      # clear margins: top, bottom, left, right
    im = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    x0, y0, x1, y1 = m[2], m[0], s - 1 - m[3], s - 1 - m[1]
    # a body that fills the box to its edges, and a few shapes on it
    d.rectangle([x0, y0, x1, y1], fill=tuple(r.randrange(40, 200) for _ in range(3)) + (255,))
    for _ in range(r.randrange(2, 5)):
        a, b = r.randrange(x0, x1 - 6), r.randrange(y0, y1 - 6)
        c, e = r.randrange(a + 4, x1), r.randrange(b + 4, y1)
        col = tuple(r.randrange(0, 256) for _ in range(3)) + (255,)
        (d.rectangle if r.random() < 0.5 else d.ellipse)([a, b, c, e], fill=col)
    os.makedirs("%s/i%02d" % (out, i))
    im.save("%s/i%02d/original.png" % (out, i))
    # letterbox: black bars above and below to 16:9 or a fifth more, as make eval's
    H = max(s + s // 5, s * 9 // 16)
    lb = Image.new("RGBA", (s, H), (0, 0, 0, 255))
    lb.paste(im, (0, (H - s) // 2))
    lb.save("%s/i%02d/letterbox.png" % (out, i))
    # border: 4 to 8 percent of the side in gray or tan
    b = max(2, int(s * r.uniform(0.04, 0.08)))
    bc = r.choice(((128, 128, 128), (200, 180, 140)))
    bo = Image.new("RGBA", (s + 2 * b, s + 2 * b), bc + (255,))
    bo.paste(im, (b, b))
    bo.save("%s/i%02d/border.png" % (out, i))
    top = (H - s) // 2
    print("i%02d letterbox %d %d 0 0" % (i, top, H - s - top))
    print("i%02d border %d %d %d %d" % (i, b, b, b, b))
PY
dedupe_img 72

# each copy's frame against its original's plus the bands added (full-size pixels)
"$PY" - "$T/feat" "$T/added" > "$T/check" <<'PY'
import json, sys
F = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    F[r["name"]] = r.get("frame") or [0, 0, 0, 0]
bad = []
n = 0
for line in open(sys.argv[2]):
    d, kind, *add = line.split()
    o, c = F[d + "/original.png"], F["%s/%s.png" % (d, kind)]
    n += 1
    if not any(o) or any(abs(c[k] - o[k] - int(add[k])) > 1 for k in range(4)):
        bad.append("%s/%s %s (original %s)" % (d, kind, c, o))
print(n, "; ".join(bad) or "none")
PY
check_eq "48 copies, each framed as its original plus the bands added" "$(cat "$T/check")" "48 none"
check_eq "each original in one group with its letterbox and its bordered copy" \
	"$(with_originals "$T/r" '/(letterbox|border)')" 48
check_eq "no group holds two drawings" "$(mixed_groups "$T/r")" ""
finish
