#!/bin/sh
# scale.sh — how dedupe's cost grows with the collection, for the sizing of the merge
# step of examples/slurm and examples/k8s (README, "Beyond one machine"): dedupe at the
# default settings on N records made from real photo features (tests/bench/realrec.py:
# the example photos' variants, each record four real ones mixed bit by bit, so the hashes
# keep real photos' biased, clustered bits; every tenth a planted near twin), with its
# wall time, CPU time and peak memory (GNU time), and the peak per record.  Not a test:
# nothing passes or fails on speed.  Not part of make bench (the sizes take long):
#
#   BUILD=build sh tests/bench/scale.sh 100000 300000 1000000
. "$(dirname "$0")/lib.sh"
bench_tmp scale
[ $# -gt 0 ] || set -- 100000 1000000
/usr/bin/python3 examples/mkvariants.py examples/photos "$T/one" > /dev/null
rm -f "$T/one/truth.tsv"
"$BIN/azls" -q "$T/one" | "$BIN/featx" -q --local 0 > "$T/feat"
printf '%-10s %9s %9s %10s %12s  %s\n' records wall_s cpu_s peak_MiB bytes/record found
for n in "$@"; do
	/usr/bin/python3 tests/bench/realrec.py "$T/feat" "$n" > "$T/real"
	/usr/bin/time -f '%e %U %S %M' -o "$T/time" "$BIN/dedupe" -q -i "$T/real" -o "$T/report"
	read -r wall user sys kib < "$T/time"
	found=$(jq -r 'select(.type == "summary") | "\(.duplicates) duplicates (\('"$n"' / 10) planted), \(.groups) groups"' "$T/report")
	awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kib" -v f="$found" 'BEGIN {
		printf "%-10d %9.1f %9.1f %10.0f %12.0f  %s\n", n, w, u + s, k / 1024, k * 1024 / n, f }'
	rm -f "$T/real" "$T/report"
done
