#!/bin/bash
# submit.sh — run the azdedup pipeline on a Slurm cluster: N array tasks list and
# fingerprint a shard each, a job that depends on them merges the shards' stores and runs
# dedupe, and C array tasks that depend on it copy a part of the report each.
#
#   AZD_SHARED=/shared/azd AZDEDUP_SRC=... AZDEDUP_DST=... \
#   AZD_CREDENTIALS=~/.azdedup.env examples/slurm/submit.sh [-n N] [-c C] [-p P] [-m MEM] [-g]
#       [-- SBATCH-OPTS...]
#
#   -n N   listing shards (array tasks of the feature step; default 16)
#   -c C   copy parts (array tasks of the copy step; default N)
#   -g     ask for a GPU for each shard task (--gres=gpu:1); featx then uses it
#   -p P   at most P shard tasks at once (--array=...%P)
#   -m MEM memory of the merge job (sbatch --mem; dedupe holds every image's data)
#   --     the rest goes to every sbatch (a partition, an account, ...)
#
# Prints the three job ids ("shard MERGE copy").  Run it again after a failure: finished
# shards, the merge and finished copy parts are skipped (azd-step.sh).  Credentials are
# refused in the environment (Slurm would keep them with the job in its state folder):
# put them in the AZD_CREDENTIALS file.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=16 c= gpu= par= mem=
while getopts n:c:gp:m: o; do
	case $o in
	n) n=$OPTARG ;;
	c) c=$OPTARG ;;
	g) gpu=1 ;;
	p) par=$OPTARG ;;
	m) mem=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" != -- ] || shift
c=${c:-$n}
die() { echo "submit.sh: $*" >&2; exit 2; }
for v in "$n" "$c" ${par:+"$par"}; do
	case $v in '' | *[!0-9]* | 0) die "-n, -c and -p take a number above 0, got '$v'" ;; esac
done
[ -n "${AZD_SHARED:-}" ] || die "AZD_SHARED is not set (a folder every node sees)"
for v in AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_KEY AZURE_STORAGE_SAS_TOKEN \
    AZURE_STORAGE_TOKEN; do
	[ -z "${!v:-}" ] || die "$v is set: Slurm would keep it with the job; put it in the AZD_CREDENTIALS file"
done
case "${AZDEDUP_SRC:-}${AZDEDUP_DST:-}" in
*\?*) die "AZDEDUP_SRC or AZDEDUP_DST holds a SAS: set it in the AZD_CREDENTIALS file" ;;
esac
if [ -n "${AZD_CREDENTIALS:-}" ]; then
	[ -r "$AZD_CREDENTIALS" ] || die "AZD_CREDENTIALS: cannot read $AZD_CREDENTIALS"
	case $(stat -c %a "$AZD_CREDENTIALS") in
	?00) ;;
	*) die "AZD_CREDENTIALS: $AZD_CREDENTIALS is readable by others (chmod 600 it)" ;;
	esac
fi
export AZD_STEP=${AZD_STEP:-$(cd "$here/.." && pwd)/azd-step.sh} AZD_SHARDS=$n
mkdir -p -- "$AZD_SHARED/logs" || die "cannot make $AZD_SHARED/logs"
log=$AZD_SHARED/logs/azdedup-%x-%A_%a.log
sb() { sbatch --parsable --export=ALL --output="$log" "$@"; }
a=$(sb "$@" --job-name=azd-shard --array="0-$((n - 1))${par:+%$par}" ${gpu:+--gres=gpu:1} \
	"$here/azdedup.sbatch" shard "$n") || die "sbatch (shards) failed"
a=${a%%;*}
m=$(sb "$@" ${mem:+--mem="$mem"} --job-name=azd-merge --dependency="afterok:$a" \
	"$here/azdedup.sbatch" merge "$n") ||
	die "sbatch (merge) failed"
m=${m%%;*}
k=$(sb "$@" --job-name=azd-copy --dependency="afterok:$m" --array="0-$((c - 1))" \
	"$here/azdedup.sbatch" copy "$c") || die "sbatch (copy) failed"
k=${k%%;*}
echo "$a $m $k"
