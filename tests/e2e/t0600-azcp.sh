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
# --shard K/N: four workers on one report copy what one does, each record in one
# worker's output, a group's keeper, duplicates and group record in the same one
mkdir -p "$T/many"
i=0
: > "$T/many.ndjson"
while [ $i -lt 40 ]; do
	printf "keeper %d" $i > "$T/many/k$i.jpg"
	printf "dup %d" $i > "$T/many/d$i.jpg"
	printf "unique %d" $i > "$T/many/u$i.png"
	M=$(cd "$T/many" && pwd -P)
	echo '{"name":"k'$i'.jpg","src":"'"$M"'","dup":{"role":"keeper","group":'$i'}}' >> "$T/many.ndjson"
	echo '{"name":"d'$i'.jpg","src":"'"$M"'","dup":{"role":"duplicate","group":'$i',"keeper":"k'$i'.jpg"}}' >> "$T/many.ndjson"
	echo '{"name":"u'$i'.png","src":"'"$M"'","dup":{"role":"unique"}}' >> "$T/many.ndjson"
	i=$((i + 1))
done
i=0
while [ $i -lt 40 ]; do
	echo '{"type":"group","group":'$i',"keeper":"k'$i'.jpg","members":[{"name":"d'$i'.jpg"}]}' >> "$T/many.ndjson"
	i=$((i + 1))
done
echo '{"type":"summary","images":120}' >> "$T/many.ndjson"
azcp -q -i "$T/many.ndjson" -o "$T/one.ndjson" "$T/dst1"
rc=0
for k in 0 1 2 3; do
	azcp -q --shard $k/4 -i "$T/many.ndjson" -o "$T/sh$k.ndjson" "$T/dst4" || rc=$?
done
check_eq "four shards: exit 0" "$rc" "0"
check "four shards copy what one does" diff -r "$T/dst1" "$T/dst4"
check_same "the shards' records together are the one run's, each once" \
	"$(cat "$T"/sh[0-3].ndjson | sort | md5sum)" "$(sort "$T/one.ndjson" | md5sum)"
check "every shard has work" sh -c 'for k in 0 1 2 3; do [ $(wc -l < "$1/sh$k.ndjson") -gt 10 ] || exit 1; done' - "$T"
check_eq "a group's records stay in one shard" "$(for k in 0 1 2 3; do
	jq -r '(.dup.group // .group // empty) | tostring' "$T/sh$k.ndjson" | sort -u | sed "s/^/$k /"
	done | awk '{ print $2 }' | sort | uniq -d | wc -l)" "0"
check_eq "the summary goes to shard 0" "$(grep -l '"summary"' "$T"/sh[0-3].ndjson | sed 's|.*/||')" "sh0.ndjson"
for a in 4/4 x/2 1/0 "1/2x" "-1/2" "" 1; do
	azcp --shard "$a" "$T/dst4" < /dev/null 2> "$T/err"
	check_eq "--shard '$a': exit 2" "$?" "2"
done
check "the message names what was given" grep -q "^azcp: --shard: expected K/N with 0 <= K < N <= 1000000, got '1'$" "$T/err"
# a worker knows only its own groups: the other shards' copies would look extraneous
for opt in --list-extraneous --delete-extraneous; do
	ls -A "$T/dst4" > "$T/before"
	azcp -q --shard 1/4 $opt -i "$T/many.ndjson" "$T/dst4" > "$T/out" 2> "$T/err"
	check_eq "--shard with $opt: exit 2" "$?" "2"
	check "--shard with $opt: says why" grep -q "^azcp: --shard: each worker knows only its own groups" "$T/err"
	check_eq "--shard with $opt: nothing removed" "$(ls -A "$T/dst4")" "$(cat "$T/before")"
done
azcp > /dev/null 2>&1
check_eq "missing DST: exit 2" "$?" "2"
finish
