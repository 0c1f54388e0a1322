#!/bin/sh
# The details (keypoints.h: the picture the keypoints see, 32x32 gray, in the record's
# "detail") read through a pair's keypoint transform (GRP_DETAIL_*): icons of one theme
# that differ only by an emblem, a level or a mouth match on their hashes and their
# keypoints, and are still two pictures.  And featx shows a light icon on transparency on
# white (FEAT_ALPHA_FAINT), as its JPEG copy flattened on white shows it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import os, random, sys
from PIL import Image, ImageDraw
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]

def folder(emblem, colour):
    """a drawn folder icon, 256 px on transparency, with an emblem on its front"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.rounded_rectangle((20, 40, 120, 80), 10, fill=colour + (255,), outline=(90, 70, 40, 255), width=3)
    d.rounded_rectangle((20, 60, 236, 220), 14, fill=colour + (255,), outline=(90, 70, 40, 255), width=3)
    for y in range(90, 200, 12):
        d.line((40, y, 216, y), fill=tuple(max(0, c - 25) for c in colour) + (255,), width=2)
    e = (100, 105, 156, 175)
    dark = (60, 45, 30, 255)
    if emblem == "note":
        d.ellipse((104, 150, 130, 172), fill=dark)
        d.rectangle((124, 104, 130, 162), fill=dark)
        d.polygon(((130, 104), (156, 116), (130, 126)), fill=dark)
    elif emblem == "camera":
        d.rounded_rectangle((98, 118, 158, 166), 6, fill=dark)
        d.ellipse((114, 126, 142, 154), fill=colour + (255,))
        d.rectangle((112, 110, 130, 118), fill=dark)
    elif emblem == "arrow":
        d.polygon(((128, 170), (100, 136), (118, 136), (118, 104), (138, 104), (138, 136),
                   (156, 136)), fill=dark)
    return im

def face(mouth):
    """a drawn smiley, 256 px on transparency: the mouth is what tells them apart"""
    im = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((16, 16, 240, 240), fill=(250, 190, 40, 255), outline=(150, 90, 10, 255), width=4)
    d.ellipse((78, 80, 108, 122), fill=(60, 30, 0, 255))
    d.ellipse((148, 80, 178, 122), fill=(60, 30, 0, 255))
    if mouth == "smile":
        d.arc((64, 100, 192, 200), 20, 160, fill=(60, 30, 0, 255), width=10)
    elif mouth == "open":
        d.ellipse((104, 150, 152, 206), fill=(60, 30, 0, 255))
    return im

items = [("folder-" + e, folder(e, (230, 200, 140))) for e in ("note", "camera", "arrow")]
items += [("face-" + m, face(m)) for m in ("smile", "open")]
for k, im in items:
    d = os.path.join(out, k)
    os.makedirs(d)
    im.save(d + "/original.png")
    # copies: a JPEG flattened on white, half size, mirrored, a stronger contrast
    E.rgb(im, (255, 255, 255)).save(d + "/jpeg-q75.jpg", quality=75)
    im.resize((128, 128), Image.LANCZOS).save(d + "/half.png")
    im.transpose(Image.FLIP_LEFT_RIGHT).save(d + "/mirror.png")
    E.t_contrast(im, random.Random(1), (255, 255, 255)).save(d + "/contrast.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
check_eq "every icon has its detail (32x32 gray, base64)" \
	"$(jq -r 'select((.detail | length) != 1368) | .name' "$T/feat")" ""
check_eq "a light icon on transparency is shown on white" \
	"$(jq -r 'select(.name | endswith("original.png")) | select(.alpha != "white") | .name' "$T/feat")" ""
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
check_eq "no icon shares a group with another that differs by its emblem or mouth" \
	"$(mixed_groups "$T/r")" ""
check "pairs of distinct icons turned down on their details" \
	test "$(cross_pairs "$T/trace" '.detail > 35')" -ge 3
check "pairs whose details differ by over 50" \
	test "$(jq -r 'select(.pass == 2 and .detail > 50) | .a' "$T/trace" | wc -l)" -ge 1
check_eq "a pair whose details differ by over 50 is told apart for good (no group holds both)" \
	"$(jq -r 'select(.pass == 2 and .detail > 50 and (.conflict | not)) | .a' "$T/trace")" ""
kept=$(jq -r 'select(.dup.role == "duplicate") | .name' "$T/r" | wc -l)
check "the copies grouped with their icon: 16 or more of the 20 (got $kept)" \
	test "$kept" -ge 16
# a record whose detail is not one: said, left out, the rest of the record used
jq -c 'if .name == "folder-note/original.png" then .detail = "not base64!" else . end' \
	"$T/feat" > "$T/feat-bad"
dedupe -q -i "$T/feat-bad" -o "$T/r-bad" 2> "$T/err-bad"
check_eq "a malformed detail: dedupe still exits 0" "$?" "0"
check "a malformed detail is named with its file" \
	grep -q 'folder-note/original.png: detail: not 1024 bytes of base64 (left out)' "$T/err-bad"
check_eq "and its record is still grouped with its copies" \
	"$(jq -r 'select(.name == "folder-note/jpeg-q75.jpg") | .dup.keeper // .name' "$T/r-bad" |
		cut -d/ -f1)" "folder-note"
finish
