// Copying between dtypes and devices; fill_ and zero_.
#include "ops/copy.h"

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/view.h"

namespace wick {

namespace {
// The backend that runs a copy: the non-CPU side's, when one is on a GPU.
void run_copy(const Tensor& dst, const Tensor& src, const char* op) {
  const Device d = dst.device().is_cpu() ? src.device() : dst.device();
  kernel(d, &Backend::copy, op)(dst, src);
}
}  // namespace

struct CopyBackwards final : Node {
  DimVector src_sizes;
  ScalarType src_dtype = ScalarType::Float32;
  Device src_device;
  std::string_view name() const override { return "CopyBackwards"; }
  TensorList apply(TensorList&& grads) override {
    // dst's old values were overwritten: they get no gradient.
    TensorList out(2);
    if (needs_input_grad(1)) out[1] = sum_to(grads[0], src_sizes).to(src_device, src_dtype);
    return out;
  }
};

const Tensor& copy_(const Tensor& dst, const Tensor& src) {
  WICK_CHECK(src.defined() && dst.defined(), ValueError, "copy_: undefined tensor");
  DimVector shape = broadcast_shapes(dst.sizes(), src.sizes());
  WICK_CHECK(IntArrayRef(shape) == dst.sizes(), ValueError, "copy_: the source of shape ", src.sizes(),
             " cannot be broadcast to the destination's shape ", dst.sizes());
  // x.copy_(x) writes nothing (PyTorch returns before its overlap checks).
  const bool same = src.is_same(dst);
  check_inplace(dst, "copy_", {src}, same ? SelfOverlap::Allow : SelfOverlap::Refuse);
  Tensor from;
  if (!same) {
    NoGradGuard no_grad;
    // A source that shares memory with the destination is read whole first.
    from = src.impl()->storage() == dst.impl()->storage() ? clone(src) : src;
    if (from.sizes() != dst.sizes()) from = expand(from, dst.sizes());
  }
  if (!same && dst.numel() > 0) run_copy(dst, from, "copy_");
  // An integer or bool destination holds no gradient, whatever src is (as in PyTorch).
  if (!dst.is_floating_point()) return dst;
  if (auto node = make_node<CopyBackwards>(dst, src)) {
    node->src_sizes = DimVector(src.sizes());
    node->src_dtype = src.dtype();
    node->src_device = src.device();
    rebase_history(dst, node);
  }
  return dst;
}

struct ToCopyBackward0 final : Node {
  ScalarType self_dtype = ScalarType::Float32;
  Device self_device;
  std::string_view name() const override { return "ToCopyBackward0"; }
  TensorList apply(TensorList&& grads) override { return {grads[0].to(self_device, self_dtype)}; }
};

Tensor to(const Tensor& self, Device device, ScalarType dtype, bool copy) {
  if (!copy && self.device() == device && self.dtype() == dtype) return self;
  Tensor out = empty(self.sizes(), TensorOptions(dtype).device(device));
  if (self.numel() > 0) run_copy(out, self, "to");
  // An integer or bool result holds no gradient: it is cut from the graph (as in PyTorch, x.long()).
  if (!is_floating_point(dtype)) return out;
  if (auto node = make_node<ToCopyBackward0>(self)) {
    node->self_dtype = self.dtype();
    node->self_device = self.device();
    set_history(out, node);
  }
  return out;
}

struct FillBackward0 final : Node {
  std::string_view name() const override { return "FillBackward0"; }
  TensorList apply(TensorList&&) override { return {Tensor()}; }  // old values are gone
};

const Tensor& fill_(const Tensor& self, Scalar value) {
  value = checked_convert(value, self.dtype(), "fill_");  // Note [Checked scalar conversion]
  // One value per location: PyTorch allows filling an expanded tensor.
  check_inplace(self, "fill_", {}, SelfOverlap::Allow);
  if (self.numel() > 0) kernel(self.device(), &Backend::fill, "fill_")(self, value);
  if (auto node = make_node<FillBackward0>(self)) rebase_history(self, node);
  return self;
}

const Tensor& zero_(const Tensor& self) { return fill_(self, 0); }

Tensor Tensor::to(ScalarType dtype) const { return wick::to(*this, device(), dtype); }
Tensor Tensor::to(Device device) const { return wick::to(*this, device, dtype()); }
Tensor Tensor::to(Device device, ScalarType dtype) const { return wick::to(*this, device, dtype); }
const Tensor& Tensor::copy_(const Tensor& src) const { return wick::copy_(*this, src); }
const Tensor& Tensor::fill_(Scalar value) const { return wick::fill_(*this, value); }
const Tensor& Tensor::zero_() const { return wick::zero_(*this); }

}  // namespace wick
