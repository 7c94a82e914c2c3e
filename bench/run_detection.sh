#!/usr/bin/env bash
# Regenerates only the mutant section of BENCHMARKS.md (and bench/time_to_detection.svg): time to
# detection of every catalog mutant and pitfall, free-running and deterministic, with default
# settings (bench/mutant_detection.py). The rest of BENCHMARKS.md keeps its own run
# (bench/run_benchmarks.sh). The section ends with the correct pools over 10,000 seeds
# (bench/clean_seeds.sh). Run it on an otherwise idle machine.
#
# usage: bash bench/run_detection.sh [SEEDS]     (program seeds per mutant and mode, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-20}
source bench/ensure_matplotlib.sh
for preset in release tsan; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)" --target stress
done
out=build/release/bench
mkdir -p "$out"
python3 bench/mutant_detection.py build/release/harness/stress "$out/mutant_detection.json" "$seeds" \
  --tsan-stress build/tsan/harness/stress
"$plot_python" bench/plot_detection.py "$out/mutant_detection.json" bench/time_to_detection.svg
# The correct pools over 10,000 seeds: the other half of "finds real bugs and never cries wolf".
bash bench/clean_seeds.sh build/release/harness/stress 10000 > "$out/clean_seeds.txt" || true
python3 bench/make_tables.py --mutants "$out/mutant_detection.json" --plot bench/time_to_detection.svg \
  --command "bash bench/run_detection.sh $seeds" --replace-mutants-in BENCHMARKS.md \
  --clean-seeds "$out/clean_seeds.txt" --clean-seeds-command "bash bench/clean_seeds.sh build/release/harness/stress 10000" \
  > "$out/BENCHMARKS.md.new"
mv "$out/BENCHMARKS.md.new" BENCHMARKS.md
echo "BENCHMARKS.md: mutant section regenerated"
