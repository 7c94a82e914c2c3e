#!/usr/bin/env python3
"""Time to first detection of the racy mutants: the deterministic search's strategies (PCT, random
walk, the default portfolio) against libFuzzer driving the schedule (tests/fuzz/fuzz_schedule.cpp),
in one ASan build, over N seeds each, as a Markdown table for BENCHMARKS.md.

PCT, random and the portfolio search the schedules of one program (--seed S pins it); the fuzzer's
bytes choose the program too. Both give up after SEARCH schedules (executions) or BUDGET seconds.

usage: bench/fuzz_vs_search.py ASAN_BUILD [SEEDS] [BUDGET_SECONDS]
       (ASAN_BUILD: the asan preset's build, with harness/stress and tests/fuzz/fuzz_schedule)
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1])
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
BUDGET = int(sys.argv[3]) if len(sys.argv) > 3 else 60
SEARCH = 5000
STRESS = os.path.join(BUILD, "harness", "stress")
FUZZ = os.path.join(BUILD, "tests", "fuzz", "fuzz_schedule")
# The racy mutants ci/run_fuzzers.sh requires the fuzzer to find, each on the scenario its catalog
# row names (stress --list).
CASES = [("no-lock", "shared", "mixed"), ("no-lock", "locked", "mixed"),
         ("clear-after-publish", "locked", "clear-sensitive"), ("cap-check-race", "shared", "small-buffers"),
         ("cap-check-race", "locked", "small-buffers"), ("trim-unlocked", "shared", "trim-heavy")]
# The options CI and ClusterFuzzLite give the fuzzer.
OPTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fuzz",
                       "fuzz_schedule.options")
with open(OPTIONS) as f:
    FUZZ_OPTIONS = ["-" + "=".join(p.strip() for p in line.split("=", 1)) for line in f if "=" in line]
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="halt_on_error=1")


def search(mutant, pool, scenario, seed, strategy):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        cmd = [STRESS, "--quiet", "--deterministic", "--search", str(SEARCH), "--seed", str(seed), "--mutant", mutant,
               "--pool", pool, "--scenario", scenario, "--json", report, "--trace", os.path.join(tmp, "t.txt")]
        if strategy:
            cmd += ["--strategy", strategy]
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=BUDGET + 60, env=ENV, cwd=tmp)
        except subprocess.TimeoutExpired:
            return None
        secs = time.monotonic() - t0
        try:
            with open(report) as f:
                j = json.load(f)
        except (OSError, ValueError):
            return None
        if p.returncode != 1:
            return None
        # A sanitizer's death leaves the provisional report: it names the schedule it died in.
        if j.get("result") == "DIED":
            return j["started"], secs
        return j["deterministic"]["schedules"], secs


def fuzz(mutant, pool, scenario, seed, feedback="all"):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        os.mkdir(corpus)
        env = dict(ENV, POOLCHECK_FUZZ_POOL=pool, POOLCHECK_FUZZ_MUTANT=mutant, POOLCHECK_FUZZ_SCENARIO=scenario,
                   POOLCHECK_FUZZ_TRACES=tmp, POOLCHECK_FUZZ_FEEDBACK=feedback)
        cmd = [FUZZ, f"-seed={seed}", f"-max_total_time={BUDGET}", f"-runs={SEARCH}", "-print_final_stats=1",
               f"-artifact_prefix={tmp}/"] + FUZZ_OPTIONS + [corpus]
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=BUDGET + 60, env=env, cwd=tmp, errors="replace")
        secs = time.monotonic() - t0
        if "replay: stress --replay" not in p.stderr:
            return None
        m = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
        runs = [int(x) for x in re.findall(r"^#(\d+)", p.stderr, re.M)]
        executed = int(m.group(1)) if m else (max(runs) + 1 if runs else 1)
        return executed, secs


def summary(results):
    found = [r for r in results if r is not None]
    cell = f"{len(found)}/{len(results)}"
    if not found:
        return [cell, "—", "—", "—", "—"]
    sched = [r[0] for r in found]
    secs = [r[1] for r in found]
    return [cell, f"{statistics.median(sched):g}", f"{max(sched)}", f"{statistics.median(secs):.2f}",
            f"{max(secs):.2f}"]


def main():
    print("| mutant | pool | method | found | median schedules | worst | median s | worst s |")
    print("|---|---|---|---|---|---|---|---|")
    for mutant, pool, scenario in CASES:
        methods = [("pct (d=3)", lambda s: search(mutant, pool, scenario, s, "pct")),
                   ("random walk", lambda s: search(mutant, pool, scenario, s, "random")),
                   ("portfolio (default)", lambda s: search(mutant, pool, scenario, s, None)),
                   ("libFuzzer", lambda s: fuzz(mutant, pool, scenario, s)),
                   ("libFuzzer, code coverage only", lambda s: fuzz(mutant, pool, scenario, s, "code"))]
        for name, method in methods:
            row = summary([method(seed) for seed in range(1, SEEDS + 1)])
            print(f"| {mutant} | {pool} | {name} | " + " | ".join(row) + " |", flush=True)


main()
