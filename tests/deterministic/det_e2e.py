#!/usr/bin/env python3
"""End-to-end proof of the deterministic executor, through the stress binary.

  det_e2e.py STRESS find MUTANT POOL MAX_SCHEDULES
      a deterministic search finds the racy mutant within MAX_SCHEDULES schedules (the first is
      PCT's random-walk calibration), writes a trace, and replaying that trace 100 times hits the
      same violation at the same step every time.
  det_e2e.py STRESS clean POOL SCHEDULES
      a correct pool survives SCHEDULES schedules, and the PCT miss bound is printed.
  det_e2e.py STRESS damaged
      the trace format cannot lie: a real trace, damaged in each way (version, bounds, counts,
      truncation, end marker, checksum, bad numbers, control bytes, a huge line, flags a replay may
      not carry in its recorded command), is refused with exit 2 and one line
      "stress: --replay FILE:LINE: ..."; a replay that diverges from its trace exits 1.
  det_e2e.py STRESS step-limit POOL MAX_STEPS [FLAG ...]
      a schedule cut off by the step limit (the pool's noexcept give_back paths on the stack) ends
      as a `stall` finding with the summary, the JSON report, the replay line and the trace, exit 1,
      never std::terminate.
  det_e2e.py STRESS unwritable-trace
      a failing schedule whose trace cannot be written still reports its finding and replay line.
  det_e2e.py STRESS sigint
      SIGINT during a long deterministic schedule ends it soon with exit 130 and its report.
  det_e2e.py STRESS search
      a search varies the programs (a new seed every 10 schedules), the pool configuration (tight,
      drawn per program) and the strategy (PCT at depths 1 to 4 and a random walk), each choice in
      the JSON; --seed, --strategy, --pct-depth and a pool flag pin theirs; a failure found on a later
      program under PCT prints a replay line naming every choice, which reproduces it, as its trace does.
  det_e2e.py STRESS thread-limit POOL THREADS
      under an address-space limit that cannot hold THREADS thread stacks, a deterministic run
      reports the thread limit with the count reached, exit 1, JSON written, never std::terminate.
  det_e2e.py STRESS scenarios POOL SCHEDULES
      every scenario `stress --list` names runs under --deterministic: programs and workloads come
      back clean from SCHEDULES schedules, each pitfall is caught by the oracle its row names, and
      a pitfall's trace replays the same violation at the same step.
  det_e2e.py STRESS crash POOL SIGNAL SCENARIO
      a deterministic schedule that dies of SIGNAL (a test-only crash injected at a fixed step by
      POOLCHECK_TEST_CRASH_AT_STEP, a stand-in for a pool that crashes there) prints its replay
      line and writes the trace of its steps up to the crash; `stress --replay` of that trace dies
      the same way; free-running, the same signal mid-round prints the round's replay line.
"""
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time


def run(cmd, preexec_fn=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, preexec_fn=preexec_fn)
    return p.returncode, p.stdout + p.stderr


def fail(msg, out=""):
    print("FAIL:", msg)
    print(out[-4000:])
    sys.exit(1)


def reported_failure(code, out):
    """Exit 1; or an abort after the summary was printed: a mutant that corrupted the heap can make
    the allocator abort while the reports are written (a limit stated in ARCHITECTURE.md)."""
    return code == 1 or (code in (-6, 134) and "result: FAILED (violation)" in out)


def find(stress, mutant, pool, max_schedules):
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.txt")
        report = os.path.join(tmp, "report.json")
        code, out = run([stress, "--deterministic", "--quiet", "--mutant", mutant, "--pool", pool,
                         "--search", str(max_schedules), "--trace", trace, "--json", report])
        if not reported_failure(code, out):
            fail(f"expected exit 1 for mutant {mutant}/{pool}, got {code}", out)
        with open(report) as f:
            j = json.load(f)
        if code == 1:
            if not j["violations"]:
                fail("no violation in the JSON report", out)
            d = j["deterministic"]
            print(f"{mutant}/{pool}: caught by {j['violations'][0]['oracle']} after {d['schedules']} schedules "
                  f"({d['strategy']})")
            replay_line = j.get("replay", "")
        else:
            replay_line = next((l[len("replay: "):] for l in out.splitlines() if l.startswith("replay: stress --seed")),
                               "")
            print(f"{mutant}/{pool}: caught, then the corrupted heap aborted the report (exit {code})")
        if "--schedule-seed" not in replay_line:
            fail("no replay line with a schedule seed", out)
        if not os.path.exists(trace):
            fail("no trace written", out)
        code, out = run([stress, "--replay", trace, "--quiet", "--repeat", "100"])
        if code != 1:
            fail(f"replay exited {code}", out)
        if "recurred in 100 of 100 runs" not in out or \
                "repeat: 100 of 100 replays hit the recorded violation at the recorded step" not in out:
            fail("replay did not reproduce 100 of 100 times", out)
        # The printed seed replay line must reproduce it too.
        code, out = run(replay_line.replace("stress", stress, 1).split() + ["--quiet"])
        if not reported_failure(code, out):
            fail(f"the replay line exited {code}", out)
        print("replayed 100 of 100 from the trace, and once from the seed line")


def clean(stress, pool, schedules):
    code, out = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", str(schedules)])
    if code != 0:
        fail(f"correct pool {pool} flagged (exit {code})", out)
    if "PCT bound" not in out:
        fail("no PCT miss bound printed", out)
    print(out)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def reseal(body):
    """`body` with its checksum line (if it has one) recomputed."""
    i = body.rfind(b"\nchecksum: ")
    if i < 0:
        return body
    body = body[:i + 1]
    return body + b"checksum: %016x\n" % fnv1a64(body)


def line_no(text, prefix):
    lines = text.split(b"\n")
    return next(i + 1 for i, l in enumerate(lines) if l.startswith(prefix))


def with_line(text, prefix, new):
    """`text` with its first line starting with `prefix` replaced by `new`, resealed."""
    lines = text.split(b"\n")
    i = line_no(text, prefix) - 1
    lines[i] = new
    return reseal(b"\n".join(lines))


def checker(failures):
    """A check(cond, what, detail) that prints ok/FAIL and records each failure in `failures`, so a
    mode reports every failed check before it exits."""
    def check(cond, what, detail=""):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)
            print(detail[-3000:])
    return check


def damaged(stress):
    failures = []
    check = checker(failures)

    def replay(path, *extra):
        try:
            p = subprocess.run([stress, "--replay", path, "--quiet"] + list(extra), capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            return -1, "", "timed out"
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.trace")
        # ignore-clear: its pool stays consistent, so every build (release, ASan, TSan) reports it alike.
        code, out = run([stress, "--deterministic", "--quiet", "--mutant", "ignore-clear", "--pool", "locked",
                         "--scenario", "clear-sensitive", "--search", "200", "--trace", good])
        if code != 1 or not os.path.exists(good):
            fail(f"no trace recorded (exit {code})", out)
        text = open(good, "rb").read()
        code, out, err = replay(good)
        check(code == 1 and "same violation at the same step, same schedule" in out,
              "the intact trace replays its violation, exit 1", out + err)

        cmd = line_no(text, b"command: ")
        command = text.split(b"\n")[cmd - 1]
        steps = line_no(text, b"steps: ")
        programs = line_no(text, b"programs: ")
        body = text[:text.rfind(b"checksum: ")]
        cases = [
            ("an old trace without the version line", b"poolcheck-schedule-trace v1" + text[text.find(b"\n"):], 1,
             "format version 1"),
            ("an unknown version", b"poolcheck-trace 9" + text[text.find(b"\n"):], 1, "format version '9'"),
            ("steps: -1", with_line(text, b"steps: ", b"steps: -1"), steps, "step count '-1' is not a decimal number"),
            ("steps: x", with_line(text, b"steps: ", b"steps: x"), steps, "step count 'x' is not a decimal number"),
            ("steps: 1099511627776", with_line(text, b"steps: ", b"steps: 1099511627776"), steps, "truncated or damaged"),
            ("steps beyond the bound", with_line(text, b"steps: ", b"steps: 2000000000000"), steps, "from 1 to"),
            ("programs: 1 4294967296", with_line(text, b"programs: ", b"programs: 1 4294967296"), programs,
             "thread count '4294967296'"),
            ("programs: 1 70000", with_line(text, b"programs: ", b"programs: 1 70000"), programs, "from 1 to 65536"),
            ("programs: 1 0", with_line(text, b"programs: ", b"programs: 1 0"), programs, "thread count '0'"),
            ("a trace cut before steps:", text[:text.find(b"\nsteps: ") + 1], steps, "truncated"),
            ("a trace cut mid-line", text[:len(text) // 2], None, "truncated"),
            ("no end marker", reseal(body[:-4] + b"checksum: 0\n"), text.count(b"\n") - 1,
             "expected the end marker"),
            ("a wrong checksum", body + b"checksum: 0123456789abcdef\n", text.count(b"\n"), "wrong checksum"),
            ("a changed byte", text.replace(b"\nend\n", b"\nenD\n"), text.count(b"\n") - 1, "end marker"),
            ("a changed step", text[:text.find(b"\n", text.find(b"\nsteps: ") + 1) + 1] +
             (b"1" if text[text.find(b"\n", text.find(b"\nsteps: ") + 1) + 1:][:1] == b"0" else b"0") +
             text[text.find(b"\n", text.find(b"\nsteps: ") + 1) + 2:], text.count(b"\n"), "wrong checksum"),
            ("an escape sequence", with_line(text, b"steps: ", b"steps: \x1b[31mred\x1b[0m\x1b]0;owned\x07"),
             steps, "\\x1b[31m"),
            ("a 10 MB line", with_line(text, b"steps: ", b"steps: " + b"7" * 10_000_000), steps, "..."),
        ]
        for name, data, line, needle in cases:
            path = os.path.join(tmp, "bad.trace")
            with open(path, "wb") as f:
                f.write(data)
            code, out, err = replay(path)
            lines = [l for l in err.splitlines() if l.strip()]
            where = f"stress: --replay {path}:{line}: " if line else f"stress: --replay {path}:"
            check(code == 2 and out == "" and len(lines) == 1 and lines[0].startswith(where) and needle in lines[0] and
                  "\x1b" not in err and "\x07" not in err and len(err) < 600,
                  f"{name}: exit 2, one line naming {os.path.basename(path)}:{line or 'LINE'}",
                  f"code {code}\nout: {out[-1500:]}\nerr: {err[-1500:]}")

        # The recorded command carries only the flags a replay line writes; errors in it name the trace.
        for edit, needle in ((b" --self-test", "'--self-test' is not a flag a replay may carry"),
                              (b" --list", "'--list' is not"), (b" --help", "'--help' is not"),
                              (b" --replay " + good.encode(), "'--replay' is not"),
                              (b" --json out.json", "'--json' is not"), (b" --trace=t.trace", "'--trace' is not"),
                              (b" --repeat 3", "'--repeat' is not"), (b"ignore-clear=>nope", "unknown mutant 'nope'"),
                              (b" --threads 0", "--threads")):
            path = os.path.join(tmp, "cmd.trace")
            recorded = command.replace(*edit.split(b"=>")) if b"=>" in edit else command + edit
            with open(path, "wb") as f:
                f.write(with_line(text, b"command: ", recorded))
            code, out, err = replay(path)
            lines = [l for l in err.splitlines() if l.strip()]
            check(code == 2 and out == "" and len(lines) == 1 and
                  lines[0].startswith(f"stress: --replay {path}:{cmd}: recorded command: ") and needle in lines[0],
                  f"a recorded command with {edit.decode()[:30].strip()}: exit 2 naming the trace",
                  f"code {code}\nout: {out[-1500:]}\nerr: {err[-1500:]}")

        # A replay that does not follow its trace fails: the same trace replayed on the correct pool.
        path = os.path.join(tmp, "diverged.trace")
        with open(path, "wb") as f:
            f.write(with_line(text, b"command: ", command.replace(b" --mutant ignore-clear", b"")))
        code, out, err = replay(path)
        check(code == 1 and "DIVERGED" in out and "result: FAILED" in out, "a diverged replay exits 1",
              f"code {code}\nout: {out[-1500:]}\nerr: {err[-1500:]}")
        code, out, err = replay(path, "--repeat", "2")
        check(code == 1 and "recurred in 2 of 2" in out, "a diverged replay fails under --repeat too",
              f"code {code}\nout: {out[-1500:]}\nerr: {err[-1500:]}")

    print(f"damaged traces: {len(failures)} checks failed")
    if failures:
        sys.exit(1)


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


def unwritable_trace(stress):
    """A trace that cannot be written (its default name is taken by a directory) loses only the
    trace: the finding, the replay line and exit 1 remain."""
    cmd = [stress, "--deterministic", "--quiet", "--mutant", "ignore-clear", "--pool", "locked",
           "--scenario", "clear-sensitive", "--search", "200"]
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=first)
        names = [n for n in os.listdir(first) if n.startswith("poolcheck-trace-")]
        if p.returncode != 1 or len(names) != 1:
            fail(f"the first run recorded no trace (exit {p.returncode})", p.stdout + p.stderr)
        os.mkdir(os.path.join(second, names[0]))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=second)
        out = p.stdout + p.stderr
        if p.returncode != 1:
            fail(f"expected exit 1 with the trace unwritable, got {p.returncode}", out)
        if "cannot write schedule trace" not in p.stderr:
            fail("no word that the trace could not be written", out)
        if "leakage:" not in p.stdout or "replay: stress --seed" not in p.stdout:
            fail("the finding or its replay line was dropped", out)
        if "replay: stress --replay" in p.stdout:
            fail("the summary points at a trace that was never written", out)
    print("unwritable trace: the finding and its replay line are reported, exit 1")


def sigint(stress):
    """SIGINT during a long deterministic schedule stops it at the programs' next op: exit 130 soon,
    the JSON says interrupted, and the pool was given everything back (accounting ran clean)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        p = subprocess.Popen([stress, "--deterministic", "--quiet", "--threads", "8", "--ops", "100000", "--search", "1",
                              "--strategy", "random", "--max-steps", "100000000", "--json", report],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        try:
            out, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            fail("SIGINT did not stop the deterministic schedule within 30 s", out)
        if p.returncode != 130:
            fail(f"expected exit 130 after SIGINT, got {p.returncode}", out)
        with open(report) as f:
            j = json.load(f)
        if j.get("end") != "interrupted" or j.get("violations"):
            fail(f"JSON end {j.get('end')}, violations {j.get('violations')}", out)
    print("SIGINT stops a long deterministic schedule: exit 130, JSON interrupted, no finding")


def search(stress):
    failures = []
    check = checker(failures)

    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "search.json")
        for pool in ("locked", "shared"):
            code, out = run([stress, "--deterministic", "--quiet", "--pool", pool, "--search", "40", "--json", report])
            with open(report) as f:
                rounds = json.load(f)["rounds"]
            programs = {r["program_seed"] for r in rounds}
            picks = {(r["strategy"], r.get("pct_depth")) for r in rounds}
            configs = {tuple(sorted(r["config"].items())) for r in rounds}
            check(code == 0 and len(rounds) == 40 and len(programs) == 4 and rounds[0]["program_seed"] == 1 and
                  picks == {("random", None), ("pct", 1), ("pct", 2), ("pct", 3), ("pct", 4), ("windows", None)} and
                  all(r["config"]["tight"] and r["config"]["max_array_length"] <= 4096 for r in rounds) and
                  len(configs) >= 2, f"a {pool} search varies programs, tight configurations and strategies",
                  out + json.dumps(rounds)[:3000])

        # Pins: --seed keeps one program, --strategy/--pct-depth one strategy (the first schedule still
        # measures PCT's k with a random walk), a pool flag one configuration.
        code, out = run([stress, "--deterministic", "--quiet", "--pool", "locked", "--search", "15", "--seed", "5",
                         "--strategy", "pct", "--pct-depth", "2", "--max-per-bucket", "3", "--json", report])
        with open(report) as f:
            rounds = json.load(f)["rounds"]
        check(code == 0 and len(rounds) == 15 and all(r["program_seed"] == 5 for r in rounds) and
              rounds[0]["strategy"] == "random" and
              all(r["strategy"] == "pct" and r["pct_depth"] == 2 for r in rounds[1:]) and
              all(r["config"] == {"max_per_bucket": 3, "max_array_length": 1048576, "tight": True} for r in rounds),
              "--seed, --strategy, --pct-depth and --max-per-bucket pin their choices", out + json.dumps(rounds)[:3000])

        # A failure on a later program under PCT (clear-after-publish at 32 ops per thread, PCT only
        # with k given, so no calibration walk: found after hundreds of schedules, on a program far
        # from the first): the replay line names each choice and reproduces it.
        trace = os.path.join(tmp, "found.trace")
        code, out = run([stress, "--deterministic", "--quiet", "--mutant", "clear-after-publish", "--pool", "locked",
                         "--ops", "32", "--strategy", "pct", "--pct-steps", "2000", "--search", "5000", "--trace",
                         trace, "--json", report])
        with open(report) as f:
            j = json.load(f)
        if j.get("result") == "DIED" and "Sanitizer" in out:
            # A sanitizer build sees the late zeroing itself (ASan: use-after-poison) on the first
            # schedule that makes it, and dies there: the report written when that schedule started
            # names it, and the crash trace replays the same death.
            line = j.get("replay", "")
            check(all(flag in line for flag in ("--seed", "--strategy pct", "--pct-depth", "--pct-steps 2000",
                                                "--schedule-seed", "--max-per-bucket", "--max-array-length")),
                  "a schedule a sanitizer ends has a report naming every choice", out[-3000:] + line)
            check(isinstance(j.get("started"), int) and j["started"] >= 1,
                  "that report says which schedule of the run died (started)", json.dumps(j)[:2000])
            code3, out3 = run([stress, "--replay", trace, "--quiet"])
            check(code3 != 0 and "Sanitizer" in out3, "its crash trace replays into the same sanitizer report",
                  out3[-3000:])
            print(f"search: {len(failures)} checks failed")
            sys.exit(1 if failures else 0)
        last = j["rounds"][-1] if j["rounds"] else {}
        line = j.get("replay", "")
        named = all(f"{flag} {value}" in line for flag, value in (
            ("--seed", last.get("program_seed")), ("--strategy", last.get("strategy")),
            ("--pct-depth", last.get("pct_depth")), ("--pct-steps", last.get("pct_steps")),
            ("--schedule-seed", last.get("seed")), ("--max-per-bucket", last.get("config", {}).get("max_per_bucket")),
            ("--max-array-length", last.get("config", {}).get("max_array_length"))))
        check(code == 1 and last.get("program_seed") != 1 and last.get("strategy") == "pct" and named,
              "a failure on a later program under PCT prints a replay line naming every choice",
              out + json.dumps(last) + "\n" + line)
        if code == 1 and line:
            oracle = j["violations"][0]["oracle"]
            code2, out2 = run(line.replace("stress", stress, 1).split() +
                              ["--quiet", "--json", report, "--trace", os.path.join(tmp, "again.trace")])
            with open(report) as f:
                j2 = json.load(f)
            check(code2 == 1 and j2["violations"][0]["oracle"] == oracle and j2["rounds"][0]["config"] == last["config"]
                  and j2["rounds"][0]["program_seed"] == last["program_seed"],
                  "the printed replay line reproduces it (same program, configuration and finding)", out2)
            code3, out3 = run([stress, "--replay", trace, "--quiet", "--repeat", "10"])
            check(code3 == 1 and "repeat: 10 of 10 replays hit the recorded violation at the recorded step" in out3,
                  "its trace replays 10 of 10 times", out3)

    print(f"search: {len(failures)} checks failed")
    if failures:
        sys.exit(1)


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


def listed_scenarios(stress):
    """(name, kind, caught_by) for every scenario `stress --list` prints."""
    code, out = run([stress, "--list"])
    if code != 0:
        fail(f"stress --list exited {code}", out)
    rows, kind = [], None
    for line in out.splitlines():
        if line.startswith("scenarios: "):
            kind = line.split()[1].rstrip(",")
            continue
        if not line.startswith("  ") or kind is None:
            kind = None if not line.startswith("  ") else kind
            continue
        name = line.split()[0]
        caught_by = line.rsplit("[caught by ", 1)[1].rstrip("]") if "[caught by " in line else None
        rows.append((name, kind, caught_by))
    if not any(k == "workloads" for _, k, _ in rows) or not any(k == "pitfalls" for _, k, _ in rows):
        fail("stress --list names no workloads or no pitfalls", out)
    return rows


def scenarios(stress, pool, schedules):
    for name, kind, caught_by in listed_scenarios(stress):
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "trace.txt")
            report = os.path.join(tmp, "report.json")
            code, out = run([stress, "--deterministic", "--quiet", "--scenario", name, "--pool", pool,
                             "--search", str(schedules), "--trace", trace, "--json", report])
            with open(report) as f:
                j = json.load(f)
            if "deterministic" not in j:
                fail(f"{name}: the report has no deterministic section (did it run under a schedule?)", out)
            if kind != "pitfalls":
                if code != 0 or j["violations"]:
                    fail(f"{name} ({kind}) on {pool}: expected clean under {schedules} schedules, exit {code}", out)
                print(f"{name} ({kind}) on {pool}: clean under {j['deterministic']['schedules']} schedules")
                continue
            if code != 1 or not j["violations"]:
                fail(f"pitfall {name} on {pool}: not caught under --deterministic (exit {code})", out)
            if j["violations"][0]["oracle"] != caught_by:
                fail(f"pitfall {name}: first caught by {j['violations'][0]['oracle']}, not {caught_by}", out)
            code, out = run([stress, "--replay", trace, "--quiet"])
            if code != 1 or "same violation at the same step, same schedule" not in out:
                fail(f"pitfall {name}: its trace did not replay the same violation (exit {code})", out)
            print(f"{name} (pitfall) on {pool}: caught by {caught_by} after "
                  f"{j['deterministic']['schedules']} schedules; the trace replays it")


def died_of(code, sig, out):
    """Killed by `sig`, or (a sanitizer build, whose runtime handles SIGSEGV and SIGBUS itself) the
    runtime's own exit (1 for ASan) after its report and the crash guard's line."""
    return code == -sig or code == 128 + sig or \
        (code not in (0, 2, 130, 143) and "a sanitizer stopped the run" in out)


def crash(stress, pool, sig_name, scenario):
    sig = getattr(signal, sig_name)
    step = 120
    env = dict(os.environ, POOLCHECK_TEST_CRASH_AT_STEP=f"{step}:{int(sig)}")
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "crash-trace.txt")
        cmd = [stress, "--deterministic", "--quiet", "--scenario", scenario, "--pool", pool, "--search", "3",
               "--trace", trace]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
        out = p.stdout + p.stderr
        if not died_of(p.returncode, sig, out):
            fail(f"expected death by {sig_name}, got exit {p.returncode}", out)
        if "result: FAILED" not in p.stdout or f"replay: stress --replay {trace}" not in p.stdout:
            fail("no result line or no replay line naming the crash trace on stdout", out)
        if "replay: stress --seed" not in p.stderr or "--schedule-seed" not in p.stderr:
            fail("no seed replay line (with the schedule seed) on stderr", out)
        with open(trace) as f:
            text = f.read()
        steps = int(next(l for l in text.splitlines() if l.startswith("steps: ")).split()[1])
        if steps != step:
            fail(f"the crash trace holds {steps} steps, not the {step} before the crash", text[:2000])
        # The replay follows the trace into the same crash. It writes no trace of its own.
        os.chmod(trace, 0o444)
        p = subprocess.run([stress, "--replay", trace, "--quiet"], capture_output=True, text=True, timeout=900,
                           env=env)
        out = p.stdout + p.stderr
        if not died_of(p.returncode, sig, out):
            fail(f"the replay of the crash trace exited {p.returncode} instead of dying of {sig_name}", out)
        if "result: FAILED" not in p.stdout or f"replay: stress --replay {trace}" not in p.stdout:
            fail("the replayed crash does not print its replay line", out)
        # Without the injected crash the trace is a clean prefix: the replay runs past its end
        # (diverging there, exit 1) and does not die.
        p = subprocess.run([stress, "--replay", trace, "--quiet"], capture_output=True, text=True, timeout=900)
        if p.returncode != 1 or "DIVERGED" not in p.stdout:
            fail(f"without the injected crash the replay exited {p.returncode}", p.stdout + p.stderr)
    print(f"{scenario} on {pool}: {sig_name} at step {step} left a {steps}-step trace; its replay died the same way")
    # Free-running: the same signal, sent from outside mid-round, names the round. Not under TSan: an
    # asynchronous signal lands on whatever thread the kernel picks, and under TSan that may be one
    # being created or torn down (exit ops make many), where TSan's runtime itself aborts ("CHECK
    # failed: tsan_interceptors_posix.cpp ... thr->slot") before any handler runs. A real crash is
    # synchronous, on a running thread; the schedules above and the release and ASan builds cover it.
    if os.environ.get("POOLCHECK_SANITIZER") == "thread":
        print(f"free-running on {pool}: skipped under TSan (asynchronous signals, see the comment)")
        return
    p = subprocess.Popen([stress, "--quiet", "--pool", pool, "--threads", "64", "--duration", "60", "--seed", "4242"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(sig)
    try:
        stdout, stderr = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        stdout, stderr = p.communicate()
        fail(f"free-running: {sig_name} did not end the run", stdout + stderr)
    if not died_of(p.returncode, sig, stdout + stderr):
        fail(f"free-running: expected death by {sig_name}, got exit {p.returncode}", stdout + stderr)
    if "result: FAILED" not in stdout or "replay: stress --seed" not in stdout or f"--pool {pool}" not in stdout:
        fail(f"free-running: {sig_name} mid-round printed no result or no replay line naming the pool",
             stdout + stderr)
    print(f"free-running on {pool}: {sig_name} mid-round printed the round's replay line")


if __name__ == "__main__":
    stress, mode = sys.argv[1], sys.argv[2]
    if mode == "find":
        find(stress, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "clean":
        clean(stress, sys.argv[3], int(sys.argv[4]))
    elif mode == "damaged":
        damaged(stress)
    elif mode == "step-limit":
        step_limit(stress, sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    elif mode == "unwritable-trace":
        unwritable_trace(stress)
    elif mode == "sigint":
        sigint(stress)
    elif mode == "search":
        search(stress)
    elif mode == "thread-limit":
        thread_limit(stress, sys.argv[3], int(sys.argv[4]))
    elif mode == "scenarios":
        scenarios(stress, sys.argv[3], int(sys.argv[4]))
    elif mode == "crash":
        crash(stress, sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        fail("unknown mode " + mode)
