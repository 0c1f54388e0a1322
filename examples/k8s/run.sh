#!/bin/bash
# run.sh — run the three azdedup Jobs on a Kubernetes cluster, each after the one before
# completed: azdedup-shards (N pods, one shard each), azdedup-merge, azdedup-copy (C pods).
#
#   examples/k8s/run.sh [-n N] [-c C] [-i IMAGE] [-N NAMESPACE] [-t TIMEOUT] [-d]
#
#   -n N        shards (default 4), -c C copy parts (default N)
#   -i IMAGE    the image built from Dockerfile (default REGISTRY/azdedup:latest)
#   -t SECONDS  how long each Job may take (default 86400)
#   -d          print the manifests with these settings instead of applying them
#
# Needs the Secret azdedup-credentials and the claim in pvc.yaml (README.md).  Rerunning
# after a failure deletes the Jobs that failed and starts them again: the steps skip the
# work already done (finished shards, the merge, copied parts).
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=4 c= img=REGISTRY/azdedup:latest ns= timeout=86400 dry=
while getopts n:c:i:N:t:d o; do
	case $o in
	n) n=$OPTARG ;; c) c=$OPTARG ;; i) img=$OPTARG ;; N) ns=$OPTARG ;;
	t) timeout=$OPTARG ;; d) dry=1 ;; *) exit 2 ;;
	esac
done
c=${c:-$n}
die() { echo "run.sh: $*" >&2; exit 2; }
for v in "$n" "$c" "$timeout"; do
	case $v in '' | *[!0-9]* | 0) die "-n, -c and -t take a number above 0, got '$v'" ;; esac
done
case $img in *[!A-Za-z0-9./:@_-]*) die "-i: not an image name: '$img'" ;; esac
# render FILE: the manifest with N, C and the image put in
render() {
	local k=$n
	case $(basename "$1") in
	copy-job.yaml) k=$c ;;
	merge-job.yaml) k=1 ;;   # one pod, whatever N
	esac
	sed -e "s|^\(  completions:\) [0-9]*\$|\1 $k|" -e "s|^\(  parallelism:\) [0-9]*\$|\1 $k|" \
	    -e "/name: AZD_SHARDS\$/{n;s|value: \"[0-9]*\"|value: \"$n\"|}" \
	    -e "s|azd-step copy \"\$JOB_COMPLETION_INDEX\" [0-9]*'|azd-step copy \"\$JOB_COMPLETION_INDEX\" $c'|" \
	    -e "s|image: .*|image: $img|" "$1"
}
if [ -n "$dry" ]; then
	for f in shards-job.yaml merge-job.yaml copy-job.yaml; do echo "---"; render "$here/$f"; done
	exit 0
fi
kc() { kubectl ${ns:+--namespace "$ns"} "$@"; }
# run JOB FILE: apply it unless it completed already, then wait for Complete or Failed
run() {
	local job=$1 state end
	state=$(kc get job "$job" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}' 2> /dev/null)
	case $state in
	*Complete*) echo "run.sh: $job completed already"; return 0 ;;
	*Failed*) kc delete job "$job" --wait=true > /dev/null || die "cannot delete the failed $job" ;;
	esac
	if [ -z "$state" ] && kc get job "$job" > /dev/null 2>&1; then
		echo "run.sh: $job is running already: waiting for it"
	else
		render "$here/$2" | kc apply -f - || die "kubectl apply $2 failed"
	fi
	end=$(($(date +%s) + timeout))
	while :; do
		state=$(kc get job "$job" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}') ||
			die "kubectl get job $job failed"
		case $state in
		*Complete*) echo "run.sh: $job completed"; return 0 ;;
		*Failed*) echo "run.sh: $job failed: kubectl logs -l job-name=$job" >&2; exit 1 ;;
		esac
		[ "$(date +%s)" -lt "$end" ] || { echo "run.sh: $job did not finish in $timeout s" >&2; exit 1; }
		sleep 10
	done
}
kc get secret azdedup-credentials > /dev/null || die "no Secret azdedup-credentials (README.md)"
kc apply -f "$here/pvc.yaml" || die "kubectl apply pvc.yaml failed"
run azdedup-shards shards-job.yaml
run azdedup-merge merge-job.yaml
run azdedup-copy copy-job.yaml
