#!/usr/bin/env python3
"""Reads a `gauntlet matrix` matrix.json and lists the failing cells of flagged
rows that no interop/expectations/IMPL-ROLE.txt entry covers: the findings
the expectations files do not explain yet. Usage: matrix-unlisted.py MATRIX_JSON REPO"""
import json, sys, fnmatch, re, os
m = json.load(open(sys.argv[1])); repo = sys.argv[2]
def entries(impl, role):
    p = f"{repo}/interop/expectations/{impl}-{role}.txt"
    if not os.path.exists(p): return []
    out = []
    for line in open(p):
        line = line.strip()
        if not line or line.startswith('#'): continue
        out.append(line.split()[0])
    return out
flagged = [r for r in m["rows"] if r.get("flag")]
unlisted = []
for r in flagged:
    for t, c in zip(m["targets"], r["cells"]):
        if c and c["verdict"] == "fail":
            pats = entries(t, r["side"])
            if not any(fnmatch.fnmatchcase(r["name"], p) for p in pats):
                unlisted.append((r["name"], t, r["flag"]["kind"], c["outcome"]))
print(f"{len(flagged)} flagged rows; {len(unlisted)} failing cells in them that no expectations file lists:")
for u in unlisted: print("  ", *u)
