#!/usr/bin/env python3
"""`stress --shard I/N` and `stress merge` end to end: shards of one campaign run disjoint rounds
(free-running) and schedules (deterministic) that together are exactly the unsharded run's; the
index comes from a batch engine's variable with auto/N; merge sums the shards, lists every
distinct failure once with the shards that hit it, and refuses reports that do not belong together.

usage: shard_e2e.py STRESS
"""
import copy
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

STRESS = sys.argv[1]
failures = []
TMP = tempfile.mkdtemp(prefix="poolcheck-shard-")
SHARD_VARIABLES = ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "POOLCHECK_SHARD_INDEX")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SHARD_VARIABLES}
    env.update(extra)
    return env


def run(args, env=None, timeout=300):
    p = subprocess.run([STRESS] + args, capture_output=True, text=True, timeout=timeout, errors="replace",
                       env=env if env is not None else clean_env())
    return p.returncode, p.stdout, p.stderr


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        print(str(detail)[-3000:])


def one_usage_line(code, out, err, needle):
    lines = [l for l in err.splitlines() if l.strip()]
    return code == 2 and len(lines) == 1 and needle in lines[0] and len(lines[0]) < 300


def path(name):
    return os.path.join(TMP, name)


def load(name):
    with open(path(name)) as f:
        return json.load(f)


def save(name, doc):
    with open(path(name), "w") as f:
        json.dump(doc, f)


FREE = ["--quiet", "--threads", "16", "--ops", "64", "--rounds", "8", "--seed", "7"]

# Free-running: 3 shards of 8 rounds are the unsharded run's rounds, each once, same seeds and configs.
code, out, err = run(FREE + ["--json", path("full.json")])
check(code == 0, "the unsharded free-running campaign runs clean", out + err)
full = load("full.json")
full_rounds = {r["round"]: (r["seed"], r["config"]) for r in full["rounds"]}
check(sorted(full_rounds) == list(range(8)), "the unsharded run has rounds 0..7", full_rounds)
seen = {}
for i in range(3):
    code, out, err = run(FREE + ["--shard", f"{i}/3", "--json", path(f"free-{i}.json")])
    check(code == 0, f"shard {i}/3 runs clean", out + err)
    shard = load(f"free-{i}.json")
    check(shard["shard"] == {"index": i, "count": 3}, f"shard {i}/3's report names its shard", shard.get("shard"))
    indices = [r["round"] for r in shard["rounds"]]
    check(indices == list(range(i, 8, 3)), f"shard {i}/3 runs exactly rounds {list(range(i, 8, 3))}", indices)
    for r in shard["rounds"]:
        check(r["round"] not in seen, f"round {r['round']} runs in one shard only", seen)
        seen[r["round"]] = (r["seed"], r["config"])
check(seen == full_rounds, "the shards' rounds, seeds and pool configurations are the unsharded run's",
      (seen, full_rounds))

code, out, err = run(["merge"] + [path(f"free-{i}.json") for i in range(3)] +
                     ["--json", path("merged.json"), "--junit", path("merged.xml")])
check(code == 0 and "result: CLEAN" in out, "merge of clean shards exits 0 and says CLEAN", out + err)
merged = load("merged.json")
check(merged["shards"] == 3 and [(r["round"], r["seed"]) for r in merged["rounds"]] ==
      [(k, full_rounds[k][0]) for k in range(8)], "the merged rounds are the unsharded run's, in order",
      merged.get("rounds"))
parts = [load(f"free-{i}.json") for i in range(3)]
check(merged["rents"] == sum(p["rents"] for p in parts) and merged["rents"] > 0 and
      merged["checks"]["exclusivity"] == sum(p["checks"]["exclusivity"] for p in parts),
      "merged totals and checks are the shards' sums", merged)
check(merged["failures"] == [] and merged["exit_code"] == 0, "a clean campaign has no failures", merged["failures"])
suite = ET.parse(path("merged.xml")).getroot()
check(suite.get("tests") == "3" and suite.get("failures") == "0", "the merged JUnit has a passing case per shard",
      ET.tostring(suite)[:500])

# Deterministic: 4 shards of a 23-schedule search run the unsharded search's schedules, each once.
DET = ["--quiet", "--deterministic", "--search", "23", "--seed", "5", "--threads", "3", "--ops", "24"]


def schedules(doc):
    return [(r["program_seed"], r["seed"], r.get("strategy"), r.get("pct_depth"), r.get("pct_steps"))
            for r in doc["rounds"]]


code, out, err = run(DET + ["--json", path("det-full.json")])
check(code == 0, "the unsharded deterministic search runs clean", out + err)
det_full = schedules(load("det-full.json"))
check(len(det_full) == 23, "the unsharded search runs 23 schedules", det_full)
det_seen = []
for i in range(4):
    code, out, err = run(DET + ["--shard", f"{i}/4", "--json", path(f"det-{i}.json")])
    check(code == 0, f"deterministic shard {i}/4 runs clean", out + err)
    det_seen += schedules(load(f"det-{i}.json"))
check(sorted(det_seen, key=repr) == sorted(det_full, key=repr),
      "the shards' schedules (program, seed, strategy, depth, k) are exactly the unsharded search's",
      (det_seen, det_full))
code, out, err = run(["merge"] + [path(f"det-{i}.json") for i in range(4)] + ["--json", path("det-merged.json")])
check(code == 0 and load("det-merged.json")["deterministic"]["schedules"] == 23,
      "merged deterministic shards count 23 schedules", out + err)

# auto/N: the index from the batch engine's variable gives that shard's rounds.
expected = [r["round"] for r in load("free-1.json")["rounds"]]
for variable in SHARD_VARIABLES:
    code, out, err = run(FREE + ["--shard", "auto/3", "--json", path("auto.json")], env=clean_env(**{variable: "1"}))
    check(code == 0 and [r["round"] for r in load("auto.json")["rounds"]] == expected,
          f"--shard auto/3 with {variable}=1 runs shard 1/3's rounds", out + err)
code, out, err = run(FREE + ["--shard", "auto/3"])
check(one_usage_line(code, out, err, "JOB_COMPLETION_INDEX"), "--shard auto/N without a variable: exit 2, one line",
      (code, err))
code, out, err = run(FREE + ["--shard", "auto/3"], env=clean_env(SLURM_ARRAY_TASK_ID="3"))
check(one_usage_line(code, out, err, "SLURM_ARRAY_TASK_ID"), "an index from the environment out of range: exit 2",
      (code, err))
for bad in ["3/3", "x/2", "1/0", "1", "01/3", "1/-2", "/", "1/99999999999"]:
    code, out, err = run(FREE + ["--shard", bad])
    check(one_usage_line(code, out, err, "--shard"), f"--shard {bad}: exit 2, one line", (code, out, err))
code, out, err = run(FREE + ["--shard", "0/2", "--repeat", "2"])
check(one_usage_line(code, out, err, "--repeat"), "--shard with --repeat: exit 2, one line", (code, err))
code, out, err = run(DET + ["--shard", "0/2", "--schedule-seed", "3"])
check(one_usage_line(code, out, err, "--schedule-seed"), "--shard with --schedule-seed: exit 2, one line", (code, err))

# Failures: every distinct one once, with the shards and rounds that hit it and its replay line.
PITFALL = ["--quiet", "--scenario", "assumes-zeroed", "--rounds", "2", "--seed", "3"]
for i in range(2):
    code, out, err = run(PITFALL + ["--shard", f"{i}/2", "--json", path(f"bad-{i}.json")])
    check(code == 1, f"pitfall shard {i}/2 is caught", out + err)
code, out, err = run(["merge", path("bad-0.json"), path("bad-1.json"), "--json", path("bad.json"),
                      "--junit", path("bad.xml")])
bad = load("bad.json")
check(code == 1 and "result: FAILED" in out and bad["failures"], "merge of failing shards exits 1 with its failures",
      out + err)
check(all("--seed" in f["replay"] and f["oracle"] == "dirty-read" for f in bad["failures"]),
      "each merged failure has its oracle and a replay line", bad["failures"])
check(set().union(*[set(f["shards"]) for f in bad["failures"]]) == {0, 1}, "the failures name the shards that hit them",
      bad["failures"])
check(int(ET.parse(path("bad.xml")).getroot().get("failures")) >= 2, "the merged JUnit fails", "")
# The same failure in two shards is one failure hit twice: shard 0's report again, as shard 1.
one = load("bad-0.json")
twin = copy.deepcopy(one)
twin["shard"]["index"] = 1
save("twin-1.json", twin)
code, out, err = run(["merge", path("bad-0.json"), path("twin-1.json"), "--json", path("twin.json")])
twin_merged = load("twin.json")
check(code == 1 and 0 < len(twin_merged["failures"]) <= len(one["violations"]) and
      all(f["shards"] == [0, 1] and f["rounds_hit"] == 2 for f in twin_merged["failures"]),
      "one failure in two shards is listed once, hit by both", twin_merged["failures"])

# Reports that do not belong together, or are not reports: exit 2, one line naming the file.
wrong_version = copy.deepcopy(parts[1])
wrong_version["version"] = "0.0.0-other"
save("wrong-version.json", wrong_version)
wrong_settings = copy.deepcopy(parts[1])
wrong_settings["settings"]["threads"] = 17
save("wrong-settings.json", wrong_settings)
with open(path("broken.json"), "w") as f:
    f.write('{"format": "poolcheck-stress-report/1", ')
save("other.json", {"hello": 1})
save("repeat.json", {"repeat": True, "runs": 2})
free = [path(f"free-{i}.json") for i in range(3)]
cases = [
    ([free[0], path("wrong-version.json"), free[2]], "wrong-version.json", "a report of another version"),
    ([free[0], path("wrong-settings.json"), free[2]], "threads", "a report of other settings"),
    ([free[0], path("broken.json"), free[2]], "not JSON", "a truncated report"),
    ([free[0], path("other.json")], "other.json", "a JSON file that is not a report"),
    ([free[0], path("repeat.json")], "repeat.json", "a --repeat report"),
    ([free[0], free[2]], "missing", "a missing shard"),
    ([free[0], free[1], free[1], free[2]], "again", "a shard twice"),
    ([free[0], path("no-such-file.json")], "no-such-file.json", "a file that does not exist"),
    ([free[0], path("det-1.json")], "settings differ", "a shard of another campaign"),
    ([], "reports", "no reports"),
]
for files, needle, what in cases:
    code, out, err = run(["merge"] + files)
    check(one_usage_line(code, out, err, needle), f"merge of {what}: exit 2, one line naming it", (code, out, err))

print(f"{len(failures)} failed" if failures else "all shard and merge checks passed")
sys.exit(1 if failures else 0)
