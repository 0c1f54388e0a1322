#!/bin/sh
# demo.sh — what `make demo` runs: make known near-duplicates of the example photos, add
# a few broken files, run the whole pipeline on them and show the groups it found.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
D=${DEMO_DIR:-$BUILD/demo}
rm -rf "$D"
mkdir -p "$D/src/broken"

/usr/bin/python3 examples/mkvariants.py --set demo examples/photos "$D/src"
mv "$D/src/truth.tsv" "$D/truth.tsv"
# what real collections also hold: a cut-off download, an empty file, a text file named .jpg
first=$(ls examples/photos/*.jpg | head -n 1)
head -c 3000 "$first" > "$D/src/broken/cut-off.jpg"
: > "$D/src/broken/empty.jpg"
echo "not a photo" > "$D/src/broken/notes.jpg"

echo "== running the pipeline on $(find "$D/src" -type f | wc -l) files in $D/src"
t0=$(date +%s.%N)
make --no-print-directory -f pipeline.mk SRC="$D/src" DST="$D/unique" WORK="$D/work" \
	BIN="$BUILD/bin/" | grep -v '^\(\$\|make\)' || true
t1=$(date +%s.%N)
R="$D/work/report.ndjson"
[ -s "$R" ] || { echo "demo: the pipeline wrote no report" >&2; exit 1; }

echo
echo "== duplicate groups (keeper first)"
jq -r 'select(.type == "group") |
	"group \(.group): keep \(.keeper)",
	(.members[] | "    \(.name)  (\(.stage), phash \(.phash) dhash \(.dhash) whash \(.whash))")' "$R"
echo
echo "== images that could not be read"
jq -r 'select(.error) | "    \(.name): \(.error.stage): \(.error.message)"' "$R"
echo
echo "== summary"
jq -r 'select(.type == "summary") |
	"    \(.images) images: \(.groups) groups, \(.duplicates) duplicates (\(.exact) exact, \(.near) near), \(.unique) unique, \(.failed) failed"' "$R"
echo "    $(find "$D/unique" -type f | wc -l) files copied to $D/unique"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "    %.1f s for the whole pipeline\n", b - a }'
echo
echo "== compared with the known variants ($D/truth.tsv)"
sh examples/compare-groups.sh "$R" "$D/truth.tsv"
