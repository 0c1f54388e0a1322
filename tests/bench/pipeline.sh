#!/bin/sh
# pipeline.sh — the whole pipeline against its peer, end to end on the same files: azdedup's
# default pipeline (make -f pipeline.mk, all stages to the copy) from a local folder to
# a folder and from an Azurite container to another container, against `rclone copy` of
# the container to a local folder followed by an ImageHash script that computes phash,
# dhash and whash of every image and pairs them at imagededup's default threshold
# (Hamming distance <= 10: tests/bench/others/pipepeer.py), and that script alone on the
# folder.  Prints wall seconds, CPU seconds (user + sys of the command and its children;
# Azurite's own CPU apart, in its column) and the ratios, then the pair precision and
# recall of both against the photo set's truth.  Not a test: nothing here passes or fails
# on speed.  One Azurite; each row the best of PIPE_RUNS runs, each into fresh
# destinations; the machine is shared, so compare CPU seconds as much as wall seconds.
#
#   PIPE_COPIES=N     copies of the bench photo set's 52 images (default BENCH_COPIES, else
#                     8: 416 images, 31 MB; PIPE_COPIES=100 gives 5,200 images, 390 MB)
#   PIPE_PHOTOS=WHICH examples (default): the bench photo set as it is, the example photos
#                     (256 to 1,411 pixels) and their variants; 1920: the same variants
#                     made from 1920x1280 JPEGs of those photos (tests/bench/featx_set.py:
#                     a camera's size, as issue 20's featx target is stated), 53 files,
#                     about 40 MB a copy of the set
#   IMAGEHASH_SRC=DIR a checkout of github.com/JohannesBuchner/imagehash, used when
#                     `import imagehash` fails (Debian has no package of it); numpy,
#                     scipy, PyWavelets and PIL come from Debian (python3-numpy
#                     python3-scipy python3-pywt python3-pil)
#   P=N               azcp -P and rclone --transfers/--checkers (default 16)
#   PIPE_RUNS=N       runs of each row, every one into fresh destinations; the row shows
#                     the one with the least wall time (default 3)
#   PIPE_STAGE_REPEAT=N  runs of each tool alone for the table of where the folder run's
#                     CPU seconds go (default 3)
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/bench/rclone.sh"
COPIES=${PIPE_COPIES:-${BENCH_COPIES:-8}}
RUNS=${PIPE_RUNS:-3}
P=${P:-16}
PY=/usr/bin/python3
PEER="$TOP/tests/bench/others/pipepeer.py"

bench_azurite pipeline 0 azls featx featstore dedupe azcp

# ImageHash: importable as is, or from IMAGEHASH_SRC
IH=no
why="ImageHash not importable (set IMAGEHASH_SRC to a checkout of JohannesBuchner/imagehash)"
if "$PY" -c 'import numpy, scipy, pywt, PIL' 2> /dev/null; then
	if "$PY" -c 'import imagehash' 2> /dev/null; then
		IH=yes
	elif [ -n "${IMAGEHASH_SRC:-}" ] && PYTHONPATH="$IMAGEHASH_SRC" "$PY" -c 'import imagehash' 2> /dev/null; then
		IH=yes
	fi
else
	why="numpy, scipy, pywt or PIL missing (Debian python3-numpy python3-scipy python3-pywt python3-pil)"
fi

case ${PIPE_PHOTOS:-examples} in
examples)
	bench_photoset "$T/src" "$COPIES" "$T/truth.tsv"
	what="the bench photo set x $COPIES"
	;;
1920)
	"$PY" tests/bench/featx_set.py examples/photos "$T/big"
	bench_photoset "$T/src" "$COPIES" "$T/truth.tsv" "$T/big/jpg1920"
	rm -rf "$T/big"
	what="the bench photo set made from 1920x1280 JPEGs, x $COPIES"
	;;
*)
	echo "pipeline.sh: PIPE_PHOTOS is examples or 1920, not ${PIPE_PHOTOS}" >&2
	exit 2
	;;
esac
n=$(find "$T/src" -type f | wc -l)
mb=$(du -sm "$T/src" | cut -f1)

bench_azurite_up pipeline
bench_upload "$T/src" photos "$n"
bench_rclone "$URL"

TCK=$(getconf CLK_TCK)
azcpu() {
	sed 's/^.*) //' "/proc/$AZ_PID/stat" | awk -v t="$TCK" '{ printf "%.2f\n", ($12 + $13) / t }'
}
# settle: dirty pages written out, the source files and Azurite's blobs in the page cache
settle() {
	sync
	find "$T/src" "$T/azurite" -type f -exec cat {} + > /dev/null 2>&1 || true
}
# timed NAME DEST... -- CMD...: run CMD under /usr/bin/time RUNS times, each into fresh
# destinations (the DEST folders removed first; a container is a fresh name each run,
# below); NAME.t gets "WALL CPU AZURITE_CPU RC" of the run with the least wall time.
# Azurite is a Node program that gets faster as its code warms up: one run alone would
# give whichever row runs first the cold server (the first container read took twice
# as long as the same read a minute later), so every row, the peer's too, is its best.
# The destinations are DST plus the run's number ($RUN): a fresh folder or container.
timed() {
	_o=$1
	shift
	_d=
	while [ "$1" != -- ]; do _d="$_d $1"; shift; done
	shift
	_k=1
	: > "$T/$_o.all"
	while [ "$_k" -le "$RUNS" ]; do
		# shellcheck disable=SC2086
		[ -z "$_d" ] || rm -rf $_d
		RUN=$_k
		export RUN
		settle
		_a0=$(azcpu)
		_rc=0
		/usr/bin/time -f '%e %U %S' -o "$T/$_o.time" "$@" > "$T/$_o.out.$_k" 2>&1 || _rc=$?
		_a1=$(azcpu)
		tail -n 1 "$T/$_o.time" | awk -v a="$_a0" -v b="$_a1" -v rc="$_rc" -v k="$_k" \
			'{ printf "%s %.2f %.2f %s %s\n", $1, $2 + $3, b - a, rc, k }' >> "$T/$_o.all"
		[ "$_rc" = 0 ] || { echo "  WARNING: $_o: exit status $_rc:"; tail -n 5 "$T/$_o.out.$_k" | sed 's/^/    /'; }
		_k=$((_k + 1))
	done
	# a failed run is the row's result; else the fastest
	_best=$(awk '$4 != 0 { print; exit }' "$T/$_o.all")
	[ -n "$_best" ] || _best=$(sort -n -k1,1 "$T/$_o.all" | head -n 1)
	echo "$_best" | cut -d' ' -f1-4 > "$T/$_o.t"
	cp "$T/$_o.out.${_best##* }" "$T/$_o.out"
}
# the runs, each a command of its own for /usr/bin/time
PIPE='make --no-print-directory -f "$1/pipeline.mk" SRC="$2" DST="$3$RUN" WORK="$4" BIN="$5" AZCP_OPTS="-P $6" FEATX_OPTS="$7"'
PEER_RCLONE='rclone -q --transfers "$1" --checkers "$1" copy AZ:photos "$2" && "$3" "$4" run "$2" "$5"'

timed az-local "$T/w-local" -- sh -c "$PIPE" sh "$TOP" "$T/src" "$T/dst-local" "$T/w-local" "$BIN/" "$P" ""
timed az-azure "$T/w-azure" -- sh -c "$PIPE" sh "$TOP" "$URL/photos" "$URL/unique" "$T/w-azure" "$BIN/" "$P" ""
# the same with every file decoded (featx --memo 0: no byte-identical copy answered from
# the features of an earlier one), the cost of a set without exact copies
timed az-local0 "$T/w-local0" -- sh -c "$PIPE" sh "$TOP" "$T/src" "$T/dst-local0" "$T/w-local0" "$BIN/" "$P" "--memo 0"
timed az-azure0 "$T/w-azure0" -- sh -c "$PIPE" sh "$TOP" "$URL/photos" "$URL/unique0" "$T/w-azure0" "$BIN/" "$P" "--memo 0"
if [ "$IH" = yes ]; then
	[ -z "${IMAGEHASH_SRC:-}" ] || { PYTHONPATH="$IMAGEHASH_SRC"; export PYTHONPATH; }
	timed ih-local "$T/peer-local" -- "$PY" "$PEER" run "$T/src" "$T/peer-local"
	[ "$HAVE_RCLONE" = no ] ||
		timed ih-azure "$T/rc" "$T/peer-az" -- sh -c "$PEER_RCLONE" sh "$P" "$T/rc" "$PY" "$PEER" "$T/peer-az"
fi

FMT="%-34s %9s %9s %8s %6s %6s  %s\n"
echo "whole pipeline: $n images ($mb MB, $what), $(nproc) cores;" \
	"rclone $RCV, -P $P; ImageHash pairs at <= 10 (imagededup's default)"
printf "$FMT" "run" "wall s" "CPU s" "azurite" "wall x" "CPU x" "note"
row() {  # WHAT NAME BASE_NAME NOTE WHY_SKIPPED
	if [ ! -f "$T/$2.t" ]; then
		printf "$FMT" "$1" - - - - - "skipped: $5"
		return
	fi
	read -r w c a rc < "$T/$2.t"
	[ "$rc" = 0 ] || set -- "$1" "$2" "$3" "FAILED (exit status $rc), $4"
	if [ -n "$3" ] && [ -f "$T/$3.t" ]; then
		read -r bw bc _ _ < "$T/$3.t"
		wx=$(awk -v a="$w" -v b="$bw" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1e-9) }')
		cx=$(awk -v a="$c" -v b="$bc" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1e-9) }')
	else
		wx=- cx=-
	fi
	printf "$FMT" "$1" "$w" "$c" "$a" "$wx" "$cx" "$4"
}
ihwhy=$why
[ "$HAVE_RCLONE" = yes ] || ihwhy="rclone missing (Debian rclone)"
row "azdedup, folder -> folder" az-local "" "make -f pipeline.mk, every stage" ""
row "ImageHash script on the folder" ih-local az-local "3 hashes, $(nproc) processes" "$why"
row "azdedup, container -> container" az-azure "" "featx reads the blobs, azcp copies server-side" ""
row "rclone copy + ImageHash script" ih-azure az-azure "copy to a folder, then the script" "$ihwhy"
row "azdedup, folder, --memo 0" az-local0 "" "every file decoded, copies too" ""
row "ImageHash script on the folder" ih-local az-local0 "against the row above" "$why"
row "azdedup, container, --memo 0" az-azure0 "" "every blob decoded, copies too" ""
row "rclone copy + ImageHash script" ih-azure az-azure0 "against the row above" "$ihwhy"
echo "wall x, CPU x: the peer's seconds over azdedup's on the same files (the target: 5x or more)."
echo "The peer stops at its pairs: it neither groups nor copies anything; azdedup's runs end"
echo "with the unique images in the destination.  CPU s: user + sys of the run and its"
echo "children (make and the tools; rclone, Python and its $(nproc) workers); azurite: the"
echo "emulator's CPU seconds during the run, counted in neither."
if [ "$COPIES" -gt 1 ]; then
	echo "The set holds each file $COPIES times, byte for byte: featx decodes each content once"
	echo "(a copy takes the features of the first, --memo), and dedupe folds the copies (one"
	echo "image per content is searched and checked) and groups the others with it.  The"
	echo "--memo 0 rows decode every file, as a set without exact copies costs per image."
fi
for r in az-local az-azure ih-local ih-azure; do
	[ -s "$T/$r.out" ] || continue
	case $r in az-local) echo "pipeline.mk's lines, folder -> folder:" ;;
	az-azure) echo "pipeline.mk's lines, container -> container:" ;;
	ih-*) echo "the peer's ImageHash script, $([ $r = ih-local ] && echo "on the folder" || echo "on rclone's copy"):" ;;
	esac
	sed 's/^/  /' "$T/$r.out"
done

# Where the folder run's CPU seconds go: each stage's tool run again alone on the run's own
# files (PIPE_STAGE_REPEAT times, the mean), the tools' starts for pipeline.mk's --version
# and --spec questions, and what is left of the run's CPU seconds: pipeline.mk itself
# (bash, its checksums, greps and renames) and the pipe between featx and featstore.
if [ -s "$T/w-local/features.ndjson" ] && [ -f "$T/az-local.t" ]; then
	R=${PIPE_STAGE_REPEAT:-3}
	SPEC=$("$BIN/featx" --spec)
	W=$T/w-local
	# cpu NAME CMD...: the mean CPU seconds (user + sys) of R runs into $T/st-NAME
	cpu() {
		_n=$1
		shift
		: > "$T/st-$_n.all"
		_k=0
		while [ $_k -lt "$R" ]; do
			rm -rf "$T/st-store" "$T/st-dst"
			[ "$_n" != "featstore get" ] || "$BIN/featstore" put -q "$T/st-store" -i "$T/st-fx.ndjson"
			/usr/bin/time -f '%U %S' -o "$T/st.time" "$@" > /dev/null 2>&1 || true
			tail -n 1 "$T/st.time" >> "$T/st-$_n.all"
			_k=$((_k + 1))
		done
		awk -v r="$R" '{ s += $1 + $2 } END { printf "%.3f\n", s / r }' "$T/st-$_n.all" > "$T/st-$_n"
	}
	"$BIN/featx" -q -i "$W/todo.ndjson" -o "$T/st-fx.ndjson"
	cpu "azls" "$BIN/azls" -q "$T/src" -o "$T/st-list.ndjson"
	cpu "featstore has" "$BIN/featstore" has -q --spec "$SPEC" "$T/st-store" -i "$W/list.ndjson" -o "$T/st-todo.ndjson"
	cpu "featx" "$BIN/featx" -q -i "$W/todo.ndjson" -o "$T/st-fx2.ndjson"
	cpu "featstore put" "$BIN/featstore" put -q "$T/st-store" -i "$T/st-fx.ndjson"
	cpu "featstore get" "$BIN/featstore" get -q --spec "$SPEC" "$T/st-store" -i "$W/list.ndjson" -o "$T/st-features.ndjson"
	cpu "dedupe" "$BIN/dedupe" -q -i "$W/features.ndjson" -o "$T/st-report.ndjson"
	cpu "azcp" "$BIN/azcp" -q -P "$P" -i "$W/report.ndjson" -o "$T/st-copied.ndjson" "$T/st-dst"
	# the questions pipeline.mk asks: each tool's --version, featx --spec twice
	cpu "tool starts" sh -c 'for t in azls featx featstore featstore dedupe azcp; do "$1/$t" --version; done; "$1/featx" --spec; "$1/featx" --spec' sh "$BIN"
	# the whole folder run R times more, into fresh folders: its mean, beside the tools' means
	cpu "run" sh -c 'rm -rf "$4" "$5" && make --no-print-directory -f "$1/pipeline.mk" SRC="$2" DST="$5" WORK="$4" BIN="$3/" AZCP_OPTS="-P $6"' \
		sh "$TOP" "$T/src" "$BIN" "$T/st-work" "$T/st-dst2" "$P"
	run_cpu=$(cat "$T/st-run")
	echo "where the CPU seconds of the folder -> folder run go (the run and each tool alone on its files, means of $R):"
	sum=0
	for n in "azls" "featstore has" "featx" "featstore put" "featstore get" "dedupe" "azcp" "tool starts"; do
		c=$(cat "$T/st-$n")
		sum=$(awk -v a="$sum" -v b="$c" 'BEGIN { print a + b }')
		printf "  %-16s %7.3f s  %5.1f%%\n" "$n" "$c" "$(awk -v a="$c" -v b="$run_cpu" 'BEGIN { print (b > 0 ? 100 * a / b : 0) }')"
	done
	printf "  %-16s %7.3f s  %5.1f%%  (the rest of the run's %.2f s: bash, sha256sum, grep, tee, mv; and featx and featstore put sharing the cores)\n" \
		"pipeline.mk" "$(awk -v a="$run_cpu" -v b="$sum" 'BEGIN { print a - b }')" \
		"$(awk -v a="$run_cpu" -v b="$sum" 'BEGIN { print (a > 0 ? 100 * (a - b) / a : 0) }')" "$run_cpu"
fi

echo "accuracy on the same files (truth: the photo each file was made from):"
if [ -s "$T/w-local/report.ndjson" ] && [ -s "$T/peer-local" ]; then
	"$PY" "$PEER" score "$T/truth.tsv" "$T/w-local/report.ndjson" "$T/peer-local"
elif [ -s "$T/w-local/report.ndjson" ]; then
	"$PY" "$PEER" score "$T/truth.tsv" "$T/w-local/report.ndjson" -
fi
# the container runs found the same: the same report, the same pairs
canon() { jq -c 'select(.type == null) | [.name, .dup.role, .sha256]' "$1" | sort; }
if [ -s "$T/w-azure/report.ndjson" ] && [ "$(canon "$T/w-local/report.ndjson")" != "$(canon "$T/w-azure/report.ndjson")" ]; then
	echo "  WARNING: azdedup's reports from the folder and the container differ"
fi
if [ -s "$T/peer-az" ] && [ "$(grep '^p' "$T/peer-local" | sort)" != "$(grep '^p' "$T/peer-az" | sort)" ]; then
	echo "  WARNING: the peer's pairs from the folder and rclone's copy differ"
fi
