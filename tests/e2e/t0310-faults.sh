#!/bin/sh
# Faults a real server cannot produce, through tests/e2e/faultproxy.py in front of a real
# Azurite: the fault matrix (tests/bench/faults.sh) on 60 blobs, a flipped byte in an
# uploaded block and in a download, and a server that trickles 2 bytes a second.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/azurite.sh"
azurite_clean_env

# --- the matrix --------------------------------------------------------------------------
FAULT_BLOBS=60 BUILD="$BUILD" sh "$TOP/tests/bench/faults.sh" > "$T/matrix" 2> "$T/matrix.err"
rc=$?
if [ "$rc" = 3 ]; then
	fail "azurite is not installed in tests/azurite (run make test-deps)"
	finish
fi
sed 's/^/    /' "$T/matrix"
check_eq "fault matrix: nothing lost, duplicated or corrupted (exit 0)" "$rc" "0"
[ "$rc" = 0 ] || sed 's/^/    /' "$T/matrix.err"
# columns: step... requests faults retries lost duplicated corrupted seconds
col() { grep "^$1 " "$T/matrix" | sed "s/^$1 *//" | awk -v c="$2" '{ print $c }'; }
for step in "azcp upload" "azget" "azcp server-side copy"; do
	check_eq "$step: 0 lost, 0 duplicated, 0 corrupted" \
		"$(col "$step" 4) $(col "$step" 5) $(col "$step" 6)" "0 0 0"
	check "$step: faults were injected" test "$(col "$step" 2)" -gt 5
	check "$step: each fault cost a retry" test "$(col "$step" 3)" -ge "$(col "$step" 2)"
done
check "flipped bytes were sent up and down" sh -c "grep '^azcp upload ' '$T/matrix' | grep -q flip && grep '^azget ' '$T/matrix' | grep -q flip"

# --- one flipped byte, where it can hide ---------------------------------------------------
az_start
mkdir -p "$T/big"
seeded_bytes 9437000 310 > "$T/big/big.jpg"
proxy() {  # PORTFILE LOG OPTIONS...: starts a proxy, sets FP (its URL) and FP_PID
	pf=$1 log=$2
	shift 2
	: > "$log"
	"$PY" "$TOP/tests/e2e/faultproxy.py" --no-keepalive --upstream "127.0.0.1:$AZ_PORT" \
		--port-file "$pf" --log "$log" "$@" 2> /dev/null &
	FP_PID=$!
	trap 'kill $FP_PID 2> /dev/null; az_stop; rm -rf "$T"' EXIT
	_i=0
	while [ $_i -lt 100 ] && [ ! -s "$pf" ]; do sleep 0.1; _i=$((_i + 1)); done
	FP="http://127.0.0.1:$(cat "$pf")/devstoreaccount1"
}
proxy "$T/p1" "$T/f1.log" --every 1 --faults flip --methods PUT --max-faults 1
azls -q --all "$T/big" | azcp --timeout 2 "$FP/flipup" > /dev/null 2> "$T/err"
check_eq "a block upload with a flipped byte: exit 0" "$?" "0"
check "the flip hit a block" grep -q 'comp=block' "$T/f1.log"
azls -q --all "$AZ/flipup" | azget -q -d "$T/flipup" > /dev/null 2>&1
check "the service refused the damaged block, the resent one made the blob whole" cmp "$T/big/big.jpg" "$T/flipup/big.jpg"
kill $FP_PID 2> /dev/null
proxy "$T/p1b" "$T/f1b.log" --every 1 --faults flip --methods PUT
azls -q --all "$T/big" | azcp --retries 1 "$FP/flipall" > /dev/null 2> "$T/err"
check_eq "every attempt damaged: the record fails (exit 1)" "$?" "1"
check "saying why" grep -q '^azcp: big.jpg: the service refused the data for its MD5 every time (damaged on the way, after 2 attempts)$' "$T/err"
check_eq "and no blob appears" "$(azls -q --all "$AZ/flipall" 2> /dev/null | wc -l)" "0"
kill $FP_PID 2> /dev/null

proxy "$T/p2" "$T/f2.log" --every 1 --faults flip --methods GET --max-faults 1
azls -q --all "$AZ/flipup" | sed "s|$AZ|$FP|" | azget --timeout 2 -d "$T/flipdown" > /dev/null 2> "$T/err"
check_eq "a download with a flipped byte: exit 0" "$?" "0"
check_eq "the flip hit the blob" "$(cut -d' ' -f1,2 "$T/f2.log")" "flip GET"
check "caught by the MD5 and fetched again" grep -q '1 fetched, .*, 1 retries' "$T/err"
check "the file is whole" cmp "$T/big/big.jpg" "$T/flipdown/big.jpg"
kill $FP_PID 2> /dev/null

# --- a server that sends 2 bytes a second ----------------------------------------------------
proxy "$T/p3" "$T/f3.log" --every 1 --faults dribble --methods GET --stall-seconds 20
azls -q --all "$AZ/flipup" | sed "s|$AZ|$FP|" > "$T/dribble.ndjson"
timeout 120 azget --timeout 1 --retries 1 -d "$T/dribble" -i "$T/dribble.ndjson" > "$T/dribble.out" 2> "$T/err"
check_eq "a trickling server: the record fails (exit 1)" "$?" "1"
check_eq "after one retry" "$(wc -l < "$T/f3.log")" "2"
check "with a clear error naming the blob" \
	grep -q '^azget: big.jpg: Operation too slow. Less than 1024 bytes/sec transferred the last 1 seconds (after 2 attempts)$' "$T/err"
check_eq "as an error record" "$(jq -r .error.code "$T/dribble.out")" "network"
kill $FP_PID 2> /dev/null

finish
