#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the JSON the benchmarks produced (never typed by hand).

usage: make_tables.py POOL_JSON HARNESS_JSON MUTANT_JSON COMMAND > BENCHMARKS.md
"""
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def medians(gbench):
    """name -> (median real time in ns, counters) from Google Benchmark aggregates."""
    out = {}
    for b in gbench["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        out[b["run_name"]] = (b["real_time"] * unit, b)
    return out


def fmt_ns(ns):
    if ns < 1000:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def pool_section(g):
    ctx = g["context"]
    m = medians(g)
    sizes = [(1 << 10, "1 KiB"), (16 << 10, "16 KiB"), (128 << 10, "128 KiB"), (1 << 20, "1 MiB")]
    contenders = [("BM_SharedPool", "shared pool"), ("BM_LockedPool", "locked pool"), ("BM_Malloc", "malloc/free"),
                  ("BM_NewValueInit", "new T[n]()")]
    lines = ["## Pool: one rent + give_back pair", "",
             "Median wall-clock time per rent + give_back pair (std::byte arrays; each contender writes one byte). "
             "With 2 threads it is the wall time divided by the pairs both threads completed, so it measures "
             "throughput: half the 1-thread figure means perfect scaling.", "",
             "| size | threads | " + " | ".join(c[1] for c in contenders) + " |",
             "|---|---|" + "---|" * len(contenders)]
    goal_single, goal_two = [], []
    for size, label in sizes:
        for threads in (1, 2):
            row = [label, str(threads)]
            values = {}
            for key, _ in contenders:
                name = f"{key}/{size}/real_time/threads:{threads}"
                if name in m:
                    values[key] = m[name][0]
                    row.append(fmt_ns(m[name][0]))
                else:
                    row.append("n/a")
            lines.append("| " + " | ".join(row) + " |")
            if "BM_SharedPool" in values:
                if threads == 1:
                    goal_single.append((label, values["BM_SharedPool"] < 5.0, values["BM_SharedPool"]))
                elif "BM_Malloc" in values:
                    goal_two.append((label, values["BM_SharedPool"] <= values["BM_Malloc"],
                                     values["BM_SharedPool"], values["BM_Malloc"]))
    lines += ["", "Goals (computed from the table):", ""]
    for label, ok, v in goal_single:
        lines.append(f"- shared pool, 1 thread, {label}: {fmt_ns(v)} {'<' if ok else '>='} 5 ns — **{'PASS' if ok else 'MISS'}**")
    for label, ok, v, mv in goal_two:
        lines.append(f"- shared pool vs malloc/free, 2 threads, {label}: {fmt_ns(v)} vs {fmt_ns(mv)} — "
                     f"**{'PASS' if ok else 'MISS'}**")
    return lines, ctx


def harness_section(g):
    m = medians(g)
    lines = ["## Harness: checked operations per second", "",
             "Programs of rent(1024) / write the tag pattern / verify / give_back on the shared pool, "
             "through the free-running executor with every oracle on (checked), and the same programs on the "
             "bare pool with plain memset/memchr and no oracles (bare), same threads, same start gate. One "
             "run = create, release and join all threads. Thread start-up: create + release + join of "
             "parked threads with the harness's stacks.", "",
             "| threads | checked ops/s | bare ops/s | harness overhead | thread start-up per thread |",
             "|---|---|---|---|---|"]
    for t in (2, 64, 1024, 4096):
        c = m.get(f"BM_CheckedOps/{t}/real_time")
        b = m.get(f"BM_BareOps/{t}/real_time")
        s = m.get(f"BM_ThreadStartup/{t}/real_time")
        cr = c[1]["ops_per_s"] if c else None
        br = b[1]["ops_per_s"] if b else None
        su = s[0] / t / 1e3 if s else None
        lines.append(f"| {t} | {cr / 1e6:.2f} M | {br / 1e6:.2f} M | {br / cr:.1f}x | {su:.1f} µs |"
                     if cr and br and su else f"| {t} | n/a | n/a | n/a | n/a |")
    return lines


def mutant_section(j):
    lines = ["## Bug finding: racy mutants", "",
             f"Each row: {j['seeds']} program seeds (4 threads x 32 ops for the deterministic modes; 64 threads "
             "for free-running, up to 30 s). PCT's first schedule is a random-walk calibration that measures k. "
             "Found = runs that failed; schedules and seconds are medians over the runs that found it; replay "
             "= replays of the recorded trace that hit the same violation at the same step.", "",
             "| mutant | pool | mode | found | median schedules | median seconds | caught by | replay |",
             "|---|---|---|---|---|---|---|---|"]
    for row in j["mutants"]:
        for mode in ("pct", "random", "free"):
            runs = [r for r in row["runs"] if r["mode"] == mode]
            found = [r for r in runs if r["found"]]
            sched = statistics.median([r["schedules"] for r in found if "schedules" in r]) if any(
                "schedules" in r for r in found) else None
            secs = statistics.median([r["seconds"] for r in found]) if found else None
            oracles = sorted({r["oracle"] for r in found if r["oracle"]})
            replays = [r for r in found if "replays" in r]
            replay = (f"{sum(r['replays_matching'] for r in replays)}/{sum(r['replays'] for r in replays)}"
                      if replays else "—")
            lines.append(f"| {row['mutant']} | {row['pool']} | {mode} | {len(found)}/{len(runs)} | "
                         f"{sched if sched is not None else '—'} | {f'{secs:.2f}' if secs is not None else '—'} | "
                         f"{', '.join(oracles) or '—'} | {replay} |")
    lines += ["", "Deterministic executor speed on the correct pools (300 PCT schedules of 4 threads x 32 ops):", ""]
    for pool, sps in j["schedules_per_second"].items():
        lines.append(f"- {pool}: {sps:.0f} schedules/s")
    return lines


def main():
    pool_json, harness_json, mutant_json, command = sys.argv[1:5]
    pool_lines, ctx = pool_section(load(pool_json))
    out = ["# Benchmarks", "",
           "Produced by `bench/run_benchmarks.sh` from the benchmarks' JSON output by `bench/make_tables.py`; "
           "never edited by hand.", "",
           f"- command: `{command}`",
           f"- date: {ctx.get('date', '?')}",
           f"- machine: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
           f"load average before the run {ctx.get('load_avg', '?')}",
           f"- build: release preset (g++ -O2); Debian's Google Benchmark library reports build type "
           f"{ctx.get('library_build_type', '?')}",
           ""]
    out += pool_lines + [""] + harness_section(load(harness_json)) + [""] + mutant_section(load(mutant_json))
    print("\n".join(out))


if __name__ == "__main__":
    main()
