#!/usr/bin/python3
"""realrec.py FEATURES N: N feature records drawn from real ones, for dedupe at scale.

Uniform random hashes are the easy case for the index: real hashes have biased bits
(some nearly always set, some nearly never), so they crowd some buckets.  Each record
here mixes four real records of FEATURES (featx output) bit by bit: every bit of each
hash (and of each turned phash form) comes from one of the four, chosen by random masks
shared by the hashes of the record, so each bit keeps the set's own odds of being set
while the records stay distinct pictures; the colour grid is the first one's.  Every
tenth record is a planted near twin of the one before (2 bits off in each hash), which
dedupe should find.  Seeded: the same arguments give the same records.  No keypoints.
"""
import json
import random
import sys

HASHES = ("phash", "dhash", "whash")


def main():
    feats, n = sys.argv[1], int(sys.argv[2])
    base = []
    seen = set()
    for line in open(feats):
        r = json.loads(line)
        if "phash" not in r or r.get("sha256") in seen:
            continue
        seen.add(r.get("sha256"))
        base.append(r)
    if not base:
        sys.exit("realrec.py: %s: no feature records" % feats)
    rng = random.Random(20261201)
    forms = [[int(x, 16) for x in ([r[h] for h in HASHES] +
             r.get("phash_orientations", [r["phash"]] * 8)[1:])] for r in base]
    out = sys.stdout
    prev = None
    for i in range(n):
        if i % 10 == 9 and prev is not None:
            v = []
            for x in prev:
                for _ in range(2):
                    x ^= 1 << rng.randrange(64)
                v.append(x)
        else:
            idx = [rng.randrange(len(forms)) for _ in range(4)]
            b = [forms[j] for j in idx]
            m1, m2, m3 = rng.getrandbits(64), rng.getrandbits(64), rng.getrandbits(64)
            v = []
            for k in range(len(b[0])):
                x = b[0][k] ^ ((b[0][k] ^ b[1][k]) & m1)
                y = b[2][k] ^ ((b[2][k] ^ b[3][k]) & m2)
                v.append(x ^ ((x ^ y) & m3))
        first = base[idx[0]]
        r = {"name": "r/%08d.jpg" % i, "size": 1000 + i,
             "sha256": "%064x" % rng.getrandbits(256),
             "width": first.get("width", 640), "height": first.get("height", 480)}
        for k, h in enumerate(HASHES):
            r[h] = "%016x" % v[k]
        r["phash_orientations"] = ["%016x" % x for x in [v[0]] + v[3:]]
        if "color" in first:
            r["color"] = first["color"]
        out.write(json.dumps(r, separators=(",", ":")) + "\n")
        prev = v


if __name__ == "__main__":
    main()
