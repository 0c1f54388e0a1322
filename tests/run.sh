#!/bin/sh
# run.sh — runs every unit test binary and every end-to-end script, adds up their
# "N passed, N failed" lines (and ", N skipped" where a test could not run its checks
# here), and closes with the total on a line of its own. A skipped check is listed
# under its test's line and counted as skipped, never as a pass. Each test's whole
# output is kept in $BUILD/test-logs/ (unit-NAME.log, e2e-NAME.log).
# A test that dies without printing its line counts as one failure.
# UNIT_TESTS / E2E_TESTS, when set, name the only tests to run (test_mih, t0500-dedupe).
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BUILD
# third-party leaks the sanitizer run must not count (see the file)
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
pass=0
fail=0
skipped=0
logs=$BUILD/test-logs
rm -rf "$logs"
mkdir -p "$logs" || exit 2

run_one() {
	label=$1; shift
	log=$logs/$(echo "$label" | tr '/' '-').log
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $label: exit $rc and no result line"
		sed 's/^/    /' "$log" | tail -n 30
		fail=$((fail + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	case $line in
	*skipped*) s=${line#*failed, }; skipped=$((skipped + ${s%% skipped*})) ;;
	esac
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
		[ "$f" -eq 0 ] && fail=$((fail + 1))
		echo "FAIL $label ($line, exit $rc)"
		grep -v '^ok ' "$log" | sed 's/^/    /' | tail -n 40
	else
		echo "ok   $label ($line)"
		grep -E '^skip' "$log" | sed 's/^/    /'
	fi
}

picked() {  # picked NAME LIST: NAME is to run (LIST unset: every test is)
	[ "${2+set}" = set ] || return 0
	case " $2 " in *" $1 "*) return 0 ;; esac
	return 1
}
# the unit tests are those with a source in tests/unit (a binary left in $BUILD by a
# test since renamed or removed is not one of them); a missing binary is a failure
for src in tests/unit/test_*.c; do
	n=$(basename "$src" .c)
	picked "$n" ${UNIT_TESTS+"$UNIT_TESTS"} || continue
	if [ ! -x "$BUILD/tests/$n" ]; then
		echo "FAIL unit/$n: $BUILD/tests/$n was not built"
		fail=$((fail + 1))
		continue
	fi
	run_one "unit/$n" "$BUILD/tests/$n"
done
for t in tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	picked "$(basename "$t" .sh)" ${E2E_TESTS+"$E2E_TESTS"} || continue
	run_one "e2e/$(basename "$t" .sh)" sh "$t"
done
if [ "$skipped" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skipped skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
