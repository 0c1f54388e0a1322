#!/bin/sh
# azls's rclone-style filters (--include, --exclude, --include-from, --exclude-from,
# --min-size, --max-size, --max-age, --min-age) on a real folder of odd names and on the
# same names in a real Azurite container: exactly which names are listed; bad values are
# usage errors; pipeline.mk's FILTER reaches the list stage, and changing it reruns it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env
TZ=UTC
export TZ

S="$T/src"
mkdir -p "$S/a b/raw" "$S/raw" "$S/top/sub" "$S/café" "$S/日本"
put() { seeded_bytes "$2" "$3" > "$S/$1"; }
put "x.jpg" 1000 1
put "a b/y.jpg" 3000 2
put "a b/raw/z.png" 5000 3
put "raw/top.jpg" 2048 4
put "top/t.jpg" 4096 5
put "top/sub/deep.jpg" 4097 6
put "#1.jpg" 10 7
put "100%.jpg" 11 8
put "why?.jpg" 12 9
put "café/été.jpg" 13 10
put "日本/写真.webp" 14 11
put "[JP] song.jpg" 15 12
put "{a,b}.jpg" 16 13
put "notes.txt" 17 14
touch -d 2020-01-01T00:00:00Z "$S/x.jpg"
ALL='#1.jpg|100%.jpg|[JP] song.jpg|a b/raw/z.png|a b/y.jpg|café/été.jpg|raw/top.jpg|top/sub/deep.jpg|top/t.jpg|why?.jpg|x.jpg|{a,b}.jpg|日本/写真.webp|'

# names SRC OPTIONS...: the names azls lists, in its order, joined by '|'
names() { _src=$1; shift; azls -q "$@" "$_src" | jq -r .name | tr '\n' '|'; }

az_start
azls -q --all "$S" | azcp -q "$AZ/filt" > /dev/null 2> "$T/err"
check_eq "the odd names are uploaded to Azurite" "$?:$(cat "$T/err")" "0:"
check_eq "no filter: every image, on a folder" "$(names "$S")" "$ALL"
check_eq "no filter: every image, in the container" "$(names "$AZ/filt")" "$ALL"

# both DESC WANT OPTIONS...: the folder and the container list exactly WANT
both() {
	_d=$1; _w=$2; shift 2
	check_eq "$_d (folder)" "$(names "$S" "$@")" "$_w"
	check_eq "$_d (container)" "$(names "$AZ/filt" "$@")" "$_w"
}
both "*.jpg matches at any depth" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/y.jpg|café/été.jpg|raw/top.jpg|top/sub/deep.jpg|top/t.jpg|why?.jpg|x.jpg|{a,b}.jpg|' \
	--include '*.jpg'
both "a name pattern matches a whole last segment only" 'x.jpg|' --include 'x.jpg'
both "/top/* is anchored and stays in one segment" 'top/t.jpg|' --include '/top/*'
both "/top/** crosses segments" 'top/sub/deep.jpg|top/t.jpg|' --include '/top/**'
both "**/raw/** needs a folder above raw (rclone)" 'a b/raw/z.png|' --include '**/raw/**'
both "raw/** matches raw at any depth" 'a b/raw/z.png|raw/top.jpg|' --include 'raw/**'
both "a folder pattern (raw/) leaves out what is under it" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/y.jpg|café/été.jpg|top/sub/deep.jpg|top/t.jpg|why?.jpg|x.jpg|{a,b}.jpg|日本/写真.webp|' \
	--exclude 'raw/'
both "{a,b} alternatives" 'a b/raw/z.png|日本/写真.webp|' --include '*.{png,webp}'
both "? is one character, a UTF-8 one too" 'café/été.jpg|' --include 'caf?/?t?.jpg'
both "UTF-8 folder names" '日本/写真.webp|' --include '/日本/*'
both "a name with a space" 'a b/y.jpg|' --include '/a b/*.jpg'
both "classes" 'top/sub/deep.jpg|top/t.jpg|' --include '[s-u]*/**' --exclude '**'
both "negated classes" 'x.jpg|' --include '/[!#1[a-w{]*.jpg' --exclude '*/**'
both "escaped brackets and braces are themselves" '[JP] song.jpg|{a,b}.jpg|' \
	--include '\[JP\]*' --include '\{a,b\}.jpg'
both "'#', '%' and a literal '?'" '#1.jpg|100%.jpg|why?.jpg|' \
	--include '#*' --include '100%.jpg' --include 'why\?.jpg'
both "the first rule that matches decides: exclude before include" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/y.jpg|café/été.jpg|raw/top.jpg|why?.jpg|x.jpg|{a,b}.jpg|' \
	--exclude '/top/**' --include '*.jpg'
both "the first rule that matches decides: include before exclude" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/y.jpg|café/été.jpg|raw/top.jpg|top/sub/deep.jpg|top/t.jpg|why?.jpg|x.jpg|{a,b}.jpg|' \
	--include '*.jpg' --exclude '/top/**'
both "excludes only: the rest is kept" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/raw/z.png|a b/y.jpg|café/été.jpg|raw/top.jpg|top/sub/deep.jpg|top/t.jpg|x.jpg|{a,b}.jpg|日本/写真.webp|' \
	--exclude 'why?.jpg'
both "filters and --prefix together" 'top/t.jpg|' --prefix top/ --exclude 'sub/'
both "filters never bring in what is not an image" '' --include 'notes.txt'
both "with --all they apply to every file" 'notes.txt|' --all --include '*.txt'

# sizes: k is KiB; both ends inclusive
both "--min-size 2k --max-size 4k (2048 and 4096 in, 4097 out)" 'a b/y.jpg|raw/top.jpg|top/t.jpg|' \
	--min-size 2k --max-size 4k
both "--min-size 4097b" 'a b/raw/z.png|top/sub/deep.jpg|' --min-size 4097b
both "--max-size 12b" '#1.jpg|100%.jpg|why?.jpg|' --max-size 12b
both "a bare size is KiB (rclone)" 'a b/raw/z.png|top/sub/deep.jpg|' --min-size 4.001

# ages: on the folder x.jpg is from 2020, the rest from now.  In the container a blob's
# time is its "mtime" metadata (azcp keeps the file's), else its Last-Modified
check_eq "--min-age 1d (folder): only the old file" "$(names "$S" --min-age 1d)" 'x.jpg|'
check_eq "--max-age 1d (folder): all but the old file" "$(names "$S" --max-age 1d)" \
	'#1.jpg|100%.jpg|[JP] song.jpg|a b/raw/z.png|a b/y.jpg|café/été.jpg|raw/top.jpg|top/sub/deep.jpg|top/t.jpg|why?.jpg|{a,b}.jpg|日本/写真.webp|'
check_eq "--min-age with a date (folder)" "$(names "$S" --min-age 2020-06-01)" 'x.jpg|'
check_eq "--max-age with a date and time (folder)" \
	"$(names "$S" --max-age 2019-12-31T23:00:00+01:00 --min-age 2020-01-01T00:00:00Z)" 'x.jpg|'
check_eq "--min-age 1d (container: the mtime azcp kept)" "$(names "$AZ/filt" --min-age 1d)" 'x.jpg|'
check_eq "--max-age with a date to come (container)" "$(names "$AZ/filt" --max-age 2999-01-01)" ''
# an account SAS signed with the emulator's well-known key, for a plain PUT with curl
SAS=$("$PY" - <<'PY'
import base64, hashlib, hmac, urllib.parse
key = base64.b64decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")
f = dict(sv="2021-08-06", ss="b", srt="sco", sp="rwl", se="2099-01-01T00:00:00Z", spr="https,http")
sts = "\n".join(["devstoreaccount1", f["sp"], "b", "sco", "", f["se"], "", "https,http", f["sv"], ""]) + "\n"
f["sig"] = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha256).digest()).decode()
print(urllib.parse.urlencode(f))
PY
)
curl -s -f -X PUT -H 'x-ms-blob-type: BlockBlob' -H 'x-ms-version: 2021-08-06' \
    --data-binary @"$S/x.jpg" "$AZ/filt/plain/lm.jpg?$SAS" > /dev/null
check_eq "a blob without mtime metadata is put" "$?" "0"
check_eq "--max-age 1h (container: Last-Modified)" "$(names "$AZ/filt" --max-age 1h --include '/plain/*')" \
	'plain/lm.jpg|'
check_eq "--min-age 1h (container: Last-Modified)" "$(names "$AZ/filt" --min-age 1h --include '/plain/*')" ''
check_eq "--min-size and --max-size (container: the listed size)" \
	"$(names "$AZ/filt" --min-size 1000b --max-size 1000b)" 'plain/lm.jpg|x.jpg|'

# rule files: comments, blank lines, surrounding blanks; errors name the file and line
printf '# only these\n\n  /top/*  \n*.webp\n; also a comment\n' > "$T/inc"
both "--include-from" 'top/t.jpg|日本/写真.webp|' --include-from "$T/inc"
printf '*.jpg\n' > "$T/exc"
both "--exclude-from" 'a b/raw/z.png|日本/写真.webp|' --exclude-from "$T/exc"
check_eq "--exclude-from - reads standard input" \
	"$(printf '*.jpg\n*.png\n' | azls -q --exclude-from - "$S" | jq -r .name)" '日本/写真.webp'
printf '# ok\n*.jpg\n*.{png\n' > "$T/bad"
azls -q --include-from "$T/bad" "$S" > "$T/out" 2> "$T/err"
check_eq "a bad line: exit 2, the file and line named" "$?:$(cat "$T/err")" \
	"2:azls: --include-from: $T/bad:3: unmatched '{'
try 'azls --help'"
check_eq "a bad line: nothing listed" "$(wc -c < "$T/out")" "0"
azls -q --exclude-from "$T/none" "$S" > /dev/null 2> "$T/err"
check_eq "a missing rule file: exit 2" "$?:$(head -n 1 "$T/err")" \
	"2:azls: --exclude-from: $T/none: No such file or directory"

# usage errors name the option and the value
bad() {
	_w=$1; shift
	azls -q "$@" "$S" > "$T/out" 2> "$T/err"
	check_eq "usage error: $*" "$?:$(head -n 1 "$T/err"):$(wc -c < "$T/out")" "2:$_w:0"
}
bad "azls: --include: '*.{jpg': unmatched '{'" --include '*.{jpg'
bad "azls: --exclude: 'a[b': unmatched '['" --exclude 'a[b'
bad "azls: --include: '***': too many stars in a row ('**' at most)" --include '***'
bad "azls: --include: '*.{{jpe?g}}': regular expressions ('{{...}}') are not supported" \
	--include '*.{{jpe?g}}'
bad "azls: --exclude: '': empty pattern" --exclude ''
bad "azls: --min-size: expected a size such as 100k, 5M or 1G (k is KiB, b bytes; a bare number is KiB, as in rclone), got '5X'" \
	--min-size 5X
bad "azls: --max-size: expected a size such as 100k, 5M or 1G (k is KiB, b bytes; a bare number is KiB, as in rclone), got '-1'" \
	--max-size -1
bad "azls: --max-age: expected an age such as 30m, 12h, 7d or 2w (ms s m h d w M y), or a date such as 2026-01-31 or 2026-01-31T12:00:00Z, got '7 days'" \
	--max-age '7 days'
bad "azls: --min-age: expected an age such as 30m, 12h, 7d or 2w (ms s m h d w M y), or a date such as 2026-01-31 or 2026-01-31T12:00:00Z, got '2026-02-30'" \
	--min-age 2026-02-30
azls --include '*.jpg' "$S" > /dev/null 2> "$T/err"
check "the summary counts what the filters left out" \
	grep -q '^azls: listed 11 images under .* (1 other files skipped, 2 left out by the filters)' "$T/err"

# --- pipeline.mk: FILTER ------------------------------------------------------------------
P="$T/photos"
mkdir -p "$P/keep" "$P/skip"
cp "$PHOTOS/astronaut.jpg" "$P/keep/a b.jpg"
cp "$PHOTOS/chelsea.jpg" "$P/keep/#1.jpg"
cp "$PHOTOS/camera.png" "$P/skip/c.png"
cp "$PHOTOS/hubble.jpg" "$P/big.jpg"        # 265201 bytes
cp "$PHOTOS/clock.jpg" "$P/skip/d.jpg"
pipe() {
	make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$P" DST="$T/dst" WORK="$T/w" \
	    BIN="$BIN/" Q=-q "$@"
}
# run from a folder whose files match *.jpg: the pattern must reach azls as it is
cd "$P/keep"
pipe FILTER='--include "keep/**" --include *.png --exclude "*.jpg" --max-size 200k' \
    > /dev/null 2> "$T/err"
check_eq "pipeline with FILTER: exit 0" "$?:$(cat "$T/err")" "0:"
check_eq "FILTER reached the list stage, patterns unexpanded" \
	"$(jq -r .name "$T/w/list.ndjson" | tr '\n' '|')" 'keep/#1.jpg|keep/a b.jpg|skip/c.png|'
check_eq "only those reached DST" "$(cd "$T/dst" && find . -type f | sort | tr '\n' '|')" \
	'./keep/#1.jpg|./keep/a b.jpg|./skip/c.png|'
check_eq "the list stage's marker records FILTER" \
	"$(grep '^opts FILTER=' "$T/w/.done/list")" \
	'opts FILTER=--include "keep/**" --include *.png --exclude "*.jpg" --max-size 200k'
pipe FILTER='--include "keep/**" --include *.png --exclude "*.jpg" --max-size 200k' status \
    > "$T/status"
check_eq "the same FILTER again: every stage done" "$(grep -vc ' done$' "$T/status")" "0"
pipe FILTER="--include '/keep/a b.jpg'" status > "$T/status"
check_eq "a changed FILTER: the list stage is stale" "$(head -n 1 "$T/status")" \
	"list      stale (FILTER changed)"
pipe FILTER="--include '/keep/a b.jpg'" > /dev/null 2> "$T/err"
check_eq "a changed FILTER reruns the list stage" "$?:$(jq -r .name "$T/w/list.ndjson")" \
	"0:keep/a b.jpg"
check_eq "and the stages after it" \
	"$(jq -r 'select(.name) | .name' "$T/w/report.ndjson" | tr '\n' '|')" 'keep/a b.jpg|'
pipe status > "$T/status"
check_eq "no FILTER: the list stage is stale again" "$(head -n 1 "$T/status")" \
	"list      stale (FILTER changed)"
pipe FILTER='--include "keep/**' > /dev/null 2> "$T/err"
check_eq "an unmatched quote in FILTER: exit 2" "$?" "2"
check "and pipeline.mk says why" grep -q '^pipeline.mk: FILTER: cannot split it into words' "$T/err"
pipe FILTER='--max-size 5Q' > /dev/null 2> "$T/err"
check_eq "a bad FILTER value: azls's usage error stops the pipeline" "$?" "2"
check "naming the option and value" grep -q "^azls: --max-size: .*got '5Q'" "$T/err"
cd "$T"
finish
