#!/bin/sh
# A gray copy and a crop of one colour photo: the crop is read onto the gray copy through
# a scaling, which resamples the details (a crop of a third misses its original by 17 to
# 25 where a gray copy misses by 0 to 7), so the gray rule's limit (GRP_GRAY_DETAIL) is
# for pictures whose grids lie alike (the hashes matched, nothing shifted: a gold trophy
# and the silver one of its outline, t0532).  Before, a photo's crop of 30 percent was
# told apart from its gray copy for good and left out of the group (the astronaut's, the
# coffee's).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/examples/photos" <<'PY'
import os, sys
from PIL import Image, ImageOps
out, src = sys.argv[1], sys.argv[2]
for name in ("astronaut.jpg", "coffee.webp", "chelsea.jpg", "rocket.jpg"):
    im = Image.open(os.path.join(src, name)).convert("RGB")
    d = os.path.join(out, os.path.splitext(name)[0])
    os.makedirs(d)
    im.save(os.path.join(d, "original.png"))
    ImageOps.grayscale(im).save(os.path.join(d, "gray.png"))
    w, h = im.size
    for f in (10, 30):
        dx, dy = w * f // 200, h * f // 200
        im.crop((dx, dy, w - dx, h - dy)).save(os.path.join(d, "crop-%d.png" % f))
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "a record for each of the 16 pictures" \
	"$(jq -r 'select(.name != null) | .name' "$T/r" 2>/dev/null | wc -l)" 16
check_eq "no group holds two photos" "$(mixed_groups "$T/r")" ""
for p in astronaut coffee chelsea rocket; do
	check_eq "$p: the gray copy and both crops in the original's group" \
	    "$(jq -r --arg p "$p" 'select(.name != null and (.name | startswith($p + "/")) and
		.dup.role == "duplicate" and .dup.keeper == ($p + "/original.png")) | .name' "$T/r" |
		sort | tr '\n' ' ')" "$p/crop-10.png $p/crop-30.png $p/gray.png "
done
finish
