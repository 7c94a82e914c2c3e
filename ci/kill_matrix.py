#!/usr/bin/env python3
"""Merges the kill-matrix columns that `stress --self-test --json` wrote in each preset's build
directory into one table: a row per mutant (or correct pool), a column per build.

usage: kill_matrix.py build/release/kill-matrix.json build/asan/kill-matrix.json build/tsan/kill-matrix.json
"""
import json
import os
import sys


def main():
    columns = []
    for path in sys.argv[1:]:
        if os.path.exists(path):
            with open(path) as f:
                columns.append(json.load(f))
    if not columns:
        print("kill matrix: no columns found")
        return 0
    rows = []
    for c in columns:
        for r in c["rows"]:
            if r["row"] not in rows:
                rows.append(r["row"])
    print("kill matrix (row: mutant or correct pool; cell: what caught it, or clean)")
    print("| row | " + " | ".join(c["build"] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    ok = True
    for row in rows:
        cells = []
        for c in columns:
            cell = next((r for r in c["rows"] if r["row"] == row), None)
            if cell is None:
                cells.append("—")
            else:
                cells.append(cell["cell"] + ("" if cell["pass"] else " **FAIL**"))
                ok = ok and cell["pass"]
        print(f"| {row} | " + " | ".join(cells) + " |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
