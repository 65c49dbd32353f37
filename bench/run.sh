#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs wick, libtorch and OpenBLAS side by
# side in one environment, then prints one comparison table (bench/compare.py).
#
#   bench/run.sh                              # everything, about 2 minutes on a quiet machine
#   bench/run.sh --benchmark_filter=overhead  # extra arguments go to every binary
#
# WICK_BENCH_THREADS (default 2) sets OMP_NUM_THREADS for all of them;
# WICK_BENCH_ROUNDS (default 2) is how many times the binaries run, in turn, so
# that a burst of load on a shared machine hits both frameworks alike; the
# table keeps each benchmark's best repetition. Results land in
# $WICK_BENCH_BUILD/results (default build dir: build-bench).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${WICK_BENCH_BUILD:-$root/build-bench}
rounds=${WICK_BENCH_ROUNDS:-2}
out=$build/results

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWICK_CUDA=OFF \
  -DWICK_BUILD_BENCH=ON -DWICK_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_wick bench_blas >/dev/null
has_torch=0
if ninja -C "$build" -t targets all 2>/dev/null | grep -q '^bench_torch:'; then
  cmake --build "$build" --target bench_torch >/dev/null
  has_torch=1
fi

export OMP_NUM_THREADS=${WICK_BENCH_THREADS:-2}
echo "OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}" \
  "OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-<unset>} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-<unset>}"

rm -rf "$out"
mkdir -p "$out"
# Overhead benchmarks do ~1 us per iteration, gemm/2048 ~100 ms: 0.1 s per
# repetition is enough for both and keeps the whole run short.
flags=(--benchmark_min_time=0.1 --benchmark_repetitions=3 --benchmark_out_format=json)
binaries=(wick blas)
((has_torch)) && binaries=(wick torch blas)
for ((r = 1; r <= rounds; r++)); do
  for b in "${binaries[@]}"; do
    echo "round $r/$rounds: bench_$b" >&2
    "$build/bench/bench_$b" "${flags[@]}" --benchmark_out="$out/$b.$r.json" "$@" >"$out/$b.$r.log" 2>&1 ||
      { cat "$out/$b.$r.log" >&2; exit 1; }
  done
done

args=(--wick "$out"/wick.*.json --blas "$out"/blas.*.json)
((has_torch)) && args+=(--torch "$out"/torch.*.json)
python3 "$root/bench/compare.py" "${args[@]}" | tee "$out/table.md"
