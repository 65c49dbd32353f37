// What the CPU backend runs on and with: the CPU and its instruction sets,
// the kernels chosen for them (wick's own vector loops, OpenBLAS's gemm), and
// the thread counts. Python: wick.backends.cpu.info() and
// wick.__config__.show() (PyTorch's torch.__config__.show() and threadpoolctl
// are the models).
#pragma once

#include <string>

#include "core/cpu_features.h"

namespace wick::cpu {

struct BlasInfo {
  std::string library;    // "OpenBLAS"
  std::string version;    // "0.3.21"
  std::string config;     // openblas_get_config(): version, build options, core
  std::string path;       // the file wick opened
  std::string core;       // the kernels in use, e.g. "SkylakeX"
  std::string core_isa;   // their instruction set: "SSE", "AVX", "AVX2", "AVX-512" or "unknown"
  std::string chosen_by;  // who chose them: wick, the environment, or OpenBLAS
  int threads = 1;        // the threads one product may use
};

struct BackendInfo {
  CpuFeatures cpu;
  std::string cpu_isa;       // the strongest kernel instruction set the CPU runs ("AVX-512", ...)
  std::string loop_kernels;  // the clones of wick's own vector loops that run here, "x86-64-v4", "x86-64-v3" or "x86-64"
  BlasInfo blas;
  int threads = 1;  // wick's OpenMP pool (wick.get_num_threads())
};

// Loads OpenBLAS if no product has yet.
BlasInfo blas_info();
// The strongest BLAS kernel instruction set the CPU (and its OS) can run.
std::string best_kernel_isa(const CpuFeatures& features);
BackendInfo info();
// info() as a few lines of text, for logs and bug reports.
std::string info_string();

}  // namespace wick::cpu
