#!/usr/bin/env python3
"""spreaddates.py [--ticks SEED] FOLDER...: give the files under each FOLDER dates a
second apart, in the order they were written; with --ticks, dates in that order whose
second turns at points drawn from SEED (after one file in 20, on average).

Records carry mtime to the second and the keep policy ranks older files first, so a
test whose pictures are written in one second sees them tie on date, and the same test
run across a second's turn sees the ones written before it ranked first. A test whose
outcome hangs on that passes or fails by the clock. Under TEST_DATES=spread (make
check-dates) lib.sh runs this before each azls of a local folder: every file is then a
second older than the next one written, the ordering a slow run can give any pair, and
a test that means a date must set it itself. A date set on purpose (touch -d, os.utime
with whole seconds) is left as it is: only files whose mtime has a fraction of a second
(written, not dated) are spread.

Under TEST_DATES=ticks:SEED, runs of files share a second and the clock turns between
two of them at random, the dates a real run gives (ties broken by the keep policy's
later keys, then a turn at any place): a test that passes under one date and under
spread dates may still hang on where the second turns (t0525 did: of the 143 places
between its 144 files, a turn at one alone grouped two products).
"""
import os
import random
import sys

BASE = 1767225600  # 2026-01-01T00:00:00Z


def main(args):
    rng = None
    if args[:1] == ["--ticks"]:
        rng = random.Random(int(args[1]))
        args = args[2:]
    for root in args:
        if not os.path.isdir(root):
            continue
        written = []
        for d, _, names in os.walk(root):
            for n in names:
                p = os.path.join(d, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                ns = os.stat(p).st_mtime_ns
                if ns % 1000000000:
                    written.append((ns, p))
        written.sort()
        t = BASE
        for i, (_, p) in enumerate(written):
            if rng is None:
                t = BASE + i
            elif i > 0 and rng.random() < 0.05:
                t += 1
            os.utime(p, (t, t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
