#!/bin/sh
# dedupe and pictures of one template: charts of one style whose axes, ticks, grid and
# title hold every keypoint, with other data drawn in (curves).  The keypoints match
# (the same frame at the same place) and the 32 x 32 detail sees a curve two pixels
# wide as a shade over a cell or two, within what a slight misplacement explains; the
# 64 x 64 fine detail (featx's fine_detail) sees it as cells of its own, and two charts
# miss in block after block on it alone, where a copy misses in none (GRP_FINE_*).
# Copies of a chart (JPEG, three quarters the size, gray, turned a half turn) stay
# found.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/img"
"$PY" - "$T/img" <<'PY'
import math, os, random, sys
from PIL import Image, ImageDraw, ImageFont
out = sys.argv[1]
font = ImageFont.load_default()

def chart(seed):
    # one style: a box, a grid, ticks and their labels, a title; the data (one to three
    # curves of three families, two pixels wide) from seed
    w, h, x0, y0, x1, y1 = 640, 480, 72, 44, 610, 418
    im = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(im)
    for i in range(6):
        x, y = x0 + i * (x1 - x0) / 5, y1 - i * (y1 - y0) / 5
        if 0 < i < 5:
            d.line((x, y0, x, y1), fill=(225, 225, 225))
            d.line((x0, y, x1, y), fill=(225, 225, 225))
        d.line((x, y1, x, y1 + 5), fill=0)
        d.text((x - 6, y1 + 9), str(i * 20), fill=0, font=font)
        d.line((x0 - 5, y, x0, y), fill=0)
        d.text((x0 - 30, y - 5), "%.1f" % (i * 0.2), fill=0, font=font)
    d.rectangle((x0, y0, x1, y1), outline=0)
    d.text((w / 2 - 40, 14), "Training loss", fill=0, font=font)
    d.text((w / 2 - 15, 450), "epoch", fill=0, font=font)
    r = random.Random(seed)
    for col in ((31, 119, 180), (255, 127, 14), (44, 160, 44))[:r.randint(1, 3)]:
        fam, p = r.randrange(3), [r.uniform(0.5, 1.0) for _ in range(3)]
        pts = []
        for i in range(160):
            t = i / 159
            if fam == 0:
                v = 0.1 + 0.8 * p[0] * math.exp(-6 * p[1] * t) + 0.04 * math.sin(30 * p[2] * t)
            elif fam == 1:
                v = 0.5 + 0.4 * p[0] * math.sin(2 * math.pi * (2.5 * p[1] * t + p[2]))
            else:
                v = 0.1 + 0.8 * p[0] * (1 - math.exp(-5 * p[1] * t))
            pts.append((x0 + t * (x1 - x0), y1 - min(0.98, max(0.02, v)) * (y1 - y0)))
        d.line(pts, fill=col, width=2)
    return im

for k in range(8):
    os.makedirs(os.path.join(out, "c%d" % k))
    chart(1000 + k).save(os.path.join(out, "c%d" % k, "original.png"))
im = chart(1001)
im.save(os.path.join(out, "c1", "q80.jpg"), quality=80)
im.resize((480, 360), Image.LANCZOS).save(os.path.join(out, "c1", "smaller.png"))
im = chart(1004)
im.convert("L").save(os.path.join(out, "c4", "gray.png"))
im.rotate(180).save(os.path.join(out, "c4", "turned.png"))
PY
azls -q "$T/img" > "$T/list" || fail "azls"
featx -q -i "$T/list" > "$T/feat" || fail "featx"
check_eq "each record carries a 64 x 64 fine detail (4,096 bytes of base64)" \
	"$(jq -r 'select((.fine_detail | length) != 5464) | .name' "$T/feat")" ""
group() { jq -r --arg n "$1" 'select(.name == $n) | .dup.group // "none"' "$2"; }
same() { test "$(group "$1" "$3")" != none -a "$(group "$1" "$3")" = "$(group "$2" "$3")"; }

dedupe -q -i "$T/feat" -o "$T/r" --trace-pairs "$T/trace" || fail "dedupe"
check_eq "no group holds two charts of the style" "$(mixed_groups "$T/r")" ""
check "charts of the style were told apart on their fine details" \
	test "$(jq -s 'map(select(.fine_apart == true)) | length' "$T/trace")" -gt 0
for f in q80.jpg smaller.png; do
	check "a chart's copy $f is found" same c1/$f c1/original.png "$T/r"
done
for f in gray.png turned.png; do
	check "a chart's copy $f is found" same c4/$f c4/original.png "$T/r"
done

# records without the fine detail (featx before it): as before, the detail alone
jq -c 'del(.fine_detail)' "$T/feat" > "$T/feat.old"
dedupe -q -i "$T/feat.old" -o "$T/r.old" --trace-pairs "$T/trace.old" ||
	fail "dedupe (no fine_detail)"
check_eq "records without fine_detail: nothing told apart on it" \
	"$(jq -s 'map(select(.fine_apart == true)) | length' "$T/trace.old")" 0
check "records without fine_detail: the copies are found" same c1/q80.jpg c1/original.png "$T/r.old"

# a damaged fine detail is named and left out, and the rest of the record still counts
jq -c 'if .name == "c2/original.png" then .fine_detail = "not base64!" else . end' "$T/feat" \
	> "$T/feat.bad"
dedupe -q -i "$T/feat.bad" -o "$T/r.bad" 2> "$T/err" || fail "dedupe with a damaged fine_detail"
check "a damaged fine_detail is named" \
	grep -q 'c2/original.png: fine_detail: not 4096 bytes of base64 (left out)' "$T/err"
check_eq "the report carries no fine detail" "$(jq -r 'select(has("fine_detail")) | .name' "$T/r" "$T/r.bad")" ""
finish
