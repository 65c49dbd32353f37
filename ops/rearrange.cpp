// flip, roll, tril, triu, trace: forwards from existing ops (index_select,
// narrow and cat, a mask with where) run under NoGradGuard, and each records
// one node of PyTorch's name whose backward is the same kind of op.
#include "ops/rearrange.h"

#include <algorithm>
#include <vector>

#include "autograd/function.h"
#include "autograd/grad_mode.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

// ---- flip -------------------------------------------------------------------------------------

struct FlipBackward0 final : Node {
  DimVector dims;
  std::string_view name() const override { return "FlipBackward0"; }
  TensorList apply(TensorList&& grads) override { return {flip(grads[0], dims)}; }
};

Tensor flip(const Tensor& self, IntArrayRef dims) {
  WICK_CHECK(self.defined(), ValueError, "flip: undefined tensor argument");
  const DimVector ds = wrap_dims(dims, self.dim(), "flip");
  Tensor out;
  {
    NoGradGuard no_grad;
    if (self.dim() == 0 || ds.empty()) {
      out = self.clone();
    } else {
      out = self;
      for (int64_t d : ds) {
        const int64_t n = self.size(d);
        out = index_select(out, d, arange(n - 1, -1, -1, TensorOptions(ScalarType::Int64).device(self.device())));
      }
    }
  }
  if (auto node = make_node<FlipBackward0>(self)) {
    node->dims = ds;
    set_history(out, node);
  }
  return out;
}

// ---- roll -------------------------------------------------------------------------------------

struct RollBackward0 final : Node {
  DimVector shifts, dims;
  std::string_view name() const override { return "RollBackward0"; }
  TensorList apply(TensorList&& grads) override {
    DimVector back;
    for (int64_t s : shifts) back.push_back(-s);
    return {roll(grads[0], back, dims)};
  }
};

Tensor roll(const Tensor& self, IntArrayRef shifts, IntArrayRef dims) {
  WICK_CHECK(self.defined(), ValueError, "roll: undefined tensor argument");
  WICK_CHECK(!shifts.empty(), ValueError, "roll: `shifts` required");
  WICK_CHECK(dims.empty() ? shifts.size() == 1 : shifts.size() == dims.size(), ValueError,
             "roll: shifts and dimensions must align. shifts: ", shifts.size(), ", dims: ", dims.size());
  Tensor out;
  DimVector ds;
  {
    NoGradGuard no_grad;
    if (dims.empty()) {  // the flattened tensor, shifted, in self's shape
      const Tensor flat = reshape(self, {self.numel()});
      out = reshape(roll(flat, shifts, {0}), self.sizes());
    } else {
      ds = wrap_dims(dims, self.dim(), "roll");
      out = self;
      for (size_t i = 0; i < ds.size(); ++i) {
        const int64_t n = out.size(ds[i]);
        if (n == 0) continue;
        const int64_t s = ((shifts[i] % n) + n) % n;  // in [0, n)
        if (s == 0) continue;
        out = cat({narrow(out, ds[i], n - s, s), narrow(out, ds[i], 0, n - s)}, ds[i]);
      }
      if (out.is_same(self)) out = self.clone();
    }
  }
  if (auto node = make_node<RollBackward0>(self)) {
    node->shifts = DimVector(shifts);
    node->dims = DimVector(dims);
    set_history(out, node);
  }
  return out;
}

// ---- tril, triu ---------------------------------------------------------------------------------

namespace {

// self with the elements outside its triangle set to zero: lower keeps
// column - row <= diagonal, upper keeps column - row >= diagonal.
Tensor triangle(const Tensor& self, int64_t diagonal, bool lower) {
  const int64_t rows = self.size(-2), cols = self.size(-1);
  const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(self.device());
  const Tensor offset = sub(arange(cols, index_options), unsqueeze(arange(rows, index_options), 1));  // [rows, cols]
  const Tensor keep = lower ? le(offset, wrap_scalar(diagonal)) : ge(offset, wrap_scalar(diagonal));
  return where(keep, self, zeros_like(self));
}

}  // namespace

struct TrilBackward0 final : Node {
  int64_t diagonal = 0;
  std::string_view name() const override { return "TrilBackward0"; }
  TensorList apply(TensorList&& grads) override { return {tril(grads[0], diagonal)}; }
};
struct TriuBackward0 final : Node {
  int64_t diagonal = 0;
  std::string_view name() const override { return "TriuBackward0"; }
  TensorList apply(TensorList&& grads) override { return {triu(grads[0], diagonal)}; }
};

namespace {

template <typename Backward>
Tensor triangle_op(const Tensor& self, int64_t diagonal, bool lower, const char* op) {
  WICK_CHECK(self.defined() && self.dim() >= 2, ValueError, op, ": input tensor must have at least 2 dimensions, got ",
             self.defined() ? self.dim() : 0);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = triangle(self, diagonal, lower);
  }
  if (auto node = make_node<Backward>(self)) {
    node->diagonal = diagonal;
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor tril(const Tensor& self, int64_t diagonal) { return triangle_op<TrilBackward0>(self, diagonal, true, "tril"); }
Tensor triu(const Tensor& self, int64_t diagonal) { return triangle_op<TriuBackward0>(self, diagonal, false, "triu"); }

// ---- trace ------------------------------------------------------------------------------------

Tensor trace(const Tensor& self) {
  WICK_CHECK(self.defined() && self.dim() == 2, ValueError, "trace: expected a matrix, but got tensor with dim ",
             self.defined() ? self.dim() : 0);
  return sum(diagonal(self));
}

}  // namespace wick
