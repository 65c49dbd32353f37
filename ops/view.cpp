// Views and their derivatives.
//
// Note [Backward of views into a part of the input]
// select, slice, narrow and as_strided pick some elements of their input. The
// gradient of the input is zero except at those elements, where it is the
// view's gradient: view_scatter() builds it by writing the gradient into the
// same view of a zero tensor. view_scatter is itself differentiable (its
// backward takes the same view of its gradient), so gradients of gradients
// through these views work with create_graph.
#include "ops/view.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/indexing.h"

namespace wick {

DimVector infer_size(IntArrayRef shape, int64_t numel, const char* op) {
  DimVector out(shape);
  int64_t known = 1, infer_at = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      WICK_CHECK(infer_at < 0, ValueError, op, ": only one dimension can be inferred (shape ", shape, ")");
      infer_at = static_cast<int64_t>(d);
    } else {
      WICK_CHECK(shape[d] >= 0, ValueError, op, ": invalid shape dimension ", shape[d], " in ", shape);
      known *= shape[d];
    }
  }
  if (infer_at >= 0) {
    WICK_CHECK(known != 0 && numel % known == 0, ValueError, op, ": shape '", shape,
               "' is invalid for input of size ", numel);
    out[infer_at] = numel / known;
  } else {
    WICK_CHECK(known == numel, ValueError, op, ": shape '", shape, "' is invalid for input of size ", numel);
  }
  return out;
}

namespace {

// A view of self: a raw view (Note [Raw views] in core/tensor.h; `offset`
// counts from self's first element) that remembers its base (TensorImpl::view_base).
Tensor view_of(const Tensor& self, IntArrayRef sizes, IntArrayRef strides, int64_t offset = 0) {
  Tensor out = raw_view(self, sizes, strides, offset);
  const IntrusivePtr<TensorImpl>& base = self.impl()->view_base;
  out.impl()->view_base = base ? base : self.impl_ptr();
  return out;
}

// Records node (if any) as the view's grad_fn.
Tensor finish_view(Tensor out, const std::shared_ptr<Node>& node) {
  if (node) set_history(out, node);
  return out;
}

// Strides that let `self` be read as `sizes` without a copy, if any exist
// (PyTorch's computeStride: each run of merged input dims must be contiguous).
std::optional<DimVector> view_strides(IntArrayRef old_sizes, IntArrayRef old_strides, IntArrayRef sizes) {
  DimVector strides(sizes.size(), 1);
  int64_t numel = 1;
  for (int64_t s : old_sizes) numel *= s;
  if (numel == 0 || old_sizes.empty()) return contiguous_strides(sizes);
  int64_t view_d = static_cast<int64_t>(sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(old_sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    if (d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

struct AsStridedScatterBackward0 final : Node {
  DimVector sizes, strides;
  int64_t offset = 0;
  std::string_view name() const override { return "AsStridedScatterBackward0"; }
  TensorList apply(TensorList&& grads) override {
    return {as_strided(grads[0].contiguous(), sizes, strides, offset)};
  }
};

// Zeros of base_sizes with `grad` written into their view (sizes, strides,
// offset): Note [Backward of views into a part of the input].
Tensor view_scatter(const Tensor& grad, IntArrayRef base_sizes, IntArrayRef sizes, IntArrayRef strides,
                    int64_t offset) {
  Tensor out = zeros(base_sizes, TensorOptions(grad.dtype()).device(grad.device()));
  kernel(out.device(), &Backend::copy, "view_scatter")(raw_view(out, sizes, strides, offset), grad);
  if (auto node = make_node<AsStridedScatterBackward0>(grad)) {
    node->sizes = DimVector(sizes);
    node->strides = DimVector(strides);
    node->offset = offset;
    set_history(out, node);
  }
  return out;
}

// Backward of a view that picks part of its input: the pick, described
// relative to a contiguous tensor of the input's shape.
struct PartViewBackward : Node {
  DimVector input_sizes, sizes, strides;
  int64_t offset = 0;
  TensorList apply(TensorList&& grads) override {
    return {view_scatter(grads[0], input_sizes, sizes, strides, offset)};
  }
};
struct SelectBackward0 final : PartViewBackward {
  std::string_view name() const override { return "SelectBackward0"; }
};
struct SliceBackward0 final : PartViewBackward {
  std::string_view name() const override { return "SliceBackward0"; }
};
struct AsStridedBackward0 final : PartViewBackward {
  std::string_view name() const override { return "AsStridedBackward0"; }
};
struct DiagonalBackward0 final : PartViewBackward {
  std::string_view name() const override { return "DiagonalBackward0"; }
};

// True if no two elements of the view share memory.
bool is_non_overlapping(IntArrayRef sizes, IntArrayRef strides) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return strides[a] < strides[b]; });
  int64_t reach = 0;  // furthest element offset covered by the smaller dims
  for (size_t i : order) {
    if (sizes[i] <= 1) continue;
    if (strides[i] <= reach) return false;
    reach += (sizes[i] - 1) * strides[i];
  }
  return true;
}

}  // namespace

// ---- view / reshape --------------------------------------------------------------

struct ViewBackward0 final : Node {
  DimVector self_sizes;
  std::string_view name() const override { return "ViewBackward0"; }
  TensorList apply(TensorList&& grads) override { return {reshape(grads[0], self_sizes)}; }
};

Tensor view(const Tensor& self, IntArrayRef sizes) {
  DimVector shape = infer_size(sizes, self.numel(), "view");
  auto strides = view_strides(self.sizes(), self.strides(), shape);
  WICK_CHECK(strides.has_value(), Error, "view size is not compatible with input tensor's size and stride (at least",
             " one dimension spans across two contiguous subspaces): input ", self.sizes(), " with strides ",
             self.strides(), ", view ", IntArrayRef(shape), ". Use .reshape(...) instead.");
  auto node = make_node<ViewBackward0>(self);
  if (node) node->self_sizes = DimVector(self.sizes());
  return finish_view(view_of(self, shape, *strides), node);
}

Tensor reshape(const Tensor& self, IntArrayRef sizes) {
  DimVector shape = infer_size(sizes, self.numel(), "reshape");
  if (view_strides(self.sizes(), self.strides(), shape)) return view(self, shape);
  return view(clone(self), shape);
}

Tensor flatten(const Tensor& self, int64_t start_dim, int64_t end_dim) {
  if (self.dim() == 0) return reshape(self, {1});
  const int64_t s = wrap_dim(start_dim, self.dim(), "flatten"), e = wrap_dim(end_dim, self.dim(), "flatten");
  WICK_CHECK(s <= e, ValueError, "flatten() has invalid args: start_dim (", start_dim,
             ") cannot come after end_dim (", end_dim, ")");
  if (s == e) return self;
  DimVector shape;
  for (int64_t d = 0; d < s; ++d) shape.push_back(self.sizes()[d]);
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= self.sizes()[d];
  shape.push_back(merged);
  for (int64_t d = e + 1; d < self.dim(); ++d) shape.push_back(self.sizes()[d]);
  return reshape(self, shape);
}

Tensor unflatten(const Tensor& self, int64_t dim, IntArrayRef sizes) {
  const int64_t d = wrap_dim(dim, self.dim(), "unflatten");
  WICK_CHECK(!sizes.empty(), ValueError, "unflatten: sizes must be non-empty");
  DimVector inner = infer_size(sizes, self.sizes()[d], "unflatten");
  DimVector shape;
  for (int64_t k = 0; k < d; ++k) shape.push_back(self.sizes()[k]);
  for (int64_t s : inner) shape.push_back(s);
  for (int64_t k = d + 1; k < self.dim(); ++k) shape.push_back(self.sizes()[k]);
  return view(self, shape);
}

// ---- permute / transpose -----------------------------------------------------------

struct PermuteBackward0 final : Node {
  DimVector inverse;
  std::string_view name() const override { return "PermuteBackward0"; }
  TensorList apply(TensorList&& grads) override { return {permute(grads[0], inverse)}; }
};

Tensor permute(const Tensor& self, IntArrayRef dims) {
  WICK_CHECK(static_cast<int64_t>(dims.size()) == self.dim(), ValueError,
             "permute: number of dimensions in the tensor input does not match the length of the desired "
             "ordering of dimensions i.e. input.dim() = ", self.dim(), " is not equal to len(dims) = ", dims.size());
  DimVector sizes(dims.size()), strides(dims.size()), inverse(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], self.dim(), "permute");
    WICK_CHECK(!seen[static_cast<size_t>(d)], ValueError, "permute: repeated dim ", dims[i], " in ", dims);
    seen[static_cast<size_t>(d)] = true;
    sizes[i] = self.sizes()[d];
    strides[i] = self.strides()[d];
    inverse[static_cast<size_t>(d)] = static_cast<int64_t>(i);
  }
  auto node = make_node<PermuteBackward0>(self);
  if (node) node->inverse = inverse;
  return finish_view(view_of(self, sizes, strides), node);
}

struct TransposeBackward0 final : Node {
  int64_t dim0 = 0, dim1 = 0;
  std::string_view name() const override { return "TransposeBackward0"; }
  TensorList apply(TensorList&& grads) override { return {transpose(grads[0], dim0, dim1)}; }
};

Tensor transpose(const Tensor& self, int64_t dim0, int64_t dim1) {
  const int64_t a = wrap_dim(dim0, self.dim(), "transpose"), b = wrap_dim(dim1, self.dim(), "transpose");
  DimVector sizes(self.sizes()), strides(self.strides());
  if (self.dim() > 0) {
    std::swap(sizes[a], sizes[b]);
    std::swap(strides[a], strides[b]);
  }
  auto node = make_node<TransposeBackward0>(self);
  if (node) {
    node->dim0 = a;
    node->dim1 = b;
  }
  return finish_view(view_of(self, sizes, strides), node);
}

struct TBackward0 final : Node {
  std::string_view name() const override { return "TBackward0"; }
  TensorList apply(TensorList&& grads) override { return {t(grads[0])}; }
};

Tensor t(const Tensor& self) {
  WICK_CHECK(self.dim() <= 2, ValueError, "t() expects a tensor with <= 2 dimensions, but self is ", self.dim(), "D");
  DimVector sizes(self.sizes()), strides(self.strides());
  std::reverse(sizes.begin(), sizes.end());
  std::reverse(strides.begin(), strides.end());
  return finish_view(view_of(self, sizes, strides), make_node<TBackward0>(self));
}

// ---- squeeze / unsqueeze / expand ----------------------------------------------------------

struct SqueezeBackward0 final : Node {
  DimVector self_sizes;
  std::string_view name() const override { return "SqueezeBackward0"; }
  TensorList apply(TensorList&& grads) override { return {reshape(grads[0], self_sizes)}; }
};
struct SqueezeBackward1 final : Node {
  DimVector self_sizes;
  std::string_view name() const override { return "SqueezeBackward1"; }
  TensorList apply(TensorList&& grads) override { return {reshape(grads[0], self_sizes)}; }
};

Tensor squeeze(const Tensor& self) {
  DimVector sizes, strides;
  for (int64_t d = 0; d < self.dim(); ++d)
    if (self.sizes()[d] != 1) {
      sizes.push_back(self.sizes()[d]);
      strides.push_back(self.strides()[d]);
    }
  auto node = make_node<SqueezeBackward0>(self);
  if (node) node->self_sizes = DimVector(self.sizes());
  return finish_view(view_of(self, sizes, strides), node);
}

Tensor squeeze(const Tensor& self, int64_t dim) {
  const int64_t d = wrap_dim(dim, self.dim(), "squeeze");
  DimVector sizes(self.sizes()), strides(self.strides());
  if (self.dim() > 0 && sizes[d] == 1) {
    sizes.erase(static_cast<size_t>(d));
    strides.erase(static_cast<size_t>(d));
  }
  auto node = make_node<SqueezeBackward1>(self);
  if (node) node->self_sizes = DimVector(self.sizes());
  return finish_view(view_of(self, sizes, strides), node);
}

struct UnsqueezeBackward0 final : Node {
  int64_t dim = 0;
  std::string_view name() const override { return "UnsqueezeBackward0"; }
  TensorList apply(TensorList&& grads) override { return {squeeze(grads[0], dim)}; }
};

Tensor unsqueeze(const Tensor& self, int64_t dim) {
  const int64_t d = wrap_dim(dim, self.dim() + 1, "unsqueeze");
  DimVector sizes(self.sizes()), strides(self.strides());
  const int64_t stride = d < self.dim() ? sizes[d] * strides[d] : 1;
  sizes.insert(static_cast<size_t>(d), 1);
  strides.insert(static_cast<size_t>(d), stride);
  auto node = make_node<UnsqueezeBackward0>(self);
  if (node) node->dim = d;
  return finish_view(view_of(self, sizes, strides), node);
}

struct ExpandBackward0 final : Node {
  DimVector self_sizes;
  std::string_view name() const override { return "ExpandBackward0"; }
  TensorList apply(TensorList&& grads) override { return {sum_to(grads[0], self_sizes)}; }
};

Tensor expand(const Tensor& self, IntArrayRef sizes) {
  const int64_t ndim = static_cast<int64_t>(sizes.size());
  WICK_CHECK(ndim >= self.dim(), ValueError, "expand: the number of sizes provided (", ndim,
             ") must be greater or equal to the number of dimensions in the tensor (", self.dim(), ")");
  DimVector out_sizes(sizes), out_strides(sizes.size(), 0);
  const int64_t lead = ndim - self.dim();
  for (int64_t d = ndim - 1; d >= 0; --d) {
    if (d < lead) {
      WICK_CHECK(sizes[d] >= 0, ValueError, "expand: the expanded size of the tensor (", sizes[d],
                 ") isn't allowed in a leading, non-existing dimension ", d);
      continue;
    }
    const int64_t have = self.sizes()[d - lead];
    if (sizes[d] == -1) out_sizes[d] = have;
    WICK_CHECK(out_sizes[d] >= 0, ValueError, "expand: the expanded size ", sizes[d], " at dimension ", d,
               " is negative; a size is -1 (keep the tensor's) or >= 0.  Target sizes: ", sizes,
               ".  Tensor sizes: ", self.sizes());
    WICK_CHECK(have == out_sizes[d] || have == 1, ValueError, "The expanded size of the tensor (", out_sizes[d],
               ") must match the existing size (", have, ") at non-singleton dimension ", d, ".  Target sizes: ",
               sizes, ".  Tensor sizes: ", self.sizes());
    out_strides[d] = have == out_sizes[d] ? self.strides()[d - lead] : 0;
  }
  auto node = make_node<ExpandBackward0>(self);
  if (node) node->self_sizes = DimVector(self.sizes());
  return finish_view(view_of(self, out_sizes, out_strides), node);
}

// ---- narrow / slice / select / as_strided ------------------------------------------------------

Tensor slice(const Tensor& self, int64_t dim, std::optional<int64_t> start_opt, std::optional<int64_t> end_opt,
             int64_t step) {
  WICK_CHECK(self.dim() > 0, IndexError, "slice() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, self.dim(), "slice");
  WICK_CHECK(step > 0, ValueError, "slice step must be positive, got ", step);
  const int64_t n = self.sizes()[d];
  auto clampi = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  const int64_t start = clampi(start_opt.value_or(0));
  const int64_t end = std::max(start, clampi(end_opt.value_or(n)));
  const int64_t len = (end - start + step - 1) / step;
  DimVector sizes(self.sizes()), strides(self.strides());
  sizes[d] = len;
  strides[d] *= step;
  auto node = make_node<SliceBackward0>(self);
  if (node) {
    node->input_sizes = DimVector(self.sizes());
    node->strides = contiguous_strides(self.sizes());
    node->offset = start * node->strides[d];
    node->strides[d] *= step;
    node->sizes = sizes;
  }
  return finish_view(view_of(self, sizes, strides, start * self.strides()[d]), node);
}

Tensor narrow(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  WICK_CHECK(self.dim() > 0, IndexError, "narrow() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, self.dim(), "narrow");
  const int64_t n = self.sizes()[d];
  if (start < 0) start += n;
  WICK_CHECK(start >= 0 && start <= n, IndexError, "start out of range (expected to be in range of [", -n, ", ", n,
             "], but got ", start, ")");
  WICK_CHECK(length >= 0 && start + length <= n, IndexError, "start (", start, ") + length (", length,
             ") exceeds dimension size (", n, ").");
  return slice(self, d, start, start + length, 1);
}

// The diagonal of the (dim1, dim2) planes, offset above (> 0) or below (< 0)
// the main one, as a view: dim1 and dim2 go, a last dim of the diagonal's
// length comes, stepping by the sum of their strides.
Tensor diagonal(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  WICK_CHECK(self.dim() >= 2, ValueError, "diagonal: expected a tensor of at least 2 dimensions, but got shape ",
             self.sizes());
  const int64_t d1 = wrap_dim(dim1, self.dim(), "diagonal"), d2 = wrap_dim(dim2, self.dim(), "diagonal");
  WICK_CHECK(d1 != d2, ValueError, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t n1 = self.size(d1), n2 = self.size(d2);
  // The length, and the first element's position (row, column) in the plane.
  const int64_t row = offset < 0 ? -offset : 0, col = offset > 0 ? offset : 0;
  const int64_t length = std::max<int64_t>(0, std::min(n1 - row, n2 - col));
  auto drop_two = [&](IntArrayRef v, int64_t last) {
    DimVector out;
    for (int64_t d = 0; d < static_cast<int64_t>(v.size()); ++d)
      if (d != d1 && d != d2) out.push_back(v[d]);
    out.push_back(last);
    return out;
  };
  const DimVector sizes = drop_two(self.sizes(), length);
  const DimVector strides = drop_two(self.strides(), self.stride(d1) + self.stride(d2));
  const int64_t start = length == 0 ? 0 : row * self.stride(d1) + col * self.stride(d2);
  auto node = make_node<DiagonalBackward0>(self);
  if (node) {
    const DimVector cs = contiguous_strides(self.sizes());
    node->input_sizes = DimVector(self.sizes());
    node->sizes = sizes;
    node->strides = drop_two(cs, cs[d1] + cs[d2]);
    node->offset = length == 0 ? 0 : row * cs[d1] + col * cs[d2];
  }
  return finish_view(view_of(self, sizes, strides, start), node);
}

// ---- unfold ------------------------------------------------------------------------------------

// Windows may overlap (step < size), so the gradient adds up: window offset k
// of every window reads input position w * step + k, one index_add per k.
struct UnfoldBackward0 final : Node {
  DimVector input_sizes;
  int64_t dim = 0, size = 1, step = 1;
  std::string_view name() const override { return "UnfoldBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];  // [.., windows (at dim), .., size]
    Tensor out = zeros(input_sizes, TensorOptions(g.dtype()).device(g.device()));
    if (input_sizes.empty()) return {reshape(g, {})};
    const int64_t windows = g.size(dim);
    const Tensor starts = mul(arange(windows, TensorOptions(ScalarType::Int64).device(g.device())), wrap_scalar(step));
    for (int64_t k = 0; k < size; ++k)
      out = index_add(out, dim, add(starts, wrap_scalar(k)), select(g, -1, k));
    return {out};
  }
};

Tensor unfold(const Tensor& self, int64_t dimension, int64_t size, int64_t step) {
  WICK_CHECK(self.defined(), ValueError, "unfold: undefined tensor argument");
  const int64_t dim = self.dim() == 0 ? (wrap_dim(dimension, 1, "unfold"), 0) : wrap_dim(dimension, self.dim(), "unfold");
  const int64_t n = self.dim() == 0 ? 1 : self.size(dim);
  WICK_CHECK(size >= 0 && size <= n, ValueError, "unfold: maximum size for tensor at dimension ", dim, " is ", n,
             " but size is ", size);
  WICK_CHECK(step > 0, ValueError, "unfold: step is ", step, " but must be > 0");
  // Dim becomes the window count (stride times step); a new last dim walks a window.
  DimVector sizes(self.sizes()), strides(self.strides());
  const int64_t stride = self.dim() == 0 ? 1 : self.stride(dim);
  if (self.dim() > 0) {
    sizes[dim] = (n - size) / step + 1;
    strides[dim] = stride * step;
  }
  sizes.push_back(size);
  strides.push_back(stride);
  auto node = make_node<UnfoldBackward0>(self);
  if (node) {
    node->input_sizes = DimVector(self.sizes());
    node->dim = dim;
    node->size = size;
    node->step = step;
  }
  return finish_view(view_of(self, sizes, strides, 0), node);
}

Tensor select(const Tensor& self, int64_t dim, int64_t index) {
  WICK_CHECK(self.dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, self.dim(), "select");
  const int64_t n = self.sizes()[d];
  WICK_CHECK(index >= -n && index < n, IndexError, "select(): index ", index, " out of range for tensor of size ",
             self.sizes(), " at dimension ", d);
  if (index < 0) index += n;
  DimVector sizes(self.sizes()), strides(self.strides());
  sizes.erase(static_cast<size_t>(d));
  strides.erase(static_cast<size_t>(d));
  auto node = make_node<SelectBackward0>(self);
  if (node) {
    node->input_sizes = DimVector(self.sizes());
    DimVector cs = contiguous_strides(self.sizes());
    node->offset = index * cs[d];
    cs.erase(static_cast<size_t>(d));
    node->strides = cs;
    node->sizes = sizes;
  }
  return finish_view(view_of(self, sizes, strides, index * self.strides()[d]), node);
}

// Note [as_strided's backward in general]
// When the input is contiguous and the view does not overlap itself, the
// view's gradient is written into the same view of zeros (view_scatter).
// Otherwise, as PyTorch's as_strided_backward does, the gradient goes through
// the memory both geometries read: each view element's gradient is added at
// its storage position (elements that share one add up), and each input
// element takes the sum at its position, divided by the number of input
// elements that share the position (so that a self-overlapping input, e.g. an
// expanded one, is not counted twice). Built from index_add and index_select,
// it is differentiable again.
namespace {

// The storage position, relative to the input's first element, of every element of a geometry.
Tensor storage_positions(IntArrayRef sizes, IntArrayRef strides, int64_t offset, Device device) {
  Tensor pos = full({}, offset, TensorOptions(ScalarType::Int64).device(device));
  for (size_t d = 0; d < sizes.size(); ++d) {
    const Tensor index = arange(sizes[d], TensorOptions(ScalarType::Int64).device(device));
    pos = add(unsqueeze(pos, -1), index, strides[d]);  // pos + index * stride, broadcast
  }
  return reshape(pos, {-1});
}

int64_t reach(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  int64_t last = offset;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return offset;
    last += (sizes[d] - 1) * strides[d];
  }
  return last;
}

struct AsStridedGeneralBackward final : Node {
  DimVector input_sizes, input_strides, sizes, strides;
  int64_t offset = 0;  // the view's first element, relative to the input's
  bool input_overlaps = false;
  std::string_view name() const override { return "AsStridedBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& grad = grads[0];
    const int64_t shift = std::min<int64_t>(0, offset);  // positions are made non-negative
    const int64_t length =
        std::max(reach(input_sizes, input_strides, 0), reach(sizes, strides, offset)) - shift + 1;
    const Tensor in_pos = storage_positions(input_sizes, input_strides, -shift, grad.device());
    const Tensor out_pos = storage_positions(sizes, strides, offset - shift, grad.device());
    const TensorOptions options = TensorOptions(grad.dtype()).device(grad.device());
    Tensor storage = index_add(zeros({length}, options), 0, out_pos, reshape(grad, {-1}));
    if (input_overlaps) {
      const Tensor count = index_add(zeros({length}, options), 0, in_pos, ones({in_pos.numel()}, options));
      storage = div(storage, clamp(count, Scalar(1.0), std::nullopt));
    }
    return {reshape(index_select(storage, 0, in_pos), input_sizes)};
  }
};

}  // namespace

Tensor as_strided(const Tensor& self, IntArrayRef sizes, IntArrayRef strides, std::optional<int64_t> offset) {
  WICK_CHECK(sizes.size() == strides.size(), ValueError, "as_strided: got ", sizes.size(), " sizes but ",
             strides.size(), " strides");
  const int64_t off = offset.value_or(self.storage_offset());
  WICK_CHECK(off >= 0, ValueError, "as_strided: negative storage offset ", off);
  int64_t last = off;
  bool empty_view = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    WICK_CHECK(sizes[d] >= 0 && strides[d] >= 0, ValueError, "as_strided: negative size or stride in ", sizes, " / ",
               strides);
    empty_view = empty_view || sizes[d] == 0;
    last += (sizes[d] - 1) * strides[d];
  }
  const int64_t capacity =
      static_cast<int64_t>(self.impl()->storage()->nbytes() / itemsize(self.dtype()));
  WICK_CHECK(empty_view || last < capacity, IndexError, "as_strided: setStorage: sizes ", sizes, ", strides ", strides,
             " and storage offset ", off, " require a storage of ", last + 1, " elements, but it holds ", capacity);
  const int64_t relative = off - self.storage_offset();
  if (self.requires_grad() && !(self.is_contiguous() && is_non_overlapping(sizes, strides))) {
    auto general = make_node<AsStridedGeneralBackward>(self);  // Note [as_strided's backward in general]
    if (general) {
      general->input_sizes = DimVector(self.sizes());
      general->input_strides = DimVector(self.strides());
      general->sizes = DimVector(sizes);
      general->strides = DimVector(strides);
      general->offset = relative;
      general->input_overlaps = !is_non_overlapping(self.sizes(), self.strides());
    }
    return finish_view(view_of(self, sizes, strides, relative), general);
  }
  auto node = make_node<AsStridedBackward0>(self);
  if (node) {
    node->input_sizes = DimVector(self.sizes());
    node->sizes = DimVector(sizes);
    node->strides = DimVector(strides);
    node->offset = off - self.storage_offset();
  }
  return finish_view(view_of(self, sizes, strides, off - self.storage_offset()), node);
}

// ---- in-place views and set_: Note [In-place view ops] in ops/view.h -------------------------------------

namespace {

// The checks every in-place op makes on self under autograd (autograd/function.cpp's check_inplace), without
// the read-only and overlap checks: these ops write no element.
void check_inplace_geometry(const Tensor& self, const char* op) {
  WICK_CHECK(self.defined(), ValueError, op, ": undefined tensor");
  if (!GradMode::is_enabled()) return;
  const TensorImpl* impl = self.impl();
  WICK_CHECK(!(impl->requires_grad && !impl->grad_fn), Error, op,
             ": a leaf Variable that requires grad is being used in an in-place operation.");
  const TensorImpl* base = impl->view_base.get();
  WICK_CHECK(!(base && base->requires_grad && !base->grad_fn), Error, op,
             ": a view of a leaf Variable that requires grad is being used in an in-place operation.");
}

}  // namespace

const Tensor& inplace_view(const Tensor& self, const char* op, const std::function<Tensor(const Tensor&)>& view_op) {
  check_inplace_geometry(self, op);
  const Tensor view = view_op(self);
  TensorImpl* impl = self.impl();
  impl->storage()->bump_version();
  impl->set_sizes_and_strides(view.sizes(), view.strides(), view.storage_offset());
  if (view.impl()->grad_fn) {
    impl->grad_fn = view.impl()->grad_fn;
    impl->output_nr = view.impl()->output_nr;
  }
  return self;
}

namespace {

void check_set_source(const Tensor& self, const Tensor& source) {
  check_inplace_geometry(self, "set_");
  WICK_CHECK(source.defined(), ValueError, "set_: undefined source tensor");
  WICK_CHECK(source.dtype() == self.dtype(), TypeError, "set_: expected a source of dtype ", self.dtype(),
             " (self's), got ", source.dtype());
  WICK_CHECK(source.device() == self.device(), ValueError, "set_: expected a source on ", self.device(),
             " (self's device), got one on ", source.device());
  WICK_CHECK(!(GradMode::is_enabled() && (self.requires_grad() || source.requires_grad())), NotImplementedError,
             "set_: the derivative for set_ is not implemented (as in PyTorch); call set_ under no_grad()");
}

}  // namespace

const Tensor& set_(const Tensor& self, const Tensor& source) {
  return set_(self, source, source.storage_offset(), source.sizes(), source.strides());
}

const Tensor& set_(const Tensor& self, const Tensor& source, int64_t storage_offset, IntArrayRef sizes,
                   IntArrayRef strides) {
  check_set_source(self, source);
  const DimVector st = strides.empty() && !sizes.empty() ? contiguous_strides(sizes) : DimVector(strides);
  WICK_CHECK(st.size() == sizes.size(), ValueError, "set_: got ", sizes.size(), " sizes but ", st.size(),
             " strides");
  WICK_CHECK(storage_offset >= 0, ValueError, "set_: negative storage offset ", storage_offset);
  int64_t last = storage_offset;
  bool empty_view = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    WICK_CHECK(sizes[d] >= 0 && st[d] >= 0, ValueError, "set_: negative size or stride in ", sizes, " / ", st);
    empty_view = empty_view || sizes[d] == 0;
    if (!empty_view) {
      WICK_CHECK(st[d] == 0 || sizes[d] - 1 <= (std::numeric_limits<int64_t>::max() - last) / st[d], ValueError,
                 "set_: sizes ", sizes, " with strides ", st, " overflow int64");
      last += (sizes[d] - 1) * st[d];
    }
  }
  const int64_t capacity = static_cast<int64_t>(source.impl()->storage()->nbytes() / itemsize(source.dtype()));
  WICK_CHECK(empty_view || last < capacity, IndexError, "set_: sizes ", sizes, ", strides ", st,
             " and storage offset ", storage_offset, " require a storage of ", last + 1,
             " elements, but the source's holds ", capacity);
  const DimVector sz(sizes);  // (sizes may be self's own, which set_data replaces)
  TensorImpl* impl = self.impl();
  impl->storage()->bump_version();
  impl->set_data(*source.impl());
  impl->set_sizes_and_strides(sz, st, storage_offset);
  return self;
}

const Tensor& set_(const Tensor& self) {
  check_inplace_geometry(self, "set_");
  WICK_CHECK(!(GradMode::is_enabled() && self.requires_grad()), NotImplementedError,
             "set_: the derivative for set_ is not implemented (as in PyTorch); call set_ under no_grad()");
  const Tensor fresh = empty({0}, TensorOptions(self.dtype()).device(self.device()));
  self.impl()->storage()->bump_version();
  self.impl()->set_data(*fresh.impl());
  return self;
}

bool is_set_to(const Tensor& self, const Tensor& other) {
  WICK_CHECK(self.defined() && other.defined(), ValueError, "is_set_to: undefined tensor");
  return self.impl()->storage().get() == other.impl()->storage().get() &&
         self.storage_offset() == other.storage_offset() && self.sizes() == other.sizes() &&
         self.strides() == other.strides();
}

// ---- contiguous / clone / detach --------------------------------------------------------------------

struct CloneBackward0 final : Node {
  std::string_view name() const override { return "CloneBackward0"; }
  TensorList apply(TensorList&& grads) override { return {grads[0]}; }
};

Tensor clone(const Tensor& self) {
  Tensor out = empty(self.sizes(), TensorOptions(self.dtype()).device(self.device()));
  kernel(out.device(), &Backend::copy, "clone")(out, self);
  if (auto node = make_node<CloneBackward0>(self)) set_history(out, node);
  return out;
}

Tensor contiguous(const Tensor& self) { return self.is_contiguous() ? self : clone(self); }

Tensor detach(const Tensor& self) { return raw_view(self, self.sizes(), self.strides()); }

// ---- methods ------------------------------------------------------------------------------------------

Tensor Tensor::view(IntArrayRef sizes) const { return wick::view(*this, sizes); }
Tensor Tensor::reshape(IntArrayRef sizes) const { return wick::reshape(*this, sizes); }
Tensor Tensor::permute(IntArrayRef dims) const { return wick::permute(*this, dims); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return wick::transpose(*this, d0, d1); }
Tensor Tensor::t() const { return wick::t(*this); }
Tensor Tensor::squeeze() const { return wick::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return wick::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(int64_t dim) const { return wick::unsqueeze(*this, dim); }
Tensor Tensor::expand(IntArrayRef sizes) const { return wick::expand(*this, sizes); }
Tensor Tensor::expand_as(const Tensor& other) const { return wick::expand(*this, other.sizes()); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return wick::flatten(*this, s, e); }
Tensor Tensor::unflatten(int64_t dim, IntArrayRef sizes) const { return wick::unflatten(*this, dim, sizes); }
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const { return wick::narrow(*this, dim, start, length); }
Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  return wick::slice(*this, dim, start, end, step);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return wick::select(*this, dim, index); }
Tensor Tensor::operator[](int64_t index) const { return wick::select(*this, 0, index); }
Tensor Tensor::as_strided(IntArrayRef sizes, IntArrayRef strides, std::optional<int64_t> offset) const {
  return wick::as_strided(*this, sizes, strides, offset);
}
Tensor Tensor::contiguous() const { return wick::contiguous(*this); }
Tensor Tensor::clone() const { return wick::clone(*this); }
Tensor Tensor::detach() const { return wick::detach(*this); }
const Tensor& Tensor::detach_() const {
  if (impl_->grad_fn || impl_->requires_grad) {
    WICK_CHECK(!impl_->view_base, Error, "Can't detach views in-place. Use detach() instead.");
    release_node(std::move(impl_->grad_fn));
    impl_->requires_grad = false;
  }
  return *this;
}

}  // namespace wick
