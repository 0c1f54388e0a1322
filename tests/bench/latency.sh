#!/bin/sh
# latency.sh — featx reading a container far away: the bench photo set's blobs read by
# featx through tests/e2e/faultproxy.py, which holds every request LATENCY_MS (a storage
# account in another region; Azurite on loopback answers at once), at several thread
# counts: -j 1, the cores (featx's default), and up to 32.  pipeline.mk runs featx with
# FEATX_READS (16) threads when it reads a container.  Prints a table; not a test.
#
#   LATENCY_MS=N      milliseconds each request is held (default 30)
#   LATENCY_COPIES=N  copies of the 52-file set (default 2: 104 blobs; byte-identical
#                     copies are not decoded again, so the reads are what is measured)
. "$(dirname "$0")/lib.sh"
COPIES=${LATENCY_COPIES:-2}
MS=${LATENCY_MS:-30}
PY=/usr/bin/python3

bench_azurite latency 0 azls featx
bench_photoset "$T/src" "$COPIES"
n=$(find "$T/src" -type f | wc -l)
bench_azurite_up latency
bench_upload "$T/src" photos "$n"
"$PY" "$TOP/tests/e2e/faultproxy.py" --upstream "127.0.0.1:$AZURITE_PORT" --max-faults 0 \
	--delay-ms "$MS" --port-file "$T/fp.port" --log "$T/faults.log" --peak "$T/peak" \
	2> "$T/fp.err" &
FP_PID=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp.port" ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/fp.port" ] || { echo "latency.sh: the proxy did not start" >&2; exit 2; }
PURL="http://127.0.0.1:$(cat "$T/fp.port")/devstoreaccount1"
"$BIN/azls" -q "$PURL/photos" > "$T/list"
cores=$(getconf _NPROCESSORS_ONLN)
echo "featx from a container $MS ms away (each request held by a proxy): $n blobs, $cores cores"
printf '%-30s %8s %8s %9s %9s\n' run wall_s cpu_s images/s in_flight
for j in 1 "$cores" 8 16 32; do
	rm -f "$T/peak"
	note=
	[ "$j" != "$cores" ] || note=" (default)"
	[ "$j" != 16 ] || note=" (pipeline.mk)"
	/usr/bin/time -f '%e %U %S' -o "$T/t" "$BIN/featx" -q -j "$j" -i "$T/list" -o "$T/out" ||
		echo "  WARNING: featx -j $j: exit status $?"
	read -r w u s < "$T/t"
	awk -v o="featx -j $j$note" -v w="$w" -v c="$(echo "$u + $s" | bc)" -v n="$n" \
		-v p="$(cat "$T/peak" 2> /dev/null || echo -)" 'BEGIN {
		printf "%-30s %8.2f %8.2f %9.1f %9s\n", o, w, c, n / (w > 0 ? w : 1e-9), p }'
done
echo "in_flight: the most requests the proxy held at once"
