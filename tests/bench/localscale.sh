#!/bin/sh
# localscale.sh — what dedupe's local stage (the descriptor index's candidates and the
# keypoint verification, kp_match) costs per verified pair and per image: dedupe at its
# defaults against --no-local on the same records, CPU time (user + sys, GNU time) and
# peak memory.  The records come from real photo features (tests/bench/realrec.py with
# K keypoints a record: real descriptors' biased bits, clustered, every tenth a planted
# twin), and, where `make eval` has built them, the eval sets' own features.  Not a test:
# nothing passes or fails on speed.  Part of make bench (tests/bench/run.sh):
#
#   BUILD=build sh tests/bench/localscale.sh [N...]     (default 10000 100000)
#   LOCAL_KP=K   keypoints a record (default 64; 1M records at 64 take some 3.7 GB)
#   LOCAL_RUNS=R runs of each eval set's dedupe, the least CPU kept (default 3: a set
#                takes a few tenths of a second, where a busy or shared machine's noise
#                is a tenth of the figure); the realrec rows run once
#   LOCAL_FORMS="N..."  sizes of the one-template rows (default "100 200 400"; "" for
#                none): N distinct invoices of one template (evalsets.form: other
#                numbers, names and rows in each), a collection of one kind where every
#                picture is every other's hash neighbour; its column dups counts the
#                forms reported as another's duplicate (none is a copy: each one lost)
. "$(dirname "$0")/lib.sh"
bench_tmp localscale
[ $# -gt 0 ] || set -- 10000 100000
K=${LOCAL_KP:-64}
RUNS=${LOCAL_RUNS:-3}

# cpu RUNS OUT ARGS...: runs dedupe RUNS times, leaves "cpu_s peak_kib" in $T/t: the least
# CPU (user + sys) of the runs, to the microsecond (the kernel's accounting, which GNU
# time prints to the hundredth), and the most memory
cpu() {
	_runs=$1
	_out=$2
	shift 2
	/usr/bin/python3 - "$_runs" "$BIN/dedupe" -q "$@" -o "$_out" > "$T/t" <<'EOF'
import os, sys
runs, cmd = int(sys.argv[1]), sys.argv[2:]
best, peak = None, 0
for _ in range(runs):
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit("localscale.sh: %s exited %d" % (cmd[0], os.waitstatus_to_exitcode(status)))
    t = ru.ru_utime + ru.ru_stime
    best = t if best is None or t < best else best
    peak = max(peak, ru.ru_maxrss)
print("%.4f %d" % (best, peak))
EOF
}
row() {  # LABEL IMAGES REPORT CPU_LOCAL CPU_NOLOCAL PEAK_KIB
	_v=$(jq -r 'select(.type == "summary") | .search.local_verified' "$3")
	_c=$(jq -r 'select(.type == "summary") | .search.candidates' "$3")
	awk -v l="$1" -v n="$2" -v v="$_v" -v c="$_c" -v a="$4" -v b="$5" -v k="$6" 'BEGIN {
		s = a - b; if (s < 0) s = 0
		printf("%-24s %9d %10d %10d %8.3f %8.3f %9.1f %8.3f %8.0f\n", l, n, c, v, a, s,
		    (v > 0 ? s * 1e6 / v : 0), s * 1e3 / n, k / 1024) }'
}

echo "dedupe's local stage: defaults against --no-local; CPU seconds (user + sys)"
printf '%-24s %9s %10s %10s %8s %8s %9s %8s %8s\n' records images candidates verified \
    cpu_s local_s us/pair ms/image peak_MiB
/usr/bin/python3 examples/mkvariants.py examples/photos "$T/one" > /dev/null
rm -f "$T/one/truth.tsv"
"$BIN/azls" -q "$T/one" | "$BIN/featx" -q > "$T/feat"
for n in "$@"; do
	/usr/bin/python3 tests/bench/realrec.py "$T/feat" "$n" "$K" > "$T/real"
	cpu 1 "$T/report" -i "$T/real"
	read -r on peak < "$T/t"
	cpu 1 /dev/null --no-local -i "$T/real"
	read -r off _ < "$T/t"
	row "realrec, $K keypoints" "$n" "$T/report" "$on" "$off" "$peak"
	rm -f "$T/real" "$T/report"
done
# the sets one by one, then all of them together (the issue's target: at most 1 ms an
# image on the eval sets): their images, candidates, verified pairs and seconds summed
: > "$T/sums"
for f in "$BUILD"/eval/sets/*/features.ndjson; do
	[ -f "$f" ] || { echo "eval sets: skipped (no $BUILD/eval/sets: run make eval)"; break; }
	set=$(basename "$(dirname "$f")")
	n=$(grep -c . "$f")
	cpu "$RUNS" "$T/report" -i "$f"
	read -r on peak < "$T/t"
	cpu "$RUNS" /dev/null --no-local -i "$f"
	read -r off _ < "$T/t"
	row "eval set $set" "$n" "$T/report" "$on" "$off" "$peak"
	jq -r --arg n "$n" --arg on "$on" --arg off "$off" --arg k "$peak" \
	    'select(.type == "summary") | "\($n) \(.search.candidates) \(.search.local_verified) \($on) \($off) \($k)"' \
	    "$T/report" >> "$T/sums"
done
if [ -s "$T/sums" ]; then
	awk '{ n += $1; c += $2; v += $3; a += $4; b += $5; k = $6 > k ? $6 : k; s = $4 - $5
		l += s > 0 ? s : 0 } END {
		printf("%-24s %9d %10d %10d %8.3f %8.3f %9.1f %8.3f %8.0f\n", "eval sets, all", n, c, v,
		    a, l, (v > 0 ? l * 1e6 / v : 0), l * 1e3 / n, k / 1024) }' "$T/sums"
fi

# one template, N distinct forms: how the verification grows where every picture is
# every other's hash neighbour, and what it lets through
FORMS=${LOCAL_FORMS-100 200 400}
if [ -n "$FORMS" ]; then
	max=0
	for n in $FORMS; do
		[ "$n" -gt "$max" ] && max=$n
	done
	mkdir -p "$T/forms"
	/usr/bin/python3 - "$T/forms" "$max" <<'EOF'
import random, sys
sys.path.insert(0, "tests/bench")
import evalsets
for i in range(int(sys.argv[2])):
    evalsets.form(random.Random(1000 + i), 0).save("%s/f%05d.png" % (sys.argv[1], i))
EOF
	"$BIN/azls" -q "$T/forms" | "$BIN/featx" -q > "$T/forms.feat"
	echo
	echo "one template, distinct forms (dups: forms reported as another's duplicate, each one lost)"
	printf '%-24s %9s %10s %10s %8s %8s %9s %8s %8s %6s\n' records images candidates verified \
	    cpu_s local_s us/pair ms/image peak_MiB dups
	for n in $FORMS; do
		head -n "$n" "$T/forms.feat" > "$T/real"
		cpu 1 "$T/report" -i "$T/real"
		read -r on peak < "$T/t"
		cpu 1 /dev/null --no-local -i "$T/real"
		read -r off _ < "$T/t"
		printf '%s %6d\n' "$(row "forms, one template" "$n" "$T/report" "$on" "$off" "$peak")" \
		    "$(jq -r 'select(.type == "summary") | .duplicates' "$T/report")"
		rm -f "$T/real" "$T/report"
	done
fi
