#!/usr/bin/env bash
# The prepared GPU check (issue 12): everything wick's CUDA backend must show on
# a machine with an NVIDIA GPU, in one run of under 8 minutes.
#
#   scripts/gpu-check.sh --stage   here, on the Debian build machine: gathers what the
#                                  GPU machine lacks into .gpu/ (Debian packages of
#                                  OpenBLAS, GoogleTest, pybind11, zlib; Fashion-MNIST)
#   scripts/gpu-check.sh           on the GPU machine (the device tool: carry [".gpu"]):
#
#   1. builds wick with CUDA (sm_90 only, to be quick) with the tests and the Python module;
#   2. runs the per-device C++ suites (*OnDevice*, Cuda*) and counts the cuda cases;
#   3. runs the CUDA cases again under compute-sanitizer memcheck, where the machine has it;
#   4. trains the cnn for one epoch with the C++ program (examples/cpp) on cuda;
#   5. runs the Python tests' cuda cases (pytest -k cuda) against the machine's PyTorch, the
#      differential tester with wick on cuda (tests/python/difftest), and trains the cnn for one epoch on Fashion-MNIST with --device cuda, with wick and
#      with PyTorch, and prints test accuracy, samples/s and their ratio.
#
# Every step has a time limit and the script goes on past a failed step; the summary
# is printed last and written, with a tarball of the logs, to $OUT (the device tool
# brings that folder back) or bench/results/. Exit status: 0 when every step passed.
set -uo pipefail
cd "$(dirname "$0")/.."

stage() {
  set -e
  rm -rf .gpu && mkdir -p .gpu/debs .gpu/data
  # The runtime and headers of OpenBLAS (OpenMP build; it needs libgfortran), GoogleTest
  # and GoogleMock, pybind11 and zlib, as Debian 12 ships them: unpacked there with dpkg -x.
  (cd .gpu/debs && apt-get download libopenblas0-openmp libopenblas-openmp-dev libopenblas-dev libgfortran5 \
     libquadmath0 libgtest-dev libgmock-dev pybind11-dev zlib1g-dev)
  source scripts/common.sh
  install_packages dataset-fashion-mnist
  local f
  for f in $(dpkg -L dataset-fashion-mnist | grep -- '-ubyte.gz$'); do cp "$f" .gpu/data/; done
  du -sh .gpu
  echo "staged: run 'bash scripts/gpu-check.sh' on the GPU machine with .gpu carried"
}

if [ "${1:-}" = "--stage" ]; then stage; exit; fi

root=$PWD
results=${OUT:-bench/results}  # the device tool brings back at most 8 files: the summary and one tarball of logs
out=/tmp/wick-gpu-check-logs
rm -rf "$out" && mkdir -p "$out" "$results"
summary="$out/gpu-check-summary.txt"
: >"$summary"
status=0
note() { echo "$*" | tee -a "$summary"; }
# The whole check stays inside the device tool's 10-minute command limit, with room for the
# machine's start: a step gets its own limit or what is left of the budget, whichever is less.
budget=${GPU_CHECK_BUDGET:-480}
# step NAME SECONDS COMMAND...: runs COMMAND with a time limit, its output in $out/NAME.log.
step() {
  local name=$1 limit=$2 t0=$SECONDS rc
  shift 2
  if [ $((budget - SECONDS)) -lt 15 ]; then
    note "$name: skipped, the ${budget} s budget is spent"
    status=1
    return 1
  fi
  [ "$limit" -le $((budget - SECONDS)) ] || limit=$((budget - SECONDS))
  echo "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$out/$name.log" 2>&1
  rc=$?
  tail -n 15 "$out/$name.log"
  note "$name: rc $rc in $((SECONDS - t0)) s"
  [ "$rc" -eq 0 ] || status=1
  return "$rc"
}

export PATH="$PATH:/usr/local/cuda/bin:/usr/local/cuda/compute-sanitizer"  # nvcc, compute-sanitizer
note "gpu-check $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
note "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)"
note "$(nvcc --version 2>&1 | tail -1)"
note "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"

# ---- what the machine lacks, from .gpu/ ------------------------------------------------------------
prefix=/tmp/wick-gpu-prefix
rm -rf "$prefix" && mkdir -p "$prefix"
if [ -d .gpu/debs ]; then
  for deb in .gpu/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
else
  note "no .gpu/ folder: run 'scripts/gpu-check.sh --stage' here and carry .gpu"
fi
lib=$prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python=$(command -v python3)
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DWICK_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
            -DWICK_CBLAS_INCLUDE="$prefix/usr/include/x86_64-linux-gnu/openblas-openmp"
            -DWICK_OPENBLAS="$lib/openblas-openmp/libopenblas.so.0"
            -DGTest_DIR="$lib/cmake/GTest" -DCMAKE_PREFIX_PATH="$prefix/usr")
# zlib: the machine's own library (Debian's libz.a is not built for a shared object, which the
# Python module is), with its header or, where the machine has none, the carried one.
zlib_so=$(ldconfig -p 2>/dev/null | awk '/libz\.so\.1 .*x86-64/ {print $NF; exit}')
zlib_include=/usr/include
[ -f "$zlib_include/zlib.h" ] || zlib_include=$prefix/usr/include
cmake_args+=(-DZLIB_INCLUDE_DIR="$zlib_include" -DZLIB_LIBRARY="${zlib_so:-$lib/libz.a}")
# The Python module, for the machine's own python3 (the one holding PyTorch), where its headers are.
py_include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
with_python=0
if [ -f "$py_include/Python.h" ]; then
  with_python=1
  pybind_dir=$("$python" -m pybind11 --cmakedir 2>/dev/null || echo "$prefix/usr/lib/cmake/pybind11")
  cmake_args+=(-DWICK_BUILD_PYTHON=ON -DPython_EXECUTABLE="$python" -Dpybind11_DIR="$pybind_dir")
else
  note "python: no Python.h for $python: the Python suites and the training comparison are skipped"
fi

# ---- 1. build ------------------------------------------------------------------------------------------
step configure 120 cmake -S . -B build-gpu "${cmake_args[@]}" &&
  step build 240 cmake --build build-gpu -j "$(nproc)" ||
  { note "the build failed: nothing else runs"; cp "$summary" "$results/"; tar -C "$out" -czf "$results/gpu-check-logs.tar.gz" .; exit 1; }

# ---- 2. the per-device C++ suites ------------------------------------------------------------------------
# Per-device cases are named Devices/Suite.Test/cuda (WICK_ON_EACH_DEVICE, tests/cpp/test_util.h).
cuda_filter='*/cuda:Cuda*'
step cpp 90 build-gpu/wick_tests --gtest_filter="$cuda_filter" --gtest_brief=1
note "  C++: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/cpp.log" | tr '\n' ' ')"

# ---- 3. compute-sanitizer ------------------------------------------------------------------------------
if command -v compute-sanitizer >/dev/null; then
  step memcheck 90 compute-sanitizer --tool memcheck --error-exitcode 9 \
    build-gpu/wick_tests --gtest_filter="$cuda_filter" --gtest_brief=1
  note "  memcheck: $(grep -m1 'ERROR SUMMARY' "$out/memcheck.log" || echo 'no summary')"
else
  note "memcheck: compute-sanitizer is not on this machine"
fi

# ---- 4. the C++ training program, 5. the Python suites and the Python training program ----
if [ -d .gpu/data ]; then
  step train-cpp 90 build-gpu/train_fashion_mnist --device cuda --model cnn --epochs 1 --data "$root/.gpu/data" \
    --out /tmp/run-cpp
  note "  C++ cnn 1 epoch, cuda: $(grep -o 'test accuracy [0-9.]*' "$out/train-cpp.log")"
fi
# --------------------------------------------------------------
if [ "$with_python" = 1 ]; then
  site=/tmp/wick-gpu-site
  rm -rf "$site" && mkdir -p "$site"
  cp -r python/wick "$site/" && cp build-gpu/_C*.so "$site/wick/"
  export PYTHONPATH=$site
  step pytest 100 env -C /tmp "$python" -m pytest "$root/tests/python" -q -k cuda --maxfail=50 -p no:cacheprovider
  note "  $(tail -n 1 "$out/pytest.log")"
  # The differential tester with wick on cuda and PyTorch on the CPU (its known.py is PyTorch 1.13's).
  step difftest 60 env -C "$root/tests/python" "$python" -m difftest --device cuda --calls 12000 --seed 1 \
    --workers 8 --timeout 20
  note "  difftest on cuda: $(grep -m2 -E 'calls in|cases differ' "$out/difftest.log" | tr '\n' ' ')"
  note "  difftest crash/hang groups: $(grep -cE '^  (crash|hang) ' "$out/difftest.log")"
  if [ -d .gpu/data ]; then
    for fw in wick torch; do
      step "train-$fw" 90 env -C /tmp "$python" -m wick.examples.train --framework "$fw" --device cuda \
        --model cnn --epochs 1 --data "$root/.gpu/data" --out "/tmp/run-$fw" --no-progress
    done
    rate() { grep -o '[0-9,]* samples/s' "$out/train-$1.log" | head -1 | tr -d ','; }
    acc() { grep -o 'test accuracy [0-9.]*' "$out/train-$1.log" | tail -1; }
    note "  cnn 1 epoch, cuda: wick $(acc wick), $(rate wick); torch $(acc torch), $(rate torch)"
    w=$(rate wick | cut -d' ' -f1) t=$(rate torch | cut -d' ' -f1)
    [ -n "$w" ] && [ -n "$t" ] && note "  wick/torch training samples/s: $(awk "BEGIN{printf \"%.2f\", $w/$t}")"
  else
    note "training: no .gpu/data (Fashion-MNIST) carried"
  fi
fi

cp "$summary" "$results/"
tar -C "$out" -czf "$results/gpu-check-logs.tar.gz" .
echo
echo "==== summary ($results/gpu-check-summary.txt; the logs in $results/gpu-check-logs.tar.gz)"
cat "$summary"
exit "$status"
