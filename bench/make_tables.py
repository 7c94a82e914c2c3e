#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the JSON the benchmarks produced (never typed by hand). Every PASS or
FAIL in it is computed here from the measured figures.

usage: make_tables.py --pool POOL_JSON [--pool ...] --harness HARNESS_JSON --sanitizers SAN_JSON
                      --memory RSS_JSONL --mutants MUTANT_JSON --plot PLOT_PATH --command CMD > BENCHMARKS.md
"""
import argparse
import datetime
import json
import os
import statistics

# Goals of issue 6, checked on every row of every pool table.
GOAL_VS_ALLOCATORS = 2.0   # shared pool at least this many times faster than the best allocator
GOAL_VS_SLOT = 3.0         # shared pool at most this many times slower than the bare thread-local slot

CONTENDERS = [("shared", "shared pool"), ("locked", "locked pool"), ("glibc", "glibc malloc"),
              ("mimalloc", "mimalloc"), ("jemalloc", "jemalloc"), ("new", "new T[n]()"),
              ("mutex-vector", "mutex + vector"), ("tls-slot", "thread-local slot"),
              ("handoff-only", "hand-off only (no allocation)")]
ALLOCATORS = ["glibc", "mimalloc", "jemalloc"]
# The cheapest any pool could be in a workload: a bare thread-local slot where the same thread rents
# and gives back; the ring alone in cross, where no pool takes back another thread's array for less.
# Where even the floor is not GOAL_VS_ALLOCATORS times faster than the best allocator, goal A cannot
# be met by any pool in that row; the row says so with the floor's own ratio instead of FAIL.
FLOOR = {"pair": "tls-slot", "cycle": "tls-slot", "cross": "handoff-only"}
# Goal B compares with the bare slot, which in cross is not a pool at all (its slot never refills on
# the renting thread, so it mallocs every array): there it is shown as n/a.
GOAL_B_WORKLOADS = {"pair", "cycle"}
# Goal C, cross-thread give_back: the shared pool within this factor of the hand-off floor, and no
# slower than mimalloc, in every cross row.
GOAL_CROSS_VS_FLOOR = 1.5
SIZES = [(1 << 10, "1 KiB"), (16 << 10, "16 KiB"), (128 << 10, "128 KiB"), (1 << 20, "1 MiB")]
WORKLOADS = [
    ("pair", "Pool: rent + give_back pairs",
     "Median wall-clock time per rent, write of one element, give_back. With 2 threads both run the loop "
     "and the figure is wall time / pairs both completed (throughput: half the 1-thread figure is perfect "
     "scaling)."),
    ("cycle", "Pool: rent / write / give_back cycles",
     "As pairs, but each cycle writes the whole requested length (memset) before giving the array back: "
     "the memory traffic a real user adds."),
    ("cross", "Pool: cross-thread give_back",
     "Thread A rents and writes one element, hands the array through a 64-entry SPSC ring to thread B, "
     "which gives it back (frees it). A and B are pinned to two different CPUs. Every contender goes through "
     "the same ring; the clock stops after B's last give_back. Wall time per array. Hand-off only: the ring "
     "with no allocation at all, the floor of every row."),
]


def load(path):
    with open(path) as f:
        return json.load(f)


def fmt_ns(ns):
    if ns < 1000:
        return f"{ns:.1f} ns" if ns >= 10 else f"{ns:.2f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns / 1e6:.2f} ms"


def fmt_rate(r):
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.1f} k"


def fmt_s(s):
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_kib(kib):
    return f"{kib / 1024:.1f} MiB" if abs(kib) >= 1024 else f"{kib:.0f} KiB"


def medians(gbench):
    """run name -> (median real time in ns, benchmark entry); single runs count when no median exists."""
    out, singles = {}, {}
    for b in gbench["benchmarks"]:
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        value = (b["real_time"] * unit, b)
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = value
        elif b.get("run_type", "iteration") == "iteration":
            singles.setdefault(b.get("run_name", b["name"]), value)
    return {**singles, **out}


def pool_times(pool_jsons):
    """(workload, type, bytes, threads, contender) -> ns, merged over the pool_bench binaries."""
    times = {}
    for g in pool_jsons:
        for name, (ns, _) in medians(g).items():
            parts = name.split("/")  # workload/type/contender/bytes/real_time[/threads:N]
            if len(parts) < 4 or parts[0] not in ("pair", "cycle", "cross"):
                continue
            threads = int(parts[-1].split(":")[1]) if parts[-1].startswith("threads:") else 2
            times[(parts[0], parts[1], int(parts[3]), threads, parts[2])] = ns
    return times


def goal_cells(workload, values):
    """The two goal cells of a row and their verdicts: True/False, "unattainable" for goal A when even
    the workload's floor misses it, None when a figure is missing or the goal does not apply."""
    shared, slot, floor = values.get("shared"), values.get("tls-slot"), values.get(FLOOR[workload])
    allocs = {a: values[a] for a in ALLOCATORS if a in values}
    cells, verdicts = [], []
    if shared and allocs:
        best = min(allocs, key=allocs.get)
        ratio = allocs[best] / shared
        ok = ratio >= GOAL_VS_ALLOCATORS
        if not ok and floor and allocs[best] / floor < GOAL_VS_ALLOCATORS:
            cells.append(f"{ratio:.2f}x vs {best} (unattainable: the floor is {allocs[best] / floor:.2f}x)")
            verdicts.append("unattainable")
        else:
            cells.append(f"{ratio:.2f}x vs {best} **{'PASS' if ok else 'FAIL'}**")
            verdicts.append(ok)
    else:
        cells.append("n/a")
        verdicts.append(None)
    if workload in GOAL_B_WORKLOADS and shared and slot:
        ratio = shared / slot
        ok = ratio <= GOAL_VS_SLOT
        cells.append(f"{ratio:.2f}x **{'PASS' if ok else 'FAIL'}**")
        verdicts.append(ok)
    else:
        cells.append("n/a")
        verdicts.append(None)
    return cells, verdicts


def pool_section(pool_jsons):
    times = pool_times(pool_jsons)
    measured = {k[4] for k in times}
    missing = [label for key, label in CONTENDERS if key not in measured]
    lines = []
    summary = []
    cross_rows = []  # (row name, shared / floor, shared / mimalloc) of every cross row
    for workload, title, text in WORKLOADS:
        present = [c for c in CONTENDERS if any(k[0] == workload and k[4] == c[0] for k in times)]
        lines += [f"## {title}", "", text, "",
                  "| size | type | threads | " + " | ".join(c[1] for c in present) +
                  f" | best allocator / shared (goal ≥ {GOAL_VS_ALLOCATORS:g}x) | shared / slot (goal ≤ {GOAL_VS_SLOT:g}x) |",
                  "|---|---|---|" + "---|" * (len(present) + 2)]
        fails = {0: [], 1: []}
        counted = {0: 0, 1: 0}
        unattainable = []
        for size, label in SIZES:
            for type_name in ("char", "float"):
                for threads in ((2,) if workload == "cross" else (1, 2)):
                    values = {c: times[k] for c in (p[0] for p in present)
                              if (k := (workload, type_name, size, threads, c)) in times}
                    if not values:
                        continue
                    cells, verdicts = goal_cells(workload, values)
                    if workload == "cross":
                        shared, floor, mi = values.get("shared"), values.get(FLOOR[workload]), values.get("mimalloc")
                        cross_rows.append((f"{label} {type_name}", shared / floor if shared and floor else None,
                                           shared / mi if shared and mi else None))
                    row = [label, type_name, "1→2" if workload == "cross" else str(threads)]
                    row += [fmt_ns(values[c]) if c in values else "n/a" for c, _ in present]
                    lines.append("| " + " | ".join(row + cells) + " |")
                    for g, v in enumerate(verdicts):
                        if v == "unattainable":
                            unattainable.append(f"{label} {type_name} {row[2]}t")
                        elif v is not None:
                            counted[g] += 1
                            if not v:
                                fails[g].append(f"{label} {type_name} {row[2]}t")
        lines.append("")
        summary.append((title.split(": ")[1], workload, counted, fails, unattainable))
    goal_lines = ["## Pool: goals", "",
                  f"Computed from the three tables above. Goal A: the shared pool at least {GOAL_VS_ALLOCATORS:g}x "
                  "faster than the best of glibc malloc, mimalloc and jemalloc at every size on 1 and 2 threads. "
                  f"Goal B: the shared pool within {GOAL_VS_SLOT:g}x of the bare thread-local slot (one cached "
                  "pointer per thread per size, nothing else).", "",
                  "Each row of goal A is judged against the workload's floor, the cheapest any pool could be: the "
                  "bare thread-local slot in pairs and cycles, the hand-off ring alone in cross. A row where even the "
                  f"floor is less than {GOAL_VS_ALLOCATORS:g}x faster than the best allocator is marked unattainable "
                  "rather than failed (in cycles the memset of the whole length costs every contender the same), and "
                  "is listed. Goal B does not apply to cross: there the slot is not a pool (it mallocs every "
                  "array, because its arrays are given back on the other thread).", ""]
    if missing:
        goal_lines += [f"Not measured on this machine (library missing at configure time): {', '.join(missing)}.", ""]
    overall = {0: True, 1: True}
    for name, workload, counted, fails, unattainable in summary:
        for g, goal in ((0, "A"), (1, "B")):
            if g == 1 and workload not in GOAL_B_WORKLOADS:
                goal_lines.append(f"- goal {goal}, {name}: does not apply (see above)")
                continue
            out_of_reach = (f"{len(unattainable)} rows unattainable for any pool: {', '.join(unattainable)}"
                            if g == 0 and unattainable else "")
            if counted[g] == 0 and out_of_reach:
                goal_lines.append(f"- goal {goal}, {name}: no attainable row — {out_of_reach}")
                continue
            passed = counted[g] - len(fails[g])
            ok = counted[g] > 0 and not fails[g]
            overall[g] &= ok
            detail = f" (fails: {', '.join(fails[g])})" if fails[g] else ""
            goal_lines.append(f"- goal {goal}, {name}: {passed}/{counted[g]} attainable rows pass — "
                              f"**{'PASS' if ok else 'FAIL'}**{detail}" + (f"; {out_of_reach}" if out_of_reach else ""))
    if cross_rows:
        vs_floor = [r for r in cross_rows if r[1] is not None]
        vs_mi = [r for r in cross_rows if r[2] is not None]
        worst_floor = max(vs_floor, key=lambda r: r[1]) if vs_floor else None
        worst_mi = max(vs_mi, key=lambda r: r[2]) if vs_mi else None
        ok = (len(vs_floor) == len(cross_rows) and all(r[1] <= GOAL_CROSS_VS_FLOOR for r in vs_floor) and
              len(vs_mi) == len(cross_rows) and all(r[2] <= 1 for r in vs_mi))
        goal_lines.append(
            f"- goal C, cross-thread give_back: the shared pool within {GOAL_CROSS_VS_FLOOR:g}x of the hand-off "
            "floor and no slower than mimalloc in every row: worst "
            + (f"{worst_floor[1]:.2f}x the floor ({worst_floor[0]})" if worst_floor else "n/a (no floor measured)")
            + ", "
            + (f"{worst_mi[2]:.2f}x mimalloc ({worst_mi[0]})" if worst_mi else "n/a (mimalloc not measured)")
            + f" — **{'PASS' if ok else 'FAIL'}**")
    goal_lines += ["", f"- goal A overall (every attainable row): **{'PASS' if overall[0] else 'FAIL'}**",
                   f"- goal B overall (every row it applies to): **{'PASS' if overall[1] else 'FAIL'}**", ""]
    return lines + goal_lines


HARNESS_HEADING = "## Harness: checked operations per second (release, harness_bench)"


def harness_section(g, profile=None, sanitized=None):
    """`sanitized`: {"ASan": json, "TSan": json} of harness_bench built by those presets, or None."""
    m = medians(g)
    sanitized = {name: medians(j) for name, j in (sanitized or {}).items() if j}
    lines = [HARNESS_HEADING, "",
             "Programs of rent(1024) / write the tag pattern / verify / give_back on the shared pool, "
             "through the free-running executor with every oracle on (checked), and the same programs on the "
             "bare pool with plain memset/memchr and no oracles (bare), same threads, same start gate. One "
             "run = create, release and join all threads (2^18 ops in all). Checked runs use the default "
             "quiescent checkpoints (every 32 ops, at most 16 per program: here one per 1/17 of a program); the "
             "last row parks every 32 ops, as a 64-op stress round does. Thread start-up: create + release + "
             "join of parked threads with the harness's stacks."]
    if sanitized:
        lines[-1] += (" " + " and ".join(sanitized) + " columns: the same checked programs in harness_bench built "
                      "by that preset (clang, its sanitizer on, no target clones), run with the test preset's "
                      "sanitizer options, one repetition each; slowdown against the release checked figure.")
    lines += ["", "| threads | checked ops/s | bare ops/s | harness overhead | thread start-up per thread |"
              + "".join(f" {name} checked ops/s |" for name in sanitized),
              "|---|---|---|---|---|" + "---|" * len(sanitized)]
    rates = {}
    for t, every, label in ((2, 0, "2"), (64, 0, "64"), (1024, 0, "1024"), (4096, 0, "4096"),
                            (2, 32, "2, checkpoint every 32 ops")):
        c = m.get(f"BM_CheckedOps/{t}/{every}/real_time")
        b = m.get(f"BM_BareOps/{t}/real_time")
        s = m.get(f"BM_ThreadStartup/{t}/real_time")
        cr = c[1]["ops_per_s"] if c else None
        br = b[1]["ops_per_s"] if b else None
        su = s[0] / t / 1e3 if s else None
        rates[(t, every)] = (cr, br)
        row = (f"| {label} | {cr / 1e6:.2f} M | {br / 1e6:.2f} M | {br / cr:.1f}x | {su:.1f} µs |"
               if cr and br and su else f"| {label} | n/a | n/a | n/a | n/a |")
        for sm in sanitized.values():
            sc = sm.get(f"BM_CheckedOps/{t}/{every}/real_time")
            sr = sc[1]["ops_per_s"] if sc else None
            row += f" {sr / 1e6:.2f} M ({cr / sr:.1f}x slower) |" if sr and cr else " n/a |"
        lines.append(row)

    def verdict(ok):
        return "**PASS**" if ok else "**FAIL**"
    c2, b2 = rates[(2, 0)]
    c4k, b4k = rates[(4096, 0)]
    if c2 and b2 and c4k and b4k:
        lines += ["", f"- goal: at least 10 M checked ops/s at 2 threads: {c2 / 1e6:.2f} M — {verdict(c2 >= 10e6)}",
                  f"- goal: overhead within 10x of bare at 2 threads: {b2 / c2:.1f}x — {verdict(b2 / c2 <= 10)}",
                  f"- goal: overhead within 1.5x of bare at 4096 threads: {b4k / c4k:.2f}x — "
                  f"{verdict(b4k / c4k <= 1.5)}"]
    if profile:
        lines += ["", f"Where a checked op's time goes at 2 threads (`{profile['command']}`, self time by "
                  "function, the functions above 1% of the samples):", "",
                  "| share of samples | function |", "|---|---|"]
        lines += [f"| {share} | `{name}` |" for share, name in profile["rows"]]
        lines += ["", "What the rows are, and what bounds them on 2 cores:",
                  "- `give_back_checked`, `rent_checked`: mostly the ledger's exact counts (`at_rest` and `out` of "
                  "the row, one cache line per row). Every rent and give_back changes them with a locked "
                  "read-modify-write, and both threads rent the same size, so the line crosses between the "
                  "cores on nearly every op. That exactness is what lets the running cap check and the "
                  "size-contract fallback check report at any instant without false alarms; per-thread counts "
                  "would remove the crossing but could only be summed at quiescence.",
                  "- `first_wrong_word`, `write_words` (and `find_mismatch` around them): the tag pattern, "
                  "written once and verified twice per cycle (the verify op, and the give_back's exclusivity "
                  "scan), in AVX2 blocks where the CPU has them. The bare run does one memset and one memchr.",
                  "- `arrive_and_wait`: the quiescent checkpoints' barrier, where the thread that reaches it "
                  "first spins until the other arrives (load imbalance between the two programs)."]
    return lines


def read_profile(path, command):
    """`perf report --no-children --stdio` text: (percent, symbol) rows above 1%."""
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0].endswith("%") and parts[3] in ("[.]", "[k]"):
                share = float(parts[0].rstrip("%"))
                if share >= 1.0:
                    name = " ".join(parts[4:])
                    name = name.replace("bufpool::SharedArrayPool<std::byte, poolcheck::HarnessPolicy>", "Pool")
                    rows.append((f"{share:.1f}%", name))
    return {"command": command, "rows": rows}


def replace_harness_section(path, harness, profile, load_before, sanitized=None):
    """BENCHMARKS.md at `path` with its harness section regenerated (bench/run_harness_bench.sh)."""
    with open(path) as f:
        text = f.read()
    head, rest = text.split(HARNESS_HEADING, 1)
    tail = rest[rest.index("\n## "):] if "\n## " in rest else ""
    stamp = (f"_This section: `bash bench/run_harness_bench.sh`, "
             f"{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}, "
             f"load average before the run {load_before or list(round(x, 2) for x in os.getloadavg())}._")
    section = harness_section(harness, profile, sanitized)
    return head + "\n".join([section[0], "", stamp] + section[1:]) + "\n" + tail


def sanitizer_section(j):
    presets = j["presets"]
    lines = ["## Harness: `stress` in release, ASan and TSan", "",
             f"`stress` (scenario {j['scenario']}, seed {j['seed']}) with the same fixed work in each preset's "
             "build; ops/s = ops_done / seconds from its `--json` report (rounds' wall time, thread start-up "
             "and the scenario's chaos delays included, so few threads are dominated by delays, not checks). "
             "Sanitizer options are the test presets'. Slowdown = release ops/s / preset ops/s.", ""]
    missing = [f"- {name}: `{p['missing']}` was not built; column empty." for name, p in presets.items()
               if "missing" in p]
    lines += missing + ([""] if missing else [])
    runs = {name: {r["threads"]: r for r in p.get("runs", [])} for name, p in presets.items()}
    threads = sorted({t for r in runs.values() for t in r})
    lines += ["| threads | ops x rounds | release ops/s | ASan ops/s | TSan ops/s | ASan slowdown | TSan slowdown |",
              "|---|---|---|---|---|---|---|"]

    def cell(preset, t):
        r = runs.get(preset, {}).get(t)
        if not r:
            return "n/a", None
        if "ops_per_s" not in r:
            return r.get("error", "failed")[:40], None
        flag = "" if r.get("result") == "CLEAN" else f" ({r.get('result')})"
        return fmt_rate(r["ops_per_s"]) + flag, r["ops_per_s"]

    for t in threads:
        any_run = next(r[t] for r in runs.values() if t in r)
        rel, rel_v = cell("release", t)
        asan, asan_v = cell("asan", t)
        tsan, tsan_v = cell("tsan", t)
        slow = [f"{rel_v / v:.1f}x" if rel_v and v else "n/a" for v in (asan_v, tsan_v)]
        lines.append(f"| {t} | {any_run['ops']} x {any_run['rounds']} | {rel} | {asan} | {tsan} | {slow[0]} | {slow[1]} |")
    return lines


def memory_section(rows):
    by = {r["variant"]: r for r in rows}
    first = rows[0]
    lines = ["## Memory: token streams with and without a pool", "",
             f"{first['streams']} streams (threads) each append {first['tokens_per_stream']} seeded tokens of 1-32 "
             f"bytes to a {first['buffer_bytes'] // 1024} KiB char buffer, flush it to a checksum when the next token "
             "would not fit, and give it back. One process per variant. Peak = VmHWM; baseline = VmRSS before the "
             "pool or any stream existed. Bound = arrays the pool's caps let it keep in the buckets used, times "
             "their bytes, plus one buffer per live stream. Peak − baseline also holds thread stacks and the "
             "allocator's own overhead, so it is compared with the bound pessimistically.", "",
             "| variant | peak RSS | baseline | peak − baseline | cap rule | bound | within bound | checksum |",
             "|---|---|---|---|---|---|---|---|"]
    for name in ("shared", "locked", "new"):
        r = by.get(name)
        if not r:
            continue
        used = r["peak_rss_kib"] - r["baseline_rss_kib"]
        if name == "new":
            bound, within = f"— (live buffers alone: {fmt_kib(r['live_bytes'] / 1024)})", "—"
        else:
            ok = used * 1024 <= r["bound_bytes"]
            bound = (f"{fmt_kib(r['bound_bytes'] / 1024)} ({fmt_kib(r['kept_bound_bytes'] / 1024)} kept + "
                     f"{fmt_kib(r['live_bytes'] / 1024)} live)")
            within = f"**{'PASS' if ok else 'FAIL'}** ({100.0 * used * 1024 / r['bound_bytes']:.0f}% of bound)"
        label = {"shared": "shared pool", "locked": "locked pool", "new": "no pool (new char[] / delete[])"}[name]
        lines.append(f"| {label} | {fmt_kib(r['peak_rss_kib'])} | {fmt_kib(r['baseline_rss_kib'])} | {fmt_kib(used)} | "
                     f"{r['cap_rule']} | {bound} | {within} | `{r['checksum']}` |")
    sums = {r["checksum"] for r in rows}
    lines += ["", f"- same tokens in every variant (one checksum): {'yes' if len(sums) == 1 else 'NO'}"]
    if "new" in by:
        base = by["new"]["peak_rss_kib"] - by["new"]["baseline_rss_kib"]
        for name in ("shared", "locked"):
            if name in by:
                used = by[name]["peak_rss_kib"] - by[name]["baseline_rss_kib"]
                lines.append(f"- {name} pool vs no pool: {fmt_kib(used - base)} more at peak")
    return lines


def summarize(runs):
    found = [r for r in runs if r["found"]]
    sched = [r["schedules"] for r in found if "schedules" in r]
    secs = [r["seconds"] for r in found]
    oracles = sorted({r["oracle"] for r in found if r["oracle"]})
    replays = [r for r in found if "replays" in r]
    return {
        "found": f"{len(found)}/{len(runs)}",
        "schedules": f"{statistics.median(sched):g}" if sched else "—",
        "median": fmt_s(statistics.median(secs)) if secs else "—",
        "max": fmt_s(max(secs)) if secs else "—",
        "oracles": ", ".join(oracles) or "—",
        "replay": (f"{sum(r['replays_matching'] for r in replays)}/{sum(r['replays'] for r in replays)}"
                   if replays else "—"),
    }


def mutant_section(j, plot):
    lines = ["## Bug finding: mutants", "",
             f"Every mutant of the catalog (`stress --list`), on every pool it exists in, {j['seeds']} program "
             "seeds each, with the settings a user gets by default on the scenario the catalog names for it: "
             f"free = free-running `stress` (default threads, ops and pool configurations; gives up after "
             f"{j.get('free_seconds', 30)} s), det = `stress --deterministic` (its default program size and strategy "
             f"portfolio; gives up after {j.get('det_search', 5000)} schedules), free-tsan = free-running under "
             "the TSan build (mutants only ThreadSanitizer can see). Found = runs that failed; schedules and "
             "seconds are over the runs that found it (seconds: wall time of the stress process); replay = "
             "fresh-process replays of each recorded trace that hit the same violation at the same step.", "",
             f"![time to detection per mutant]({plot})", "",
             "| mutant | pool | mode | found | median schedules | median time | max time | caught by | expected | replay |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in j["mutants"]:
        for mode in row.get("modes", ("pct", "random", "free")):
            s = summarize([r for r in row["runs"] if r["mode"] == mode])
            lines.append(f"| {row['mutant']} | {row['pool']} | {mode} | {s['found']} | {s['schedules']} | "
                         f"{s['median']} | {s['max']} | {s['oracles']} | {row.get('expected', '—')} | "
                         f"{s['replay']} |")
    for missing in j.get("not_measured", []):
        lines.append(f"- not measured: {missing}")
    lines += ["", "### Buggy consumers (pitfalls)", ""]
    if j.get("pitfalls"):
        lines += [f"`stress --scenario NAME` on the correct {j['pitfalls'][0]['pool']} pool, free-running (each pitfall "
                  "also runs under `--deterministic`, where det_e2e's scenarios test checks it is caught).", "",
                  "| pitfall | found | median time | max time | caught by | expected (stress --list) |",
                  "|---|---|---|---|---|---|"]
        for row in j["pitfalls"]:
            s = summarize(row["runs"])
            expected = row.get("expected")
            match = "—" if not expected else (f"{expected} ✓" if expected in s["oracles"].split(", ") else
                                               f"{expected} ✗")
            lines.append(f"| {row['pitfall']} | {s['found']} | {s['median']} | {s['max']} | {s['oracles']} | "
                         f"{match} |")
    else:
        lines.append("This build's `stress --list` has no pitfall section; no rows.")
    lines += ["", "Deterministic executor speed on the correct pools (300 schedules of a default search: 4 threads "
              "x 128 ops, tight configurations, the strategy portfolio):", ""]
    for pool, sps in j["schedules_per_second"].items():
        lines.append(f"- {pool}: {sps:.0f} schedules/s")
    return lines


def context_lines(pool_jsons, command):
    ctx = pool_jsons[0]["context"]
    lines = [f"- command: `{command}`",
             f"- date: {ctx.get('date', '?')}",
             f"- machine: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
             f"load average before the run {ctx.get('load_avg', '?')}",
             f"- build: release preset (g++ -O2); Debian's Google Benchmark library reports build type "
             f"{ctx.get('library_build_type', '?')}"]
    for g in pool_jsons:
        c = g["context"]
        versions = ", ".join(f"{k} {c[k]}" for k in ("glibc_version", "mimalloc_version", "jemalloc_version") if k in c)
        lines.append(f"- `{c.get('executable', '?').rsplit('/', 1)[-1]}`: malloc resolves to "
                     f"`{c.get('malloc_library', '?')}` ({versions})")
    return lines


MUTANT_HEADING = "## Bug finding: mutants"


def clean_seeds_section(path, command):
    """The output of bench/clean_seeds.sh (one line per run) as a subsection."""
    with open(path) as f:
        runs = [line.rstrip() for line in f if line.startswith("exit ")]
    verdict = "0 violations in every run" if runs and all(r.startswith("exit 0 ") for r in runs) else \
        "VIOLATIONS (see the runs)"
    return ["", "### Correct pools over many seeds", "",
            f"`{command}`: {verdict}. Free-running: each round its own program seed (and with default flags "
            "its own pool configuration); deterministic: each schedule its own seed, a new program every 10.", ""] + \
        [f"- {r}" for r in runs]


def replace_mutant_section(path, mutants, plot, command, clean_seeds=None, clean_seeds_command=None):
    """BENCHMARKS.md at `path` with its mutant section (the last one) regenerated from `mutants`,
    saying which command produced it and when: the other sections keep their own run."""
    with open(path) as f:
        text = f.read()
    head = text.split(MUTANT_HEADING, 1)[0].rstrip("\n")
    stamp = (f"_This section: `{command}`, {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}, "
             f"load average before the run {list(round(x, 2) for x in os.getloadavg())}._")
    section = mutant_section(mutants, plot)
    if clean_seeds:
        section += clean_seeds_section(clean_seeds, clean_seeds_command)
    return "\n".join([head, "", section[0], "", stamp] + section[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", action="append", help="pool_bench JSON (glibc binary first)")
    ap.add_argument("--harness")
    ap.add_argument("--sanitizers")
    ap.add_argument("--memory", help="token_stream_rss output, one JSON object per line")
    ap.add_argument("--mutants")
    ap.add_argument("--plot", help="path of the detection plot, relative to BENCHMARKS.md")
    ap.add_argument("--command")
    ap.add_argument("--replace-mutants-in", metavar="BENCHMARKS_MD",
                    help="print that file with only its mutant section regenerated (bench/run_detection.sh)")
    ap.add_argument("--clean-seeds", help="with --replace-mutants-in: the output of bench/clean_seeds.sh")
    ap.add_argument("--clean-seeds-command", default="bash bench/clean_seeds.sh STRESS 10000")
    ap.add_argument("--replace-harness-in", metavar="BENCHMARKS_MD",
                    help="print that file with only its harness section regenerated from --harness (and --profile)")
    ap.add_argument("--profile", help="perf report text of a checked run (bench/run_harness_bench.sh)")
    ap.add_argument("--profile-command", default="perf record")
    ap.add_argument("--harness-asan", help="with --replace-harness-in: harness_bench JSON of the asan preset's build")
    ap.add_argument("--harness-tsan", help="with --replace-harness-in: harness_bench JSON of the tsan preset's build")
    ap.add_argument("--load", help="the load average before the run, as measured by the caller")
    a = ap.parse_args()
    if a.replace_harness_in:
        profile = read_profile(a.profile, a.profile_command) if a.profile else None
        sanitized = {name: load(path) for name, path in (("ASan", a.harness_asan), ("TSan", a.harness_tsan)) if path}
        print(replace_harness_section(a.replace_harness_in, load(a.harness), profile, a.load, sanitized), end="")
        return
    if a.replace_mutants_in:
        print(replace_mutant_section(a.replace_mutants_in, load(a.mutants), a.plot, a.command, a.clean_seeds,
                                     a.clean_seeds_command))
        return
    if not (a.mutants and a.plot and a.command):
        ap.error("--mutants, --plot and --command are required without --replace-harness-in")
    if not (a.pool and a.harness and a.sanitizers and a.memory):
        ap.error("--pool, --harness, --sanitizers and --memory are required without --replace-mutants-in")
    pool_jsons = [load(p) for p in a.pool]
    with open(a.memory) as f:
        memory = [json.loads(line) for line in f if line.strip()]
    out = ["# Benchmarks", "",
           "Produced by `bench/run_benchmarks.sh` from the benchmarks' JSON output by `bench/make_tables.py`; "
           "never edited by hand.", ""]
    out += context_lines(pool_jsons, a.command) + [""]
    out += pool_section(pool_jsons)
    out += harness_section(load(a.harness)) + [""] + sanitizer_section(load(a.sanitizers)) + [""]
    out += memory_section(memory) + [""] + mutant_section(load(a.mutants), a.plot)
    print("\n".join(out))


if __name__ == "__main__":
    main()
