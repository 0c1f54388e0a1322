# lib.sh — shared by the end-to-end tests (sourced; POSIX sh).
#
#   $BIN        folder of the built tools (build/bin, or build-san/bin under SAN=1)
#   $T          a fresh temp folder, removed at exit
#   $PHOTOS     the bundled example photos
#   ok DESC / fail DESC          count a result
#   skip DESC                    count a check that could not run here (never a pass)
#   check DESC CMD...            ok when CMD exits 0
#   check_eq DESC GOT WANT       ok when the two strings are equal
#   check_same DESC GOT WANT     the same, for two values computed from the outputs: fails
#                                when WANT is empty (nothing was there to compare)
#   no_files DIR FIND-ARGS...    exits 0 when DIR exists and find DIR FIND-ARGS names nothing
#   seeded_bytes N SEED          N pseudo-random bytes on stdout, the same for the same SEED
#                                (tests use no unseeded randomness)
#   mixed_groups REPORT          "FOLDER KEEPER-FOLDER" for each duplicate of dedupe's REPORT
#                                kept by an image of another folder (the first part of a
#                                name), for tests whose folders each hold one picture
#   cross_pairs TRACE FILTER     how many candidate pairs of dedupe --trace-pairs TRACE
#                                join images of two folders and pass the jq FILTER
#   with_originals REPORT REGEX  how many images of dedupe's REPORT whose names match the
#                                awk REGEX share a group with FOLDER/original.png, FOLDER
#                                the first part of their name
#   TEST_DATES=spread            (make check-dates) each azls of a local folder first
#                                dates its files a second apart in the order written
#                                (spreaddates.py): a test must not hang on whether its
#                                files were written within one second
#   TEST_DATES=ticks:SEED        the same, the files of a run sharing seconds and the
#                                clock turning between two of them at places drawn from
#                                SEED, as a slow run's clock does
#   star_fields DIR              sixteen folders skyK of a galaxy on a dimmed star field,
#                                as make eval's night sky has them: original.png, its
#                                caption.png and gamma.png copies (make eval's transforms)
#   finish                       prints "N passed, N failed" (", N skipped" when some
#                                were) and exits accordingly
set -u
# the tests run make themselves: nothing of an outer make (jobserver, -j) must leak in
unset MAKEFLAGS MFLAGS MAKELEVEL 2> /dev/null || true
LC_ALL=C
export LC_ALL
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
BIN="$TOP/$BUILD/bin"
HELPERS="$TOP/$BUILD/tests/helpers"
PHOTOS="$TOP/examples/photos"
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/azd-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
PATH="$BIN:$PATH"
export PATH
_pass=0
_fail=0
_skip=0
_name=$(basename "$0" .sh)

case ${TEST_DATES:-} in
spread | ticks:*)
	_ticks=
	case $TEST_DATES in ticks:*) _ticks="--ticks ${TEST_DATES#ticks:}" ;; esac
	azls() {
		for _a in "$@"; do
			# shellcheck disable=SC2086
			case $_a in -*) ;; *) [ -d "$_a" ] && { "$PY" "$TOP/tests/e2e/spreaddates.py" $_ticks "$_a" || return 2; } ;; esac
		done
		command azls "$@"
	}
	;;
esac

ok() { _pass=$((_pass + 1)); echo "ok - $_name: $*"; }
fail() { _fail=$((_fail + 1)); echo "FAIL - $_name: $*"; }
skip() { _skip=$((_skip + 1)); echo "skip - $_name: $*"; }
check() {
	_d=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then ok "$_d"; else fail "$_d"; sed 's/^/    /' "$T/.check.out" | head -20; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; echo "    got:  $2"; echo "    want: $3"; fi
}
check_same() {
	if [ -z "$3" ]; then fail "$1"; echo "    nothing to compare (both sides empty?): got '$2'"; return; fi
	check_eq "$@"
}
no_files() {
	_dir=$1; shift
	test -d "$_dir" && [ -z "$(find "$_dir" "$@")" ]
}
seeded_bytes() {
	"$PY" -c 'import random, sys; sys.stdout.buffer.write(random.Random(int(sys.argv[2])).randbytes(int(sys.argv[1])))' "$1" "$2"
}
cross_pairs() {
	jq -r "select($2) | select((.a | split(\"/\")[0]) != (.b | split(\"/\")[0])) | .a" "$1" | wc -l
}
with_originals() {
	jq -r 'select(.name != null) | "\(.name)\t\(.dup.group // ("none:" + .name))"' "$1" |
		awk -F'\t' -v re="$2" '{ g[$1] = $2 } END { for (n in g) { split(n, p, "/")
			if (n ~ re && g[n] == g[p[1] "/original.png"]) k++ } print k + 0 }'
}
dedupe_img() {  # N [DEDUPE ARGS...]: azls, featx and dedupe over $T/img into $T/r; N records
	_n=$1; shift
	azls -q "$T/img" > "$T/list" || fail "azls"
	featx -q -i "$T/list" > "$T/feat" || fail "featx"
	dedupe -q -i "$T/feat" -o "$T/r" "$@" || fail "dedupe"
	check_eq "a record for each of the $_n pictures" \
		"$(jq -r 'select(.name != null) | .name' "$T/r" 2>/dev/null | wc -l)" "$_n"
}
star_fields() {
	mkdir -p "$1"
	"$PY" - "$1" "$TOP" <<'PY'
import os, random, sys
from PIL import ImageEnhance
sys.path.insert(0, sys.argv[2] + "/tests/bench")
import evalsets as E
out = sys.argv[1]
field = E.Sky(20261201, 17 * 800)
rng = random.Random(5)
for k in range(16):
    sky = E.galaxy(ImageEnhance.Brightness(field.tile(800 * k, 800)).enhance(0.6), E.galaxy_params(rng))
    d = os.path.join(out, "sky%d" % k)
    os.makedirs(d)
    sky.save(d + "/original.png")
    E.t_caption(sky, random.Random(k), (0, 0, 0)).save(d + "/caption.png")
    E.t_gamma(sky, random.Random(k), (0, 0, 0)).save(d + "/gamma.png")
PY
}
mixed_groups() {
	jq -r 'select(.dup.role == "duplicate") | "\(.name) \(.dup.keeper)"' "$1" |
		sed 's|/[^ ]*||g' | awk '$1 != $2'
}
finish() {
	if [ "$_skip" -gt 0 ]; then
		echo "$_pass passed, $_fail failed, $_skip skipped"
	else
		echo "$_pass passed, $_fail failed"
	fi
	[ "$_fail" -eq 0 ]
	exit $?
}
