#!/bin/sh
# dedupe --html: a self-contained page of the groups with featx --thumb thumbnails,
# checked as text and rendered in headless Chromium (DOM after its script ran, and a
# screenshot).
. "$(dirname "$0")/lib.sh"

"$PY" "$TOP/examples/mkvariants.py" --set demo "$PHOTOS" "$T/var" > /dev/null
cp "$PHOTOS/chelsea.jpg" "$T/var/originals/x<b>&\"'.jpg"
azls -q "$T/var" | featx -q --thumb 128 > "$T/feat"
check_eq "featx --thumb: a JPEG data: URI per image" \
	"$(jq -r '.thumb[0:23]' "$T/feat" | sort | uniq -c | tr -s ' ')" " 22 data:image/jpeg;base64,"
jq -r 'select(.name == "originals/camera.png") | .thumb[23:]' "$T/feat" | base64 -d > "$T/thumb.jpg"
check "it decodes, at most 128 pixels" sh -c "file '$T/thumb.jpg' | grep -q 'JPEG image data.* 128x128'"
dedupe -q --html "$T/report.html" -i "$T/feat" -o "$T/report.ndjson"
check_eq "dedupe --html: exit 0" "$?" "0"
groups=$(jq -r 'select(.type == "summary") | .groups' "$T/report.ndjson")
check_eq "one section per group" "$(grep -o '<section class="group"' "$T/report.html" | wc -l)" "$groups"
check_eq "a keeper marked in each" "$(grep -o '<figure class="keeper">' "$T/report.html" | wc -l)" "$groups"
check_eq "every grouped image shown with its thumbnail" \
	"$(grep -o '<img src="data:image/jpeg;base64,' "$T/report.html" | wc -l)" \
	"$(jq -r 'select(.dup.role == "keeper" or .dup.role == "duplicate") | .name' "$T/report.ndjson" | wc -l)"
check "self-contained: nothing loaded from elsewhere" sh -c "! grep -Eq '(src|href)=\"(https?:|file:|//)' '$T/report.html'"
check "names are escaped" sh -c "grep -q 'x&lt;b&gt;&amp;&quot;&#39;.jpg' '$T/report.html' && ! grep -q 'x<b>' '$T/report.html'"
dedupe -q --html "$T/report2.html" -i "$T/feat" > /dev/null
check "the same input gives the same page" cmp "$T/report.html" "$T/report2.html"
azls -q "$T/var" | featx -q | dedupe -q --html "$T/nothumb.html" > /dev/null
check "without thumbnails: placeholders" grep -q 'no thumbnail' "$T/nothumb.html"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	fail "chromium is not installed (make test-deps installs it)"
	finish
fi
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$T/chrome" --hide-scrollbars "$@" 2> "$T/chrome.err"
}
chrome --dump-dom "file://$T/report.html" > "$T/dom.html"
check "the page's script ran" grep -q 'data-ready="1"' "$T/dom.html"
sizes=$(grep -o 'data-size="[0-9]*"' "$T/dom.html" | tr -dc '0-9\n')
# shellcheck disable=SC2086
check_same "groups sorted largest first" "$(echo $sizes)" "$(echo $(echo "$sizes" | sort -rn -s))"
chrome --dump-dom "file://$T/report.html#sort=name" > "$T/dom-name.html"
names=$(grep -o 'data-name="[^"]*"' "$T/dom-name.html" | sed 's/data-name=//')
check_eq "#sort=name sorts by keeper name" "$names" "$(echo "$names" | LC_ALL=C sort)"
chrome --window-size=1100,1400 --screenshot="$T/shot.png" "file://$T/report.html" > /dev/null
check "a screenshot is drawn" test "$(wc -c < "$T/shot.png" 2> /dev/null || echo 0)" -gt 50000
check_eq "it shows thumbnails, not a blank page" "$("$PY" - "$T/shot.png" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
# distinct colours in the first group's row: photos have many, a blank page a few
row = im.crop((0, 150, 1100, 400))
print("many" if len(set(row.getdata())) > 2000 else "few")
PY
)" "many"
finish
