#!/usr/bin/env python3
"""manexamples.py MANDIR: the example command lines of the manual pages, one per line,
as PAGE<TAB>COMMAND (COMMAND with its newlines and backslashes escaped as \\n and \\\\).

An example is every command in a literal display (.Bd -literal ... .Ed) of a page's
EXAMPLES section (azdedup(7)'s included).  A
command ends at a line that does not continue it: a trailing backslash, a trailing
pipe or && or an open single quote carries on to the next line.  Roff escapes are
undone (\\e is a backslash, \\(aq a quote, \\- a minus)."""
import os
import sys


def unroff(s):
    return (s.replace("\\e", "\\").replace("\\(aq", "'").replace("\\-", "-")
            .replace("\\&", ""))


def blocks(path):
    """The lines of each literal display in the page's example sections."""
    out, cur, in_sec, in_bd = [], None, False, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(".Sh "):
                in_sec = line[4:].strip() == "EXAMPLES"
            if not in_sec:
                continue
            if line.startswith(".Bd") and "-literal" in line:
                in_bd, cur = True, []
            elif line.startswith(".Ed") and in_bd:
                in_bd = False
                out.append(cur)
            elif in_bd:
                cur.append(unroff(line))
    return out


def commands(lines):
    cmds, cur = [], []
    for line in lines:
        cur.append(line)
        text = "\n".join(cur)
        open_quote = text.count("'") % 2 == 1
        s = line.rstrip()
        if s.endswith("\\") or s.endswith("|") or s.endswith("&&") or open_quote:
            continue
        cmds.append(text)
        cur = []
    if cur:
        cmds.append("\n".join(cur))
    return cmds


def main():
    mandir = sys.argv[1]
    for name in sorted(os.listdir(mandir)):
        if not (name.endswith(".1") or name.endswith(".7")):
            continue
        for b in blocks(os.path.join(mandir, name)):
            for c in commands(b):
                if c.strip():
                    print(name + "\t" + c.replace("\\", "\\\\").replace("\n", "\\n"))


if __name__ == "__main__":
    main()
