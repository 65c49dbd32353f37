// One core's float32 FMA peak, measured: independent chains of fused
// multiply-adds (16 on AVX-512, 12 on AVX2 + FMA: enough to cover the FMA
// latency on every current x86-64 core) on the widest vectors the CPU has. Prints
// GFLOP/s (2 flops per lane per FMA). bench/versus.py builds and runs it to
// state the cnn step's share of the peak.
//
//   g++ -O3 bench/fma_peak.cpp -o fma_peak && ./fma_peak
#include <immintrin.h>

#include <chrono>
#include <cstdio>

namespace {

constexpr long kIters = 50'000'000;
constexpr int kChains = 16;

double gflops(int lanes, double seconds) { return 2.0 * lanes * kChains * static_cast<double>(kIters) / seconds / 1e9; }

// (The two loops are written out: a lambda does not inherit its caller's target.)
__attribute__((target("avx512f"))) double avx512() {
  __m512 acc[kChains];
  // Distinct starting values, or the compiler merges the identical chains.
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f);
  const auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, m);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m512 total = acc[0];
  for (int i = 1; i < kChains; ++i) total = _mm512_add_ps(total, acc[i]);
  float out[16];
  _mm512_storeu_ps(out, total);
  volatile float sink = out[0];
  (void)sink;
  return gflops(16, s);
}

__attribute__((target("avx2,fma"))) double avx2() {
  // 12 chains: AVX2 has 16 vector registers.
  constexpr int kUsed = 12;
  __m256 acc[kUsed];
  for (int i = 0; i < kUsed; ++i) acc[i] = _mm256_set1_ps(1.0f + static_cast<float>(i) * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.999999f);
  const auto t0 = std::chrono::steady_clock::now();
  for (long it = 0; it < kIters; ++it)
    for (int i = 0; i < kUsed; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, m);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  __m256 total = acc[0];
  for (int i = 1; i < kUsed; ++i) total = _mm256_add_ps(total, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, total);
  volatile float sink = out[0];
  (void)sink;
  return gflops(8, s) * kUsed / kChains;
}

}  // namespace

int main() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    std::printf("%.1f AVX-512\n", avx512());
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    std::printf("%.1f AVX2\n", avx2());
  } else {
    std::printf("0 none (no FMA)\n");
  }
}
