#!/usr/bin/env python3
"""End-to-end proof of the deterministic executor, through the stress binary.

  det_e2e.py STRESS find MUTANT POOL MAX_SCHEDULES
      a deterministic search finds the racy mutant within MAX_SCHEDULES schedules (the first is
      PCT's random-walk calibration), writes a trace, and replaying that trace 100 times hits the
      same violation at the same step every time.
  det_e2e.py STRESS clean POOL SCHEDULES
      a correct pool survives SCHEDULES schedules, and the PCT miss bound is printed.
"""
import json
import os
import subprocess
import sys
import tempfile


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout + p.stderr


def fail(msg, out=""):
    print("FAIL:", msg)
    print(out[-4000:])
    sys.exit(1)


def find(stress, mutant, pool, max_schedules):
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.txt")
        report = os.path.join(tmp, "report.json")
        code, out = run([stress, "--deterministic", "--quiet", "--mutant", mutant, "--pool", pool,
                         "--search", str(max_schedules), "--trace", trace, "--json", report])
        if code != 1:
            fail(f"expected exit 1 for mutant {mutant}/{pool}, got {code}", out)
        with open(report) as f:
            j = json.load(f)
        if not j["violations"]:
            fail("no violation in the JSON report", out)
        d = j["deterministic"]
        print(f"{mutant}/{pool}: caught by {j['violations'][0]['oracle']} after {d['schedules']} schedules "
              f"({d['strategy']})")
        if "replay" not in j or "--schedule-seed" not in j["replay"]:
            fail("no replay line with a schedule seed", out)
        code, out = run([stress, "--replay", trace, "--quiet", "--repeat", "100"])
        if code != 1:
            fail(f"replay exited {code}", out)
        if "recurred in 100 of 100 runs" not in out or \
                "repeat: 100 of 100 replays hit the recorded violation at the recorded step" not in out:
            fail("replay did not reproduce 100 of 100 times", out)
        # The printed seed replay line must reproduce it too.
        code, out = run(j["replay"].replace("stress", stress, 1).split() + ["--quiet"])
        if code != 1:
            fail(f"the replay line exited {code}", out)
        print("replayed 100 of 100 from the trace, and once from the seed line")


def clean(stress, pool, schedules):
    code, out = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", str(schedules)])
    if code != 0:
        fail(f"correct pool {pool} flagged (exit {code})", out)
    if "PCT bound" not in out:
        fail("no PCT miss bound printed", out)
    print(out)


if __name__ == "__main__":
    stress, mode = sys.argv[1], sys.argv[2]
    if mode == "find":
        find(stress, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "clean":
        clean(stress, sys.argv[3], int(sys.argv[4]))
    else:
        fail("unknown mode " + mode)
