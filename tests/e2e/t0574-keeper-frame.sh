#!/bin/sh
# dedupe's keep policy, key "resolution" within a group: five photos drawn as icons (the
# picture on a white 128 x 128 canvas, a margin of 9 pixels or more that featx finds as
# a frame), each with a blurred copy of one canvas.  The blur bleeds a pixel or two into
# the margin, so featx finds the copy's frame the thinner and its picture the larger,
# and the copy kept its group on resolution although the original was older (make eval,
# the dates putting each original first: 47 of the 121 groups a copy kept, not the
# original).  Frames of one canvas whose bands lie within 2 pixels (GRP_KEEP_BAND) are
# alike in pixels now: the date decides, and with the dates the other way round the
# copy keeps, in the same groups.  A copy whose picture is really larger on the canvas
# (bands 5 to 7 pixels thinner) still keeps on resolution.
. "$(dirname "$0")/lib.sh"

"$PY" - "$T" "$PHOTOS" <<'PY'
import os, sys
from PIL import Image, ImageFilter
out, photos = sys.argv[1], sys.argv[2]


def icon(name, side):
    im = Image.open(os.path.join(photos, name)).convert("RGB")
    im.thumbnail((side, side))
    c = Image.new("RGB", (128, 128), (255, 255, 255))
    c.paste(im, ((128 - im.width) // 2, (128 - im.height) // 2))
    return c


for name in ("astronaut.jpg", "camera.png", "grass.jpg", "hubble.jpg", "rocket.jpg"):
    d = os.path.join(out, "set", os.path.splitext(name)[0])
    os.makedirs(d)
    c = icon(name, 110)
    c.save(d + "/original.png")
    c.filter(ImageFilter.GaussianBlur(1.5)).save(d + "/blur.png")
d = os.path.join(out, "set", "clock")
os.makedirs(d)
icon("clock.jpg", 110).save(d + "/original.png")
icon("clock.jpg", 124).save(d + "/larger.png")
PY
# dates: each original a day before its copy, then the other way round
dated() {  # ORIGINALS OTHERS OUT
	find "$T/set" -type f -name original.png -exec touch -d "$1" {} + &&
	    find "$T/set" -type f ! -name original.png -exec touch -d "$2" {} + &&
	    azls -q "$T/set" | featx -q > "$3"
}
dated "2026-01-01 00:00:00" "2026-01-02 00:00:00" "$T/feat" || fail "featx"
dated "2026-01-02 00:00:00" "2026-01-01 00:00:00" "$T/feat-rev" || fail "featx (dates reversed)"
dedupe -q -i "$T/feat" -o "$T/r" || fail "dedupe"
dedupe -q -i "$T/feat-rev" -o "$T/r-rev" || fail "dedupe (dates reversed)"
frame() { jq -c --arg n "$2" 'select(.name == $n) | .frame' "$1"; }
role() { jq -r --arg n "$2" 'select(.name == $n) | "\(.dup.role) \(.dup.kept_because)"' "$1"; }
groups() {
	jq -r 'select(.type == null and .dup.group != null) | "\(.dup.group) \(.name)"' "$1" |
	    sort -k1,1n -k2 | awk '{ g[$1] = g[$1] " " $2 } END { for (k in g) print g[k] }' | sort
}
for p in astronaut camera grass hubble rocket; do
	# the premise: both framed, the copy's bands 1 or 2 pixels thinner
	check "$p: featx finds the blurred copy's frame a pixel or two thinner" \
	    "$PY" -c 'import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.exit(0 if a and b and all(1 <= x - y <= 2 for x, y in zip(a, b)) else 1)' \
	    "$(frame "$T/feat" "$p/original.png")" "$(frame "$T/feat" "$p/blur.png")"
	check_eq "$p: the original, the older, keeps" "$(role "$T/r" "$p/original.png")" "keeper date"
	check_eq "$p: the blurred copy is its duplicate" "$(role "$T/r" "$p/blur.png" | cut -d' ' -f1)" \
	    "duplicate"
	check_eq "$p: dates reversed, the blurred copy keeps" "$(role "$T/r-rev" "$p/blur.png")" \
	    "keeper date"
done
check_eq "clock: the copy whose picture is larger on the canvas keeps" \
    "$(role "$T/r" "clock/larger.png")" "keeper resolution"
check_eq "clock: so it does with the dates reversed" \
    "$(role "$T/r-rev" "clock/larger.png")" "keeper resolution"
check_eq "six groups" "$(groups "$T/r" | wc -l | tr -d ' ')" "6"
check_same "the same groups under either dates" "$(groups "$T/r")" "$(groups "$T/r-rev")"
finish
