#!/usr/bin/env python3
"""`stress` end to end: exit codes, one-line usage errors, --list, JSON and JUnit reports, SIGINT,
and the printed replay line of a failure replaying it.

usage: stress_e2e.py STRESS
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

STRESS = sys.argv[1]
failures = []


def run(args, timeout=300):
    try:
        p = subprocess.run([STRESS] + args, capture_output=True, text=True, timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired as e:
        return -999, (e.stdout or b"").decode(errors="replace"), f"timed out after {timeout} s"
    return p.returncode, p.stdout, p.stderr


def signalled(args, signals, delay, timeout=60):
    """Starts stress, sends each of `signals` after `delay` s, returns its end."""
    p = subprocess.Popen([STRESS] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace")
    time.sleep(delay)
    for sig in signals:
        p.send_signal(sig)  # back to back: the second arrives before the first has stopped the run
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return -999, out, err + f"\nstill running {timeout} s after the signal"
    return p.returncode, out, err


def one_usage_line(code, out, err, needle):
    lines = [l for l in err.splitlines() if l.strip()]
    return code == 2 and len(lines) == 1 and needle in lines[0] and len(lines[0]) < 300 and out == ""


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        print(detail[-3000:])


def small(*extra):
    return ["--quiet", "--threads", "32", "--ops", "64", "--rounds", "2"] + list(extra)


with tempfile.TemporaryDirectory() as tmp:
    # Clean runs of every pool exit 0 and say so.
    for pool in ("shared", "locked", "checked-shared", "checked-locked"):
        code, out, err = run(small("--pool", pool))
        check(code == 0 and "result: CLEAN" in out, f"clean run of the {pool} pool exits 0", out + err)

    # Usage errors: exit 2, one line naming what is wrong.
    for args, needle in ((["--threads", "0"], "--threads"), (["--pool", "bogus"], "--pool"),
                         (["--scenario", "nope"], "nope"), (["--frobnicate"], "frobnicate"),
                         (["--mutant", "tls-slot-kept", "--pool", "locked"], "tls-slot-kept"),
                         (["--replay", os.path.join(tmp, "missing.txt")], "--replay"),
                         (["--mutant", "ignore-cap", "--scenario", "grow"], "grow"),
                         (["--scenario", "long-holder", "--hold-limit", "0"], "--hold-limit"),
                         (["--deterministic", "--checkpoint-every", "4"], "--checkpoint-every"),
                         (["--scenario", "token-stream", "--checkpoint-every", "4"], "--checkpoint-every"),
                         # A pool flag of the other family would be ignored: refused instead.
                         (["--max-per-bucket", "4"], "--max-per-bucket"),
                         (["--pool", "checked-shared", "--max-per-bucket", "4"], "--max-per-bucket"),
                         (["--pool", "locked", "--partitions", "1"], "--partitions"),
                         (["--pool", "locked", "--arrays-per-partition", "2"], "--arrays-per-partition"),
                         (["--deterministic", "--pool", "locked", "--partitions", "1"], "--partitions")):
        code, out, err = run(args)
        lines = [l for l in err.splitlines() if l.strip()]
        check(code == 2 and len(lines) == 1 and needle in lines[0] and out == "",
              f"usage error {' '.join(args)} exits 2 with one line", f"code {code}\nout: {out}\nerr: {err}")

    code, out, _ = run(["--list"])
    check(code == 0 and all(s in out for s in ("mixed", "cross-thread", "clear-sensitive", "no-lock", "tls-slot-kept")),
          "--list names the scenarios, pools and mutants", out)
    workloads = ("token-stream", "exhaustion", "long-holder", "grow", "exception-path", "burst", "mixed-types",
                 "over-size")
    pitfalls = {"forgot-give-back": "accounting", "assumes-zeroed": "dirty-read", "reads-capacity": "dirty-read",
                "write-after-give-back": "use-after-give-back", "token-overflow": "overflow",
                "holds-across-wait": "starvation"}
    check(all(w in out for w in workloads) and all(f"caught by {o}]" in out for o in pitfalls.values()) and
          "pitfalls" in out, "--list names every workload and pitfall, with the oracle that catches it", out)

    # The same catalog as JSON: every mutant --list prints, with its pools, its catcher and scenario.
    catalog = os.path.join(tmp, "catalog.json")
    code, _, err = run(["--list", "--json", catalog])
    with open(catalog) as f:
        cat = json.load(f)
    listed = [l.split()[0] for l in out.split("mutants (")[1].splitlines()[1:] if l.startswith("  ") and l.split()]
    rows = {m["name"]: m for m in cat["mutants"]}
    check(code == 0 and listed and sorted(listed) == sorted(rows) and
          all(m["pools"] and m["scenario"] and (m["caught_by"] if not m["needs_tsan"] else m["tsan_reports"])
              for m in cat["mutants"]) and
          {s["name"]: s.get("caught_by") for s in cat["scenarios"] if s["kind"] == "pitfall"} == pitfalls and
          {p["name"] for p in cat["pools"]} == {"shared", "locked", "checked-shared", "checked-locked"},
          "--list --json writes the catalog --list prints, row for row", err + json.dumps(cat)[:2000])

    # A workload: clean, with what it measured in the summary and the JSON report.
    report = os.path.join(tmp, "w.json")
    code, out, err = run(["--quiet", "--scenario", "exhaustion", "--threads", "16", "--rounds", "2", "--json", report])
    with open(report) as f:
        j = json.load(f)
    check(code == 0 and "fresh allocations" in out and j["result"] == "CLEAN" and
          any("while draining" in n for n in j["workload"]["notes"]),
          "a workload runs clean and reports its fresh-allocation rate", out + err)

    # Every pitfall, in a child process (a lost array is lost for good): exit 1, caught by its
    # oracle, and the printed replay line reproduces the finding.
    for name, oracle in pitfalls.items():
        report = os.path.join(tmp, name + ".json")
        code, out, err = run(["--quiet", "--scenario", name, "--threads", "16", "--rounds", "1", "--json", report])
        with open(report) as f:
            j = json.load(f)
        replay = [l[len("replay: "):] for l in out.splitlines() if l.startswith("replay: ")]
        check(code == 1 and j["violations"] and j["violations"][0]["oracle"] == oracle and len(replay) == 1,
              f"pitfall {name} is caught by {oracle}", out + err)
        if replay:
            code2, out2, err2 = run(replay[0].split()[1:] + ["--quiet", "--json", report])
            with open(report) as f:
                j2 = json.load(f)
            check(code2 == 1 and j2["violations"][0]["oracle"] == oracle, f"the replay line of {name} reproduces it",
                  out2 + err2)

    # Pool configurations: without a pool flag, rounds draw theirs from their seed, tight ones
    # (1-2 arrays per bucket, one partition, small arrays) among them, each recorded in the JSON.
    def rounds_of(path):
        with open(path) as f:
            return json.load(f)["rounds"]

    for pool, cap_keys in (("locked", ("max_per_bucket",)), ("shared", ("partitions", "arrays_per_partition"))):
        report = os.path.join(tmp, f"configs-{pool}.json")
        code, out, err = run(["--quiet", "--pool", pool, "--threads", "32", "--ops", "64", "--rounds", "12",
                              "--json", report])
        rounds = rounds_of(report) if code == 0 else []
        configs = {tuple(sorted(r["config"].items())) for r in rounds}
        tight = [r["config"] for r in rounds if r["config"]["tight"]]
        check(code == 0 and len(rounds) == 12 and len(tight) >= 2 and len(tight) < 12 and len(configs) >= 3 and
              all(c["max_array_length"] <= 4096 for c in tight) and
              all(c.get("max_per_bucket", 1) <= 2 and c.get("partitions", 1) == 1 and
                  c.get("arrays_per_partition", 1) <= 2 for c in tight) and
              all(k in r["config"] for r in rounds for k in cap_keys) and "rounds tight" in out,
              f"a default {pool} run visits tight configurations, each in the JSON",
              out + err + json.dumps(rounds)[:2000])

    # Any pool flag pins the configuration: every round runs exactly it.
    for args, expected in ((["--pool", "locked", "--max-per-bucket", "7"],
                            {"max_per_bucket": 7, "max_array_length": 1048576, "tight": False}),
                           (["--pool", "shared", "--arrays-per-partition", "2", "--partitions", "1"],
                            {"partitions": 1, "arrays_per_partition": 2, "max_array_length": 1048576, "tight": True}),
                           (["--pool", "shared", "--max-array-length", "256"],
                            {"max_array_length": 256, "arrays_per_partition": 32, "tight": False})):
        report = os.path.join(tmp, "pinned.json")
        code, out, err = run(args + ["--quiet", "--threads", "16", "--rounds", "8", "--json", report])
        rounds = rounds_of(report) if code == 0 else []
        check(code == 0 and len(rounds) == 8 and all(expected.items() <= r["config"].items() for r in rounds) and
              "pinned by the command line" in out, f"{' '.join(args)} pins the configuration of every round",
              out + err + json.dumps(rounds)[:2000])

    # A failure in a tight round: its replay line names the configuration and reproduces the round.
    found = None
    for seed in range(1, 40):
        report = os.path.join(tmp, "tight-fail.json")
        code, out, err = run(["--quiet", "--pool", "locked", "--mutant", "ignore-cap", "--threads", "64",
                              "--seed", str(seed), "--rounds", "1", "--json", report])
        rounds = rounds_of(report) if code == 1 else []
        if rounds and rounds[0]["config"]["tight"]:
            with open(report) as f:
                found = (out, rounds[0]["config"], json.load(f)["violations"][0]["oracle"])
            break
    check(found is not None, "ignore-cap is caught in a tight round", out + err)
    if found:
        replay = [l[len("replay: "):] for l in found[0].splitlines() if l.startswith("replay: ")]
        config = found[1]
        names = f"--max-array-length {config['max_array_length']}" in replay[0] and \
            f"--max-per-bucket {config['max_per_bucket']}" in replay[0] if replay else False
        check(len(replay) == 1 and names, "the replay line of a tight round names its configuration", found[0])
        if replay:
            report = os.path.join(tmp, "tight-replay.json")
            code, out, err = run(replay[0].split()[1:] + ["--quiet", "--json", report])
            with open(report) as f:
                j = json.load(f)
            # Free-running, the round's oracles race to report first (a sampled cap check, a busy
            # stats read): the replay must find what the first run found first, in any order.
            oracles = {v["oracle"] for v in j["violations"]}
            check(code == 1 and found[2] in oracles and j["rounds"][0]["config"] == config,
                  "the replay line of a tight round reproduces it, in the same configuration",
                  f"first run's first oracle {found[2]}, replay's {sorted(oracles)}, configs {config} / "
                  f"{j['rounds'][0]['config'] if j.get('rounds') else None}\n" + out + err)

    # JSON and JUnit reports of a clean run.
    report, junit = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.xml")
    code, out, err = run(small("--json", report, "--junit", junit))
    with open(report) as f:
        j = json.load(f)
    check(code == 0 and j["result"] == "CLEAN" and j["exit_code"] == 0 and j["violations"] == [] and
          j["checks"]["exclusivity"] > 0 and j["settings"]["threads"] == 32 and len(j["rounds"]) == 2,
          "the JSON report of a clean run is valid and complete", json.dumps(j)[:2000])
    suite = ET.parse(junit).getroot()
    cases = suite.findall(".//testcase")
    check(len(cases) >= 9 and not suite.findall(".//failure"), "the JUnit report lists one clean test case per oracle",
          open(junit).read())

    # A failure: exit 1, the violation names both leases, and the printed replay line replays it.
    # (ignore-clear: its pool stays consistent and race-free, so every build reports it the same way.)
    report = os.path.join(tmp, "fail.json")
    code, out, err = run(small("--pool", "locked", "--mutant", "ignore-clear", "--scenario", "clear-sensitive",
                               "--json", report, "--junit", junit))
    replay = [l[len("replay: "):] for l in out.splitlines() if l.startswith("replay: ")]
    with open(report) as f:
        j = json.load(f)
    check(code == 1 and "result: FAILED" in out and j["violations"][0]["oracle"] == "leakage" and
          "lease" in j["violations"][0] and "other" in j["violations"][0], "a mutant's run exits 1 naming both leases",
          out + err)
    check(len(ET.parse(junit).getroot().findall(".//failure")) >= 1, "the JUnit report of a failure has a failure",
          open(junit).read())
    check(len(replay) == 1 and replay[0].startswith("stress --seed "), "a failure prints one replay line", out)
    if replay:
        args = replay[0].split()[1:] + ["--quiet", "--json", report]
        code2, out2, err2 = run(args)
        with open(report) as f:
            j2 = json.load(f)
        check(code2 == 1 and j2["violations"][0]["oracle"] == "leakage", "the replay line reproduces the failure",
              out2 + err2)
        code3, out3, _ = run(replay[0].split()[1:] + ["--quiet", "--repeat", "5"])
        check(code3 == 1 and "recurred in 5 of 5 runs" in out3, "--repeat counts how often it recurs", out3)

    # A non-default quiescent checkpoint interval is in the replay line, and the replay reproduces it.
    code, out, err = run(small("--pool", "locked", "--mutant", "ignore-cap", "--max-per-bucket", "2",
                               "--checkpoint-every", "2"))
    replay = [l[len("replay: "):] for l in out.splitlines() if l.startswith("replay: ")]
    check(code == 1 and len(replay) == 1 and "--checkpoint-every 2" in replay[0],
          "a non-default --checkpoint-every is in the replay line", out + err)
    if replay:
        code2, out2, err2 = run(replay[0].split()[1:] + ["--quiet"])
        check(code2 == 1 and "bucket-cap" in out2, "the replay line with --checkpoint-every reproduces it", out2 + err2)

    # Point noise: a round's draw is in its replay line, --noise pins it, and it is free-running only.
    code, out, err = run(["--quiet", "--threads", "32", "--ops", "64", "--rounds", "4", "--pool", "locked",
                          "--mutant", "cap-check-race", "--noise", "on"])
    replay = [l[len("replay: "):] for l in out.splitlines() if l.startswith("replay: ")]
    check(code in (0, 1) and "point noise: " in out and "(pinned by --noise)" in out and
          (code == 0 or (len(replay) == 1 and "--noise on" in replay[0])),
          "--noise on runs noisy rounds and a failure's replay line pins it", out + err)
    code, out, err = run(["--quiet", "--threads", "32", "--ops", "64", "--rounds", "6"])
    noisy = re.search(r"point noise: (\d+) of 6 rounds \(drawn per round", out)
    check(code == 0 and noisy is not None, "without --noise each round draws it, and the summary counts them", out + err)
    for args, needle in ((["--noise", "on", "--deterministic"], "--noise"), (["--noise", "loud"], "--noise"),
                         (["--noise", "off", "--scenario", "burst"], "--noise")):
        code, out, err = run(args + ["--quiet", "--rounds", "1"], timeout=30)
        check(one_usage_line(code, out, err, needle), f"usage error {' '.join(args)} exits 2 with one short line",
              f"code {code}\nout: {out[:500]}\nerr: {err[:500]}")

    # SIGINT: the summary and the seed are still printed, exit 130.
    p = subprocess.Popen([STRESS, "--quiet", "--threads", "64", "--duration", "60", "--seed", "777"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 130 and "seed 777" in out and "INTERRUPTED" in out, "SIGINT prints the summary and exits 130",
          f"code {p.returncode}\n{out}\n{err}")

    # SIGINT during a workload: same contract.
    p = subprocess.Popen([STRESS, "--quiet", "--scenario", "long-holder", "--threads", "32", "--duration", "60",
                          "--seed", "778"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 130 and "seed 778" in out and "INTERRUPTED" in out,
          "SIGINT during a workload prints the summary and exits 130", f"code {p.returncode}\n{out}\n{err}")

    # Issue 14: numbers are decimal and range-checked, --duration is finite and positive; one
    # short line each, exit 2.
    for args, needle in ((["--seed", "-1"], "--seed"), (["--seed", "18446744073709551616"], "--seed"),
                         (["--seed", "010"], "--seed"), (["--threads", "0x10"], "--threads"),
                         (["--ops", "1e3"], "--ops"), (["--duration", "nan"], "--duration"),
                         (["--duration", "inf"], "--duration"), (["--duration", "0"], "--duration"),
                         (["--strategy", "random"], "--deterministic"),
                         (["--list", "--seed", "3"], "--seed")):
        rest = [] if args[0] == "--list" else ["--quiet", "--rounds", "1"] + \
            [a for flag in ("--threads", "--ops") if flag not in args for a in (flag, "2")]
        code, out, err = run(args + rest, timeout=30)
        check(one_usage_line(code, out, err, needle), f"usage error {' '.join(args)} exits 2 with one short line",
              f"code {code}\nout: {out[:500]}\nerr: {err[:500]}")
    code, out, err = run(["--self-test", "--mutant", "nope", "--scenario", "nope"], timeout=30)
    check(one_usage_line(code, out, err, "--mutant"), "--self-test with --mutant/--scenario is a usage error",
          f"code {code}\nout: {out[:500]}\nerr: {err[:500]}")

    # The memory estimate: a run that cannot fit is refused at once, naming estimate and limit;
    # the CI shapes still run.
    t0 = time.time()
    code, out, err = run(["--threads", "4096", "--ops", "16777215", "--quiet"], timeout=15)
    check(one_usage_line(code, out, err, "needs about") and "TiB" in err and "this machine has" in err and
          time.time() - t0 < 10, "--threads 4096 --ops 16777215 is refused before the run",
          f"code {code}\nerr: {err[:500]}")
    code, out, err = run(["--quiet", "--threads", "16", "--ops", "200", "--rounds", "20"])
    check(code == 0, "--threads 16 --ops 200 is accepted", out + err)

    # Output paths are probed before any work: exit 2, the path and the reason, no summary.
    bad = os.path.join(tmp, "no-such-dir", "r")
    for flag in ("--json", "--junit"):
        code, out, err = run(small(flag, bad + ".out"))
        check(one_usage_line(code, out, err, bad) and "No such file or directory" in err,
              f"an unwritable {flag} is a usage error before the run", f"code {code}\nout: {out[:300]}\nerr: {err}")
    code, out, err = run(["--deterministic", "--quiet", "--search", "1", "--trace", bad + ".trace"])
    check(one_usage_line(code, out, err, bad), "an unwritable --trace is a usage error before the run",
          f"code {code}\nout: {out[:300]}\nerr: {err}")
    same = os.path.join(tmp, "same.out")
    code, out, err = run(small("--json", same, "--junit", same))
    check(one_usage_line(code, out, err, same), "--json equal to --junit is a usage error", err)
    code, out, err = run(["--self-test", "--json", bad + ".json", "--junit", os.path.join(tmp, "st.xml")], timeout=30)
    check(one_usage_line(code, out, err, bad), "--self-test reports an unwritable --json up front",
          f"code {code}\nout: {out[:300]}\nerr: {err}")

    # A deterministic failure with a trace path holding a non-UTF-8 byte and a control byte: the
    # JSON is written (U+FFFD), never empty; the JUnit is valid XML.
    odd = os.path.join(os.fsencode(tmp), b"tr\xff\x01ace.txt")
    report, junit = os.path.join(tmp, "odd.json"), os.path.join(tmp, "odd.xml")
    # (ignore-clear: a mutant that leaves the heap intact, so the reports are written.)
    p = subprocess.run([STRESS, "--deterministic", "--quiet", "--mutant", "ignore-clear", "--pool", "locked",
                        "--scenario", "clear-sensitive", "--search", "50", "--trace", odd, "--json", report,
                        "--junit", junit], capture_output=True, timeout=300)
    ok = p.returncode == 1 and os.path.getsize(report) > 0 if os.path.exists(report) else False
    try:
        with open(report, encoding="utf-8") as f:
            j = json.load(f)
        ok = ok and j["result"] == "FAILED" and "\ufffd" in j["deterministic"]["trace_file"]
        ET.parse(junit)
    except Exception as e:  # noqa: BLE001
        ok = False
        p.stderr += str(e).encode()
    check(ok, "a non-UTF-8 trace path still gives a valid JSON and JUnit report", p.stdout.decode(errors="replace") +
          p.stderr.decode(errors="replace"))

    # --replay honours only its output flags; the replay's JSON may not overwrite the trace.
    code, out, err = run(["--replay", odd.decode(errors="surrogateescape"), "--seed", "5", "--threads", "99",
                          "--mutant", "nope"])
    check(one_usage_line(code, out, err, "--seed"), "--replay with --seed/--threads/--mutant is a usage error", err)
    code, out, err = run(["--replay", odd.decode(errors="surrogateescape"), "--json",
                          odd.decode(errors="surrogateescape")])
    check(code == 2 and "trace being replayed" in err, "--json equal to the replayed trace is a usage error", err)

    # --repeat writes --json and --junit: the aggregate, with the first failing child's report.
    report, junit = os.path.join(tmp, "rep.json"), os.path.join(tmp, "rep.xml")
    code, out, err = run(small("--pool", "locked", "--mutant", "ignore-clear", "--scenario", "clear-sensitive",
                               "--repeat", "3", "--json", report, "--junit", junit))
    try:
        with open(report) as f:
            j = json.load(f)
        cases = ET.parse(junit).getroot().findall(".//testcase")
        ok = (code == 1 and j["runs"] == 3 and j["failures"] == 3 and j["exit_code"] == 1 and
              j["first_failure"]["report"]["violations"][0]["oracle"] == "leakage" and len(cases) == 3)
    except Exception as e:  # noqa: BLE001
        ok, err = False, err + str(e)
    check(ok, "--repeat 3 --json --junit writes both reports", out[-1500:] + err)

    # SIGTERM: the JSON's exit code is the process's (143), and the JUnit marks the interruption.
    report, junit = os.path.join(tmp, "term.json"), os.path.join(tmp, "term.xml")
    code, out, err = signalled(["--quiet", "--threads", "64", "--duration", "60", "--json", report, "--junit", junit],
                               [signal.SIGTERM], 1.5)
    try:
        with open(report) as f:
            j = json.load(f)
        ok = code == 143 and j["exit_code"] == 143 and j["result"] == "INTERRUPTED" and \
            len(ET.parse(junit).getroot().findall(".//failure")) >= 1 and "replay: stress --seed" in out
    except Exception as e:  # noqa: BLE001
        ok, err = False, err + str(e)
    check(ok, "SIGTERM exits 143, the JSON says 143, the JUnit has a failure, the cut round has a replay line", f"code {code}\n{out}\n{err}")

    # A crash mid-round (SIGSEGV from outside stands in for one) leaves reports that say the process
    # died during a round and name the line that replays it.
    report, junit = os.path.join(tmp, "died.json"), os.path.join(tmp, "died.xml")
    code, out, err = signalled(["--quiet", "--threads", "64", "--duration", "60", "--seed", "4242", "--json", report,
                                "--junit", junit], [signal.SIGSEGV], 1.5)
    try:
        with open(report) as f:
            j = json.load(f)
        failures_xml = ET.parse(junit).getroot().findall(".//failure")
        # A sanitizer build's own SEGV handler exits 1; a plain build dies of the signal.
        ok = code not in (0, 2, 130, 143) and j["result"] == "DIED" and j["replay"].startswith("stress --seed") and \
            len(failures_xml) == 1 and "replay: stress --seed" in (failures_xml[0].text or "")
    except Exception as e:  # noqa: BLE001
        ok, err = False, err + str(e)
    check(ok, "a crash mid-round leaves JSON and JUnit that say it died, with the replay line",
          f"code {code}\n{out}\n{err}")

    # A second quick SIGINT still ends with the result and how to rerun it on stdout.
    code, out, err = signalled(["--quiet", "--threads", "256", "--duration", "60", "--seed", "779"],
                               [signal.SIGINT, signal.SIGINT], 1.5)
    check(code == 130 and "result: INTERRUPTED" in out and ("replay: stress --seed" in out or "seed 779" in out),
          "a second quick SIGINT still prints the result and the replay line", f"code {code}\n{out}\n{err}")

    # SIGINT across --repeat: no further child, the runs so far reported and written.
    report, junit = os.path.join(tmp, "rint.json"), os.path.join(tmp, "rint.xml")
    code, out, err = signalled(["--quiet", "--threads", "64", "--duration", "60", "--repeat", "5", "--json", report,
                                "--junit", junit], [signal.SIGINT], 2, timeout=30)
    try:
        with open(report) as f:
            j = json.load(f)
        ok = code == 130 and j["interrupted"] and j["exit_code"] == 130 and \
            len(ET.parse(junit).getroot().findall(".//error")) == 1
    except Exception as e:  # noqa: BLE001
        ok, err = False, err + str(e)
    check(ok, "SIGINT stops --repeat and reports", f"code {code}\n{out}\n{err}")

    # SIGINT stops --self-test: the running child killed, its temp files gone, what ran reported.
    report, junit = os.path.join(tmp, "st.json"), os.path.join(tmp, "st.xml")
    p = subprocess.Popen([STRESS, "--self-test", "--duration", "2", "--threads", "8", "--json", report,
                          "--junit", junit], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
        code = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        code = -999
    left = [f for f in os.listdir("/tmp") if f == f"poolcheck-selftest-{p.pid}.json"]
    try:
        with open(report) as f:
            j = json.load(f)
        root = ET.parse(junit).getroot()
        ok = (code == 130 and j["interrupted"] and j["exit_code"] == 130 and len(j["rows"]) >= 1 and not left and
              len(root.findall(".//error")) == 1 and len(root.findall(".//testcase")) == len(j["rows"]) + 1 and
              "INTERRUPTED" in out)
    except Exception as e:  # noqa: BLE001
        ok, err = False, err + str(e)
    check(ok, "SIGINT stops --self-test, removes its temp files and writes what it has", f"code {code}\n{out}\n{err}")

print(f"stress end to end: {len(failures)} checks failed")
sys.exit(1 if failures else 0)
