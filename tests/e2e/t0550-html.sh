#!/bin/sh
# dedupe --html: the review page and its folder (NAME_files: the groups in chunks, the
# index, the featx --thumb thumbnails as JPEG files), checked as files and rendered in
# headless Chromium (the DOM after its script ran, and a screenshot).  The clicking is
# t0555's.
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
D="$T/report_files"
groups=$(jq -r 'select(.type == "summary") | .groups' "$T/report.ndjson")
check_eq "the folder next to it: the groups in chunks, the index" \
	"$(cd "$D" && ls g index.js)" "$(printf 'index.js\n\ng:\n000000.js')"
check_eq "every grouped picture's thumbnail as a file, by checksum" \
	"$(cd "$D/t" && find . -name '*.jpg' | sed 's|.*/||' | sort)" \
	"$(jq -r 'select(.dup.role == "keeper" or .dup.role == "duplicate") | .sha256 + ".jpg"' "$T/report.ndjson" | sort -u)"
sha=$(jq -r 'select(.name == "originals/camera.png") | .sha256' "$T/feat")
check "the same bytes as the record's thumbnail" cmp "$T/thumb.jpg" "$D/t/$(echo "$sha" | cut -c1-2)/$sha.jpg"
check "self-contained: the page loads nothing from elsewhere" sh -c "! grep -Eq '(src|href)=\"(https?:|file:|//)' '$T/report.html'"
check "names reach the folder as JSON, escaped" sh -c "grep -q 'x\\\\u003cb\\\\u003e\\\\u0026\\\\\"'\"'\"'.jpg' '$D/g/000000.js' && ! grep -rq 'x<b>' '$T/report.html' '$D'"
check_eq "the originals' file:// URLs, percent-encoded" \
	"$(grep -o '"u":"[^"]*100[^"]*"' "$D/g/000000.js")" "\"u\":\"file://$T/var/holiday%202019/100%25%20sure%3F.jpg\""
mkdir "$T/again"
dedupe -q --html "$T/again/report.html" -i "$T/feat" > /dev/null
check "the same input gives the same page" cmp "$T/report.html" "$T/again/report.html"
check "and the same folder" diff -r "$D" "$T/again/report_files"
head -n 8 "$T/feat" | dedupe -q --html "$T/report.html" > /dev/null
check "a new page replaces the folder: no thumbnail of the old one left" \
	test "$(find "$D/t" -name '*.jpg' | wc -l)" -lt "$(find "$T/again/report_files/t" -name '*.jpg' | wc -l)"
mkdir "$T/mine_files"
echo keep > "$T/mine_files/notes.txt"
dedupe -q --html "$T/mine.html" -i "$T/feat" > /dev/null 2> "$T/mine.err"
check_eq "a folder of that name that is not a review folder: an error" "$?" "2"
check "that says why" grep -q 'mine_files: exists and is not a review folder' "$T/mine.err"
check "and leaves it, and writes no page" sh -c "test \"\$(cat '$T/mine_files/notes.txt')\" = keep && ! test -e '$T/mine.html' && test -z \"\$(find '$T' -maxdepth 1 -name '.mine_files*')\""
# an Azure source with a SAS in it: the blob's URL goes in, never the SAS
jq -c '.src = "https://acct.blob.core.windows.net/photos?sv=2024&sig=SECRETSIG"' "$T/feat" |
	dedupe -q --html "$T/az.html" > /dev/null
check "the blob URL without the SAS" sh -c "grep -q '\"u\":\"https://acct.blob.core.windows.net/photos/originals/' '$T/az_files/g/000000.js' && ! grep -rq SECRETSIG '$T/az.html' '$T/az_files'"
long="$T/a folder with a name long enough to pass the sixty-fourth byte of a path"
mkdir "$long"
dedupe -q --html "$long/report.html" -i "$T/feat" > /dev/null
check "a long path: the page and its chunks" test -s "$long/report.html" -a -s "$long/report_files/g/000000.js"
azls -q "$T/var" | featx -q | dedupe -q --html "$T/nothumb.html" > /dev/null
check "without thumbnails: no files" test ! -e "$T/nothumb_files/t"

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
chrome --dump-dom "file://$T/again/report.html" > "$T/dom.html"
check "the page's script ran" grep -q 'data-ready="1"' "$T/dom.html"
check_eq "one section per group" "$(grep -o '<section class="group' "$T/dom.html" | wc -l)" "$groups"
check_eq "a keeper marked in each" "$(grep -o '<figure class="keeper' "$T/dom.html" | wc -l)" "$groups"
check_eq "every grouped image shown with its thumbnail file" \
	"$(grep -o '<img[^>]*src="report_files/t/[0-9a-f]\{2\}/[0-9a-f]\{64\}.jpg"' "$T/dom.html" | wc -l)" \
	"$(jq -r 'select(.dup.role == "keeper" or .dup.role == "duplicate") | .name' "$T/report.ndjson" | wc -l)"
check "names are text in the page" sh -c "grep -q 'x&lt;b&gt;&amp;\"'\"'\"'.jpg' '$T/dom.html' && ! grep -q 'x<b>' '$T/dom.html'"
ranks=$(grep -o 'data-rank="[0-9]*"' "$T/dom.html" | tr -dc '0-9\n')
# shellcheck disable=SC2086
check_same "groups come weakest evidence first" "$(echo $ranks)" "$(echo $(echo "$ranks" | sort -n -s))"
chrome --dump-dom "file://$T/again/report.html#sort=size" > "$T/dom-size.html"
sizes=$(grep -o 'data-size="[0-9]*"' "$T/dom-size.html" | tr -dc '0-9\n')
# shellcheck disable=SC2086
check_same "#sort=size: largest groups first" "$(echo $sizes)" "$(echo $(echo "$sizes" | sort -rn -s))"
chrome --dump-dom "file://$T/nothumb.html" > "$T/dom-nothumb.html"
check "without thumbnails: placeholders" grep -q 'no thumbnail' "$T/dom-nothumb.html"
chrome --window-size=1100,1400 --screenshot="$T/shot.png" "file://$T/again/report.html" > /dev/null
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
