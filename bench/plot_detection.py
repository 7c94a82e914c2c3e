#!/usr/bin/env python3
"""Plots time to first detection per mutant (and per pitfall) from mutant_detection.py's JSON: one
row per mutant/pool, one marker per seed and mode, seconds on a log axis. Runs that found nothing
are drawn as hollow markers at the mode's give-up time, so a miss is visible rather than dropped.

usage: plot_detection.py MUTANT_JSON OUT.svg
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402  (after use())

MODES = [("det", "deterministic search", "tab:blue", -0.2), ("free", "free-running", "tab:green", 0.0),
         ("free-tsan", "free-running under TSan", "tab:red", 0.2)]
FLOOR_S = 1e-3  # a detection faster than a millisecond is drawn at the floor of the log axis


def rows_of(j):
    rows = [(f"{m['mutant']} ({m['pool']})", m["runs"]) for m in j["mutants"]]
    rows += [(f"pitfall: {p['pitfall']} ({p['pool']})", p["runs"]) for p in j.get("pitfalls", [])]
    return rows


def main():
    with open(sys.argv[1]) as f:
        j = json.load(f)
    out = sys.argv[2]
    rows = rows_of(j)
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(rows) + 1.4))
    for y, (_, runs) in enumerate(rows):
        for mode, label, color, dy in MODES:
            found = [max(r["seconds"], FLOOR_S) for r in runs if r["mode"] == mode and r["found"]]
            missed = [max(r["seconds"], FLOOR_S) for r in runs if r["mode"] == mode and not r["found"]]
            ax.scatter(found, [y + dy] * len(found), s=14, color=color, alpha=0.7,
                       label=label if y == 0 else None)
            ax.scatter(missed, [y + dy] * len(missed), s=22, facecolors="none", edgecolors=color,
                       label=f"{label}: not found" if y == 0 else None)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([name for name, _ in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("seconds to first detection (one marker per seed; wall time of the stress process)")
    ax.set_title(f"Time to detection, {j['seeds']} seeds per mutant")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.savefig(out, format=out.rsplit(".", 1)[-1], bbox_inches="tight")
    print(f"plot_detection: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
