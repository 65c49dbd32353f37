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
#include "core/scalar_type.h"

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

namespace wick {

// ---- repeat, tile, repeat_interleave ----------------------------------------------------------

Tensor repeat(const Tensor& self, IntArrayRef repeats) {
  WICK_CHECK(self.defined(), ValueError, "repeat: undefined tensor argument");
  const int64_t nd = static_cast<int64_t>(repeats.size());
  WICK_CHECK(nd >= self.dim(), ValueError, "repeat: number of repeat dims (", nd,
             ") can not be smaller than number of tensor dims (", self.dim(), ", shape ", self.sizes(), ")");
  for (int64_t r : repeats) WICK_CHECK(r >= 0, ValueError, "repeat: repeats must be non-negative, got ", repeats);
  // self as [1, s0, 1, s1, ...] (leading dims of size 1 added), expanded to [r0, s0, r1, s1, ...], then merged.
  DimVector padded(static_cast<size_t>(nd - self.dim()), 1);
  for (int64_t s : self.sizes()) padded.push_back(s);
  DimVector interleaved, expanded, merged;
  for (int64_t i = 0; i < nd; ++i) {
    interleaved.push_back(1);
    interleaved.push_back(padded[i]);
    expanded.push_back(repeats[i]);
    expanded.push_back(padded[i]);
    int64_t size = 0;
    WICK_CHECK(!__builtin_mul_overflow(repeats[i], padded[i], &size), ValueError, "repeat: repeats ", repeats,
               " of a tensor of shape ", self.sizes(), " make a size past int64");
    merged.push_back(size);
  }
  check_allocatable(merged, self.dtype(), "repeat");
  // Always a new tensor, as in PyTorch: reshape alone would return a view when it can (of a 0-dim
  // self, a stride-0 one), and writes through it would reach self.
  return reshape(clone(expand(reshape(self, interleaved), expanded)), merged);
}

Tensor tile(const Tensor& self, IntArrayRef dims) {
  WICK_CHECK(self.defined(), ValueError, "tile: undefined tensor argument");
  DimVector reps(static_cast<size_t>(std::max<int64_t>(0, self.dim() - static_cast<int64_t>(dims.size()))), 1);
  for (int64_t d : dims) reps.push_back(d);
  return repeat(self, reps);
}

Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim) {
  WICK_CHECK(self.defined(), ValueError, "repeat_interleave: undefined tensor argument");
  WICK_CHECK(repeats >= 0, ValueError, "repeat_interleave: repeats can not be negative, got ", repeats);
  const Tensor x = dim ? self : reshape(self, {self.numel()});
  if (x.dim() == 0) return repeat(reshape(x, {1}), {repeats});
  const int64_t d = dim ? wrap_dim(*dim, x.dim(), "repeat_interleave") : 0;
  DimVector expanded(x.sizes());
  expanded.insert(static_cast<size_t>(d + 1), repeats);
  return flatten(expand(unsqueeze(x, d + 1), expanded), d, d + 1);
}

Tensor repeat_interleave(const Tensor& repeats) {
  WICK_CHECK(repeats.defined() && repeats.dim() <= 1 && !repeats.is_floating_point() &&
                 repeats.dtype() != ScalarType::Bool,
             TypeError, "repeat_interleave: repeats must be a 0-dim or 1-D integer tensor, got ",
             repeats.defined() ? repeats.sizes() : IntArrayRef{}, " of dtype ",
             repeats.defined() ? repeats.dtype() : ScalarType::Int64);
  const std::vector<int64_t> counts = reshape(repeats, {repeats.numel()}).cpu().to(ScalarType::Int64).to_vector<int64_t>();
  __int128 total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    WICK_CHECK(counts[i] >= 0, ValueError, "repeat_interleave: repeats can not be negative, got ", counts[i],
               " at position ", i);
    total += counts[i];
  }
  WICK_CHECK(total <= (__int128{1} << 60), ValueError, "repeat_interleave: the repeats add up to too many elements");
  check_allocatable({static_cast<int64_t>(total)}, ScalarType::Int64, "repeat_interleave");
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(total));
  for (size_t i = 0; i < counts.size(); ++i) index.insert(index.end(), static_cast<size_t>(counts[i]), static_cast<int64_t>(i));
  return from_vector<int64_t>(index, {static_cast<int64_t>(index.size())}).to(repeats.device());
}

Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim) {
  WICK_CHECK(self.defined(), ValueError, "repeat_interleave: undefined tensor argument");
  const Tensor x = dim ? self : reshape(self, {self.numel()});
  const int64_t d = x.dim() == 0 ? 0 : (dim ? wrap_dim(*dim, x.dim(), "repeat_interleave") : 0);
  const Tensor xs = x.dim() == 0 ? reshape(x, {1}) : x;
  const int64_t n = xs.size(d);
  WICK_CHECK(repeats.defined() && (repeats.numel() == 1 || (repeats.dim() == 1 && repeats.size(0) == n)),
             ValueError, "repeat_interleave: repeats must have the same size as input along dim (", n,
             ") or one element, got shape ", repeats.defined() ? repeats.sizes() : IntArrayRef{});
  const Tensor counts = repeats.numel() == 1 && n != 1 ? expand(reshape(repeats, {1}), {n}) : reshape(repeats, {n});
  return index_select(xs, d, repeat_interleave(counts).to(xs.device()));
}

// ---- diag, diag_embed, diagflat ---------------------------------------------------------------

Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1_in, int64_t dim2_in) {
  WICK_CHECK(self.defined() && self.dim() >= 1, ValueError, "diag_embed: expected a tensor of at least 1 dim, got ",
             self.defined() ? self.dim() : 0, " dims");
  const int64_t nd = self.dim() + 1;
  const int64_t dim1 = wrap_dim(dim1_in, nd, "diag_embed"), dim2 = wrap_dim(dim2_in, nd, "diag_embed");
  WICK_CHECK(dim1 != dim2, ValueError, "diag_embed: diagonal dimensions cannot be identical ", dim1_in, ", ", dim2_in);
  const int64_t n = self.size(-1) + std::abs(offset);
  DimVector shape;
  for (int64_t i = 0, k = 0; i < nd; ++i) shape.push_back(i == dim1 || i == dim2 ? n : self.size(k++));
  const Tensor out = zeros(shape, TensorOptions(self.dtype()).device(self.device()));
  // The diagonal view's last dim runs along the diagonal; its other dims are self's leading ones in order.
  diagonal(out, offset, dim1, dim2).copy_(self);
  return out;
}

Tensor diag(const Tensor& self, int64_t offset) {
  WICK_CHECK(self.defined() && (self.dim() == 1 || self.dim() == 2), ValueError,
             "diag: expected a 1-D or 2-D tensor, got shape ", self.defined() ? self.sizes() : IntArrayRef{});
  return self.dim() == 1 ? diag_embed(self, offset, 0, 1) : clone(diagonal(self, offset));
}

Tensor diagflat(const Tensor& self, int64_t offset) {
  WICK_CHECK(self.defined(), ValueError, "diagflat: undefined tensor argument");
  return diag(reshape(self, {self.numel()}), offset);
}

// ---- movedim, rot90, fliplr, flipud -----------------------------------------------------------

Tensor movedim(const Tensor& self, IntArrayRef source, IntArrayRef destination) {
  WICK_CHECK(self.defined(), ValueError, "movedim: undefined tensor argument");
  WICK_CHECK(source.size() == destination.size(), ValueError, "movedim: Invalid source or destination dims: source (",
             source, " dims) should contain the same number of dims as destination (", destination, " dims)");
  const int64_t nd = self.dim();
  const DimVector src = wrap_dims(source, std::max<int64_t>(nd, 1), "movedim");
  const DimVector dst = wrap_dims(destination, std::max<int64_t>(nd, 1), "movedim");
  if (nd == 0) return permute(self, {});
  DimVector perm(static_cast<size_t>(nd), -1);
  std::vector<bool> used(static_cast<size_t>(nd), false);
  for (size_t i = 0; i < src.size(); ++i) {
    perm[dst[i]] = src[i];
    used[src[i]] = true;
  }
  int64_t next = 0;
  for (int64_t& p : perm) {
    if (p != -1) continue;
    while (used[next]) ++next;
    p = next++;
  }
  return permute(self, perm);
}

Tensor rot90(const Tensor& self, int64_t k, IntArrayRef dims) {
  WICK_CHECK(self.defined(), ValueError, "rot90: undefined tensor argument");
  WICK_CHECK(dims.size() == 2, ValueError, "rot90: expected total rotation dims == 2, but got dims = ", dims.size());
  WICK_CHECK(self.dim() >= 2, ValueError, "rot90: expected total dims >= 2, but got total dims = ", self.dim());
  const DimVector ds = wrap_dims(dims, self.dim(), "rot90");
  switch (((k % 4) + 4) % 4) {
    case 1: return transpose(flip(self, {ds[1]}), ds[0], ds[1]);
    case 2: return flip(self, ds);
    case 3: return transpose(flip(self, {ds[0]}), ds[0], ds[1]);
    default: return clone(self);
  }
}

Tensor fliplr(const Tensor& self) {
  WICK_CHECK(self.defined() && self.dim() >= 2, ValueError, "fliplr: input must be >= 2-d, got ",
             self.defined() ? self.dim() : 0, " dims");
  return flip(self, {1});
}

Tensor flipud(const Tensor& self) {
  WICK_CHECK(self.defined() && self.dim() >= 1, ValueError, "flipud: input must be >= 1-d, got 0 dims");
  return flip(self, {0});
}

// ---- diff -------------------------------------------------------------------------------------

Tensor diff(const Tensor& self, int64_t n, int64_t dim_in, const Tensor& prepend, const Tensor& append) {
  WICK_CHECK(self.defined() && self.dim() >= 1, ValueError,
             "diff: expected at least a 1-D input, got a 0-dim tensor");
  WICK_CHECK(n >= 0, ValueError, "diff: order must be non-negative but got ", n);
  const int64_t dim = wrap_dim(dim_in, self.dim(), "diff");
  TensorList parts;
  if (prepend.defined()) parts.push_back(prepend);
  parts.push_back(self);
  if (append.defined()) parts.push_back(append);
  Tensor x = parts.size() == 1 ? self : cat(parts, dim);
  for (int64_t i = 0; i < n && x.size(dim) > 0; ++i) {
    const int64_t len = x.size(dim) - 1;
    const Tensor later = narrow(x, dim, 1, len), earlier = narrow(x, dim, 0, len);
    x = x.dtype() == ScalarType::Bool ? logical_xor(later, earlier) : sub(later, earlier);
  }
  return x;
}

// ---- block_diag, cartesian_prod, meshgrid -----------------------------------------------------

Tensor block_diag(const TensorList& tensors) {
  int64_t rows = 0, cols = 0;
  ScalarType dtype = ScalarType::Bool;
  Device device = kCPU;
  TensorList blocks;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    WICK_CHECK(t.defined() && t.dim() <= 2, ValueError, "block_diag: Input tensors must have 2 or fewer dimensions. "
               "Input ", i, " has ", t.defined() ? t.dim() : 0, " dimensions");
    const Tensor b = t.dim() == 2 ? t : reshape(t, {1, t.numel()});
    WICK_CHECK(i == 0 || t.device() == device, ValueError, "block_diag: expected all tensors on ", device,
               ", got input ", i, " on ", t.device());
    dtype = i == 0 ? t.dtype() : promote_types(dtype, t.dtype());
    device = t.device();
    rows += b.size(0);
    cols += b.size(1);
    blocks.push_back(b);
  }
  const Tensor out = zeros({rows, cols}, TensorOptions(dtype).device(device));
  int64_t r = 0, c = 0;
  for (const Tensor& b : blocks) {
    narrow(narrow(out, 0, r, b.size(0)), 1, c, b.size(1)).copy_(b);
    r += b.size(0);
    c += b.size(1);
  }
  return out;
}

TensorList meshgrid(const TensorList& tensors, std::string_view indexing) {
  WICK_CHECK(!tensors.empty(), ValueError, "meshgrid: expects a non-empty TensorList");
  WICK_CHECK(indexing == "ij" || indexing == "xy", ValueError,
             "meshgrid: indexing must be one of \"xy\" or \"ij\", but received: ", indexing);
  const bool swap = indexing == "xy" && tensors.size() >= 2;
  DimVector shape;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    WICK_CHECK(t.defined() && t.dim() <= 1, ValueError, "meshgrid: Expected 0D or 1D tensor in the tensor list but got ",
               "input ", i, " of shape ", t.defined() ? t.sizes() : IntArrayRef{});
    WICK_CHECK(t.dtype() == tensors[0].dtype() && t.device() == tensors[0].device(), ValueError,
               "meshgrid: expects all tensors to have the same dtype and device; input ", i, " is ", t.dtype(), " on ",
               t.device(), ", input 0 ", tensors[0].dtype(), " on ", tensors[0].device());
    shape.push_back(t.numel());
  }
  if (swap) std::swap(shape[0], shape[1]);
  TensorList grids;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const size_t at = swap && i < 2 ? 1 - i : i;  // "xy": the first tensor varies along dim 1
    DimVector view(shape.size(), 1);
    view[at] = tensors[i].numel();
    grids.push_back(expand(reshape(tensors[i], view), shape));
  }
  return grids;
}

Tensor cartesian_prod(const TensorList& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i)
    WICK_CHECK(tensors[i].defined() && tensors[i].dim() == 1, ValueError,
               "cartesian_prod: expect a 1D vector, but got input ", i, " with ",
               tensors[i].defined() ? tensors[i].dim() : 0, " dims");
  if (tensors.size() == 1) return tensors[0];
  TensorList columns;
  for (const Tensor& g : meshgrid(tensors, "ij")) columns.push_back(reshape(g, {g.numel()}));
  return stack(columns, 1);
}

// ---- atleast_*d, hstack, vstack, dstack, column_stack -----------------------------------------

Tensor atleast_1d(const Tensor& self) { return self.dim() >= 1 ? self : reshape(self, {1}); }
Tensor atleast_2d(const Tensor& self) {
  if (self.dim() >= 2) return self;
  return self.dim() == 1 ? unsqueeze(self, 0) : reshape(self, {1, 1});
}
Tensor atleast_3d(const Tensor& self) {
  switch (self.dim()) {
    case 0: return reshape(self, {1, 1, 1});
    case 1: return unsqueeze(unsqueeze(self, 0), 2);  // [n] -> [1, n, 1], as numpy
    case 2: return unsqueeze(self, 2);
    default: return self;
  }
}

namespace {
TensorList each(const TensorList& tensors, Tensor (*f)(const Tensor&), const char* op) {
  WICK_CHECK(!tensors.empty(), ValueError, op, " expects a non-empty TensorList");
  TensorList out;
  for (const Tensor& t : tensors) out.push_back(f(t));
  return out;
}
}  // namespace

Tensor hstack(const TensorList& tensors) {
  const TensorList ts = each(tensors, atleast_1d, "hstack");
  return cat(ts, ts[0].dim() == 1 ? 0 : 1);
}
Tensor vstack(const TensorList& tensors) { return cat(each(tensors, atleast_2d, "vstack"), 0); }
Tensor dstack(const TensorList& tensors) { return cat(each(tensors, atleast_3d, "dstack"), 2); }
Tensor column_stack(const TensorList& tensors) {
  WICK_CHECK(!tensors.empty(), ValueError, "column_stack expects a non-empty TensorList");
  TensorList cols;
  for (const Tensor& t : tensors) cols.push_back(t.dim() <= 1 ? reshape(t, {t.numel(), 1}) : t);
  return cat(cols, 1);
}

// ---- tril_indices, triu_indices ---------------------------------------------------------------

namespace {

// sum over r in [0, rows) of clamp(r + k, 0, cap), exactly.
__int128 clamped_ramp_sum(int64_t rows, __int128 k, int64_t cap) {
  const __int128 r0 = std::min<__int128>(rows, std::max<__int128>(0, -k));  // below: terms <= 0
  const __int128 r1 = std::min<__int128>(rows, std::max<__int128>(r0, cap - k));  // from here: terms == cap
  const __int128 linear = (r1 - r0) * (r0 + k + r1 - 1 + k) / 2;  // sum of r + k over [r0, r1)
  return linear + (rows - r1) * cap;
}

Tensor triangle_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options, bool lower, const char* op) {
  WICK_CHECK(row >= 0 && col >= 0, ValueError, op, ": row and col must be non-negative, got row=", row, ", col=", col);
  const ScalarType dtype = options.dtype_or(ScalarType::Int64);
  WICK_CHECK(dtype == ScalarType::Int64 || dtype == ScalarType::Int32, TypeError, op,
             ": dtype must be an integer type (int64 or int32), got ", dtype);
  // The count first (row r holds clamp(r + offset + 1, 0, col) elements of the lower triangle), so
  // that a size too large to allocate is refused before any loop.
  const __int128 lower_count = clamped_ramp_sum(row, static_cast<__int128>(offset) + 1, col);
  const __int128 count = lower ? lower_count : static_cast<__int128>(row) * col - clamped_ramp_sum(row, offset, col);
  WICK_CHECK(count <= (__int128{1} << 60), ValueError, op, ": the ", row, " x ", col, " triangle (offset ", offset,
             ") has too many elements to list");
  const int64_t n = static_cast<int64_t>(count);
  check_allocatable({2, n}, ScalarType::Int64, op);
  std::vector<int64_t> coords(static_cast<size_t>(2 * n));
  int64_t k = 0;
  for (int64_t r = 0; r < row && k < n; ++r) {
    const int64_t first = lower ? 0 : std::clamp<int64_t>(r + offset, 0, col);
    const int64_t end = lower ? std::clamp<int64_t>(r + offset + 1, 0, col) : col;
    for (int64_t c = first; c < end; ++c, ++k) {
      coords[k] = r;
      coords[n + k] = c;
    }
  }
  return from_vector<int64_t>(coords, {2, n}).to(options.device_, dtype);
}

}  // namespace

Tensor tril_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  return triangle_indices(row, col, offset, options, true, "tril_indices");
}
Tensor triu_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  return triangle_indices(row, col, offset, options, false, "triu_indices");
}

}  // namespace wick
