#!/usr/bin/env bash
# examples/ built out of tree against the installed package, as a user's project builds: installs
# the given build into <build>/install, configures examples/ into <build>/examples with the same
# compiler, launcher and build type (CMAKE_PREFIX_PATH pointing at that install only), builds it and
# runs its ctest with the preset's sanitizer options. JUnit XML lands in <build>/junit-examples.xml.
# The build must exist (ci/run_matrix.sh calls this after the preset's ctest passed).
# Usage: ci/examples.sh <preset | build directory>
set -euo pipefail
cd "$(dirname "$0")/.."
(($# == 1)) || { echo "usage: ci/examples.sh <preset | build directory>" >&2; exit 2; }
if [[ -f $1/CMakeCache.txt ]]; then build=$(cd "$1" && pwd); else build=$PWD/build/$1; fi
cache=$build/CMakeCache.txt
[[ -f $cache ]] || { echo "ci/examples.sh: no build in $build (configure and build the preset first)" >&2; exit 2; }
jobs=${POOLCHECK_JOBS:-$(nproc)}
cached() { sed -n "s/^$1:[A-Z]*=//p" "$cache"; }

compiler=$(cached CMAKE_CXX_COMPILER)
build_type=$(cached CMAKE_BUILD_TYPE)
launcher=$(cached CMAKE_CXX_COMPILER_LAUNCHER)
sanitizer=$(cached POOLCHECK_SANITIZER)

# A fresh prefix each time, so nothing a former install left behind can stand in for a file
# this one failed to install.
prefix=$build/install
rm -rf "$prefix" "$build/examples"
cmake --install "$build" --prefix "$prefix" >/dev/null

configure=(-S examples -B "$build/examples" -G Ninja -DCMAKE_CXX_COMPILER="$compiler"
  -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_PREFIX_PATH="$prefix")
[[ -z $launcher ]] || configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
cmake "${configure[@]}" >/dev/null
cmake --build "$build/examples" -j "$jobs"

# The same runtime options as the preset's own tests (CMakePresets.json).
case $sanitizer in
  address)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} ;;
  thread)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4} ;;
esac
ctest --test-dir "$build/examples" -j "$jobs" --output-on-failure --no-tests=error \
  --output-junit "$build/junit-examples.xml"
echo "ci/examples.sh: examples built and passed against the install of $build (${sanitizer:-none})"
