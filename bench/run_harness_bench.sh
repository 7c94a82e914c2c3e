#!/usr/bin/env bash
# Regenerates only BENCHMARKS.md's harness section: harness_bench (checked against bare ops/s at 2
# to 4096 threads), and a perf profile of the 2-thread checked run, each function's share of the
# samples. A few minutes on 2 cores; run it on an otherwise idle machine (the load average before
# the run is recorded in the section). Without perf (or where perf cannot record) the profile is
# left out and the script says so.
#
# --sanitizers: also builds harness_bench with the asan and tsan presets (in build/bench-asan and
# build/bench-tsan, the presets' own build folders are left alone) and adds their checked ops/s
# beside the release figures (each builds the harness library again, with that sanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=0
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=1 ;;
    *) echo "run_harness_bench.sh: unknown option '$arg' (the one option is --sanitizers)" >&2; exit 2 ;;
  esac
done
out=build/release/bench
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target harness_bench
load=$(cut -d' ' -f1-3 /proc/loadavg)
./$out/harness_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 \
  --benchmark_out=$out/harness_bench.json --benchmark_out_format=json
profile_args=()
record="perf record -o $out/harness_bench.perf ./$out/harness_bench --benchmark_filter=CheckedOps/2/0/ --benchmark_min_time=2"
if command -v perf >/dev/null && $record >/dev/null 2>&1; then
  perf report -i $out/harness_bench.perf --no-children --stdio --percent-limit 1 2>/dev/null > $out/harness_bench.perf.txt
  profile_args=(--profile $out/harness_bench.perf.txt --profile-command "${record//.\/$out\//}")
else
  echo "run_harness_bench.sh: perf could not record; the section has no profile"
fi
sanitizer_args=()
if [ "$sanitizers" = 1 ]; then
  for preset in asan tsan; do
    dir=build/bench-$preset
    cmake --preset $preset -B $dir -DPOOLCHECK_BUILD_BENCH=ON >/dev/null
    cmake --build $dir -j "$(nproc)" --target harness_bench
    # The test preset's sanitizer options (harness_sanitizers.py reads them from CMakePresets.json),
    # so the speed is the one ctest sees.
    env_vars=$(python3 -c 'import sys; sys.path.insert(0, "bench"); from harness_sanitizers import preset_environment
print(" ".join(f"{k}={v}" for k, v in preset_environment(".")[sys.argv[1]].items()))' $preset)
    env $env_vars ./$dir/bench/harness_bench --benchmark_filter=CheckedOps --benchmark_min_time=0.2 \
      --benchmark_out=$dir/harness_bench.json --benchmark_out_format=json
    sanitizer_args+=(--harness-$preset $dir/harness_bench.json)
  done
fi
python3 bench/make_tables.py --replace-harness-in BENCHMARKS.md --harness $out/harness_bench.json \
  --load "$load" "${profile_args[@]}" "${sanitizer_args[@]}" > $out/BENCHMARKS.md.new
mv $out/BENCHMARKS.md.new BENCHMARKS.md
echo "BENCHMARKS.md: harness section regenerated"
