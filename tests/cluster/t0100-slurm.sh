#!/bin/sh
# The Slurm recipe (examples/slurm) on a real single-node Slurm against a real Azurite:
# four array tasks list and fingerprint a shard each, a dependent job merges their stores
# and runs dedupe, four dependent array tasks copy a part of the report each.  The merged
# report and the destination must be those of a one-machine run (pipeline.mk); a resubmit
# must redo nothing; one shard must give the same too.  Prints the timings (no timed
# assertion).  Needs root: make check-cluster.
. "$(dirname "$0")/../e2e/lib.sh"
. "$TOP/tests/e2e/azurite.sh"
. "$TOP/tests/cluster/slurm.sh"
unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY \
	AZURE_STORAGE_SAS_TOKEN AZURE_STORAGE_TOKEN AZURE_STORAGE_TOKEN_FILE \
	AZDEDUP_SRC AZDEDUP_DST AZD_CREDENTIALS AZD_SHARED 2> /dev/null || true
WAIT=${CLUSTER_WAIT:-300}   # seconds a submission may take before the test fails
az_start
chmod 755 "$T"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=$AZ;"
# the photos and their known variants, and a few broken files, in a container
S="$T/src"
$PY "$TOP/examples/mkvariants.py" "$PHOTOS" "$S" > /dev/null || { fail "mkvariants"; finish; }
rm -f "$S/truth.tsv"
mkdir -p "$S/bad"
head -c 3000 "$PHOTOS/astronaut.jpg" > "$S/bad/truncated.jpg"
echo "not an image" > "$S/bad/text.jpg"
nimg=$(find "$S" -type f | wc -l)
AZURE_STORAGE_CONNECTION_STRING=$CONN azls -q --all "$S" |
	AZURE_STORAGE_CONNECTION_STRING=$CONN azcp -q "$AZ/photos" > /dev/null
check_eq "source uploaded" "$(AZURE_STORAGE_CONNECTION_STRING=$CONN azls -q --all "$AZ/photos" | wc -l)" "$nimg"

# the one-machine run
t0=$(now)
AZURE_STORAGE_CONNECTION_STRING=$CONN make --no-print-directory -s -f "$TOP/pipeline.mk" \
	SRC="$AZ/photos" DST="$AZ/one" WORK="$T/one" BIN="$BIN/" Q=-q > "$T/one.out" 2>&1
check_eq "one-machine pipeline: exit 0" "$?" "0"
t_one=$(secs "$t0" "$(now)")

slurm_start
# credentials in a file only the user reads, never in the jobs' environment
printf 'AZURE_STORAGE_CONNECTION_STRING=%s\n' "'$CONN'" > "$T/creds"
chmod 600 "$T/creds"

submit() {  # SHARED DST N C: submit, wait; sets JOBS, t_run
	_t0=$(now)
	JOBS=$(AZD_SHARED="$1" AZDEDUP_SRC="$AZ/photos" AZDEDUP_DST="$AZ/$2" AZD_BIN="$BIN" \
		AZD_CREDENTIALS="$T/creds" "$TOP/examples/slurm/submit.sh" -n "$3" -c "$4" -m 200M -- --cpus-per-task=1 --mem=100M \
		2> "$T/submit.err")
	if [ $? -ne 0 ]; then
		fail "submit.sh -n $3 -c $4"
		sed 's/^/    /' "$T/submit.err"
		finish
	fi
	JOBS=$(echo "$JOBS" | tr ' ' ',')
	if ! slurm_wait "$WAIT" "$JOBS"; then
		fail "jobs $JOBS finished within $WAIT s"
		for f in "$1"/logs/*.log; do [ -f "$f" ] && { echo "    --- $f"; tail -n 20 "$f" | sed 's/^/    /'; }; done
		finish
	fi
	t_run=$(secs "$_t0" "$(now)")
	_bad=$(slurm_states "$JOBS" | grep -v 'JobState=COMPLETED$')
	if [ -n "$_bad" ]; then
		fail "every job of $JOBS completed"
		echo "$_bad" | sed 's/^/    /'
		for f in "$1"/logs/*.log; do [ -f "$f" ] && { echo "    --- $f"; tail -n 20 "$f" | sed 's/^/    /'; }; done
		slurm_logs
	else
		ok "every job of $JOBS completed (-n $3 -c $4)"
	fi
}
# a report without its work-folder paths (each run fetches into its own folder)
nopath() { jq -c 'del(.path)' "$1"; }
dstlist() {  # CONTAINER: name, size and MD5 of every blob
	AZURE_STORAGE_CONNECTION_STRING=$CONN azls -q --all "$AZ/$1" | jq -r '"\(.name) \(.size) \(.content_md5)"'
}

# --- four shards, the copy in four parts ---------------------------------------------
submit "$T/sh4" four 4 4
t_four=$t_run
R4="$T/sh4/shards-4/all/report.ndjson"
check_same "4 shards: the merged report is the one-machine report (but for work paths)" \
	"$(nopath "$R4" | md5sum)" "$(nopath "$T/one/report.ndjson" | md5sum)"
check "the report has groups and failures to compare" jq -e -s \
	'[.[] | select(.type == "summary")][0] | .groups > 5 and .failed == 2' "$R4"
check_same "4 shards: the destination is the one-machine destination" \
	"$(dstlist four | md5sum)" "$(dstlist one | md5sum)"
check_eq "the destination holds every keeper and unique" "$(dstlist four | wc -l)" \
	"$(jq -r 'select(.dup.role == "keeper" or .dup.role == "unique") | .name' "$T/one/report.ndjson" | wc -l)"
check "every shard listed a part" sh -c 'for k in 0 1 2 3; do [ $(wc -l < "$1/sh4/shards-4/$k/list.ndjson") -gt 3 ] || exit 1; done' - "$T"
check_eq "the shards' listings together are the whole listing, each name once" \
	"$(cat "$T"/sh4/shards-4/[0-3]/list.ndjson | jq -r .name | sort | md5sum)" \
	"$(jq -r .name "$T/one/list.ndjson" | sort | md5sum)"
check_eq "every copy part copied something" \
	"$(for k in 0 1 2 3; do jq -r 'select(.copy == "copied") | .name' "$T/sh4/shards-4/copy-4/$k.ndjson" | wc -l | awk '$1 > 0 { print "y" }'; done | tr -d '\n')" "yyyy"
check_eq "the merge job got its own memory (-m)" \
	"$(scontrol -o show job "$(echo "$JOBS" | cut -d, -f2)" | grep -o 'MinMemoryNode=[0-9A-Z]*')" "MinMemoryNode=200M"
check "no credential in the job logs or the records" sh -c '! grep -rl -e Eby8vdM02 -e AccountKey "$1/sh4"' - "$T"
check "no credential in Slurm's state of the jobs" sh -c '! grep -rl -e Eby8vdM02 -e AccountKey "$1/slurm/state"' - "$T"

# --- a resubmit redoes nothing --------------------------------------------------------
touch "$T/before-rerun"
submit "$T/sh4" four 4 4
t_rerun=$t_run
check_eq "rerun: every shard skipped its stages (nothing written in the shards)" \
	"$(find "$T/sh4/shards-4" -path '*/all' -prune -o -path '*/copy-4' -prune -o -type f -newer "$T/before-rerun" -print | wc -l)" "0"
check "rerun: the merge was skipped" grep -q 'merge of 4 shards: done already' "$T"/sh4/logs/azdedup-azd-merge-*.log
check_eq "rerun: every copy part was skipped" \
	"$(cat "$T"/sh4/logs/azdedup-azd-copy-*.log | grep -c 'done already')" "4"
check_eq "rerun: the report is unchanged" "$(find "$R4" -newer "$T/before-rerun" | wc -l)" "0"

# --- one shard: the same answer ---------------------------------------------------------
submit "$T/sh1" single 1 1
t_single=$t_run
check_same "1 shard: the same report" "$(nopath "$T/sh1/shards-1/all/report.ndjson" | md5sum)" \
	"$(nopath "$T/one/report.ndjson" | md5sum)"
check_same "1 shard: the same destination" "$(dstlist single | md5sum)" "$(dstlist one | md5sum)"

# --- refused setups ---------------------------------------------------------------------------
AZURE_STORAGE_KEY=secret AZD_SHARED="$T/x" AZDEDUP_SRC="$AZ/photos" \
	"$TOP/examples/slurm/submit.sh" -n 2 > /dev/null 2> "$T/err"
check_eq "a credential in the environment is refused: exit 2" "$?" "2"
check "and the message says where it goes" grep -q '^submit.sh: AZURE_STORAGE_KEY is set: .*AZD_CREDENTIALS file$' "$T/err"
chmod 644 "$T/creds"
AZD_SHARED="$T/x" AZDEDUP_SRC="$AZ/photos" AZD_CREDENTIALS="$T/creds" \
	"$TOP/examples/slurm/submit.sh" -n 2 > /dev/null 2> "$T/err"
check_eq "a credentials file others can read is refused: exit 2" "$?" "2"
check_eq "nothing was submitted" "$(squeue -h | wc -l)" "0"

echo "timing: one machine (pipeline.mk) $t_one s; Slurm, 1 shard $t_single s; 4 shards $t_four s; 4 shards rerun $t_rerun s ($nimg images, $(nproc) cores)"
slurm_stop
finish
