#!/bin/sh
# azcp: copies keepers and uniques only, never clobbers, skips what is already there.
. "$(dirname "$0")/lib.sh"

S="$T/src"
mkdir -p "$S/sub dir"
printf keeper > "$S/k.jpg"
printf dup > "$S/d.jpg"
printf unique > "$S/sub dir/u #1.png"
printf plain > "$S/p.jpg"
SS=$(cd "$S" && pwd -P)
cat > "$T/report.ndjson" <<JSON
{"name":"k.jpg","size":6,"src":"$SS","dup":{"role":"keeper","group":1}}
{"name":"d.jpg","size":3,"src":"$SS","dup":{"role":"duplicate","group":1,"keeper":"k.jpg","stage":"near"}}
{"name":"sub dir/u #1.png","size":6,"src":"$SS","dup":{"role":"unique"}}
{"name":"bad.jpg","src":"$SS","error":{"stage":"featx","code":"corrupt","message":"not a JPEG"}}
{"name":"p.jpg","size":5,"src":"$SS"}
{"type":"group","group":1,"keeper":"k.jpg","members":[{"name":"d.jpg"}]}
{"type":"summary","images":4}
JSON

azcp -i "$T/report.ndjson" -o "$T/copied.ndjson" "$T/dst" 2> "$T/err"
check_eq "exit 0" "$?" "0"
check_eq "keepers, uniques and plain records copied; duplicates and failures not" \
	"$(cd "$T/dst" && find . -type f | sort | tr '\n' '|')" "./k.jpg|./p.jpg|./sub dir/u #1.png|"
check "bytes identical" cmp "$S/sub dir/u #1.png" "$T/dst/sub dir/u #1.png"
check_eq "copy status per record" "$(jq -r '.copy // "-"' "$T/copied.ndjson" | tr '\n' '|')" \
	"copied|skipped (duplicate)|copied|skipped (failed upstream)|copied|-|-|"
check "summary counts" grep -q '^azcp: 3 copied (0.0 MB), 0 already there, 1 duplicates left out, 1 failed upstream, 0 failed' "$T/err"

azcp -q -i "$T/report.ndjson" -o "$T/copied2.ndjson" "$T/dst"
check_eq "rerun: everything already there" "$(jq -r 'select(.copy=="unchanged") | .name' "$T/copied2.ndjson" | wc -l)" "3"

printf different > "$T/dst/k.jpg"
azcp -i "$T/report.ndjson" -o "$T/copied3.ndjson" "$T/dst" 2> "$T/err"
check_eq "a different destination file is an error: exit 1" "$?" "1"
check_eq "and is left alone" "$(cat "$T/dst/k.jpg")" "different"
check "the message says how to replace it" grep -q '^azcp: k.jpg: destination exists with different content (use --overwrite to replace it)$' "$T/err"
azcp -q --overwrite -i "$T/report.ndjson" "$T/dst" > /dev/null
check_eq "--overwrite replaces it" "$(cat "$T/dst/k.jpg")" "keeper"

# a source that vanished after the fetch: the work copy in "path" is used
mkdir -p "$T/w"
printf fromwork > "$T/w/gone.jpg"
echo '{"name":"gone.jpg","src":"'"$SS"'","path":"'"$T/w/gone.jpg"'"}' | azcp -q "$T/dst" > /dev/null
check_eq "falls back on the work copy" "$(cat "$T/dst/gone.jpg")" "fromwork"
check_eq "no temporaries left in the destination" "$(find "$T/dst" -name '.*' | wc -l)" "0"
azcp > /dev/null 2>&1
check_eq "missing DST: exit 2" "$?" "2"
finish
