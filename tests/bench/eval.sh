#!/bin/sh
# eval.sh — `make eval`: accuracy of featx + dedupe at the default settings on known
# variants (27 transforms) of the example photos: per transform the distances of true
# pairs and the recall, with and without --rotations; pair precision and group purity
# overall.  Prints tables; not a test.
. "$(dirname "$0")/lib.sh"
bench_tmp eval
/usr/bin/python3 tests/bench/eval.py make examples/photos "$T/set"
"$BIN/azls" -q "$T/set" | "$BIN/featx" -q > "$T/features.ndjson"
"$BIN/dedupe" -q -i "$T/features.ndjson" -o "$T/default"
"$BIN/dedupe" -q --rotations -i "$T/features.ndjson" -o "$T/rotations"
echo "azdedup accuracy: $(ls "$T/set" | wc -l) photos, $(grep -c . "$T/features.ndjson") files"
/usr/bin/python3 tests/bench/eval.py score "$T/features.ndjson" "$T/default" "$T/rotations"
"$BIN/azls" -q "$T/set.hard" | "$BIN/featx" -q | "$BIN/dedupe" -q -o "$T/hard"
/usr/bin/python3 tests/bench/eval.py hard "$T/hard"
