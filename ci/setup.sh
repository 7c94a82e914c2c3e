#!/usr/bin/env bash
# Installs exactly what poolcheck builds with, from Debian's packages. Idempotent: apt-get runs
# only when a package is missing, so a second run is a no-op.
set -euo pipefail

packages=(
  cmake ninja-build g++ python3
  clang-14 libclang-rt-14-dev          # the asan and tsan presets; clang's sanitizer runtimes
  libgtest-dev libgmock-dev            # GoogleTest
  librapidcheck-dev                    # RapidCheck (rapidcheck_gtest)
  libbenchmark-dev                     # Google Benchmark (bench/)
  libmimalloc-dev libjemalloc-dev      # bench/: the allocators the pools are measured against
  libcli11-dev                         # CLI11 (the stress command)
  nlohmann-json3-dev                   # JSON reports
  python3-yaml                         # tests/campaign: reads the campaign recipes' YAML
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "ci/setup.sh: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "ci/setup.sh: all packages present"
fi
