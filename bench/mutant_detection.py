#!/usr/bin/env python3
"""Time and effort to first detection of each racy mutant: deterministic PCT, deterministic random
walk, and free-running stress, over several program seeds; replay success of the traces found; and
the deterministic executor's schedules per second on the correct pools.

usage: mutant_detection.py STRESS OUT.json [SEEDS]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

RACY = [("no-lock", "locked"), ("double-push", "locked"), ("clear-after-publish", "locked"),
        ("no-lock", "shared"), ("double-push", "shared"), ("tls-slot-kept", "shared")]


def run(cmd, timeout=600):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, time.monotonic() - t0, p.stdout + p.stderr


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    stress, out_path = sys.argv[1], sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    results = {"seeds": seeds, "mutants": [], "schedules_per_second": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("locked", "shared"):
            report = os.path.join(tmp, "clean.json")
            code, secs, _ = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", "300",
                                 "--json", report])
            j = load(report)
            if code == 0 and j:
                results["schedules_per_second"][pool] = j["deterministic"]["schedules"] / secs
        for mutant, pool in RACY:
            row = {"mutant": mutant, "pool": pool, "runs": []}
            for seed in range(1, seeds + 1):
                for mode in ("pct", "random", "free"):
                    report = os.path.join(tmp, f"{mutant}-{pool}-{seed}-{mode}.json")
                    trace = os.path.join(tmp, f"{mutant}-{pool}-{seed}-{mode}.trace")
                    if mode == "free":
                        cmd = [stress, "--quiet", "--seed", str(seed), "--mutant", mutant, "--pool", pool,
                               "--threads", "64", "--duration", "30", "--json", report]
                    else:
                        cmd = [stress, "--deterministic", "--quiet", "--seed", str(seed), "--mutant", mutant,
                               "--pool", pool, "--strategy", mode, "--search", "5000", "--trace", trace,
                               "--json", report]
                    code, secs, _ = run(cmd)
                    j = load(report)
                    found = code != 0
                    entry = {"seed": seed, "mode": mode, "found": found, "seconds": secs,
                             "oracle": j["violations"][0]["oracle"] if j and j["violations"] else
                             ("sanitizer/crash" if found else None)}
                    if j:
                        entry["ops"] = j["ops_done"]
                        if "deterministic" in j:
                            entry["schedules"] = j["deterministic"]["schedules"]
                    if found and mode != "free" and os.path.exists(trace):
                        rcode, _, rout = run([stress, "--replay", trace, "--quiet", "--repeat", "20"])
                        marker = "repeat: "
                        exact = [l for l in rout.splitlines() if l.startswith(marker) and "replays hit" in l]
                        entry["replays_matching"] = int(exact[0][len(marker):].split(" ")[0]) if exact else 0
                        entry["replays"] = 20
                    row["runs"].append(entry)
            results["mutants"].append(row)
            print(f"{mutant}/{pool}: done", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
