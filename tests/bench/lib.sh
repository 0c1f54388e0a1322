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

bench_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/azd-$1.XXXXXX")
	trap 'rm -rf "$T"' EXIT
}
