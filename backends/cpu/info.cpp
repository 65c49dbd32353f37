#include "backends/cpu/info.h"

#include <sstream>

#include "backends/cpu/vec_math.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

BackendInfo info() {
  BackendInfo i;
  i.cpu = cpu_features();
  i.cpu_isa = best_kernel_isa(i.cpu);
  i.loop_kernels = loop_clone_level();
  i.blas = blas_info();
  i.threads = get_num_threads();
  return i;
}

std::string info_string() {
  const BackendInfo i = info();
  std::ostringstream s;
  s << "CPU: " << (i.cpu.brand.empty() ? "unknown" : i.cpu.brand) << " (" << i.cpu.vendor << ", family "
    << i.cpu.family << ", model " << i.cpu.model << ")\n"
    << "instruction sets: " << join(i.cpu.names()) << " (level " << to_string(i.cpu.level()) << ")\n"
    << "wick's vector loops: " << i.loop_kernels << " clones\n"
    << "BLAS: " << i.blas.library << " " << i.blas.version << ", " << i.blas.core << " kernels (" << i.blas.core_isa
    << "; this CPU runs " << i.cpu_isa << "), chosen by " << i.blas.chosen_by << "\n"
    << "BLAS library: " << i.blas.path << " (" << i.blas.config << ")\n"
    << "threads: " << i.threads << " (wick's OpenMP pool), " << i.blas.threads << " (BLAS)\n";
  return s.str();
}

}  // namespace wick::cpu
