#!/usr/bin/env python3
"""A user's own `stress` (poolcheck::stress_main over their pools) end to end: it lists their pools
(and no mutants), runs the correct one clean free-running and under schedules, catches the broken
ones by the named oracle with a replay line that starts with the user's program and reproduces the
finding, names the oracles an uncounted pool runs without, and refuses what a user's pool cannot
run (bufpool's workloads, mutants, the self-test) with one line and exit 2."""
import os
import subprocess
import sys
import tempfile

STRESS = sys.argv[1]
NAME = os.path.basename(STRESS)
failures = []


def run(*args, timeout=300):
    return subprocess.run([STRESS, *args], capture_output=True, text=True, timeout=timeout)


def check(cond, what, proc=None):
    if not cond:
        detail = "" if proc is None else f"\n--- exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        failures.append(what + detail)


def replay_line(out):
    lines = [l for l in out.splitlines() if l.startswith("replay: ")]
    return lines[0][len("replay: "):] if lines else ""


listing = run("--list")
check(listing.returncode == 0 and "ignores-clear" in listing.stdout and "mutants" not in listing.stdout,
      "--list names the user's pools and no mutants", listing)
check("off: aliasing" in listing.stdout, "--list names the oracles an uncounted pool runs without", listing)

clean = run("--pool", "user", "--threads", "64", "--duration", "2", "--quiet")
check(clean.returncode == 0 and "result: CLEAN" in clean.stdout, "the correct user pool runs clean", clean)
det = run("--pool", "user", "--deterministic", "--search", "50", "--quiet")
check(det.returncode == 0, "the correct user pool runs clean under 50 schedules", det)

for pool, oracle in (("ignores-clear", "leakage"), ("ignores-cap", "bucket-cap")):
    found = run("--pool", pool, "--threads", "64", "--duration", "10", "--quiet")
    check(found.returncode == 1 and oracle in found.stdout, f"{pool} is caught by {oracle}", found)
    line = replay_line(found.stdout)
    check(line.startswith(NAME + " "), f"{pool}'s replay line starts with the user's program", found)
    if line.startswith(NAME + " "):
        again = run(*line.split()[1:], "--quiet")
        check(again.returncode == 1 and oracle in again.stdout, f"{pool}'s replay line reproduces it", again)

with tempfile.TemporaryDirectory() as tmp:
    trace = os.path.join(tmp, "t.txt")
    found = run("--pool", "ignores-clear", "--deterministic", "--search", "200", "--trace", trace, "--quiet")
    check(found.returncode == 1 and os.path.exists(trace), "a deterministic search finds ignores-clear", found)
    check(f"replay: {NAME} --replay {trace}" in found.stdout, "the trace's replay line names the user's program", found)
    if os.path.exists(trace):
        again = run("--replay", trace, "--quiet")
        check(again.returncode == 1 and "same violation at the same step" in again.stdout,
              "the trace replays the same violation at the same step", again)

uncounted = run("--pool", "uncounted", "--threads", "32", "--duration", "1", "--quiet")
check(uncounted.returncode == 0 and "oracle off: accounting" in uncounted.stdout,
      "an uncounted pool runs clean and its summary names the oracles that are off", uncounted)

for args, needle in ((["--pool", "user", "--scenario", "token-stream"], "program scenarios"),
                     (["--pool", "user", "--mutant", "ignore-cap"], "bufpool's pools"),
                     (["--pool", "user", "--partitions", "2"], "--partitions does not apply"),
                     (["--self-test"], "bufpool's mutants"),
                     (["--pool", "shared"], "--pool")):
    bad = run(*args)
    check(bad.returncode == 2 and needle in bad.stderr and len(bad.stderr.strip().splitlines()) == 1,
          f"{' '.join(args)} is one usage line", bad)

if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print("user stress end to end: all checks passed")
