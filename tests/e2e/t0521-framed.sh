#!/bin/sh
# dedupe's framed keypoint rule (GRP_FRAMED_*): a copy whose keypoints agree but span
# under 0.4 of the picture (a drawn face on a plain ground: noise, JPEG, a border) is a
# copy when one picture lies inside the other on the keypoints' transform, the keypoints
# of the part they share are repeated on both sides, and the colour grids read through
# the transform agree; two shots that only overlap are not (one does not lie inside the
# other), nor is another face of the same drawing (the colours, the shared keypoints).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
rng = random.Random(2026)
for i in range(16):
    p = E.face_params(rng)
    im = E.face(512, p)
    d = out + "/f%02d" % i
    os.makedirs(d, exist_ok=True)
    im.save(d + "/original.png")
    im.save(d + "/q75.jpg", quality=75)
    im.resize((256, 256), E.Image.LANCZOS).save(d + "/half.png")
    E.t_noise(im, random.Random(i), None).save(d + "/noise.png")
    E.t_border(im, random.Random(i), None).save(d + "/border.png")
    # the same drawing with another expression, glasses and shirt: another face
    q = dict(p, smile=not p["smile"], glasses=not p["glasses"],
             shirt=tuple(rng.randrange(0, 256) for _ in range(3)))
    E.face(512, q).save(out + "/f%02d-other.png" % i)
# two shots that only overlap: the left and the right 60% of a photo (not of a drawn
# face: its halves are mirror images, which the keypoints match mirrored)
im = E.Image.open(sys.argv[2] + "/examples/photos/chelsea.jpg").convert("RGB").resize((512, 512))
im.crop((0, 0, 307, 512)).save(out + "/shot-left.png")
im.crop((205, 0, 512, 512)).save(out + "/shot-right.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
pair() { jq -r --arg a "$1" --arg b "$2" 'select(.a == $a and .b == $b) | "\(.stage) \(.cover < 0.4)"' "$T/trace"; }
# stage 3: taken on the keypoints, whose inliers span under 0.4 of the picture
check_eq "a noisy copy of a drawn face is a copy on its keypoints (they span 0.1 of it)" \
	"$(pair f07/noise.png f07/original.png)" "3 true"
check_eq "so is a JPEG copy" "$(pair f14/original.png f14/q75.jpg)" "3 true"
check_eq "and a copy with a border" "$(pair f10/border.png f10/original.png)" "3 true"
# a border of another colour than the ground ends on a straight edge: featx leaves it
# out of the hashes (t0522-frame), which match (taken on them, or where the margin is
# short, on the keypoints after them)
check_eq "and a copy with a border of another colour than its ground, its hashes matching" \
	"$(jq -r 'select(.a == "f14/border.png" and .b == "f14/original.png") | "\(.stage > 1) \(.hashed)"' \
		"$T/trace")" "true true"
check_eq "the two overlapping shots: neither lies inside the other on the transform" \
	"$(jq -r 'select(.a == "shot-left.png" and .b == "shot-right.png") | .contain < 0.9' "$T/trace")" "true"
check_eq "no pair of distinct faces is taken on the keypoints" \
	"$(jq -r 'select(.stage == 3) | "\(.a) \(.b)"' "$T/trace" | sed 's|[-/][^ ]*||g' | awk '$1 != $2')" ""
check_eq "no distinct faces share a group" \
	"$(jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$T/r" |
		sed 's|[-/][^ ]*||g' | awk '$1 != $2')" ""

# 2. the strict test (a pair the hashes matched in a crowded neighbourhood: each face has
# nine near copies, JPEG and smaller): the framed rule holds there too, with 24 inliers,
# where the span is under a quarter of the picture (a letterbox's black bands)
mkdir -p "$T/crowd"
"$PY" - "$T/crowd" "$TOP" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
rng = random.Random(2026)
for i in range(16):
    im = E.face(512, E.face_params(rng))
    d = out + "/f%02d" % i
    os.makedirs(d, exist_ok=True)
    im.save(d + "/original.png")
    for q in (30, 50, 75, 95):
        im.save(d + "/q%d.jpg" % q, quality=q)
    for s in (448, 384, 320, 256, 192):
        im.resize((s, s), E.Image.LANCZOS).save(d + "/s%d.png" % s)
    E.t_letterbox(im, random.Random(i), None).save(d + "/letterbox.png")
PY
azls -q "$T/crowd" | featx -q > "$T/cfeat" || fail "featx"
dedupe -q --trace-pairs "$T/ctrace" -i "$T/cfeat" -o "$T/c" || fail "dedupe"
cpair() { jq -r --arg a "$1" --arg b "$2" 'select(.a == $a and .b == $b) | "\(.stage) \(.verified) \(.cover < 0.25)"' "$T/ctrace"; }
for f in f07 f11; do
	check_eq "$f: a letterbox the hashes matched among many copies is a copy on the strict test" \
		"$(cpair $f/letterbox.png $f/original.png)" "3 1 true"
done
check_eq "no distinct faces share a group" \
	"$(mixed_groups "$T/c")" ""
finish
