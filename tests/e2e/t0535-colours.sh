#!/bin/sh
# The colours (keypoints.h: the chroma of the picture the keypoints see, 16x16, in the
# record's "color_detail") read through a pair's keypoint transform with the gray levels
# (group.c chroma_diff): a product on a plain ground, cropped, has few keypoints and a 4x4
# colour grid whose cells shift with the crop's edge, so the crop was turned down on its
# colours (make eval: no crop of a product found).  The colour details say the same
# colours and levels, and the crop is taken; the same product in another colour is not.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" "$TOP" <<'PY'
import colorsys, os, random, sys
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
rng = random.Random(20261203)
grounds = ((255, 255, 255), (245, 245, 245), (235, 238, 242), (250, 246, 238))
for i in range(12):
    kind = E.PRODUCTS[i % len(E.PRODUCTS)]
    hue, light = rng.random(), rng.uniform(0.35, 0.6)
    colour = tuple(int(255 * c) for c in colorsys.hls_to_rgb(hue, light, 0.8))
    bg = grounds[i % len(grounds)]
    gseed = rng.getrandbits(32)
    im = E.product(640, 640, kind, colour, bg, random.Random(gseed))
    d = os.path.join(out, "p%02d-%s" % (i, kind))
    os.makedirs(d)
    im.save(d + "/original.png")
    E.t_crop(0.10)(im, random.Random(i), bg).save(d + "/crop-10.png")
    E.t_crop(0.20)(im, random.Random(i + 100), bg).save(d + "/crop-20.png")
    # a look-alike: the same product in the opposite colour on the same ground (a
    # lighter one, or one on another ground, is the same picture at other levels to the
    # hashes, as a gamma copy is)
    c2 = tuple(int(255 * c) for c in colorsys.hls_to_rgb((hue + 0.5) % 1, light, 0.8))
    dl = os.path.join(out, "l%02d-%s" % (i, kind))
    os.makedirs(dl)
    E.product(640, 640, kind, c2, bg, random.Random(gseed)).save(dl + "/lookalike.png")
PY
azls -q "$T/img" | featx -q > "$T/feat" || fail "featx"
check "every picture's record has its colours (512 bytes, 684 characters of base64)" \
	test "$(jq -r 'select(.color_detail | length == 684) | .name' "$T/feat" | wc -l)" -eq 48

dedupe -q --trace-pairs "$T/trace" -i "$T/feat" -o "$T/r" || fail "dedupe"
# a crop and its original in one group
crops_taken() {
	jq -r 'select(.dup.role != "unique") | "\(.dup.group) \(.name)"' "$1" |
	awk '{ split($2, p, "/"); if (p[1] ~ /^p/) { g[p[1] " " p[2]] = $1 } }
		END { for (k in g) { split(k, q, " ");
			if (q[2] != "original.png" && g[q[1] " original.png"] == g[k]) n++ }
			print n + 0 }'
}
n=$(crops_taken "$T/r")
check "crops are taken with their originals (found $n of 24)" test "$n" -ge 14
# (two products of one kind in near colours can share their hashes: a zoomed crop of one
# green bottle and a larger green bottle on another ground, taken on the hashes before any
# colours are read; the issue's note says so, and this test asks only of the colours)
check_eq "no product shares a group with itself in another colour" \
	"$(mixed_groups "$T/r" | awk 'substr($1, 2, 2) == substr($2, 2, 2)')" ""
check "the colours took some pairs the colour grids turned down" \
	test "$(jq -r 'select(.stage > 0 and .wcol > 24 and .chroma >= 0 and .chroma <= 20) | .a' "$T/trace" |
		wc -l)" -ge 1

# without the colours the same records find fewer crops: the colours are what took them
jq -c 'del(.color_detail)' "$T/feat" > "$T/feat.nocol"
dedupe -q -i "$T/feat.nocol" -o "$T/r.nocol" || fail "dedupe without colours"
m=$(crops_taken "$T/r.nocol")
check "without the colours fewer crops are found ($m, with them $n)" test "$m" -lt "$n"

check_eq "the report carries no colours" "$(jq -r 'select(has("color_detail")) | .name' "$T/r")" ""

# a damaged colour grid is said, and the picture is compared without it
jq -c 'if (.name | startswith("p00")) then .color_detail = "AAAA" else . end' "$T/feat" > "$T/feat.bad"
dedupe -i "$T/feat.bad" -o "$T/r.bad" 2> "$T/err" || fail "dedupe with a damaged color_detail"
check "a damaged color_detail is named" grep -q 'color_detail: not 512 bytes of base64' "$T/err"
finish
