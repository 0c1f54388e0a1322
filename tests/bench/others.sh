#!/bin/sh
# others.sh — featx next to other perceptual hashers and the JPEG decode floor, on the
# same files: images per second and CPU seconds per image (user + sys) for featx (all
# features, and hashes only; -j 1 and the default -j), djpeg -scale 1/8, PIL's 1/8 draft
# decode, ImageHash phash (Python), OpenCV's img_hash PHash and findimagedupes.  Two
# sets: the bench photo set (DIR, or the variants of examples/photos stacked
# BENCH_COPIES times) and 12-MP JPEGs made once from examples/photos.  Prints tables on
# stdout.  Not a test: nothing here passes or fails on speed.
#
#   others.sh [DIR]        DIR: the photo set run.sh built (default: build it here)
#   BENCH_COPIES=N         copies of the variant set when no DIR is given (default 8)
#   BENCH_BIG_COPIES=N     12-MP JPEGs per example photo (default 4; 0 skips that set)
#   IMAGEHASH_SRC=DIR      a checkout of github.com/JohannesBuchner/imagehash, used when
#                          `import imagehash` fails (it is not packaged in Debian)
#
# The Python hashers run in ONE process over all files, timed around the loop only (no
# interpreter start or imports per file), on one core.  Debian packages they need,
# installed here when missing and we are root (or have sudo): python3-numpy
# python3-scipy python3-pywt python3-pil python3-opencv findimagedupes.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
HB="$TOP/tests/bench/others/hashbench.py"
COPIES=${BENCH_COPIES:-8}
BIG=${BENCH_BIG_COPIES:-4}
bench_tmp others
NCPU=$(nproc)
# the Python hashers on one core (numpy/scipy/OpenCV would otherwise spread); featx is
# told -j, findimagedupes runs as it ships (its CPU seconds say what it used)
PY1="env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $PY"

# the Debian packages the other hashers need, installed only when missing
missing=""
for p in python3-numpy python3-scipy python3-pywt python3-pil python3-opencv findimagedupes; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ] && command -v apt-get > /dev/null; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO="sudo -n"
	echo "others.sh: installing:$missing" >&2
	# shellcheck disable=SC2086
	{ $SUDO apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			$missing > /dev/null; } || echo "others.sh: could not install:$missing" >&2
fi

# ImageHash: importable as is, or from a checkout in IMAGEHASH_SRC
IH=
if "$PY" -c 'import imagehash' 2> /dev/null; then
	IH=yes
elif [ -n "${IMAGEHASH_SRC:-}" ] && [ -d "$IMAGEHASH_SRC/imagehash" ]; then
	PYTHONPATH="$IMAGEHASH_SRC${PYTHONPATH:+:$PYTHONPATH}"
	export PYTHONPATH
	"$PY" -c 'import imagehash' 2> "$T/iherr" && IH=yes
fi
# featx: hashes only through --local 0 when this featx has it
LOCAL0=
"$BIN/featx" --help 2>&1 | grep -q -- '--local' && LOCAL0=yes
# every file decoded, as the other hashers do: the set's copies are byte for byte
MEMO0=
"$BIN/featx" --help 2>&1 | grep -q -- '--memo' && MEMO0="--memo 0"

row() {  # WHAT ITEMS SECONDS NOTE
	awk -v w="$1" -v n="$2" -v s="$3" -v note="$4" 'BEGIN {
		if (s <= 0) s = 1e-9
		printf "%-28s %8d %9.3f %10.1f  %s\n", w, n, s, n / s, note }'
}
skip() { printf "%-28s %8s  skipped: %s\n" "$1" "-" "$2"; }
cpu() {  # CPU_SECONDS ITEMS -> "0.0123 cpu-s/img"
	awk -v c="$1" -v n="$2" 'BEGIN { printf "%.4f cpu-s/img", (n > 0 ? c / n : 0) }'
}
# timed OUTFILE CMD...: run CMD under /usr/bin/time; OUTFILE gets "WALL CPU"
timed() {
	_o=$1; shift
	/usr/bin/time -f '%e %U %S' -o "$_o.t" "$@" || true
	tail -n 1 "$_o.t" | awk '{ printf "%s %.3f\n", $1, $2 + $3 }' > "$_o"
}

compare() {  # SETDIR LABEL
	S=$1
	find "$S" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) |
		sort > "$T/files"
	grep -i '\.jpe\?g$' "$T/files" > "$T/jpgs" || true
	n=$(wc -l < "$T/files")
	nj=$(wc -l < "$T/jpgs")
	mb=$(tr '\n' '\0' < "$T/files" | du -smc --files0-from=- | tail -n 1 | cut -f1)
	sed 's|.*|{"name":"x","path":"&"}|' "$T/files" > "$T/recs"
	echo
	echo "other hashers, $2: $n images ($nj JPEG; $mb MB; $NCPU cores)"
	printf "%-28s %8s %9s %10s  %s\n" "stage" "items" "seconds" "items/s" "note"

	# featx: all features, then hashes only; one thread, then all cores
	for mode in all hashes; do
		if [ "$mode" = all ]; then
			[ -n "$LOCAL0" ] || continue
			label="featx"; opt=""; what="all features"
		elif [ -n "$LOCAL0" ]; then
			label="featx --local 0"; opt="--local 0"; what="hashes only"
		else
			label="featx (hashes)"; opt=""; what="default features"
		fi
		js=1
		[ "$NCPU" -le 1 ] || js="1 $NCPU"
		for j in $js; do
			# shellcheck disable=SC2086
			timed "$T/r" "$BIN/featx" -q -j "$j" $MEMO0 $opt -i "$T/recs" -o "$T/feat"
			read -r w c < "$T/r"
			if [ "$j" = 1 ]; then
				w1=$w
				row "$label -j 1" "$n" "$w" "$what, $(cpu "$c" "$n")"
				[ "$mode" = all ] || echo "$c" > "$T/featx_cpu"
			else
				row "$label -j $j" "$n" "$w" "$what, $(cpu "$c" "$n"), $(awk -v a="$w1" -v b="$w" 'BEGIN { printf "%.2fx -j 1", (b > 0 ? a / b : 0) }')"
			fi
		done
	done

	# the decode floor: djpeg at 1/8 scale to grayscale, a process per file; then the
	# same DCT-scaled decode inside one process (PIL draft mode, libjpeg-turbo)
	if command -v djpeg > /dev/null && [ "$nj" -gt 0 ]; then
		# shellcheck disable=SC2016
		timed "$T/r" sh -c 'while read -r f; do djpeg -scale 1/8 -grayscale "$f" > /dev/null; done < "$1"' sh "$T/jpgs"
		read -r w c < "$T/r"
		row "djpeg -scale 1/8 (floor)" "$nj" "$w" "JPEGs only, a process each, $(cpu "$c" "$nj")"
	fi
	if [ "$nj" -gt 0 ] && $PY1 "$HB" pildraft "$T/jpgs" > "$T/py" 2> "$T/pyerr"; then
		read -r _ ok w c < "$T/py"
		row "PIL 1/8 draft decode" "$ok" "$w" "JPEGs only, one process, $(cpu "$c" "$ok")"
	fi

	# ImageHash phash: PIL decodes the whole image, 32x32 DCT in scipy
	if [ -z "$IH" ]; then
		skip "ImageHash phash" "not installed (set IMAGEHASH_SRC to a checkout of JohannesBuchner/imagehash)"
	elif $PY1 "$HB" imagehash "$T/files" > "$T/py" 2> "$T/pyerr"; then
		read -r _ ok w c < "$T/py"
		row "ImageHash phash" "$ok" "$w" "one process, 1 core, loop only, $(cpu "$c" "$ok")"
		echo "$c $ok" > "$T/ih_cpu"
	else
		skip "ImageHash phash" "$(tail -n 1 "$T/pyerr")"
	fi

	# OpenCV img_hash PHash: cv2.imread (full decode) + PHash
	if $PY1 "$HB" cv2 "$T/files" > "$T/py" 2> "$T/pyerr"; then
		read -r _ ok w c < "$T/py"
		row "OpenCV img_hash PHash" "$ok" "$w" "one process, 1 core, loop only, $(cpu "$c" "$ok")"
	else
		skip "OpenCV img_hash PHash" "cv2 or cv2.img_hash missing (Debian python3-opencv)"
	fi

	# findimagedupes: fingerprints every file with GraphicsMagick, then compares
	if command -v findimagedupes > /dev/null; then
		# shellcheck disable=SC2016
		timed "$T/r" sh -c 'findimagedupes -q -- - < "$1" > "$2" 2> /dev/null' sh "$T/files" "$T/fid"
		read -r w c < "$T/r"
		row "findimagedupes -q" "$n" "$w" "fingerprint + compare, $(grep -c . "$T/fid" || true) groups, $(cpu "$c" "$n")"
	else
		skip "findimagedupes" "not installed (Debian findimagedupes)"
	fi

	# per core: featx hashes only at -j 1 against ImageHash
	if [ -s "$T/featx_cpu" ] && [ -s "$T/ih_cpu" ]; then
		lbl="featx (hashes)"
		[ -z "$LOCAL0" ] || lbl="featx --local 0"
		awk -v f="$(cat "$T/featx_cpu")" -v n="$n" -v ih="$(cat "$T/ih_cpu")" -v lbl="$lbl -j 1" 'BEGIN {
			split(ih, a, " "); fi = f / n; ii = a[1] / a[2]
			printf "per core: %s %.4f cpu-s/img, ImageHash phash %.4f: %.1fx the images per CPU second\n",
				lbl, fi, ii, ii / fi }'
	fi
	rm -f "$T/featx_cpu" "$T/ih_cpu" "$T/feat"
}

if [ ! -x "$BIN/featx" ]; then
	echo "others.sh: $BIN/featx missing (run make)" >&2
	exit 2
fi

# set 1: the bench photo set
if [ $# -ge 1 ]; then
	compare "$1" "the bench photo set"
else
	bench_photoset "$T/src" "$COPIES"
	compare "$T/src" "the bench photo set (variants x $COPIES)"
	rm -rf "$T/src"
fi

# set 2: 12-MP JPEGs (4000x3000, quality 90) made from the example photos
if [ "$BIG" -gt 0 ]; then
	"$PY" "$HB" big examples/photos "$T/big" "$BIG"
	compare "$T/big" "12-MP JPEGs (4000x3000 q90)"
fi
