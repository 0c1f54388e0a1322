#!/usr/bin/env python3
"""evalwhy.py: why make eval's true pairs are missed and its false pairs taken.

usage: evalwhy.py SETDIR REPORT TRACE [-v]

SETDIR is a built set (truth.tsv), REPORT dedupe's output on its features and TRACE what
dedupe --trace-pairs wrote on that run.  Prints, for the pairs of an original and one of
its variants that are not in one group, the check that turned each down, counted per
reason and per transform; for each false pair (distinct pictures in one group), how it
was taken.  -v lists every such pair with its trace.  Reasons:
  no candidate           neither the hash search nor the descriptor index proposed it
  pass 1: ...            the hashes did not match and the lenient keypoint test failed:
                         no keypoint matches, under 20 inliers, under 40% of the
                         matches agreeing, or the inliers spanning under 0.4 of a picture
                         and the rule for framed copies failing (span under 0.1, neither
                         picture inside the other, the shared part's keypoints not
                         repeated, or the colour grids through the transform apart);
                         then (and for too few inliers or too few agreeing) which
                         condition of the test of repetition failed (under 8
                         inliers, span under 0.15, not inside, under 48 shared
                         keypoints, not repeated, colours)
  pass 2 hash: ...       the hashes matched with the margin, but the keypoints told the
                         pair apart, the tone layouts or the colours disagree
  pass 2 ambiguous: ...  the hashes matched in a crowded neighbourhood and the strict
                         keypoint test failed (blind: no keypoints can see the pair)
  pass N: shapes differ  both pictures have transparency and their alpha channels,
                         read through the keypoints' transform, differ (GRP_SHAPE_MAX)
  pass 2 hash: blind, details differ
                         the hashes matched with the margin and no keypoints can see
                         the pair, and its details read cell for cell (the pictures lie
                         one on the other) miss by over 17 (GRP_BLIND_DETAIL)
  pass 2 hash: details differ in place
                         the same for a pair the keypoints see but agree on no
                         transform for: its details read cell for cell miss by over 50
                         (GRP_DETAIL_APART)
  pass N: fine details miss all over
                         the 64 x 64 fine details, read through the keypoints'
                         transform, miss in over 120 blocks and 7 times as many as
                         the details do (GRP_FINE_*: charts of one style)
  pass N: pages' ink differs
                         two pages' ink (featx's "ink"), read through the keypoints'
                         transform, misses in 8 cells or more in two places or more
                         (GRP_INK_*: forms of one template filled otherwise)
  pass N: middle repeats nothing
                         the keypoints' transform repeats none of the part both show
                         in over half of the pictures' middle cells that hold some
                         (GRP_MID_MIN: two pages of one dialog share only their frame)
  pass 2: capped         the hashes matched in a crowd (each picture's hashes match over
                         GRP_HASH_TOPK others') beyond both pictures' nearest: left
                         unverified and kept apart
  taken, not grouped     the pair was accepted, but the star put the two apart
Not a test: a tool for choosing acceptance rules with data."""
import json
import sys
from collections import Counter, defaultdict


def load(setdir, report, trace):
    truth = {}
    for line in open(setdir + "/truth.tsv"):
        if line.startswith("#"):
            continue
        name, oid, role, t = line.rstrip("\n").split("\t")
        truth[name] = (oid, role, t)
    group = {}
    for line in open(report):
        r = json.loads(line)
        if "type" in r or "dup" not in r:
            continue
        if r["dup"]["role"] != "unique":
            group[r["name"]] = r["dup"]["group"]
    tr = {}
    for line in open(trace):
        t = json.loads(line)
        tr[tuple(sorted((t["a"], t["b"])))] = t
    return truth, group, tr


def framed_miss(t):
    """which condition of the rule for framed copies (cover 0.1, contain 0.9, agree
    0.85 of shared, colour grids through the transform within 24) turned the pair down"""
    if "contain" not in t:
        return ""
    if t["cover"] < 0.1:
        return ", framed: span under 0.1"
    if t["contain"] < 0.9:
        return ", framed: not inside"
    if t["shared"] == 0 or t["agree"] < 0.85 * t["shared"]:
        return ", framed: shared keypoints not repeated"
    if t["wcol"] < 0 or t["wcol"] > 24:
        return ", framed: colours"
    return ", framed: other"


def repeat_miss(t):
    """which condition of the test of repetition (8 inliers, a span of 0.15, contain 0.9,
    48 shared keypoints of which 0.4 repeated, colour grids through the transform within
    24) turned down a pair with too few inliers for the lenient test"""
    if "repeated" not in t:
        return ""
    if t["inliers"] < 8:
        return ", repeated: under 8 inliers"
    if t["cover"] < 0.15:
        return ", repeated: span under 0.15"
    if t["contain"] < 0.9:
        return ", repeated: not inside"
    if t["shared"] < 48:
        return ", repeated: under 48 shared keypoints"
    if t["agree"] < 0.4 * t["shared"]:
        return ", repeated: shared keypoints not repeated"
    if t["wcol"] < 0 or t["wcol"] > 24:
        return ", repeated: colours"
    return ", repeated: other"


def hollow(t):
    """the middle cells repeat nothing (GRP_MID_MIN: of the middle cells of a 4 x 4 grid
    on each picture that hold keypoints, 3 or more, over half repeat none)"""
    return t.get("mid", 0) >= 3 and 2 * t.get("mid_dead", 0) > t.get("mid", 0)


def why_missed(t):
    if t is None:
        return "no candidate"
    if t.get("capped"):
        return "pass 2: capped (a crowd's hash match beyond both pictures' GRP_HASH_TOPK nearest)"
    if t["stage"] == 0 and hollow(t) and t["inliers"] >= 8:
        return "pass %d: middle repeats nothing" % t["pass"]
    if t["stage"] == 0 and t["verified"] == 0 and t.get("blind") and t.get("detail", -1) > 17:
        return "pass %d hash: blind, details differ (GRP_BLIND_DETAIL)" % t["pass"]
    if (t["stage"] == 0 and t["verified"] == 0 and t.get("hashed") and t.get("inliers", 0) < 20
            and t.get("detail", -1) > 50):
        return "pass %d hash: details differ in place (GRP_DETAIL_APART)" % t["pass"]
    if t["stage"] == 0 and t.get("detail", -1) > 35:
        return "pass %d: details differ (GRP_DETAIL_MAX)" % t["pass"]
    if t["stage"] == 0 and t.get("shape_apart"):
        return "pass %d: shapes differ (GRP_SHAPE_MAX)" % t["pass"]
    if t["stage"] == 0 and t.get("spread_apart"):
        return "pass %d: details miss all over (GRP_SPREAD_*)" % t["pass"]
    if t["stage"] == 0 and t.get("fine_apart"):
        return "pass %d: fine details miss all over (GRP_FINE_*)" % t["pass"]
    if t["stage"] == 0 and t.get("ink_apart"):
        return "pass %d: pages' ink differs (GRP_INK_*)" % t["pass"]
    if t["pass"] == 1:
        if t["matches"] == 0:
            return "pass 1: no keypoint matches"
        if t["inliers"] < 20:
            return "pass 1: under 20 inliers" + repeat_miss(t)
        if t["inliers"] < 0.4 * t["matches"]:
            return "pass 1: under 40% agree" + repeat_miss(t)
        if t["cover"] < 0.4:
            return "pass 1: span under 0.4" + framed_miss(t) + repeat_miss(t)
        return "pass 1: other"
    if t["stage"] != 0:
        return "taken, not grouped"
    if t["verified"] == 0:
        if t["cdiff"] > 20:
            return "pass 2 hash: colours"
        if t["matches"] >= 24 and t["inliers"] < 0.4 * t["matches"]:
            return "pass 2 hash: keypoints told apart"
        return "pass 2 hash: tone"
    if t["blind"]:
        return "pass 2 ambiguous: blind"
    if t["inliers"] < t.get("strict", 24) or t["inliers"] < 0.4 * t["matches"]:
        return "pass 2 ambiguous: too few inliers"
    if t["cover"] < 0.25:
        return "pass 2 ambiguous: span under 0.25"
    return "pass 2 ambiguous: tone or colours"


def how_taken(t):
    if t is None:
        return "through other members"
    if t["stage"] == 1:
        return "exact"
    if t.get("captioned"):
        return "caption (details in place past a line of text)"
    if t["stage"] == 2:
        return {0: "hash, with the margin", 2: "hash, on trust"}.get(t["verified"], "hash")
    return "keypoints" + (" (hashes matched)" if t["verified"] in (1, 3) else "") + \
        (", repeated" if t.get("repeated") else "")


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    verbose = "-v" in argv[4:]
    truth, group, tr = load(argv[1], argv[2], argv[3])
    names = sorted(truth)
    missed, per_t, taken = Counter(), defaultdict(Counter), Counter()
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            same = truth[a][0] == truth[b][0]
            together = a in group and group.get(b) == group[a]
            t = tr.get((a, b))
            if same and not together and "original" in (truth[a][1], truth[b][1]):
                w = why_missed(t)
                tname = truth[b][2] if truth[a][1] == "original" else truth[a][2]
                missed[w] += 1
                per_t[tname][w] += 1
                if verbose:
                    print("missed", tname, w, a, b, json.dumps(t) if t else "")
            elif not same and together:
                h = how_taken(t)
                taken[h] += 1
                if verbose:
                    print("false", h, a, b, json.dumps(t) if t else "")
    print("missed pairs of an original and its variant: %d" % sum(missed.values()))
    for w, n in missed.most_common():
        print("  %4d  %s" % (n, w))
    print("per transform:")
    for tname in sorted(per_t):
        print("  %-12s %s" % (tname, ", ".join("%s %d" % (w, n) for w, n in per_t[tname].most_common())))
    print("false pairs: %d" % sum(taken.values()))
    for h, n in taken.most_common():
        print("  %4d  %s" % (n, h))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
