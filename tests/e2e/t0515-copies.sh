#!/bin/sh
# dedupe on a backup: the example photos and their variants, each file there 3 to 5
# times byte for byte under other names, must get the decisions of the collection
# holding each file once (the same groups by content, with the same keepers' content,
# every variant grouped; without keypoints a crop only they see stays out), plus each
# copy in its original's group, at the defaults, with --no-local and in every mode.
# Counted one by one, the copies crowd every picture's neighbourhood: the near pairs
# went to the keypoints, and without them none was found.
# A reviewer's decisions hold for every copy of the image they name (a not_duplicate
# releases all its copies; a keeper decision's "name" picks the copy that keeps), and
# --trace-pairs names the images the search compared.
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
# every variant grouped with its photo: the files of one photo share one group (with
# keypoints; without them, a crop only they see is a picture of its own, in as many
# groups as the single collection puts the photo's files: its copies form one)
def photo_groups(recs, strip):
    res = {}
    for r in recs:
        p = truth[r["name"].split("/", 1)[1] if strip else r["name"]]
        res.setdefault(p, set()).add(r["dup"].get("group") or r["sha256"])
    return res
pg_one = photo_groups(one, False)
for p, gs in sorted(photo_groups(many, True).items()):
    want = 1 if sys.argv[4] == "local" else len(pg_one[p])
    if len(gs) != want or not all(isinstance(g, int) for g in gs):
        out.append("photo %s in groups %s" % (p, sorted(map(str, gs))))
print("\n".join(out[:5]))
PY

for args in "" "--no-local" "--mode clique" "--mode components" "--mode clique --no-local" \
    "--mode components --no-local" "--no-rotations"; do
	what=${args:-defaults}
	dedupe -q $args -i "$T/f-one" -o "$T/r-one" || fail "$what: dedupe on the single copies"
	dedupe -q $args -i "$T/f-many" -o "$T/r-many" || fail "$what: dedupe on the backup"
	check_eq "$what: the backup's groups are the single collection's, every copy with its original" \
		"$("$PY" "$T/compare.py" "$T/r-one" "$T/r-many" "$T/truth.tsv" \
		"$(case "$args" in *--no-local*) echo hashes;; *) echo local;; esac)")" ""
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

# --- a reviewer's decisions on the backup (dedupe --decisions, by checksum) ---------------
# They name contents, so every copy of an image is decided alike: the one image that
# stands for its copies in the search carries the decision, and its copies follow it.
sha() { jq -r --arg n "$1" 'select(.name == $n) | .sha256' "$T/f-many" | head -n 1; }
# the files holding the bytes of NAME, sorted
copies() { jq -r --arg s "$(sha "$1")" 'select(.sha256 == $s) | .name' "$T/f-many" | sort; }
# REPORT SHA256: each record with those bytes as "name role keeper stage released apart"
by_sum() {
	jq -r --arg s "$2" 'select(.sha256 == $s and .dup != null) | [.name, .dup.role,
	    .dup.keeper // "-", .dup.stage // "-", .dup.released_by // "-", .dup.apart_from // "-"] |
	    join(" ")' "$1"
}
K=backup-1/originals/coffee.webp
B=backup-1/variants/coffee-bright.webp
nb=$(copies "$B" | wc -l | tr -d ' ')
check "decisions: the bright coffee is in the backup 3 times or more" test "$nb" -ge 3
# keeper: one of several byte-identical copies, named; the policy would take backup-1's
F=$(copies backup-1/variants/chelsea-fmt.png | tail -n 1)
check "decisions: the chosen chelsea is not the first of its copies" \
	test "$F" != backup-1/variants/chelsea-fmt.png
for args in "" "--mode clique" "--mode components" "--no-local"; do
	what="decisions ${args:-defaults}"
	dedupe -q $args -i "$T/f-many" -o "$T/r-base" || fail "$what: dedupe without them"
	check_eq "$what: before, every bright coffee is a near duplicate of the coffee" \
		"$(by_sum "$T/r-base" "$(sha "$B")" | awk '{ print $2, $3, $4 }' | sort -u)" "duplicate $K near"
	{
		printf '{"op":"not_duplicate","sha256":"%s","of":"%s"}\n' "$(sha "$B")" "$(sha "$K")"
		printf '{"op":"keeper","sha256":"%s","name":"%s"}\n' "$(sha "$F")" "$F"
		# a group's checksums as a set: the coffee group after the release, its
		# copies among them, and the bright coffee's copies on their own
		jq -s -c --arg b "$(sha "$B")" --arg k "$K" '{op: "reviewed", group: ([.[] |
		    select(.dup.keeper == $k or .name == $k) | .sha256] | unique |
		    map(select(. != $b)))}' "$T/r-base"
		printf '{"op":"reviewed","group":["%s"]}\n' "$(sha "$B")"
	} > "$T/dec.ndjson"
	dedupe -q $args --decisions "$T/dec.ndjson" -i "$T/f-many" -o "$T/r-dec" ||
		fail "$what: dedupe on the backup"
	# not_duplicate: every copy of the bright coffee leaves the coffee's group, released,
	# and its copies stay together as exact copies of the first of them
	check_eq "$what: not_duplicate releases every copy of the image" \
		"$(by_sum "$T/r-dec" "$(sha "$B")" | sort)" \
		"$(copies "$B" | awk -v b="$B" -v k="$K" '$0 == b { print $0, "keeper - - decision", k }
		    $0 != b { print $0, "duplicate", b, "exact decision", k }')"
	check_eq "$what: the coffee keeps the rest of its group" \
		"$(jq -r --arg k "$K" 'select(.type == "group" and .keeper == $k) | .count' "$T/r-dec")" \
		"$(jq -r --arg k "$K" --argjson nb "$nb" 'select(.type == "group" and .keeper == $k) |
		    .count - $nb' "$T/r-base")"
	# keeper: exactly the named copy keeps, because of the decision; its twins are its
	# exact copies; the group is the one chelsea.jpg kept
	check_eq "$what: the named copy keeps" "$(jq -c --arg f "$F" 'select(.name == $f) |
	    [.dup.role, .dup.kept_because]' "$T/r-dec")" '["keeper","decision"]'
	check_eq "$what: its byte-identical copies are its exact duplicates" \
		"$(by_sum "$T/r-dec" "$(sha "$F")" | grep -v "^$F " | awk '{ print $2, $3, $4 }' | sort -u)" \
		"duplicate $F exact"
	check_eq "$what: the chelsea group keeps its members" \
		"$(jq -r --arg f "$F" 'select(.type == "group" and .keeper == $f) | .count' "$T/r-dec")" \
		"$(jq -r 'select(.type == "group" and .keeper == "backup-1/originals/chelsea.jpg") |
		    .count' "$T/r-base")"
	# reviewed: member checksums compared as a set, the copies counted once
	check_eq "$what: both reviewed groups are marked" \
		"$(jq -r 'select(.type == "group" and .reviewed == true) | .keeper' "$T/r-dec" | sort | tr '\n' ' ')" \
		"$K $B "
	check_eq "$what: the summary counts every released copy" \
		"$(jq -c 'select(.type == "summary") | .decisions' "$T/r-dec")" \
		"{\"total\":4,\"applied\":4,\"unmatched\":0,\"keepers\":1,\"released\":$nb,\"reviewed\":2}"
done

# --trace-pairs names the images the search compared (one per content): the same pairs of
# contents as on the single copies, never two copies of one file
dedupe -q --trace-pairs "$T/t-one" -i "$T/f-one" -o /dev/null || fail "trace on the single copies"
dedupe -q --trace-pairs "$T/t-many" -i "$T/f-many" -o /dev/null || fail "trace on the backup"
cat > "$T/trace.py" <<'PY'
import json, sys
def pairs(trace, feat):
    sha = {}
    for l in open(feat):
        r = json.loads(l)
        sha[r["name"]] = r["sha256"]
    out = []
    for l in open(trace):
        t = json.loads(l)
        a, b = sha[t["a"]], sha[t["b"]]
        if a == b:
            print("%s and %s: one content" % (t["a"], t["b"]))
        out.append((min(a, b), max(a, b), t["stage"]))
    return sorted(out)
one, many = pairs(sys.argv[1], sys.argv[2]), pairs(sys.argv[3], sys.argv[4])
if not one:
    print("no pair traced")
if one != many:
    print("%d pairs traced on the single copies, %d on the backup, %d differ" %
          (len(one), len(many), len(set(one) ^ set(many))))
PY
check_eq "--trace-pairs on the backup: the single copies' pairs of contents" \
	"$("$PY" "$T/trace.py" "$T/t-one" "$T/f-one" "$T/t-many" "$T/f-many" 2>&1 | head -n 5)" ""
finish
