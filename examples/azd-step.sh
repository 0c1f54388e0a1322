#!/bin/bash
# azd-step.sh — one step of the pipeline on a cluster: what a Slurm array task
# (examples/slurm) or a Kubernetes indexed pod (examples/k8s) runs.
#
#   azd-step.sh shard K N     list shard K of N of SRC (azls --shard K/N), fetch it and put
#                             its features into the shard's own store (pipeline.mk's list,
#                             fetch and features stages, with their resume markers)
#   azd-step.sh merge N       merge the N shard stores into one, join the features of
#                             every shard's records in byte order of their names (the
#                             order one machine's azls lists them in) and run dedupe
#   azd-step.sh copy K M      copy part K of M of the report (azcp --shard K/M, by group)
#
# Everything comes from the environment, so no credential is on any command line:
#   AZD_SHARED       a folder every node sees (required); the steps keep their work in
#                    AZD_SHARED/shards-N/ (K/ for each shard, all/ for the merge)
#   AZDEDUP_SRC      the source (required for shard), AZDEDUP_DST the destination
#                    (required for copy): a folder or a container URL, as for azls/azcp
#   AZD_CREDENTIALS  a file sourced first (mode 600), for AZURE_STORAGE_* and a SRC or DST
#                    with a SAS: Slurm keeps a job's environment in its state folder, so
#                    credentials travel in this file, not in the job's environment
#   AZD_BIN          the folder of the tools (default: those on PATH)
#   AZD_PIPELINE     pipeline.mk (default: beside this script's source tree, then
#                    AZD_BIN/../share/azdedup/pipeline.mk)
#   AZD_DEVICE       auto (default: --device cuda when nvidia-smi lists a GPU), cpu, cuda
#   AZGET_OPTS, FEATX_OPTS, DEDUPE_OPTS, AZCP_OPTS: extra options of those tools
#   KEEP_FILES=1     shards copy the images into their work folders (azget) as
#                    pipeline.mk does with it; by default featx reads them from SRC
#
# Reruns skip finished work: a shard whose stages are done (pipeline.mk's markers) runs
# nothing, the merge reruns only when a shard's features changed, a copy part only when
# the report or DST changed.  Exit status: 0 done; 1 done but some records failed in this
# step (a rerun retries them); 2 a usage or setup error.
set -u -o pipefail
me=azd-step
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 2; }
say() { printf '%s: %s\n' "$me" "$*" >&2; }

if [ -n "${AZD_CREDENTIALS:-}" ]; then
	[ -r "$AZD_CREDENTIALS" ] || die "AZD_CREDENTIALS: cannot read $AZD_CREDENTIALS"
	set -a
	# shellcheck disable=SC1090
	. "$AZD_CREDENTIALS" || die "AZD_CREDENTIALS: $AZD_CREDENTIALS failed"
	set +a
fi
[ -n "${AZD_SHARED:-}" ] || die "AZD_SHARED is not set (a folder every node sees)"
B=${AZD_BIN:+${AZD_BIN%/}/}
here=$(cd "$(dirname "$0")" && pwd)
PIPELINE=${AZD_PIPELINE:-}
for p in "$here/../pipeline.mk" "${B:+${B}../share/azdedup/pipeline.mk}" \
    "$(dirname "$(command -v azls 2> /dev/null || echo /usr/local/bin/azls)")/../share/azdedup/pipeline.mk"; do
	[ -n "$PIPELINE" ] && break
	[ -n "$p" ] && [ -f "$p" ] && PIPELINE=$p
done
num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }

# the GPU, when there is one and AZD_DEVICE allows it
device_opts() {
	case ${AZD_DEVICE:-auto} in
	cpu) ;;
	cuda*) echo "--device $AZD_DEVICE" ;;
	auto) if command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L 2> /dev/null | grep -q '^GPU '; then
			echo "--device cuda"
		fi ;;
	*) die "AZD_DEVICE: expected auto, cpu or cuda[:N], got '$AZD_DEVICE'" ;;
	esac
}

# the records a shard's features were made from, as pipeline.mk's join stage reads them:
# the listing, or azget's records with KEEP_FILES=1 (local copies)
shard_records() {
	if [ -n "${KEEP_FILES:-}" ]; then echo fetched.ndjson; else echo list.ndjson; fi
}

step_shard() {
	local k=$1 n=$2 w dev
	[ -n "${AZDEDUP_SRC:-}" ] || die "AZDEDUP_SRC is not set"
	[ -n "$PIPELINE" ] || die "pipeline.mk not found (set AZD_PIPELINE)"
	w=$AZD_SHARED/shards-$n/$k
	mkdir -p -- "$w" || die "cannot make $w"
	dev=$(device_opts) || exit 2
	say "shard $k/$n in $w${dev:+ ($dev)}"
	# SRC reaches pipeline.mk (and azls) through AZDEDUP_SRC: no SAS on a command line
	local bin=()
	[ -z "$B" ] || bin=(BIN="$B")
	make --no-print-directory -s -f "$PIPELINE" WORK="$w" STORE="$w/store" \
		"${bin[@]}" Q=-q AZLS_OPTS="--shard $k/$n" AZGET_OPTS="${AZGET_OPTS:-}" \
		KEEP_FILES="${KEEP_FILES:-}" \
		FEATX_OPTS="${FEATX_OPTS:-}${dev:+ $dev}" features
	case $? in
	0) say "shard $k/$n: done ($(wc -l < "$w/$(shard_records)") records)" ;;
	*) say "shard $k/$n: not done (run it again to retry)"; exit 1 ;;
	esac
}

# sort_by_name IN OUT: the records of IN in byte order of their names (UTF-8 byte order
# is code point order: each code point becomes 8 decimal digits, so sort(1) in the C
# locale orders the keys as the names), atomically; records without a name last
sort_by_name() {
	jq -c -r '((.name // null) | if type == "string" then explode | map(. + 16777216 | tostring) | join("") else "~" end) + "\t" + tojson' < "$1" |
		LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 | cut -f2- > "$2.tmp" && mv -f -- "$2.tmp" "$2"
}

step_merge() {
	local n=$1 d=$AZD_SHARED/shards-$1 a k want missing= spec stores=()
	a=$d/all
	mkdir -p -- "$a" || die "cannot make $a"
	for ((k = 0; k < n; k++)); do
		[ -f "$d/$k/.done/features" ] || missing="$missing $k"
		stores+=("$d/$k/store")
	done
	[ -z "$missing" ] || { say "shards not done:$missing (run them again first)"; exit 1; }
	spec=$("${B}featx" ${FEATX_OPTS:-} --spec) || die "featx ${FEATX_OPTS:-} --spec failed"
	# what the report depends on: every shard's features marker, the spec, DEDUPE_OPTS
	want=$( { for ((k = 0; k < n; k++)); do sha256sum < "$d/$k/.done/features"; done
		echo "spec $spec"; echo "dedupe ${DEDUPE_OPTS:-} $("${B}dedupe" --version)"; } | sha256sum)
	if [ -f "$a/.merged" ] && [ "$(cat -- "$a/.merged")" = "$want" ] && [ -f "$a/report.ndjson" ]; then
		say "merge of $n shards: done already"
		return 0
	fi
	rm -f -- "$a/.merged"
	say "merge of $n shards into $a"
	"${B}featstore" merge "$a/store" -q "${stores[@]}" || die "featstore merge failed"
	for ((k = 0; k < n; k++)); do cat -- "$d/$k/$(shard_records)"; done > "$a/fetched.all" &&
		sort_by_name "$a/fetched.all" "$a/fetched.ndjson" && rm -f -- "$a/fetched.all" ||
		die "cannot gather the shards' records into $a/fetched.ndjson"
	"${B}featstore" get -q --spec "$spec" "$a/store" -i "$a/fetched.ndjson" -o "$a/features.ndjson"
	[ $? -le 1 ] || die "featstore get failed"
	"${B}dedupe" -q ${DEDUPE_OPTS:-} -i "$a/features.ndjson" -o "$a/report.ndjson" ||
		[ $? -eq 1 ] || die "dedupe failed"
	echo "$want" > "$a/.merged.tmp" && mv -f -- "$a/.merged.tmp" "$a/.merged" || die "cannot write $a/.merged"
	say "merge: $(jq -c 'select(.type == "summary") | {images, unique, groups, duplicates, failed}' "$a/report.ndjson")"
}

step_copy() {
	local k=$1 m=$2 n=${AZD_SHARDS:-} d r c want rc
	[ -n "${AZDEDUP_DST:-}" ] || die "AZDEDUP_DST is not set"
	num "$n" && [ "$n" -gt 0 ] || die "AZD_SHARDS (the listing's shard count) is not set"
	d=$AZD_SHARED/shards-$n
	r=$d/all/report.ndjson
	c=$d/copy-$m
	[ -f "$d/all/.merged" ] || { say "no merged report in $d/all (run the merge first)"; exit 1; }
	mkdir -p -- "$c" || die "cannot make $c"
	want=$( { sha256sum < "$r"; echo "dst ${AZDEDUP_DST%%\?*}"; echo "opts ${AZCP_OPTS:-}"; } | sha256sum)
	if [ -f "$c/$k.done" ] && [ "$(cat -- "$c/$k.done")" = "$want" ]; then
		say "copy $k/$m: done already"
		return 0
	fi
	rm -f -- "$c/$k.done"
	"${B}azcp" -q ${AZCP_OPTS:-} --shard "$k/$m" -i "$r" -o "$c/$k.ndjson"
	rc=$?
	[ $rc -le 1 ] || die "azcp failed (exit $rc)"
	if grep -q '"error":{"stage":"azcp"' "$c/$k.ndjson"; then
		say "copy $k/$m: some copies failed (see $c/$k.ndjson); run it again to retry"
		exit 1
	fi
	echo "$want" > "$c/$k.done"
	say "copy $k/$m: $(jq -r 'select(.copy == "copied") | .name' "$c/$k.ndjson" | wc -l) copied"
}

case ${1:-} in
shard) [ $# -eq 3 ] && num "$2" && num "$3" && [ "$2" -lt "$3" ] ||
		die "usage: $me shard K N (0 <= K < N)"
	step_shard "$2" "$3" ;;
merge) [ $# -eq 2 ] && num "$2" && [ "$2" -gt 0 ] || die "usage: $me merge N"
	step_merge "$2" ;;
copy) [ $# -eq 3 ] && num "$2" && num "$3" && [ "$2" -lt "$3" ] ||
		die "usage: $me copy K M (0 <= K < M; AZD_SHARDS=N)"
	step_copy "$2" "$3" ;;
*) die "usage: $me shard K N | merge N | copy K M" ;;
esac
