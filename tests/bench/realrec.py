#!/usr/bin/python3
"""realrec.py FEATURES N [K]: N feature records drawn from real ones, for dedupe at scale.

Uniform random hashes are the easy case for the index: real hashes have biased bits
(some nearly always set, some nearly never), so they crowd some buckets.  Each record
here mixes four real records of FEATURES (featx output) bit by bit: every bit of each
hash (and of each turned phash form) comes from one of the four, chosen by random masks
shared by the hashes of the record, so each bit keeps the set's own odds of being set
while the records stay distinct pictures; the colour grid is the first one's.  Every
tenth record is a planted near twin of the one before (2 bits off in each hash), which
dedupe should find.  Seeded: the same arguments give the same records.  No keypoints,
unless K > 0: then each record carries up to K keypoints ("local") at the places of its
first record's, each descriptor mixed bit by bit from keypoints of the four records (the
same one of the first, others from a place drawn for each of the three and the record)
by the record's masks, so the descriptors keep real ones' biased bits; a twin's are its original's with 8 bits of each descriptor off (drawn from a
second generator: the hashes are those made without K), and the first record's detail.
"""
import base64
import json
import random
import struct
import sys


def keypoints(r, k):
    """(width, height, [(x16, y16, level, angle, descriptor as an int)]) of a record."""
    if "local" not in r:
        return None
    b = base64.b64decode(r["local"])
    w, h = struct.unpack_from("<HH", b, 1)
    kps = []
    for at in range(5, len(b) - 37, 38):
        x, y, lv, an = struct.unpack_from("<HHBB", b, at)
        kps.append((x, y, lv, an, int.from_bytes(b[at + 6:at + 38], "little")))
        if len(kps) == k:
            break
    return (w, h, kps)


def pack(w, h, kps):
    out = [struct.pack("<BHH", 1, w, h)]
    for x, y, lv, an, d in kps:
        out.append(struct.pack("<HHBB", x, y, lv, an) + d.to_bytes(32, "little"))
    return base64.b64encode(b"".join(out)).decode()

HASHES = ("phash", "dhash", "whash")


def main():
    feats, n = sys.argv[1], int(sys.argv[2])
    nkp = int(sys.argv[3]) if len(sys.argv) > 3 else 0
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
    kpsets = [keypoints(r, nkp) for r in base] if nkp > 0 else None
    krng = random.Random(20261202)
    out = sys.stdout
    prev = None
    prevkp = None
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
        if kpsets is not None:
            if i % 10 == 9 and prevkp is not None:
                w, h, kps = prevkp
                kn = []
                for x, y, lv, an, d in kps:
                    for _ in range(8):
                        d ^= 1 << krng.randrange(256)
                    kn.append((x, y, lv, an, d))
                kp = (w, h, kn)
            else:
                sets = [kpsets[j] for j in idx]
                kp = None
                if all(s is not None and s[2] for s in sets):
                    M1, M2, M3 = (m * 0x1000000000000000100000000000000010000000000000001
                                  for m in (m1, m2, m3))
                    kn = []
                    off = [krng.randrange(len(s[2])) for s in sets[1:]]
                    for q, (x, y, lv, an, d0) in enumerate(sets[0][2]):
                        d1, d2, d3 = (s[2][(q + o) % len(s[2])][4] for s, o in zip(sets[1:], off))
                        a = d0 ^ ((d0 ^ d1) & M1)
                        c = d2 ^ ((d2 ^ d3) & M2)
                        kn.append((x, y, lv, an, a ^ ((a ^ c) & M3)))
                    kp = (sets[0][0], sets[0][1], kn)
            if kp is not None:
                r["local"] = pack(*kp)
                # the detail of the picture whose places the keypoints have (a twin's:
                # its original's), so that dedupe compares details as it would
                if "detail" in first:
                    r["detail"] = first["detail"]
            prevkp = kp
        out.write(json.dumps(r, separators=(",", ":")) + "\n")
        prev = v


if __name__ == "__main__":
    main()
