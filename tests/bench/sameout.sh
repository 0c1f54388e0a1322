#!/bin/sh
# sameout.sh OUT — the outputs a restructuring must leave byte for byte as they were,
# written under OUT to compare two trees with `diff -r` (issue 15's check): the demo's
# records of every stage and its groups, featx's whole records (hashes, keypoints) on the
# example photos and the demo's variants on one thread and on three, dedupe's report and
# HTML page over them at its defaults and with other settings, featx's records on
# bigger and odd-shaped PNG, WebP and JPEG files (featx_set.py --odd: 1920-pixel and
# 12-MP ones, strips, alpha) on one thread and on three, the test vectors, and,
# unless EVAL=0, `make eval`'s scores (part 1 and the sets of one kind).  Times, absolute
# paths and the temporary folder's name are taken out.  Not a test: run it on the tree
# before a change and on the tree after, then diff.
. "$(dirname "$0")/lib.sh"
OUT=${1:?usage: sameout.sh OUT}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
bench_tmp sameout
clean() { sed -e "s#$T#TMP#g" -e "s#$TOP#TOP#g" -e 's/"mtime":"[^"]*"/"mtime":"-"/g' -e 's/"etag":"[^"]*"/"etag":"-"/g' \
	-e 's/[0-9.]* s for the whole pipeline/- s for the whole pipeline/' \
	-e 's/ in [0-9.]*s ([0-9.]*\/s)$/ in -s/'; }

DEMO_DIR="$T/demo" BUILD=$BUILD sh examples/demo.sh 2>&1 | clean > "$OUT/demo.txt"
for f in list fetched todo features report copied; do  # fetched: KEEP_FILES=1 only
	[ ! -f "$T/demo/work/$f.ndjson" ] || clean < "$T/demo/work/$f.ndjson" > "$OUT/demo-$f.ndjson"
done
(cd "$T/demo/unique" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "$OUT/demo-unique.txt"

for j in 1 3; do
	{ "$BIN/azls" -q examples/photos; "$BIN/azls" -q "$T/demo/src"; } |
	  "$BIN/featx" -q -j $j | clean > "$OUT/featx-j$j.ndjson"
done
F="$OUT/featx-j1.ndjson"
/usr/bin/python3 tests/bench/featx_set.py --odd examples/photos "$T/set"
find "$T/set" -type f | sort | sed 's|.*|{"name":"x","path":"&"}|' > "$T/setrecs"
for j in 1 3; do
	"$BIN/featx" -q -j $j -i "$T/setrecs" | clean > "$OUT/featx-set-j$j.ndjson"
done
"$BIN/dedupe" -q -i "$F" -o "$OUT/dedupe-default.ndjson" --html "$T/page.html" 2> "$OUT/dedupe-default.err" || true
clean < "$T/page.html" > "$OUT/dedupe-default.html"
for args in "--no-rotations" "-j 1" "-j 2" "--no-local" "--exact-only" "--mode clique" "--keep largest" "--search all"; do
	n=$(echo "$args" | tr -d ' -')
	"$BIN/dedupe" -q $args -i "$F" -o "$OUT/dedupe-$n.ndjson" 2> "$OUT/dedupe-$n.err" || true
done
sh tests/e2e/t0260-vectors.sh > "$OUT/vectors.txt" 2>&1 || true
sed -i 's#/tmp/[^ ]*#TMP#g' "$OUT/vectors.txt"

if [ "${EVAL:-1}" != 0 ]; then
	EVAL_JSON="$OUT/eval.json" EVAL_TSV="$OUT/eval.tsv" BUILD=$BUILD \
	  sh tests/bench/eval.sh 2>&1 | clean | grep -v ' s$' > "$OUT/eval.txt" || true
fi
echo "sameout: $(ls "$OUT" | wc -l) files in $OUT"
