// CPU kernels of nll_loss, forward and backward, over input [N, C, S] and
// target [N, S]: each of the N * S positions reads one class of the input
// (forward) or writes one class of the gradient (backward), so both are a
// single pass with no temporaries. The reductions sum in double.
#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/index_math.h"
#include "core/parallel.h"
#include "core/reduction.h"

namespace wick::cpu {

namespace {

struct Positions {
  int64_t n, c, s;            // batch, classes, spatial positions
  int64_t in_n, in_c, in_s;   // input strides (elements)
  int64_t t_n, t_s;           // target strides
};

Positions positions(const Tensor& input, const Tensor& target) {
  return {input.size(0), input.size(1), input.size(2), input.stride(0), input.stride(1), input.stride(2),
          target.stride(0), target.stride(1)};
}

[[noreturn]] void out_of_bounds(int64_t t) { WICK_THROW(IndexError, "nll_loss: Target ", t, " is out of bounds."); }

// Positions per parallel chunk.
constexpr int64_t kGrain = 4096;

}  // namespace

void nll_loss(const Tensor& out, const Tensor& total_weight, const Tensor& input, const Tensor& target,
              const Tensor& weight, Reduction reduction, int64_t ignore_index) {
  const Positions p = positions(input, target);
  const int64_t count = p.n * p.s;
  const int64_t* tgt = target.data_ptr<int64_t>();
  dispatch_floating(input.dtype(), "nll_loss", [&]<typename T>() {
    const T* x = input.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    T* y = out.data_ptr<T>();
    // One slot per chunk: partial sums and the first bad target, if any.
    const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>((count + kGrain - 1) / kGrain, 64));
    const int64_t per_chunk = (count + chunks - 1) / std::max<int64_t>(chunks, 1);
    std::vector<double> loss_sum(chunks, 0.0), weight_sum(chunks, 0.0);
    std::vector<int64_t> bad(chunks, 0);
    std::vector<char> has_bad(chunks, 0);
    parallel_for(chunks, 2, [&](int64_t c0, int64_t c1) {
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        double ls = 0, ws = 0;
        const int64_t begin = chunk * per_chunk, end = std::min(count, begin + per_chunk);
        // No spatial positions (an input [N, C, 0]): nothing to read, and no division by 0.
        int64_t i = p.s ? begin / p.s : 0, j = p.s ? begin % p.s : 0;
        for (int64_t k = begin; k < end; ++k) {
          const int64_t t = tgt[i * p.t_n + j * p.t_s];
          T v = 0;
          if (t != ignore_index) {
            if (kernels::index_in_bounds(t, p.c)) {
              const T wt = w ? w[t] : T(1);
              v = kernels::nll_term(wt, x[i * p.in_n + t * p.in_c + j * p.in_s]);
              ls += static_cast<double>(v);
              ws += static_cast<double>(wt);
            } else if (!has_bad[chunk]) {
              has_bad[chunk] = 1;
              bad[chunk] = t;
            }
          }
          if (reduction == Reduction::None) y[k] = v;
          if (++j == p.s) {
            j = 0;
            ++i;
          }
        }
        loss_sum[chunk] = ls;
        weight_sum[chunk] = ws;
      }
    });
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      if (has_bad[chunk]) out_of_bounds(bad[chunk]);
    if (reduction == Reduction::None) {
      // total_weight is only read by the backward of a mean.
      *total_weight.data_ptr<T>() = T(0);
      return;
    }
    double ls = 0, ws = 0;
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      ls += loss_sum[chunk];
      ws += weight_sum[chunk];
    }
    *total_weight.data_ptr<T>() = static_cast<T>(ws);
    // The mean over no (or only zero-weight) targets is 0 / 0 = nan, as in PyTorch.
    *y = static_cast<T>(reduction == Reduction::Mean ? ls / ws : ls);
  });
}

void nll_loss_backward(const Tensor& grad_input, const Tensor& grad_out, const Tensor& target, const Tensor& weight,
                       Reduction reduction, int64_t ignore_index, const Tensor& total_weight) {
  const int64_t n = grad_input.size(0), c = grad_input.size(1), s = grad_input.size(2);
  const int64_t t_n = target.stride(0), t_s = target.stride(1);
  const int64_t* tgt = target.data_ptr<int64_t>();
  dispatch_floating(grad_input.dtype(), "nll_loss_backward", [&]<typename T>() {
    T* gx = grad_input.data_ptr<T>();
    const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
    const T* g = grad_out.data_ptr<T>();
    const bool per_position = reduction == Reduction::None;
    const int64_t g_n = per_position ? grad_out.stride(0) : 0, g_s = per_position ? grad_out.stride(1) : 0;
    T scale = 1;
    if (reduction == Reduction::Mean) scale = 1 / *total_weight.data_ptr<T>();
    // Whole batch rows at a time: zero the row's [C, S] block, then write its S entries.
    parallel_for(n, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c * s, 1)), [&](int64_t b0, int64_t b1) {
      std::memset(static_cast<void*>(gx + b0 * c * s), 0, static_cast<size_t>((b1 - b0) * c * s) * sizeof(T));
      for (int64_t i = b0; i < b1; ++i) {
        for (int64_t j = 0; j < s; ++j) {
          const int64_t t = tgt[i * t_n + j * t_s];
          if (t == ignore_index || !kernels::index_in_bounds(t, c)) continue;  // the forward rejected bad targets
          const T wt = w ? w[t] : T(1);
          gx[(i * c + t) * s + j] = kernels::nll_grad_term(wt, g[i * g_n + j * g_s], scale);
        }
      }
    });
  });
}

}  // namespace wick::cpu
