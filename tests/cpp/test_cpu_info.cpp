// The CPU's features as wick reads them (against the kernel's /proc/cpuinfo),
// the OpenBLAS kernels chosen for them (Note [Choosing OpenBLAS's kernels]),
// wick::cpu::info(), and wick::warn's handler. The forced-weaker case needs a
// fresh process: tests/python/test_cpu_info.py runs it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "wick.h"

using namespace wick;

namespace {

// The "flags", "cpu family" and "model" of the first processor in /proc/cpuinfo.
struct ProcCpu {
  bool found = false;
  std::set<std::string> flags;
  int family = -1, model = -1;
};

ProcCpu read_proc_cpuinfo() {
  ProcCpu p;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (p.found) break;  // the end of the first processor's block
      continue;
    }
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "flags") {
      std::istringstream words(value);
      std::string w;
      while (words >> w) p.flags.insert(w);
      p.found = true;
    } else if (key == "cpu family") {
      p.family = std::stoi(value);
    } else if (key == "model") {
      p.model = std::stoi(value);
    }
  }
  return p;
}

// /proc/cpuinfo's name for one of CpuFeatures::names().
std::string proc_name(const std::string& name) {
  if (name == "sse3") return "pni";
  if (name == "lzcnt") return "abm";
  return name;
}

}  // namespace

TEST(CpuInfo, FeaturesAgreeWithProcCpuinfo) {
  const ProcCpu proc = read_proc_cpuinfo();
  if (!proc.found) GTEST_SKIP() << "no /proc/cpuinfo flags on this system";
  const cpu::CpuFeatures& f = cpu::cpu_features();
  EXPECT_EQ(f.family, proc.family);
  EXPECT_EQ(f.model, proc.model);
  const std::set<std::string> ours = [&] {
    const auto v = f.names();
    return std::set<std::string>(v.begin(), v.end());
  }();
  for (const char* name : {"sse3", "ssse3", "sse4_1", "sse4_2", "popcnt", "avx", "avx2", "fma", "f16c", "bmi1",
                           "bmi2", "lzcnt", "movbe", "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl",
                           "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"}) {
    EXPECT_EQ(ours.count(name) == 1, proc.flags.count(proc_name(name)) == 1)
        << name << " (" << proc_name(name) << " in /proc/cpuinfo)";
  }
  // Every x86-64 CPU has SSE2, and a level is a superset of the one below it.
  const cpu::IsaLevel level = f.level();
  if (level >= cpu::IsaLevel::V3) {
    EXPECT_TRUE(f.avx2 && f.fma && f.sse4_2);
  }
  if (level == cpu::IsaLevel::V4) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl);
  }
  if (f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl && f.avx2 && f.fma) {
    EXPECT_EQ(level, cpu::IsaLevel::V4);
  }
}

TEST(CpuInfo, OpenBlasRunsTheStrongestKernelsTheCpuHas) {
  const cpu::BlasInfo blas = cpu::blas_info();
  const std::string best = cpu::best_kernel_isa(cpu::cpu_features());
  EXPECT_EQ(blas.library, "OpenBLAS");
  EXPECT_FALSE(blas.version.empty()) << blas.config;
  EXPECT_GE(blas.threads, 1);
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) {
    // The machine's own setting is left alone (and weaker kernels warned about: the Python test).
    EXPECT_NE(blas.chosen_by.find(forced), std::string::npos) << blas.chosen_by;
    GTEST_SKIP() << "OPENBLAS_CORETYPE=" << forced << " is set: OpenBLAS runs " << blas.core;
  }
  if (best == "SSE") {
    EXPECT_EQ(blas.chosen_by, "OpenBLAS, by the CPU's model");
  } else {
    EXPECT_EQ(blas.chosen_by, "wick, by the CPU's instruction sets");
    EXPECT_EQ(blas.core_isa, best) << "OpenBLAS runs its " << blas.core << " kernels";
  }
  // wick removed the variable it set for OpenBLAS: child processes see the user's environment.
  EXPECT_EQ(std::getenv("OPENBLAS_CORETYPE"), nullptr);
}

TEST(CpuInfo, InfoNamesTheCpuTheKernelsAndTheThreads) {
  set_num_threads(2);
  const cpu::BackendInfo i = cpu::info();
  EXPECT_EQ(i.threads, 2);
  EXPECT_EQ(i.cpu_isa, cpu::best_kernel_isa(i.cpu));
  const cpu::CpuFeatures& f = cpu::cpu_features();
#if defined(__GNUC__) && !defined(__clang__)
  // The loops have x86-64-v4, v3 and baseline clones: the strongest the CPU has runs.
  EXPECT_EQ(i.loop_kernels, f.level() == cpu::IsaLevel::V2 ? "x86-64" : cpu::to_string(f.level()));
#else
  EXPECT_EQ(i.loop_kernels, "default");  // clones are GCC's (WICK_VECTOR_CLONES); the sanitizer build uses clang
#endif
  const std::string text = cpu::info_string();
  for (const std::string& part : {f.vendor, i.blas.core, i.blas.version, i.loop_kernels, std::string("threads: 2")})
    EXPECT_NE(text.find(part), std::string::npos) << part << " not in:\n" << text;
}

TEST(Warning, GoesToTheHandlerThenBackToStderr) {
  std::string seen;
  WarningHandler old = set_warning_handler([&](const std::string& m) { seen = m; });
  warn("slow");
  EXPECT_EQ(seen, "slow");
  set_warning_handler(std::move(old));
  ::testing::internal::CaptureStderr();
  warn("to stderr");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "wick: warning: to stderr\n");
}
