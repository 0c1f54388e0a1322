#!/bin/sh
# dedupe --html's review page in a real browser: a report of some 3,000 images (the
# example photos' variants with featx --thumb, hostile names among them, and records
# drawn from their features by tests/bench/realrec.py), opened from file:// in headless
# Chromium driven over the DevTools protocol (tests/browser/cdp.js, a pipe, no npm):
# paging, keys, sorting, the folder filter, a new keeper, a member that is not a
# duplicate, a split and a reviewed group by clicking, the side-by-side view, the saved
# decisions file (checked line by line against the checksums of the clicked images), a
# reload, and hostile names shown as text; then the next run obeys the saved file
# (dedupe --decisions on the same records, azcp copying what the corrected report keeps).
. "$(dirname "$0")/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
NODE=$(command -v node || command -v nodejs || true)
if [ -z "$CHROMIUM" ] || [ -z "$NODE" ]; then
	fail "chromium and node are needed (make test-deps installs them)"
	finish
fi

"$PY" "$TOP/examples/mkvariants.py" --set demo "$PHOTOS" "$T/var" > /dev/null
for h in "x<b>&\"'.jpg" "<img src=x onerror=alert(1)>.jpg"; do
	cp "$PHOTOS/chelsea.jpg" "$T/var/originals/$h"
done
mkdir -p "$T/var/originals/x<script>window.__pwned=1<"
cp "$PHOTOS/chelsea.jpg" "$T/var/originals/x<script>window.__pwned=1</script>.jpg"
azls -q "$T/var" | featx -q --thumb 96 > "$T/real"
"$PY" "$TOP/tests/bench/realrec.py" "$T/real" 3000 > "$T/syn"
cat "$T/real" "$T/syn" > "$T/feat"
page="$T/my review #1.html"
dedupe -q --html "$page" -i "$T/feat" -o "$T/report.ndjson"
check_eq "dedupe --html: exit 0" "$?" "0"
dir="$T/my review #1_files"
groups=$(jq -r 'select(.type == "summary") | .groups' "$T/report.ndjson")
check "a few hundred groups" test "$groups" -gt 200
check_eq "the groups in chunks of 64" "$(find "$dir/g" -name '*.js' | wc -l)" "$(( (groups + 63) / 64 ))"
check_eq "a thumbnail file per grouped picture with one" "$(find "$dir/t" -name '*.jpg' | wc -l)" \
	"$(jq -r 'select(.dup.role == "keeper" or .dup.role == "duplicate") | select(.thumb) | .sha256' "$T/report.ndjson" | sort -u | wc -l)"
check "the page is small: the groups are not in it" test "$(wc -c < "$page")" -lt 100000

# what the clicks must save: by the images' checksums
sha() { jq -r --arg n "$1" 'select(.name == $n) | .sha256' "$T/report.ndjson"; }
q40=$(sha variants/astronaut-q40.jpg)
sure=$(sha "holiday 2019/100% sure?.jpg")
bright=$(sha variants/chelsea-bright.jpg)
crop=$(sha variants/chelsea-crop.jpg)
chelsea=$(sha originals/chelsea.jpg)
norm() {
	jq -cS 'del(.at) | if (.sha256 | type) == "array" then .sha256 |= sort else . end
		| if .from then .from |= sort else . end | if .group then .group |= sort else . end' "$@" | sort
}
{
	echo "{\"op\":\"keeper\",\"sha256\":\"$q40\",\"name\":\"variants/astronaut-q40.jpg\"}"
	echo "{\"op\":\"not_duplicate\",\"sha256\":\"$sure\",\"of\":\"$q40\",\"name\":\"holiday 2019/100% sure?.jpg\"}"
	echo "{\"op\":\"split\",\"sha256\":[\"$bright\",\"$crop\"],\"from\":[\"$chelsea\"]}"
	echo "{\"op\":\"reviewed\",\"group\":[\"$chelsea\"]}"
} > "$T/want.ndjson"
holiday=$(jq -r 'select(.type == "group") | [.keeper, .members[].name] | map(select(startswith("holiday 2019/"))) | length' \
	"$T/report.ndjson" | grep -vc '^0$')
jq -n --argjson g "$groups" --argjson h "$holiday" --arg src "$T/var" '{groups: $g, holiday: $h, src: $src,
	hostile: ["originals/x<b>&\"'"'"'.jpg", "originals/<img src=x onerror=alert(1)>.jpg",
		"originals/x<script>window.__pwned=1</script>.jpg"]}' > "$T/expect.json"

REVIEW_SHOT=${REVIEW_SHOT:-} "$NODE" "$TOP/tests/browser/review-test.js" "$CHROMIUM" "$page" "$T/browser" "$T/expect.json" \
	> "$T/browser.out" 2>&1
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) echo "    $line" ;;
	esac
done < "$T/browser.out"
cp "$T/browser/downloads/decisions.ndjson" "$T/decisions.ndjson" 2> /dev/null
check_eq "the saved decisions are exactly the clicked ones" "$(norm "$T/decisions.ndjson" 2>&1)" "$(norm "$T/want.ndjson")"
check_eq "one line each, and a UTC time on each" \
	"$(jq -r '.at' "$T/decisions.ndjson" | grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$')" "4"

# the next run obeys the page's decisions, and azcp copies what the corrected report keeps
dedupe -q --decisions "$T/decisions.ndjson" -i "$T/feat" -o "$T/report2.ndjson"
check_eq "dedupe --decisions with the saved file: exit 0" "$?" "0"
dupof() { jq -r --arg n "$1" "select(.name == \$n) | .dup | $2" "$T/report2.ndjson"; }
check_eq "the keeper clicked keeps its group, because of the decision" \
	"$(dupof variants/astronaut-q40.jpg '"\(.role) \(.kept_because)"')" "keeper decision"
check_eq "the member marked not a duplicate is released from that keeper's group" \
	"$(dupof "holiday 2019/100% sure?.jpg" '"\(.keeper != "variants/astronaut-q40.jpg") \(.released_by)"')" "true decision"
gof() { dupof "$1" '.group // 0'; }
check "the split members share no group with the original" \
	test "$(gof variants/chelsea-bright.jpg)" != "$(gof originals/chelsea.jpg)" -a \
	"$(gof variants/chelsea-crop.jpg)" != "$(gof originals/chelsea.jpg)"
check_eq "the reviewed group is marked reviewed" \
	"$(jq -r --argjson g "$(gof originals/chelsea.jpg)" 'select(.type == "group" and .group == $g) | .reviewed' "$T/report2.ndjson")" "true"
dedupe -q --decisions "$T/decisions.ndjson" --html "$T/again.html" -i "$T/feat" -o /dev/null
check_eq "the next page marks the reviewed group as reviewed before, and only it" \
	"$(cat "$T/again_files/g/"*.js | grep -o '"id":[0-9]*,"rank":[0-9]*,"saved":[0-9]*,"rv":1' | cut -d, -f1)" \
	"\"id\":$(gof originals/chelsea.jpg)"
check_eq "the summary counts 4 decisions, all applied" \
	"$(jq -c 'select(.type == "summary") | .decisions | [.total, .applied, .unmatched]' "$T/report2.ndjson")" "[4,4,0]"
jq -c 'select(.type == null and .dup.role != "duplicate" and .src == $src) | .name' --arg src "$T/var" \
	"$T/report2.ndjson" | sort > "$T/kept"
jq -c 'select(.src == $src)' --arg src "$T/var" "$T/report2.ndjson" > "$T/report2.real"
azcp -q -i "$T/report2.real" -o "$T/copied" "$T/dst"
check_eq "azcp: exit 0" "$?" "0"
check "azcp copied the released member" cmp "$T/var/holiday 2019/100% sure?.jpg" "$T/dst/holiday 2019/100% sure?.jpg"
check "azcp copied the new keeper" cmp "$T/var/variants/astronaut-q40.jpg" "$T/dst/variants/astronaut-q40.jpg"
check_eq "azcp copied exactly the keepers and uniques" \
	"$(cd "$T/dst" && find . -type f | sed 's|^\./||' | jq -R -c . | sort)" "$(cat "$T/kept")"
finish
