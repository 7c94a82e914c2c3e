#!/usr/bin/env bash
# Builds and tests every preset (release, asan, tsan), builds examples/ against the installed release
# and TSan packages (ci/examples.sh), then runs the fuzzers (ci/run_fuzzers.sh), and exits non-zero
# if any step fails.
# JUnit XML lands in build/<preset>/junit-<preset>.xml (examples: build/<preset>/junit-examples.xml).
# Usage: ci/run_matrix.sh [preset ...]
set -uo pipefail
cd "$(dirname "$0")/.."

presets=("$@")
((${#presets[@]})) || presets=(release asan tsan)

# Sanitizer runtimes of clang-14 break on kernels with 32 random mmap bits (see SANITIZERS.md).
if [[ -r /proc/sys/vm/mmap_rnd_bits && $(cat /proc/sys/vm/mmap_rnd_bits) -gt 28 ]]; then
  sysctl -w vm.mmap_rnd_bits=28 >/dev/null 2>&1 || sudo sysctl -w vm.mmap_rnd_bits=28 >/dev/null 2>&1 ||
    echo "ci/run_matrix.sh: warning: vm.mmap_rnd_bits > 28 and cannot lower it; sanitizers may fail"
fi

jobs=${POOLCHECK_JOBS:-$(nproc)}
# The release and TSan installs must serve a project of their own: ci/examples.sh installs the
# preset's build and builds and tests examples/ against it, out of tree.
examples_gate() {
  case $1 in
    release | tsan) POOLCHECK_JOBS=$jobs ci/examples.sh "$1" ;;
  esac
}
failed=()
for preset in "${presets[@]}"; do
  start=$SECONDS
  echo "=== ${preset}: configure, build, test ==="
  if cmake --preset "$preset" >/dev/null &&
     cmake --build --preset "$preset" -j "$jobs" &&
     ctest --preset "$preset" -j "$jobs" &&
     examples_gate "$preset"; then
    echo "=== ${preset}: passed in $((SECONDS - start)) s ==="
  else
    echo "=== ${preset}: FAILED after $((SECONDS - start)) s ==="
    failed+=("$preset")
  fi
done

# The libFuzzer targets (trace loader, command line), each for a fixed budget; the asan preset's
# build has them, so with asan in the list nothing is compiled again.
# POOLCHECK_FUZZ_SECONDS sets the budget (default 60); POOLCHECK_SKIP_FUZZ=1 leaves them out.
if [[ ${POOLCHECK_SKIP_FUZZ:-0} != 1 ]]; then
  start=$SECONDS
  if POOLCHECK_JOBS=$jobs ci/run_fuzzers.sh "${POOLCHECK_FUZZ_SECONDS:-60}"; then
    echo "=== fuzzers: passed in $((SECONDS - start)) s ==="
  else
    echo "=== fuzzers: FAILED after $((SECONDS - start)) s ==="
    failed+=(fuzzers)
  fi
fi

# The kill matrix, merged from the columns each preset's `stress --self-test` wrote.
columns=()
for preset in "${presets[@]}"; do columns+=("build/${preset}/kill-matrix.json"); done
python3 ci/kill_matrix.py "${columns[@]}" || true

if ((${#failed[@]})); then
  echo "ci/run_matrix.sh: failed presets: ${failed[*]}"
  exit 1
fi
echo "ci/run_matrix.sh: all presets passed (${presets[*]})$([[ ${POOLCHECK_SKIP_FUZZ:-0} == 1 ]] || echo ', fuzzers clean')"
