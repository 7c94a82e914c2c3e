#!/usr/bin/env python3
"""Time and effort to first detection of every mutant in the catalog (`stress --list --json`), for
every pool it exists in, with the settings a user gets by default: free-running `stress` (default
threads, ops and pool configurations) and a deterministic search (its default strategy portfolio),
both on the scenario the catalog names for the row, over SEEDS program seeds; replay success of
the traces found; the deterministic executor's schedules per second on the correct pools; and the
free-running time to detection of each buggy-consumer pitfall.

A mutant only ThreadSanitizer can see (needs_tsan in the catalog) runs free-running under the TSan
build of stress given by --tsan-stress, and is marked as not measured without one.

usage: mutant_detection.py STRESS OUT.json [SEEDS] [--tsan-stress TSAN_STRESS]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

FREE_SECONDS = 30       # a free-running search gives up after this long
DET_SEARCH = 5000       # schedules a deterministic search tries
REPLAYS = 20            # replays of each recorded trace
PITFALL_POOL = "shared"  # a pitfall is the consumer's bug: any correct pool shows it


def run(cmd, timeout=600, env=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - t0, ""
    return p.returncode, time.monotonic() - t0, p.stdout + p.stderr


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def catalog(stress, tmp):
    """The catalog as `stress --list --json` writes it."""
    path = os.path.join(tmp, "catalog.json")
    code, _, out = run([stress, "--list", "--json", path], timeout=60)
    if code != 0:
        sys.exit(f"mutant_detection: {stress} --list --json failed: {out.strip()}")
    return load(path)


def entry_from(seed, mode, code, secs, j):
    found = code is not None and code != 0
    entry = {"seed": seed, "mode": mode, "found": found, "seconds": secs, "timed_out": code is None,
             "oracle": j["violations"][0]["oracle"] if j and j.get("violations") else
             ("sanitizer/crash" if found else None)}
    # A run a sanitizer ended leaves the report written when its round started: no counts in it.
    if j and "ops_done" in j:
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


def mutant_row(stress, tmp, mutant, pool, seeds, modes):
    """Runs `mutant` (a catalog row) on `pool` in each of `modes`: (mode name, stress binary)."""
    name, scenario = mutant["name"], mutant["scenario"]
    row = {"mutant": name, "pool": pool, "scenario": scenario, "modes": [m for m, _ in modes], "runs": [],
           "expected": mutant.get("caught_by") or "tsan"}
    for seed in range(1, seeds + 1):
        for mode, binary in modes:
            report = os.path.join(tmp, f"{name}-{pool}-{seed}-{mode}.json")
            trace = os.path.join(tmp, f"{name}-{pool}-{seed}-{mode}.trace")
            common = ["--quiet", "--seed", str(seed), "--mutant", name, "--pool", pool, "--scenario", scenario,
                      "--json", report]
            if mode.startswith("free"):
                cmd = [binary, "--duration", str(FREE_SECONDS)] + common
            else:
                cmd = [binary, "--deterministic", "--search", str(DET_SEARCH), "--trace", trace] + common
            # TSan reports a race and runs on by default: halting at the first report makes the wall
            # time the time to detection, as an oracle's finding ends a run.
            env = dict(os.environ, TSAN_OPTIONS=(os.environ.get("TSAN_OPTIONS", "") + " halt_on_error=1").strip()) \
                if mode == "free-tsan" else None
            code, secs, _ = run(cmd, env=env)
            entry = entry_from(seed, mode, code, secs, load(report))
            if entry["found"] and mode == "det" and os.path.exists(trace):
                entry["replays_matching"] = replay_rate(binary, trace)
                entry["replays"] = REPLAYS
            row["runs"].append(entry)
    return row


def pitfall_row(stress, tmp, name, expected, seeds):
    row = {"pitfall": name, "pool": PITFALL_POOL, "expected": expected, "runs": []}
    for seed in range(1, seeds + 1):
        report = os.path.join(tmp, f"pitfall-{name}-{seed}.json")
        code, secs, _ = run([stress, "--quiet", "--seed", str(seed), "--scenario", name, "--pool", PITFALL_POOL,
                             "--duration", str(FREE_SECONDS), "--json", report])
        row["runs"].append(entry_from(seed, "free", code, secs, load(report)))
    return row


def main():
    ap = argparse.ArgumentParser(description="time to detection of every mutant and pitfall")
    ap.add_argument("stress")
    ap.add_argument("out")
    ap.add_argument("seeds", nargs="?", type=int, default=20)
    ap.add_argument("--tsan-stress", help="a TSan build of stress, for the mutants only TSan can see")
    a = ap.parse_args()
    stress, seeds = a.stress, a.seeds
    results = {"seeds": seeds, "free_seconds": FREE_SECONDS, "det_search": DET_SEARCH, "mutants": [],
               "pitfalls": [], "schedules_per_second": {}, "not_measured": []}
    with tempfile.TemporaryDirectory() as tmp:
        cat = catalog(stress, tmp)
        for pool in ("locked", "shared"):
            report = os.path.join(tmp, "clean.json")
            code, secs, _ = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", "300",
                                 "--json", report])
            j = load(report)
            if code == 0 and j:
                results["schedules_per_second"][pool] = j["deterministic"]["schedules"] / secs
        for mutant in cat["mutants"]:
            for pool in mutant["pools"]:
                if mutant["needs_tsan"]:
                    if not a.tsan_stress:
                        results["not_measured"].append(f"{mutant['name']}/{pool} (only TSan sees it; no --tsan-stress)")
                        continue
                    modes = [("free-tsan", a.tsan_stress)]
                else:
                    modes = [("free", stress), ("det", stress)]
                t0 = time.monotonic()
                results["mutants"].append(mutant_row(stress, tmp, mutant, pool, seeds, modes))
                print(f"mutant_detection: {mutant['name']}/{pool} done in {time.monotonic() - t0:.0f} s",
                      file=sys.stderr)
        for s in cat["scenarios"]:
            if s["kind"] != "pitfall":
                continue
            t0 = time.monotonic()
            results["pitfalls"].append(pitfall_row(stress, tmp, s["name"], s.get("caught_by"), seeds))
            print(f"mutant_detection: pitfall {s['name']} done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
