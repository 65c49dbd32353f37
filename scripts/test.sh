#!/usr/bin/env bash
# The test command (README.md): installs the Debian packages the build needs,
# checks that no #include runs upward through the layers (and that this check
# can fail), builds wick once (Release, with the CUDA backend where nvcc is
# found: the library, the C++ tests and the Python module), runs the C++
# suites, installs the library (cmake --install) and builds and runs a
# separate CMake project against it (examples/cpp/consumer), installs
# the Python package from that same build into a venv (pip install .) and runs
# the Python suites against PyTorch, then builds again with clang,
# AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer targets of
# tests/fuzz, and runs the C++ suites again with a short run of each fuzzer.
#
#   scripts/test.sh              everything
#   WICK_SKIP_SANITIZERS=1 ...   only the Release build
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/common.sh
install_packages "${BUILD_PACKAGES[@]}" "${TRAIN_PACKAGES[@]}" libgtest-dev libgmock-dev python3-pytest python3-torch
if [ -z "${WICK_SKIP_SANITIZERS:-}" ]; then install_packages "${SANITIZER_PACKAGES[@]}"; fi

echo "== Layers: no #include runs upward (scripts/check_layers.py), and the check can fail"
python3 scripts/check_layers.py
python3 scripts/check_layers.py --self-test

release_build
echo "== C++ tests (Release)"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== Installed package: cmake --install, then examples/cpp/consumer built against it"
rm -rf build/install build/consumer
cmake --install build --prefix build/install >/dev/null
cmake -S examples/cpp/consumer -B build/consumer -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -Dwick_DIR="$PWD/build/install/lib/cmake/wick" >/dev/null
cmake --build build/consumer
build/consumer/consumer | tee build/consumer/output.txt
grep -q "^wick consumer: .*: ok$" build/consumer/output.txt

install_python_package
echo "== Python tests"
root=$PWD
(cd /tmp && "$root/build/venv/bin/python" -m pytest "$root/tests/python" -q -rs)

if [ -z "${WICK_SKIP_SANITIZERS:-}" ]; then
  # clang: libFuzzer comes with it, and it builds this configuration about four times faster than g++.
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build (clang, with the fuzz targets)"
  if [ -f build-asan/CMakeCache.txt ] && ! grep -q "^CMAKE_CXX_COMPILER:.*clang++" build-asan/CMakeCache.txt; then
    rm -rf build-asan  # configured with g++ by an older wick: CMake cannot switch a build's compiler
  fi
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWICK_SANITIZE=ON -DWICK_FUZZ=ON \
    -DWICK_CUDA=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build-asan -j "$jobs"
  echo "== C++ tests and fuzzers (ASan/UBSan)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
fi
