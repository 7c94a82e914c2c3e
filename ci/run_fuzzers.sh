#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) in the asan preset's build (build/asan: clang, ASan +
# UBSan, libFuzzer; configured first if it is not there) and runs each for a fixed budget from the
# seed corpus in the tree (tests/fuzz/corpus/<target>/). Fails if a build step fails or any fuzzer
# finds a crash, a leak, an exception, a timeout or an OOM; the input that did it is left in
# build/asan/fuzz-artifacts/.
# Usage: ci/run_fuzzers.sh [seconds per fuzzer, default 60]   (or POOLCHECK_FUZZ_SECONDS)
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-${POOLCHECK_FUZZ_SECONDS:-60}}
# A fixed seed by default, so the gate explores the same inputs on every run (a red run reproduces);
# POOLCHECK_FUZZ_SEED=0 lets libFuzzer pick one from the clock for a wider search by hand.
seed=${POOLCHECK_FUZZ_SEED:-1}
jobs=${POOLCHECK_JOBS:-$(nproc)}
build=build/asan

# Sanitizer runtimes of clang-14 break on kernels with 32 random mmap bits (see ci/run_matrix.sh).
if [[ -r /proc/sys/vm/mmap_rnd_bits && $(cat /proc/sys/vm/mmap_rnd_bits) -gt 28 ]]; then
  sysctl -w vm.mmap_rnd_bits=28 >/dev/null 2>&1 || sudo sysctl -w vm.mmap_rnd_bits=28 >/dev/null 2>&1 ||
    echo "ci/run_fuzzers.sh: warning: vm.mmap_rnd_bits > 28 and cannot lower it; sanitizers may fail"
fi

echo "=== fuzz: build fuzz_trace, fuzz_cli and fuzz_schedule (${build}) ==="
# Configuring again is cheap and keeps an older build/asan in step with the preset.
if ! cmake --preset asan >/dev/null || ! cmake --build "$build" -j "$jobs" --target fuzz_trace fuzz_cli fuzz_schedule stress; then
  echo "ci/run_fuzzers.sh: the fuzzers did not build"
  exit 1
fi

mkdir -p "$build/fuzz-artifacts"
# Runs libFuzzer target $1 for $2 seconds with stderr to log $3, with the options of
# tests/fuzz/$1.options (the ones ClusterFuzzLite gets); the rest are more of libFuzzer's arguments
# (corpus directories last). Its exit status is the fuzzer's: non-zero on any finding.
run_fuzzer() {
  local target=$1 budget=$2 log=$3 options=()
  shift 3
  mapfile -t options < <(sed -n 's/^\([a-z_]*\) *= *\(.*[^ ]\) *$/-\1=\2/p' "tests/fuzz/$target.options")
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$build/tests/fuzz/$target" -seed="$seed" -max_total_time="$budget" -print_final_stats=1 "${options[@]}" \
    "$@" 2>"$log"
}
executed() { grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$1" | grep -o '[0-9]*$'; }
failed=()
for target in trace cli; do
  # New inputs go to a scratch directory first; the tree's seed corpus is only read.
  scratch="$build/fuzz-corpus-$target"
  mkdir -p "$scratch"
  log="$build/fuzz_${target}.log"
  echo "=== fuzz_${target}: ${seconds} s ==="
  if run_fuzzer "fuzz_${target}" "$seconds" "$log" -artifact_prefix="$build/fuzz-artifacts/${target}-" \
       "$scratch" "tests/fuzz/corpus/$target"; then
    echo "=== fuzz_${target}: clean ($(executed "$log") runs) ==="
  else
    tail -n 60 "$log"
    echo "=== fuzz_${target}: FAILED (log: $log, inputs: $build/fuzz-artifacts/) ==="
    failed+=("fuzz_${target}")
  fi
done

# fuzz_schedule: the deterministic search driven by libFuzzer (tests/fuzz/fuzz_schedule.cpp). The
# correct pools must stay clean for the budget (half each); each racy mutant must be found within
# it, and the trace its finding wrote must replay in stress: the same violation at the same step,
# or the same AddressSanitizer report when ASan stopped the schedule.
traces="$build/fuzz-traces"
rm -rf "$traces"
mkdir -p "$traces"
fuzz_schedule() {  # pool, mutant ("" for the correct pool), seconds, log, scenario (default mixed)
  local scratch="$build/fuzz-corpus-schedule-$1-${2:-correct}"
  rm -rf "$scratch"
  mkdir -p "$scratch"
  POOLCHECK_FUZZ_POOL=$1 POOLCHECK_FUZZ_MUTANT=$2 POOLCHECK_FUZZ_SCENARIO=${5:-mixed} POOLCHECK_FUZZ_TRACES=$traces \
    run_fuzzer fuzz_schedule "$3" "$4" -artifact_prefix="$build/fuzz-artifacts/schedule-$1-${2:-correct}-" "$scratch"
}
for pool in shared locked; do
  log="$build/fuzz_schedule_${pool}.log"
  echo "=== fuzz_schedule: correct ${pool} pool, $((seconds / 2)) s ==="
  if fuzz_schedule "$pool" "" $((seconds / 2)) "$log"; then
    echo "=== fuzz_schedule: correct ${pool} pool clean ($(executed "$log") schedules) ==="
  else
    tail -n 60 "$log"
    echo "=== fuzz_schedule: FALSE ALARM on the correct ${pool} pool (log: $log) ==="
    failed+=("fuzz_schedule/${pool}")
  fi
done
# Each on the scenario its catalog row names (stress --list).
for case in no-lock/shared/mixed no-lock/locked/mixed clear-after-publish/locked/clear-sensitive \
  cap-check-race/shared/small-buffers cap-check-race/locked/small-buffers trim-unlocked/shared/trim-heavy; do
  IFS=/ read -r mutant pool scenario <<<"$case"
  log="$build/fuzz_schedule_${mutant}_${pool}.log"
  start_case=$SECONDS
  fuzz_schedule "$pool" "$mutant" "$seconds" "$log" "$scenario"
  trace=$(grep -m1 -o 'replay: stress --replay .*' "$log" | sed 's/^replay: stress --replay //')
  if [[ -z $trace ]]; then
    tail -n 40 "$log"
    echo "=== fuzz_schedule: MISSED ${mutant} on the ${pool} pool in ${seconds} s (log: $log) ==="
    failed+=("fuzz_schedule/${mutant}/${pool}")
    continue
  fi
  replayed=$(ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/harness/stress" --quiet --replay "$trace" 2>&1)
  # An oracle's finding must come back at the same step; a sanitizer's (its trace ends at the
  # report) as the same kind of report.
  report=$(grep -m1 -o 'ERROR: AddressSanitizer: [a-z-]*' "$log")
  if grep -q "a sanitizer stopped the schedule" "$log"; then
    expected=$report
  else
    expected="same violation at the same step"
  fi
  if [[ -n $expected ]] && grep -qF "$expected" <<<"$replayed"; then
    echo "=== fuzz_schedule: found ${mutant} on the ${pool} pool in $((SECONDS - start_case)) s" \
      "($(grep -m1 -o 'fuzz_schedule: [a-z -]*' "$log" | sed 's/^fuzz_schedule: //')); its trace replays ($expected) ==="
  else
    echo "$replayed" | tail -n 30
    echo "=== fuzz_schedule: ${mutant} on the ${pool} pool: the trace $trace did not replay the finding ==="
    failed+=("fuzz_schedule/${mutant}/${pool}/replay")
  fi
done

if ((${#failed[@]})); then
  echo "ci/run_fuzzers.sh: failed: ${failed[*]}"
  exit 1
fi
echo "ci/run_fuzzers.sh: fuzzers ran clean for ${seconds} s each"
