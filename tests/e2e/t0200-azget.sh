#!/bin/sh
# azget from a local folder: links or copies, skips what is present, reports bad records.
. "$(dirname "$0")/lib.sh"

S="$T/src"
mkdir -p "$S/d e"
printf abc > "$S/one.jpg"
printf defg > "$S/d e/two #%.png"
azls -q "$S" > "$T/ls.ndjson"

azget -d "$T/w" -i "$T/ls.ndjson" -o "$T/got.ndjson" 2> "$T/err"
check_eq "exit 0" "$?" "0"
check_eq "path added under the work folder" "$(jq -r .path "$T/got.ndjson" | tr '\n' '|')" \
	"$(cd "$T" && pwd -P)/w/d e/two #%.png|$(cd "$T" && pwd -P)/w/one.jpg|"
check "contents identical" cmp "$S/d e/two #%.png" "$T/w/d e/two #%.png"
check_eq "other fields passed through" "$(jq -c '[.name,.size,.etag!=null,.src!=null]' "$T/got.ndjson" | head -1)" '["d e/two #%.png",4,true,true]'
check_same "hard link for a local source" "$(stat -c %i "$S/one.jpg")" "$(stat -c %i "$T/w/one.jpg")"
check "summary on stderr" grep -q '^azget: 2 fetched, 0 already present, 0 failed' "$T/err"

azget -d "$T/w" -i "$T/ls.ndjson" -o "$T/got2.ndjson" 2> "$T/err"
check "rerun fetches nothing" grep -q '^azget: 0 fetched, 2 already present' "$T/err"
check "rerun output identical" cmp "$T/got.ndjson" "$T/got2.ndjson"

azget --copy -d "$T/c" -i "$T/ls.ndjson" -q > /dev/null
check "--copy makes an independent file" test "$(stat -c %i "$S/one.jpg")" != "$(stat -c %i "$T/c/one.jpg")"
check "--copy keeps the mtime" test "$(stat -c %Y "$S/one.jpg")" = "$(stat -c %Y "$T/c/one.jpg")"

# a bad line, an unsafe name, a vanished file and an upstream failure: each reported, none stops the run
{
	head -1 "$T/ls.ndjson"
	echo '{"name":"../../etc/passwd","src":"'"$S"'"}'
	echo 'this is not json'
	echo '{"name":"gone.jpg","src":"'"$S"'"}'
	echo '{"name":"x.jpg","error":{"stage":"azls","code":"io","message":"boom"}}'
	tail -1 "$T/ls.ndjson"
} > "$T/mixed.ndjson"
azget -d "$T/w" -i "$T/mixed.ndjson" > "$T/out" 2> "$T/err"
check_eq "some records failed: exit 1" "$?" "1"
check_eq "every record comes out, in order" "$(wc -l < "$T/out")" "6"
check_eq "error codes by record" "$(jq -r '.error.code // "-"' "$T/out" | tr '\n' ' ')" "- usage bad_record not_found io - "
check "malformed line named with its line number" grep -q '^azget: .*mixed.ndjson:3: invalid JSON' "$T/err"
check "unsafe name refused" grep -q '^azget: ../../etc/passwd: unsafe name' "$T/err"
check "vanished file named" grep -q "^azget: gone.jpg: not found in $(cd "$S" && pwd -P)\$" "$T/err"
check "nothing written outside the work folder" test ! -e "$T/etc"

azget -i "$T/ls.ndjson" > /dev/null 2>&1
check_eq "missing -d is a usage error" "$?" "2"
finish
