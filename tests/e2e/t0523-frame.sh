#!/bin/sh
# An added frame (a border, letterbox or pillarbox bands of one colour around the
# picture) is left out of every feature featx computes, so that a framed copy matches
# its original on the hashes; the record says where the frame was ("frame": top, bottom,
# left, right, in the full-size picture's pixels) and dedupe keeps the copy without it.
# A plain margin is part of the picture where the picture does not begin along a
# straight edge (a product on a plain ground) or is drawn on the margin's colour (a page
# of text), and a flat picture has no frame.
# Then the colours: two colourings of one drawing (the same lamp in violet on cream and
# in magenta on blue-grey) hash alike, and are told apart because no one change of
# contrast or saturation maps one's colours onto the other's; a JPEG copy of one of them
# is still its copy.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
from PIL import Image, ImageDraw
out, top = sys.argv[1], sys.argv[2]

def border(im, b, colour):
    w, h = im.size
    f = Image.new("RGB", (w + 2 * b, h + 2 * b), colour)
    f.paste(im, (b, b))
    return f

for name, src in (("cat", "chelsea.jpg"), ("rocket", "rocket.jpg"), ("coffee", "coffee.webp")):
    im = Image.open(top + "/examples/photos/" + src).convert("RGB")
    d = out + "/" + name
    os.makedirs(d, exist_ok=True)
    im.save(d + "/original.png")
    border(im, 24, (255, 255, 255)).save(d + "/border-white.png")
    border(im, 30, (200, 180, 140) if name != "coffee" else (128, 128, 128)).save(d + "/border-tan.jpg", quality=90)
    E.t_letterbox(im, random.Random(1), None).save(d + "/letterbox.png")
    # pillarbox: bars left and right
    w, h = im.size
    p = Image.new("RGB", (w + w // 3, h), (0, 0, 0))
    p.paste(im, (w // 6, 0))
    p.save(d + "/pillarbox.jpg", quality=90)

# a page of text: white margins that end where the text begins
pg = Image.new("RGB", (600, 800), (255, 255, 255))
dr = ImageDraw.Draw(pg)
f = E.font(16)
rng = random.Random(3)
for i in range(30):
    words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(2, 9)))
                     for _ in range(8))
    dr.text((60, 70 + 22 * i), words, fill=(0, 0, 0), font=f)
pg.save(out + "/page.png")
# a product on a plain ground with a soft shadow
E.product(640, 640, "mug", (98, 24, 212), (250, 246, 238), random.Random(11)).save(out + "/product.png")
# a flat picture
Image.new("RGB", (300, 200), (120, 120, 120)).save(out + "/flat.png")

# one lamp, coloured twice (the same drawing: the same geometry seed)
d = out + "/lamps"
os.makedirs(d, exist_ok=True)
a = E.product(640, 640, "lamp", (98, 24, 212), (250, 246, 238), random.Random(5))
b = E.product(640, 640, "lamp", (226, 48, 240), (235, 238, 242), random.Random(5))
a.save(d + "/violet.png")
b.save(d + "/magenta.png")
a.save(d + "/violet-q80.jpg", quality=80)
PY

azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
frame() { jq -c --arg n "$1" 'select(.name == $n) | .frame' "$T/feat"; }
# the bands, within a few pixels of the ones added (the working scale rounds them)
near() {
	jq -n -r --argjson g "$1" --argjson w "$2" \
		'[range(4)] | map($w[.] - $g[.] | if . < 0 then -. else . end | . <= 4) | all' 2> /dev/null
}
check_eq "a white border is a frame (top, bottom, left, right)" \
	"$(near "$(frame cat/border-white.png)" '[24,24,24,24]')" "true"
# (coffee's table is tan at the picture's left edge, where a tan band could not be told
# from the picture: it gets a gray one)
check_eq "a tan border saved as JPEG is a frame" \
	"$(near "$(frame cat/border-tan.jpg)" '[30,30,30,30]')" "true"
check_eq "letterbox bands are a frame (top and bottom only)" \
	"$(frame rocket/letterbox.png | jq -r '.[0] > 20 and .[1] > 20 and .[2] == 0 and .[3] == 0')" "true"
check_eq "pillarbox bands are a frame (left and right only)" \
	"$(frame coffee/pillarbox.jpg | jq -r '.[0] == 0 and .[1] == 0 and .[2] > 20 and .[3] > 20')" "true"
check_eq "a picture with no frame has no frame field" "$(frame cat/original.png)" "null"
# (its left margin ends on the straight edge where the lines begin, but the page is
# drawn on that white)
check_eq "a page's white margins are part of the page" "$(frame page.png)" "null"
check_eq "a product's plain ground is part of the picture" "$(frame product.png)" "null"
check_eq "a flat picture has no frame" "$(frame flat.png)" "null"
spec=$(jq -r 'select(.name == "flat.png") | .feat_spec' "$T/feat" | cut -d' ' -f1)
check "the feature spec says the recipes changed since the frame (v4 or later; got $spec)" \
	test "${spec#v}" -ge 4

dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
dup() { jq -r --arg n "$1" 'select(.name == $n) | .dup | "\(.role) \(.keeper) \(.evidence.kind)"' "$T/r"; }
for s in cat rocket coffee; do
	for v in border-white.png border-tan.jpg letterbox.png pillarbox.jpg; do
		check_eq "$s/$v: a copy of $s/original.png on its hashes" "$(dup $s/$v)" \
			"duplicate $s/original.png hash"
	done
	check_eq "$s: the original keeps, not a framed copy with more pixels" \
		"$(jq -r --arg n "$s/original.png" 'select(.name == $n) | .dup | "\(.role) \(.kept_because)"' "$T/r")" \
		"keeper resolution"
done

# the lamps: the two colourings apart, the contrast and gray copies with their lamp
check_eq "the magenta lamp is not a copy of the violet one" \
	"$(jq -r 'select(.name == "lamps/magenta.png") | .dup.role // "unique"' "$T/r")" "unique"
check_eq "the violet lamp's JPEG copy is a copy of it" \
	"$(dup lamps/violet-q80.jpg | cut -d' ' -f1-2)" "duplicate lamps/violet.png"

finish
