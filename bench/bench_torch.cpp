// libtorch's side of the comparison: the same loops as bench_wick.cpp
// (bench/op_bench.h), through torch::Tensor and torch::autograd.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include "bench/op_bench.h"

namespace {

struct Torch {
  using Tensor = torch::Tensor;

  static Tensor rand(const std::vector<int64_t>& sizes, bool requires_grad) {
    return torch::rand(sizes, torch::TensorOptions().dtype(torch::kFloat32).requires_grad(requires_grad));
  }
  static Tensor mm(const Tensor& a, const Tensor& b) { return torch::mm(a, b); }
  static void clear_grad(const Tensor& t) { t.mutable_grad().reset(); }

  // c10's CPU allocator keeps no statistics we could read here.
  struct AllocCounter {
    void report(benchmark::State&) const {}
  };
};

// The OpenBLAS core libtorch's BLAS picked (it links Debian's libblas.so.3,
// OpenBLAS's pthread build by default); looked up at run time because the
// symbol is not part of libtorch's interface.
std::string openblas_core() {
  using Fn = char* (*)();
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return fn ? fn() : "not OpenBLAS";
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("framework", "libtorch " TORCH_VERSION);
  benchmark::AddCustomContext("threads", std::to_string(torch::get_num_threads()));
  benchmark::AddCustomContext("openblas_core", openblas_core());
  wick_bench::register_all<Torch>();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
