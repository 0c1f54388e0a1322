#!/bin/sh
# eval.sh — `make eval`: accuracy of featx + dedupe at the default settings.
#  1. known variants (27 transforms) of the example photos: per transform the distances
#     of true pairs and the recall, with and without --rotations; pair precision and
#     group purity overall; hard negatives.
#  2. sets of one kind (tests/bench/evalsets.py: photos, pages, nightsky, flat, faces, icons,
#     ui, products, and a manual and two icon themes the thresholds were not chosen on:
#     octave-pages, mate-icons, lxde-icons, and a children's game's drawings and sprites:
#     clipart, sprites; three themes more, at 96 and 32 px and one-colour glyphs:
#     faenza-icons, tango-icons, symbolic-icons; two themes more, flat 64 px tiles and
#     256 px: moka-icons, yaru-icons; a game's painted portraits and clip art of every
#     kind: portraits, openclipart; desktop wallpapers, national flags and a game's
#     terrain pieces: wallpapers, flags, terrain; a space game's art and a platform
#     game's sprites: space, creatures; and
#     pictures of one template, generated:
#     plots, forms): originals, two variants each from 17
#     transforms (pages 18: and a scan), distractors,
#     look-alikes; pair precision and recall per set and per transform for dedupe at its
#     defaults, with rotations on or off (whichever dedupe's --help offers), without
#     keypoints (--no-local: what featx --local 0 records give), and
#     ImageHash's phash <= 10 on the same files; and per set, who keeps the groups that
#     hold an original with a copy of its own at the defaults (the original or a lossless
#     turn of it, a degraded copy by its transform, or another picture: the file the
#     destination gets).  False pairs between twins (two pictures of a set one of which
#     is the other mirrored or turned: go-first and go-last) are counted apart too, with
#     the precision without them: with mirrors matched, nothing tells such a pair from a
#     picture and its mirrored copy.  Prints tables; not a test.
# Environment:
#   SETS=a,b          only these sets (default: all); SETS=none skips part 2
#   EXAMPLES=0        skip part 1
#   EVAL_DIR=DIR      cache of source packages (debs/), built sets and their features
#                     (sets/SET/), default build/eval; a set is rebuilt when its version
#                     key in evalsets.py changes, its features when the featx binary does
#   EVAL_DEDUPE_ARGS  more options for every dedupe run of part 2
#   EVAL_JSON=FILE    also write the scores as JSON (default EVAL_DIR/scores.json): per
#                     set and run precision, recall, per transform, false and missed pairs
#                     with their hash distances
#   EVAL_TSV=FILE     and as TSV (default EVAL_DIR/scores.tsv): set, run, row (a transform,
#                     variant+variant, or all), found, pairs, recall, precision, false pairs
#   EVAL_FALSE=N      list up to N false pairs per set and run (with their hash distances,
#                     and how each end joined its group: keeper, stage, evidence)
#   EVAL_WHY=1        also trace every candidate pair of the default runs (dedupe
#                     --trace-pairs) and print, per set, why its true pairs were missed
#                     and how its false pairs were taken (tests/bench/evalwhy.py; -v
#                     lists the pairs: EVAL_WHY=-v)
#   IMAGEHASH_SRC=DIR a checkout of JohannesBuchner/imagehash for the ImageHash column
#   EVAL_VARIANTS=N   variants per original (2; more gives steadier figures per transform)
#   JOBS=N            featx and dedupe threads (2)
#   EVAL_MTIMES=SEED  give every record of part 2 a random mtime (a day's seconds, drawn
#                     from SEED) before dedupe: the default keep policy ranks the oldest
#                     first, so this draws other keepers, and other groups from the same
#                     pairs (the 28 sets at 52c5cd6: 117 to 125 false pairs over three
#                     seeds); EVAL_MTIMES=files: the files' own dates, the seconds the set
#                     was built in (which vary from one build to the next); by default
#                     every record gets one date, 2026-01-01, so that the figures are the
#                     same on every machine and every build of the sets (the ties the date
#                     would break fall to the keep policy's later keys)
. "$(dirname "$0")/lib.sh"
bench_tmp eval
PY=/usr/bin/python3
if [ "${EXAMPLES:-1}" != 0 ]; then
	$PY tests/bench/eval.py make examples/photos "$T/set"
	"$BIN/azls" -q "$T/set" | "$BIN/featx" -q > "$T/features.ndjson"
	"$BIN/dedupe" -q -i "$T/features.ndjson" -o "$T/default"
	"$BIN/dedupe" -q --rotations -i "$T/features.ndjson" -o "$T/rotations"
	echo "azdedup accuracy: $(ls "$T/set" | wc -l) photos, $(grep -c . "$T/features.ndjson") files"
	$PY tests/bench/eval.py score "$T/features.ndjson" "$T/default" "$T/rotations"
	"$BIN/azls" -q "$T/set.hard" | "$BIN/featx" -q | "$BIN/dedupe" -q -o "$T/hard"
	$PY tests/bench/eval.py hard "$T/hard"
fi

SETS=${SETS:-all}
[ "$SETS" = none ] && exit 0
$PY tests/bench/evalsets.py sets | awk -F'\t' 'NF == 3' > "$T/sets"
[ "$SETS" = all ] && SETS=$(cut -f1 "$T/sets" | paste -sd, -)
EVAL_DIR=${EVAL_DIR:-build/eval}
mkdir -p "$EVAL_DIR"
EVAL_DIR=$(cd "$EVAL_DIR" && pwd)
TOPV="$EVAL_DIR/sets"
DEBS="$EVAL_DIR/debs"
mkdir -p "$TOPV" "$DEBS/root"
sets=$(echo "$SETS" | tr ',' ' ')

# the Debian packages the chosen sets draw their images from: downloaded and unpacked
# under EVAL_DIR/debs (not installed)
pkgs=""
for s in $sets; do
	p=$(awk -F'\t' -v s="$s" '$1 == s { print $2 }' "$T/sets")
	[ -n "$p" ] || { echo "eval.sh: $s: no such set" >&2; exit 2; }
	[ "$p" = generated ] || pkgs="$pkgs $p"
done
for p in $pkgs; do
	[ -e "$DEBS/$p.done" ] && continue
	(cd "$DEBS" && rm -f "${p}"_*.deb && apt-get download -qq "$p" 2>/dev/null) || {
		echo "eval.sh: $p: apt-get download failed; the sets that need it are skipped" >&2; continue; }
	dpkg-deb -x "$DEBS/${p}"_*.deb "$DEBS/root" && rm -f "$DEBS/${p}"_*.deb && touch "$DEBS/$p.done"
done

FEATX_KEY=$(sha256sum "$BIN/featx" | cut -c1-16)
built=""
for s in $sets; do
	need=$(awk -F'\t' -v s="$s" '$1 == s { print $2 }' "$T/sets")
	key=$(awk -F'\t' -v s="$s" '$1 == s { print $3 }' "$T/sets")
	miss=""
	for p in $need; do [ "$p" = generated ] || [ -e "$DEBS/$p.done" ] || miss="$miss $p"; done
	if [ -n "$miss" ]; then echo "$s: skipped (missing:$miss)"; continue; fi
	if [ "$(cat "$TOPV/$s/built.key" 2>/dev/null)" != "$key" ]; then
		rm -rf "${TOPV:?}/$s"
		EVAL_DEBS="$DEBS/root" $PY tests/bench/evalsets.py build "$TOPV" "$s"
		echo "$key" > "$TOPV/$s/built.key"
	fi
	if [ "$(cat "$TOPV/$s/features.key" 2>/dev/null)" != "$FEATX_KEY" ]; then
		"$BIN/azls" -q "$TOPV/$s/files" | "$BIN/featx" -q -j "${JOBS:-2}" -o "$TOPV/$s/features.ndjson"
		echo "$FEATX_KEY" > "$TOPV/$s/features.key"
	fi
	built="$built $s"
done
[ -n "$built" ] || exit 0

# dedupe at its defaults, and with rotations switched the other way
help=$("$BIN/dedupe" --help 2>&1 || true)
other=""
case "$help" in
*--no-rotations*) other="no-rotations" ;;
*--rotations*) other="rotations" ;;
esac
# and without keypoints (what featx --local 0 records give: hashes alone)
nolocal=""
case "$help" in *--no-local*) nolocal="no-local" ;; esac
R="$T/runs"
mkdir -p "$R/default" ${other:+"$R/$other"} ${nolocal:+"$R/$nolocal"}
runs="-r default=$R/default"
[ -n "$other" ] && runs="$runs -r $other=$R/$other"
[ -n "$nolocal" ] && runs="$runs -r $nolocal=$R/$nolocal"
# shellcheck disable=SC2086
for s in $built; do
	f=$TOPV/$s/features.ndjson
	if [ "${EVAL_MTIMES:-}" != files ]; then
		$PY - "${EVAL_MTIMES:-}" "$f" "$T/$s.mtimes.ndjson" <<'PY'
import json, random, sys
r = random.Random(int(sys.argv[1])) if sys.argv[1] else None
with open(sys.argv[2]) as src, open(sys.argv[3], "w") as out:
    for line in src:
        rec = json.loads(line)
        if r is None:
            rec["mtime"] = "2026-01-01T00:00:00Z"
        else:
            rec["mtime"] = "2026-01-01T%02d:%02d:%02dZ" % (r.randrange(24), r.randrange(60), r.randrange(60))
        out.write(json.dumps(rec) + "\n")
PY
		f=$T/$s.mtimes.ndjson
	fi
	"$BIN/dedupe" -q -j "${JOBS:-2}" ${EVAL_DEDUPE_ARGS:-} ${EVAL_WHY:+--trace-pairs "$R/default/$s.trace"} \
		-i "$f" -o "$R/default/$s.ndjson"
	[ -z "$other" ] || "$BIN/dedupe" -q -j "${JOBS:-2}" "--$other" ${EVAL_DEDUPE_ARGS:-} \
		-i "$f" -o "$R/$other/$s.ndjson"
	[ -z "$nolocal" ] || "$BIN/dedupe" -q -j "${JOBS:-2}" --no-local ${EVAL_DEDUPE_ARGS:-} \
		-i "$f" -o "$R/$nolocal/$s.ndjson"
done
case ${EVAL_MTIMES:-} in
"") dates="every record dated 2026-01-01" ;;
files) dates="the files' own dates" ;;
*) dates="mtimes drawn from seed $EVAL_MTIMES" ;;
esac
echo "azdedup accuracy on sets of one kind (dedupe ${EVAL_DEDUPE_ARGS:-at its defaults}, $dates; cache $TOPV)"
# shellcheck disable=SC2086
$PY tests/bench/evalsets.py score "$TOPV" $built $runs --json "${EVAL_JSON:-$EVAL_DIR/scores.json}" --tsv "${EVAL_TSV:-$EVAL_DIR/scores.tsv}" --false "${EVAL_FALSE:-0}"
if [ -n "${EVAL_WHY:-}" ]; then
	for s in $built; do
		echo "== $s: why (tests/bench/evalwhy.py)"
		# shellcheck disable=SC2046
		$PY tests/bench/evalwhy.py "$TOPV/$s" "$R/default/$s.ndjson" "$R/default/$s.trace" \
			$([ "$EVAL_WHY" = -v ] && echo -v)
	done
fi
