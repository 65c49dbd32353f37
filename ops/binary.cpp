// Binary elementwise ops: broadcasting, type promotion, and each op's
// derivative next to it.
//
// Backward formulas may return gradients in the broadcast shape: the engine
// sums them down to each input's shape (Note [Gradient validation] in
// autograd/engine.cpp). They are written with wick ops, so they are
// differentiable themselves (create_graph).
#include <algorithm>
#include <cmath>

#include "autograd/function.h"
#include "core/dispatch.h"
#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "ops/view.h"

namespace wick {

// ---- broadcasting and promotion ---------------------------------------------------

DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  const size_t n = std::max(a.size(), b.size());
  DimVector out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    WICK_CHECK(x == y || x == 1 || y == 1, ValueError, "The size of tensor a (", x,
               ") must match the size of tensor b (", y, ") at non-singleton dimension ", i,
               " (shapes ", a, " and ", b, " cannot be broadcast together)");
    out[i] = x == 1 ? y : x;
  }
  return out;
}

namespace {
enum class Category { Bool, Integral, Floating };
Category category(ScalarType t) {
  return t == ScalarType::Bool ? Category::Bool : is_floating_point(t) ? Category::Floating : Category::Integral;
}

using MaybeType = std::optional<ScalarType>;
MaybeType promote_opt(MaybeType a, MaybeType b) {
  if (!a) return b;
  if (!b) return a;
  return promote_types(*a, *b);
}
// A lower-priority group changes the result only if it is of a higher category.
MaybeType combine(MaybeType higher, MaybeType lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  return category(*lower) > category(*higher) ? promote_types(*higher, *lower) : *higher;
}
}  // namespace

namespace {
ScalarType result_type_of(std::initializer_list<const Tensor*> operands) {
  MaybeType dimensioned, zero_dim, wrapped;
  for (const Tensor* t : operands) {
    if (!t->defined()) continue;
    if (t->impl()->is_wrapped_number) {
      const ScalarType w = t->is_floating_point() ? default_dtype() : t->dtype();
      wrapped = promote_opt(wrapped, w);
    } else if (t->dim() == 0) {
      zero_dim = promote_opt(zero_dim, t->dtype());
    } else {
      dimensioned = promote_opt(dimensioned, t->dtype());
    }
  }
  return *combine(dimensioned, combine(zero_dim, wrapped));
}
}  // namespace

ScalarType result_type(const Tensor& a, const Tensor& b) { return result_type_of({&a, &b}); }
ScalarType result_type(const Tensor& a, const Tensor& b, const Tensor& c) { return result_type_of({&a, &b, &c}); }

Tensor wrap_scalar(Scalar value, Device device) {
  Tensor t = scalar_tensor(value, TensorOptions(value.is_floating_point() ? ScalarType::Float64 : value.natural_dtype())
                                      .device(device));
  t.impl()->is_wrapped_number = true;
  return t;
}

namespace {

// The device of an op's result: the first operand's that is not a CPU scalar
// (a CPU scalar may join a GPU tensor, as in PyTorch).
Device common_device(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* pick = nullptr;
  for (const Tensor* t : ts)
    if (!(t->dim() == 0 && t->device().is_cpu())) {
      if (!pick) pick = t;
      else
        WICK_CHECK(t->device() == pick->device(), ValueError, op,
                   ": Expected all tensors to be on the same device, but found at least two devices, ",
                   pick->device(), " and ", t->device(), "!");
    }
  return pick ? pick->device() : (*ts.begin())->device();
}

// x as the kernel wants it: on `device`, in `dtype`, viewed as `shape`. Not recorded.
Tensor operand(const Tensor& x, Device device, ScalarType dtype, IntArrayRef shape) {
  NoGradGuard no_grad;
  Tensor y = x.device() == device && x.dtype() == dtype ? x : to(x, device, dtype);
  return y.sizes() == shape ? y : expand(y, shape);
}

// Runs the element function f over a and b broadcast. With `inplace`, writes
// into a (which must hold the broadcast shape and the result dtype) and
// returns it. The compute dtype is the promoted one, or the default float
// dtype where f's Dtypes is Floating (true division of integers; Note [Which
// dtypes an op takes]).
template <typename F>
Tensor binary_forward(const F& f, const Tensor& a, const Tensor& b, const char* name, bool inplace = false) {
  using namespace pointwise;
  WICK_CHECK(a.defined() && b.defined(), ValueError, name, ": undefined tensor argument");
  const Device device = common_device(name, {&a, &b});
  const ScalarType promoted = result_type(a, b);
  ScalarType compute = promoted;
  if (kIntegersComputeAsFloat<F> && !is_floating_point(promoted)) compute = default_dtype();
  if constexpr (std::is_same_v<typename F::Dtypes, IntegersAndBool>)
    WICK_CHECK(!is_floating_point(compute), TypeError, name, ": bitwise operations need integer or bool tensors, got ",
               a.dtype(), " and ", b.dtype());
  if constexpr (std::is_same_v<F, Sub>)
    WICK_CHECK(compute != ScalarType::Bool, TypeError,
               "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
               "`logical_xor()` operator instead.");
  check_takes<F>(compute);  // before an empty result skips the kernel
  constexpr bool kBoolResult = std::is_same_v<BinaryResult<F, float>, bool>;  // comparisons and logic
  const ScalarType out_dtype = kBoolResult ? ScalarType::Bool : compute;
  const DimVector shape = broadcast_shapes(a.sizes(), b.sizes());
  if constexpr (std::is_same_v<F, Remainder> || std::is_same_v<F, FloorDivide> || std::is_same_v<F, Fmod> ||
                std::is_same_v<F, TruncDivide>) {
    // An empty result divides nothing (a zero divisor is never used), as in
    // PyTorch, whose kernel raises only on a division it performs.
    if (!is_floating_point(compute) && std::find(shape.begin(), shape.end(), 0) == shape.end()) {
      // In the compute dtype: a wrapped 256 divides a uint8 tensor as 0.
      // PyTorch raises RuntimeError("ZeroDivisionError") for every form.
      WICK_CHECK(!any(eq(b.dtype() == compute ? b : b.to(compute), 0)).item<bool>(), Error, name,
                 ": ZeroDivisionError (integer division by zero)");
    }
  }
  Tensor out;
  if (inplace) {
    WICK_CHECK(IntArrayRef(shape) == a.sizes(), ValueError, name, ": output with shape ", a.sizes(),
               " doesn't match the broadcast shape ", IntArrayRef(shape), " (other operand has shape ", b.sizes(), ")");
    // The result may narrow into self's dtype within its category (float64
    // into float32), never change category (float into int): can_cast.
    WICK_CHECK(a.dtype() == out_dtype || (can_cast(out_dtype, a.dtype()) && !kBoolResult), Error, name,
               ": result type ", out_dtype, " can't be cast to the desired output type ", a.dtype());
    WICK_CHECK(a.device() == device, ValueError, name, ": in-place output on ", a.device(), " but the result is on ",
               device);
    out = a;
  } else {
    out = empty(shape, TensorOptions(out_dtype).device(device));
  }
  if (out.numel() == 0) return out;
  Tensor x = inplace && compute == a.dtype() ? a : operand(a, device, compute, shape);
  Tensor y = operand(b, device, compute, shape);
  if (inplace && out.dtype() != out_dtype) {
    // As PyTorch's TensorIterator: computed in the promoted dtype, then cast
    // into self (uint8 4 % int64 -6 is -2, stored as 254; computing in uint8
    // would read -6 as 250 and give 4).
    NoGradGuard no_grad;
    Tensor result = empty(shape, TensorOptions(out_dtype).device(device));
    run_pointwise(f, result, x, y);
    copy_(out, result);
    return out;
  }
  if (inplace && y.impl()->storage() == out.impl()->storage() && !y.is_same(out)) {
    NoGradGuard no_grad;
    y = clone(y);  // b overlaps the output: read it whole first
  }
  run_pointwise(f, out, x, y);
  return out;
}

// Saves `t` only when the other input's gradient (at index `needed`) needs it.
SavedTensor save_if(const std::shared_ptr<Node>& node, size_t needed, const Tensor& t) {
  return node->needs_input_grad(needed) ? SavedTensor(t) : SavedTensor();
}

}  // namespace

// ---- add / sub ------------------------------------------------------------------------

struct AddBackward0 final : Node {
  Scalar alpha;
  std::string_view name() const override { return "AddBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(),
            needs_input_grad(1) ? (alpha.to_double() == 1 ? g : mul(g, alpha)) : Tensor()};
  }
};

namespace {

// Note [alpha of add and sub]
// add(a, b, alpha) is a + alpha * b in the result dtype of a and b alone, as
// in PyTorch: alpha takes no part in the promotion, it is converted to that
// dtype (Note [Checked scalar conversion]) and the product is computed in it.
// So add(bool, bool, alpha=2) stays bool (b and alpha, or'ed into a),
// add(int32, bool, alpha=2) is int32, and a float64 sum's 0.2 * b is not
// rounded to float32 when b is float32 or an integer. alpha joins b as a 0-dim
// tensor of the result dtype, not as a number: a wrapped b times a wrapped
// alpha would give a default-dtype (float32) number. PyTorch's alpha_check
// refuses a bool alpha unless the result is bool, and a floating alpha unless
// it is floating. Returns alpha * b (unrecorded: the Add/Sub nodes apply alpha
// themselves).
Tensor scaled(const Tensor& a, const Tensor& b, Scalar alpha, const char* name) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, name, ": undefined tensor argument");
  const ScalarType type = result_type(a, b);
  WICK_CHECK(!alpha.is_bool() || type == ScalarType::Bool, TypeError, name,
             ": Boolean alpha only supported for Boolean results (the result dtype is ", type, ")");
  WICK_CHECK(is_floating_point(type) || !alpha.is_floating_point(), TypeError, name,
             ": For integral input tensors, argument alpha must not be a floating point number (the result dtype is ",
             type, ", alpha is ", alpha, ")");
  alpha = checked_convert(alpha, type, name);
  if (alpha.to_double() == 1) return b;
  NoGradGuard no_grad;
  const Tensor bt = b.dtype() == type ? b : b.to(type);
  return mul(bt, scalar_tensor(alpha, TensorOptions(type)));  // a CPU number joins a tensor on any device
}

// PyTorch's sub_check: a bool operand is refused, whatever the other one is.
void check_sub(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.dtype() != ScalarType::Bool || b.dtype() != ScalarType::Bool, TypeError,
             "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
             "`logical_xor()` operator instead.");
  WICK_CHECK(a.dtype() != ScalarType::Bool && b.dtype() != ScalarType::Bool, TypeError,
             "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
             "mask, use the `~` or `logical_not()` operator instead.");
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  Tensor out = binary_forward(pointwise::Add{}, a, scaled(a, b, alpha, "add"), "add");
  if (auto node = make_node<AddBackward0>(a, b)) {
    node->alpha = alpha;
    set_history(out, node);
  }
  return out;
}

const Tensor& add_(const Tensor& self, const Tensor& other, Scalar alpha) {
  check_inplace(self, "add_", {other});
  binary_forward(pointwise::Add{}, self, scaled(self, other, alpha, "add_"), "add_", true);
  if (auto node = make_node<AddBackward0>(self, other)) {
    node->alpha = alpha;
    rebase_history(self, node);
  }
  return self;
}

struct SubBackward0 final : Node {
  Scalar alpha;
  std::string_view name() const override { return "SubBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(), needs_input_grad(1) ? mul(g, -alpha.to_double()) : Tensor()};
  }
};

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "sub: undefined tensor argument");
  check_sub(a, b);
  Tensor out = binary_forward(pointwise::Sub{}, a, scaled(a, b, alpha, "sub"), "sub");
  if (auto node = make_node<SubBackward0>(a, b)) {
    node->alpha = alpha;
    set_history(out, node);
  }
  return out;
}

const Tensor& sub_(const Tensor& self, const Tensor& other, Scalar alpha) {
  WICK_CHECK(self.defined() && other.defined(), ValueError, "sub_: undefined tensor argument");
  check_sub(self, other);
  check_inplace(self, "sub_", {other});
  binary_forward(pointwise::Sub{}, self, scaled(self, other, alpha, "sub_"), "sub_", true);
  if (auto node = make_node<SubBackward0>(self, other)) {
    node->alpha = alpha;
    rebase_history(self, node);
  }
  return self;
}

// ---- mul / div ---------------------------------------------------------------------------

struct MulBackward0 final : Node {
  SavedTensor self, other;
  std::string_view name() const override { return "MulBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? mul(g, other.unpack()) : Tensor(),
            needs_input_grad(1) ? mul(g, self.unpack()) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Mul{}, a, b, "mul");
  if (auto node = make_node<MulBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->other = save_if(node, 0, b);
    set_history(out, node);
  }
  return out;
}

const Tensor& mul_(const Tensor& self, const Tensor& other) {
  auto node = make_node<MulBackward0>(self, other);
  // other's gradient needs self's value from before the write.
  if (node && node->needs_input_grad(1)) node->self = SavedTensor(self.detach().clone());
  check_inplace(self, "mul_", {other});
  binary_forward(pointwise::Mul{}, self, other, "mul_", true);
  if (node) {
    node->other = save_if(node, 0, other);
    rebase_history(self, node);
  }
  return self;
}

struct DivBackward0 final : Node {
  SavedTensor self, other;
  std::string_view name() const override { return "DivBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor b = other.unpack();
    return {needs_input_grad(0) ? div(g, b) : Tensor(),
            needs_input_grad(1) ? neg(div(mul(g, self.unpack()), mul(b, b))) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Div{}, a, b, "div");
  if (auto node = make_node<DivBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

const Tensor& div_(const Tensor& self, const Tensor& other) {
  auto node = make_node<DivBackward0>(self, other);
  if (node && node->needs_input_grad(1)) node->self = SavedTensor(self.detach().clone());
  check_inplace(self, "div_", {other});
  binary_forward(pointwise::Div{}, self, other, "div_", true);
  if (node) {
    node->other = SavedTensor(other);
    rebase_history(self, node);
  }
  return self;
}

// ---- pow ------------------------------------------------------------------------------------

struct PowBackward0 final : Node {  // tensor ** number
  SavedTensor self;
  double exponent = 0;
  std::string_view name() const override { return "PowBackward0"; }
  TensorList apply(TensorList&& grads) override {
    if (exponent == 0) return {zeros_like(grads[0])};
    return {mul(grads[0], mul(pow(self.unpack(), exponent - 1), exponent))};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); }
};

Tensor pow(const Tensor& a, Scalar b) {
  // Bool counts as an integer here, as in PyTorch: bool ** -1 is an int64 power.
  WICK_CHECK(!(is_integral(a.dtype(), true) && b.is_integral() && b.to<int64_t>() < 0), ValueError,
             "pow: Integers to negative integer powers are not allowed.");
  const Tensor exponent = wrap_scalar(b);
  // An integer result takes the exponent in its dtype (Note [Checked scalar
  // conversion]): uint8 ** 300 is an error, as in PyTorch; a float one does
  // not (float32 ** 1e39 is inf).
  const ScalarType type = result_type(a, exponent);
  if (!is_floating_point(type)) checked_convert(b, type, "pow");
  Tensor out = binary_forward(pointwise::Pow{}, a, exponent, "pow");
  if (auto node = make_node<PowBackward0>(a)) {
    node->self = SavedTensor(a);
    node->exponent = b.to_double();
    set_history(out, node);
  }
  return out;
}

const Tensor& pow_(const Tensor& self, Scalar exponent) {
  WICK_CHECK(!(is_integral(self.dtype(), true) && exponent.is_integral() && exponent.to<int64_t>() < 0), ValueError,
             "pow_: Integers to negative integer powers are not allowed.");
  // An integer exponent is taken in self's integer dtype (Note [Checked scalar conversion]).
  if (is_integral(self.dtype(), false) && exponent.is_integral()) checked_convert(exponent, self.dtype(), "pow_");
  auto node = make_node<PowBackward0>(self);
  if (node) {
    node->self = SavedTensor(self.detach().clone());
    node->exponent = exponent.to_double();
  }
  check_inplace(self, "pow_");
  binary_forward(pointwise::Pow{}, self, wrap_scalar(exponent), "pow_", true);
  if (node) rebase_history(self, node);
  return self;
}

struct PowBackward1 final : Node {  // tensor ** tensor
  SavedTensor self, exponent, result;
  std::string_view name() const override { return "PowBackward1"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor a = self.unpack(), b = exponent.unpack();
    TensorList out(2);
    if (needs_input_grad(0)) out[0] = where(eq(b, 0), zeros_like(g), mul(g, mul(b, pow(a, sub(b, 1)))));
    if (needs_input_grad(1)) {
      // 0 ** b has derivative 0 in b for b >= 0 (log(0) would give nan).
      const Tensor d = mul(g, mul(result.unpack(), log(a)));
      out[1] = where(logical_and(eq(a, 0), ge(b, 0)), zeros_like(d), d);
    }
    return out;
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(exponent); f(result); }
};

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Pow{}, a, b, "pow");
  if (auto node = make_node<PowBackward1>(a, b)) {
    node->self = SavedTensor(a);
    node->exponent = SavedTensor(b);
    if (node->needs_input_grad(1)) node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

const Tensor& pow_(const Tensor& self, const Tensor& exponent) {
  auto node = make_node<PowBackward1>(self, exponent);
  // The backward needs self's value from before the write.
  if (node) node->self = SavedTensor(self.detach().clone());
  check_inplace(self, "pow_", {exponent});
  binary_forward(pointwise::Pow{}, self, exponent, "pow_", true);
  if (node) {
    node->exponent = SavedTensor(exponent);
    rebase_history(self, node);
    // After rebase_history: self's grad_fn is now this node (or, for a view, its base's CopySlices).
    if (node->needs_input_grad(1)) node->result = SavedTensor(self.detach().clone());
  }
  return self;
}

struct PowBackward2 final : Node {  // number ** tensor
  SavedTensor exponent, result;
  double base = 0;
  std::string_view name() const override { return "PowBackward2"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor d = mul(grads[0], mul(result.unpack(), std::log(base)));
    // As PowBackward1: 0 ** b has derivative 0 in b for b >= 0; below 0 it is
    // inf * log(0) = -inf, as in PyTorch.
    if (base == 0) return {where(ge(exponent.unpack(), 0), zeros_like(d), d)};
    return {d};
  }
  void for_each_saved(const SavedVisitor& f) override { f(exponent); f(result); }
};

Tensor pow(Scalar a, const Tensor& b) {
  // torch.pow(300, uint8 tensor) wraps the base, as in PyTorch (its 44 ** b);
  // 300 ** tensor is checked by Tensor.__rpow__, which makes a tensor of it.
  const Tensor base = wrap_scalar(a);
  Tensor out = binary_forward(pointwise::Pow{}, base, b, "pow");
  if (auto node = make_node<PowBackward2>(b)) {
    node->base = a.to_double();
    if (node->base == 0) node->exponent = SavedTensor(b);
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

// ---- maximum / minimum / remainder / atan2 ---------------------------------------------------

// Gradient of maximum/minimum: to the winner, split in half on ties, and
// where a NaN makes every comparison false, whole to both (PyTorch's formula:
// where(a == b, g / 2, g), zeroed where that input loses).
struct MinMaxBackward : Node {
  SavedTensor self, other;
  bool is_max = true;
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor a = self.unpack(), b = other.unpack();
    const Tensor shared = where(eq(a, b), mul(g, 0.5), g);
    const Tensor zero = zeros_like(g);
    const Tensor a_loses = is_max ? lt(a, b) : gt(a, b);
    const Tensor b_loses = is_max ? gt(a, b) : lt(a, b);
    return {needs_input_grad(0) ? where(a_loses, zero, shared) : Tensor(),
            needs_input_grad(1) ? where(b_loses, zero, shared) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};
struct MaximumBackward0 final : MinMaxBackward {
  std::string_view name() const override { return "MaximumBackward0"; }
};
struct MinimumBackward0 final : MinMaxBackward {
  std::string_view name() const override { return "MinimumBackward0"; }
};

struct ThresholdBackwardBackward0 final : Node {
  SavedTensor result;
  std::string_view name() const override { return "ThresholdBackwardBackward0"; }
  TensorList apply(TensorList&& grads) override {
    // Linear in grad; the step in result has no useful derivative.
    return {needs_input_grad(0) ? threshold_backward(grads[0], result.unpack()) : Tensor(), Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(result); }
};

Tensor threshold_backward(const Tensor& grad, const Tensor& result) {
  Tensor out = binary_forward(pointwise::ReluGrad{}, grad, result, "threshold_backward");
  if (auto node = make_node<ThresholdBackwardBackward0>(grad, result)) {
    node->result = SavedTensor(result);
    set_history(out, node);
  }
  return out;
}

Tensor hardsigmoid_backward(const Tensor& grad, const Tensor& x) {
  return binary_forward(pointwise::HardsigmoidGrad{}, grad, x, "hardsigmoid_backward");
}
Tensor hardswish_backward(const Tensor& grad, const Tensor& x) {
  return binary_forward(pointwise::HardswishGrad{}, grad, x, "hardswish_backward");
}
Tensor mish_backward(const Tensor& grad, const Tensor& x) {
  return binary_forward(pointwise::MishGrad{}, grad, x, "mish_backward");
}
Tensor elu_backward(const Tensor& grad, const Tensor& x, double alpha, double scale, double input_scale) {
  return binary_forward(pointwise::EluGrad{.alpha = alpha, .scale = scale, .input_scale = input_scale}, grad, x,
                        "elu_backward");
}
Tensor silu_backward(const Tensor& grad, const Tensor& x) {
  return binary_forward(pointwise::SiluGrad{}, grad, x, "silu_backward");
}
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approx) {
  return tanh_approx ? binary_forward(pointwise::GeluTanhGrad{}, grad, x, "gelu_backward")
                     : binary_forward(pointwise::GeluGrad{}, grad, x, "gelu_backward");
}
Tensor softplus_backward(const Tensor& grad, const Tensor& x, double beta, double threshold) {
  return binary_forward(pointwise::SoftplusGrad{.beta = beta, .threshold = threshold}, grad, x, "softplus_backward");
}
Tensor log_sigmoid_backward(const Tensor& grad, const Tensor& x) {
  return binary_forward(pointwise::LogSigmoidGrad{}, grad, x, "log_sigmoid_backward");
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Maximum{}, a, b, "maximum");
  if (auto node = make_node<MaximumBackward0>(a, b)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Minimum{}, a, b, "minimum");
  if (auto node = make_node<MinimumBackward0>(a, b)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    node->is_max = false;
    set_history(out, node);
  }
  return out;
}

struct RemainderBackward0 final : Node {
  SavedTensor self, other;
  std::string_view name() const override { return "RemainderBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(),
            needs_input_grad(1) ? neg(mul(g, floor_divide(self.unpack(), other.unpack()))) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor remainder(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Remainder{}, a, b, "remainder");
  if (auto node = make_node<RemainderBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->other = save_if(node, 1, b);
    set_history(out, node);
  }
  return out;
}

struct Atan2Backward0 final : Node {
  SavedTensor self, other;
  std::string_view name() const override { return "Atan2Backward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor a = self.unpack(), b = other.unpack();
    const Tensor scale = div(grads[0], add(mul(a, a), mul(b, b)));
    return {needs_input_grad(0) ? mul(scale, b) : Tensor(), needs_input_grad(1) ? mul(scale, neg(a)) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor atan2(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Atan2{}, a, b, "atan2");
  if (auto node = make_node<Atan2Backward0>(a, b)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

struct HypotBackward0 final : Node {  // x / hypot(x, y), y / hypot(x, y)
  SavedTensor self, other, result;
  std::string_view name() const override { return "HypotBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor scale = div(grads[0], result.unpack());
    return {needs_input_grad(0) ? mul(scale, self.unpack()) : Tensor(),
            needs_input_grad(1) ? mul(scale, other.unpack()) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); f(result); }
};

Tensor hypot(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Hypot{}, a, b, "hypot");
  if (auto node = make_node<HypotBackward0>(a, b)) {
    node->self = save_if(node, 0, a);
    node->other = save_if(node, 1, b);
    node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

struct LogaddexpBackward0 final : Node {  // d/dx log(e^x + e^y) = 1 / (1 + e^(y - x))
  SavedTensor self, other;
  std::string_view name() const override { return "LogaddexpBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor a = self.unpack(), b = other.unpack();
    return {needs_input_grad(0) ? div(g, add(exp(sub(b, a)), 1)) : Tensor(),
            needs_input_grad(1) ? div(g, add(exp(sub(a, b)), 1)) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor logaddexp(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::LogAddExp{}, a, b, "logaddexp");
  if (auto node = make_node<LogaddexpBackward0>(a, b)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

// d/da = log(b), also at a = 0 (the partial derivative of a log b, as PyTorch
// gives it); d/db = a / b.
Tensor gcd(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Gcd{}, a, b, "gcd"); }
Tensor lcm(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Lcm{}, a, b, "lcm"); }

// float_power: pow in float64 (PyTorch's rule: double precision whatever the inputs).
Tensor float_power(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "float_power: undefined tensor argument");
  return pow(a.to(ScalarType::Float64), b.to(ScalarType::Float64));
}

// ldexp: a * 2^b, in a floating dtype.
Tensor ldexp(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "ldexp: undefined tensor argument");
  return mul(a, exp2(b));
}

struct XlogyBackward0 final : Node {
  SavedTensor self, other;
  std::string_view name() const override { return "XlogyBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor b = other.unpack();
    return {needs_input_grad(0) ? mul(g, log(b)) : Tensor(),
            needs_input_grad(1) ? mul(g, div(self.unpack(), b)) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor xlogy(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Xlogy{}, a, b, "xlogy");
  if (auto node = make_node<XlogyBackward0>(a, b)) {
    node->self = save_if(node, 1, a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

// ---- torch.special's functions of two arguments (SpecialBinary in core/pointwise.h) -------------------

namespace {

Tensor special_binary(pointwise::SpecialBinary f, const Tensor& a, const Tensor& b, const char* name) {
  return binary_forward(f, a, b, name);
}

}  // namespace

// As in PyTorch, the orthogonal polynomials are not differentiable: their results never require grad.
Tensor special_polynomial(special_math::Polynomial family, const Tensor& x, const Tensor& n) {
  pointwise::SpecialBinary f;
  f.fn = pointwise::SpecialBinary::Polynomial;
  f.family = family;
  return special_binary(f, x, n, "special_polynomial");
}

// As in PyTorch, zeta's result requires grad when an input does, and a backward through it raises.
struct SpecialZetaBackward0 final : Node {
  std::string_view name() const override { return "SpecialZetaBackward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative for 'zeta' is not implemented.");
  }
};

Tensor special_zeta(const Tensor& x, const Tensor& q) {
  pointwise::SpecialBinary f;
  f.fn = pointwise::SpecialBinary::Zeta;
  Tensor out = special_binary(f, x, q, "special_zeta");
  if (auto node = make_node<SpecialZetaBackward0>(x, q)) set_history(out, node);
  return out;
}

// d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) = -d/dx Q(a, x); the derivative in a is not implemented (PyTorch's
// message).
struct IgammaBackward0 final : Node {
  SavedTensor self, other;
  bool upper = false;
  std::string_view name() const override { return upper ? "IgammacBackward0" : "IgammaBackward0"; }
  TensorList apply(TensorList&& grads) override {
    WICK_CHECK(!needs_input_grad(0), NotImplementedError, "the derivative for '", upper ? "igammac" : "igamma",
               ": input' is not implemented.");
    const Tensor a = self.unpack(), x = other.unpack();
    const Tensor density = exp(sub(sub(mul(sub(a, wrap_scalar(1)), log(x)), x), lgamma(a)));
    return {Tensor(), mul(grads[0], upper ? neg(density) : density)};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

namespace {
Tensor incomplete_gamma(const Tensor& a, const Tensor& x, bool upper) {
  pointwise::SpecialBinary f;
  f.fn = upper ? pointwise::SpecialBinary::Gammaincc : pointwise::SpecialBinary::Gammainc;
  Tensor out = special_binary(f, a, x, upper ? "igammac" : "igamma");
  if (auto node = make_node<IgammaBackward0>(a, x)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(x);
    node->upper = upper;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor igamma(const Tensor& a, const Tensor& x) { return incomplete_gamma(a, x, false); }
Tensor igammac(const Tensor& a, const Tensor& x) { return incomplete_gamma(a, x, true); }

struct CopysignBackward0 final : Node {  // d/da = result / a (the sign it got; 0 at a == 0); b's gradient is 0
  SavedTensor self, result;
  std::string_view name() const override { return "CopysignBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    Tensor grad_a;
    if (needs_input_grad(0)) {
      const Tensor a = self.unpack();
      grad_a = mul(g, where(eq(a, wrap_scalar(0)), zeros_like(a), div(result.unpack(), a)));
    }
    return {grad_a, needs_input_grad(1) ? zeros_like(g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(result); }
};

Tensor copysign(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Copysign{}, a, b, "copysign");
  if (auto node = make_node<CopysignBackward0>(a, b)) {
    node->self = save_if(node, 0, a);
    if (node->needs_input_grad(0)) node->result = SavedTensor::output(out, node);
    set_history(out, node);
  }
  return out;
}

// fmax/fmin: the gradient goes to the element chosen, a on a tie (as PyTorch
// does), and to the number where the other is NaN.
struct FmaxFminBackward : Node {
  SavedTensor self, other;
  bool is_max = true;
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor a = self.unpack(), b = other.unpack();
    const Tensor a_wins = logical_or(is_max ? ge(a, b) : le(a, b), isnan(b));
    const Tensor zero = zeros_like(g);
    return {needs_input_grad(0) ? where(a_wins, g, zero) : Tensor(),
            needs_input_grad(1) ? where(a_wins, zero, g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};
struct FmaxBackward0 final : FmaxFminBackward {
  std::string_view name() const override { return "FmaxBackward0"; }
};
struct FminBackward0 final : FmaxFminBackward {
  std::string_view name() const override { return "FminBackward0"; }
};

Tensor fmax(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Fmax{}, a, b, "fmax");
  if (auto node = make_node<FmaxBackward0>(a, b)) {
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

Tensor fmin(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Fmin{}, a, b, "fmin");
  if (auto node = make_node<FminBackward0>(a, b)) {
    node->is_max = false;
    node->self = SavedTensor(a);
    node->other = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

// As in PyTorch, the result of float inputs that require grad requires grad,
// and a backward through it raises: the step has no useful derivative.
struct HeavisideBackward0 final : Node {
  std::string_view name() const override { return "HeavisideBackward0"; }
  TensorList apply(TensorList&&) override {
    WICK_THROW(NotImplementedError, "the derivative for 'heaviside' is not implemented.");
  }
};

Tensor heaviside(const Tensor& a, const Tensor& b) {
  WICK_CHECK(a.dtype() == b.dtype(), TypeError, "heaviside is not yet implemented for tensors with different dtypes (",
             a.dtype(), " and ", b.dtype(), ")");
  Tensor out = binary_forward(pointwise::Heaviside{}, a, b, "heaviside");
  if (auto node = make_node<HeavisideBackward0>(a, b)) set_history(out, node);
  return out;
}

struct FmodBackward1 final : Node {  // a - trunc(a / b) * b
  SavedTensor self, other;
  std::string_view name() const override { return "FmodBackward1"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {needs_input_grad(0) ? g : Tensor(),
            needs_input_grad(1) ? neg(mul(g, trunc(div(self.unpack(), other.unpack())))) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(self); f(other); }
};

Tensor fmod(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::Fmod{}, a, b, "fmod");
  if (auto node = make_node<FmodBackward1>(a, b)) {
    node->self = save_if(node, 1, a);
    node->other = save_if(node, 1, b);
    set_history(out, node);
  }
  return out;
}

// ---- not differentiable: results are integers or bools --------------------------------------------

Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Eq{}, a, b, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Ne{}, a, b, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Lt{}, a, b, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Le{}, a, b, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Gt{}, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::Ge{}, a, b, "ge"); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::LogicalAnd{}, a, b, "logical_and"); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::LogicalOr{}, a, b, "logical_or"); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::LogicalXor{}, a, b, "logical_xor"); }
Tensor bitwise_and(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::BitwiseAnd{}, a, b, "bitwise_and"); }
Tensor bitwise_or(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::BitwiseOr{}, a, b, "bitwise_or"); }
Tensor bitwise_xor(const Tensor& a, const Tensor& b) { return binary_forward(pointwise::BitwiseXor{}, a, b, "bitwise_xor"); }

// A division rounded to an integer is piecewise constant: its gradient is
// zero everywhere, also where b is 0 (PyTorch's DivBackward2 for rounding_mode
// 'trunc' and 'floor', whose gradients are zeros), not the nan of trunc(a / b)'s
// chain. The in-place forms record it so that self's old history is cut.
struct DivBackward2 final : Node {
  std::string_view name() const override { return "DivBackward2"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor zero = zeros_like(grads[0]);
    return {needs_input_grad(0) ? zero : Tensor(), needs_input_grad(1) ? zero : Tensor()};
  }
};

// PyTorch's floor_divide result requires grad (its node raises "derivative
// not implemented" in backward); wick's gradient is 0, as div(rounding_mode='floor')'s.
Tensor floor_divide(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(pointwise::FloorDivide{}, a, b, "floor_divide");
  if (out.is_floating_point())
    if (auto node = make_node<DivBackward2>(a, b)) set_history(out, node);
  return out;
}

const Tensor& floor_divide_(const Tensor& self, const Tensor& other) {
  check_inplace(self, "floor_divide_", {other});
  binary_forward(pointwise::FloorDivide{}, self, other, "floor_divide_", true);
  if (auto node = make_node<DivBackward2>(self, other)) rebase_history(self, node);
  return self;
}

namespace {
void check_rounding_mode(std::string_view mode) {
  WICK_CHECK(mode == "trunc" || mode == "floor", ValueError,
             "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", mode, "'");
}
// a / b rounded toward zero in the promoted dtype (not recorded): integers
// exactly, in integer arithmetic, floats as trunc(a / b) (pointwise::TruncDivide).
Tensor trunc_divide(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return binary_forward(pointwise::TruncDivide{}, a, b, "div");
}
}  // namespace

Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(a, b);
  check_rounding_mode(*rounding_mode);
  // Floats floor as PyTorch's div_floor_floating (Note [Floor division of floats]).
  Tensor out = *rounding_mode == "floor" ? binary_forward(pointwise::FloorDivide{}, a, b, "div") : trunc_divide(a, b);
  if (out.is_floating_point())
    if (auto node = make_node<DivBackward2>(a, b)) set_history(out, node);
  return out;
}

const Tensor& div_(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div_(self, other);
  check_rounding_mode(*rounding_mode);
  if (*rounding_mode == "floor") return floor_divide_(self, other);
  WICK_CHECK(self.defined() && other.defined(), ValueError, "div_: undefined tensor argument");
  const ScalarType type = result_type(self, other);
  WICK_CHECK(can_cast(type, self.dtype()), Error, "div_: result type ", type,
             " can't be cast to the desired output type ", self.dtype());
  const DimVector shape = broadcast_shapes(self.sizes(), other.sizes());
  WICK_CHECK(IntArrayRef(shape) == self.sizes(), ValueError, "div_: output with shape ", self.sizes(),
             " doesn't match the broadcast shape ", IntArrayRef(shape), " (other operand has shape ", other.sizes(), ")");
  Tensor q;
  {
    NoGradGuard no_grad;
    q = trunc_divide(self, other);  // read whole before the write
  }
  check_inplace(self, "div_", {other});
  if (self.numel() > 0) kernel(self.device(), &Backend::copy, "div_")(self, q);
  if (auto node = make_node<DivBackward2>(self, other)) rebase_history(self, node);
  return self;
}

const Tensor& remainder_(const Tensor& self, const Tensor& other) {
  auto node = make_node<RemainderBackward0>(self, other);
  if (node && node->needs_input_grad(1)) node->self = SavedTensor(self.detach().clone());
  check_inplace(self, "remainder_", {other});
  binary_forward(pointwise::Remainder{}, self, other, "remainder_", true);
  if (node) {
    node->other = save_if(node, 1, other);
    rebase_history(self, node);
  }
  return self;
}

// Integer and bool tensors only: nothing to record.
const Tensor& bitwise_and_(const Tensor& self, const Tensor& other) {
  check_inplace(self, "bitwise_and_", {other});
  binary_forward(pointwise::BitwiseAnd{}, self, other, "bitwise_and_", true);
  return self;
}
const Tensor& bitwise_or_(const Tensor& self, const Tensor& other) {
  check_inplace(self, "bitwise_or_", {other});
  binary_forward(pointwise::BitwiseOr{}, self, other, "bitwise_or_", true);
  return self;
}
const Tensor& bitwise_xor_(const Tensor& self, const Tensor& other) {
  check_inplace(self, "bitwise_xor_", {other});
  binary_forward(pointwise::BitwiseXor{}, self, other, "bitwise_xor_", true);
  return self;
}

// ---- where / masked_fill -----------------------------------------------------------------------------

struct WhereBackward0 final : Node {
  SavedTensor condition;
  std::string_view name() const override { return "WhereBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    const Tensor c = condition.unpack();
    const Tensor zero = zeros_like(g);
    return {Tensor(), needs_input_grad(1) ? where(c, g, zero) : Tensor(),
            needs_input_grad(2) ? where(c, zero, g) : Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(condition); }
};

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  WICK_CHECK(cond.defined() && a.defined() && b.defined(), ValueError, "where: undefined tensor argument");
  // uint8 conditions are deprecated in PyTorch 1.13, but still taken (as bool).
  WICK_CHECK(cond.dtype() == ScalarType::Bool || cond.dtype() == ScalarType::UInt8, TypeError,
             "where expected condition to be a boolean tensor, but got a tensor with dtype ", cond.dtype());
  const Device device = common_device("where", {&a, &b, &cond});
  const ScalarType dtype = result_type(a, b);
  const DimVector shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes()), b.sizes());
  Tensor out = empty(shape, TensorOptions(dtype).device(device));
  if (out.numel() > 0)
    kernel(device, &Backend::where, "where")(out, operand(cond, device, ScalarType::Bool, shape),
                                             operand(a, device, dtype, shape), operand(b, device, dtype, shape));
  if (auto node = make_node<WhereBackward0>(cond, a, b)) {
    node->condition = SavedTensor(cond);
    set_history(out, node);
  }
  return out;
}

namespace {
// A number operand of where as PyTorch makes it: a 0-dim tensor of the result dtype.
Tensor where_operand(Scalar value, ScalarType dtype) {
  return scalar_tensor(checked_convert(value, dtype, "where"), TensorOptions(dtype));
}
}  // namespace

Tensor where(const Tensor& cond, Scalar a, const Tensor& b) {
  WICK_CHECK(b.defined(), ValueError, "where: undefined tensor argument");
  return where(cond, where_operand(a, result_type(wrap_scalar(a), b)), b);
}
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  WICK_CHECK(a.defined(), ValueError, "where: undefined tensor argument");
  return where(cond, a, where_operand(b, result_type(a, wrap_scalar(b))));
}
Tensor where(const Tensor& cond, Scalar a, Scalar b) {
  const ScalarType dtype = result_type(wrap_scalar(a), wrap_scalar(b));
  return where(cond, where_operand(a, dtype), where_operand(b, dtype));
}

struct MaskedFillBackward0 final : Node {
  SavedTensor mask;
  std::string_view name() const override { return "MaskedFillBackward0"; }
  TensorList apply(TensorList&& grads) override {
    const Tensor& g = grads[0];
    return {where(mask.unpack(), zeros_like(g), g), Tensor()};
  }
  void for_each_saved(const SavedVisitor& f) override { f(mask); }
};

namespace {
void check_mask(const Tensor& self, const Tensor& mask, const char* op) {
  WICK_CHECK(mask.dtype() == ScalarType::Bool, TypeError, op, " only supports boolean masks, but got mask with dtype ",
             mask.dtype());
  DimVector shape = broadcast_shapes(self.sizes(), mask.sizes());
  WICK_CHECK(IntArrayRef(shape) == self.sizes(), ValueError, op, ": mask of shape ", mask.sizes(),
             " cannot be broadcast to the tensor's shape ", self.sizes());
}
}  // namespace

Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value) {
  check_mask(self, mask, "masked_fill");
  value = checked_convert(value, self.dtype(), "masked_fill");  // Note [Checked scalar conversion]
  Tensor out;
  {
    NoGradGuard no_grad;
    out = where(mask, full({}, value, TensorOptions(self.dtype()).device(self.device())), self);
  }
  if (auto node = make_node<MaskedFillBackward0>(self, mask)) {
    node->mask = SavedTensor(mask);
    set_history(out, node);
  }
  return out;
}

const Tensor& masked_fill_(const Tensor& self, const Tensor& mask, Scalar value) {
  check_mask(self, mask, "masked_fill_");
  value = checked_convert(value, self.dtype(), "masked_fill_");
  auto node = make_node<MaskedFillBackward0>(self, mask);
  check_inplace(self, "masked_fill_", {mask}, SelfOverlap::Allow);  // as PyTorch allows it
  if (self.numel() > 0) {
    NoGradGuard no_grad;
    Tensor fill = full({}, value, TensorOptions(self.dtype()).device(self.device()));
    kernel(self.device(), &Backend::where, "masked_fill_")(self, operand(mask, self.device(), ScalarType::Bool, self.sizes()),
                                                            operand(fill, self.device(), self.dtype(), self.sizes()), self);
  }
  if (node) {
    node->mask = SavedTensor(mask);
    rebase_history(self, node);
  }
  return self;
}

// ---- comparisons of whole tensors ----------------------------------------------------------------------

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  WICK_CHECK(a.defined() && b.defined(), ValueError, "isclose: undefined tensor argument");
  WICK_CHECK(a.dtype() == b.dtype(), TypeError, "isclose: expected both inputs of one dtype, got ", a.dtype(), " and ",
             b.dtype());
  WICK_CHECK(rtol >= 0 && atol >= 0, ValueError, "isclose: rtol and atol must be non-negative, got rtol=", rtol,
             " and atol=", atol);
  NoGradGuard no_grad;
  // In float64 (integers too), so that |a - b| neither overflows nor rounds.
  const Tensor x = a.to(ScalarType::Float64), y = b.to(ScalarType::Float64);
  Tensor close = le(abs(sub(x, y)), add(mul(abs(y), rtol), atol));
  close = logical_or(close, eq(x, y));  // equal infinities
  if (equal_nan) close = logical_or(close, logical_and(isnan(x), isnan(y)));
  return close;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  NoGradGuard no_grad;
  const ScalarType t = promote_types(result_type(a, b), ScalarType::Float64);
  return all(isclose(a.to(t), b.to(t), rtol, atol, equal_nan)).item<bool>();
}

// ---- lerp, addcmul, addcdiv: made of the ops above, which record the gradients ---------------------

Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  WICK_CHECK(start.defined() && end.defined() && weight.defined(), ValueError, "lerp: undefined tensor argument");
  WICK_CHECK(start.dtype() == end.dtype(), TypeError, "lerp: expected start and end of one dtype, got ", start.dtype(),
             " and ", end.dtype());
  WICK_CHECK(start.is_floating_point(), TypeError, "lerp: expected floating point tensors, got ", start.dtype());
  WICK_CHECK(weight.dtype() == start.dtype() || weight.impl()->is_wrapped_number, TypeError,
             "lerp: expected dtype ", start.dtype(), " for `weight` but got dtype ", weight.dtype());
  // PyTorch's two-sided formula: exact at weight 0 (start) and 1 (end).
  const Tensor diff = sub(end, start);
  return where(lt(abs(weight), wrap_scalar(0.5)), add(start, mul(weight, diff)),
               sub(end, mul(diff, sub(wrap_scalar(1), weight))));
}
Tensor lerp(const Tensor& start, const Tensor& end, Scalar weight) {
  WICK_CHECK(start.defined() && end.defined(), ValueError, "lerp: undefined tensor argument");
  WICK_CHECK(start.is_floating_point() && start.dtype() == end.dtype(), TypeError,
             "lerp: expected start and end of one floating dtype, got ", start.dtype(), " and ", end.dtype());
  const double w = weight.to<double>();  // the branch and 1 - w on the host, in double
  const Tensor diff = sub(end, start);
  return std::abs(w) < 0.5 ? add(start, mul(diff, w)) : sub(end, mul(diff, 1.0 - w));
}

namespace {

// addcmul/addcdiv's tensor operands in the common dtype of all three (so a
// float64 self is not added a float32 product) and expanded to the result's
// shape, so that the product's gradients are taken elementwise before any sum
// over broadcast dims, as PyTorch's fused kernels take them (the same in
// exact arithmetic; not at a division by 0, where the order of +inf and -inf
// terms decides between inf and NaN).
std::pair<Tensor, Tensor> in_common_dtype(const Tensor& self, const Tensor& t1, const Tensor& t2) {
  const ScalarType t = result_type(self, t1, t2);
  const DimVector shape = broadcast_shapes(broadcast_shapes(self.sizes(), t1.sizes()), t2.sizes());
  return {expand(t1.dtype() == t ? t1 : t1.to(t), shape), expand(t2.dtype() == t ? t2 : t2.to(t), shape)};
}
Scalar as_alpha(Scalar value) { return value.is_bool() ? Scalar(int64_t{value.to<bool>()}) : value; }

}  // namespace

Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  WICK_CHECK(self.defined() && t1.defined() && t2.defined(), ValueError, "addcmul: undefined tensor argument");
  const auto [a, b] = in_common_dtype(self, t1, t2);
  return add(self, mul(a, b), as_alpha(value));
}

Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value) {
  WICK_CHECK(t1.defined() && t2.defined(), ValueError, "addcdiv: undefined tensor argument");
  WICK_CHECK(t1.is_floating_point() || t2.is_floating_point(), TypeError,
             "addcdiv: integer division of tensors is not supported (tensor1 ", t1.dtype(), ", tensor2 ", t2.dtype(),
             "); use addcmul with a reciprocal, or convert to a floating dtype");
  const auto [a, b] = in_common_dtype(self, t1, t2);
  return add(self, div(a, b), as_alpha(value));
}

bool equal(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return a.sizes() == b.sizes() && all(eq(a, b)).item<bool>();
}

// ---- methods ---------------------------------------------------------------------------------------------

Tensor Tensor::add(const Tensor& other, Scalar alpha) const { return wick::add(*this, other, alpha); }
Tensor Tensor::sub(const Tensor& other, Scalar alpha) const { return wick::sub(*this, other, alpha); }
Tensor Tensor::mul(const Tensor& other) const { return wick::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return wick::div(*this, other); }
Tensor Tensor::pow(const Tensor& exponent) const { return wick::pow(*this, exponent); }
Tensor Tensor::pow(Scalar exponent) const { return wick::pow(*this, exponent); }
const Tensor& Tensor::add_(const Tensor& other, Scalar alpha) const { return wick::add_(*this, other, alpha); }
const Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) const { return wick::sub_(*this, other, alpha); }
const Tensor& Tensor::mul_(const Tensor& other) const { return wick::mul_(*this, other); }
const Tensor& Tensor::div_(const Tensor& other) const { return wick::div_(*this, other); }
const Tensor& Tensor::add_(Scalar other) const { return wick::add_(*this, other); }
const Tensor& Tensor::mul_(Scalar other) const { return wick::mul_(*this, other); }
Tensor Tensor::eq(const Tensor& other) const { return wick::eq(*this, other); }
Tensor Tensor::ne(const Tensor& other) const { return wick::ne(*this, other); }
Tensor Tensor::lt(const Tensor& other) const { return wick::lt(*this, other); }
Tensor Tensor::le(const Tensor& other) const { return wick::le(*this, other); }
Tensor Tensor::gt(const Tensor& other) const { return wick::gt(*this, other); }
Tensor Tensor::ge(const Tensor& other) const { return wick::ge(*this, other); }
Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const { return wick::masked_fill(*this, mask, value); }
const Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar value) const { return wick::masked_fill_(*this, mask, value); }

}  // namespace wick
