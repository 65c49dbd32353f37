// Indexing, joining and splitting, with their derivatives.
//
// Index tensors may be int64 or int32 (converted to int64 here); every index
// value is range-checked before a kernel runs, since kernels run inside
// parallel regions and cannot report errors. split/chunk/unbind return views
// (narrow/select), whose own derivatives cover them; stack is unsqueeze + cat.
#include "ops/indexing.h"

#include <algorithm>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "core/mem_overlap.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/scan.h"
#include "ops/view.h"

namespace wick {

namespace {

// PyTorch's ensure_nonempty_dim/size: a 0-dim tensor counts as one element along one dim.
int64_t nonempty_dim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }
int64_t nonempty_size(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.sizes()[d]; }

void check_defined(const Tensor& t, const char* op, const char* what) {
  WICK_CHECK(t.defined(), ValueError, op, ": undefined tensor given as ", what);
}

// The index as int64 on self's device: TypeError for other dtypes.
Tensor checked_index(const Tensor& index, const Tensor& self, const char* op) {
  check_defined(index, op, "index");
  WICK_CHECK(index.dtype() == ScalarType::Int64 || index.dtype() == ScalarType::Int32, TypeError, op,
             ": Expected dtype int64 (or int32) for index, but got an index of dtype ", index.dtype(), " and shape ",
             index.sizes());
  WICK_CHECK(index.device() == self.device(), ValueError, op,
             ": Expected all tensors to be on the same device, but got index on ", index.device(), " and self on ",
             self.device());
  if (index.dtype() == ScalarType::Int64) return index;
  NoGradGuard no_grad;
  return index.to(ScalarType::Int64);
}

// Every value of an int64 index lies in [0, size); IndexError naming one that does not.
// A CUDA index is checked by the kernel that reads it, which raises at the
// next synchronization (Note [Device-side index errors] in
// backends/cuda/device_error.h): reading its min and max here would wait for
// the GPU at every call.
void check_index_range(const Tensor& index, int64_t size, int64_t dim, const char* op) {
  if (index.numel() == 0 || index.device().is_cuda()) return;
  NoGradGuard no_grad;
  const int64_t lo = min(index).item<int64_t>();
  WICK_CHECK(lo >= 0, IndexError, op, ": index ", lo, " is out of bounds for dimension ", dim, " with size ", size);
  const int64_t hi = max(index).item<int64_t>();
  WICK_CHECK(hi < size, IndexError, op, ": index ", hi, " is out of bounds for dimension ", dim, " with size ", size);
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  WICK_CHECK(a.device() == b.device(), ValueError, op, ": Expected all tensors to be on the same device, but got ",
             what, " on ", b.device(), " and self on ", a.device());
}

// t, or a copy of it when it shares memory with `target` (about to be written).
Tensor unaliased(const Tensor& t, const Tensor& target) {
  if (t.impl()->storage() != target.impl()->storage()) return t;
  NoGradGuard no_grad;
  return clone(t);
}

// Pads `grad` with zeros at the end of each dim up to `sizes` (src of a
// scatter may be larger than its index); differentiable.
Tensor pad_to(Tensor grad, IntArrayRef sizes) {
  if (grad.dim() != static_cast<int64_t>(sizes.size())) return grad;  // 0-dim vs [1]: the engine reshapes
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (grad.sizes()[d] == sizes[d]) continue;
    DimVector shape(grad.sizes());
    shape[d] = sizes[d] - grad.sizes()[d];
    grad = cat({grad, zeros(shape, TensorOptions(grad.dtype()).device(grad.device()))}, d);
  }
  return grad;
}

bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }

}  // namespace

// ---- cat / stack ------------------------------------------------------------------

struct CatBackward0 final : Node {
  int64_t dim = 0;
  std::vector<int64_t> sizes;  // each input's size along dim; -1 for a skipped empty input
  std::string_view name() const override { return "CatBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    TensorList out(sizes.size());
    int64_t offset = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] < 0) {
        if (needs_input_grad(i)) out[i] = zeros({0}, TensorOptions(g.dtype()).device(g.device()));
        continue;
      }
      if (needs_input_grad(i)) out[i] = narrow(g, dim, offset, sizes[i]);
      offset += sizes[i];
    }
    return out;
  }
};

Tensor cat(const TensorList& tensors, int64_t dim) {
  WICK_CHECK(!tensors.empty(), ValueError, "cat(): expected a non-empty list of Tensors");
  const Tensor* ref = nullptr;
  size_t ref_pos = 0;
  ScalarType dtype = ScalarType::Bool;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    WICK_CHECK(t.defined(), ValueError, "cat(): tensor number ", i, " in the list is undefined");
    WICK_CHECK(t.dim() > 0, ValueError, "cat(): zero-dimensional tensor (at position ", i,
               ") cannot be concatenated");
    WICK_CHECK(t.device() == tensors[0].device(), ValueError,
               "cat(): Expected all tensors to be on the same device, but got tensor number 0 on ",
               tensors[0].device(), " and tensor number ", i, " on ", t.device());
    dtype = i == 0 ? t.dtype() : promote_types(dtype, t.dtype());
    if (!ref && !is_legacy_empty(t)) {
      ref = &t;
      ref_pos = i;
    }
  }
  const TensorOptions options = TensorOptions(dtype).device(tensors[0].device());
  int64_t d = 0;
  Tensor out;
  if (!ref) {  // only legacy empty tensors
    out = empty({0}, options);
  } else {
    d = wrap_dim(dim, ref->dim(), "cat");
    DimVector shape(ref->sizes());
    shape[d] = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = tensors[i];
      if (is_legacy_empty(t)) continue;
      WICK_CHECK(t.dim() == ref->dim(), ValueError, "Tensors must have same number of dimensions: got ", ref->dim(),
                 " and ", t.dim(), " (tensor number ", ref_pos, " has shape ", ref->sizes(), ", tensor number ", i,
                 " has shape ", t.sizes(), ")");
      for (int64_t k = 0; k < t.dim(); ++k)
        WICK_CHECK(k == d || t.sizes()[k] == ref->sizes()[k], ValueError,
                   "Sizes of tensors must match except in dimension ", d, ". Expected size ", ref->sizes()[k],
                   " but got size ", t.sizes()[k], " for tensor number ", i, " in the list (tensor number ", ref_pos,
                   " has shape ", ref->sizes(), ", tensor number ", i, " has shape ", t.sizes(), ").");
      shape[d] += t.sizes()[d];
    }
    out = empty(shape, options);
    int64_t start = 0;  // where t goes along d
    for (const Tensor& t : tensors) {
      if (is_legacy_empty(t)) continue;
      if (t.numel() > 0) {
        const Tensor part = raw_view(out, t.sizes(), out.strides(), start * out.strides()[d]);
        kernel(out.device(), &Backend::copy, "cat")(part, t);
      }
      start += t.sizes()[d];
    }
  }
  if (auto node = make_node_list<CatBackward0>(tensors)) {
    node->dim = d;
    for (const Tensor& t : tensors) node->sizes.push_back(is_legacy_empty(t) ? -1 : t.sizes()[d]);
    set_history(out, node);
  }
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  WICK_CHECK(!tensors.empty(), ValueError, "stack expects a non-empty TensorList");
  for (size_t i = 0; i < tensors.size(); ++i) {
    WICK_CHECK(tensors[i].defined(), ValueError, "stack(): tensor number ", i, " in the list is undefined");
    WICK_CHECK(tensors[i].sizes() == tensors[0].sizes(), ValueError,
               "stack expects each tensor to be equal size, but got ", tensors[0].sizes(), " at entry 0 and ",
               tensors[i].sizes(), " at entry ", i);
  }
  const int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  TensorList pieces;
  pieces.reserve(tensors.size());
  for (const Tensor& t : tensors) pieces.push_back(unsqueeze(t, d));
  return cat(pieces, d);
}

// ---- split / chunk / unbind ----------------------------------------------------------

TensorList split(const Tensor& self, int64_t split_size, int64_t dim) {
  check_defined(self, "split", "self");
  WICK_CHECK(self.dim() > 0, ValueError, "split expects at least a 1-dimensional tensor, got shape ", self.sizes());
  const int64_t d = wrap_dim(dim, self.dim(), "split");
  const int64_t n = self.sizes()[d];
  WICK_CHECK(split_size >= 0, ValueError, "split expects split_size be non-negative, but got split_size=",
             split_size, " (tensor of shape ", self.sizes(), ")");
  WICK_CHECK(split_size > 0 || n == 0, ValueError,
             "split_size can only be 0 if dimension size is 0, but got dimension size of ", n, " (tensor of shape ",
             self.sizes(), ", dim ", d, ")");
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  TensorList out;
  out.reserve(static_cast<size_t>(pieces));
  for (int64_t i = 0; i < pieces; ++i) {
    const int64_t start = i * split_size;
    out.push_back(narrow(self, d, start, std::min(split_size, n - start)));
  }
  return out;
}

TensorList split_with_sizes(const Tensor& self, IntArrayRef sizes, int64_t dim) {
  check_defined(self, "split_with_sizes", "self");
  WICK_CHECK(self.dim() > 0, ValueError, "split_with_sizes expects at least a 1-dimensional tensor, got shape ",
             self.sizes());
  const int64_t d = wrap_dim(dim, self.dim(), "split_with_sizes");
  const int64_t n = self.sizes()[d];
  int64_t total = 0;
  for (int64_t s : sizes) {
    WICK_CHECK(s >= 0, ValueError, "split_with_sizes expects split_sizes have only non-negative entries, but got ",
               "split_sizes=", sizes);
    total += s;
  }
  WICK_CHECK(total == n, ValueError, "split_with_sizes expects split_sizes to sum exactly to ", n,
             " (input tensor's size at dimension ", d, "), but got split_sizes=", sizes, " (tensor of shape ",
             self.sizes(), ")");
  TensorList out;
  out.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(self, d, start, s));
    start += s;
  }
  return out;
}

TensorList tensor_split(const Tensor& self, int64_t sections, int64_t dim) {
  check_defined(self, "tensor_split", "self");
  WICK_CHECK(self.dim() > 0, ValueError, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with ",
             "0 dims");
  WICK_CHECK(sections > 0, ValueError, "number of sections must be larger than 0, got ", sections);
  const int64_t d = wrap_dim(dim, self.dim(), "tensor_split");
  // More sections than elements give empty pieces; a list of billions of them would exhaust memory.
  WICK_CHECK(sections <= std::max<int64_t>(self.size(d), int64_t{1} << 20), ValueError, "tensor_split: ", sections,
             " sections of a dim of size ", self.size(d), " is more pieces than can be listed");
  // n / sections each, the first n % sections one longer (numpy.array_split).
  const int64_t n = self.size(d), base = n / sections, extra = n % sections;
  TensorList out;
  for (int64_t i = 0, start = 0; i < sections; ++i) {
    const int64_t len = base + (i < extra ? 1 : 0);
    out.push_back(narrow(self, d, start, len));
    start += len;
  }
  return out;
}

TensorList tensor_split(const Tensor& self, IntArrayRef indices, int64_t dim) {
  check_defined(self, "tensor_split", "self");
  WICK_CHECK(self.dim() > 0, ValueError, "tensor_split expected at least a 1-dimensional tensor, but got a tensor with ",
             "0 dims");
  const int64_t d = wrap_dim(dim, self.dim(), "tensor_split");
  const int64_t n = self.size(d);
  // Pieces [indices[i-1], indices[i]), clamped to [0, n] as Python slices are.
  TensorList out;
  int64_t start = 0;
  for (size_t i = 0; i <= indices.size(); ++i) {
    const int64_t end = i < indices.size() ? std::clamp<int64_t>(indices[i] < 0 ? indices[i] + n : indices[i], 0, n) : n;
    const int64_t from = std::min(start, n);
    out.push_back(narrow(self, d, from, std::max<int64_t>(end - from, 0)));
    start = end;  // the next piece starts at this index, even below this piece's start (then this one is empty)
  }
  return out;
}

TensorList broadcast_tensors(const TensorList& tensors) {
  DimVector shape;
  for (size_t i = 0; i < tensors.size(); ++i) {
    WICK_CHECK(tensors[i].defined(), ValueError, "broadcast_tensors: tensor ", i, " is undefined");
    shape = i == 0 ? DimVector(tensors[0].sizes()) : broadcast_shapes(shape, tensors[i].sizes());
  }
  TensorList out;
  for (const Tensor& t : tensors) out.push_back(expand(t, shape));
  return out;
}

TensorList chunk(const Tensor& self, int64_t chunks, int64_t dim) {
  check_defined(self, "chunk", "self");
  WICK_CHECK(self.dim() > 0, ValueError, "chunk expects at least a 1-dimensional tensor, got shape ", self.sizes());
  WICK_CHECK(chunks > 0, ValueError, "chunk expects `chunks` to be greater than 0, got: ", chunks,
             " (tensor of shape ", self.sizes(), ")");
  const int64_t d = wrap_dim(dim, self.dim(), "chunk");
  const int64_t n = self.sizes()[d];
  const int64_t split_size = (n + chunks - 1) / chunks;
  // An empty dim still gives `chunks` (empty) pieces, as in PyTorch.
  if (n == 0) return split_with_sizes(self, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d);
  return split(self, split_size, d);
}

TensorList unbind(const Tensor& self, int64_t dim) {
  check_defined(self, "unbind", "self");
  WICK_CHECK(self.dim() > 0, IndexError, "unbind(): Dimension specified as ", dim, " but tensor has no dimensions");
  const int64_t d = wrap_dim(dim, self.dim(), "unbind");
  TensorList out;
  out.reserve(static_cast<size_t>(self.sizes()[d]));
  for (int64_t i = 0; i < self.sizes()[d]; ++i) out.push_back(select(self, d, i));
  return out;
}

// ---- index_select / index_add --------------------------------------------------------------

struct IndexSelectBackward0 final : Node {
  DimVector self_sizes;
  int64_t dim = 0;
  SavedTensor index;
  std::string_view name() const override { return "IndexSelectBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {index_add(zeros(self_sizes, TensorOptions(g.dtype()).device(g.device())), dim, index.unpack(), g)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index_in) {
  check_defined(self, "index_select", "self");
  const int64_t d = wrap_dim(dim, self.dim(), "index_select");
  const Tensor index = checked_index(index_in, self, "index_select");
  WICK_CHECK(index.dim() <= 1, ValueError, "index_select(): Index is supposed to be a vector, but got an index of ",
             "shape ", index.sizes(), " (self shape ", self.sizes(), ")");
  WICK_CHECK(self.dim() > 0 || index.numel() == 1, IndexError,
             "index_select(): Index to scalar can have only 1 value, got ", index.numel(), " value(s)");
  check_index_range(index, nonempty_size(self, d), d, "index_select");
  DimVector shape(self.sizes());
  if (self.dim() > 0) shape[d] = index.numel();
  Tensor out = empty(shape, TensorOptions(self.dtype()).device(self.device()));
  if (out.numel() > 0) kernel(self.device(), &Backend::index_select, "index_select")(out, self, d, index);
  if (auto node = make_node<IndexSelectBackward0>(self)) {
    node->self_sizes = DimVector(self.sizes());
    node->dim = d;
    node->index = SavedTensor(index);
    set_history(out, node);
  }
  return out;
}

struct IndexAddBackward0 final : Node {
  int64_t dim = 0;
  SavedTensor index;
  std::string_view name() const override { return "IndexAddBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(), needs_input_grad(1) ? index_select(g, dim, index.unpack()) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src_in, Scalar alpha) {
  check_defined(self, "index_add", "self");
  check_defined(src_in, "index_add", "source");
  // alpha * source, with alpha in self's dtype (PyTorch truncates 2.5 to 2 for an integer self, and
  // refuses 1e30: Note [Checked scalar conversion]); recorded, so that source's gradient is
  // alpha * index_select(grad).
  alpha = checked_convert(alpha, self.dtype(), "index_add");
  const bool scaled = !(alpha.is_bool() ? alpha.to<bool>() : alpha.to_double() == 1);
  const Tensor src = !scaled ? src_in
                     : is_floating_point(src_in.dtype()) ? mul(src_in, alpha)
                     : src_in.dtype() == ScalarType::Bool ? logical_and(src_in, wrap_scalar(alpha.to<bool>()))
                                                          : mul(src_in, Scalar(alpha.to<int64_t>()));
  const int64_t d = wrap_dim(dim, self.dim(), "index_add");
  const Tensor index = checked_index(index_in, self, "index_add");
  check_same_device(self, src, "index_add", "source");
  WICK_CHECK(index.dim() <= 1, ValueError, "index_add(): Index is supposed to be a vector, but got an index of ",
             "shape ", index.sizes());
  WICK_CHECK(nonempty_dim(src) == nonempty_dim(self), ValueError,
             "index_add(): source and self must have the same number of dimensions, but got source of shape ",
             src.sizes(), " and self of shape ", self.sizes());
  WICK_CHECK(index.numel() == nonempty_size(src, d), ValueError, "index_add(): Number of indices (", index.numel(),
             ") should be equal to source.size(dim) (", nonempty_size(src, d), ") (source shape ", src.sizes(),
             ", dim ", d, ")");
  for (int64_t k = 0; k < nonempty_dim(self); ++k)
    WICK_CHECK(k == d || nonempty_size(src, k) == nonempty_size(self, k), ValueError, "index_add(): source of shape ",
               src.sizes(), " and self of shape ", self.sizes(), " must match in every dimension but ", d);
  WICK_CHECK(src.dtype() == self.dtype(), TypeError, "index_add(): self (", self.dtype(), ") and source (",
             src.dtype(), ") must have the same scalar type");
  check_index_range(index, nonempty_size(self, d), d, "index_add");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = clone(self);
  }
  if (src.numel() > 0) kernel(out.device(), &Backend::index_add, "index_add")(out, d, index, src);
  if (auto node = make_node<IndexAddBackward0>(self, src)) {
    node->dim = d;
    node->index = SavedTensor(index);
    set_history(out, node);
  }
  return out;
}

// ---- gather ---------------------------------------------------------------------------------

struct GatherBackward0 final : Node {
  DimVector self_sizes;
  int64_t dim = 0;
  SavedTensor index;
  std::string_view name() const override { return "GatherBackward0"; }
  TensorList apply(TensorList&& grads) override { return {gather_backward(grads[0], self_sizes, dim, index.unpack())}; }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

Tensor gather_backward(const Tensor& g, IntArrayRef self_sizes, int64_t dim, const Tensor& index) {
  return scatter_add(zeros(self_sizes, TensorOptions(g.dtype()).device(g.device())), dim, index, g);
}

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index_in) {
  check_defined(self, "gather", "self");
  const int64_t d = wrap_dim(dim, self.dim(), "gather");
  const Tensor index = checked_index(index_in, self, "gather");
  WICK_CHECK(nonempty_dim(index) == nonempty_dim(self), ValueError,
             "gather(): Index tensor must have the same number of dimensions as input tensor, but got index of shape ",
             index.sizes(), " and input of shape ", self.sizes());
  for (int64_t k = 0; k < nonempty_dim(self); ++k)
    WICK_CHECK(k == d || nonempty_size(index, k) <= nonempty_size(self, k), ValueError,
               "gather(): Size does not match at dimension ", k, " expected index ", index.sizes(),
               " to be no larger than self ", self.sizes(), " apart from dimension ", d);
  check_index_range(index, nonempty_size(self, d), d, "gather");
  Tensor out = empty(index.sizes(), TensorOptions(self.dtype()).device(self.device()));
  if (out.numel() > 0) kernel(self.device(), &Backend::gather, "gather")(out, self, d, index);
  if (auto node = make_node<GatherBackward0>(self)) {
    node->self_sizes = DimVector(self.sizes());
    node->dim = d;
    node->index = SavedTensor(index);
    set_history(out, node);
  }
  return out;
}

// ---- scatter / scatter_add ----------------------------------------------------------------------

namespace {

// Checks the arguments of a scatter (src undefined for the scalar form) and
// returns the wrapped dim and the int64 index.
std::pair<int64_t, Tensor> check_scatter(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src,
                                         const char* op) {
  check_defined(self, op, "self");
  const int64_t d = wrap_dim(dim, self.dim(), op);
  Tensor index = checked_index(index_in, self, op);
  WICK_CHECK(nonempty_dim(index) == nonempty_dim(self), ValueError, op,
             "(): Index tensor must have the same number of dimensions as self tensor, but got index of shape ",
             index.sizes(), " and self of shape ", self.sizes());
  if (src.defined()) {
    check_same_device(self, src, op, "src");
    WICK_CHECK(nonempty_dim(src) == nonempty_dim(index), ValueError, op,
               "(): Index tensor must have the same number of dimensions as src tensor, but got index of shape ",
               index.sizes(), " and src of shape ", src.sizes());
    WICK_CHECK(src.dtype() == self.dtype(), TypeError, op, "(): Expected self.dtype to be equal to src.dtype, but ",
               "got ", self.dtype(), " and ", src.dtype());
  }
  for (int64_t k = 0; k < nonempty_dim(self); ++k) {
    const int64_t n = nonempty_size(index, k);
    const bool ok = (k == d || n <= nonempty_size(self, k)) && (!src.defined() || n <= nonempty_size(src, k));
    if (src.defined())
      WICK_CHECK(ok, ValueError, op, "(): Expected index ", index.sizes(), " to be no larger than self ", self.sizes(),
                 " apart from dimension ", d, " and to be no larger than src ", src.sizes());
    else
      WICK_CHECK(ok, ValueError, op, "(): Expected index ", index.sizes(), " to be no larger than self ", self.sizes(),
                 " apart from dimension ", d);
  }
  check_index_range(index, nonempty_size(self, d), d, op);
  return {d, std::move(index)};
}

// Writes src (or += it) into target at the index; target is a fresh copy or
// an in-place target that passed check_inplace.
void run_scatter(const Tensor& target, int64_t d, const Tensor& index, const Tensor& src, ScatterReduce reduce,
                 const char* op) {
  if (index.numel() == 0) return;
  kernel(target.device(), &Backend::scatter, op)(target, d, unaliased(index, target), unaliased(src, target), reduce);
}

ScatterReduce scatter_reduce(std::optional<std::string_view> reduce, const char* op) {
  if (!reduce) return ScatterReduce::None;
  if (*reduce == "add") return ScatterReduce::Add;
  WICK_CHECK(*reduce == "multiply", ValueError, op, ": reduce argument must be either add or multiply. (got '",
             *reduce, "')");
  return ScatterReduce::Multiply;
}

// `value` in self's dtype, broadcast to the index's shape.
Tensor scatter_value(const Tensor& self, const Tensor& index, Scalar value) {
  NoGradGuard no_grad;
  return expand(full({}, value, TensorOptions(self.dtype()).device(self.device())), index.sizes());
}

Tensor fresh_copy(const Tensor& self) {
  NoGradGuard no_grad;
  return clone(self);
}

}  // namespace

struct ScatterBackward0 final : Node {  // src is a tensor
  int64_t dim = 0;
  DimVector src_sizes;
  SavedTensor index;
  std::string_view name() const override { return "ScatterBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor idx = index.unpack();
    return {needs_input_grad(0) ? scatter(g, dim, idx, Scalar(0)) : Tensor(),
            needs_input_grad(1) ? pad_to(gather(g, dim, idx), src_sizes) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

struct ScatterBackward1 final : Node {  // src is a number
  int64_t dim = 0;
  SavedTensor index;
  std::string_view name() const override { return "ScatterBackward1"; }
  TensorList apply(TensorList&& grads) override { return {scatter(grads[0], dim, index.unpack(), Scalar(0))}; }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

struct ScatterAddBackward0 final : Node {
  int64_t dim = 0;
  DimVector src_sizes;
  SavedTensor index;
  std::string_view name() const override { return "ScatterAddBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(),
            needs_input_grad(1) ? pad_to(gather(g, dim, index.unpack()), src_sizes) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(index); }
};

// scatter(..., reduce='add') with a number: self's gradient passes through.
struct ScatterAddValueBackward final : Node {
  std::string_view name() const override { return "ScatterBackward1"; }
  TensorList apply(TensorList&& grads) override { return {grads[0]}; }
};

// scatter(..., reduce='multiply'): no derivative, as in PyTorch; backward through it raises.
struct ScatterMultiplyBackward final : Node {
  std::string_view name() const override { return "ScatterReduceBackward"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative of scatter with reduce='multiply' is not implemented");
  }
};

namespace {
// Records an in-place scatter's node on self (on its base, for a view), another's on the fresh copy.
void record(const std::shared_ptr<Node>& node, const Tensor& out, bool inplace) {
  if (inplace) rebase_history(out, node);
  else set_history(out, node);
}

// The checks of an in-place scatter into self; index and src are not read element
// for element with self, so any overlap with them is refused, as in PyTorch.
void check_scatter_inplace(const Tensor& self, const Tensor& index, const Tensor& src, const char* op) {
  assert_no_overlap(self, index, op);
  if (src.defined()) assert_no_overlap(self, src, op);
  check_inplace(self, op);
}

// scatter / scatter_ with a tensor src: out is a fresh copy of self, or self.
const Tensor& scatter_src(const Tensor& self, const Tensor& out, int64_t d, const Tensor& index, const Tensor& src,
                          ScatterReduce reduce, const char* op) {
  const bool inplace = out.is_same(self);
  std::shared_ptr<Node> node;
  if (reduce == ScatterReduce::None) {
    if (auto n = make_node<ScatterBackward0>(self, src)) {
      n->dim = d, n->src_sizes = DimVector(src.sizes()), n->index = SavedTensor(index);
      node = n;
    }
  } else if (reduce == ScatterReduce::Add) {
    if (auto n = make_node<ScatterAddBackward0>(self, src)) {
      n->dim = d, n->src_sizes = DimVector(src.sizes()), n->index = SavedTensor(index);
      node = n;
    }
  } else {
    node = make_node<ScatterMultiplyBackward>(self, src);
  }
  if (inplace) check_scatter_inplace(self, index, src, op);
  run_scatter(out, d, index, src, reduce, op);
  if (node) record(node, out, inplace);
  return out;
}

// scatter / scatter_ with a number.
const Tensor& scatter_number(const Tensor& self, const Tensor& out, int64_t d, const Tensor& index, Scalar value,
                             ScatterReduce reduce, const char* op) {
  const bool inplace = out.is_same(self);
  std::shared_ptr<Node> node;
  if (reduce == ScatterReduce::None) {
    if (auto n = make_node<ScatterBackward1>(self)) {
      n->dim = d, n->index = SavedTensor(index);
      node = n;
    }
  } else if (reduce == ScatterReduce::Add) {
    node = make_node<ScatterAddValueBackward>(self);
  } else {
    node = make_node<ScatterMultiplyBackward>(self);
  }
  if (inplace) check_scatter_inplace(self, index, Tensor(), op);
  run_scatter(out, d, index, scatter_value(self, index, value), reduce, op);
  if (node) record(node, out, inplace);
  return out;
}
}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src,
               std::optional<std::string_view> reduce) {
  check_defined(src, "scatter", "src");
  const ScatterReduce r = scatter_reduce(reduce, "scatter");
  const auto [d, index] = check_scatter(self, dim, index_in, src, "scatter");
  return scatter_src(self, fresh_copy(self), d, index, src, r, "scatter");
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index_in, Scalar value,
               std::optional<std::string_view> reduce) {
  const ScatterReduce r = scatter_reduce(reduce, "scatter");
  const auto [d, index] = check_scatter(self, dim, index_in, Tensor(), "scatter");
  return scatter_number(self, fresh_copy(self), d, index, value, r, "scatter");
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src) {
  check_defined(src, "scatter_add", "src");
  const auto [d, index] = check_scatter(self, dim, index_in, src, "scatter_add");
  return scatter_src(self, fresh_copy(self), d, index, src, ScatterReduce::Add, "scatter_add");
}

const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src,
                       std::optional<std::string_view> reduce) {
  check_defined(src, "scatter_", "src");
  const ScatterReduce r = scatter_reduce(reduce, "scatter_");
  const auto [d, index] = check_scatter(self, dim, index_in, src, "scatter_");
  return scatter_src(self, self, d, index, src, r, "scatter_");
}

const Tensor& scatter_(const Tensor& self, int64_t dim, const Tensor& index_in, Scalar value,
                       std::optional<std::string_view> reduce) {
  const ScatterReduce r = scatter_reduce(reduce, "scatter_");
  const auto [d, index] = check_scatter(self, dim, index_in, Tensor(), "scatter_");
  return scatter_number(self, self, d, index, value, r, "scatter_");
}

const Tensor& scatter_add_(const Tensor& self, int64_t dim, const Tensor& index_in, const Tensor& src) {
  check_defined(src, "scatter_add_", "src");
  const auto [d, index] = check_scatter(self, dim, index_in, src, "scatter_add_");
  return scatter_src(self, self, d, index, src, ScatterReduce::Add, "scatter_add_");
}

// ---- masked_select ----------------------------------------------------------------------------

struct MaskedSelectBackward0 final : Node {
  DimVector shape;  // the broadcast shape of self and mask
  SavedTensor positions;
  std::string_view name() const override { return "MaskedSelectBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    const Tensor flat = index_add(zeros({n}, TensorOptions(g.dtype()).device(g.device())), 0, positions.unpack(), g);
    return {reshape(flat, shape), Tensor()};  // summed down to self's shape by the engine
  }
  void for_each_saved(const SavedVisitor& f) override { f(positions); }
};

namespace {

// The positions (int64, 1-D, on mask's device) of the true elements of a flat bool mask, in order.
Tensor true_positions(const Tensor& flat_mask) {
  NoGradGuard no_grad;
  const int64_t total = flat_mask.numel();
  if (flat_mask.device().is_cpu()) {
    const Tensor m = flat_mask.contiguous();
    const bool* p = m.data_ptr<bool>();
    int64_t n = 0;
    for (int64_t i = 0; i < total; ++i) n += p[i];
    // Branch-free compaction (a random mask defeats the branch predictor);
    // the spare slot takes the writes after the last true element.
    Tensor pos = empty({n + 1}, TensorOptions(ScalarType::Int64));
    int64_t* out = pos.data_ptr<int64_t>();
    for (int64_t i = 0, k = 0; i < total; ++i) {
      out[k] = i;
      k += p[i];
    }
    return narrow(pos, 0, 0, n);
  }
  // On a GPU: each true element's rank among the true ones is the inclusive
  // cumsum minus one; the false ones all write to a spare last slot. One
  // synchronization reads the count (the output's size).
  const TensorOptions index_options = TensorOptions(ScalarType::Int64).device(flat_mask.device());
  if (total == 0) return empty({0}, index_options);
  const Tensor rank = cumsum(flat_mask, 0);
  const int64_t n = select(rank, 0, total - 1).item<int64_t>();
  const Tensor slot = where(flat_mask, sub(rank, wrap_scalar(1)), n);
  const Tensor pos = scatter(empty({n + 1}, index_options), 0, slot, arange(total, index_options));
  return narrow(pos, 0, 0, n);
}

}  // namespace

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_defined(self, "masked_select", "self");
  check_defined(mask, "masked_select", "mask");
  WICK_CHECK(mask.dtype() == ScalarType::Bool, TypeError, "masked_select: expected BoolTensor for mask, but got ",
             "a mask of dtype ", mask.dtype(), " and shape ", mask.sizes());
  check_same_device(self, mask, "masked_select", "mask");
  const DimVector shape = broadcast_shapes(self.sizes(), mask.sizes());
  Tensor positions, flat;
  {
    NoGradGuard no_grad;
    const Tensor m = expand(mask, shape);
    positions = true_positions(reshape(m, {m.numel()}));
    flat = reshape(expand(self, shape), {m.numel()});
  }
  Tensor out = empty({positions.numel()}, TensorOptions(self.dtype()).device(self.device()));
  if (out.numel() > 0) kernel(self.device(), &Backend::index_select, "masked_select")(out, flat, 0, positions);
  if (auto node = make_node<MaskedSelectBackward0>(self, mask)) {
    node->shape = shape;
    node->positions = SavedTensor(positions);
    set_history(out, node);
  }
  return out;
}

// ---- nonzero, count_nonzero, take, take_along_dim, index_fill, index_copy ----------------------

Tensor nonzero(const Tensor& self) {
  check_defined(self, "nonzero", "self");
  NoGradGuard no_grad;
  const Tensor flat = reshape(ne(self, wrap_scalar(0)), {self.numel()});
  const Tensor positions = true_positions(flat);
  if (self.dim() == 0) return empty({positions.numel(), 0}, TensorOptions(ScalarType::Int64).device(self.device()));
  // Coordinates from the flat (row-major) positions: (position / stride) % size per dim.
  TensorList coords;
  int64_t stride = self.numel() == 0 ? 1 : self.numel();
  for (int64_t d = 0; d < self.dim(); ++d) {
    const int64_t size = self.size(d);
    stride = size == 0 ? 1 : stride / size;
    coords.push_back(remainder(div(positions, wrap_scalar(stride), std::string_view("floor")), wrap_scalar(size)));
  }
  return stack(coords, 1);
}

Tensor count_nonzero(const Tensor& self, IntArrayRef dims) {
  check_defined(self, "count_nonzero", "self");
  return sum(ne(self, wrap_scalar(0)), dims);
}

Tensor take(const Tensor& self, const Tensor& index_in) {
  check_defined(self, "take", "self");
  const Tensor index = checked_index(index_in, self, "take");
  const int64_t n = self.numel();
  // Negative positions count from the end of the flattened input.
  const Tensor flat_index = reshape(where(lt(index, wrap_scalar(0)), add(index, wrap_scalar(n)), index), {index.numel()});
  return reshape(index_select(reshape(self, {n}), 0, flat_index), index.sizes());
}

Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  check_defined(self, "take_along_dim", "self");
  check_defined(indices, "take_along_dim", "indices");
  if (!dim) return gather(reshape(self, {self.numel()}), 0, reshape(indices, {indices.numel()}));
  WICK_CHECK(self.dim() == indices.dim(), ValueError, "take_along_dim: input and indices should have the same number ",
             "of dimensions, but got ", self.dim(), " dimensions for input (shape ", self.sizes(), ") and ",
             indices.dim(), " dimensions for indices (shape ", indices.sizes(), ")");
  const int64_t d = wrap_dim(*dim, nonempty_dim(self), "take_along_dim");
  if (self.dim() == 0) return gather(self, 0, indices);
  // Both broadcast against each other in every dim but d.
  DimVector self_shape(self.sizes()), index_shape(indices.sizes());
  self_shape[d] = index_shape[d] = 1;
  DimVector common = broadcast_shapes(self_shape, index_shape);
  DimVector self_target = common, index_target = common;
  self_target[d] = self.size(d);
  index_target[d] = indices.size(d);
  return gather(expand(self, self_target), d, expand(indices, index_target));
}

namespace {

// A bool mask broadcasting along dim of self: true at the positions in index.
Tensor positions_mask(const Tensor& self, int64_t dim, const Tensor& index) {
  NoGradGuard no_grad;
  const int64_t n = nonempty_size(self, dim);
  const Tensor flat_index = reshape(index, {index.numel()});
  Tensor mask = scatter(zeros({n}, TensorOptions(ScalarType::Bool).device(self.device())), 0,
                        where(lt(flat_index, wrap_scalar(0)), add(flat_index, wrap_scalar(n)), flat_index), Scalar(true));
  DimVector shape(static_cast<size_t>(self.dim()), 1);
  if (self.dim() > 0) shape[dim] = n;
  return reshape(mask, shape);
}

}  // namespace

Tensor index_fill(const Tensor& self, int64_t dim_in, const Tensor& index_in, const Tensor& value) {
  check_defined(self, "index_fill", "self");
  check_defined(value, "index_fill", "value");
  WICK_CHECK(value.dim() == 0, ValueError, "index_fill: only supports a 0-dimensional value tensor, but got tensor ",
             "with ", value.dim(), " dimension(s)");
  const int64_t dim = wrap_dim(dim_in, nonempty_dim(self), "index_fill");
  const Tensor index = checked_index(index_in, self, "index_fill");
  WICK_CHECK(index.dim() <= 1, ValueError, "index_fill: Index is supposed to be a vector, got shape ", index.sizes());
  return where(positions_mask(self, dim, index), value.to(self.device(), self.dtype()), self);
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  check_defined(self, "index_fill", "self");
  return index_fill(self, dim, index, scalar_tensor(value, TensorOptions(self.dtype()).device(self.device())));
}

Tensor index_copy(const Tensor& self, int64_t dim_in, const Tensor& index_in, const Tensor& source) {
  check_defined(self, "index_copy", "self");
  check_defined(source, "index_copy", "source");
  const int64_t dim = wrap_dim(dim_in, nonempty_dim(self), "index_copy");
  const Tensor index = checked_index(index_in, self, "index_copy");
  WICK_CHECK(index.dim() <= 1, ValueError, "index_copy: Index should have dimension 1 or 0 (got ", index.dim(), ")");
  WICK_CHECK(self.dtype() == source.dtype(), TypeError, "index_copy: self (", self.dtype(), ") and source (",
             source.dtype(), ") must have the same scalar type");
  // The selected slices emptied, then the source added into them (index_add's checks cover the shapes).
  const Tensor emptied = where(positions_mask(self, dim, index), zeros({}, TensorOptions(self.dtype()).device(self.device())), self);
  return index_add(emptied, dim, reshape(index, {index.numel()}), source);
}

// ---- one_hot / embedding --------------------------------------------------------------------------

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  check_defined(indices, "one_hot", "indices");
  WICK_CHECK(indices.dtype() == ScalarType::Int64 || indices.dtype() == ScalarType::Int32, TypeError,
             "one_hot is only applicable to index tensors of dtype int64 (or int32), but got ", indices.dtype(),
             " of shape ", indices.sizes());
  WICK_CHECK(num_classes >= -1, ValueError, "one_hot: num_classes must be -1 (infer) or non-negative, got ",
             num_classes);
  const Tensor index = checked_index(indices, indices, "one_hot");
  if (index.numel() == 0) {
    WICK_CHECK(num_classes != -1, ValueError, "one_hot: Can not infer total number of classes from empty tensor of ",
               "shape ", index.sizes());
  } else {
    NoGradGuard no_grad;
    const int64_t lo = min(index).item<int64_t>(), hi = max(index).item<int64_t>();
    WICK_CHECK(lo >= 0, ValueError, "one_hot: Class values must be non-negative, but got ", lo, " (indices of shape ",
               index.sizes(), ")");
    if (num_classes == -1) num_classes = hi + 1;
    WICK_CHECK(hi < num_classes, ValueError, "one_hot: Class values must be smaller than num_classes (",
               num_classes, "), but got ", hi, " (indices of shape ", index.sizes(), ")");
  }
  DimVector shape(index.sizes());
  shape.push_back(num_classes);
  Tensor out = zeros(shape, TensorOptions(ScalarType::Int64).device(index.device()));
  if (index.numel() > 0 && num_classes > 0) {
    NoGradGuard no_grad;
    const Tensor at = unsqueeze(index, -1);
    kernel(out.device(), &Backend::scatter, "one_hot")(out, out.dim() - 1, at, scatter_value(out, at, 1),
                                                        ScatterReduce::None);
  }
  return out;
}

struct EmbeddingBackward0 final : Node {
  int64_t num_weights = 0, padding_idx = -1;
  SavedTensor indices;  // flattened
  std::string_view name() const override { return "EmbeddingBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor idx = indices.unpack();
    const int64_t width = g.sizes().back();
    Tensor rows = reshape(g, {idx.numel(), width});
    if (padding_idx >= 0) rows = masked_fill(rows, unsqueeze(eq(idx, padding_idx), 1), 0);
    return {index_add(zeros({num_weights, width}, TensorOptions(g.dtype()).device(g.device())), 0, idx, rows)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(indices); }
};

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx) {
  check_defined(weight, "embedding", "weight");
  WICK_CHECK(weight.dim() == 2, ValueError, "embedding(): 'weight' must be 2-D, but got weight of shape ",
             weight.sizes());
  const Tensor index = checked_index(indices, weight, "embedding");
  const int64_t num = weight.sizes()[0], width = weight.sizes()[1];
  WICK_CHECK(padding_idx == -1 || (padding_idx >= 0 && padding_idx < num), ValueError,
             "embedding(): padding_idx must be within num_embeddings (", num, ") or -1 for none, but got ",
             padding_idx);
  check_index_range(index, num, 0, "embedding");
  Tensor flat;
  {
    NoGradGuard no_grad;
    flat = reshape(index, {index.numel()});
  }
  DimVector shape(index.sizes());
  shape.push_back(width);
  Tensor out = empty(shape, TensorOptions(weight.dtype()).device(weight.device()));
  if (out.numel() > 0)
    kernel(weight.device(), &Backend::index_select, "embedding")(raw_view(out, {flat.numel(), width}, {width, 1}),
                                                                weight, 0, flat);
  if (auto node = make_node<EmbeddingBackward0>(weight)) {
    node->num_weights = num;
    node->padding_idx = padding_idx;
    node->indices = SavedTensor(flat);
    set_history(out, node);
  }
  return out;
}

// ---- methods --------------------------------------------------------------------------------------------

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return wick::index_select(*this, dim, index); }
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return wick::gather(*this, dim, index); }
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return wick::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return wick::scatter_add(*this, dim, index, src);
}
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const { return wick::split(*this, split_size, dim); }
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const { return wick::chunk(*this, chunks, dim); }

}  // namespace wick
