#!/usr/bin/python3
"""pipepeer.py - the peer of azdedup's whole pipeline in tests/bench/pipeline.sh, and the
scoring of both against the truth of the bench photo set.

    pipepeer.py run DIR OUT     ImageHash's phash, dhash and whash of every image under
                                DIR (jpg, jpeg, png, webp), one worker process per core
                                (as imagededup encodes), then the duplicate pairs of each
                                hash at imagededup's default threshold: Hamming distance
                                <= 10 (max_distance_threshold of its hashing methods'
                                find_duplicates), every pair against every other.  OUT
                                gets "h NAME PHASH DHASH WHASH" per image and "p METHOD A B"
                                per pair (NAME relative to DIR); stderr one line: images,
                                failed, pairs per method.
    pipepeer.py score TRUTH REPORT PEER [PREFIX]
                                pair precision and recall against TRUTH (FILE<TAB>PHOTO;
                                two files of one photo are a true pair): of azdedup's
                                REPORT (any two members of a group are a pair; record
                                names with PREFIX taken off) and of PEER's pairs per
                                method and for any of the three (PEER "-": none).

ImageHash comes from `import imagehash`, or from IMAGEHASH_SRC (a checkout of
JohannesBuchner/imagehash), with numpy, scipy, PyWavelets and PIL from Debian.
"""
import json
import os
import sys
from collections import Counter, defaultdict

THRESHOLD = 10  # imagededup's default max_distance_threshold for its hashing methods
METHODS = ("phash", "dhash", "whash")
EXTS = (".jpg", ".jpeg", ".png", ".webp")


def imagehash_module():
    if os.environ.get("IMAGEHASH_SRC"):
        sys.path.insert(0, os.environ["IMAGEHASH_SRC"])
    import imagehash
    return imagehash


def hash_one(path):
    from PIL import Image
    ih = imagehash_module()
    try:
        with Image.open(path) as im:
            im.load()
            return tuple(int(str(f(im)), 16) for f in (ih.phash, ih.dhash, ih.whash))
    except Exception as e:  # the peer skips what it cannot read, as imagededup does
        sys.stderr.write("pipepeer: %s: %s\n" % (path, e))
        return None


def close_pairs(hashes):
    """index pairs (i < j) whose 64-bit hashes differ in at most THRESHOLD bits"""
    import numpy as np
    h = np.array(hashes, dtype=np.uint64)
    pop = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    out = []
    for i in range(len(h) - 1):
        x = np.bitwise_xor(h[i + 1:], h[i]).view(np.uint8).reshape(-1, 8)
        d = pop[x].sum(axis=1, dtype=np.int32)
        for j in np.nonzero(d <= THRESHOLD)[0]:
            out.append((i, i + 1 + int(j)))
    return out


def run(top, out):
    from multiprocessing import Pool
    imagehash_module()  # fail here, before the workers, when it is missing
    names = []
    for d, _, files in os.walk(top):
        for f in files:
            if f.lower().endswith(EXTS):
                names.append(os.path.relpath(os.path.join(d, f), top))
    names.sort()
    with Pool(os.cpu_count() or 1) as pool:
        res = pool.map(hash_one, [os.path.join(top, n) for n in names], chunksize=4)
    ok = [(n, h) for n, h in zip(names, res) if h is not None]
    counts = []
    with open(out, "w") as f:
        for n, h in ok:
            f.write("h %s %016x %016x %016x\n" % (n.replace(" ", "%20"), *h))
        for k, m in enumerate(METHODS):
            pairs = close_pairs([h[k] for _, h in ok])
            counts.append("%d %s" % (len(pairs), m))
            for a, b in pairs:
                f.write("p %s %s %s\n" % (m, ok[a][0].replace(" ", "%20"), ok[b][0].replace(" ", "%20")))
    sys.stderr.write("pipepeer: %d images, %d failed, pairs: %s\n"
                     % (len(names), len(names) - len(ok), ", ".join(counts)))


def score(truth_file, report, peer, prefix=""):
    truth = {}
    with open(truth_file) as f:
        for line in f:
            n, g = line.rstrip("\n").split("\t")
            truth[n] = g
    sizes = Counter(truth.values())
    true_pairs = sum(c * (c - 1) // 2 for c in sizes.values())

    def line(what, found, right):
        prec = right / found if found else 1.0
        print("  %-30s %7d pairs found, %7d true: precision %.3f, recall %.3f (%d true pairs)"
              % (what, found, right, prec, right / max(1, true_pairs), true_pairs))

    # azdedup: the members of each group
    groups = defaultdict(list)
    with open(report) as f:
        for l in f:
            r = json.loads(l)
            if r.get("type") or "dup" not in r or r["dup"].get("role") == "unique":
                continue
            n = r["name"][len(prefix):] if r["name"].startswith(prefix) else r["name"]
            if n in truth:
                groups[r["dup"].get("group")].append(truth[n])
    found = sum(len(m) * (len(m) - 1) // 2 for m in groups.values())
    right = sum(c * (c - 1) // 2 for m in groups.values() for c in Counter(m).values())
    line("azdedup (its groups)", found, right)

    if peer == "-":
        return
    per = {m: set() for m in METHODS}
    with open(peer) as f:
        for l in f:
            w = l.split()
            if w[0] == "p":
                a, b = w[2].replace("%20", " "), w[3].replace("%20", " ")
                per[w[1]].add((a, b) if a < b else (b, a))
    for m in METHODS + ("any",):
        ps = set().union(*per.values()) if m == "any" else per[m]
        right = sum(1 for a, b in ps if a in truth and truth.get(a) == truth.get(b))
        line("ImageHash %s <= %d" % (m if m != "any" else "any of the 3", THRESHOLD), len(ps), right)


def main(argv):
    if len(argv) == 4 and argv[1] == "run":
        run(argv[2], argv[3])
    elif len(argv) in (5, 6) and argv[1] == "score":
        score(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
