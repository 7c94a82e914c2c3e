#!/usr/bin/env python3
"""Merged shards against the unsharded run, for BENCHMARKS.md: the same rounds (indices, seeds,
pool configurations) for a free-running campaign, the same schedules for a deterministic search,
and for a deterministic search of a mutant, the unsharded run's finding (its program and schedule
seed, its oracle) among the merged shards' findings.

usage: bench/shard_equivalence.py STRESS [SHARDS]
"""
import json
import os
import subprocess
import sys
import tempfile

STRESS = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 4
TMP = tempfile.mkdtemp(prefix="poolcheck-shards-")


def run(name, args):
    path = os.path.join(TMP, name + ".json")
    subprocess.run([STRESS, "--quiet", "--json", path] + args, capture_output=True, cwd=TMP)
    with open(path) as f:
        return json.load(f)


def merged(name, args):
    files = []
    for i in range(N):
        run(f"{name}-{i}", args + ["--shard", f"{i}/{N}"])
        files.append(os.path.join(TMP, f"{name}-{i}.json"))
    out = os.path.join(TMP, name + "-merged.json")
    subprocess.run([STRESS, "merge"] + files + ["--json", out], capture_output=True)
    with open(out) as f:
        return json.load(f)


def rounds(doc, keys):
    return sorted(tuple(json.dumps(r.get(k), sort_keys=True) for k in keys) for r in doc["rounds"])


print(f"| campaign | unsharded | {N} shards merged | same |")
print("|---|---|---|---|")
free = ["--seed", "42", "--rounds", "40", "--threads", "64", "--ops", "256"]
a, b = run("free", free), merged("free", free)
same = rounds(a, ["round", "seed", "config"]) == rounds(b, ["round", "seed", "config"])
print(f"| free-running, `{' '.join(free)}` | {len(a['rounds'])} rounds, {a['result']} | "
      f"{len(b['rounds'])} rounds, {b['result']} | {'yes' if same else 'NO'} (round, seed, configuration) |")
det = ["--deterministic", "--seed", "9", "--search", "200"]
a, b = run("det", det), merged("det", det)
keys = ["program_seed", "seed", "strategy", "pct_depth", "pct_steps"]
same = rounds(a, keys) == rounds(b, keys)
print(f"| deterministic, `{' '.join(det)}` | {len(a['rounds'])} schedules, {a['result']} | "
      f"{len(b['rounds'])} schedules, {b['result']} | {'yes' if same else 'NO'} (program, seed, strategy, depth, k) |")
mut = ["--deterministic", "--search", "2000", "--mutant", "no-lock", "--pool", "shared"]
a, b = run("mut", mut), merged("mut", mut)
failing = [r for r in a["rounds"] if r["violations"]]
first = (failing[0]["program_seed"], failing[0]["seed"]) if failing else None
shard_failing = {(r["program_seed"], r["seed"]) for r in b["rounds"] if r["violations"]}
oracle = a["violations"][0]["oracle"] if a["violations"] else None
found = first in shard_failing and any(f["oracle"] == oracle for f in b["failures"])
print(f"| deterministic mutant, `{' '.join(mut)}` | found by {oracle} at schedule {len(a['rounds'])} | "
      f"{len(b['failures'])} distinct failure(s) in {len(shard_failing)} shard(s) | "
      f"{'yes' if found else 'NO'} (its schedule and oracle among the merged findings) |")
