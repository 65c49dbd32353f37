#include "core/cpu_features.h"

#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace wick::cpu {

namespace {

#if defined(__x86_64__)
struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  Regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) return {};
  return r;
}

bool bit(uint32_t reg, int b) { return (reg >> b) & 1u; }

// The register state the OS saves on a context switch (XCR0); an instruction
// set is usable only when the OS saves its registers.
uint64_t xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

CpuFeatures read_features() {
  CpuFeatures f;
  const Regs r0 = cpuid(0);
  const uint32_t max_leaf = r0.eax;
  char vendor[13] = {};
  std::memcpy(vendor, &r0.ebx, 4);
  std::memcpy(vendor + 4, &r0.edx, 4);
  std::memcpy(vendor + 8, &r0.ecx, 4);
  f.vendor = vendor;

  const Regs r1 = cpuid(1);
  const int base_family = (r1.eax >> 8) & 0xF, base_model = (r1.eax >> 4) & 0xF;
  f.family = base_family == 0xF ? base_family + static_cast<int>((r1.eax >> 20) & 0xFF) : base_family;
  f.model = base_family == 0x6 || base_family == 0xF ? base_model + static_cast<int>(((r1.eax >> 16) & 0xF) << 4)
                                                     : base_model;
  f.stepping = static_cast<int>(r1.eax & 0xF);

  const bool osxsave = bit(r1.ecx, 27);
  const uint64_t xcr = osxsave ? xcr0() : 0;
  const bool os_ymm = (xcr & 0x6) == 0x6;             // SSE and AVX state
  const bool os_zmm = os_ymm && (xcr & 0xE0) == 0xE0;  // opmask, upper zmm0-15, zmm16-31
  const bool os_tile = (xcr & 0x60000) == 0x60000;     // XTILECFG, XTILEDATA

  f.sse3 = bit(r1.ecx, 0);
  f.ssse3 = bit(r1.ecx, 9);
  f.sse4_1 = bit(r1.ecx, 19);
  f.sse4_2 = bit(r1.ecx, 20);
  f.movbe = bit(r1.ecx, 22);
  f.popcnt = bit(r1.ecx, 23);
  f.avx = os_ymm && bit(r1.ecx, 28);
  f.fma = os_ymm && bit(r1.ecx, 12);
  f.f16c = os_ymm && bit(r1.ecx, 29);

  if (max_leaf >= 7) {
    const Regs r7 = cpuid(7, 0);
    f.bmi1 = bit(r7.ebx, 3);
    f.bmi2 = bit(r7.ebx, 8);
    f.avx2 = os_ymm && bit(r7.ebx, 5);
    f.avx512f = os_zmm && bit(r7.ebx, 16);
    f.avx512dq = os_zmm && bit(r7.ebx, 17);
    f.avx512cd = os_zmm && bit(r7.ebx, 28);
    f.avx512bw = os_zmm && bit(r7.ebx, 30);
    f.avx512vl = os_zmm && bit(r7.ebx, 31);
    f.avx512_vnni = os_zmm && bit(r7.ecx, 11);
    f.avx512_fp16 = os_zmm && bit(r7.edx, 23);
    f.amx_bf16 = os_tile && bit(r7.edx, 22);
    f.amx_tile = os_tile && bit(r7.edx, 24);
    f.amx_int8 = os_tile && bit(r7.edx, 25);
    if (r7.eax >= 1) f.avx512_bf16 = os_zmm && bit(cpuid(7, 1).eax, 5);
  }

  const uint32_t max_ext = cpuid(0x80000000).eax;
  if (max_ext >= 0x80000001) f.lzcnt = bit(cpuid(0x80000001).ecx, 5);
  if (max_ext >= 0x80000004) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    std::string b = brand;
    const size_t first = b.find_first_not_of(' '), last = b.find_last_not_of(' ');
    f.brand = first == std::string::npos ? "" : b.substr(first, last - first + 1);
  }
  return f;
}
#else
CpuFeatures read_features() { return {}; }
#endif

}  // namespace

IsaLevel CpuFeatures::level() const {
  const bool v2 = sse3 && ssse3 && sse4_1 && sse4_2 && popcnt;
  const bool v3 = v2 && avx && avx2 && fma && f16c && bmi1 && bmi2 && lzcnt && movbe;
  const bool v4 = v3 && avx512f && avx512bw && avx512cd && avx512dq && avx512vl;
  return v4 ? IsaLevel::V4 : v3 ? IsaLevel::V3 : v2 ? IsaLevel::V2 : IsaLevel::Baseline;
}

std::vector<std::string> CpuFeatures::names() const {
  const std::pair<bool, const char*> all[] = {
      {sse3, "sse3"},         {ssse3, "ssse3"},       {sse4_1, "sse4_1"},           {sse4_2, "sse4_2"},
      {popcnt, "popcnt"},     {avx, "avx"},           {avx2, "avx2"},               {fma, "fma"},
      {f16c, "f16c"},         {bmi1, "bmi1"},         {bmi2, "bmi2"},               {lzcnt, "lzcnt"},
      {movbe, "movbe"},       {avx512f, "avx512f"},   {avx512bw, "avx512bw"},       {avx512cd, "avx512cd"},
      {avx512dq, "avx512dq"}, {avx512vl, "avx512vl"}, {avx512_vnni, "avx512_vnni"}, {avx512_bf16, "avx512_bf16"},
      {avx512_fp16, "avx512_fp16"}, {amx_tile, "amx_tile"}, {amx_bf16, "amx_bf16"}, {amx_int8, "amx_int8"}};
  std::vector<std::string> out;
  for (const auto& [present, name] : all)
    if (present) out.emplace_back(name);
  return out;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = read_features();
  return features;
}

const char* to_string(IsaLevel level) {
  switch (level) {
    case IsaLevel::Baseline: return "x86-64";
    case IsaLevel::V2: return "x86-64-v2";
    case IsaLevel::V3: return "x86-64-v3";
    case IsaLevel::V4: return "x86-64-v4";
  }
  return "x86-64";
}

}  // namespace wick::cpu
