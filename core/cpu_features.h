// What the CPU wick runs on can do, read once with CPUID: its vendor, name,
// family and model, and the instruction sets both it and the operating system
// support (an AVX-512 CPU whose OS does not save the zmm registers counts as
// having no AVX-512). wick chooses kernels by these features, never by a
// table of CPU models (Note [Choosing OpenBLAS's kernels] in
// backends/cpu/blas.cpp).
#pragma once

#include <string>
#include <vector>

namespace wick::cpu {

// x86-64 microarchitecture levels, as GCC and the psABI name them.
enum class IsaLevel {
  Baseline,  // x86-64: SSE2
  V2,        // + SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT
  V3,        // + AVX, AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE
  V4,        // + AVX-512 F, BW, CD, DQ, VL
};

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ... ("" off x86-64)
  std::string brand;   // e.g. "AMD EPYC 9R14 96-Core Processor"
  int family = 0;      // display family and model, as /proc/cpuinfo shows them
  int model = 0;
  int stepping = 0;

  bool sse3 = false, ssse3 = false, sse4_1 = false, sse4_2 = false, popcnt = false;
  bool avx = false, avx2 = false, fma = false, f16c = false, bmi1 = false, bmi2 = false, lzcnt = false,
       movbe = false;
  bool avx512f = false, avx512bw = false, avx512cd = false, avx512dq = false, avx512vl = false;
  bool avx512_vnni = false, avx512_bf16 = false, avx512_fp16 = false;
  bool amx_tile = false, amx_bf16 = false, amx_int8 = false;

  IsaLevel level() const;
  // The names of the instruction sets present, in /proc/cpuinfo's spelling
  // ("sse4_2", "avx2", "avx512f", "avx512_bf16", ...).
  std::vector<std::string> names() const;
};

// This machine's features, read on the first call.
const CpuFeatures& cpu_features();

// "x86-64", "x86-64-v2", "x86-64-v3" or "x86-64-v4".
const char* to_string(IsaLevel level);

}  // namespace wick::cpu
