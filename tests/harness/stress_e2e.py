#!/usr/bin/env python3
"""`stress` end to end: exit codes, one-line usage errors, --list, JSON and JUnit reports, SIGINT,
and the printed replay line of a failure replaying it.

usage: stress_e2e.py STRESS
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

STRESS = sys.argv[1]
failures = []


def run(args, timeout=300):
    p = subprocess.run([STRESS] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


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
                         (["--deterministic", "--scenario", "token-stream"], "token-stream"),
                         (["--mutant", "ignore-cap", "--scenario", "grow"], "grow"),
                         (["--scenario", "long-holder", "--hold-limit", "0"], "--hold-limit")):
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

print(f"stress end to end: {len(failures)} checks failed")
sys.exit(1 if failures else 0)
