// wick's side of the comparison (bench/run.sh runs it next to bench_torch).
#include <benchmark/benchmark.h>

#include "bench/op_bench.h"
#include "wick.h"

namespace {

struct Wick {
  using Tensor = wick::Tensor;

  static Tensor rand(const std::vector<int64_t>& sizes, bool requires_grad) {
    return wick::rand(sizes, wick::TensorOptions(wick::ScalarType::Float32).requires_grad(requires_grad));
  }
  static Tensor mm(const Tensor& a, const Tensor& b) { return wick::mm(a, b); }
  static void clear_grad(const Tensor& t) { t.set_grad(Tensor()); }

  // Allocator traffic per iteration: tensors allocated, and how many of those
  // missed the caching allocator's free lists (a malloc).
  struct AllocCounter {
    wick::MemoryStats before = wick::memory_stats();
    void report(benchmark::State& state) const {
      const wick::MemoryStats after = wick::memory_stats();
      state.counters["allocs"] = benchmark::Counter(static_cast<double>(after.num_allocs - before.num_allocs),
                                                    benchmark::Counter::kAvgIterations);
      state.counters["sys_allocs"] =
          benchmark::Counter(static_cast<double>(after.num_system_allocs - before.num_system_allocs),
                             benchmark::Counter::kAvgIterations);
    }
  };
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("framework", "wick");
  benchmark::AddCustomContext("threads", std::to_string(wick::get_num_threads()));
  wick_bench::register_all<Wick>();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
