#!/bin/sh
# samededupe.sh OUT [N] — dedupe's reports at scale, written under OUT to compare two
# trees with `diff -r` (issue 14's check that a speed change leaves the groups as they
# were): at the default settings on N (default 1000000) records of tests/helpers/synthrec
# with turned forms (every tenth a near twin, every tenth another a turned copy), N
# without them, and N from real photo features (tests/bench/realrec.py), each report
# whole (no times in it), and beside them OUT/cost.txt with each run's wall and CPU
# seconds and peak memory (GNU time), which differ between runs and are not to be
# diffed.  Not a test: run it on the tree before a change and on the tree after.
. "$(dirname "$0")/lib.sh"
OUT=${1:?usage: samededupe.sh OUT [N]}
N=${2:-1000000}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
bench_tmp samededupe
/usr/bin/python3 examples/mkvariants.py examples/photos "$T/one" > /dev/null
rm -f "$T/one/truth.tsv"
"$BIN/azls" -q "$T/one" | "$BIN/featx" -q --local 0 > "$T/feat"
"$TOP/$BUILD/tests/helpers/synthrec" "$N" 0 0.10 1 > "$T/synthrot"
"$TOP/$BUILD/tests/helpers/synthrec" "$N" > "$T/synth"
/usr/bin/python3 tests/bench/realrec.py "$T/feat" "$N" > "$T/real"
: > "$OUT/cost.txt"
for f in synthrot synth real; do
	/usr/bin/time -f "$f $N: %e s wall, %U s user, %S s sys, %M KB peak" -a -o "$OUT/cost.txt" \
	    "$BIN/dedupe" -q -i "$T/$f" -o "$OUT/$f$N.ndjson"
	rm -f "$T/$f"
done
cat "$OUT/cost.txt"
