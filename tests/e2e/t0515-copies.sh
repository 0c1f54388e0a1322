#!/bin/sh
# dedupe on a backup: the example photos and their variants, each file there 3 to 5
# times byte for byte under other names, must get the decisions of the collection
# holding each file once (the same groups by content, with the same keepers' content,
# every variant grouped), plus each copy in its original's group, at the defaults, with
# --no-local and in every mode.  Counted one by one, the copies crowd every picture's
# neighbourhood: the near pairs went to the keypoints, and without them none was found.
. "$(dirname "$0")/lib.sh"

"$PY" "$TOP/examples/mkvariants.py" --set full "$PHOTOS" "$T/one" > /dev/null
mv "$T/one/truth.tsv" "$T/truth.tsv"
# every file 3, 4 or 5 times (by its place in the list), under backup-K/, times kept
mkdir -p "$T/many"
n=0
(cd "$T/one" && find . -type f | sort) > "$T/files"
while read -r f; do
	n=$((n + 1))
	k=1
	while [ "$k" -le $((3 + n % 3)) ]; do
		mkdir -p "$(dirname "$T/many/backup-$k/$f")"
		cp -p "$T/one/$f" "$T/many/backup-$k/$f"
		k=$((k + 1))
	done
done < "$T/files"
azls -q "$T/one" | featx -q > "$T/f-one"
azls -q "$T/many" | featx -q > "$T/f-many"
check_eq "the backup holds every file 3 to 5 times" \
	"$(jq -r .name "$T/f-many" | sed 's#^backup-[0-9]*/##' | sort | uniq -c | awk '{ print $1 }' | sort -u | tr '\n' ' ')" "3 4 5 "

# compare.py ONE MANY TRUTH: what differs between the two reports, one line each (none:
# the same decisions)
cat > "$T/compare.py" <<'PY'
import json, sys
def load(path):
    recs, groups = [], {}
    for line in open(path):
        r = json.loads(line)
        if "dup" in r:
            recs.append(r)
    by = {r["name"]: r for r in recs}
    for r in recs:
        d = r["dup"]
        if d["role"] != "unique":
            groups.setdefault(d["group"], []).append(r)
    return recs, by, groups
one, one_by, one_g = load(sys.argv[1])
many, many_by, many_g = load(sys.argv[2])
truth = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[3]))
out = []
def keeper_of(by, r):
    d = r["dup"]
    return r if d["role"] != "duplicate" else by[d["keeper"]]
# the groups by content: (keeper's checksum, members' checksums)
def content_groups(groups, by):
    res = set()
    for g in groups.values():
        k = [r for r in g if r["dup"]["role"] == "keeper"][0]
        res.add((k["sha256"], frozenset(r["sha256"] for r in g)))
    return res
cg_one = content_groups(one_g, one_by)
cg_many = content_groups(many_g, many_by)
near_one = {g for g in cg_one if len(g[1]) > 1}
near_many = {g for g in cg_many if len(g[1]) > 1}
if not near_one:
    out.append("the single-copy collection has no near group")
for g in near_one - near_many:
    out.append("near group lost: %d contents kept by %s" % (len(g[1]), g[0][:12]))
for g in near_many - near_one:
    out.append("near group changed: %d contents kept by %s" % (len(g[1]), g[0][:12]))
# every copy: its keeper's content is its original's keeper's content (its own when the
# original is unique), its stage that of the original, or exact beside its keeper
one_by_sum = {r["sha256"]: r for r in one}
for r in many:
    o = one_by_sum[r["sha256"]]
    want = keeper_of(one_by, o)["sha256"]
    got = keeper_of(many_by, r)["sha256"] if r["dup"]["role"] != "unique" else None
    if got != want:
        out.append("%s: kept by %s, want %s" % (r["name"], got and got[:12], want[:12]))
        continue
    d, od = r["dup"], o["dup"]
    if d["role"] == "duplicate" and r["sha256"] == got:
        if d["stage"] != "exact":
            out.append("%s: a copy of its keeper, stage %s" % (r["name"], d["stage"]))
    elif d["role"] == "duplicate":
        for f in ("stage", "phash", "dhash", "whash", "evidence", "orientation"):
            if d.get(f) != od.get(f):
                out.append("%s: %s %s, its original's %s" % (r["name"], f, d.get(f), od.get(f)))
# every variant grouped with its photo: the files of one photo share one group
photo_groups = {}
for r in many:
    p = truth[r["name"].split("/", 1)[1]]
    photo_groups.setdefault(p, set()).add(r["dup"].get("group", 0))
for p, gs in sorted(photo_groups.items()):
    if len(gs) != 1 or 0 in gs:
        out.append("photo %s in groups %s" % (p, sorted(gs)))
print("\n".join(out[:5]))
PY

for args in "" "--no-local" "--mode clique" "--mode components" "--mode clique --no-local" \
    "--mode components --no-local" "--no-rotations"; do
	what=${args:-defaults}
	dedupe -q $args -i "$T/f-one" -o "$T/r-one" || fail "$what: dedupe on the single copies"
	dedupe -q $args -i "$T/f-many" -o "$T/r-many" || fail "$what: dedupe on the backup"
	check_eq "$what: the backup's groups are the single collection's, every copy with its original" \
		"$("$PY" "$T/compare.py" "$T/r-one" "$T/r-many" "$T/truth.tsv")" ""
	one=$(jq -c 'select(.type == "summary") | [.near, .local]' "$T/r-one")
	check_eq "$what: near and local duplicates count each copy" \
		"$(jq -c 'select(.type == "summary") | [.near, .local]' "$T/r-many")" \
		"$("$PY" - "$T/r-one" "$T/f-many" "$one" <<'PY'
import json, sys
# each near (local) duplicate of the single collection, once per copy of it
counts = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    counts[r["sha256"]] = counts.get(r["sha256"], 0) + 1
n = [0, 0]
for l in open(sys.argv[1]):
    r = json.loads(l)
    d = r.get("dup", {})
    if d.get("role") == "duplicate" and d["stage"] in ("near", "local"):
        n[d["stage"] == "local"] += counts[r["sha256"]]
print(json.dumps(n, separators=(",", ":")))
PY
)"
done
# the summary's exact and images: every file is counted; the exact pairs inside near
# groups include the copies'
check_eq "images counted with their copies" "$(jq 'select(.type == "summary") | .images' "$T/r-many")" \
	"$(wc -l < "$T/f-many" | tr -d ' ')"
check_eq "duplicates: every file but the keepers" \
	"$(jq 'select(.type == "summary") | .duplicates + .groups' "$T/r-many")" \
	"$(jq -s '[.[] | select(.dup != null and .dup.role != "unique")] | length' "$T/r-many")"
check "a rerun gives the same report" sh -c "dedupe -q --no-rotations -i '$T/f-many' | cmp - '$T/r-many'"
check "--search all gives the index's report" sh -c \
	"dedupe -q --search all -i '$T/f-many' -o '$T/r-all' && dedupe -q -i '$T/f-many' | cmp - '$T/r-all'"
finish
