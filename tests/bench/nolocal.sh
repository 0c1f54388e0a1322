#!/bin/sh
# nolocal.sh — the pipeline from an Azurite container up to the report, without local
# copies (the default: featx reads each blob into memory) against the old layout
# (KEEP_FILES=1: azget copies every blob into WORK/files first): the scratch disk WORK
# takes per image and the wall time of a first run and of a rerun after `refresh` with
# nothing changed; and rclone copy of the same blobs to a local folder (Debian's rclone),
# alone and followed by featx on that copy, for the bytes written locally and the time.
# Prints a table on stdout.  Not a test: nothing here passes or fails on speed.
#
#   NOLOCAL_N=N   blobs (default 10000): the example photos over and over, ~120 KB each
#   P=N           featx threads and azget transfers (default 16)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/bench/rclone.sh"
N=${NOLOCAL_N:-10000}
P=${P:-16}

bench_azurite nolocal 0 azls azget featx featstore dedupe azcp

now() { date +%s.%N; }
# the source: blob i is example photo i mod 10, as hard links (no disk for the copies)
mkdir -p "$T/src"
set -- "$TOP"/examples/photos/*.jpg "$TOP"/examples/photos/*.png "$TOP"/examples/photos/*.webp
np=$#
i=0
while [ "$i" -lt "$N" ]; do
	eval "f=\${$((i % np + 1))}"
	d="$T/src/d$((i / 1000))"
	[ -d "$d" ] || mkdir -p "$d"
	ln "$f" "$d/img$(printf %06d "$i").${f##*.}"
	i=$((i + 1))
done
mb=$(find "$T/src" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s / 1e6 }')

bench_azurite_up nolocal
bench_upload "$T/src" bench "$N"
bench_rclone "$URL"

FMT="%-30s %7s %9s %8s %12s %10s\n"
echo "pipeline to the report from Azurite: $N blobs ($mb MB), featx -j $P ($(nproc) cores)"
printf "$FMT" layout blobs seconds blobs/s "WORK KiB" "KiB/image"
# show LAYOUT DIR T0 T1: a row, DIR's size after it
show() {
	_k=$(du -sk "$2" | cut -f1)
	awk -v w="$1" -v n="$N" -v a="$3" -v b="$4" -v k="$_k" -v fmt="$FMT" 'BEGIN {
		s = b - a; if (s <= 0) s = 1e-9
		printf fmt, w, n, sprintf("%.2f", s), sprintf("%.1f", n / s), k, sprintf("%.1f", k / n) }'
}
# run LAYOUT WORK [make args]: the pipeline to the report, timed, and WORK's size after it
run() {
	_what=$1 _w=$2
	shift 2
	sync
	_t0=$(now)
	make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$URL/bench" WORK="$_w" BIN="$BIN/" \
		Q=-q FEATX_OPTS="-j $P" AZGET_OPTS="-P $P" "$@" report > "$T/out" 2>&1 ||
		echo "  WARNING: $_what: make failed: $(tail -n 3 "$T/out")"
	_t1=$(now)
	show "$_what" "$_w" "$_t0" "$_t1"
}
run "old (KEEP_FILES=1)" "$T/wold" KEEP_FILES=1
run "new (no local copy)" "$T/wnew"
make --no-print-directory -s -f "$TOP/pipeline.mk" WORK="$T/wold" refresh
make --no-print-directory -s -f "$TOP/pipeline.mk" WORK="$T/wnew" refresh
run "old, rerun after refresh" "$T/wold" KEEP_FILES=1
run "new, rerun after refresh" "$T/wnew"
# rclone copy to a folder (its checkers compare each blob's MD5), then featx on the copy
if [ "$HAVE_RCLONE" = yes ]; then
	sync
	_t0=$(now)
	rclone -q --transfers "$P" --checkers "$P" copy AZ:bench "$T/rc" ||
		echo "  WARNING: rclone copy: exit status $?"
	_t1=$(now)
	show "rclone copy ($RCV)" "$T/rc" "$_t0" "$_t1"
	"$BIN/azls" -q "$T/rc" | "$BIN/featx" -q -j "$P" > "$T/rcfeat" ||
		echo "  WARNING: featx on rclone's copy: exit status $?"
	_t2=$(now)
	show "rclone copy, then featx" "$T/rc" "$_t0" "$_t2"
	rm -rf "$T/rc" "$T/rcfeat"
else
	printf "$FMT" "rclone copy" - - - - "skipped (Debian rclone missing)"
fi
echo "WORK KiB: the pipeline's WORK; for rclone, its local copy (featx's records not counted)"
canon() { jq -c 'select(.type == null) | [.name, .dup.role, .sha256]' "$1" | sort; }
if [ "$(canon "$T/wold/report.ndjson")" = "$(canon "$T/wnew/report.ndjson")" ]; then
	echo "  same report from both layouts"
else
	echo "  WARNING: the two layouts' reports differ"
fi
