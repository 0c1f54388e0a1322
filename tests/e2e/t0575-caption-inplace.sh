#!/bin/sh
# dedupe and a caption that hides a drawing's keypoints: twelve products (a flat shape on
# a plain light ground with a soft shadow, 320 pixels, as make eval's products) and four
# drawn faces (on a plain ground, 256 pixels), each with a copy carrying a line of text,
# white on a black outline, across its foot (the faces: its top, over the ground), as
# make eval's caption transform writes it.  The text moves the perceptual hash by up to
# 22 bits, past the search's radius, and a flat drawing has too few keypoints left for
# the keypoint tests to carry it (make eval: 77 of 164 captioned copies missed).  Two
# pictures of one size whose colour grids agree but for a row at the bottom or the top
# are now read in place, and where the rest of their details agree past a line of text
# that one side carries, its strokes and its corners, they are one picture: the copy
# joins its original's group with the evidence "caption", the text on the copy (5 of
# the 17 copies found before, 8 now, one of them a byte copy of another, which joins as
# that one did; the others' text crosses the shape or its shadow and the rest misses by
# more).  Pictures that differ in such a band by something other
# than text stay apart: each product on a plinth across its foot (a solid block: 12
# corners where a line of text has dozens), each face in a shirt of another colour
# (read as a line, its edge's contrast raised: 17 to 31 corners; three of the four are
# apart by their colours too, 46 to 75 where a copy's are within 20).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP/tests/bench" <<'PY'
import colorsys, os, random, sys
from PIL import ImageDraw
out = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import evalsets as E  # its products, drawn faces and caption font (DejaVu Sans Bold)

WORDS = ("SALE -30%", "do not share", "(c) azdedup", "holiday 2019")


def caption(im, s, y):
    c = im.copy()
    dr = ImageDraw.Draw(c)
    f = E.font(im.height // 12)
    tw = dr.textlength(s, font=f)
    dr.text((max(2, int((im.width - tw) / 2)), y), s, font=f, fill="white", stroke_width=1,
            stroke_fill="black")
    return c


for k in range(12):
    r = random.Random(7000 + k)
    colour = tuple(int(255 * c) for c in colorsys.hls_to_rgb(r.random(), r.uniform(0.35, 0.6),
                                                             r.uniform(0.5, 0.9)))
    bg = r.choice(((255, 255, 255), (245, 245, 245), (235, 238, 242), (250, 246, 238)))
    seed = r.getrandbits(32)
    im = E.product(320, 320, E.PRODUCTS[k % len(E.PRODUCTS)], colour, bg, random.Random(seed))
    d = os.path.join(out, "p%02d" % k)
    os.makedirs(d)
    im.save(os.path.join(d, "original.png"))
    caption(im, WORDS[k % len(WORDS)], int(320 * 0.78)).save(os.path.join(d, "caption.png"))
    if k == 1:
        # and a copy of the captioned copy's bytes: folded onto it, it joins as it did
        caption(im, WORDS[k % len(WORDS)], int(320 * 0.78)).save(os.path.join(d, "caption-copy.png"))
    # the same product on a plinth across its foot: another picture, in a folder of its
    # own
    s = im.copy()
    ImageDraw.Draw(s).rectangle((60, 262, 260, 300), fill=tuple(v // 2 for v in colour))
    e = os.path.join(out, "q%02d" % k)
    os.makedirs(e)
    s.save(os.path.join(e, "plinth.png"))
for k in range(4):
    p = E.face_params(random.Random(5000 + k))
    im = E.face(256, p)
    d = os.path.join(out, "f%02d" % k)
    os.makedirs(d)
    im.save(os.path.join(d, "original.png"))
    caption(im, WORDS[k], int(256 * 0.06)).save(os.path.join(d, "caption.png"))
    q = dict(p)
    q["shirt"] = tuple(255 - v for v in p["shirt"])
    e = os.path.join(out, "s%02d" % k)
    os.makedirs(e)
    E.face(256, q).save(os.path.join(e, "shirt.png"))
PY
dedupe_img 49
found=$(with_originals "$T/r" caption)
check "7 or more of the 17 captioned copies in their originals' groups ($found; 5 before)" \
	test "$found" -ge 7
check_eq "those the keypoints missed taken on their caption, the text on the copy" \
	"$(jq -r 'select(.name != null and (.name | test("caption")) and .dup.role == "duplicate"
		and .dup.stage == "local" and .dup.evidence.kind != "keypoints" and
		(.dup.evidence.kind != "caption" or .dup.evidence.on != "duplicate")) | .name' "$T/r")" ""
check_eq "a captioned copy and its byte copy taken on the caption (folded, it joins as the copy did)" \
	"$(jq -r 'select(.name == "p01/caption.png" or .name == "p01/caption-copy.png") |
		.dup.evidence.kind' "$T/r" | paste -sd' ' -)" "caption caption"
check "two or more taken on their caption alone" \
	test "$(jq -r 'select(.dup.evidence.kind == "caption") | .name' "$T/r" | wc -l)" -ge 2
check_eq "no plinth or shirt in a group with its picture" \
	"$(jq -r 'select(.name != null) | "\(.name)\t\(.dup.group // ("none:" + .name))"' "$T/r" |
	awk -F'\t' '{ g[$1] = $2 } END { for (n in g) { split(n, p, "/"); o = p[1]
		sub(/^q/, "p", o); sub(/^s/, "f", o); if (n ~ /plinth|shirt/ &&
		(g[n] == g[o "/original.png"] || g[n] == g[o "/caption.png"])) print n } }')" ""
check_eq "no two pictures in one group" "$(mixed_groups "$T/r" | awk '
	{ a = $1; b = $2; sub(/^q/, "p", a); sub(/^q/, "p", b); sub(/^s/, "f", a);
	sub(/^s/, "f", b); if (a != b) print }')" ""
finish
