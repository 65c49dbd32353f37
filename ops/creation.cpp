// Creating tensors.
#include "ops/creation.h"

#include <algorithm>
#include <cmath>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/copy.h"
#include "ops/elementwise.h"
#include "ops/view.h"

namespace wick {

int64_t checked_numel(IntArrayRef sizes, const char* op) {
  // `extent` skips the zeros: an empty tensor's other sizes still multiply into its strides.
  int64_t n = 1, extent = 1;
  for (int64_t s : sizes) {
    WICK_CHECK(s >= 0, ValueError, op, ": negative dimension ", s, " in size ", sizes);
    WICK_CHECK(s == 0 || extent <= (int64_t{1} << 62) / s, ValueError, op, ": size ", sizes, " is too large");
    n *= s;
    extent *= std::max<int64_t>(s, 1);
  }
  return n;
}

namespace {
// The bytes of `numel` elements of `dtype`, refusing counts whose byte size
// would overflow (2**62 float64 elements are 2**65 bytes: wrapped, a tiny size).
size_t checked_nbytes(int64_t numel, ScalarType dtype, const char* op) {
  const auto size = static_cast<int64_t>(itemsize(dtype));
  WICK_CHECK(numel <= (int64_t{1} << 62) / size, ValueError, op, ": ", numel, " elements of ", dtype,
             " would take more than 2**62 bytes");
  return static_cast<size_t>(numel) * static_cast<size_t>(size);
}

}  // namespace

void check_allocatable(IntArrayRef sizes, ScalarType dtype, const char* op) {
  checked_nbytes(checked_numel(sizes, op), dtype, op);
}

namespace {
Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor empty_strided(IntArrayRef sizes, IntArrayRef strides, TensorOptions options) {
  WICK_CHECK(sizes.size() == strides.size(), ValueError, "empty_strided: got ", sizes.size(), " sizes but ",
             strides.size(), " strides");
  checked_numel(sizes, "empty_strided");
  const ScalarType dtype = options.dtype_or(default_dtype());
  int64_t span = 0;  // elements from the first to one past the furthest
  bool any_zero = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    WICK_CHECK(strides[d] >= 0, ValueError, "empty_strided: negative stride in ", strides);
    any_zero = any_zero || sizes[d] == 0;
  }
  for (size_t d = 0; d < sizes.size() && !any_zero; ++d) {
    WICK_CHECK(strides[d] == 0 || sizes[d] - 1 <= ((int64_t{1} << 62) - span) / strides[d], ValueError,
               "empty_strided: sizes ", sizes, " with strides ", strides, " span too much memory");
    span += (sizes[d] - 1) * strides[d];
  }
  const size_t nbytes = any_zero ? 0 : checked_nbytes(span + 1, dtype, "empty_strided");
  auto storage = StorageImpl::create(nbytes, options.device_);
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0)), options);
}

Tensor empty(IntArrayRef sizes, TensorOptions options) {
  const int64_t n = checked_numel(sizes, "empty");
  const ScalarType dtype = options.dtype_or(default_dtype());
  auto storage = StorageImpl::create(checked_nbytes(n, dtype, "empty"), options.device_);
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, contiguous_strides(sizes), 0)),
                options);
}

const Tensor& resize_(const Tensor& self, IntArrayRef sizes) {
  WICK_CHECK(!self.requires_grad(), Error, "cannot resize variables that require grad");
  const int64_t n = checked_numel(sizes, "resize_");
  const int64_t offset = self.storage_offset();
  const auto item = static_cast<int64_t>(itemsize(self.dtype()));
  const int64_t held = static_cast<int64_t>(self.impl()->storage()->nbytes()) / item;
  if (offset + n > held) {
    Tensor fresh = empty({offset + n}, TensorOptions().dtype(self.dtype()).device(self.device()));
    if (held > 0) raw_view(fresh, {held}).copy_(raw_view(self, {held}, {1}, -offset));
    self.impl()->set_data(*raw_view(fresh, {0}).impl());
  }
  self.impl()->set_sizes_and_strides(sizes, contiguous_strides(sizes), offset);
  return self;
}

Tensor full(IntArrayRef sizes, Scalar value, TensorOptions options) {
  if (!options.dtype_) options.dtype_ = value.natural_dtype();
  value = checked_convert(value, *options.dtype_, "full");  // Note [Checked scalar conversion]
  const bool rg = options.requires_grad_;
  Tensor t = empty(sizes, options.requires_grad(false));
  kernel(t.device(), &Backend::fill, "full")(t, value);
  return finish(t, options.requires_grad(rg));
}

Tensor zeros(IntArrayRef sizes, TensorOptions options) {
  return full(sizes, 0, options.dtype(options.dtype_or(default_dtype())));
}
Tensor ones(IntArrayRef sizes, TensorOptions options) {
  return full(sizes, 1, options.dtype(options.dtype_or(default_dtype())));
}
Tensor scalar_tensor(Scalar value, TensorOptions options) { return full({}, value, options); }

Tensor arange(Scalar end, TensorOptions options) { return arange(0, end, 1, options); }

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options) {
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  WICK_CHECK(st != 0, ValueError, "arange: step must be nonzero");
  WICK_CHECK(std::isfinite(s) && std::isfinite(e), ValueError, "arange: unsupported range: ", start, " -> ", end);
  WICK_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), ValueError,
             "arange: upper bound and larger bound inconsistent with step sign (start=", start, ", end=", end,
             ", step=", step, ")");
  if (!options.dtype_) {
    const bool all_int = !start.is_floating_point() && !end.is_floating_point() && !step.is_floating_point();
    options.dtype_ = all_int ? ScalarType::Int64 : default_dtype();
  }
  const double count = std::ceil((e - s) / st);
  WICK_CHECK(std::isfinite(st) && count < 4611686018427387904.0, ValueError, "arange: invalid step ", step,
             " for the range ", start, " -> ", end, " (", count, " elements)");
  const auto n = static_cast<int64_t>(count);
  const bool rg = options.requires_grad_;
  Tensor t = empty({n}, options.requires_grad(false));
  kernel(t.device(), &Backend::arange, "arange")(t, s, st);
  return finish(t, options.requires_grad(rg));
}

Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options) {
  WICK_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ", steps);
  const double s = start.to_double(), e = end.to_double();
  const double step = steps > 1 ? (e - s) / static_cast<double>(steps - 1) : 0.0;
  const bool rg = options.requires_grad_;
  Tensor t = empty({steps}, options.dtype(options.dtype_or(default_dtype())).requires_grad(false));
  kernel(t.device(), &Backend::arange, "linspace")(t, s, step);
  if (steps > 1) narrow(t, 0, steps - 1, 1).fill_(end);  // exact last value, as in PyTorch
  return finish(t, options.requires_grad(rg));
}

Tensor logspace(Scalar start, Scalar end, int64_t steps, double base, TensorOptions options) {
  const bool rg = options.requires_grad_;
  const ScalarType dtype = options.dtype_or(default_dtype());
  // The exponents in float64, raised in float64, then converted (PyTorch computes in the output dtype;
  // float64 is at least as exact).
  const Tensor exponents = linspace(start, end, steps, options.dtype(ScalarType::Float64).requires_grad(false));
  Tensor t = pow(wrap_scalar(base), exponents).to(dtype);
  return finish(t, options.requires_grad(rg));
}

Tensor eye(int64_t n, std::optional<int64_t> m, TensorOptions options) {
  const int64_t cols = m.value_or(n);
  WICK_CHECK(n >= 0 && cols >= 0, ValueError, "eye: n and m must be non-negative, got ", n, " and ", cols);
  const bool rg = options.requires_grad_;
  Tensor t = zeros({n, cols}, options.requires_grad(false));
  const int64_t diag = std::min(n, cols);
  if (diag > 0) as_strided(t, {diag}, {cols + 1}, 0).fill_(1);
  return finish(t, options.requires_grad(rg));
}

// ---- random -------------------------------------------------------------------

namespace {
// The generator passed, or the default one of the device filled (Note [Default generators]).
Generator& gen_or_default(Generator* gen, Device device) { return gen ? *gen : default_generator(device); }

// Fills `self` (any layout) with a random op through a contiguous buffer.
const Tensor& fill_random(const Tensor& self, RandomOp op, double a, double b, Generator* gen, const char* name) {
  auto fn = kernel(self.device(), &Backend::random, name);
  if (self.is_contiguous()) {
    fn(op, self, a, b, gen_or_default(gen, self.device()));
  } else {
    Tensor tmp = empty(self.sizes(), TensorOptions(self.dtype()).device(self.device()));
    fn(op, tmp, a, b, gen_or_default(gen, self.device()));
    kernel(self.device(), &Backend::copy, name)(self, tmp);
  }
  return self;
}

// The node of uniform_ / normal_ on a tensor that needs grad: the old values are gone.
struct RandomFillBackward final : Node {
  const char* node_name = "";
  std::string_view name() const override { return node_name; }
  TensorList apply(TensorList&&) override { return {Tensor()}; }
};

// An in-place random fill of a tensor the user holds: through check_inplace
// (Note [Overlapping in-place writes]) and recorded like any in-place op.
const Tensor& fill_random_inplace(const Tensor& self, RandomOp op, double a, double b, Generator* gen,
                                  const char* name, const char* node_name) {
  check_inplace(self, name);
  if (self.numel() > 0) fill_random(self, op, a, b, gen, name);
  if (auto node = make_node<RandomFillBackward>(self)) {
    node->node_name = node_name;
    rebase_history(self, node);
  }
  return self;
}

Tensor random_tensor(IntArrayRef sizes, TensorOptions options, RandomOp op, double a, double b, Generator* gen,
                     const char* name) {
  const ScalarType dtype = options.dtype_or(default_dtype());
  WICK_CHECK(is_floating_point(dtype), TypeError, name, ": expected a floating point dtype, got ", dtype);
  const bool rg = options.requires_grad_;
  Tensor t = empty(sizes, options.dtype(dtype).requires_grad(false));
  fill_random(t, op, a, b, gen, name);
  return finish(t, options.requires_grad(rg));
}
}  // namespace

Tensor rand(IntArrayRef sizes, TensorOptions options, Generator* gen) {
  return random_tensor(sizes, options, RandomOp::Uniform, 0, 1, gen, "rand");
}
Tensor randn(IntArrayRef sizes, TensorOptions options, Generator* gen) {
  return random_tensor(sizes, options, RandomOp::Normal, 0, 1, gen, "randn");
}

Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options, Generator* gen) {
  WICK_CHECK(low < high, ValueError, "randint: expected low < high, but got low=", low, " and high=", high);
  Tensor t = empty(sizes, options.dtype(options.dtype_or(ScalarType::Int64)).requires_grad(false));
  fill_random(t, RandomOp::RandInt, static_cast<double>(low), static_cast<double>(high), gen, "randint");
  return t;
}

Tensor randperm(int64_t n, TensorOptions options, Generator* gen) {
  WICK_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  // Fisher-Yates on the CPU with keys from the generator.
  Tensor keys = empty({n}, TensorOptions(ScalarType::Int64));
  if (n > 0) fill_random(keys, RandomOp::RandInt, 0, 9007199254740992.0, gen, "randperm");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  const int64_t* k = keys.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(k[i] % (i + 1))]);
  return from_vector(perm, {n}).to(options.device_, options.dtype_or(ScalarType::Int64));
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  WICK_CHECK(p.is_floating_point(), TypeError, "bernoulli: expected a floating point tensor of probabilities, got ",
             p.dtype());
  Tensor u = empty(p.sizes(), TensorOptions(p.dtype()).device(p.device()));
  fill_random(u, RandomOp::Uniform, 0, 1, gen, "bernoulli");
  return lt(u, p.detach()).to(p.dtype());
}

const Tensor& uniform_(const Tensor& self, double from, double to, Generator* gen) {
  WICK_CHECK(from <= to, ValueError, "uniform_: expected from <= to, but got from=", from, " to=", to);
  return fill_random_inplace(self, RandomOp::Uniform, from, to, gen, "uniform_", "UniformBackward0");
}
const Tensor& normal_(const Tensor& self, double mean, double std, Generator* gen) {
  WICK_CHECK(std >= 0, ValueError, "normal_: expected std >= 0, but got std=", std);
  return fill_random_inplace(self, RandomOp::Normal, mean, std, gen, "normal_", "NormalBackward0");
}

// ---- *_like --------------------------------------------------------------------

namespace {
TensorOptions like_options(const Tensor& like, TensorOptions options) {
  if (!options.dtype_) options.dtype_ = like.dtype();
  if (options.device_ == kCPU && !like.device().is_cpu()) options.device_ = like.device();
  return options;
}
}  // namespace

Tensor empty_like(const Tensor& like, TensorOptions o) { return empty(like.sizes(), like_options(like, o)); }
Tensor zeros_like(const Tensor& like, TensorOptions o) { return zeros(like.sizes(), like_options(like, o)); }
Tensor ones_like(const Tensor& like, TensorOptions o) { return ones(like.sizes(), like_options(like, o)); }
Tensor full_like(const Tensor& like, Scalar v, TensorOptions o) { return full(like.sizes(), v, like_options(like, o)); }
Tensor rand_like(const Tensor& like, TensorOptions o) { return rand(like.sizes(), like_options(like, o)); }
Tensor randn_like(const Tensor& like, TensorOptions o) { return randn(like.sizes(), like_options(like, o)); }

// ---- from C++ values ----------------------------------------------------------------

Tensor tensor(std::initializer_list<double> values, TensorOptions options) {
  Tensor t = from_vector(std::vector<double>(values), {static_cast<int64_t>(values.size())});
  return finish(t.to(options.device_, options.dtype_or(default_dtype())), TensorOptions().requires_grad(options.requires_grad_));
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, IntArrayRef sizes, TensorOptions options) {
  const int64_t n = checked_numel(sizes, "from_vector");
  WICK_CHECK(n == static_cast<int64_t>(values.size()), ValueError, "from_vector: ", values.size(),
             " values cannot fill a tensor of shape ", sizes);
  Tensor t = empty(sizes, TensorOptions(dtype_of<T>()));
  T* p = t.data_ptr<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  const bool rg = options.requires_grad_;
  return finish(t.to(options.device_, options.dtype_or(dtype_of<T>())), TensorOptions().requires_grad(rg));
}
template Tensor from_vector(const std::vector<bool>&, IntArrayRef, TensorOptions);
template Tensor from_vector(const std::vector<uint8_t>&, IntArrayRef, TensorOptions);
template Tensor from_vector(const std::vector<int32_t>&, IntArrayRef, TensorOptions);
template Tensor from_vector(const std::vector<int64_t>&, IntArrayRef, TensorOptions);
template Tensor from_vector(const std::vector<float>&, IntArrayRef, TensorOptions);
template Tensor from_vector(const std::vector<double>&, IntArrayRef, TensorOptions);

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, ScalarType dtype, Device device,
                 StorageImpl::Deleter deleter, void* context, const char* op) {
  WICK_CHECK(sizes.size() == strides.size(), ValueError, op, ": got ", sizes.size(), " sizes but ", strides.size(),
             " strides");
  // Foreign shapes and strides are checked for overflow: a wrapped product
  // would give a tensor that reads outside the memory it was handed.
  checked_numel(sizes, op);
  int64_t span = 0;
  bool empty_tensor = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    WICK_CHECK(sizes[d] >= 0 && strides[d] >= 0, ValueError, op, ": negative size or stride in ", sizes, " / ",
               strides);
    empty_tensor = empty_tensor || sizes[d] == 0;
  }
  for (size_t d = 0; d < sizes.size() && !empty_tensor; ++d) {
    int64_t reach = 0;
    WICK_CHECK(!__builtin_mul_overflow(sizes[d] - 1, strides[d], &reach) && !__builtin_add_overflow(span, reach, &span),
               ValueError, op, ": shape ", sizes, " with strides ", strides, " reaches past 2**63 elements");
  }
  const size_t nbytes = empty_tensor ? 0 : checked_nbytes(span + 1, dtype, op);
  auto storage = make_intrusive<StorageImpl>(data, nbytes, device, deleter, context);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

// ---- methods -----------------------------------------------------------------------------------

Tensor Tensor::new_ones(IntArrayRef sizes) const { return ones(sizes, TensorOptions(dtype()).device(device())); }

}  // namespace wick
