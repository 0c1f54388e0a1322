#!/bin/sh
# bombs.sh — featx's peak memory on hostile images under the pixel limit
# (tests/e2e/mkbombs.py: an animated WebP with a 9999 x 9999 canvas, TIFF in one strip and
# in many, interlaced PNG, progressive JPEG, a GIF with a 9999 x 9999 screen), each file
# alone and the set BOMB_COPIES times over at -j 1 and -j 4, under featx's default
# budget and BOMB_MEMORY (default 128M).  Prints peak RSS (/usr/bin/time %M) and seconds.
. "$(dirname "$0")/lib.sh"
COPIES=${BOMB_COPIES:-2}
SMALL=${BOMB_MEMORY:-128M}
bench_tmp bombs

/usr/bin/python3 "$TOP/tests/e2e/mkbombs.py" "$T"
: > "$T/set"
c=1
while [ "$c" -le "$COPIES" ]; do
	for f in "$T"/*.*; do
		printf '{"name":"%s/%s","path":"%s"}\n' "$c" "$(basename "$f")" "$f" >> "$T/set"
	done
	c=$((c + 1))
done
run() {  # LABEL RECORDS FEATX-OPTIONS...
	label=$1 in=$2
	shift 2
	rm -f "$T/out"
	s0=$(date +%s.%N)
	rc=0
	# --memo 0: each copy of a bomb is decoded, as the copies are there to load the threads
	/usr/bin/time -f %M -o "$T/rss" "$BIN/featx" -q --memo 0 "$@" -i "$in" -o "$T/out" 2> /dev/null || rc=$?
	s1=$(date +%s.%N)
	if [ "$rc" -eq 2 ]; then
		printf "%-34s %12s %9s  %s\n" "$label" "-" "-" "featx refuses the options"
		return
	fi
	printf "%-34s %8d MiB %7.2f s  %s\n" "$label" $(($(tail -n 1 "$T/rss") / 1024)) \
	    "$(echo "$s1 - $s0" | bc)" "$(jq -r '.error.code // "ok"' "$T/out" | sort | uniq -c |
	    awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"
}
echo "featx on decompression bombs ($(($(wc -l < "$T/set") / COPIES)) files, $(nproc) cores)"
printf "%-34s %12s %9s  %s\n" "what" "peak RSS" "time" "records"
for f in "$T"/*.*; do
	printf '{"name":"x","path":"%s"}\n' "$f" > "$T/one"
	run "$(basename "$f") ($(wc -c < "$f" | tr -d ' ') bytes), -j 1" "$T/one" -j 1
done
for j in 1 4; do
	run "set of $(wc -l < "$T/set"), -j $j" "$T/set" -j "$j"
	run "set of $(wc -l < "$T/set"), -j $j, --max-memory $SMALL" "$T/set" -j "$j" --max-memory "$SMALL"
done
