#!/usr/bin/env bash
# The correct pools over many seeds: free-running rounds (each round its own program seed, and with
# default flags its own pool configuration) on every pool of the registry, and deterministic
# searches (each schedule its own seed; a new program seed, with its own tight configuration, every
# 10 schedules) on both families. Prints one line per run and exits non-zero
# if any of them found a violation: the correct pools must stay clean.
#
# usage: bench/clean_seeds.sh STRESS [SEEDS]     (SEEDS: rounds and schedules per run, default 10000)
set -uo pipefail
stress=${1:?usage: clean_seeds.sh STRESS [SEEDS]}
seeds=${2:-10000}
failed=0
run() {
  local started=$SECONDS out code
  out=$("$stress" --quiet "$@" 2>&1)
  code=$?
  echo "exit $code in $((SECONDS - started)) s: stress $* | $(grep -E '^  violations:|^result:' <<<"$out" | tr '\n' ' ')"
  [[ $code -eq 0 ]] || failed=1
}
for pool in shared locked checked-shared checked-locked; do
  run --pool "$pool" --threads 16 --rounds "$seeds" --seed 1
done
for pool in shared locked; do
  run --pool "$pool" --deterministic --search "$seeds"  # a new program seed every 10 schedules
done
exit $failed
