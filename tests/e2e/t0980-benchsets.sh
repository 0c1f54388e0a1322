#!/bin/sh
# The bench's made-up camera photos (tests/bench/featx_set.py: the example photos at
# 1920x1280 and 12 MP, with grain) keep the pictures they are made from: the same
# brightness, highlights included.  Their grain was once added with a clip at 255 before
# 128 was taken off, which flattened every level over about 128 to 127: a clock on a
# light wall became a grey field with one arc, and every stage of the featx bench and the
# pipeline bench ran on pictures with no highlights.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src"
cp "$PHOTOS/clock.jpg" "$PHOTOS/astronaut.jpg" "$T/src/"
if ! "$PY" "$TOP/tests/bench/featx_set.py" "$T/src" "$T/set" > "$T/set.log" 2>&1; then
	fail "featx_set.py failed: $(cat "$T/set.log")"
	finish
fi
# for each file made: its gray levels' 1st and 99th percentiles and mean against those of
# its photo scaled and cut the same way with no grain ("NAME lo hi mean" both, then ok or
# how far off)
"$PY" - "$T/src" "$T/set" > "$T/levels" << 'EOF'
import os
import sys
from PIL import Image


def stats(im):
    h = im.convert("L").histogram()
    n = sum(h)
    def pct(p):
        c = 0
        for v, k in enumerate(h):
            c += k
            if c >= p * n:
                return v
        return 255
    return pct(0.01), pct(0.99), sum(v * k for v, k in enumerate(h)) / n


src, out = sys.argv[1], sys.argv[2]
for kind in sorted(os.listdir(out)):
    for name in sorted(os.listdir(os.path.join(out, kind))):
        made = Image.open(os.path.join(out, kind, name))
        stem = os.path.splitext(name)[0]
        im = Image.open(os.path.join(src, stem + ".jpg")).convert("RGB")
        w, h = made.size
        s = max(w / im.width, h / im.height)
        up = im.resize((max(w, round(im.width * s)), max(h, round(im.height * s))),
                       Image.BICUBIC)
        dx, dy = (up.width - w) // 2, (up.height - h) // 2
        want = stats(up.crop((dx, dy, dx + w, dy + h)))
        got = stats(made)
        off = max(abs(got[0] - want[0]), abs(got[1] - want[1]), abs(got[2] - want[2]))
        print("%s/%s %d %d %.1f against %d %d %.1f %s" % (kind, name, got[0], got[1],
              got[2], want[0], want[1], want[2], "ok" if off <= 8 else "off by %.1f" % off))
EOF
check_eq "eight files made (four kinds, two photos)" "$(wc -l < "$T/levels" | tr -d ' ')" 8
while read -r f lo hi mean _ wlo whi wmean verdict; do
	check_eq "$f: gray levels 1% $lo, 99% $hi, mean $mean (the photo's $wlo, $whi, $wmean)" "$verdict" ok
done < "$T/levels"
finish
