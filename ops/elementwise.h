// Elementwise ops, with NumPy/PyTorch broadcasting and type promotion.
//
// Binary ops take a Tensor or a Scalar on either side. Results follow
// PyTorch's promotion: int tensor + 2.5 -> float32, int / int -> float32,
// comparisons -> bool. In-place forms (add_, relu_...) write into self, whose
// dtype must hold the result.
#pragma once

#include <functional>

#include <optional>
#include <string_view>

#include "core/special_math.h"
#include "core/tensor.h"

namespace wick {

// The dtype of op(a, b) under PyTorch's promotion rules (dimensioned tensors
// outrank zero-dim tensors, which outrank wrapped numbers of the same category).
ScalarType result_type(const Tensor& a, const Tensor& b);
// The same over three operands; an undefined one takes no part.
ScalarType result_type(const Tensor& a, const Tensor& b, const Tensor& c);
// The shape two shapes broadcast to; ValueError naming both if they cannot.
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b);
// A 0-dim tensor holding a number the user wrote (see TensorImpl::is_wrapped_number).
Tensor wrap_scalar(Scalar value, Device device = kCPU);

// ---- unary ------------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// approximate: "none" (exact, with erf) or "tanh".
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
Tensor silu(const Tensor& x);
// relu6(x + 3) / 6 and x relu6(x + 3) / 6, with PyTorch's gradients at -3 and 3.
Tensor hardsigmoid(const Tensor& x);
Tensor hardswish(const Tensor& x);
Tensor mish(const Tensor& x);  // x tanh(softplus(x))
// scale x where x > 0, scale alpha (exp(input_scale x) - 1) elsewhere (elu, celu, selu).
Tensor elu(const Tensor& x, double alpha = 1, double scale = 1, double input_scale = 1);
// clamp's result dtype is that of x and the bounds together (Note [clamp's
// dtype and bounds] in ops/unary.cpp): clamp(int64 tensor, 1.5) is float32.
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
// Tensor bounds (an undefined one is absent), broadcast with x; differentiable in all three.
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);
Tensor reciprocal(const Tensor& x);
Tensor square(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor expm1(const Tensor& x);  // exp(x) - 1, accurate near 0
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
Tensor tan(const Tensor& x);
Tensor asin(const Tensor& x);
Tensor acos(const Tensor& x);
Tensor atan(const Tensor& x);
Tensor sinh(const Tensor& x);
Tensor cosh(const Tensor& x);
Tensor asinh(const Tensor& x);
Tensor acosh(const Tensor& x);
Tensor atanh(const Tensor& x);
Tensor erfc(const Tensor& x);    // 1 - erf(x), accurate where erf(x) is near 1
Tensor erfinv(const Tensor& x);  // the inverse of erf on (-1, 1); +-inf at +-1, nan outside
Tensor exp2(const Tensor& x);
Tensor deg2rad(const Tensor& x);
Tensor rad2deg(const Tensor& x);
// The gamma family (Note [The gamma family] in core/pointwise.h): log|Gamma(x)|, its derivative and the
// n-th derivative of digamma; mvlgamma, the multivariate log-gamma of dimension p.
Tensor lgamma(const Tensor& x);
Tensor digamma(const Tensor& x);
Tensor polygamma(int64_t n, const Tensor& x);
Tensor mvlgamma(const Tensor& x, int64_t p);
Tensor sinc(const Tensor& x);    // sin(pi x) / (pi x), 1 at 0
// torch.special's Bessel functions (modified, first kind I; second kind K, and both times e^-|x| / e^x:
// the "e" and "scaled" forms; first kind J, second kind Y; spherical j0 = sin(x) / x), e^(x^2) erfc(x), log of
// the normal CDF and its inverse (core/special_math.h), all with gradients.
Tensor i0(const Tensor& x);
Tensor special_i0e(const Tensor& x);
Tensor special_i1(const Tensor& x);
Tensor special_i1e(const Tensor& x);
Tensor special_modified_bessel_k0(const Tensor& x);
Tensor special_modified_bessel_k1(const Tensor& x);
Tensor special_scaled_modified_bessel_k0(const Tensor& x);
Tensor special_scaled_modified_bessel_k1(const Tensor& x);
Tensor special_bessel_j0(const Tensor& x);
Tensor special_bessel_j1(const Tensor& x);
Tensor special_bessel_y0(const Tensor& x);  // nan for x < 0, -inf at 0
Tensor special_bessel_y1(const Tensor& x);
Tensor special_spherical_bessel_j0(const Tensor& x);
Tensor special_erfcx(const Tensor& x);
Tensor special_log_ndtr(const Tensor& x);
Tensor special_ndtri(const Tensor& x);
// log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] when eps is given.
Tensor logit(const Tensor& x, std::optional<double> eps = {});
Tensor sgn(const Tensor& x);      // sign (for the real dtypes wick has)
Tensor signbit(const Tensor& x);  // true where the sign bit is set (-0.0 and negative NaNs too)
Tensor frac(const Tensor& x);    // x - trunc(x), floats only
// Not differentiable (their gradient is zero almost everywhere, as in PyTorch).
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
// Rounded to `decimals` decimal places (negative: to tens, hundreds...), floats only.
Tensor round(const Tensor& x, int64_t decimals);
Tensor trunc(const Tensor& x);
// log(1 + exp(beta x)) / beta, and x where beta x > threshold.
Tensor softplus(const Tensor& x, double beta = 1, double threshold = 20);
Tensor log_sigmoid(const Tensor& x);  // log(sigmoid(x)), without overflow
// x clamped to [min_val, max_val], with gradient 0 at the bounds (relu6 is hardtanh(x, 0, 6)).
Tensor hardtanh(const Tensor& x, double min_val = -1, double max_val = 1);
const Tensor& hardtanh_(const Tensor& x, double min_val = -1, double max_val = 1);
Tensor logical_not(const Tensor& x);
Tensor bitwise_not(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);  // neither NaN nor infinite (integers: all true)
Tensor isposinf(const Tensor& x);
Tensor isneginf(const Tensor& x);

const Tensor& neg_(const Tensor& x);
const Tensor& exp_(const Tensor& x);
const Tensor& sqrt_(const Tensor& x);
const Tensor& tanh_(const Tensor& x);
const Tensor& sigmoid_(const Tensor& x);
const Tensor& relu_(const Tensor& x);
const Tensor& clamp_(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
const Tensor& clamp_(const Tensor& x, const Tensor& min, const Tensor& max);
const Tensor& round_(const Tensor& x);
const Tensor& round_(const Tensor& x, int64_t decimals);
// self = f(self) in place, for ops without an in-place kernel (Note [In-place
// forms through copy_] in ops/unary.cpp); TypeError when f's dtype does not cast to self's.
// `other` is f's other input, if any (whether autograd records depends on it too).
const Tensor& inplace_apply(const Tensor& self, const char* op, const std::function<Tensor(const Tensor&)>& f,
                            const Tensor& other = Tensor());

// ---- binary -----------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);  // a + alpha * b
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);  // a - alpha * b
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division
// rounding_mode: none (true division), "trunc" (toward zero) or "floor" (down, as
// floor_divide); rounded results keep the promoted dtype and have zero gradient.
Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, Scalar b);
Tensor pow(Scalar a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
// relu's backward in one pass: grad where result > 0, else 0 (PyTorch's
// threshold_backward at 0); differentiable in grad, for double backward.
Tensor threshold_backward(const Tensor& grad, const Tensor& result);
// grad * f'(x) of the fused activations in one pass; not recorded (their
// backward nodes compose ops instead when create_graph needs a graph).
Tensor hardsigmoid_backward(const Tensor& grad, const Tensor& x);
Tensor hardswish_backward(const Tensor& grad, const Tensor& x);
Tensor mish_backward(const Tensor& grad, const Tensor& x);
Tensor elu_backward(const Tensor& grad, const Tensor& x, double alpha, double scale, double input_scale);
Tensor silu_backward(const Tensor& grad, const Tensor& x);
Tensor gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approx);
Tensor softplus_backward(const Tensor& grad, const Tensor& x, double beta, double threshold);
Tensor log_sigmoid_backward(const Tensor& grad, const Tensor& x);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);     // Python's %, sign of b
Tensor floor_divide(const Tensor& a, const Tensor& b);  // Python's //
Tensor atan2(const Tensor& a, const Tensor& b);
Tensor hypot(const Tensor& a, const Tensor& b);      // sqrt(a^2 + b^2) without overflow
Tensor logaddexp(const Tensor& a, const Tensor& b);  // log(exp(a) + exp(b)) without overflow
Tensor fmod(const Tensor& a, const Tensor& b);       // C's fmod: the remainder takes a's sign
Tensor xlogy(const Tensor& a, const Tensor& b);      // a * log(b), and 0 where a is 0 (unless b is nan)
// torch.special's orthogonal polynomials at x of degree n (truncated; 0 for n < 0), not differentiable as in
// PyTorch; the Hurwitz zeta function; the regularized lower and upper incomplete gamma functions P(a, x) and
// Q(a, x) (torch.igamma, igammac; special.gammainc, gammaincc), differentiable in x.
Tensor special_polynomial(special_math::Polynomial family, const Tensor& x, const Tensor& n);
Tensor special_zeta(const Tensor& x, const Tensor& q);
Tensor igamma(const Tensor& a, const Tensor& x);
Tensor igammac(const Tensor& a, const Tensor& x);
Tensor copysign(const Tensor& a, const Tensor& b);   // |a| with b's sign
Tensor fmax(const Tensor& a, const Tensor& b);       // maximum, but a NaN loses to a number
Tensor fmin(const Tensor& a, const Tensor& b);       // minimum, but a NaN loses to a number
// 0 where a < 0, b where a == 0, 1 where a > 0; a and b of one dtype; its backward raises (no derivative).
Tensor heaviside(const Tensor& a, const Tensor& b);
Tensor gcd(const Tensor& a, const Tensor& b);          // integers; non-negative
Tensor lcm(const Tensor& a, const Tensor& b);          // integers; non-negative
Tensor float_power(const Tensor& a, const Tensor& b);  // pow in float64
Tensor ldexp(const Tensor& a, const Tensor& b);        // a * 2^b
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_and(const Tensor& a, const Tensor& b);  // bool or integer tensors
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
// cond ? a : b, broadcasting all three. A number operand is converted to the
// result dtype (Note [Checked scalar conversion]): where(c, 1.5, int tensor)
// is float32, where(c, uint8 tensor, 300) an error.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor where(const Tensor& cond, Scalar a, Scalar b);
Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value);
const Tensor& masked_fill_(const Tensor& self, const Tensor& mask, Scalar value);
// True when all elements are within atol + rtol * |b| of each other.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// Elementwise: |a - b| <= atol + rtol * |b| (or a == b; with equal_nan, both NaN). a and b of one dtype.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// start + weight * (end - start), exact at weight 0 and 1.
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor lerp(const Tensor& start, const Tensor& end, Scalar weight);
// self + value * t1 * t2 and self + value * t1 / t2.
Tensor addcmul(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value = 1);
Tensor addcdiv(const Tensor& self, const Tensor& t1, const Tensor& t2, Scalar value = 1);
// x with NaN, +inf and -inf replaced (by default: 0 and the dtype's largest and lowest finite values).
Tensor nan_to_num(const Tensor& x, std::optional<double> nan = {}, std::optional<double> posinf = {},
                  std::optional<double> neginf = {});
bool equal(const Tensor& a, const Tensor& b);  // same shape and values

const Tensor& add_(const Tensor& self, const Tensor& other, Scalar alpha = 1);
const Tensor& sub_(const Tensor& self, const Tensor& other, Scalar alpha = 1);
const Tensor& mul_(const Tensor& self, const Tensor& other);
const Tensor& div_(const Tensor& self, const Tensor& other);
const Tensor& div_(const Tensor& self, const Tensor& other, std::optional<std::string_view> rounding_mode);
const Tensor& pow_(const Tensor& self, Scalar exponent);
const Tensor& pow_(const Tensor& self, const Tensor& exponent);
const Tensor& floor_divide_(const Tensor& self, const Tensor& other);
const Tensor& remainder_(const Tensor& self, const Tensor& other);
const Tensor& bitwise_and_(const Tensor& self, const Tensor& other);
const Tensor& bitwise_or_(const Tensor& self, const Tensor& other);
const Tensor& bitwise_xor_(const Tensor& self, const Tensor& other);

// Scalar operands: the number is wrapped into a 0-dim tensor (wrap_scalar).
inline Tensor add(const Tensor& a, Scalar b) { return add(a, wrap_scalar(b)); }
inline Tensor sub(const Tensor& a, Scalar b) { return sub(a, wrap_scalar(b)); }
inline Tensor mul(const Tensor& a, Scalar b) { return mul(a, wrap_scalar(b)); }
inline Tensor div(const Tensor& a, Scalar b) { return div(a, wrap_scalar(b)); }
inline Tensor eq(const Tensor& a, Scalar b) { return eq(a, wrap_scalar(b)); }
inline Tensor ne(const Tensor& a, Scalar b) { return ne(a, wrap_scalar(b)); }
inline Tensor lt(const Tensor& a, Scalar b) { return lt(a, wrap_scalar(b)); }
inline Tensor le(const Tensor& a, Scalar b) { return le(a, wrap_scalar(b)); }
inline Tensor gt(const Tensor& a, Scalar b) { return gt(a, wrap_scalar(b)); }
inline Tensor ge(const Tensor& a, Scalar b) { return ge(a, wrap_scalar(b)); }
inline Tensor remainder(const Tensor& a, Scalar b) { return remainder(a, wrap_scalar(b)); }
inline Tensor floor_divide(const Tensor& a, Scalar b) { return floor_divide(a, wrap_scalar(b)); }
inline Tensor add(Scalar a, const Tensor& b) { return add(wrap_scalar(a), b); }
inline Tensor sub(Scalar a, const Tensor& b) { return sub(wrap_scalar(a), b); }
inline Tensor mul(Scalar a, const Tensor& b) { return mul(wrap_scalar(a), b); }
inline Tensor div(Scalar a, const Tensor& b) { return div(wrap_scalar(a), b); }
inline const Tensor& add_(const Tensor& self, Scalar b) { return add_(self, wrap_scalar(b)); }
inline const Tensor& sub_(const Tensor& self, Scalar b) { return sub_(self, wrap_scalar(b)); }
inline const Tensor& mul_(const Tensor& self, Scalar b) { return mul_(self, wrap_scalar(b)); }
inline const Tensor& div_(const Tensor& self, Scalar b) { return div_(self, wrap_scalar(b)); }

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
inline Tensor operator+(Scalar a, const Tensor& b) { return add(wrap_scalar(a), b); }
inline Tensor operator-(Scalar a, const Tensor& b) { return sub(wrap_scalar(a), b); }
inline Tensor operator*(Scalar a, const Tensor& b) { return mul(wrap_scalar(a), b); }
inline Tensor operator/(Scalar a, const Tensor& b) { return div(wrap_scalar(a), b); }
inline const Tensor& operator+=(const Tensor& a, const Tensor& b) { return add_(a, b); }
inline const Tensor& operator-=(const Tensor& a, const Tensor& b) { return sub_(a, b); }
inline const Tensor& operator*=(const Tensor& a, const Tensor& b) { return mul_(a, b); }
inline const Tensor& operator/=(const Tensor& a, const Tensor& b) { return div_(a, b); }
inline const Tensor& operator+=(const Tensor& a, Scalar b) { return add_(a, b); }
inline const Tensor& operator-=(const Tensor& a, Scalar b) { return sub_(a, b); }
inline const Tensor& operator*=(const Tensor& a, Scalar b) { return mul_(a, b); }
inline const Tensor& operator/=(const Tensor& a, Scalar b) { return div_(a, b); }

}  // namespace wick
