#!/usr/bin/env bash
# Builds what the benchmarks need, runs every benchmark and regenerates BENCHMARKS.md (tables from
# the JSON outputs by bench/make_tables.py, plus bench/time_to_detection.svg). About 12 minutes (measured at 4366032)
# on 2 cores, a few of them building the asan and tsan stress binaries the first time. Run it on an
# otherwise idle machine: the load average is recorded in the file.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/release/bench

source bench/ensure_matplotlib.sh

cmake --preset release >/dev/null
pool_benches=(pool_bench)
# mimalloc and jemalloc each have their own binary (each replaces malloc process-wide); configure
# skips one whose library is missing, and so does this script.
for b in pool_bench_mimalloc pool_bench_jemalloc; do
  grep -q "^build bench/$b:" build/release/build.ninja && pool_benches+=("$b")
done
cmake --build --preset release -j "$(nproc)" --target "${pool_benches[@]}" harness_bench token_stream_rss stress
for preset in asan tsan; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)" --target stress
done

pool_args=()
for b in "${pool_benches[@]}"; do
  # Warm-up: the first benchmark of a process otherwise pays for page faults and a cold CPU (it
  # measured 8 ns per pair where the same loop takes 4 ns a second later).
  ./$out/$b --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_min_time=0.1 \
    --benchmark_min_warmup_time=0.3 \
    --benchmark_out=$out/$b.json --benchmark_out_format=json
  pool_args+=(--pool "$out/$b.json")
done
./$out/harness_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 \
  --benchmark_out=$out/harness_bench.json --benchmark_out_format=json
python3 bench/harness_sanitizers.py build $out/harness_sanitizers.json
for variant in shared locked new; do ./$out/token_stream_rss --variant "$variant"; done > $out/token_stream_rss.jsonl
python3 bench/mutant_detection.py build/release/harness/stress $out/mutant_detection.json 20 \
  --tsan-stress build/tsan/harness/stress
"$plot_python" bench/plot_detection.py $out/mutant_detection.json bench/time_to_detection.svg
python3 bench/make_tables.py "${pool_args[@]}" --harness $out/harness_bench.json \
  --sanitizers $out/harness_sanitizers.json --memory $out/token_stream_rss.jsonl \
  --mutants $out/mutant_detection.json --plot bench/time_to_detection.svg \
  --command "bash bench/run_benchmarks.sh" > BENCHMARKS.md
echo "BENCHMARKS.md regenerated"
