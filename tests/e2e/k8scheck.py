#!/usr/bin/python3
"""k8scheck.py DIR [RENDERED]: a structural check of examples/k8s (no cluster here).

Reads pvc.yaml, shards-job.yaml, merge-job.yaml and copy-job.yaml of DIR (or, with
RENDERED, the three Jobs from that file, as run.sh -d prints them) with PyYAML and checks
what the recipe depends on:
  - the shard and copy Jobs are Indexed (completionMode), completions >= 1 and
    parallelism <= completions; the merge Job is one pod;
  - the shard pods run `azd-step shard "$JOB_COMPLETION_INDEX" "$AZD_SHARDS"`, the copy
    pods `azd-step copy "$JOB_COMPLETION_INDEX" C` with C their completions, the merge pod
    `azd-step merge "$AZD_SHARDS"`, and AZD_SHARDS is the shard Job's completions in all;
  - every variable that may hold a credential (AZURE_STORAGE_*, AZDEDUP_SRC/DST) comes
    from a secretKeyRef, none has a value, and no text in the files looks like one (an
    account key, a SAS signature, a connection string);
  - the pods mount the claim of pvc.yaml at AZD_SHARED, run as non-root, restart on
    failure (OnFailure or Never with a backoffLimit), and all use one image.
Prints one line per problem ("FILE: what") and exits 1 when there is any, else prints
"ok: N checks" and exits 0."""
import re
import sys

import yaml

CRED = re.compile(r"^(AZURE_STORAGE_\w+|AZDEDUP_SRC|AZDEDUP_DST)$")
LITERAL = [
    (re.compile(r"AccountKey\s*="), "an account key"),
    (re.compile(r"[?&]sig=|\bsig%3D", re.I), "a SAS signature"),
    (re.compile(r"\bsv=\d{4}-\d\d-\d\d"), "a SAS"),
    (re.compile(r"SharedAccessSignature\s*="), "a connection string's SAS"),
    (re.compile(r"[A-Za-z0-9+/]{60,}={0,2}"), "a long base64 string (a key?)"),
]
problems = []
checks = 0


def want(cond, where, what):
    global checks
    checks += 1
    if not cond:
        problems.append(f"{where}: {what}")
    return cond


def container(job):
    spec = job.get("spec", {}).get("template", {}).get("spec", {})
    cs = spec.get("containers") or [{}]
    return spec, cs[0]


def script(c):
    cmd = (c.get("command") or []) + (c.get("args") or [])
    return " ".join(str(x) for x in cmd)


def env_of(c):
    return {e.get("name"): e for e in c.get("env") or []}


def check_job(name, job, claim, shards):
    spec, c = container(job)
    js = job.get("spec", {})
    want(job.get("kind") == "Job" and job.get("apiVersion") == "batch/v1", name, "not a batch/v1 Job")
    env = env_of(c)
    for var, e in env.items():
        if CRED.match(var or ""):
            want("value" not in e and "secretKeyRef" in (e.get("valueFrom") or {}),
                 name, f"{var} must come from a secretKeyRef, not a value")
    for var in ("AZDEDUP_SRC",):
        want(var in env, name, f"{var} is not set")
    want(env.get("AZD_SHARDS", {}).get("value") == str(shards), name,
         f"AZD_SHARDS is not the shard Job's completions ({shards})")
    shared = env.get("AZD_SHARED", {}).get("value")
    mounts = {m.get("name"): m.get("mountPath") for m in c.get("volumeMounts") or []}
    vols = {v.get("name"): (v.get("persistentVolumeClaim") or {}).get("claimName")
            for v in spec.get("volumes") or []}
    want(any(vols.get(n) == claim and p == shared for n, p in mounts.items()), name,
         f"the claim {claim} is not mounted at AZD_SHARED ({shared})")
    want(spec.get("restartPolicy") in ("OnFailure", "Never"), name, "restartPolicy must be OnFailure or Never")
    want(isinstance(js.get("backoffLimit"), int), name, "no backoffLimit")
    want((spec.get("securityContext") or {}).get("runAsNonRoot") is True, name, "pods must run as non-root")
    return js, c


def load(f, text, many=False):
    try:
        return [x for x in yaml.safe_load_all(text) if x] if many else yaml.safe_load(text)
    except yaml.YAMLError as e:
        problems.append(f"{f}: not valid YAML: {str(e).splitlines()[0]}")
        return None


def main():
    d = sys.argv[1]
    texts = {}
    for f in ("pvc.yaml", "shards-job.yaml", "merge-job.yaml", "copy-job.yaml", "Dockerfile"):
        with open(f"{d}/{f}") as fh:
            texts[f] = fh.read()
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as fh:
            texts["rendered"] = fh.read()
        docs = load("rendered", texts["rendered"], many=True)
        if docs is None:
            return
        jobs = {x["metadata"]["name"]: ("rendered", x) for x in docs}
    else:
        jobs = {}
        for f in ("shards-job.yaml", "merge-job.yaml", "copy-job.yaml"):
            x = load(f, texts[f])
            if x is None:
                return
            jobs[x["metadata"]["name"]] = (f, x)
    for f, t in texts.items():
        for rx, what in LITERAL:
            m = rx.search(t)
            want(m is None, f, f"holds what looks like {what}: '{m.group(0)[:12]}...'" if m else "")
    pvc = load("pvc.yaml", texts["pvc.yaml"])
    if pvc is None:
        return
    want(pvc.get("kind") == "PersistentVolumeClaim", "pvc.yaml", "not a PersistentVolumeClaim")
    want("ReadWriteMany" in (pvc.get("spec", {}).get("accessModes") or []), "pvc.yaml",
         "the claim must be ReadWriteMany (every node's pods share it)")
    claim = pvc.get("metadata", {}).get("name")
    for j in ("azdedup-shards", "azdedup-merge", "azdedup-copy"):
        if not want(j in jobs, "manifests", f"no Job {j}"):
            return
    sf, sj = jobs["azdedup-shards"]
    n = sj.get("spec", {}).get("completions")
    want(isinstance(n, int) and n >= 1, sf, "completions must be a number >= 1")
    images = set()
    for j, (f, job) in jobs.items():
        js, c = check_job(f"{f} ({j})", job, claim, n)
        images.add(c.get("image"))
        s = script(c)
        where = f"{f} ({j})"
        if j == "azdedup-merge":
            want(js.get("completionMode", "NonIndexed") == "NonIndexed" and js.get("completions", 1) == 1
                 and js.get("parallelism", 1) == 1, where, "the merge is one pod")
            want(re.search(r'azd-step merge "\$AZD_SHARDS"', s) is not None, where,
                 "must run azd-step merge \"$AZD_SHARDS\"")
            continue
        k = js.get("completions")
        want(js.get("completionMode") == "Indexed", where, "completionMode must be Indexed")
        want(isinstance(k, int) and k >= 1, where, "completions must be a number >= 1")
        p = js.get("parallelism", 1)
        want(isinstance(p, int) and 1 <= p <= (k if isinstance(k, int) else 0), where,
             "parallelism must be between 1 and completions")
        if j == "azdedup-shards":
            want(re.search(r'azd-step shard "\$JOB_COMPLETION_INDEX" "\$AZD_SHARDS"', s) is not None,
                 where, "the shard must be JOB_COMPLETION_INDEX of AZD_SHARDS")
        else:
            m = re.search(r'azd-step copy "\$JOB_COMPLETION_INDEX" (\d+)', s)
            want(m is not None and int(m.group(1)) == k, where,
                 "the copy part must be JOB_COMPLETION_INDEX of the Job's completions")
    want(len(images) == 1, "manifests", f"the Jobs use different images: {sorted(map(str, images))}")
    df = texts["Dockerfile"]
    want(re.search(r"^(ENV|ARG)\s+\S*(AZURE_STORAGE|AZDEDUP_SRC|AZDEDUP_DST)", df, re.M) is None,
         "Dockerfile", "sets a credential variable")
    want("azd-step" in df and re.search(r"^USER\s+(?!0\b|root\b)", df, re.M) is not None,
         "Dockerfile", "must install azd-step and run as a non-root USER")


main()
for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"ok: {checks} checks")
