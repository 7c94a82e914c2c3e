#!/usr/bin/env python3
"""End-to-end proof of the deterministic executor, through the stress binary.

  det_e2e.py STRESS find MUTANT POOL MAX_SCHEDULES
      a deterministic search finds the racy mutant within MAX_SCHEDULES schedules (the first is
      PCT's random-walk calibration), writes a trace, and replaying that trace 100 times hits the
      same violation at the same step every time.
  det_e2e.py STRESS clean POOL SCHEDULES
      a correct pool survives SCHEDULES schedules, and the PCT miss bound is printed.
  det_e2e.py STRESS step-limit POOL MAX_STEPS [FLAG ...]
      a schedule cut off by the step limit (the pool's noexcept give_back paths on the stack) ends
      as a `stall` finding with the summary, the JSON report, the replay line and the trace, exit 1,
      never std::terminate.
  det_e2e.py STRESS thread-limit POOL THREADS
      under an address-space limit that cannot hold THREADS thread stacks, a deterministic run
      reports the thread limit with the count reached, exit 1, JSON written, never std::terminate.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile


def run(cmd, preexec_fn=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, preexec_fn=preexec_fn)
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


def step_limit(stress, pool, max_steps, extra):
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.txt")
        report = os.path.join(tmp, "report.json")
        code, out = run([stress, "--deterministic", "--quiet", "--pool", pool, "--max-steps", str(max_steps),
                         "--trace", trace, "--json", report] + extra)
        if code != 1:
            fail(f"expected exit 1 at the step limit, got {code}", out)
        if "terminate" in out or "crash" in out.lower():
            fail("the run crashed instead of reporting", out)
        if "poolcheck stress:" not in out or "violations: 1" not in out:
            fail("no summary with the stall finding", out)
        if "replay: stress" not in out:
            fail("no replay line", out)
        with open(report) as f:
            j = json.load(f)
        if [v["oracle"] for v in j["violations"]] != ["stall"]:
            fail(f"expected one stall finding in the JSON, got {j['violations']}", out)
        if f"no completion within {max_steps} schedule steps" not in j["violations"][0]["what"]:
            fail("the stall finding does not name the step limit", out)
        if "--schedule-seed" not in j.get("replay", ""):
            fail("no replay line with a schedule seed in the JSON", out)
        if not os.path.exists(trace) or os.path.getsize(trace) == 0:
            fail("no trace written", out)
        print(f"step limit {max_steps} on {pool} {' '.join(extra)}: stall reported, exit 1, JSON and trace written")


def thread_limit(stress, pool, threads):
    # RLIMIT_AS, not RLIMIT_NPROC: the task limit does not bind root (CI containers run as root),
    # while every thread's stack (8 MiB by default) counts against the address space for everyone.
    limit = 3 << 30

    def limit_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        code, out = run([stress, "--deterministic", "--quiet", "--pool", pool, "--threads", str(threads),
                         "--ops", "4", "--search", "3", "--json", report], preexec_fn=limit_address_space)
        if code != 1:
            fail(f"expected exit 1 at the thread limit, got {code}", out)
        if "terminate" in out:
            fail("std::terminate instead of a report", out)
        if "poolcheck stress:" not in out:
            fail("no summary", out)
        if f"could not start deterministic thread" not in out or f"of {threads}" not in out:
            fail("the report does not name the thread that failed and the count", out)
        with open(report) as f:
            j = json.load(f)
        if j.get("end") != "thread-limit":
            fail(f"JSON end is {j.get('end')}, not thread-limit", out)
        print(f"{threads} threads under a {limit >> 30} GiB address-space limit: thread limit reported, exit 1")


if __name__ == "__main__":
    stress, mode = sys.argv[1], sys.argv[2]
    if mode == "find":
        find(stress, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "clean":
        clean(stress, sys.argv[3], int(sys.argv[4]))
    elif mode == "step-limit":
        step_limit(stress, sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    elif mode == "thread-limit":
        thread_limit(stress, sys.argv[3], int(sys.argv[4]))
    else:
        fail("unknown mode " + mode)
