#!/bin/sh
# azcp acting on a report: --dry-run touches nothing (local folders and a real Azurite),
# --list-extraneous and --delete-extraneous find and remove exactly what a stricter rerun
# no longer keeps, --link makes links, --quarantine moves duplicates out with an undo list
# that --undo replays byte for byte.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env
az_start

S="$T/src"
mkdir -p "$S/sub"
cp "$PHOTOS/astronaut.jpg" "$S/a.jpg"
cp "$PHOTOS/astronaut.jpg" "$S/a-copy.jpg"
cp "$PHOTOS/chelsea.jpg" "$S/sub/c.jpg"
cp "$PHOTOS/camera.png" "$S/sub/d.png"
SS=$(cd "$S" && pwd -P)
# a tree's state: every file, link and folder with its content's hash or link target
tree() { (cd "$1" 2> /dev/null && find . -printf '%y %p %l %s\n' | sort &&
	find . -type f -exec sha256sum {} + | sort) | sha256sum; }
rec() { echo '{"name":"'"$1"'","size":'"$(stat -c %s "$S/$1")"',"src":"'"$SS"'","dup":{"role":"'"$2"'"}}'; }
# the first report keeps all but a-copy.jpg; a stricter rerun also calls sub/d.png a duplicate
{ rec a.jpg keeper; rec a-copy.jpg duplicate; rec sub/c.jpg unique; rec sub/d.png unique
  echo '{"type":"summary","images":4}'; } > "$T/r1.ndjson"
{ rec a.jpg keeper; rec a-copy.jpg duplicate; rec sub/c.jpg unique; rec sub/d.png duplicate
  } > "$T/r2.ndjson"

# ---- dry run: nothing touched, local and Azure
before=$(tree "$S")
azcp --dry-run -i "$T/r1.ndjson" -o "$T/plan.ndjson" "$T/dst" 2> "$T/err"
check_eq "dry run to a missing folder: exit 0" "$?" "0"
check "the folder is not created" test ! -e "$T/dst"
check "the summary says it is a dry run" grep -q '^azcp: dry run: 3 to copy' "$T/err"
check_eq "the plan per record" "$(jq -r '.plan // "-"' "$T/plan.ndjson" | tr '\n' '|')" \
	"copy|skipped (duplicate)|copy|copy|-|"
check_eq "source untouched" "$(tree "$S")" "$before"
azcp -q -i "$T/r1.ndjson" "$T/dst" > /dev/null
dbefore=$(tree "$T/dst")
printf other > "$T/dst/sub/c.jpg.x"
cp "$T/dst/sub/c.jpg" "$T/c.keep" && printf changed > "$T/dst/sub/c.jpg"
azcp --dry-run --delete-extraneous -i "$T/r2.ndjson" -o "$T/plan2.ndjson" "$T/dst" 2> "$T/err"
check_eq "dry run with a different file in the way: exit 1 (as the copy would)" "$?" "1"
check_eq "plan: unchanged, refused, extraneous would be removed" \
	"$(jq -r '[.name, (.plan // .error.code)] | join("=")' "$T/plan2.ndjson" | tr '\n' '|')" \
	"a.jpg=unchanged|a-copy.jpg=skipped (duplicate)|sub/c.jpg=exists|sub/d.png=skipped (duplicate)|sub/c.jpg.x=remove|sub/d.png=remove|"
check_eq "nothing removed or written by the dry run" "$(cat "$T/dst/sub/c.jpg")" "changed"
check "the extraneous files are still there" test -f "$T/dst/sub/d.png" -a -f "$T/dst/sub/c.jpg.x"
cp "$T/c.keep" "$T/dst/sub/c.jpg" && rm "$T/dst/sub/c.jpg.x"
check_eq "destination as it was" "$(tree "$T/dst")" "$dbefore"

azcp -q --dry-run -i "$T/r1.ndjson" -o "$T/azplan.ndjson" "$AZ/drycont" 2> "$T/err"
check_eq "dry run to a missing container: exit 0" "$?" "0"
check_eq "every kept image would be copied" "$(jq -r 'select(.plan=="copy") | .name' "$T/azplan.ndjson" | wc -l)" "3"
azls -q "$AZ/drycont" > /dev/null 2> "$T/err"
check "no container was created" grep -q "does not exist" "$T/err"
check_eq "source untouched" "$(tree "$S")" "$before"

# ---- destination sync: Azure
azcp -q -i "$T/r1.ndjson" "$AZ/sync" > /dev/null
check_eq "first run copied three" "$(azls -q --all "$AZ/sync" | jq -r .name | tr '\n' ' ')" "a.jpg sub/c.jpg sub/d.png "
azls -q --all "$AZ/sync" > "$T/az1.ndjson"
azcp --list-extraneous -i "$T/r2.ndjson" -o "$T/extra.ndjson" "$AZ/sync" 2> "$T/err"
check_eq "--list-extraneous: exit 0" "$?" "0"
check_eq "lists exactly the blob the stricter rerun no longer keeps" \
	"$(jq -c '[.type, .name]' "$T/extra.ndjson")" '["extraneous","sub/d.png"]'
check_eq "and removes nothing" "$(azls -q --all "$AZ/sync" | jq -r .name | wc -l)" "3"
azcp --dry-run --delete-extraneous -i "$T/r2.ndjson" -o "$T/extra2.ndjson" "$AZ/sync" 2> "$T/err"
check_eq "dry run of --delete-extraneous plans the removal" \
	"$(jq -r 'select(.type=="extraneous") | .plan' "$T/extra2.ndjson")" "remove"
check_eq "the blobs are all still there, as they were" "$(azls -q --all "$AZ/sync")" "$(cat "$T/az1.ndjson")"
{ cat "$T/r2.ndjson"; echo '{"name":"bad.jpg","src":"'"$SS"'","error":{"stage":"featx","code":"corrupt","message":"x"}}'; } |
	azcp --delete-extraneous "$AZ/sync" > /dev/null 2> "$T/err"
check_eq "--delete-extraneous with records failed upstream: exit 2" "$?" "2"
check "it says why" grep -q "records failed upstream" "$T/err"
check_eq "nothing removed" "$(azls -q --all "$AZ/sync" | jq -r .name | wc -l)" "3"
azcp --delete-extraneous -i "$T/r2.ndjson" -o "$T/del.ndjson" "$AZ/sync" 2> "$T/err"
check_eq "--delete-extraneous: exit 0" "$?" "0"
check "summary" grep -q '^azcp: 1 extraneous in DST, 1 removed, 0 not removed' "$T/err"
check_eq "the removal is recorded" "$(jq -r 'select(.type=="extraneous") | .name + "=" + .copy' "$T/del.ndjson")" "sub/d.png=removed"
check_eq "exactly the extraneous blob is gone" "$(azls -q --all "$AZ/sync" | jq -r .name | tr '\n' ' ')" "a.jpg sub/c.jpg "

# ---- destination sync: a local folder
azcp --list-extraneous -i "$T/r2.ndjson" "$T/dst" > "$T/lextra.ndjson" 2> "$T/err"
check_eq "local --list-extraneous" "$(jq -r .name "$T/lextra.ndjson")" "sub/d.png"
azcp -q --delete-extraneous -i "$T/r2.ndjson" "$T/dst" > /dev/null
check_eq "local --delete-extraneous removes exactly it" \
	"$(cd "$T/dst" && find . -type f | sort | tr '\n' ' ')" "./a.jpg ./sub/c.jpg "

# ---- links
azcp -q --link hard -i "$T/r1.ndjson" -o "$T/hard.ndjson" "$T/hard"
check_eq "hard links: the same inode" "$(stat -c %i "$T/hard/sub/c.jpg")" "$(stat -c %i "$S/sub/c.jpg")"
check_eq "recorded as linked" "$(jq -r 'select(.copy=="linked") | .name' "$T/hard.ndjson" | wc -l)" "3"
check "no duplicate linked" test ! -e "$T/hard/a-copy.jpg"
azcp -q --link sym -i "$T/r1.ndjson" "$T/sym" > /dev/null
check_eq "symbolic links to the source" "$(readlink "$T/sym/sub/d.png")" "$SS/sub/d.png"
azcp -q --link sym -i "$T/r1.ndjson" -o "$T/sym2.ndjson" "$T/sym"
check_eq "a rerun leaves the links alone" "$(jq -r 'select(.copy=="unchanged") | .name' "$T/sym2.ndjson" | wc -l)" "3"
azcp -q --link hard -i "$T/r1.ndjson" "$AZ/links" > /dev/null 2> "$T/err"
check_eq "--link to a container: exit 2" "$?" "2"
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	azcp --link hard -i "$T/r1.ndjson" /dev/shm/azd-t0610-$$ > /dev/null 2> "$T/err"
	check_eq "a hard link across file systems fails per record: exit 1" "$?" "1"
	check "and says why" grep -q "a hard link cannot cross file systems" "$T/err"
	rm -rf /dev/shm/azd-t0610-$$
else
	skip "no second file system to link across"
fi

# ---- quarantine and undo
before=$(tree "$S")
azcp --quarantine "$T/q" -i "$T/r2.ndjson" -o "$T/q.ndjson" 2> "$T/err"
check_eq "--quarantine: exit 0" "$?" "0"
check "summary" grep -q '^azcp: 2 duplicates moved to the quarantine' "$T/err"
check_eq "the records say where each went" \
	"$(jq -r 'select(.copy=="quarantined") | .quarantine' "$T/q.ndjson" | tr '\n' ' ')" \
	"$T/q/a-copy.jpg $T/q/sub/d.png "
check_eq "the duplicates moved, keeping their paths" "$(cd "$T/q" && find . -type f | sort | tr '\n' ' ')" \
	"./a-copy.jpg ./sub/d.png ./undo.ndjson "
check "the keepers stay" test -f "$S/a.jpg" -a -f "$S/sub/c.jpg" -a ! -e "$S/sub/d.png"
check_eq "the undo list names each move with its hash" \
	"$(jq -r '[.from, .to, .sha256] | join(" ")' "$T/q/undo.ndjson" | sort)" \
	"$SS/a-copy.jpg $T/q/a-copy.jpg $(sha256sum < "$PHOTOS/astronaut.jpg" | cut -d' ' -f1)
$SS/sub/d.png $T/q/sub/d.png $(sha256sum < "$PHOTOS/camera.png" | cut -d' ' -f1)"
printf intruder > "$S/sub/d.png"
azcp --undo "$T/q/undo.ndjson" 2> "$T/err"
check_eq "undo refuses to write over a file now in the way: exit 1" "$?" "1"
check_eq "the file in the way is kept" "$(cat "$S/sub/d.png")" "intruder"
rm "$S/sub/d.png"
mv "$S/a-copy.jpg" "$T/q/a-copy.jpg"
azcp --undo "$T/q/undo.ndjson" 2> "$T/err"
check_eq "undo: exit 0" "$?" "0"
check_eq "the source is back byte for byte" "$(tree "$S")" "$before"
check "the undo list is marked as replayed" test -f "$T/q/undo.ndjson.undone" -a ! -e "$T/q/undo.ndjson"
azcp --quarantine "$S/q" -i "$T/r2.ndjson" > /dev/null 2> "$T/err"
check_eq "a quarantine inside the source is refused: exit 2" "$?" "2"
check_eq "and nothing moved" "$(tree "$S" | head -c0; cd "$S" && find . -name '*.jpg' -o -name '*.png' | wc -l)" "4"
# ---- the pipeline's DRY_RUN=1: a plan, no copy, no marker
mkdir -p "$T/psrc"
cp "$PHOTOS/astronaut.jpg" "$PHOTOS/chelsea.jpg" "$T/psrc/"
make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$T/psrc" DST="$T/pdst" WORK="$T/pw" \
	BIN="$BIN/" Q=-q DRY_RUN=1 > /dev/null 2> "$T/err"
check_eq "pipeline DRY_RUN=1: exit 0" "$?" "0"
check "DST not created" test ! -e "$T/pdst"
check_eq "the plan copies both images" "$(jq -r 'select(.plan=="copy") | .name' "$T/pw/plan.ndjson" | wc -l)" "2"
check "the copy stage is not marked done" test ! -e "$T/pw/.done/copy" -a ! -e "$T/pw/.done/copy.incomplete"
check "the report stage is" test -f "$T/pw/.done/report"
make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$T/psrc" DST="$T/pdst" WORK="$T/pw" \
	BIN="$BIN/" Q=-q > /dev/null 2> "$T/err"
check_eq "the run after it copies: both there" "$(ls "$T/pdst" | wc -l)" "2"
check "and marks the copy stage done" test -f "$T/pw/.done/copy"
printf 'not json\n' > "$T/bad-undo.ndjson"
azcp --undo "$T/bad-undo.ndjson" 2> "$T/err"
check_eq "a malformed undo list: exit 2" "$?" "2"
check "naming the file and line" grep -q "bad-undo.ndjson:1: not an undo entry" "$T/err"
finish
