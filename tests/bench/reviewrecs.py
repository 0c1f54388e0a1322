#!/usr/bin/python3
"""reviewrecs.py N: N synthetic feature records for the review page's bench, fast.

Pictures have uniform random hashes (a distinct neighbour is rarely within reach, so
dedupe takes hash matches on their own); a third of the records are copies of the
picture before them: one in four the same bytes (the same checksum), the rest 1 to 6
bits off in each hash, so groups of 2 to 5 form.  Names spread over 200 folders.
Seeded: the same N gives the same records.
"""
import random
import sys


def main():
    n = int(sys.argv[1])
    rng = random.Random(20261202)
    bits = rng.getrandbits
    out = []
    w = sys.stdout.write
    prev = None
    run = 0
    for i in range(n):
        if prev is not None and run < 4 and rng.random() < 0.34:
            run += 1
            if rng.random() < 0.25:
                sha, h = prev[0], prev[1]
            else:
                sha = "%064x" % bits(256)
                h = list(prev[1])
                for k in range(3):
                    for _ in range(rng.randrange(1, 7)):
                        h[k] ^= 1 << rng.randrange(64)
        else:
            run = 0
            sha, h = "%064x" % bits(256), [bits(64), bits(64), bits(64)]
        prev = (sha, h)
        out.append('{"name":"f%03d/img %07d.jpg","size":%d,"width":%d,"height":%d,'
                   '"sha256":"%s","phash":"%016x","dhash":"%016x","whash":"%016x"}\n'
                   % (i % 200, i, 50000 + i % 90000, 4000, 3000, sha, h[0], h[1], h[2]))
        if len(out) >= 10000:
            w("".join(out))
            out = []
    w("".join(out))


if __name__ == "__main__":
    main()
