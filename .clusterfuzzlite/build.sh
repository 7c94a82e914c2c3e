#!/bin/bash -eu
# ClusterFuzzLite's build of poolcheck's libFuzzer targets (tests/fuzz/). It runs inside the image
# of .clusterfuzzlite/Dockerfile, started by the base-builder's `compile`, which exports $CC, $CXX,
# $CFLAGS, $CXXFLAGS, $LIB_FUZZING_ENGINE, $SANITIZER, $SRC, $WORK and $OUT. The targets are built
# as the asan preset builds them for ci/run_fuzzers.sh, and go to $OUT with their seed corpora
# (<target>_seed_corpus.zip) and libFuzzer options (tests/fuzz/<target>.options).
# Checked by tests/campaign/cflite_test.py (ctest clusterfuzzlite_config), which runs this script
# against a stand-in cmake.
set -euo pipefail

src=$SRC/poolcheck
build=$WORK/poolcheck-build   # out of the source tree: a copied-in build/ can never get in the way

# Every fuzz target tests/fuzz/CMakeLists.txt defines. A target missing here is neither built nor
# fuzzed; tests/campaign/cflite_test.py fails until it is added.
fuzz_targets=(fuzz_trace fuzz_cli fuzz_schedule)

# The project builds its fuzzers one way: clang, POOLCHECK_SANITIZER=address (ASan + UBSan) and
# libFuzzer's -fsanitize=fuzzer, which tests/fuzz/CMakeLists.txt links itself. ClusterFuzzLite only
# has libFuzzer, so $LIB_FUZZING_ENGINE is that flag; any other engine or sanitizer is refused here
# rather than silently built as ASan + libFuzzer.
if [[ ${SANITIZER:-} != address ]]; then
  echo "build.sh: SANITIZER=${SANITIZER:-} is not supported: poolcheck's fuzzers are built with" \
    "POOLCHECK_SANITIZER=address (ASan + UBSan) only; use sanitizer: address" >&2
  exit 1
fi
if [[ ${LIB_FUZZING_ENGINE:-} != -fsanitize=fuzzer ]]; then
  echo "build.sh: LIB_FUZZING_ENGINE='${LIB_FUZZING_ENGINE:-}' is not libFuzzer (-fsanitize=fuzzer)," \
    "the only engine tests/fuzz/CMakeLists.txt links" >&2
  exit 1
fi

# The compiler flags. CMake adds the sanitizers itself: POOLCHECK_SANITIZER=address puts
# -fsanitize=address,undefined -fno-sanitize-recover=all on every target, and POOLCHECK_BUILD_FUZZERS
# puts -fsanitize=fuzzer on the fuzz targets and -fsanitize=fuzzer-no-link (coverage) on the sources
# they aim at only. The base-builder's $CXXFLAGS carry the same sanitizers again
# (-fsanitize=address -fsanitize-address-use-after-scope) and coverage for everything
# (-fsanitize=fuzzer-no-link). Passed on as they are, every object would get the sanitizer flags
# twice, the whole build would carry coverage the project keeps to the fuzzed sources, and CMake
# warns that CMAKE_CXX_FLAGS hold a sanitizer (its tests would pick their gates by the wrong one).
# So those flags are dropped and the rest are kept: -stdlib=libc++ (the C++ library the image's clang
# is set up with), -gline-tables-only, -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION and the
# -Wno-error=... list. The result is the binaries ci/run_fuzzers.sh runs (ASan + UBSan, the same
# coverage, -O2 -DNDEBUG as in the asan preset), so a crash found here replays in build/asan.
# Passing CMAKE_CXX_FLAGS and CMAKE_EXE_LINKER_FLAGS explicitly also keeps CMake from taking the
# environment's CXXFLAGS and LDFLAGS as their first values.
without_sanitizers() {
  local words=() kept=() word
  read -r -a words <<<"${1:-}"
  for word in "${words[@]}"; do
    case $word in
      -fsanitize*|-fno-sanitize*) ;;
      *) kept+=("$word") ;;
    esac
  done
  echo "${kept[*]}"
}
cxxflags=$(without_sanitizers "${CXXFLAGS:-}")
ldflags=$(without_sanitizers "${LDFLAGS:-}")

rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DCMAKE_CXX_FLAGS="$cxxflags" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DPOOLCHECK_SANITIZER=address \
  -DPOOLCHECK_BUILD_FUZZERS=ON \
  -DPOOLCHECK_BUILD_TOOLS=ON \
  -DPOOLCHECK_BUILD_TESTS=OFF \
  -DPOOLCHECK_BUILD_BENCH=OFF \
  -DPOOLCHECK_INSTALL=OFF
cmake --build "$build" -j "$(nproc)" --target "${fuzz_targets[@]}"

# fuzz_schedule reads POOLCHECK_FUZZ_POOL, _MUTANT, _SCENARIO and _TRACES from the environment.
# ClusterFuzzLite runs the binary as it is, with none of them set, so it searches bufpool's correct
# pool (shared, the default scenario): anything it finds is a real bug. The mutants are for local
# measurement only (ci/run_fuzzers.sh checks that the search finds each of them).
for target in "${fuzz_targets[@]}"; do
  install -m 0755 "$build/tests/fuzz/$target" "$OUT/$target"

  corpus=$src/tests/fuzz/corpus/${target#fuzz_}
  rm -f "$OUT/${target}_seed_corpus.zip"
  if [[ -d $corpus ]] && compgen -G "$corpus/*" >/dev/null; then
    zip -q -j "$OUT/${target}_seed_corpus.zip" "$corpus"/*
  fi

  # The libFuzzer options ci/run_fuzzers.sh gives the target (tests/fuzz/<target>.options), so that
  # an input counts as a timeout or an OOM here exactly when it would there.
  install -m 0644 "$src/tests/fuzz/$target.options" "$OUT/$target.options"
done
