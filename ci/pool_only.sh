#!/usr/bin/env bash
# bufpool on its own, as a project that wants only the pool uses it: configured with the tools,
# tests and bench off and with CLI11, nlohmann-json, GoogleTest, RapidCheck and Google Benchmark
# hidden from CMake; installed; then linked by a small program twice, once through the installed
# package (find_package(bufpool)) and once through add_subdirectory. Needs only cmake, ninja, g++.
# Everything lands in build/pool-only/. Usage: ci/pool_only.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
work=$PWD/build/pool-only
jobs=${POOLCHECK_JOBS:-$(nproc)}
# A package hidden this way makes any find_package(... REQUIRED) of it fail; CMake's note that the
# variables went unused is the expected outcome, so it is silenced.
hidden=(--no-warn-unused-cli)
for package in CLI11 nlohmann_json GTest rapidcheck benchmark; do
  hidden+=("-DCMAKE_DISABLE_FIND_PACKAGE_${package}=ON")
done

rm -rf "$work"
cmake -S . -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPOOLCHECK_BUILD_TOOLS=OFF -DPOOLCHECK_BUILD_TESTS=OFF -DPOOLCHECK_BUILD_BENCH=OFF "${hidden[@]}"
cmake --build "$work/build" -j "$jobs"
cmake --install "$work/build" --prefix "$work/prefix"

mkdir -p "$work/consumer"
cat >"$work/consumer/main.cpp" <<'CPP'
#include <bufpool/array_pool.hpp>

int main() {
  auto& pool = bufpool::shared_pool<char>();
  bufpool::Lease<char> buf = pool.lease(4096);
  buf.span()[0] = 'x';
  return buf.span().size() == 4096 ? 0 : 1;
}
CPP
cat >"$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(bufpool_consumer LANGUAGES CXX)
if(POOLCHECK_SOURCE_DIR)
  add_subdirectory(${POOLCHECK_SOURCE_DIR} poolcheck EXCLUDE_FROM_ALL)
else()
  find_package(bufpool 0.1 REQUIRED)
endif()
add_executable(consumer main.cpp)
target_link_libraries(consumer PRIVATE bufpool::pool)
CMAKE

cmake -S "$work/consumer" -B "$work/consumer-package" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" "${hidden[@]}"
cmake --build "$work/consumer-package" -j "$jobs"
"$work/consumer-package/consumer"

cmake -S "$work/consumer" -B "$work/consumer-subdirectory" -G Ninja -DPOOLCHECK_SOURCE_DIR="$source_dir" "${hidden[@]}"
cmake --build "$work/consumer-subdirectory" -j "$jobs"
"$work/consumer-subdirectory/consumer"

echo "ci/pool_only.sh: bufpool configured, installed and linked without the checker's dependencies"
