# lib.sh — how every bench script starts (sourced): strict mode, the top of the tree as
# the working folder, BUILD and its bin folder, the C locale, and bench_tmp NAME for a
# temporary folder $T that is removed on exit.
set -eu
cd "$(dirname "$0")/../.."
TOP=$(pwd)
BUILD=${BUILD:-build}
BIN="$TOP/$BUILD/bin"
LC_ALL=C
export LC_ALL
. "$TOP/tests/stop.sh"
. "$TOP/tests/azurite/launch.sh"

# bench_photoset DIR COPIES [TRUTH [ORIGINALS]]: the bench photo set, every variant of
# every example photo (or of every photo in the folder ORIGINALS), COPIES times under
# DIR/k1, DIR/k2 ... (TRUTH: FILE<TAB>PHOTO for each file; "" for none)
bench_photoset() {
	/usr/bin/python3 examples/mkvariants.py "${4:-examples/photos}" "$T/one" > /dev/null
	[ -z "${3:-}" ] || awk -F'\t' -v n="$2" '{ for (k = 1; k <= n; k++) print "k" k "/" $0 }' "$T/one/truth.tsv" > "$3"
	rm -f "$T/one/truth.tsv"
	_k=1
	while [ "$_k" -le "$2" ]; do
		mkdir -p "$1/k$_k"
		cp -a "$T/one/." "$1/k$_k/"
		_k=$((_k + 1))
	done
	rm -rf "$T/one"
}

bench_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/azd-$1.XXXXXX")
	trap 'rm -rf "$T"' EXIT
}

# bench_azurite NAME SKIPRC TOOL...: for the scripts that start their own Azurite: $T,
# removed at exit with Azurite ($AZ_PID) and a proxy ($FP_PID) stopped; a missing TOOL
# exits 2, a missing Azurite prints a skipped line and exits SKIPRC.
bench_azurite() {
	_name=$1
	_skip=$2
	shift 2
	T=$(mktemp -d "${TMPDIR:-/tmp}/azd-$_name.XXXXXX")
	AZ_PID=
	FP_PID=
	trap 'for p in $FP_PID $AZ_PID; do stop_proc "$p"; done; rm -rf "$T"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for t in "$@"; do
		if [ ! -x "$BIN/$t" ]; then
			echo "$_name.sh: $BIN/$t missing (run make)" >&2
			exit 2
		fi
	done
	if [ ! -x "$AZURITE" ]; then
		echo "$_name.sh: azurite is not installed in tests/azurite (run make test-deps); skipped"
		exit "$_skip"
	fi
}

# bench_azurite_up NAME: an Azurite of its own under $T (stopped by bench_azurite's or
# bench_tmp's trap through AZ_PID); sets URL to its account.  Exits 1 when it does not
# start, with its log.
bench_azurite_up() {
	azurite_launch "$T/azurite" "$T/azurite.log" || true
	AZ_PID=$AZURITE_PID
	if [ -z "$AZURITE_PORT" ]; then
		echo "$1.sh: azurite did not start" >&2
		sed 's/^/    /' "$T/azurite.log" >&2
		exit 1
	fi
	URL="http://127.0.0.1:$AZURITE_PORT/devstoreaccount1"
}

# bench_upload DIR CONTAINER N: DIR's files into CONTAINER of $URL; warns unless N arrived
bench_upload() {
	"$BIN/azls" -q --all "$1" | "$BIN/azcp" -q -P 32 "$URL/$2" > /dev/null
	_got=$("$BIN/azls" -q "$URL/$2" | wc -l)
	[ "$_got" = "$3" ] || echo "  WARNING: setup upload: $_got blobs, want $3"
}
