#!/usr/bin/env python3
"""Runs a user's stress (built with poolcheck::stress_main) on a pool that has a bug, and checks what
a user relies on: it fails (exit 1), the first violation is one of the named oracles, and what it
prints replays it. A deterministic run must replay from its trace to the same violation at the same
step; a free-running race's seed line must run again with --repeat (how often the race recurs there
is printed: it depends on the threads meeting in its window again).

usage: expect_caught.py STRESS ORACLE[,ORACLE...] [STRESS ARGS...]"""
import os
import re
import subprocess
import sys
import tempfile

stress, oracles, args = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]


def run(*a, timeout=900):
    p = subprocess.run([stress, *a], capture_output=True, text=True, timeout=timeout)
    return p, p.stdout + p.stderr


def fail(why, output):
    print(f"expect_caught: {why}\n--- output ---\n{output[-6000:]}")
    sys.exit(1)


with tempfile.TemporaryDirectory() as tmp:
    deterministic = "--deterministic" in args
    trace = os.path.join(tmp, "trace.txt")
    found, out = run(*args, *(["--trace", trace] if deterministic else []), "--quiet")
    if found.returncode != 1:
        fail(f"exit {found.returncode}, expected 1 (caught)", out)
    # The summary lists the violations under "violations: N", the first one first.
    first = re.search(r"^  violations: \d+\n    ([a-z-]+): ", found.stdout, re.M)
    if not first or first.group(1) not in oracles:
        fail(f"caught, but the first violation is not one of {', '.join(oracles)}", out)
    print(f"caught by {first.group(1)}")
    if deterministic:
        again, out2 = run("--replay", trace, "--quiet")
        if again.returncode != 1 or "same violation at the same step" not in out2:
            fail("the trace did not replay the same violation at the same step", out2)
        print("the trace replays it: same violation, same step")
    else:
        line = next((l[len("replay: "):] for l in found.stdout.splitlines() if l.startswith("replay: ")), "")
        if not line:
            fail("no replay line", out)
        # A free-running race recurs only when the threads meet in its window again: the replay line
        # must run (same round, same configuration and shape), and how often it recurs is printed.
        # The deterministic gates are the exact replays.
        again, out2 = run(*line.split()[1:], "--repeat", "20", "--quiet")
        recur = re.search(r"recurred in (\d+) of (\d+)", out2)
        if again.returncode not in (0, 1) or not recur:
            fail(f"the replay line did not run (exit {again.returncode})", out2)
        print(f"the replay line ran; the failure recurred in {recur.group(1)} of {recur.group(2)} runs")
