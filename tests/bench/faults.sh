#!/bin/sh
# faults.sh — the fault matrix: azcp upload, azget and azcp server-side copy over a few
# hundred blobs through tests/e2e/faultproxy.py in front of one Azurite, every Kth request
# answered with a fault in turn: 503 with Retry-After, 429, 500, a reset, a truncated
# body, a stall, one flipped byte of blob data.  Each step is then checked against the
# originals fetched straight from Azurite (no proxy): blobs lost, duplicated, corrupted.
# Prints a table on stdout; exits 1 when any of those is not 0 (make check runs a small
# one through tests/e2e/t0310-faults.sh, make bench the full one).
#
#   FAULT_BLOBS=N    blobs (default 300): 1-60 KiB each, and one of 9 MB (block upload)
#   FAULT_EVERY=K    a fault every K requests (default 5)
#   FAULT_KINDS=L    the fault kinds in turn (default 503,429,500,reset,trunc,stall,flip)
#   P=N              transfers at once (default 8)
# Exit status: 0 all delivered intact, 1 some blob lost, duplicated or corrupted, 2 setup
# failed, 3 skipped (no Azurite).
. "$(dirname "$0")/lib.sh"
N=${FAULT_BLOBS:-300}
EVERY=${FAULT_EVERY:-5}
KINDS=${FAULT_KINDS:-503,429,500,reset,trunc,stall,flip}
P=${P:-8}
PY=/usr/bin/python3

bench_azurite faults 3 azls azget azcp

# --- Azurite, and the proxy in front of it ---------------------------------------------
azurite_launch "$T/azurite" "$T/azurite.log" || true
AZ_PID=$AZURITE_PID
AZ_PORT=$AZURITE_PORT
if [ -z "$AZ_PORT" ]; then
	echo "faults.sh: azurite did not start" >&2
	exit 2
fi
AZ="http://127.0.0.1:$AZ_PORT/devstoreaccount1"
: > "$T/faults.log"
# one request per connection, so that libcurl cannot absorb a fault by resending on a
# fresh connection by itself: every fault reaches the retry logic under test
"$PY" "$TOP/tests/e2e/faultproxy.py" --no-keepalive --upstream "127.0.0.1:$AZ_PORT" \
	--port-file "$T/fp.port" --log "$T/faults.log" --stats "$T/fp.stats" --every "$EVERY" \
	--faults "$KINDS" --stall-seconds 3 2> "$T/fp.err" &
FP_PID=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$T/fp.port" ]; do sleep 0.1; i=$((i + 1)); done
AZF="http://127.0.0.1:$(cat "$T/fp.port")/devstoreaccount1"

# --- the blobs: sizes from 1 to 60 KiB, and one large one ------------------------------
"$PY" - "$T/src" "$N" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1234)
for i in range(n):
    d = os.path.join(root, "d%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    size = 9 * 1000 * 1000 if i == 0 else rnd.randint(1024, 60 * 1024)
    with open(os.path.join(d, "f%04d.jpg" % i), "wb") as f:
        f.write(rnd.randbytes(size))
PY
(cd "$T/src" && find . -type f | sed 's|^\./||' | sort) > "$T/names"

now() { date +%s.%N; }
requests() { cat "$T/fp.stats" 2> /dev/null || echo 0; }
nfaults() { wc -l < "$T/faults.log"; }
retries() { sed -n 's/.*, \([0-9]*\) retries.*/\1/p' "$1" | tail -1; }
# lost, duplicated, corrupted: NAMES_FILE (names the step delivered, one a line, as
# often as delivered) and a folder holding what was delivered, to compare with $T/src
judge() {
	lost=$(sort -u "$1" | comm -23 "$T/names" - | wc -l)
	dup=$(sort "$1" | uniq -d | wc -l)
	extra=$(sort -u "$1" | comm -13 "$T/names" - | wc -l)
	dup=$((dup + extra))
	bad=0
	while read -r f; do
		[ -f "$2/$f" ] || continue
		cmp -s "$2/$f" "$T/src/$f" || bad=$((bad + 1))
	done < "$T/names"
	echo "$lost $dup $bad"
}
TOTAL_BAD=0
row() {  # STEP R0 F0 T0 TOOL_ERR JUDGEMENT
	set -- "$1" "$2" "$3" "$4" "$5" $6
	r=$(($(requests) - $2))
	f=$(($(nfaults) - $3))
	kinds=$(tail -n "$f" "$T/faults.log" | cut -d' ' -f1 | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	awk -v w="$1" -v r="$r" -v f="$f" -v n="$(retries "$5")" -v a="$4" -v b="$(now)" \
	    -v l="$6" -v d="$7" -v c="$8" -v k="$kinds" 'BEGIN {
		printf "%-22s %8d %7d %8d %5d %10d %9d %8.1f  %s\n", w, r, f, n, l, d, c, b - a, k }'
	TOTAL_BAD=$((TOTAL_BAD + $6 + $7 + $8))
}

echo "fault matrix: $N blobs through faultproxy ($KINDS, one request in $EVERY), -P $P"
printf "%-22s %8s %7s %8s %5s %10s %9s %8s  %s\n" "step" "requests" "faults" "retries" \
	"lost" "duplicated" "corrupted" "seconds" "faults by kind"

# azcp upload: local folder -> container, through the proxy
"$BIN/azls" -q --all "$T/src" > "$T/local.ndjson"
r0=$(requests); f0=$(nfaults); t0=$(now)
"$BIN/azcp" --timeout 1 -P "$P" -i "$T/local.ndjson" "$AZF/upload" > "$T/up.ndjson" 2> "$T/up.err" || true
"$BIN/azls" -q --all "$AZ/upload" | jq -r .name > "$T/up.names"
"$BIN/azls" -q --all "$AZ/upload" | "$BIN/azget" -q -d "$T/up.check" > /dev/null 2>&1 || true
row "azcp upload" "$r0" "$f0" "$t0" "$T/up.err" "$(judge "$T/up.names" "$T/up.check")"

# azget: container -> work folder, through the proxy
"$BIN/azls" -q "$AZ/upload" | sed "s|$AZ|$AZF|" > "$T/remote.ndjson"
r0=$(requests); f0=$(nfaults); t0=$(now)
"$BIN/azget" --timeout 1 -P "$P" -d "$T/got" -i "$T/remote.ndjson" > "$T/got.ndjson" 2> "$T/got.err" || true
{ jq -r 'select(.path != null) | .name' "$T/got.ndjson"
  (cd "$T/got" && find . -type f ! -name '.*' | sed 's|^\./||' | grep -vxF -f "$T/names" || true); } > "$T/got.names"
row "azget" "$r0" "$f0" "$t0" "$T/got.err" "$(judge "$T/got.names" "$T/got")"

# azcp server-side copy: container -> container, through the proxy
r0=$(requests); f0=$(nfaults); t0=$(now)
"$BIN/azcp" --timeout 1 -P "$P" -i "$T/remote.ndjson" "$AZF/copies" > "$T/copy.ndjson" 2> "$T/copy.err" || true
"$BIN/azls" -q --all "$AZ/copies" | jq -r .name > "$T/copy.names"
"$BIN/azls" -q --all "$AZ/copies" | "$BIN/azget" -q -d "$T/copy.check" > /dev/null 2>&1 || true
row "azcp server-side copy" "$r0" "$f0" "$t0" "$T/copy.err" "$(judge "$T/copy.names" "$T/copy.check")"

if [ "$TOTAL_BAD" -ne 0 ]; then
	echo "faults.sh: $TOTAL_BAD blobs lost, duplicated or corrupted" >&2
	for s in up got copy; do sed 's/^/    /' "$T/$s.err" | grep -v '^    azdedup' | head -5 >&2; done
	exit 1
fi
