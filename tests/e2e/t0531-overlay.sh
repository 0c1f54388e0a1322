#!/bin/sh
# The copy without a caption keeps (GRP_OVERLAY_*): a caption laid over a photo makes a
# file of the same pixels and more bytes, so the keep policy's size key ranked it first
# and the photo under the text was left out.  The detail pass sees which side carries
# the line of text (through the keypoints' transform, or as the pictures lie when the
# hashes alone took them), and at equal pixels that copy ranks after the others.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" "$PHOTOS" <<'PY'
import random, sys
from PIL import Image, ImageDraw
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out, photos = sys.argv[1], sys.argv[3]
for k, name in enumerate(("chelsea.jpg", "astronaut.jpg", "coffee.webp")):
    p = Image.open(photos + "/" + name).convert("RGB")
    p = p.resize((512, 512 * p.height // p.width), Image.LANCZOS)
    stem = name.split(".")[0]
    p.save("%s/%s.png" % (out, stem))
    E.t_caption(p, random.Random(k), (255, 255, 255)).save("%s/%s-caption.png" % (out, stem))
# a drawn badge with few corners: its caption pair is taken on the hashes alone, with no
# keypoint transform, and read as the two pictures lie
im = Image.new("RGB", (256, 256), (255, 255, 255))
d = ImageDraw.Draw(im)
d.ellipse((16, 16, 240, 240), fill=(250, 190, 40), outline=(150, 90, 10), width=4)
d.ellipse((78, 80, 108, 122), fill=(60, 30, 0))
d.ellipse((148, 80, 178, 122), fill=(60, 30, 0))
im.save(out + "/badge.png")
E.t_caption(im, random.Random(7), (255, 255, 255)).save(out + "/badge-caption.png")
PY
# (the astronaut's caption happens to compress smaller; the size key keeps the photo)
for s in chelsea coffee badge; do
	a=$(stat -c %s "$T/img/$s.png")
	b=$(stat -c %s "$T/img/$s-caption.png")
	check "$s: the captioned copy is the larger file ($b > $a bytes)" test "$b" -gt "$a"
done
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
for s in chelsea astronaut coffee badge; do
	check_eq "$s: the captioned copy is the photo's duplicate, not its keeper" \
		"$(jq -r --arg n "$s-caption.png" 'select(.name == $n) | .dup.keeper // .dup.role' "$T/r")" \
		"$s.png"
done
check_eq "and the photos keep on resolution (the tie of pixels broken by the caption)" \
	"$(jq -r 'select(.dup.role == "keeper") | .dup.kept_because' "$T/r" | sort -u)" "resolution"
finish
