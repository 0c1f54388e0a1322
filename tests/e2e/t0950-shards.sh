#!/bin/sh
# examples/azd-step.sh without a scheduler (make check-cluster runs it under a real Slurm):
# two shards, the merge and two copy parts on local folders give the one-machine run's
# report (but for work paths) and destination; reruns skip; misuse is refused.
. "$(dirname "$0")/lib.sh"
STEP="$TOP/examples/azd-step.sh"
S="$T/src"
$PY "$TOP/examples/mkvariants.py" "$PHOTOS" "$S" > /dev/null || { fail "mkvariants"; finish; }
rm -f "$S/truth.tsv"
echo "not an image" > "$S/text.jpg"
make --no-print-directory -s -f "$TOP/pipeline.mk" SRC="$S" DST="$T/one-dst" WORK="$T/one" \
	BIN="$BIN/" Q=-q > "$T/one.out" 2>&1
check_eq "one-machine pipeline: exit 0" "$?" "0"

export AZD_SHARED="$T/sh" AZDEDUP_SRC="$S" AZDEDUP_DST="$T/dst" AZD_BIN="$BIN" AZD_SHARDS=2
unset AZD_CREDENTIALS AZD_DEVICE 2> /dev/null || true
"$STEP" merge 2 > /dev/null 2> "$T/err"
check_eq "merge before the shards: exit 1" "$?" "1"
check "and it names them" grep -q '^azd-step: shards not done: 0 1 (run them again first)$' "$T/err"
rc=0
for k in 0 1; do "$STEP" shard $k 2 2>> "$T/steps.err" || rc=$?; done
"$STEP" merge 2 2>> "$T/steps.err" || rc=$?
for k in 0 1; do "$STEP" copy $k 2 2>> "$T/steps.err" || rc=$?; done
check_eq "two shards, merge, two copy parts: exit 0" "$rc" "0"
R="$T/sh/shards-2/all/report.ndjson"
check_same "the same report as one machine (but for work paths)" \
	"$(jq -c 'del(.path)' "$R" | md5sum)" "$(jq -c 'del(.path)' "$T/one/report.ndjson" | md5sum)"
check "the same destination" diff -r "$T/one-dst" "$T/dst"
check "each shard listed a part" sh -c '[ $(wc -l < "$1/0/list.ndjson") -gt 5 ] && [ $(wc -l < "$1/1/list.ndjson") -gt 5 ]' - "$T/sh/shards-2"
touch "$T/mark"
rc=0
for k in 0 1; do "$STEP" shard $k 2 2> /dev/null || rc=$?; done
"$STEP" merge 2 2> "$T/err" || rc=$?
for k in 0 1; do "$STEP" copy $k 2 2>> "$T/err" || rc=$?; done
check_eq "rerun: exit 0" "$rc" "0"
check_eq "rerun: nothing written" "$(find "$T/sh" -newer "$T/mark" -type f | wc -l)" "0"
check_eq "rerun: merge and copies skipped" "$(grep -c 'done already' "$T/err")" "3"

for args in "" "shard" "shard 2 2" "shard x 2" "merge 0" "copy 1" "bogus 1 2"; do
	"$STEP" $args > /dev/null 2> "$T/err"
	check_eq "azd-step $args: exit 2" "$?" "2"
done
AZD_SHARED= "$STEP" shard 0 2 > /dev/null 2> "$T/err"
check_eq "no AZD_SHARED: exit 2" "$?" "2"
check "and it says so" grep -q '^azd-step: AZD_SHARED is not set' "$T/err"
AZD_DEVICE=tpu "$STEP" shard 0 2 > /dev/null 2> "$T/err"
check_eq "AZD_DEVICE=tpu: exit 2" "$?" "2"
AZD_CREDENTIALS="$T/none" "$STEP" shard 0 2 > /dev/null 2> "$T/err"
check_eq "a missing credentials file: exit 2" "$?" "2"
finish
