// The benchmark bodies shared by bench_wick.cpp and bench_torch.cpp: one
// template per loop, instantiated with an adapter for each framework, so both
// run exactly the same code. Benchmark names are the join key for compare.py.
//
// An adapter F provides:
//   using Tensor;
//   static Tensor rand(const std::vector<int64_t>& sizes, bool requires_grad);  // float32
//   static Tensor mm(const Tensor& a, const Tensor& b);
//   static void clear_grad(const Tensor& t);  // zero_grad(set_to_none=True)
//   struct AllocCounter { AllocCounter(); void report(benchmark::State&); };
//
// The file is C++17: the libtorch binary is built with the standard its headers
// were written for.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wick_bench {

// How the inputs of an overhead benchmark take part in autograd.
enum class Mode {
  kPlain,       // no input requires grad: no graph is recorded
  kGradFwd,     // inputs require grad: forward only (the graph is built, then dropped)
  kGradFwdBwd,  // forward, backward() to the leaves, then the leaves' grads reset
};

inline const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kPlain: return "plain";
    case Mode::kGradFwd: return "grad_fwd";
    case Mode::kGradFwdBwd: return "grad_fwd_bwd";
  }
  return "?";
}

// Per-op cost on 1-element float32 tensors: argument checks, type promotion,
// allocation, dispatch, graph recording; the arithmetic itself is noise.
template <class F, class Op>
void overhead(benchmark::State& state, Mode mode, const std::vector<std::vector<int64_t>>& shapes, Op op) {
  using Tensor = typename F::Tensor;
  std::vector<Tensor> in;
  for (const auto& sizes : shapes) in.push_back(F::rand(sizes, mode != Mode::kPlain));
  typename F::AllocCounter allocs;
  for (auto _ : state) {
    Tensor y = op(in);
    if (mode == Mode::kGradFwdBwd) {
      y.backward();
      for (const Tensor& t : in) F::clear_grad(t);
    }
    benchmark::DoNotOptimize(y);
  }
  allocs.report(state);
}

// Throughput over n contiguous float32 elements, on as many threads as the
// framework decides (both split work above 32768 elements).
template <class F, class Op>
void elementwise(benchmark::State& state, int64_t bytes_per_element, Op op) {
  using Tensor = typename F::Tensor;
  const int64_t n = state.range(0);
  const Tensor a = F::rand({n}, false), b = F::rand({n}, false);
  for (auto _ : state) {
    Tensor y = op(a, b);
    benchmark::DoNotOptimize(y);
  }
  state.SetBytesProcessed(state.iterations() * n * bytes_per_element);
}

// Square float32 matrix product.
template <class F>
void gemm(benchmark::State& state) {
  using Tensor = typename F::Tensor;
  const int64_t n = state.range(0);
  const Tensor a = F::rand({n, n}, false), b = F::rand({n, n}, false);
  for (auto _ : state) {
    Tensor c = F::mm(a, b);
    benchmark::DoNotOptimize(c);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * static_cast<double>(n) * n * n,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

template <class F, class Op>
void register_overhead(const std::string& op_name, std::vector<std::vector<int64_t>> shapes, Op op) {
  for (Mode mode : {Mode::kPlain, Mode::kGradFwd, Mode::kGradFwdBwd}) {
    benchmark::RegisterBenchmark(("overhead/" + op_name + "/" + mode_name(mode)).c_str(),
                                 [=](benchmark::State& state) { overhead<F>(state, mode, shapes, op); });
  }
}

template <class F, class Op>
void register_elementwise(const std::string& op_name, int64_t bytes_per_element, Op op) {
  benchmark::RegisterBenchmark(("elementwise/" + op_name).c_str(),
                               [=](benchmark::State& state) { elementwise<F>(state, bytes_per_element, op); })
      ->Arg(int64_t{1} << 14)  // below the grain: one thread
      ->Arg(int64_t{1} << 16)  // two chunks
      ->Arg(int64_t{1} << 20)
      ->UseRealTime();
}

inline void register_gemm(void (*fn)(benchmark::State&)) {
  benchmark::RegisterBenchmark("gemm", fn)
      ->Arg(256)
      ->Arg(1024)
      ->Arg(2048)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

template <class F>
void register_all() {
  using Tensor = typename F::Tensor;
  using Inputs = std::vector<Tensor>;
  const std::vector<int64_t> one = {1};
  register_overhead<F>("add", {one, one}, [](const Inputs& x) { return x[0] + x[1]; });
  register_overhead<F>("mul_scalar", {one}, [](const Inputs& x) { return x[0] * 2; });
  register_overhead<F>("relu", {one}, [](const Inputs& x) { return x[0].relu(); });
  register_overhead<F>("sum", {one}, [](const Inputs& x) { return x[0].sum(); });
  register_overhead<F>("view", {{1, 1}}, [](const Inputs& x) { return x[0].view({1}); });
  register_overhead<F>("transpose", {{1, 1}}, [](const Inputs& x) { return x[0].transpose(0, 1); });
  register_overhead<F>("chain", {one, one, one},
                       [](const Inputs& x) { return (x[0] * x[1] + x[2]).relu().sum(); });

  register_elementwise<F>("add", 12, [](const Tensor& a, const Tensor& b) { return a + b; });
  register_elementwise<F>("relu", 8, [](const Tensor& a, const Tensor&) { return a.relu(); });
  register_elementwise<F>("sum", 4, [](const Tensor& a, const Tensor&) { return a.sum(); });

  register_gemm(&gemm<F>);
}

}  // namespace wick_bench
