#!/bin/sh
# featx finds the same frame on a picture and on its mirrored and turned copies (the
# frame moved with the sides it lies on).  A side's band is measured on runs of pixels
# along its lines, and a band of the colour the picture is drawn on is told from a frame
# by the share of runs of that colour inside; both runs were laid from one end (the top
# or the left) and the share read on every fourth row from the top alone, so a mirrored
# or turned copy read other pixels together and could find no frame where its original
# had one, or one where it had none: its colour grid, details and keypoints then came
# from another part of the picture (7 of make eval's 712 originals; 36 of the 280
# mirrored and turned copies below, 111 of 1,400 for 200 such drawings).  Drawings of a
# few boxes and discs on white, of sizes that are no multiple of the runs, each in its
# eight orientations.
. "$(dirname "$0")/lib.sh"

"$PY" - "$T" <<'PY'
import json, random, sys
from PIL import Image, ImageDraw
out = sys.argv[1]
OPS = {"o": None, "m": Image.FLIP_LEFT_RIGHT, "f": Image.FLIP_TOP_BOTTOM, "r": Image.ROTATE_180,
       "t": Image.TRANSPOSE, "q": Image.ROTATE_90, "w": Image.ROTATE_270, "v": Image.TRANSVERSE}
with open(out + "/recs.nd", "w") as recs:
    for i in range(40):
        r = random.Random(i)
        w, h = r.randrange(40, 90), r.randrange(40, 90)
        im = Image.new("RGB", (w, h), (255, 255, 255))
        d = ImageDraw.Draw(im)
        for _ in range(r.randrange(2, 6)):
            x0, y0 = r.randrange(2, w - 10), r.randrange(2, h - 10)
            x1, y1 = r.randrange(x0 + 4, w - 1), r.randrange(y0 + 4, h - 1)
            col = tuple(r.randrange(0, 256) for _ in range(3))
            (d.rectangle if r.random() < 0.5 else d.ellipse)([x0, y0, x1, y1], fill=col)
        for t, op in OPS.items():
            p = "%s/%02d-%s.png" % (out, i, t)
            (im if op is None else im.transpose(op)).save(p)
            recs.write(json.dumps({"name": "%02d-%s" % (i, t), "path": p}) + "\n")
PY
featx -q -i "$T/recs.nd" -o "$T/feat" || fail "featx"
# each orientation's frame read back onto the original's sides (top, bottom, left, right)
"$PY" - "$T/feat" > "$T/check" <<'PY'
import json, sys
R = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    R[r["name"]] = r.get("frame") or [0, 0, 0, 0]
# where each orientation's sides come from: its side k is the original's side MAP[k]
MAP = {"m": [0, 1, 3, 2], "f": [1, 0, 2, 3], "r": [1, 0, 3, 2], "t": [2, 3, 0, 1],
       "q": [3, 2, 0, 1], "w": [2, 3, 1, 0], "v": [3, 2, 1, 0]}
framed = sum(1 for k, v in R.items() if k.endswith("-o") and any(v))
bad = [k for k in sorted(R) if not k.endswith("-o") and
       R[k] != [R[k[:2] + "-o"][j] for j in MAP[k[3:]]]]
print(len(R), framed > 0, " ".join(bad) or "none")
PY
check_eq "320 records, some drawings framed, every orientation's frame its original's, moved" \
	"$(cat "$T/check")" "320 True none"
finish
