#!/bin/sh
# azls on a local folder: order, fields, odd names, filters, shards, errors.
. "$(dirname "$0")/lib.sh"

S="$T/src"
mkdir -p "$S/a" "$S/z z" "$S/café" "$S/.git"
printf 1 > "$S/a/b.jpg"
printf 22 > "$S/a-b.JPG"
printf 333 > "$S/a.png"
printf 4444 > "$S/z z/#1 %20?.webp"
printf 55555 > "$S/café/x.jpeg"
printf x > "$S/notes.txt"
printf x > "$S/.hidden.jpg"
printf x > "$S/.git/objects.jpg"

azls -q "$S" > "$T/ls.ndjson" 2> "$T/err"
check_eq "exit 0, nothing on stderr with -q" "$?:$(cat "$T/err")" "0:"
check_eq "image names in byte order, relative to SRC" \
	"$(jq -r .name "$T/ls.ndjson" | tr '\n' '|')" "a-b.JPG|a.png|a/b.jpg|café/x.jpeg|z z/#1 %20?.webp|"
check_eq "sizes" "$(jq -r .size "$T/ls.ndjson" | tr '\n' ' ')" "2 3 1 5 4 "
check "every record has mtime, etag and src" \
	jq -s -e 'all(.[]; (.mtime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")) and (.etag | length) > 0 and .src != null)' "$T/ls.ndjson"
check_eq "src is the absolute folder" "$(jq -r .src "$T/ls.ndjson" | sort -u)" "$(cd "$S" && pwd -P)"
check_eq "--all includes other files" "$(azls -q --all "$S" | jq -r .name | grep -c txt)" "1"
check_eq "--prefix" "$(azls -q --prefix 'a/' "$S" | jq -r .name)" "a/b.jpg"
check_eq "file:// URL" "$(azls -q "file://$S" | wc -l)" "5"

# shards: disjoint, and together the whole listing
for k in 0 1 2; do azls -q --shard $k/3 "$S" | jq -r .name; done | sort > "$T/shards"
jq -r .name "$T/ls.ndjson" | sort > "$T/whole"
check "3 shards cover the listing exactly once" cmp "$T/shards" "$T/whole"
azls -q --shard 3/3 "$S" > /dev/null 2> "$T/err"
check_eq "bad --shard is a usage error" "$?:$(cat "$T/err")" "2:azls: --shard: expected K/N with 0 <= K < N <= 1000000, got '3/3'
try 'azls --help'"

azls -q "$T/missing" > "$T/out" 2> "$T/err"
check_eq "missing folder: exit 2, one clear line" "$?:$(cat "$T/err")" "2:azls: $T/missing: No such file or directory"
check_eq "missing folder: no records" "$(wc -c < "$T/out")" "0"
azls -q -o "$T/o.ndjson" "$S"
check "-o writes the same records" cmp "$T/o.ndjson" "$T/ls.ndjson"
check_eq "-o leaves no temporary behind" "$(ls -A "$T" | grep -c '\.tmp\.')" "0"
check "--help exits 0" azls --help
check "--version names the tool" sh -c 'azls --version | grep -q "^azls (azdedup) "'
azls --bogus > /dev/null 2>&1
check_eq "unknown option: exit 2" "$?" "2"
finish
