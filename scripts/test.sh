#!/usr/bin/env bash
# The test command (README.md): installs the Debian packages the build needs,
# builds wick once (Release, with the CUDA backend where nvcc is found) and
# runs every test suite from that build, then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suites again.
#
#   scripts/test.sh              everything
#   WICK_SKIP_SANITIZERS=1 ...   only the Release build
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(cmake ninja-build g++ libopenblas-dev libopenblas0-openmp libgtest-dev libgmock-dev zlib1g-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

jobs=$(nproc)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$jobs}

echo "== Release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWICK_CUDA="${WICK_CUDA:-AUTO}" >/dev/null
cmake --build build -j "$jobs"
echo "== C++ tests (Release)"
(cd build && ctest --output-on-failure -j "$jobs")

if [ -z "${WICK_SKIP_SANITIZERS:-}" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWICK_SANITIZE=ON -DWICK_CUDA=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== C++ tests (ASan/UBSan)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
fi
