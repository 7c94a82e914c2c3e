#!/usr/bin/env bash
# Builds the release preset, runs every benchmark and regenerates BENCHMARKS.md. About 10 minutes
# on 2 cores. Run it on an otherwise idle machine: the load average is recorded in the file.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target pool_bench harness_bench stress
out=build/release/bench
./$out/pool_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 \
  --benchmark_out=$out/pool_bench.json --benchmark_out_format=json
./$out/harness_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 \
  --benchmark_out=$out/harness_bench.json --benchmark_out_format=json
python3 bench/mutant_detection.py build/release/harness/stress $out/mutant_detection.json 5
python3 bench/make_tables.py $out/pool_bench.json $out/harness_bench.json $out/mutant_detection.json \
  "bash bench/run_benchmarks.sh" > BENCHMARKS.md
echo "BENCHMARKS.md regenerated"
