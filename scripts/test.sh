#!/usr/bin/env bash
# The test command (README.md): installs the Debian packages the build needs,
# builds wick once (Release, with the CUDA backend where nvcc is found: the
# library, the C++ tests and the Python module), runs the C++ suites, installs
# the Python package from that same build into a venv (pip install .) and runs
# the Python suites against PyTorch, then builds again with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the C++ suites again.
#
#   scripts/test.sh              everything
#   WICK_SKIP_SANITIZERS=1 ...   only the Release build
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(cmake ninja-build g++ libopenblas-dev libopenblas0-openmp libgtest-dev libgmock-dev zlib1g-dev
          python3-dev python3-venv python3-numpy python3-pytest python3-torch pybind11-dev)
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
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWICK_CUDA="${WICK_CUDA:-AUTO}" -DWICK_BUILD_PYTHON=ON \
  -DPython_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build -j "$jobs"
echo "== C++ tests (Release)"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== Python package (pip install . into build/venv, from the build above) and its tests"
rm -rf build/venv
/usr/bin/python3 -m venv --system-site-packages build/venv
WICK_BUILD_DIR="$PWD/build" build/venv/bin/pip install --quiet --no-build-isolation --no-index .
root=$PWD
(cd /tmp && "$root/build/venv/bin/python" -m pytest "$root/tests/python" -q)

if [ -z "${WICK_SKIP_SANITIZERS:-}" ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWICK_SANITIZE=ON -DWICK_CUDA=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== C++ tests (ASan/UBSan)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
fi
