#!/bin/sh
# A picture and a part of another (GRP_OVERLAP_MIN, GRP_OVERLAP_SHOWN): a photo, and a
# page that shows it at 0.7 of its size under a title bar, match on many keypoints, but
# the transform shows under 0.4 of the page in the photo, and the photo there smaller
# than it is: no copy, and no group holds both.  A crop of a fifth each way (0.64 of the
# photo) and a bordered copy still join the photo (and t0510's crop that keeps 0.36 of a
# photo joins it: the photo holds every pixel of it).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img/photo" "$T/img/page"
"$PY" - "$T/img" "$PHOTOS" <<'PY'
import sys
from PIL import Image, ImageDraw
out, photos = sys.argv[1], sys.argv[2]
p = Image.open(photos + "/camera.png").convert("RGB").resize((512, 340), Image.LANCZOS)
p.save(out + "/photo/original.png")
p.save(out + "/photo/jpeg-q75.jpg", quality=75)
w, h = p.size
p.crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(out + "/photo/crop-20.png")
b = Image.new("RGB", (w + 40, h + 40), (200, 180, 140))
b.paste(p, (20, 20))
b.save(out + "/photo/border.png")
# a page: a title bar, a caption line and the photo at 0.7 of its size
page = Image.new("RGB", (540, 500), (250, 250, 246))
d = ImageDraw.Draw(page)
d.rectangle((0, 0, 539, 60), fill=(70, 110, 160))
d.rectangle((24, 20, 200, 40), fill=(235, 240, 250))
d.rectangle((110, 440, 430, 450), fill=(120, 120, 120))
d.rectangle((140, 465, 400, 475), fill=(120, 120, 120))
page.paste(p.resize((358, 238), Image.LANCZOS), (91, 100))
page.save(out + "/page/original.png")
page.save(out + "/page/jpeg-q75.jpg", quality=75)
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "the photo and the page that shows it share no group" \
	"$(mixed_groups "$T/r")" ""
# the pairs that were taken and then compared through their transform (detail >= 0)
check "pairs of the photo and the page taken on a transform showing under 0.4 of the page" \
	test "$(cross_pairs "$T/trace" '.detail >= 0 and .overlap < 0.4')" -ge 1
check_eq "such a pair is told apart for good (no group holds both)" \
	"$(jq -r 'select(.detail >= 0 and .overlap < 0.4 and (.conflict | not)) | .a' "$T/trace")" ""
for v in jpeg-q75 crop-20 border; do
	check_same "the photo's $v copy is grouped with it" \
		"$(jq -r --arg n "photo/$v.png" --arg j "photo/$v.jpg" \
			'select(.name == $n or .name == $j) | .dup.group // empty' "$T/r")" \
		"$(jq -r 'select(.name == "photo/original.png") | .dup.group // empty' "$T/r")"
done
check_eq "the page's JPEG copy is grouped with it" \
	"$(jq -r 'select(.name == "page/jpeg-q75.jpg") | .dup.keeper // .dup.role' "$T/r" | cut -d/ -f1)" \
	"page"
finish
