#!/bin/sh
# dedupe --decisions on real photos and their variants: decisions files written by hand in
# the review page's format (keeper, not_duplicate, split, reviewed), applied in every mode,
# kept across a rename (keyed by checksum), byte-identical copies told apart by "name",
# later files winning, the counts in the summary, bad files refused with FILE:LINE; azcp
# copies what the corrected report keeps; pipeline.mk's DECISIONS reruns report and copy
# when the file changes.
. "$(dirname "$0")/lib.sh"
unset SRC DST WORK STORE DECISIONS AZDEDUP_SRC AZDEDUP_DST 2> /dev/null || true

S="$T/src"
"$PY" "$TOP/examples/mkvariants.py" --only astronaut,chelsea,coffee,grass,hubble,rocket \
	"$PHOTOS" "$S" > /dev/null || { fail "mkvariants"; finish; }
mv "$S/truth.tsv" "$T/truth.tsv"
azls -q "$S" | featx -q > "$T/feat" || fail "azls | featx"
dedupe -q -i "$T/feat" -o "$T/r0" || fail "dedupe without decisions"

AST="holiday 2019/café #1.jpg"
sha() { jq -r --arg n "$1" 'select(.name == $n) | .sha256' "$T/feat"; }
# REPORT NAME: "role keeper-of-its-group" (the keeper names itself; "-" when unique)
at() {
	jq -r --arg n "$2" 'select(.name == $n) | .dup |
	    "\(.role) \(if .role == "keeper" then $n else (.keeper // "-") end)"' "$1"
}
dupf() { jq -c --arg n "$2" "select(.name == \$n) | .dup | $3" "$1"; }
summary() { jq -c "select(.type == \"summary\") | $2" "$1"; }
# the checksums of a group of REPORT (its keeper's name), as a JSON array
groupsums() {
	jq -s -c --arg k "$2" '(map(select(.dup.role != null)) | INDEX(.name)) as $r |
	    [.[] | select(.type == "group" and .keeper == $k) | .keeper, .members[].name |
	    $r[.].sha256] | unique' "$1"
}

# what the decisions will change, as it stands without them
check_eq "before: the chelsea photos keep the original" "$(at "$T/r0" variants/chelsea-fmt.png)" \
	"duplicate originals/chelsea.jpg"
check_eq "before: the bright coffee is a duplicate" "$(at "$T/r0" variants/coffee-bright.webp)" \
	"duplicate originals/coffee.webp"
check_eq "before: the halved astronaut is a duplicate" "$(at "$T/r0" variants/astronaut-half.jpg)" \
	"duplicate $AST"
check_eq "before: the q40 astronaut is a duplicate" "$(at "$T/r0" variants/astronaut-q40.jpg)" \
	"duplicate $AST"
coffee_set=$(groupsums "$T/r0" originals/coffee.webp)
check "before: the coffee group has six checksums (a copy shares one)" \
	test "$(echo "$coffee_set" | jq length)" = 6

# --- a reviewer's decisions, one of each op ----------------------------------------------
NONE=0000000000000000000000000000000000000000000000000000000000000000
{
	printf '{"op":"keeper","sha256":"%s","name":"variants/chelsea-fmt.png","at":"2026-12-02T05:00:00Z"}\n' \
		"$(sha variants/chelsea-fmt.png)"
	printf '{"op":"not_duplicate","sha256":"%s","of":"%s","note":"another cup"}\n' \
		"$(sha variants/coffee-bright.webp)" "$(sha originals/coffee.webp)"
	echo
	printf '{"op":"split","sha256":["%s","%s"],"from":["%s","%s","%s","%s"]}\n' \
		"$(sha variants/astronaut-half.jpg)" "$(sha variants/astronaut-q40.jpg)" "$(sha "$AST")" \
		"$(sha variants/astronaut-bright.jpg)" "$(sha variants/astronaut-crop.jpg)" \
		"$(sha "holiday 2019/100% sure?.png")"
	printf '{"op":"reviewed","group":%s}\n' "$(groupsums "$T/r0" originals/chelsea.jpg)"
	printf '{"op":"reviewed","group":%s}\n' "$coffee_set"
	printf '{"op":"not_duplicate","sha256":"%s","of":"%s"}\n' "$NONE" "$(sha originals/coffee.webp)"
} > "$T/d1.ndjson"

dedupe --decisions "$T/d1.ndjson" -i "$T/feat" -o "$T/r1" 2> "$T/r1.err"
check_eq "with decisions: exit 0" "$?" "0"
check_eq "keeper: the chosen image keeps its group" "$(at "$T/r1" variants/chelsea-fmt.png)" \
	"keeper variants/chelsea-fmt.png"
check_eq "keeper: kept because of the decision" "$(dupf "$T/r1" variants/chelsea-fmt.png .kept_because)" \
	'"decision"'
check_eq "keeper: the old keeper is its duplicate" "$(at "$T/r1" originals/chelsea.jpg)" \
	"duplicate variants/chelsea-fmt.png"
check_eq "keeper: the group keeps all its members" \
	"$(jq -r 'select(.type == "group" and .keeper == "variants/chelsea-fmt.png") | .count' "$T/r1")" "7"
check_eq "not_duplicate: the image is released and unique" \
	"$(dupf "$T/r1" variants/coffee-bright.webp .)" \
	'{"role":"unique","released_by":"decision","apart_from":"originals/coffee.webp"}'
check_eq "not_duplicate: the rest of the group stays" "$(at "$T/r1" variants/coffee-crop.webp)" \
	"duplicate originals/coffee.webp"
half=$(dupf "$T/r1" variants/astronaut-half.jpg .group)
q40=$(dupf "$T/r1" variants/astronaut-q40.jpg .group)
ast=$(dupf "$T/r1" "$AST" .group)
check_same "split: the two split off form a group of their own" "$half" "$q40"
check "split: not the group they came from" test "$half" != "$ast"
check_eq "split: the larger is their keeper" "$(at "$T/r1" variants/astronaut-half.jpg)" \
	"duplicate variants/astronaut-q40.jpg"
check_eq "split: each says it was released" \
	"$(dupf "$T/r1" variants/astronaut-q40.jpg '[.released_by, .apart_from]')" "[\"decision\",\"$AST\"]"
check_eq "split: the others stay with their keeper" "$(at "$T/r1" variants/astronaut-crop.jpg)" \
	"duplicate $AST"
check_eq "reviewed: the group with exactly those members is marked" \
	"$(jq -c 'select(.type == "group") | [.keeper, .reviewed]' "$T/r1" | sort | tr '\n' ' ')" \
	"[\"$AST\",null] [\"originals/coffee.webp\",null] [\"variants/astronaut-q40.jpg\",null] [\"variants/chelsea-fmt.png\",true] "
check_eq "summary: the decisions counted" "$(summary "$T/r1" .decisions)" \
	'{"total":6,"applied":5,"unmatched":1,"keepers":1,"released":3,"reviewed":1}'
check "the closing line counts them" grep -q '^dedupe: .* 0 failed, 6 decisions (5 applied, 1 unmatched) in ' "$T/r1.err"
check_eq "summary: one group more, one unique more" "$(summary "$T/r1" '[.groups, .unique]')" "[4,4]"
check "records without decisions carry no decision fields" \
	sh -c "! grep -q 'released_by' '$T/r0' && ! grep -q '\"reviewed\"' '$T/r0' && ! grep -q '\"decisions\"' '$T/r0'"
dedupe -q --decisions "$T/d1.ndjson" -i "$T/feat" -o "$T/r1b"
check "the same decisions give a byte-identical report" cmp "$T/r1" "$T/r1b"
dedupe -q --decisions "$T/d1.ndjson" -i "$T/r1" -o "$T/r1c"
# the report has no keypoints, so crops found by the keypoints alone may be missed on
# this run: what the decisions did is compared
decided() {
	jq -c 'select(.dup.released_by != null or .dup.kept_because == "decision" or
	    .reviewed != null) | [.name, .dup.role, .dup.released_by, .dup.apart_from,
	    .dup.kept_because, .keeper, .reviewed]' "$1"
}
check "the corrected report has decided records" test -n "$(decided "$T/r1")"
check_eq "run again on its own corrected report: the same decisions hold" \
	"$(decided "$T/r1c")" "$(decided "$T/r1")"

# every mode obeys the cannot-link pairs and the keeper
for m in clique components; do
	dedupe -q --mode $m --decisions "$T/d1.ndjson" -i "$T/feat" -o "$T/r-$m"
	check_eq "--mode $m: not_duplicate releases the image" \
		"$(dupf "$T/r-$m" variants/coffee-bright.webp '[.role, .released_by]')" '["unique","decision"]'
	check_eq "--mode $m: split keeps the two apart from their keeper" \
		"$(at "$T/r-$m" variants/astronaut-half.jpg)" "duplicate variants/astronaut-q40.jpg"
	check_eq "--mode $m: the chosen keeper" "$(at "$T/r-$m" originals/chelsea.jpg)" \
		"duplicate variants/chelsea-fmt.png"
done

# an empty decisions file changes nothing but the summary
: > "$T/empty.ndjson"
dedupe -q --decisions "$T/empty.ndjson" -i "$T/feat" -o "$T/r-empty"
check_eq "an empty decisions file: the same records and groups" \
	"$(grep -v '"type":"summary"' "$T/r-empty" | cksum)" "$(grep -v '"type":"summary"' "$T/r0" | cksum)"
check_eq "an empty decisions file: counted as none" "$(summary "$T/r-empty" .decisions.total)" "0"

# later files win: a second file makes the original the keeper again (of two byte-identical
# copies, the usual rule: the older)
printf '{"op":"keeper","sha256":"%s"}\n' "$(sha originals/chelsea.jpg)" > "$T/d2.ndjson"
dedupe -q --decisions "$T/d1.ndjson" --decisions "$T/d2.ndjson" -i "$T/feat" -o "$T/r2"
check_eq "a later file's keeper wins" "$(at "$T/r2" variants/chelsea-fmt.png)" \
	"duplicate originals/chelsea.jpg"
check_eq "the later keeper is kept because of its decision" \
	"$(dupf "$T/r2" originals/chelsea.jpg .kept_because)" '"decision"'
check_eq "the earlier file's other decisions still hold" "$(dupf "$T/r2" variants/coffee-bright.webp .role)" \
	'"unique"'
check_eq "both files counted" "$(summary "$T/r2" '.decisions | [.total, .keepers]')" "[7,1]"

# byte-identical copies: "name" picks which one keeps
printf '{"op":"keeper","sha256":"%s","name":"copies/chelsea-copy.jpg"}\n' "$(sha originals/chelsea.jpg)" \
	> "$T/d3.ndjson"
dedupe -q --decisions "$T/d3.ndjson" -i "$T/feat" -o "$T/r3"
check_eq "name: the named copy keeps" "$(at "$T/r3" copies/chelsea-copy.jpg)" "keeper copies/chelsea-copy.jpg"
check_eq "name: its twin is an exact duplicate of it" \
	"$(dupf "$T/r3" originals/chelsea.jpg '[.role, .keeper, .stage]')" \
	'["duplicate","copies/chelsea-copy.jpg","exact"]'

# --- a rename between runs: the decisions follow the checksum ------------------------------
mkdir -p "$S/renamed"
mv "$S/variants/coffee-bright.webp" "$S/renamed/bright coffee.webp"
azls -q "$S" | featx -q > "$T/feat-ren"
dedupe -q --decisions "$T/d1.ndjson" -i "$T/feat-ren" -o "$T/r-ren"
check_eq "renamed: still released" "$(dupf "$T/r-ren" "renamed/bright coffee.webp" '[.role, .released_by]')" \
	'["unique","decision"]'
check_eq "renamed: the same counts" "$(summary "$T/r-ren" .decisions)" \
	'{"total":6,"applied":5,"unmatched":1,"keepers":1,"released":3,"reviewed":1}'

# --- azcp copies what the corrected report keeps --------------------------------------------
azcp -q -i "$T/r-ren" -o "$T/copied" "$T/dst"
check_eq "azcp: exit 0" "$?" "0"
jq -r 'select(.dup.role == "keeper" or .dup.role == "unique") | .name' "$T/r-ren" | sort > "$T/kept"
(cd "$T/dst" && find . -type f | sed 's|^\./||' | sort) > "$T/copied.list"
check "azcp: the destination holds the keepers and the uniques" cmp "$T/kept" "$T/copied.list"
check "azcp: the released image arrives" cmp "$S/renamed/bright coffee.webp" "$T/dst/renamed/bright coffee.webp"
check "azcp: the chosen keeper arrives" cmp "$S/variants/chelsea-fmt.png" "$T/dst/variants/chelsea-fmt.png"
check "azcp: the split-off group's keeper arrives" cmp "$S/variants/astronaut-q40.jpg" \
	"$T/dst/variants/astronaut-q40.jpg"
check "azcp: the old keeper, now a duplicate, does not" test ! -e "$T/dst/originals/chelsea.jpg"

# --- bad decisions files: exit 2, FILE:LINE and the reason, nothing written ----------------
bad() {  # NAME LINES...: a file of those lines; dedupe's exit status and first error line
	f="$T/$1"; shift
	printf '%s\n' "$@" > "$f"
	dedupe --decisions "$T/d1.ndjson" --decisions "$f" -i "$T/feat" -o "$T/r-bad" 2> "$T/bad.err"
	echo "$? $(head -n 1 "$T/bad.err")"
}
good=$(head -n 1 "$T/d1.ndjson")
check_eq "malformed JSON" "$(bad b1.ndjson "$good" '{"op":"keeper","sha256":')" \
	"2 dedupe: $T/b1.ndjson:2: invalid JSON: unexpected token near end of file"
check_eq "unknown op" "$(bad b2.ndjson "$good" '' '{"op":"merge","sha256":"'$NONE'"}')" \
	"2 dedupe: $T/b2.ndjson:3: unknown op \"merge\" (expected keeper, not_duplicate, split or reviewed)"
check_eq "bad checksum" "$(bad b3.ndjson '{"op":"keeper","sha256":"'${NONE%0}'"}')" \
	"2 dedupe: $T/b3.ndjson:1: \"sha256\": not a checksum (64 lower-case hex digits)"
check_eq "upper-case checksum" "$(bad b4.ndjson "{\"op\":\"not_duplicate\",\"sha256\":\"$(sha "$AST" | tr a-f A-F)\",\"of\":\"$NONE\"}")" \
	"2 dedupe: $T/b4.ndjson:1: \"sha256\": not a checksum (64 lower-case hex digits)"
check_eq "not an object" "$(bad b5.ndjson '["keeper"]')" "2 dedupe: $T/b5.ndjson:1: not a JSON object"
check_eq "a missing file" "$(dedupe --decisions "$T/nosuch" -i "$T/feat" -o "$T/r-bad" 2>&1; echo "rc $?")" \
	"dedupe: $T/nosuch: No such file or directory
rc 2"
check "no report is written for a bad file" test ! -e "$T/r-bad"

# --- pipeline.mk DECISIONS: a changed file reruns report and copy ---------------------------
pl() { make --no-print-directory -f "$TOP/pipeline.mk" BIN="$BIN/" SRC="$S" DST="$T/pdst" WORK="$T/w" "$@"; }
: > "$T/pd.ndjson"
pl -s Q=-q DECISIONS="$T/pd.ndjson" > "$T/p1.out" 2>&1
check_eq "pipeline with DECISIONS: exit 0" "$?" "0"
check "pipeline: the crop is a duplicate, not copied" test ! -e "$T/pdst/variants/coffee-crop.webp"
printf '{"op":"not_duplicate","sha256":"%s","of":"%s"}\n' "$(sha variants/coffee-crop.webp)" \
	"$(sha originals/coffee.webp)" >> "$T/pd.ndjson"
pl DECISIONS="$T/pd.ndjson" status > "$T/p.status" 2>&1
check "status: report stale because the decisions changed" grep -qx 'report    stale (DECISIONS changed)' "$T/p.status"
check "status: copy waits for report" grep -qx 'copy      stale (report is not done)' "$T/p.status"
check "status: features still done" grep -qx 'features  done' "$T/p.status"
pl V=1 Q=-q DECISIONS="$T/pd.ndjson" > "$T/p2.out" 2>&1
check_eq "pipeline rerun: exit 0" "$?" "0"
check "pipeline rerun: dedupe ran with the decisions" grep -q "bin/dedupe .*--decisions $T/pd.ndjson" "$T/p2.out"
check "pipeline rerun: azcp ran" grep -q 'bin/azcp ' "$T/p2.out"
check "pipeline rerun: featx did not" sh -c "! grep -q 'bin/featx ' '$T/p2.out'"
check "pipeline rerun: the report stage's line" grep -q '^dedupe  *[0-9,]* images: ' "$T/p2.out"
check_eq "pipeline rerun: the crop is released" \
	"$(dupf "$T/w/report.ndjson" variants/coffee-crop.webp '[.role, .released_by]')" '["unique","decision"]'
check "pipeline rerun: the released image was copied" cmp "$S/variants/coffee-crop.webp" \
	"$T/pdst/variants/coffee-crop.webp"
pl -s Q=-q DECISIONS="$T/pd.ndjson" > "$T/p3.out" 2>&1
check_eq "pipeline, the same decisions again: nothing runs" "$?:$(cat "$T/p3.out")" "0:"
pl status > "$T/p4.status" 2>&1
check "status without DECISIONS: report stale" grep -qx 'report    stale (DECISIONS changed)' "$T/p4.status"
pl DECISIONS="$T/nosuch.ndjson" > "$T/p5.out" 2>&1
check "pipeline with a missing decisions file fails" test "$?" -ne 0
check "and says which file" grep -q "^dedupe: $T/nosuch.ndjson: No such file or directory" "$T/p5.out"

finish
