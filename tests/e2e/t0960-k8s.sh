#!/bin/sh
# examples/k8s, checked without a cluster (none here): the manifests parse, and
# k8scheck.py finds what the recipe depends on (Indexed Jobs, JOB_COMPLETION_INDEX as the
# shard, one shard count everywhere, credentials only from secretKeyRef, none literal),
# in the files and in what run.sh renders for other counts; and it catches each of those
# broken on purpose.
. "$(dirname "$0")/lib.sh"
K="$TOP/examples/k8s"
if ! "$PY" -c 'import yaml' 2> /dev/null; then
	fail "python3-yaml is not installed (make test-deps installs it)"
	finish
fi
chk() { "$PY" "$TOP/tests/e2e/k8scheck.py" "$@"; }
check "the manifests as shipped" chk "$K"
"$K/run.sh" -d -n 7 -c 3 -i example.azurecr.io/azdedup:1.0 > "$T/r.yaml"
check_eq "run.sh -d: exit 0" "$?" "0"
check "what run.sh renders for 7 shards and 3 copy parts" chk "$K" "$T/r.yaml"
check_eq "rendered counts" "$("$PY" -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d: print(d["metadata"]["name"], d["spec"].get("completions"), d["spec"]["template"]["spec"]["containers"][0]["image"])
' "$T/r.yaml" | tr '\n' '|')" \
	"azdedup-shards 7 example.azurecr.io/azdedup:1.0|azdedup-merge 1 example.azurecr.io/azdedup:1.0|azdedup-copy 3 example.azurecr.io/azdedup:1.0|"
"$K/run.sh" -d -n 0 > /dev/null 2> "$T/err"
check_eq "run.sh -n 0: exit 2" "$?" "2"
"$K/run.sh" -d -i 'x;rm -rf' > /dev/null 2> "$T/err"
check_eq "run.sh -i with a shell word: exit 2" "$?" "2"

# broken copies: each must be caught, naming the file and the reason
broken() {  # DESC FILE SED-EXPR WANT-MESSAGE
	rm -rf "$T/k" && cp -r "$K" "$T/k" && sed -i "$3" "$T/k/$2"
	if cmp -s "$K/$2" "$T/k/$2"; then fail "$1: the edit changed nothing"; return; fi
	chk "$T/k" > "$T/out" 2>&1
	check_eq "$1: caught (exit 1)" "$?" "1"
	check "$1: names it" grep -q -- "$4" "$T/out"
}
broken "a literal key" merge-job.yaml \
	's|^        - name: AZD_SHARED|        - name: NOTE\n          value: "AccountKey=abc"\n&|' \
	'merge-job.yaml: holds what looks like an account key'
broken "a key given as a value" shards-job.yaml \
	'/name: AZURE_STORAGE_KEY$/{n;N;N;N;N;s|.*|          value: hunter2|}' \
	'AZURE_STORAGE_KEY must come from a secretKeyRef'
broken "a SAS in a URL" copy-job.yaml \
	's|^        - name: AZD_SHARED|        - name: AZDEDUP_X\n          value: "https://a.blob.core.windows.net/c?sv=2021-08-06\&sig=abc"\n&|' \
	'holds what looks like a SAS'
broken "not Indexed" shards-job.yaml '/completionMode: Indexed/d' 'completionMode must be Indexed'
broken "a fixed shard" shards-job.yaml 's|"\$JOB_COMPLETION_INDEX"|0|' \
	'the shard must be JOB_COMPLETION_INDEX of AZD_SHARDS'
broken "copy parts and its argument disagree" copy-job.yaml 's|^  completions: 4|  completions: 5|' \
	'the copy part must be JOB_COMPLETION_INDEX'
broken "two shard counts" merge-job.yaml '/name: AZD_SHARDS$/{n;s|"4"|"8"|}' \
	'AZD_SHARDS is not the shard'
broken "parallelism above completions" copy-job.yaml 's|^  parallelism: 4|  parallelism: 9|' \
	'parallelism must be between 1 and completions'
broken "the shared folder elsewhere" shards-job.yaml 's|mountPath: /shared|mountPath: /data|' \
	'is not mounted at AZD_SHARED'
broken "broken YAML" pvc.yaml 's|^spec:|spec: [|' 'pvc.yaml: not valid YAML'
broken "root pods" merge-job.yaml 's|runAsNonRoot: true|runAsNonRoot: false|' 'pods must run as non-root'
broken "a credential baked into the image" Dockerfile \
	's|^ENV AZD_PIPELINE|ENV AZURE_STORAGE_ACCOUNT=x\n&|' 'Dockerfile: sets a credential variable'
finish
