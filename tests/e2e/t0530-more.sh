#!/bin/sh
# A keeper never takes a picture that shows more than it (GRP_MORE): whatever the keep
# policy ranks first, a photo is not dropped as the duplicate of a crop of it, so what the
# crop cut off reaches the destination.  A bordered copy shows no more than the photo (its
# frame is no picture) and still joins it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/a" "$T/b"
"$PY" - "$T" "$PHOTOS" <<'PY'
import sys
from PIL import Image
out, photos = sys.argv[1], sys.argv[2]
p = Image.open(photos + "/chelsea.jpg").convert("RGB")
w, h = p.size
# a: the photo, a crop of a fifth each way (named to sort first) and a bordered copy
p.save(out + "/a/b-photo.png")
p.crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(out + "/a/a-crop.png")
b = Image.new("RGB", (w + 40, h + 40), (0, 0, 0))
b.paste(p, (20, 20))
b.save(out + "/a/c-border.png")
# b: no original, only a crop of it at full size and the whole at half size: the crop has
# more pixels, so the default policy ranks it first
p.crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(out + "/b/crop.png")
p.resize((w // 2, h // 2), Image.LANCZOS).save(out + "/b/half.png")
PY
azls -q "$T/a" | featx -q > "$T/fa" || fail "featx"
dedupe -q --keep name -i "$T/fa" -o "$T/ra" || fail "dedupe"
check_eq "--keep name: the photo is not the duplicate of its crop" \
	"$(jq -r 'select(.name == "b-photo.png") | .dup.keeper // .dup.role' "$T/ra")" "keeper"
check_eq "the bordered copy joins the photo" \
	"$(jq -r 'select(.name == "c-border.png") | .dup.keeper' "$T/ra")" "b-photo.png"
# the crop, ranked first, takes nothing that shows more; left on its own it joins the
# photo's group through their keypoint match (the photo holds every pixel of it)
check_eq "the crop takes nothing that shows more, and joins the photo" \
	"$(jq -r 'select(.name == "a-crop.png") | "\(.dup.role) \(.dup.keeper)"' "$T/ra")" "duplicate b-photo.png"
check_eq "nothing is the crop's duplicate" \
	"$(jq -r 'select(.dup.keeper == "a-crop.png") | .name' "$T/ra")" ""
dedupe -q -i "$T/fa" -o "$T/ra2" || fail "dedupe"
check_eq "by default the photo keeps and takes its crop and its bordered copy" \
	"$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/ra2" | sort | tr '\n' ' ')" \
	"a-crop.png b-photo.png c-border.png b-photo.png "
azls -q "$T/b" | featx -q > "$T/fb" || fail "featx"
dedupe -q -i "$T/fb" -o "$T/rb" || fail "dedupe"
check_eq "the whole photo at half size is not dropped for a crop with more pixels" \
	"$(jq -r 'select(.name == "half.png") | .dup.role' "$T/rb")" "unique"
finish
