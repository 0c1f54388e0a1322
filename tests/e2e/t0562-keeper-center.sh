#!/bin/sh
# dedupe's keep policy, key "center" (default resolution,date,center,size,name): a photo
# with a noisy and a blurred copy of itself, all three PNG files of one size in pixels
# and one mtime.  The noisy copy is the largest file (noise compresses badly), so the
# size key kept it and the original became its duplicate (make eval: a degraded copy
# kept 269 of 682 groups that hold an original).  The original lies one change from
# each copy and the copies two from each other, so it is the group's center, and it
# keeps, saying so ("kept_because":"center"); with the old policy given by hand
# (--keep resolution,date,size,name) the noisy copy keeps as before, and the groups
# themselves are the same under either policy.  The review page says why in words.
. "$(dirname "$0")/lib.sh"

"$PY" - "$T" "$TOP" "$PHOTOS" <<'PY'
import os, random, sys
from PIL import Image
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out, photos = sys.argv[1], sys.argv[3]
for n, name in enumerate(("astronaut.jpg", "chelsea.jpg", "rocket.jpg", "grass.jpg")):
    im = Image.open(os.path.join(photos, name)).convert("RGB")
    im.thumbnail((384, 384))
    d = os.path.join(out, "set", os.path.splitext(name)[0])
    os.makedirs(d)
    im.save(d + "/original.png")
    E.add_noise(im, 12, 7 + n).save(d + "/noise.png")
    E.t_blur(im, random.Random(3), None).save(d + "/blur.png")
PY
find "$T/set" -type f -exec touch -d "2026-01-02 03:04:05" {} + || fail "touch"
azls -q "$T/set" | featx -q > "$T/feat" || fail "featx"
dedupe -q -i "$T/feat" -o "$T/r" --html "$T/page.html" || fail "dedupe"
dedupe -q --keep resolution,date,size,name -i "$T/feat" -o "$T/r-size" || fail "dedupe --keep"
groups() {
	jq -r 'select(.type == null and .dup.group != null) | "\(.dup.group) \(.name)"' "$1" |
	    sort -k1,1n -k2 | awk '{ g[$1] = g[$1] " " $2 } END { for (k in g) print g[k] }' | sort
}
for p in astronaut chelsea rocket grass; do
	check_eq "$p: the noisy copy is the largest file" \
	    "$(ls -S "$T/set/$p" | head -n 1)" "noise.png"
	check_eq "$p: the original keeps, the center of its group" \
	    "$(jq -r --arg n "$p/original.png" 'select(.name == $n) | "\(.dup.role) \(.dup.kept_because) \(.dup.count)"' "$T/r")" \
	    "keeper center 3"
	check_eq "$p: by size alone the noisy copy keeps" \
	    "$(jq -r --arg n "$p/noise.png" 'select(.name == $n) | "\(.dup.role) \(.dup.kept_because)"' "$T/r-size")" \
	    "keeper size"
done
check_same "the same groups under both policies" "$(groups "$T/r")" "$(groups "$T/r-size")"
check "the review page says why the original was kept" \
    grep -rq "kept: center (it lies nearest the rest of its group, as an original lies between its copies), over" \
    "$T/page_files"
check_eq "the summary names the default policy" \
    "$(jq -r 'select(.type == "summary") | .keep' "$T/r")" "resolution,date,center,size,name"
finish
