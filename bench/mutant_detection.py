#!/usr/bin/env python3
"""Time and effort to first detection of each racy mutant: deterministic PCT, deterministic random
walk, and free-running stress (the other mutants: free-running only), over SEEDS program seeds; replay success of the traces found; the
deterministic executor's schedules per second on the correct pools; and, when this build of stress
lists a "pitfall" section (buggy consumers selected with --scenario NAME), free-running time to
detection of each pitfall (the deterministic executor runs the pools, not consumer scenarios).

usage: mutant_detection.py STRESS OUT.json [SEEDS]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

RACY = [("no-lock", "locked"), ("double-push", "locked"), ("clear-after-publish", "locked"),
        ("no-lock", "shared"), ("double-push", "shared"), ("tls-slot-kept", "shared"),
        ("cap-check-race", "locked"), ("cap-check-race", "shared"), ("trim-unlocked", "shared"),
        ("trim-frees-slots", "shared")]
# The other mutants are not about interleavings: free-running only, with the self-test's small caps
# (so a cap the pool ignores shows at once) and clearing give_backs for the clearing faults.
# racy-stats is left out: only TSan sees it (the kill matrix's tsan column shows it caught).
FREE_ONLY = [("ignore-cap", "locked"), ("ignore-cap", "shared"), ("ignore-clear", "locked"), ("ignore-clear", "shared"),
             ("off-by-one-bucket", "locked"), ("off-by-one-bucket", "shared"), ("lose-array", "locked"),
             ("lose-array", "shared"), ("partial-clear", "locked"), ("partial-clear", "shared"),
             ("lease-drops-clear", "locked"), ("lease-drops-clear", "shared"),
             ("foreign-size-accepted", "locked"), ("foreign-size-accepted", "shared"), ("empty-span-throws", "locked"),
             ("empty-span-throws", "shared"), ("oversize-kept", "locked"), ("lease-whole-capacity", "locked"),
             ("lease-whole-capacity", "shared"), ("exit-leaks-when-full", "shared"), ("exit-counters-early", "shared"),
             ("round-up-exact", "locked"), ("fresh-wrong-bucket", "locked"), ("oversize-uncounted", "locked"),
             ("drops-uncounted", "locked"), ("drops-uncounted", "shared")]
CLEARING = {"ignore-clear", "partial-clear", "lease-drops-clear"}
SMALL_CAPS = ["--max-per-bucket", "4", "--arrays-per-partition", "4"]
FREE_THREADS = 64
FREE_SECONDS = 30       # a free-running search gives up after this long
DET_SEARCH = 5000       # schedules a deterministic search tries
REPLAYS = 20            # replays of each recorded trace
PITFALL_POOL = "shared"  # a pitfall is the consumer's bug: any correct pool shows it


def run(cmd, timeout=600):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0, ""
    return p.returncode, time.monotonic() - t0, p.stdout + p.stderr


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def pitfall_names(stress):
    """(name, expected oracle or None) under a `--list` section whose heading mentions "pitfall";
    [] when there is none.

    --list prints unindented section headings ("scenarios: pitfalls, ... (--scenario NAME):") each
    followed by indented "name  summary [caught by ORACLE]" lines; a "    ... and N more" line
    continues a summary and is no name."""
    code, _, out = run([stress, "--list"], timeout=60)
    if code != 0:
        return []
    names, in_section = [], False
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            in_section = "pitfall" in line.lower()
            continue
        name = line.split()[0]
        if in_section and not line.startswith("    ") and name != "...":
            expected = line.rsplit("[caught by ", 1)[1].rstrip("]").strip() if "[caught by " in line else None
            names.append((name, expected))
    return names


def entry_from(seed, mode, code, secs, j):
    found = code is not None and code != 0
    entry = {"seed": seed, "mode": mode, "found": found, "seconds": secs, "timed_out": code is None,
             "oracle": j["violations"][0]["oracle"] if j and j.get("violations") else
             ("sanitizer/crash" if found else None)}
    if j:
        entry["ops"] = j["ops_done"]
        if "deterministic" in j:
            entry["schedules"] = j["deterministic"]["schedules"]
    return entry


def replay_rate(stress, trace):
    """How many of REPLAYS fresh-process replays of `trace` hit the recorded violation at its step."""
    _, _, out = run([stress, "--replay", trace, "--quiet", "--repeat", str(REPLAYS)])
    marker = "repeat: "
    exact = [l for l in out.splitlines() if l.startswith(marker) and "replays hit" in l]
    return int(exact[0][len(marker):].split(" ")[0]) if exact else 0


def mutant_row(stress, tmp, mutant, pool, seeds, modes=("pct", "random", "free")):
    row = {"mutant": mutant, "pool": pool, "modes": list(modes), "runs": []}
    extra = [] if modes != ("free",) else SMALL_CAPS + (["--scenario", "clear-sensitive"] if mutant in CLEARING else [])
    for seed in range(1, seeds + 1):
        for mode in modes:
            report = os.path.join(tmp, f"{mutant}-{pool}-{seed}-{mode}.json")
            trace = os.path.join(tmp, f"{mutant}-{pool}-{seed}-{mode}.trace")
            if mode == "free":
                cmd = [stress, "--quiet", "--seed", str(seed), "--mutant", mutant, "--pool", pool,
                       "--threads", str(FREE_THREADS), "--duration", str(FREE_SECONDS), "--json", report] + extra
            else:
                cmd = [stress, "--deterministic", "--quiet", "--seed", str(seed), "--mutant", mutant,
                       "--pool", pool, "--strategy", mode, "--search", str(DET_SEARCH), "--trace", trace,
                       "--json", report]
            code, secs, _ = run(cmd)
            entry = entry_from(seed, mode, code, secs, load(report))
            if entry["found"] and mode != "free" and os.path.exists(trace):
                entry["replays_matching"] = replay_rate(stress, trace)
                entry["replays"] = REPLAYS
            row["runs"].append(entry)
    return row


def pitfall_row(stress, tmp, name, expected, seeds):
    row = {"pitfall": name, "pool": PITFALL_POOL, "expected": expected, "runs": []}
    for seed in range(1, seeds + 1):
        report = os.path.join(tmp, f"pitfall-{name}-{seed}.json")
        code, secs, _ = run([stress, "--quiet", "--seed", str(seed), "--scenario", name, "--pool", PITFALL_POOL,
                             "--threads", str(FREE_THREADS), "--duration", str(FREE_SECONDS), "--json", report])
        row["runs"].append(entry_from(seed, "free", code, secs, load(report)))
    return row


def main():
    stress, out_path = sys.argv[1], sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    results = {"seeds": seeds, "free_threads": FREE_THREADS, "free_seconds": FREE_SECONDS,
               "det_search": DET_SEARCH, "mutants": [], "pitfalls": [], "schedules_per_second": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for pool in ("locked", "shared"):
            report = os.path.join(tmp, "clean.json")
            code, secs, _ = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", "300",
                                 "--json", report])
            j = load(report)
            if code == 0 and j:
                results["schedules_per_second"][pool] = j["deterministic"]["schedules"] / secs
        for mutant, pool in RACY:
            t0 = time.monotonic()
            results["mutants"].append(mutant_row(stress, tmp, mutant, pool, seeds))
            print(f"mutant_detection: {mutant}/{pool} done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        for mutant, pool in FREE_ONLY:
            results["mutants"].append(mutant_row(stress, tmp, mutant, pool, seeds, ("free",)))
        names = pitfall_names(stress)
        if not names:
            print("mutant_detection: this stress lists no pitfall section; pitfall rows skipped", file=sys.stderr)
        for name, expected in names:
            t0 = time.monotonic()
            results["pitfalls"].append(pitfall_row(stress, tmp, name, expected, seeds))
            print(f"mutant_detection: pitfall {name} done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
