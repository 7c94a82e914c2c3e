#!/usr/bin/env python3
"""Checked operations per second of `stress` at 2 to 4096 threads in the release, ASan and TSan
builds (bench/ binaries exist only in release, so this drives each preset's stress command).

Every preset runs the same fixed work (--threads/--ops/--rounds/--seed, scenario mixed) and the
figures come from stress's own --json report: ops_done / seconds, where seconds is the rounds' wall
time (thread start-up included, as in a real campaign). Sanitizer options are the test presets'
from CMakePresets.json, so the speed is the one ctest sees.

usage: harness_sanitizers.py BUILD_DIR OUT.json
       (BUILD_DIR holds release/, asan/, tsan/; a preset whose stress is missing is reported as such)
"""
import json
import os
import subprocess
import sys
import tempfile

# (threads, ops per thread, rounds): a second or two each in release, the same work under sanitizers.
RUNS = [(2, 8192, 5), (16, 2048, 4), (64, 1024, 2), (256, 256, 2), (1024, 64, 2), (4096, 64, 1)]
PRESETS = ["release", "asan", "tsan"]
SEED = 1
TIMEOUT_S = 300  # a hung sanitizer run must not hang the whole benchmark


def preset_environment(repo):
    """The environment each test preset sets (sanitizer options), read from CMakePresets.json."""
    with open(os.path.join(repo, "CMakePresets.json")) as f:
        presets = json.load(f)
    return {p["name"]: p.get("environment", {}) for p in presets.get("testPresets", [])}


def run_one(stress, env, threads, ops, rounds, report):
    cmd = [stress, "--threads", str(threads), "--ops", str(ops), "--rounds", str(rounds), "--seed", str(SEED),
           "--quiet", "--json", report]
    entry = {"threads": threads, "ops": ops, "rounds": rounds, "command": " ".join(cmd[1:-1])}
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {**entry, "error": f"timed out after {TIMEOUT_S} s"}
    entry["exit_code"] = p.returncode
    try:
        with open(report) as f:
            j = json.load(f)
    except (OSError, ValueError):
        return {**entry, "error": "no JSON report; stderr tail: " + p.stderr[-300:]}
    entry.update(ops_done=j["ops_done"], seconds=j["seconds"], result=j["result"])
    if j["seconds"] > 0:
        entry["ops_per_s"] = j["ops_done"] / j["seconds"]
    return entry


def main():
    build, out_path = sys.argv[1], sys.argv[2]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    envs = preset_environment(repo)
    results = {"seed": SEED, "scenario": "mixed", "presets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in PRESETS:
            stress = os.path.join(build, preset, "harness", "stress")
            if not os.access(stress, os.X_OK):
                results["presets"][preset] = {"missing": stress}
                print(f"harness_sanitizers: {stress} not built; {preset} skipped", file=sys.stderr)
                continue
            env = {**os.environ, **envs.get(preset, {})}
            runs = []
            for threads, ops, rounds in RUNS:
                r = run_one(stress, env, threads, ops, rounds, os.path.join(tmp, f"{preset}-{threads}.json"))
                runs.append(r)
                rate = f"{r['ops_per_s']:.0f} ops/s" if "ops_per_s" in r else r.get("error", "?")
                print(f"harness_sanitizers: {preset} {threads} threads: {rate}", file=sys.stderr)
            results["presets"][preset] = {"stress": stress, "environment": envs.get(preset, {}), "runs": runs}
    with open(out_path, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
