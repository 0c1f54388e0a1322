#!/bin/sh
# run.sh — `make bench`: time each stage of the pipeline on a folder of real photos and
# their variants, next to the decode floor (djpeg -scale 1/8), and dedupe on synthetic
# feature records.  Prints a table on stdout.  Not a test: nothing here passes or fails
# on speed.
#
#   BENCH_COPIES=N   how many copies of the variant set to stack (default 8)
#   BENCH_RECORDS=N  synthetic records for dedupe (default 20000)
#   BENCH_SCALE="N..."  sizes of the dedupe scale runs (default "100000 1000000 10000000")
#   BENCH_LOCAL="N..."  sizes of the keypoint runs (default "10000 100000")
#   BENCH_REAL="N..."   sizes of the runs on records from real photo features (default
#                       "1000000")
#   BENCH_LOCALREAL="N..."  sizes of the local-stage runs on real-feature records with
#                       keypoints (tests/bench/localscale.sh; default "10000 100000")
#   BENCH_REVIEW="N..." sizes of the review page runs (default "10000 100000 1000000")
#   PIPE_COPIES_1920=N  copies of the 1920-pixel photo set in the second whole-pipeline
#                       run (tests/bench/pipeline.sh, PIPE_PHOTOS=1920; default 4)
. "$(dirname "$0")/lib.sh"
COPIES=${BENCH_COPIES:-8}
NREC=${BENCH_RECORDS:-20000}
bench_tmp bench

now() { date +%s.%N; }
row() {  # WHAT ITEMS T0 T1 NOTE
	awk -v w="$1" -v n="$2" -v a="$3" -v b="$4" -v note="$5" 'BEGIN {
		s = b - a; if (s <= 0) s = 1e-9
		printf "%-28s %8d %9.3f %10.1f  %s\n", w, n, s, n / s, note }'
}

# the photo set: every variant of every example photo, COPIES times under k1/, k2/...
bench_photoset "$T/src" "$COPIES"
n=$(find "$T/src" -type f | wc -l)
mb=$(du -sm "$T/src" | cut -f1)

echo "azdedup bench: $n real images ($mb MB; $(nproc) cores; $(uname -m))"
printf "%-28s %8s %9s %10s  %s\n" "stage" "items" "seconds" "items/s" "note"

t0=$(now); "$BIN/azls" -q -o "$T/list" "$T/src"; t1=$(now)
row "azls" "$n" "$t0" "$t1" "local folder"
t0=$(now); "$BIN/azget" -q -d "$T/work" -i "$T/list" -o "$T/fetched"; t1=$(now)
row "azget" "$n" "$t0" "$t1" "hard links"
t0=$(now); "$BIN/azget" -q --copy -d "$T/work2" -i "$T/list" -o /dev/null; t1=$(now)
row "azget --copy" "$n" "$t0" "$t1" "byte copies"
t0=$(now); "$BIN/featx" -q -i "$T/fetched" -o "$T/feat" || true; t1=$(now)
row "featx" "$n" "$t0" "$t1" "decode, sha256, hashes, colour, keypoints"
t0=$(now); "$BIN/featstore" put -q "$T/store" -i "$T/feat"; t1=$(now)
row "featstore put" "$n" "$t0" "$t1" "$(du -sk "$T/store" | cut -f1) KiB on disk"
t0=$(now); "$BIN/featstore" get -q "$T/store" -i "$T/fetched" -o "$T/joined"; t1=$(now)
row "featstore get" "$n" "$t0" "$t1" "join in input order"
t0=$(now); "$BIN/dedupe" -q -i "$T/joined" -o "$T/report"; t1=$(now)
row "dedupe" "$n" "$t0" "$t1" "$(jq -r 'select(.type == "summary") | "\(.groups) groups"' "$T/report")"
t0=$(now); "$BIN/azcp" -q -i "$T/report" "$T/dst" > /dev/null; t1=$(now)
row "azcp" "$(find "$T/dst" -type f | wc -l)" "$t0" "$t1" "keepers + uniques"

# the decode floor: djpeg at 1/8 scale to grayscale, one process per file
find "$T/src" -type f -name '*.jpg' > "$T/jpgs"
nj=$(wc -l < "$T/jpgs")
if command -v djpeg > /dev/null; then
	t0=$(now)
	while read -r f; do djpeg -scale 1/8 -grayscale "$f" > /dev/null; done < "$T/jpgs"
	t1=$(now)
	row "djpeg -scale 1/8 (floor)" "$nj" "$t0" "$t1" "JPEGs only, a process each"
	sed 's|.*|{"name":"x","path":"&"}|' "$T/jpgs" > "$T/jpgrecs"
	t0=$(now); "$BIN/featx" -q -i "$T/jpgrecs" -o /dev/null || true; t1=$(now)
	row "featx, same JPEGs" "$nj" "$t0" "$t1" "one process"
fi
BUILD="$BUILD" sh "$TOP/tests/bench/others.sh" "$T/src"  # featx next to ImageHash, OpenCV, findimagedupes
BUILD="$BUILD" sh "$TOP/tests/bench/featx_stages.sh"  # featx stage by stage, and against djpeg
BUILD="$BUILD" sh "$TOP/tests/bench/bombs.sh"  # featx's peak memory on decompression bombs

# dedupe on synthetic feature records (tests/helpers/synthrec): N hashes, every tenth a
# planted twin of the one before (2 bits off in each hash); the index search, against
# all pairs at NREC
synth() {
	"$TOP/$BUILD/tests/helpers/synthrec" "$@"
}
scale_row() {  # N LABEL OPTIONS...  (SYNTH=FILE for other records than $T/synthN, PLANTED=K)
	n=$1; label=$2; shift 2
	t0=$(now)
	/usr/bin/time -f '%M %U %S' -o "$T/rss" "$BIN/dedupe" -q "$@" -i "${SYNTH:-$T/synth$n}" -o "$T/sreport"
	t1=$(now)
	found=$(jq -r 'select(.type == "summary") | .duplicates' "$T/sreport")
	row "$label" "$n" "$t0" "$t1" "$found of ${PLANTED:-$((n / 10))} planted pairs, $(awk '{ printf "peak %d MiB, %.1f s CPU", $1 / 1024, $2 + $3 }' "$T/rss")"
}
synth "$NREC" > "$T/synth$NREC"
scale_row "$NREC" "dedupe, all pairs" --search all
scale_row "$NREC" "dedupe, index r=12" 
for n in ${BENCH_SCALE:-100000 1000000 10000000}; do
	synth "$n" > "$T/synth$n"
	scale_row "$n" "dedupe, index r=12" 
	scale_row "$n" "dedupe, index r=8" --phash-max 8
	scale_row "$n" "dedupe, exact only" --exact-only
	# the defaults' turns and mirrors on records that have turned forms (every tenth a
	# near twin, every tenth another a turned copy), up to 1M (each own hash searched
	# among eight forms of every item: 10M takes hours)
	if [ "$n" -le 1000000 ]; then
		synth "$n" 0 0.10 1 > "$T/synthrot$n"
		SYNTH="$T/synthrot$n" PLANTED=$((n / 5)) scale_row "$n" "dedupe, turns+mirrors"
		rm -f "$T/synthrot$n"
	fi
	# the feature store at the same size: put, cat, bytes on disk per image
	rm -rf "$T/store$n"
	t0=$(now); "$BIN/featstore" put -q "$T/store$n" -i "$T/synth$n"; t1=$(now)
	mb=$(du -sk "$T/store$n" | awk '{ print $1 / 1024 }')
	row "featstore put" "$n" "$t0" "$t1" "$(awk -v k="$mb" -v n="$n" 'BEGIN { printf "%.1f MiB on disk, %.0f bytes per image", k, k * 1048576 / n }')"
	t0=$(now); "$BIN/featstore" cat -q "$T/store$n" | wc -l > "$T/catn"; t1=$(now)
	row "featstore cat" "$n" "$t0" "$t1" "$(cat "$T/catn") records back"
	rm -rf "$T/store$n"
	rm -f "$T/synth$n"
done

# dedupe on records from real photo features (tests/bench/realrec.py: perturbed copies
# of the photo set's features, biased and correlated bits as real hashes have, every
# tenth a planted near twin), at the default settings (turns and mirrors on)
for n in ${BENCH_REAL:-1000000}; do
	/usr/bin/python3 "$TOP/tests/bench/realrec.py" "$T/feat" "$n" > "$T/real$n"
	t0=$(now)
	/usr/bin/time -f %M -o "$T/rss" "$BIN/dedupe" -q -i "$T/real$n" -o "$T/rreport"
	t1=$(now)
	row "dedupe, real-feature records" "$n" "$t0" "$t1" "$(jq -r 'select(.type == "summary") | "\(.duplicates) duplicates ('$((n / 10))' planted), \(.search.ambiguous) ambiguous"' "$T/rreport"), peak $(($(cat "$T/rss") / 1024)) MiB"
	rm -f "$T/real$n"
done

# the Hamming pair search alone on the same planted twins (tests/helpers/mihbench)
for r in 8 12; do "$TOP/$BUILD/tests/helpers/mihbench" 1000000 "$r" 2 3; done

# the local stage at scale: 256 keypoints a record, every tenth record a planted crop
# of the one before (an 80% window, a tenth of each descriptor's bits turned), found
# only through the descriptor index and keypoint matching
for n in ${BENCH_LOCAL:-10000 100000}; do
	synth "$n" 256 0.10 > "$T/local$n"
	t0=$(now)
	/usr/bin/time -f %M -o "$T/rss" "$BIN/dedupe" -q -i "$T/local$n" -o "$T/lreport"
	t1=$(now)
	row "dedupe, keypoints" "$n" "$t0" "$t1" "$(jq -r 'select(.type == "summary") | "\(.local) of '$((n / 10))' planted crops, \(.search.local_candidates) index candidates"' "$T/lreport"), peak $(($(cat "$T/rss") / 1024)) MiB, $(($(wc -c < "$T/local$n") / 1048576)) MiB in"
	t0=$(now)
	/usr/bin/time -f %M -o "$T/rss" "$BIN/dedupe" -q --kp-cache 32 -i "$T/local$n" -o "$T/lreport2"
	t1=$(now)
	row "dedupe, --kp-cache 32" "$n" "$t0" "$t1" "$(cmp -s "$T/lreport" "$T/lreport2" && echo "same report" || echo "REPORT DIFFERS"), peak $(($(cat "$T/rss") / 1024)) MiB"
	rm -f "$T/local$n"
done

# the local stage per verified pair and per image on clustered real-feature records with
# keypoints and on the eval sets
BUILD="$BUILD" sh "$TOP/tests/bench/localscale.sh" ${BENCH_LOCALREAL:-10000 100000}

# the review page at 10k, 100k and 1M images: writing, size, time to first render
BUILD="$BUILD" sh "$TOP/tests/bench/review.sh"

# CPU against GPU (a "skipped" line where there is none)
BUILD="$BUILD" sh "$TOP/tests/bench/gpu.sh"

# azdedup next to rclone on Azurite: listing, downloads, server-side copy
sh "$TOP/tests/bench/azure.sh"

# the pipeline without local copies against KEEP_FILES=1: scratch disk per image, time
BUILD="$BUILD" sh "$TOP/tests/bench/nolocal.sh"
BUILD="$BUILD" sh "$TOP/tests/bench/pipeline.sh"  # the whole pipeline against rclone copy + ImageHash (IMAGEHASH_SRC), wall and CPU
# the same on camera-sized photos: the example photos' variants made from 1920x1280 JPEGs
BUILD="$BUILD" PIPE_PHOTOS=1920 PIPE_COPIES=${PIPE_COPIES_1920:-4} sh "$TOP/tests/bench/pipeline.sh"
BUILD="$BUILD" sh "$TOP/tests/bench/latency.sh"  # featx reading a container 30 ms away, by thread count

# the fault matrix: azcp upload, azget and server-side copy through injected faults
BUILD="$BUILD" sh "$TOP/tests/bench/faults.sh" || echo "fault matrix: FAILED (status $?)"
