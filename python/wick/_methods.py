"""Tensor methods (and PyTorch's torch-level functions of the same names) written over wick's ops, each with
PyTorch's semantics for the dtypes wick has:

- in-place forms made of an op and ``copy_`` (``x.eq_(y)``, ``x.logical_and_(y)``, ``x.renorm_(...)``), as in
  Note [In-place forms through copy_] (ops/unary.cpp), and PyTorch's in-place aliases (multiply_ ...);
- integer shifts (bitwise_left_shift / bitwise_right_shift) by multiplication and floor division;
- composed math with autograd for free (cov, corrcoef, frexp, logaddexp2, hardshrink, prelu, renorm, the
  ``*_scatter`` ops, index_put, masked_scatter, put, histogram ...), and, where PyTorch's gradient is not the
  one a composition would give (scatter_reduce's amax/amin split the gradient between ties), a
  wick.autograd.Function with PyTorch's backward formula;
- what PyTorch answers for real (non-complex) tensors: conj and kin return self, imag raises, angle is 0 or pi;
- predicates with the honest answers for wick's tensors: strided, dense, never sparse, quantized, meta,
  pinned or in shared memory (is_sparse, layout, is_pinned ...);
- legacy methods (new, type, resize, apply_, map_ ...).

install(wick) adds each name to wick.Tensor (and to wick where PyTorch has a torch-level function of that
name), only where the C++ extension has none.
"""
import math
import operator
import warnings
from contextlib import nullcontext as _nullcontext
from functools import reduce

import wick
from wick import _C
from wick import return_types

_frexp_type = return_types._return_type("frexp", ["mantissa", "exponent"])
_histogram_type = return_types._return_type("histogram", ["hist", "bin_edges"])
_symeig_type = return_types._return_type("symeig", ["eigenvalues", "eigenvectors"])

_FLOATING = (wick.float16, wick.bfloat16, wick.float32, wick.float64)
_INTEGER_BITS = {wick.uint8: 8, wick.int32: 32, wick.int64: 64}

# PyTorch's names of its legacy tensor types (x.type() -> 'torch.FloatTensor'), per dtype.
_TYPE_NAMES = {wick.float32: "FloatTensor", wick.float64: "DoubleTensor", wick.float16: "HalfTensor",
               wick.bfloat16: "BFloat16Tensor", wick.int64: "LongTensor", wick.int32: "IntTensor",
               wick.uint8: "ByteTensor", wick.bool: "BoolTensor"}


def _numel(shape):
    return reduce(operator.mul, shape, 1)


def _promoted(a, b):
    """The dtype of a + b under PyTorch's promotion rules (a 0-dim tensor counts for less than a dimensioned
    one of the same kind), found on empty tensors of the same kinds."""

    def probe(t):
        return wick.zeros((0,) if t.dim() else (), dtype=t.dtype)

    return (probe(a) + probe(b)).dtype


def _check_tensor(x, op, arg="input"):
    if not isinstance(x, wick.Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


def _check_floating(x, op):
    if x.dtype not in _FLOATING:
        raise TypeError(f"{op}: expected a floating point tensor, got {x.dtype}")


class _NoDerivative(wick.autograd.Function):
    """The outputs of an op PyTorch has no derivative for: as PyTorch's, they require grad when an input does,
    and backward through them raises its error."""

    @staticmethod
    def forward(ctx, message, fn, *inputs):
        ctx.message = message
        return fn(*inputs)

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(ctx.message)


def _no_derivative(name, fn, *inputs, message=None):
    """fn(*inputs), its outputs marked as PyTorch marks those of an op without a derivative."""
    if wick.is_grad_enabled() and any(isinstance(t, wick.Tensor) and t.requires_grad for t in inputs):
        return _NoDerivative.apply(message or f"the derivative for '{name}' is not implemented.", fn, *inputs)
    return fn(*inputs)


class _ZeroGradient(wick.autograd.Function):
    """values, recorded as a function of inputs with a zero gradient for each (PyTorch's derivative of the
    in-place comparisons: eq_ and kin keep self in the graph, and send zeros back)."""

    @staticmethod
    def forward(ctx, values, *inputs):
        ctx.like = [(tuple(t.shape), t.dtype, t.device) for t in inputs]
        return values

    @staticmethod
    def backward(ctx, grad):
        return (None,) + tuple(wick.zeros(shape, dtype=dtype, device=device) for shape, dtype, device in ctx.like)


def _can_cast(src, dst):
    """PyTorch's can_cast: no floating value into an integer dtype, only bools into bool."""
    if src in _FLOATING and dst not in _FLOATING:
        return False
    return dst != wick.bool or src == wick.bool


def _write_one(name, result, out):
    if not isinstance(out, wick.Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if wick.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           f"but one of the arguments requires grad.")
    if result.device != out.device:
        raise RuntimeError(f"{name}(): expected out tensor to have device {result.device}, but got {out.device} "
                           f"instead")
    if not _can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type {out.dtype}")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                          f"which does not match the required output shape. This behavior is deprecated (as in "
                          f"PyTorch); resize it to zero elements first with t.resize_(0).", stacklevel=3)
        out.resize_(*result.shape)
    with wick.no_grad():
        out.copy_(result)


def _with_out(fn):
    """fn with PyTorch's out= argument: the result (or each of a tuple of results) written into out, which is
    resized as needed and returned."""

    def function(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{fn.__name__}(): argument 'out' must be a tuple of {len(result)} tensors")
            for r, o in zip(result, out):
                _write_one(fn.__name__, r, o)
            return type(result)(*out)
        _write_one(fn.__name__, result, out)
        return out

    function.__name__ = function.__qualname__ = fn.__name__
    function.__doc__ = fn.__doc__
    return function


# ---- in-place forms through copy_ ---------------------------------------------------------------------------


def _recording(self, args):
    """Whether autograd records an op on self and args (then the op reads a copy of self: its node must keep
    the value it read, not the one copy_ writes)."""
    if not wick.is_grad_enabled():
        return False
    return self.requires_grad or any(isinstance(a, wick.Tensor) and a.requires_grad for a in args)


def _inplace_form(name, op, autograd="record"):
    """self.<name>(...) = self.copy_(self.<op>(...)), with the checks of every in-place op: the result keeps
    self's shape (self does not broadcast) and casts to self's dtype (no float into an integer tensor, only
    bools into a bool tensor). autograd says what the graph sees, as PyTorch's derivatives.yaml has it:
    "record" the op and the write; "zero" the write, with a zero gradient for self's old value and the other
    tensors (the comparisons: eq_ ...); "none" nothing, self keeping its history and leaves that require grad
    being written as under no_grad (the logical ops, which PyTorch does not differentiate)."""

    def method(self, *args, **kwargs):
        inputs = args + tuple(kwargs.values())
        recording = autograd != "none" and _recording(self, inputs)
        src = self.clone() if recording else self
        with wick.no_grad() if autograd != "record" else _nullcontext():
            result = op(src, *args, **kwargs) if callable(op) else getattr(src, op)(*args, **kwargs)
        if not _can_cast(result.dtype, self.dtype):
            raise TypeError(f"{name}: result type {result.dtype} can't be cast to the desired output type "
                            f"{self.dtype}")
        if tuple(result.shape) != tuple(self.shape):
            raise ValueError(f"{name}: output with shape {list(self.shape)} doesn't match the broadcast shape "
                             f"{list(result.shape)}")
        if autograd == "none":
            with wick.no_grad():
                return self.copy_(result)
        if autograd == "zero" and recording:
            result = _ZeroGradient.apply(result.to(self.dtype), src,
                                         *(a for a in inputs if isinstance(a, wick.Tensor) and a.requires_grad))
        return self.copy_(result)

    method.__name__ = name
    what = op if isinstance(op, str) else op.__name__
    method.__doc__ = f"{name}(...) -> Tensor\n\nIn-place {what}: self = self.{what}(...); returns self. See " \
                     f"wick.Tensor.{what}."
    return method


# ---- shifts --------------------------------------------------------------------------------------------------


def _wrap_to(value, dtype):
    """A Python int converted to an integer dtype as C++ casts it (modulo 2**bits, signed or not)."""
    bits = _INTEGER_BITS[dtype]
    value %= 1 << bits
    if dtype != wick.uint8 and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _shift_operands(input, other, op):
    """input and other as tensors of their common integer dtype (a Python int takes the tensor's dtype, as a
    C++ scalar cast would)."""
    if not isinstance(input, wick.Tensor):
        if not isinstance(other, wick.Tensor):
            raise TypeError(f"{op}(): expected at least one tensor argument")
        if isinstance(input, bool) or not isinstance(input, int):
            raise TypeError(f"{op}(): expected an integer, got {type(input).__name__}")
        input = wick.full((), _wrap_to(input, other.dtype) if other.dtype in _INTEGER_BITS else input,
                          dtype=other.dtype, device=other.device)
    if not isinstance(other, wick.Tensor):
        if isinstance(other, bool) or not isinstance(other, int):
            raise TypeError(f"{op}(): argument 'other' must be an int or an integer tensor, not "
                            f"{type(other).__name__}")
        if input.dtype not in _INTEGER_BITS:
            raise TypeError(f"\"{op}\" not implemented for '{input.dtype}': shifts take integer tensors")
        other = wick.full((), _wrap_to(other, input.dtype), dtype=input.dtype, device=input.device)
    dtype = _promoted(input, other)
    if dtype not in _INTEGER_BITS:
        raise TypeError(f"\"{op}\" not implemented for '{dtype}': shifts take integer tensors (uint8, int32, int64)")
    return input.to(dtype), other.to(dtype), dtype


def _powers_of_two(dtype, device):
    """2**k for k < bits, as the dtype holds them (2**(bits-1) wraps to the minimum of a signed dtype)."""
    bits = _INTEGER_BITS[dtype]
    return wick.tensor([_wrap_to(1 << k, dtype) for k in range(bits)], dtype=dtype, device=device)


def bitwise_left_shift(input, other):
    """bitwise_left_shift(input, other) -> Tensor

    input shifted left by other bits (integer tensors, broadcast; the result wraps around as C++'s unsigned
    shift does). A shift by a negative amount or by the dtype's width or more gives 0, as in PyTorch 2.

    Example::

        >>> wick.bitwise_left_shift(wick.tensor([1, -3, 5]), wick.tensor([3, 1, 64]))
        tensor([ 8, -6,  0])
    """
    a, b, dtype = _shift_operands(input, other, "bitwise_left_shift")
    bits = _INTEGER_BITS[dtype]
    valid = (b < bits) if dtype == wick.uint8 else (b >= 0) & (b < bits)
    powers = _powers_of_two(dtype, a.device)[wick.where(valid, b, wick.zeros_like(b)).long()]
    return wick.where(valid, a * powers, wick.zeros((), dtype=dtype, device=a.device))


def bitwise_right_shift(input, other):
    """bitwise_right_shift(input, other) -> Tensor

    input shifted right by other bits (integer tensors, broadcast): arithmetic for signed dtypes (the sign
    fills in), logical for uint8. A shift by a negative amount or past the width gives what a full shift
    would (-1 or 0 for signed, 0 for uint8), as in PyTorch 2.

    Example::

        >>> wick.bitwise_right_shift(wick.tensor([16, -16, 5]), 2)
        tensor([ 4, -4,  1])
    """
    a, b, dtype = _shift_operands(input, other, "bitwise_right_shift")
    bits = _INTEGER_BITS[dtype]
    zero = wick.zeros((), dtype=dtype, device=a.device)
    if dtype == wick.uint8:
        valid = b < bits
        full = zero
    else:
        valid = (b >= 0) & (b < bits - 1)
        full = wick.where(a < 0, wick.full((), -1, dtype=dtype, device=a.device), zero)
    powers = _powers_of_two(dtype, a.device)[wick.where(valid, b, wick.zeros_like(b)).long()]
    return wick.where(valid, wick.floor_divide(a, powers), full)


# ---- elementwise math -----------------------------------------------------------------------------------------

# dtype -> (bits of precision p, exponent of the smallest subnormal, largest finite value)
_FLOAT_FORMATS = {wick.float64: (53, -1074, 1.7976931348623157e308), wick.float32: (24, -149, 3.4028234663852886e38),
                  wick.float16: (11, -24, 65504.0), wick.bfloat16: (8, -133, 3.3895313892515355e38)}


def _frexp64(x):
    """(mantissa, exponent) of a float64 tensor, both float64, exactly as C's frexp: x = m * 2**e with
    0.5 <= |m| < 1, and (x, 0) for zeros, infinities and NaN."""
    finite = wick.isfinite(x) & (x != 0)
    safe = wick.where(finite, x, wick.ones_like(x)).abs()
    # Subnormals first become normal numbers (2**-1022 and below would overflow 2**-e).
    tiny = safe < 2.0 ** -1000
    safe = wick.where(tiny, safe * 2.0 ** 100, safe)
    e = wick.floor(wick.log2(safe)) + 1
    m = safe * wick.exp2(-e)
    # log2 may round across a power of two: one step fixes it.
    e = wick.where(m >= 1, e + 1, wick.where(m < 0.5, e - 1, e))
    e = wick.where(tiny, e - 100, e)
    return wick.where(finite, e, wick.zeros_like(e))


def frexp(input):
    """frexp(input) -> (Tensor mantissa, Tensor exponent)

    input split into mantissa and exponent: input = mantissa * 2**exponent with 0.5 <= |mantissa| < 1
    (exponent int32); zeros, infinities and NaN give (input, 0). Floating-point input only; the gradient
    goes through the mantissa (grad / 2**exponent).

    Example::

        >>> mantissa, exponent = wick.frexp(wick.tensor([8.0, -0.75, 0.0]))
        >>> mantissa, exponent
        (tensor([ 0.5000, -0.7500,  0.0000]), tensor([4, 0, 0], dtype=wick.int32))
    """
    _check_tensor(input, "frexp")
    if input.dtype not in _FLOATING:
        raise TypeError("torch.frexp() only supports floating-point dtypes")
    with wick.no_grad():
        e = _frexp64(input.detach().double())
        scale = wick.exp2(-e)
        # 2**-e overflows for exponents below -1023 (subnormals): scale in two exact steps there.
        big = e < -1000
        scale = wick.where(big, wick.exp2(-(e + 100)), scale)
    x64 = input.double()
    mantissa = wick.where(big, x64 * 2.0 ** 100 * scale, x64 * scale)
    mantissa = wick.where(wick.isfinite(x64) & (x64 != 0), mantissa, x64)
    return _frexp_type(mantissa.to(input.dtype), e.to(wick.int32))


def nextafter(input, other):
    """nextafter(input, other) -> Tensor

    The floating-point number next to input in the direction of other (elementwise, broadcast): other
    itself where they are equal, NaN where either is NaN. Not differentiable, as in PyTorch.

    Example::

        >>> wick.nextafter(wick.tensor([1.0, 1.0], dtype=wick.float64), wick.tensor([2.0, 0.0], dtype=wick.float64)) - 1
        tensor([ 2.2204e-16, -1.1102e-16], dtype=wick.float64)
    """
    _check_tensor(input, "nextafter")
    _check_tensor(other, "nextafter", "other")
    dtype = _promoted(input, other)
    if dtype not in _FLOAT_FORMATS:
        raise TypeError(f"\"nextafter\" not implemented for '{dtype}': it takes floating-point tensors")
    return _no_derivative("nextafter", lambda a, b: _nextafter(a, b, dtype), input, other)


def _nextafter(input, other, dtype):
    p, min_exp, largest = _FLOAT_FORMATS[dtype]
    with wick.no_grad():
        x, y = wick.broadcast_tensors(input.detach().to(dtype).double(), other.detach().to(dtype).double())
        e = _frexp64(x)
        # The gap to the next number away from zero is 2**(e - p); toward zero it halves at a power of two.
        away = (y > x) == (x > 0)
        m = x.abs() * wick.exp2(-e.clamp(min=-1000)) * wick.exp2(-(e - e.clamp(min=-1000)))
        power_of_two = m == 0.5
        step_exp = wick.where(~away & power_of_two, e - p - 1, e - p).clamp(min=min_exp)
        step = wick.exp2(step_exp)
        moved = wick.where(away, x + x.sign() * step, x - x.sign() * step)
        moved = wick.where(moved == 0, x * 0, moved)  # -smallest toward zero is -0.0, as C's nextafter
        smallest = 2.0 ** min_exp
        moved = wick.where(x == 0, wick.where(y > 0, wick.full_like(x, smallest), wick.full_like(x, -smallest)), moved)
        moved = wick.where(wick.isinf(x), x.sign() * largest, moved)
        # Past the largest finite number of a narrower dtype the float64 sum stays finite: make it inf.
        moved = wick.where(moved.abs() > largest, moved.sign() * math.inf, moved)
        moved = wick.where(x == y, y, moved)
        moved = wick.where(wick.isnan(x) | wick.isnan(y), x + y, moved)
        return moved.to(dtype)


def logaddexp2(input, other):
    """logaddexp2(input, other) -> Tensor

    log2(2**input + 2**other), without overflow (floating-point tensors, broadcast).

    Example::

        >>> wick.logaddexp2(wick.tensor([1.0, 10.0]), wick.tensor([1.0, 0.0]))
        tensor([ 2.0000, 10.0014])
    """
    _check_tensor(input, "logaddexp2")
    _check_tensor(other, "logaddexp2", "other")
    dtype = _promoted(input, other)
    if dtype not in _FLOATING:
        raise TypeError(f"\"logaddexp2\" not implemented for '{dtype}': it takes floating-point tensors")
    ln2 = math.log(2.0)
    return wick.logaddexp(input.to(dtype) * ln2, other.to(dtype) * ln2) / ln2


def hardshrink(input, lambd=0.5):
    """hardshrink(input, lambd=0.5) -> Tensor

    input where |input| > lambd, else 0 (floating-point input).

    Example::

        >>> wick.hardshrink(wick.tensor([-1.0, 0.3, 0.5, 2.0]))
        tensor([-1.,  0.,  0.,  2.])
    """
    _check_tensor(input, "hardshrink")
    if input.dtype not in _FLOATING:
        raise TypeError(f"\"hardshrink\" not implemented for '{input.dtype}': it takes floating-point tensors")
    inside = (input >= -lambd) & (input <= lambd)
    return wick.where(inside, wick.zeros((), dtype=input.dtype, device=input.device), input)


def prelu(input, weight):
    """prelu(input, weight) -> Tensor

    input where it is positive, weight * input elsewhere; weight has one element or one per channel (dim 1
    of input).

    Example::

        >>> wick.prelu(wick.tensor([[-2.0, 3.0]]), wick.tensor([0.25]))
        tensor([[-0.5000,  3.0000]])
    """
    _check_tensor(input, "prelu")
    _check_tensor(weight, "prelu", "weight")
    if input.dtype != weight.dtype:
        raise TypeError(f"prelu: Type promoting not supported. Got {input.dtype} and {weight.dtype}")
    if weight.dim() > 1:
        raise ValueError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    if weight.numel() != 1:
        if input.dim() == 0:
            raise ValueError("prelu: Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != weight.numel():
            raise ValueError(f"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers "
                             f"= {weight.numel()} and channel size = {channels}.")
    if input.dim() >= 2:
        weight = weight.reshape([1, -1] + [1] * (input.dim() - 2))
    elif weight.dim() == 1 and input.dim() == 0:
        weight = weight.reshape(())
    return wick.where(input > 0, input, weight * input)


def renorm(input, p, dim, maxnorm):
    """renorm(input, p, dim, maxnorm) -> Tensor

    input with each slice along dim (input.select(dim, i)) whose p-norm exceeds maxnorm scaled down to
    norm maxnorm (by maxnorm / (norm + 1e-7)); the other slices unchanged.

    Example::

        >>> wick.renorm(wick.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    _check_tensor(input, "renorm")
    if input.dtype not in _FLOATING:
        raise TypeError(f"renorm: expected a floating point tensor, got {input.dtype}")
    if not p > 0:
        raise ValueError(f"renorm: non-positive-norm not supported (p = {p})")
    if maxnorm < 0:
        raise ValueError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.dim() == 0:
        raise IndexError("renorm: input needs at least one dimension")
    d = dim + input.dim() if dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {dim})")
    rows = input.movedim(d, 0)
    norm = (rows.flatten(1) if rows.dim() > 1 else rows.unsqueeze(1)).norm(p, 1, True)
    factor = wick.where(norm > maxnorm, maxnorm / (norm + 1e-7), wick.ones_like(norm))
    shape = [1] * input.dim()
    shape[d] = input.shape[d]
    return input * factor.reshape(shape)


# ---- values of real tensors ---------------------------------------------------------------------------------


class _Angle(wick.autograd.Function):
    """angle of a real tensor: pi below zero, 0 elsewhere, NaN for NaN; gradient 0, as PyTorch's."""

    @staticmethod
    def forward(ctx, x):
        zero = wick.zeros((), dtype=x.dtype, device=x.device)
        values = wick.where(x < 0, wick.full((), math.pi, dtype=x.dtype, device=x.device), zero)
        return wick.where(wick.isnan(x), x, values)

    @staticmethod
    def backward(ctx, grad):
        return wick.zeros_like(grad)


def angle(input):
    """angle(input) -> Tensor

    The angle (argument) of each element; for real numbers pi for negative ones, 0 otherwise, NaN for NaN.
    Integer input gives wick's default float dtype. The gradient is 0.

    Example::

        >>> wick.angle(wick.tensor([-2.0, 0.0, 3.0]))
        tensor([3.1416, 0.0000, 0.0000])
    """
    _check_tensor(input, "angle")
    if input.dtype not in _FLOATING:
        input = input.to(wick.get_default_dtype())
    return _Angle.apply(input)


def _same(name, doc):
    def method(input):
        _check_tensor(input, name)
        return input

    method.__name__ = name
    method.__doc__ = doc
    return method


conj = _same("conj", "conj(input) -> Tensor\n\nThe complex conjugate; input itself for a real tensor (wick has no "
                     "complex dtypes).")
conj_physical = _same("conj_physical", "conj_physical(input) -> Tensor\n\nThe complex conjugate, computed; input "
                                       "itself for a real tensor.")
conj_physical_ = _same("conj_physical_", "conj_physical_() -> Tensor\n\nIn-place conj_physical: nothing to do for "
                                         "a real tensor; returns it.")
resolve_conj = _same("resolve_conj", "resolve_conj(input) -> Tensor\n\ninput with its conjugate bit materialized; "
                                     "input itself, since a real tensor has none.")
resolve_neg = _same("resolve_neg", "resolve_neg(input) -> Tensor\n\ninput with its negative bit materialized; input "
                                   "itself, since wick's tensors have none.")
real = _same("real", "real(input) -> Tensor\n\nThe real part; input itself for a real tensor.")


def positive(input):
    """positive(input) -> Tensor

    +input: input itself (bool tensors refuse it, as in PyTorch)."""
    _check_tensor(input, "positive")
    if input.dtype == wick.bool:
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def imag(input):
    """imag(input) -> Tensor

    The imaginary part: wick's tensors are real, so this raises, as PyTorch does for real tensors."""
    _check_tensor(input, "imag")
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def is_conj(input):
    """is_conj(input) -> bool

    Whether input's conjugate bit is set: never for wick's real tensors."""
    _check_tensor(input, "is_conj")
    return False


def is_neg(input):
    """is_neg(input) -> bool

    Whether input's negative bit is set: never for wick's tensors."""
    _check_tensor(input, "is_neg")
    return False


def isreal(input):
    """isreal(input) -> Tensor

    Whether each element is real (its imaginary part 0): all True for real tensors."""
    _check_tensor(input, "isreal")
    return wick.ones(tuple(input.shape), dtype=wick.bool, device=input.device)


def adjoint(input):
    """adjoint(input) -> Tensor

    The conjugate transpose of each matrix (the last two dims swapped, a view); a 0-D tensor as it is."""
    _check_tensor(input, "adjoint")
    if input.dim() == 0:
        return input
    if input.dim() < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.dim()}-D tensor.")
    return input.transpose(-2, -1)


def _mH(self):
    if self.dim() == 0:
        return self
    if self.dim() < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D "
                           f"tensor.")
    return self.transpose(-2, -1)


def _H(self):
    if self.dim() == 0:
        return self
    if self.dim() != 2:
        hint = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.{hint}")
    return self.transpose(0, 1)


def _real_set(self, value):
    self.copy_(value)


def _imag_get(self):
    return imag(self)


def _imag_set(self, value):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


# ---- statistics ---------------------------------------------------------------------------------------------


def cov(input, *, correction=1, fweights=None, aweights=None):
    """cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor

    The covariance matrix of the variables in input's rows (observations in its columns; a 1-D input is one
    variable). fweights: integer frequency weights, aweights: floating observation weights, one per
    observation; correction: subtracted from the (weighted) number of observations (1: Bessel's correction).

    Example::

        >>> wick.cov(wick.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _check_tensor(input, "cov")
    if input.dim() > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{input.dim()} dimensions")
    if input.dtype == wick.bool:
        raise TypeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_tensor(fweights, "cov", "fweights")
        if fweights.dim() > 1:
            raise ValueError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                             f"{fweights.dim()} dimensions")
        if fweights.is_floating_point() or fweights.dtype == wick.bool:
            raise TypeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                            f"{fweights.dtype} dtype")
        if fweights.numel() != n:
            raise ValueError(f"cov(): expected fweights to have the same numel as there are observations in the "
                             f"input but got {fweights.numel()} != {n}")
        if n > 0 and bool(fweights.min() < 0):
            raise ValueError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        _check_tensor(aweights, "cov", "aweights")
        if aweights.dim() > 1:
            raise ValueError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                             f"{aweights.dim()} dimensions")
        if aweights.dtype not in _FLOATING:
            raise TypeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                            f"{aweights.dtype} dtype")
        if aweights.numel() != n:
            raise ValueError(f"cov(): expected aweights to have the same numel as there are observations in the "
                             f"input but got {aweights.numel()} != {n}")
        if n > 0 and bool(aweights.min() < 0):
            raise ValueError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is not None:
        w_sum = w.sum()
        if not bool(w_sum != 0):
            raise ValueError("cov(): weights sum to zero, can't be normalized")
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        w_sum = n
        avg = x.sum(1) / n if n > 0 else x.sum(1) / wick.zeros((), dtype=wick.get_default_dtype(), device=x.device)
        norm_factor = wick.full((), n - correction, dtype=wick.int64, device=x.device)
    if bool(norm_factor <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0")
        norm_factor = norm_factor * 0
    xc = x - avg.unsqueeze(1)
    c = xc.mm((xc * w if w is not None else xc).t())
    return wick.true_divide(c, norm_factor).squeeze()


def corrcoef(input):
    """corrcoef(input) -> Tensor

    Pearson's correlation coefficients of the variables in input's rows (observations in its columns), clipped
    to [-1, 1]; for a single variable, 1 (NaN where its variance is 0 or not finite).

    Example::

        >>> wick.corrcoef(wick.tensor([[0.0, 1.0, 2.0], [4.0, 2.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    _check_tensor(input, "corrcoef")
    if input.dim() > 2:
        raise ValueError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                         f"{input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c
    stddev = wick.sqrt(c.diagonal())
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    return c.clamp(-1, 1)


def histogram(input, bins, *, range=None, weight=None, density=False):
    """histogram(input, bins, *, range=None, weight=None, density=False) -> (Tensor hist, Tensor bin_edges)

    The histogram of input's values (floating point): bins equal-width bins over range (default: the
    values' minimum to maximum), or the bins between the edges of a 1-D tensor bins. Each bin holds
    [edge_i, edge_i+1), the last also its right edge; values outside are not counted. weight: one weight per
    element (default 1); density: divide by the total and the bin widths, so the histogram integrates to 1.

    Example::

        >>> hist, bin_edges = wick.histogram(wick.tensor([1.0, 2.0, 1.0]), 4, range=(0.0, 3.0))
        >>> hist, bin_edges
        (tensor([0., 2., 1., 0.]), tensor([0.0000, 0.7500, 1.5000, 2.2500, 3.0000]))
    """
    _check_tensor(input, "histogram")
    if input.dtype not in _FLOATING:
        raise TypeError(f"\"histogram\" not implemented for '{input.dtype}': it takes floating-point tensors")
    with wick.no_grad():
        x = input.detach().reshape(-1)
        if isinstance(bins, wick.Tensor):
            if bins.dim() != 1:
                raise ValueError(f"torch.histogram(): bins tensor should have one dimension, but got {bins.dim()}")
            if bins.dtype != input.dtype:
                raise TypeError(f"torch.histogram: input tensor and bins tensors should have the same dtype, but "
                                f"got input with dtype {input.dtype} and bins with dtype {bins.dtype}")
            if bins.numel() < 1:
                raise ValueError("torch.histogram(): bins tensor should have at least 1 element")
            edges = bins.detach().to(input.device).clone()
        else:
            if isinstance(bins, bool) or not isinstance(bins, int):
                raise TypeError(f"histogram(): argument 'bins' must be int or Tensor, not {type(bins).__name__}")
            if bins <= 0:
                raise ValueError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
            if range is not None:
                lo, hi = float(range[0]), float(range[1])
            elif x.numel() > 0:
                lo, hi = float(x.min()), float(x.max())
            else:
                lo, hi = 0.0, 1.0
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"torch.histogram: range of [{lo}, {hi}] is not finite")
            if lo > hi:
                raise ValueError(f"torch.histogram: min should not exceed max, but got min {lo} max {hi}")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = wick.linspace(lo, hi, bins + 1, dtype=input.dtype, device=input.device)
        nbins = edges.numel() - 1
        if weight is not None:
            _check_tensor(weight, "histogram", "weight")
            if tuple(weight.shape) != tuple(input.shape):
                raise ValueError(f"torch.histogram: if weight tensor is provided it should have the same shape as "
                                 f"the input tensor excluding its innermost dimension, but got input with shape "
                                 f"{list(input.shape)} and weight with shape {list(weight.shape)}")
            if weight.dtype != input.dtype:
                raise TypeError(f"torch.histogram: if weight tensor is provided, it should have the same dtype as "
                                f"the input tensor, but got input with dtype {input.dtype} and weight with dtype "
                                f"{weight.dtype}")
            w = weight.detach().reshape(-1)
        else:
            w = wick.ones(x.shape, dtype=input.dtype, device=input.device)
        hist = wick.zeros(max(nbins, 0), dtype=input.dtype, device=input.device)
        if nbins > 0 and x.numel() > 0:
            inside = (x >= edges[0]) & (x <= edges[-1])
            xs, ws = x[inside], w[inside]
            pos = (wick.searchsorted(edges, xs, right=True) - 1).clamp(0, nbins - 1)
            hist = hist.index_add(0, pos, ws)
        if density:
            hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    inputs = [t for t in (input, weight, bins) if isinstance(t, wick.Tensor)]
    return _histogram_type(*_no_derivative("histogram", lambda *_: (hist, edges), *inputs))


# ---- writing into parts of a tensor -----------------------------------------------------------------------------


def _check_src_shape(op, src, region):
    if tuple(src.shape) != tuple(region.shape):
        raise ValueError(f"{op}: expected src to have a size equal to the slice of self. src size = "
                         f"{list(src.shape)}, slice size = {list(region.shape)}")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor

    A copy of input with src written into its diagonal (input.diagonal(offset, dim1, dim2) has src's shape).

    Example::

        >>> wick.diagonal_scatter(wick.zeros(2, 2), wick.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    _check_tensor(input, "diagonal_scatter")
    _check_tensor(src, "diagonal_scatter", "src")
    out = input.clone()
    region = out.diagonal(offset, dim1, dim2)
    _check_src_shape("diagonal_scatter", src, region)
    region.copy_(src)
    return out


def select_scatter(input, src, dim, index):
    """select_scatter(input, src, dim, index) -> Tensor

    A copy of input with src written at index of dim (input.select(dim, index) has src's shape).

    Example::

        >>> wick.select_scatter(wick.zeros(2, 2), wick.ones(2), 0, 1)
        tensor([[0., 0.],
                [1., 1.]])
    """
    _check_tensor(input, "select_scatter")
    _check_tensor(src, "select_scatter", "src")
    out = input.clone()
    region = out.select(dim, index)
    _check_src_shape("select_scatter", src, region)
    region.copy_(src)
    return out


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor

    A copy of input with src written into its slice start:end:step of dim.

    Example::

        >>> wick.slice_scatter(wick.zeros(2, 4), wick.ones(2, 2), 1, 0, 4, 2)
        tensor([[1., 0., 1., 0.],
                [1., 0., 1., 0.]])
    """
    _check_tensor(input, "slice_scatter")
    _check_tensor(src, "slice_scatter", "src")
    if input.dim() == 0:
        raise IndexError("slice_scatter: slice() cannot be applied to a 0-dim tensor.")
    d = dim + input.dim() if dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {dim})")
    if step <= 0:
        raise ValueError("slice_scatter: slice step must be positive")
    out = input.clone()
    region = out[(slice(None),) * d + (slice(start, end, step),)]
    _check_src_shape("slice_scatter", src, region)
    region.copy_(src)
    return out


def _dense_order(x):
    """The dims of x from the largest stride to the smallest, when x covers its memory without gaps or
    overlaps (PyTorch's clone then keeps its strides); None otherwise."""
    dims = sorted(range(x.dim()), key=lambda d: -x.stride(d))
    expected = 1
    for d in reversed(dims):
        if x.shape[d] != 1 and x.stride(d) != expected:
            return None
        expected *= x.shape[d]
    return dims


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor

    A copy of input (laid out as PyTorch's clone lays it out) with src written into its
    as_strided(size, stride, storage_offset) view, positions counted in the copy's memory.

    Example::

        >>> wick.as_strided_scatter(wick.zeros(4), wick.ones(2), (2,), (2,))
        tensor([1., 0., 1., 0.])
    """
    _check_tensor(input, "as_strided_scatter")
    _check_tensor(src, "as_strided_scatter", "src")
    order = None if input.is_contiguous() else _dense_order(input)
    if input.requires_grad and wick.is_grad_enabled() and not input.is_contiguous():
        raise RuntimeError("as_strided_scatter is currently only supported for contiguous inputs")
    if order is None:
        out = input.clone()
        region = out.as_strided(size, stride, storage_offset if storage_offset is not None else 0)
        _check_src_shape("as_strided_scatter", src, region)
        region.copy_(src)
        return out
    # A dense input with permuted strides: its clone keeps them, so the view reads memory in that order.
    buffer = input.permute(order).clone()
    region = buffer.as_strided(size, stride, storage_offset if storage_offset is not None else 0)
    _check_src_shape("as_strided_scatter", src, region)
    region.copy_(src)
    inverse = [0] * len(order)
    for i, d in enumerate(order):
        inverse[d] = i
    return buffer.permute(inverse)


def _positions(shape, indices, device):
    """For every element of x[indices] (x of this shape), its position in x's row-major order: PyTorch's
    advanced indexing picks the shape and order of the result, and checks the indices."""
    index = tuple(slice(None) if i is None else i for i in indices)
    return wick.arange(_numel(shape), device=device).reshape(tuple(shape))[index]


def _check_indices(op, indices):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for i in indices:
        if i is not None and not isinstance(i, wick.Tensor):
            raise TypeError(f"{op}(): argument 'indices' must be tuple of Tensors, but found element of type "
                            f"{type(i).__name__}")
        if i is not None and i.dtype not in (wick.int64, wick.int32, wick.bool, wick.uint8):
            raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool tensors (got {i.dtype})")
    if len(indices) == 0:
        raise ValueError(f"{op}: at least one index tensor is needed")


def index_put(input, indices, values, accumulate=False):
    """index_put(input, indices, values, accumulate=False) -> Tensor

    A copy of input with values (broadcast) written at input[indices] (a tuple of index tensors, as advanced
    indexing takes them); with accumulate=True added there instead, repeated positions adding up.

    Example::

        >>> wick.index_put(wick.zeros(3), (wick.tensor([0, 2, 0]),), wick.tensor(1.0), accumulate=True)
        tensor([2., 0., 1.])
    """
    _check_tensor(input, "index_put")
    _check_tensor(values, "index_put", "values")
    _check_indices("index_put", indices)
    if values.dtype != input.dtype:
        raise TypeError(f"Index put requires the source and destination dtypes match, got {input.dtype} for the "
                        f"destination and {values.dtype} for the source.")
    if not accumulate:
        out = input.clone()
        out[tuple(slice(None) if i is None else i for i in indices)] = values
        return out
    pos = _positions(input.shape, indices, input.device)
    source = values.expand(tuple(pos.shape)).reshape(-1)
    return input.reshape(-1).index_add(0, pos.reshape(-1), source).reshape(tuple(input.shape))


def masked_scatter(input, mask, source):
    """masked_scatter(input, mask, source) -> Tensor

    A copy of input (broadcast with the bool mask) with source's first elements, in order, written where
    mask is True.

    Example::

        >>> wick.masked_scatter(wick.zeros(4), wick.tensor([True, False, True, False]), wick.tensor([1.0, 2.0]))
        tensor([1., 0., 2., 0.])
    """
    _check_tensor(input, "masked_scatter")
    _check_tensor(mask, "masked_scatter", "mask")
    _check_tensor(source, "masked_scatter", "source")
    if mask.dtype != wick.bool:
        raise TypeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if source.dtype != input.dtype:
        raise TypeError(f"masked_scatter: expected self and source to have same dtypes but got {input.dtype} and "
                        f"{source.dtype}")
    shape = tuple(wick.broadcast_shapes(input.shape, mask.shape))
    pos = mask.expand(shape).reshape(-1).nonzero().reshape(-1)
    if source.numel() < pos.numel():
        raise ValueError(f"masked_scatter: expected source to have at least as many elements as ones in mask "
                         f"({pos.numel()}), but got {source.numel()}")
    flat = input.expand(shape).reshape(-1)
    return flat.index_copy(0, pos, source.reshape(-1)[:pos.numel()]).reshape(shape)


def put(input, index, source, accumulate=False):
    """put(input, index, source, accumulate=False) -> Tensor

    A copy of input with source's elements written at the positions index gives in input's row-major order
    (as if input were 1-D; negative positions count from the end); with accumulate=True added there.

    Example::

        >>> wick.put(wick.zeros(2, 2), wick.tensor([3, 0]), wick.tensor([5.0, 6.0]))
        tensor([[6., 0.],
                [0., 5.]])
    """
    _check_tensor(input, "put")
    _check_tensor(index, "put", "index")
    _check_tensor(source, "put", "source")
    if index.dtype != wick.int64:
        raise TypeError(f"put(): Expected a long tensor for index, but got {index.dtype}")
    if source.dtype != input.dtype:
        raise TypeError(f"put(): self and source expected to have the same dtype, but got self.dtype = "
                        f"{input.dtype} and source.dtype = {source.dtype}")
    if index.numel() != source.numel():
        raise ValueError(f"put(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")
    n = input.numel()
    idx = index.reshape(-1).to(input.device)
    if idx.numel() > 0:
        if n == 0:
            raise IndexError("put(): Tried to indexing on an empty tensor")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"put(): out of range: tried to access index {bad} on a tensor of {n} elements.")
        idx = wick.where(idx < 0, idx + n, idx)
    flat = input.reshape(-1)
    src = source.reshape(-1)
    out = flat.index_add(0, idx, src) if accumulate else flat.index_copy(0, idx, src)
    return out.reshape(tuple(input.shape))


def fill_diagonal_(self, fill_value, wrap=False):
    """fill_diagonal_(fill_value, wrap=False) -> Tensor

    Fills the main diagonal (the elements with all indices equal; all dims must have one length beyond 2-D)
    with fill_value in place. With wrap=True a tall matrix's diagonal starts again every N + 1 rows, as
    NumPy's fill_diagonal does. Returns self.

    Example::

        >>> wick.zeros(3, 2).fill_diagonal_(1.0)
        tensor([[1., 0.],
                [0., 1.],
                [0., 0.]])
    """
    if self.dim() < 2:
        raise ValueError("fill_diagonal_: dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if self.dim() > 2 and any(s != height for s in self.shape):
        raise ValueError("fill_diagonal_: all dimensions of input must be of equal length")
    offset = self.storage_offset()
    stride = sum(self.stride())
    size = min(height, width)
    self.as_strided((size,), (stride,), offset).fill_(fill_value)
    if wrap and self.dim() == 2 and height > width + 1:
        step = width + 1
        wrap_size = (self.numel() + step - 1) // step - size
        self.as_strided((wrap_size,), (stride,), offset + self.stride(0) * (width + 1)).fill_(fill_value)
    return self


# ---- scatter_reduce and index_reduce --------------------------------------------------------------------------

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _scatter_targets(shape, dim, index):
    """Each element of index's row-major position in a contiguous tensor of `shape`, with dim's coordinate
    replaced by the index's value."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    target = index * strides[dim] if len(shape) else index
    for d in range(index.dim()):
        if d == dim:
            continue
        view = [1] * index.dim()
        view[d] = index.shape[d]
        target = target + wick.arange(index.shape[d], device=index.device).reshape(view) * strides[d]
    return target


def _segment_extreme(values, targets, largest):
    """For each distinct target, the largest (or smallest) of its values, NaN if any is NaN: (targets, values)."""
    order = values.argsort(stable=True)
    order = order[targets[order].argsort(stable=True)]
    t, v = targets[order], values[order]
    boundary = t[1:] != t[:-1]
    if largest:  # ascending values: each group's last is its largest (NaN sorts last)
        pick = wick.cat([boundary, wick.ones(1, dtype=wick.bool, device=t.device)])
    else:
        pick = wick.cat([wick.ones(1, dtype=wick.bool, device=t.device), boundary])
    chosen_t, chosen_v = t[pick], v[pick]
    if v.is_floating_point():
        nan_count = wick.zeros(chosen_t.shape, dtype=wick.int64, device=t.device)
        group = wick.cumsum(wick.cat([wick.zeros(1, dtype=wick.int64, device=t.device), boundary.long()]), 0)
        nan_count = nan_count.index_add(0, group, wick.isnan(v).long())
        chosen_v = wick.where(nan_count > 0, wick.full((), math.nan, dtype=v.dtype, device=v.device), chosen_v)
    return chosen_t, chosen_v


def _scatter_reduce_forward(self, dim, index, src, reduce, include_self):
    """scatter_reduce's values, without autograd."""
    if reduce in ("sum", "mean"):
        out = self.clone() if include_self else self.scatter(dim, index, 0)
        out = out.scatter_add(dim, index, src)
        if reduce == "mean":
            count = wick.ones_like(self) if include_self else wick.zeros_like(self)
            count = count.scatter_add(dim, index, wick.ones_like(src))
            count = wick.where(count == 0, wick.ones_like(count), count)
            out = out / count if out.is_floating_point() else wick.floor_divide(out, count)
        return out
    if reduce == "prod":
        out = self.clone() if include_self else self.scatter(dim, index, 1)
        return out.scatter(dim, index, src, reduce="multiply")
    largest = reduce == "amax"
    shape = tuple(self.shape)
    out = self.contiguous().reshape(-1).clone()
    if index.numel() == 0:
        return out.reshape(shape)
    region = src[tuple(slice(0, s) for s in index.shape)] if src.dim() else src
    targets = _scatter_targets(shape, dim, index).reshape(-1)
    t, v = _segment_extreme(region.reshape(-1), targets, largest)
    if include_self:
        current = out[t]
        if largest:
            v = wick.where(wick.isnan(current) | (current > v), current, v) if v.is_floating_point() \
                else wick.maximum(current, v)
        else:
            v = wick.where(wick.isnan(current) | (current < v), current, v) if v.is_floating_point() \
                else wick.minimum(current, v)
    out[t] = v
    return out.reshape(shape)


class _ScatterReduce(wick.autograd.Function):
    """scatter_reduce with PyTorch's backward (scatter_reduce_backward in its FunctionsManual.cpp)."""

    @staticmethod
    def forward(ctx, self, src, dim, index, reduce, include_self):
        result = _scatter_reduce_forward(self, dim, index, src, reduce, include_self)
        ctx.dim, ctx.reduce, ctx.include_self = dim, reduce, include_self
        ctx.save_for_backward(self, src, index, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        self, src, index, result = ctx.saved_tensors
        dim, reduce, include_self = ctx.dim, ctx.reduce, ctx.include_self
        if reduce == "sum":
            grad_self, grad_src = grad, grad.gather(dim, index)
        elif reduce == "prod":
            masked_self = self.masked_fill(self == 0, 1)
            masked_self_result = _scatter_reduce_forward(masked_self, dim, index, src, reduce, include_self)
            grad_self = grad * masked_self_result / masked_self
            src_zero = src == 0
            src_num_zeros = wick.zeros_like(self).scatter_add(dim, index, src_zero.to(self.dtype)).gather(dim, index)
            src_single_zero = src_zero & (src_num_zeros == 1)
            masked_src = src.masked_fill(src_single_zero, 1)
            masked_src_result = _scatter_reduce_forward(self, dim, index, masked_src, reduce, include_self)
            grad_src = wick.where(src_single_zero, (grad * masked_src_result).gather(dim, index),
                                  (grad * result).gather(dim, index) / src.masked_fill(src_zero, 1))
            if bool((src_num_zeros > 1).any()):
                raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 zeros in src "
                                   "are scattered to the same position in self")
        elif reduce == "mean":
            n = wick.ones_like(grad) if include_self else wick.zeros_like(grad)
            n = n.scatter_add(dim, index, wick.ones_like(src))
            n = n.masked_fill(n == 0, 1)
            grad_self = grad / n
            grad_src = grad.gather(dim, index) / n.gather(dim, index)
        else:  # amax, amin: the gradient is split evenly between the elements equal to the result
            value = result.gather(dim, index)
            self_is_result = (self == result).to(self.dtype)
            src_is_result = (src == value).to(self.dtype)
            n = self_is_result.scatter_add(dim, index, src_is_result)
            distributed = grad / n
            grad_self = self_is_result * distributed
            grad_src = src_is_result * distributed.gather(dim, index)
        if not include_self:
            grad_self = grad_self.scatter(dim, index, 0)
        return grad_self, grad_src, None, None, None, None


def _check_scatter_reduce(op, self, dim, index, src, reduce):
    _check_tensor(self, op)
    _check_tensor(index, op, "index")
    _check_tensor(src, op, "src")
    if reduce not in _REDUCTIONS:
        raise ValueError(f"{op}(): reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if index.dtype != wick.int64:
        raise TypeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")
    if self.dtype != src.dtype:
        raise TypeError(f"{op}(): Expected self.dtype to be equal to src.dtype, got {self.dtype} and {src.dtype}")
    nd = max(self.dim(), 1)
    d = dim + nd if dim < 0 else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    if index.numel() == 0:
        return d
    if not (index.dim() == self.dim() == src.dim()):
        raise ValueError(f"{op}(): Index tensor must have the same number of dimensions as self and src tensors "
                         f"(index {list(index.shape)}, self {list(self.shape)}, src {list(src.shape)})")
    for k in range(index.dim()):
        if index.shape[k] > src.shape[k] or (k != d and index.shape[k] > self.shape[k]):
            raise ValueError(f"{op}(): Expected index {list(index.shape)} to be smaller than self "
                             f"{list(self.shape)} apart from dimension {d} and to be smaller size than src "
                             f"{list(src.shape)}")
    size = self.shape[d] if self.dim() else 1
    lo, hi = int(index.min()), int(index.max())
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {size}")
    return d


def _scatter_reduce_apply(self, dim, index, src, reduce, include_self):
    if src.dim() and tuple(index.shape) != tuple(src.shape):
        # Only index's extent of src takes part: the rest of src gets a zero gradient.
        src_region = src[tuple(slice(0, s) for s in index.shape)]
    else:
        src_region = src
    if self.dim() == 0:
        out = _ScatterReduce.apply(self.reshape(1), src_region.reshape(1), 0, index.reshape(1), reduce, include_self)
        return out.reshape(())
    return _ScatterReduce.apply(self, src_region, dim, index, reduce, include_self)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """scatter_reduce(input, dim, index, src, reduce, *, include_self=True) -> Tensor

    A copy of input with src's elements reduced into the positions index gives along dim (as scatter_add
    places them): reduce is "sum", "prod", "mean", "amax" or "amin"; include_self=False leaves input's
    own values out of the positions that receive any. "mean" of integers rounds down. The gradients are
    PyTorch's (amax/amin split the gradient evenly between ties).

    Example::

        >>> src = wick.tensor([1.0, 2.0, 3.0, 4.0])
        >>> wick.scatter_reduce(wick.zeros(2), 0, wick.tensor([0, 1, 0, 1]), src, "amax")
        tensor([3., 4.])
    """
    d = _check_scatter_reduce("scatter_reduce", input, dim, index, src, reduce)
    return _scatter_reduce_apply(input, d, index, src, reduce, include_self)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor

    A copy of input with source's slices along dim reduced into the slices index names (index[i] receives
    source.select(dim, i)): reduce is "prod", "mean", "amax" or "amin"; include_self=False leaves input's
    own values out of the slices that receive any.

    Example::

        >>> wick.index_reduce(wick.ones(2), 0, wick.tensor([0, 0, 1]), wick.tensor([2.0, 3.0, 4.0]), "prod")
        tensor([6., 4.])
    """
    _check_tensor(input, "index_reduce")
    _check_tensor(index, "index_reduce", "index")
    _check_tensor(source, "index_reduce", "source")
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.dim() > 1:
        raise ValueError("index_reduce_(): Index is supposed to be a vector")
    if index.dtype not in (wick.int64, wick.int32):
        raise TypeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {index.dtype}")
    if input.dtype != source.dtype:
        raise TypeError(f"index_reduce_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
                        f"scalar type")
    nd = max(input.dim(), 1)
    d = dim + nd if dim < 0 else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    if max(source.dim(), 1) != nd:
        raise ValueError(f"index_reduce_(): source ({list(source.shape)}) and self ({list(input.shape)}) must have "
                         f"the same number of dimensions")
    self_shape = list(input.shape) or [1]
    source_shape = list(source.shape) or [1]
    if index.numel() != source_shape[d]:
        raise ValueError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal to "
                         f"source.size(dim) ({source_shape[d]})")
    if any(self_shape[k] != source_shape[k] for k in range(nd) if k != d):
        raise ValueError(f"index_reduce_(): self ({self_shape}) and source ({source_shape}) must have the same size "
                         f"at every dimension but {d}")
    idx = index.long().reshape(-1)
    lo, hi = (int(idx.min()), int(idx.max())) if idx.numel() else (0, 0)
    if idx.numel() and (lo < 0 or hi >= self_shape[d]):
        bad = lo if lo < 0 else hi
        raise IndexError(f"index_reduce_(): index {bad} is out of bounds for dimension {d} with size "
                         f"{self_shape[d]}")
    view = [1] * nd
    view[d] = -1
    expanded = idx.reshape(view).expand(source_shape)
    out = _ScatterReduce.apply(input.reshape(self_shape), source.reshape(source_shape), d, expanded, reduce,
                               include_self)
    return out.reshape(tuple(input.shape))


# ---- splits and copies --------------------------------------------------------------------------------------


def split_with_sizes(input, split_sizes, dim=0):
    """split_with_sizes(input, split_sizes, dim=0) -> tuple of Tensors

    input cut along dim into views of the given sizes, which must add up to input.size(dim).

    Example::

        >>> [t.tolist() for t in wick.arange(5).split_with_sizes([2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    _check_tensor(input, "split_with_sizes")
    if isinstance(split_sizes, int) or not all(isinstance(s, int) and not isinstance(s, bool) for s in split_sizes):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' must be a sequence of ints, not {split_sizes!r}")
    return tuple(input.split(list(split_sizes), dim))


def unsafe_split(input, split_size, dim=0):
    """unsafe_split(input, split_size, dim=0) -> tuple of Tensors

    input.split(split_size, dim): PyTorch's form that skips view tracking; the same values and gradients."""
    _check_tensor(input, "unsafe_split")
    return tuple(input.split(split_size, dim))


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """unsafe_split_with_sizes(input, split_sizes, dim=0) -> tuple of Tensors

    input.split_with_sizes(split_sizes, dim): PyTorch's form that skips view tracking."""
    return split_with_sizes(input, split_sizes, dim)


def unsafe_chunk(input, chunks, dim=0):
    """unsafe_chunk(input, chunks, dim=0) -> tuple of Tensors

    input.chunk(chunks, dim): PyTorch's form that skips view tracking; the same values and gradients."""
    _check_tensor(input, "unsafe_chunk")
    return tuple(input.chunk(chunks, dim))


def narrow_copy(input, dim, start, length):
    """narrow_copy(input, dim, start, length) -> Tensor

    input.narrow(dim, start, length) as a new contiguous tensor (a copy, not a view).

    Example::

        >>> wick.narrow_copy(wick.arange(5), 0, 1, 3)
        tensor([1, 2, 3])
    """
    _check_tensor(input, "narrow_copy")
    return input.narrow(dim, start, length).clone()


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero_static(input, *, size, fill_value=-1) -> Tensor

    input.nonzero() with exactly `size` rows: the first `size` indices of nonzero elements, then rows of
    fill_value if there are fewer.

    Example::

        >>> wick.nonzero_static(wick.tensor([0, 3, 0, 5]), size=3)
        tensor([[ 1],
                [ 3],
                [-1]])
    """
    _check_tensor(input, "nonzero_static")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"nonzero_static: 'size' must be an non-negative integer, got {size!r}")
    found = input.nonzero()
    if found.shape[0] >= size:
        return found[:size].clone()
    pad = wick.full((size - found.shape[0], input.dim()), fill_value, dtype=wick.int64, device=input.device)
    return wick.cat([found, pad])


def resize_as_(input, the_template, *, memory_format=None):
    """resize_as_(input, the_template) -> Tensor

    input.resize_(the_template.shape): input takes the template's shape in place (contiguous), growing its
    storage if needed. Returns input."""
    _check_tensor(input, "resize_as_")
    _check_tensor(the_template, "resize_as_", "the_template")
    if memory_format is not None:
        raise ValueError("resize_as_: wick's tensors are contiguous after resize_; memory_format must be None")
    return input.resize_(*the_template.shape)


# ---- in-place helpers of self: type, new, resize, apply_, map_ ----------------------------------------------


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """type(dtype=None, non_blocking=False) -> str or Tensor

    Without dtype, the name of this tensor's legacy type ('wick.FloatTensor', 'wick.cuda.LongTensor'...).
    With a dtype, such a name ('torch.' names are accepted too) or such a type (wick.LongTensor), this
    tensor converted to it; itself when it already is."""
    if dtype is None:
        return ("wick.cuda." if self.device.type == "cuda" else "wick.") + _TYPE_NAMES[self.dtype]
    device = self.device
    if isinstance(dtype, type):  # a legacy tensor type (python/wick/_legacy_types.py), by its name
        dtype = f"{dtype.__module__}.{dtype.__name__}"
    if isinstance(dtype, str):
        parts = dtype.split(".")
        by_name = {v: k for k, v in _TYPE_NAMES.items()}
        if parts[0] not in ("wick", "torch") or parts[-1] not in by_name or \
                len(parts) not in (2, 3) or (len(parts) == 3 and parts[1] != "cuda"):
            raise ValueError(f"invalid type: '{dtype}'")
        if len(parts) == 3:
            device = wick.device("cuda")
        elif device.type == "cuda":
            device = wick.device("cpu")
        dtype = by_name[parts[-1]]
    elif not isinstance(dtype, wick.dtype):
        raise TypeError(f"type(): dtype must be a wick.dtype or a type name, not {type(dtype).__name__}")
    if dtype == self.dtype and device == self.device:
        return self
    return self.to(device=device, dtype=dtype, non_blocking=non_blocking)


def _new(self, *args, device=None):
    """new(*args, device=None) -> Tensor

    PyTorch's legacy constructor, in self's dtype and device: new() an empty tensor; new(*sizes) or
    new(wick.Size) an uninitialized one of that shape; new(sequence) one holding the data; new(tensor) a
    tensor sharing tensor's memory (same dtype required)."""
    device = self.device if device is None else device
    if len(args) == 0:
        return wick.empty(0, dtype=self.dtype, device=device)
    if len(args) == 1:
        arg = args[0]
        if isinstance(arg, wick.Tensor):
            if arg.dtype != self.dtype:
                raise TypeError(f"new(): expected a tensor of dtype {self.dtype} (got {arg.dtype})")
            if arg.device != wick.device(device):
                raise ValueError(f"new(): expected a tensor on {device} (got one on {arg.device})")
            return arg.view_as(arg)
        if isinstance(arg, wick.Size):
            return wick.empty(tuple(arg), dtype=self.dtype, device=device)
        if isinstance(arg, int) and not isinstance(arg, bool):
            return wick.empty(arg, dtype=self.dtype, device=device)
        if isinstance(arg, (float, bool, complex, str)) or not hasattr(arg, "__len__"):
            raise TypeError(f"new(): data must be a sequence (got {type(arg).__name__})")
        return wick.tensor(arg, dtype=self.dtype, device=device)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return wick.empty(args, dtype=self.dtype, device=device)
    raise TypeError(f"new() received an invalid combination of arguments: {tuple(type(a).__name__ for a in args)}")


def _new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
    """new_empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor

    wick.empty_strided(size, stride) with self's dtype and device unless given."""
    return wick.empty_strided(tuple(size), tuple(stride), dtype=dtype if dtype is not None else self.dtype,
                              device=device if device is not None else self.device, requires_grad=requires_grad)


def _resize_to(self, sizes, op):
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    n = _numel(sizes)
    if self.numel() != n:
        raise RuntimeError(f"requested resize to {'x'.join(map(str, sizes))} ({n} elements in total), but the given "
                           f"tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                           f"autograd's resize can only change the shape of a given tensor, while preserving the "
                           f"number of elements. ")
    return self.contiguous().view(sizes)


def _resize(self, *sizes):
    """resize(*sizes) -> Tensor

    Deprecated (as in PyTorch): self.contiguous().view(*sizes), which must keep the number of elements."""
    warnings.warn("non-inplace resize is deprecated")
    return _resize_to(self, sizes, "resize")


def _resize_as(self, tensor):
    """resize_as(tensor) -> Tensor

    Deprecated (as in PyTorch): self.resize(tensor.shape)."""
    warnings.warn("non-inplace resize_as is deprecated")
    return _resize_to(self, tuple(tensor.shape), "resize_as")


def _check_python_callable(self, op, fn):
    if self.device.type != "cpu":
        raise RuntimeError(f"{op} is only implemented on CPU tensors")
    if self.requires_grad and wick.is_grad_enabled():
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use var.detach().{op}() instead.")
    if not callable(fn):
        raise TypeError(f"{op}(): the callable argument is not callable ({type(fn).__name__})")


def _write_values(self, values):
    with wick.no_grad():
        self.copy_(wick.tensor(values, dtype=self.dtype).reshape(tuple(self.shape)))
    return self


def _apply_(self, callable):
    """apply_(callable) -> Tensor

    Replaces each element x of this CPU tensor with callable(x) (Python numbers in and out; slow, for
    tests and small tensors). Returns self."""
    _check_python_callable(self, "apply_", callable)
    return _write_values(self, [callable(v) for v in self.reshape(-1).tolist()])


def _map_(self, tensor, callable):
    """map_(tensor, callable) -> Tensor

    self[i] = callable(self[i], tensor[i]) for each element, tensor broadcast to self's shape (CPU tensors
    of the same dtype). Returns self."""
    _check_python_callable(self, "map_", callable)
    _check_tensor(tensor, "map_", "tensor")
    if tensor.dtype != self.dtype:
        raise TypeError(f"map_: expected a tensor of dtype {self.dtype}, got {tensor.dtype}")
    other = tensor.expand(tuple(self.shape)).reshape(-1).tolist()
    return _write_values(self, [callable(a, b) for a, b in zip(self.reshape(-1).tolist(), other)])


def _map2_(self, x, y, callable):
    """map2_(x, y, callable) -> Tensor

    self[i] = callable(self[i], x[i], y[i]) for each element, x and y broadcast to self's shape (CPU tensors
    of the same dtype). Returns self."""
    _check_python_callable(self, "map2_", callable)
    for name, t in (("x", x), ("y", y)):
        _check_tensor(t, "map2_", name)
        if t.dtype != self.dtype:
            raise TypeError(f"map2_: expected {name} of dtype {self.dtype}, got {t.dtype}")
    xs = x.expand(tuple(self.shape)).reshape(-1).tolist()
    ys = y.expand(tuple(self.shape)).reshape(-1).tolist()
    return _write_values(self, [callable(a, b, c) for a, b, c in zip(self.reshape(-1).tolist(), xs, ys)])


def _as_subclass(self, cls):
    """as_subclass(cls) -> Tensor

    A cls instance (cls a subclass of wick.Tensor) viewing this tensor's data; it stays in the autograd graph
    (gradients flow back to self). cls.__init__ is not called."""
    if not isinstance(cls, type) or not issubclass(cls, wick.Tensor):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    out = _C.Tensor.__new__(cls)
    _C.Tensor.__init__(out, self.view_as(self))
    return out


def _module_load(self, other, assign=False):
    """module_load(other, assign=False) -> Tensor

    What nn.Module.load_state_dict does with a state-dict value for this parameter or buffer: with
    assign=True, other detached; otherwise self with other's values copied in, detached."""
    if assign:
        return other.detach()
    with wick.no_grad():
        return self.copy_(other).detach()


def _dim_order(self, *, ambiguity_check=False):
    """dim_order(*, ambiguity_check=False) -> tuple of ints

    The dims from the outermost to the innermost in memory (by decreasing stride; PyTorch's order for ties).
    ambiguity_check=True raises when the order is not unique between contiguous and channels-last."""
    if not isinstance(ambiguity_check, bool):
        raise TypeError("The ambiguity_check argument must be a bool.")
    ndim = self.dim()
    contiguous = self.is_contiguous()
    channels_last = _is_channels_last(self)
    if ambiguity_check and contiguous == channels_last:
        raise RuntimeError("The tensor does not have unique dim order, or cannot map to a supported memory format.")
    if contiguous and not channels_last:
        return tuple(range(ndim))
    if channels_last and not contiguous:
        return (0, *range(2, ndim), 1)
    shape, strides = tuple(self.shape), self.stride()

    def should_swap(a, b):
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa < sb:
            return -1
        if sa > sb:
            return 1
        return 1 if shape[a] > shape[b] else 0

    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):
        dim1 = i
        for dim0 in reversed(range(i)):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    return tuple(reversed(perm))


def _is_channels_last(x):
    """Whether a 4-D tensor is laid out as PyTorch's channels_last (N, H, W, C in memory)."""
    if x.dim() != 4:
        return False
    expected = 1
    for d in (1, 3, 2, 0):
        if x.shape[d] != 1 and x.stride(d) != expected:
            return False
        expected *= x.shape[d]
    return True


# ---- metadata ------------------------------------------------------------------------------------------------


class layout:
    """The memory layout of a tensor (PyTorch's torch.layout). wick's tensors are all strided (dense arrays
    with strides): x.layout is wick.strided."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "wick." + self._name

    def __reduce__(self):
        return self._name


strided = layout("strided")


def is_inference(input):
    """is_inference(input) -> bool

    Whether input is an inference tensor: never in wick, whose inference_mode() only turns gradients off
    (its tensors are ordinary ones)."""
    _check_tensor(input, "is_inference")
    return False


def _false_method(name, doc):
    def method(self):
        return False

    method.__name__ = name
    method.__doc__ = doc
    return method


def _dense_dim(self):
    """dense_dim() -> int

    The number of dense dims: all of them for a strided tensor (PyTorch 2)."""
    return self.dim()


def _sparse_dim(self):
    """sparse_dim() -> int

    The number of sparse dims: 0 for a strided tensor (PyTorch 2)."""
    return 0


def _is_shared(self):
    """is_shared() -> bool

    Whether the storage is in memory other processes can map: after share_memory_(), after the tensor was
    sent to or received from another process (wick.multiprocessing), for batches from DataLoader worker
    processes; CUDA memory always counts as shared (as in PyTorch)."""
    return self.device.type == "cuda" or _C._is_shared_memory(self)


def _share_memory_(self):
    """share_memory_() -> Tensor

    Moves the storage into shared memory, in place (every tensor over it follows), so that processes it is
    sent to (wick.multiprocessing) map the same memory instead of receiving a copy. A no-op for CUDA tensors
    and for tensors already shared. Uses wick.multiprocessing's sharing strategy. Returns self."""
    if self.device.type == "cpu":
        from wick.multiprocessing import get_sharing_strategy
        _C._share_memory_(self, get_sharing_strategy())
    return self


def _volatile_get(self):
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _volatile_set(self, value):
    warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.", UserWarning,
                  stacklevel=2)


def _const_data_ptr(self):
    """const_data_ptr() -> int

    The address of the first element (data_ptr(), for code that only reads through it)."""
    return self.data_ptr()


def _to_dense(self, dtype=None, *, masked_grad=None):
    """to_dense(dtype=None) -> Tensor

    The tensor in strided layout: wick's tensors already are, so self (converted when dtype is given)."""
    return self if dtype is None or dtype == self.dtype else self.to(dtype)


# ---- ormqr -----------------------------------------------------------------------------------------------------


def ormqr(input, input2, input3, left=True, transpose=False):
    """ormqr(input, tau, other, left=True, transpose=False) -> Tensor

    other multiplied by the orthogonal Q of geqrf's Householder form (input, tau): Q @ other (left=True) or
    other @ Q, with Q transposed first when transpose=True. Q is the full square matrix.

    Example::

        >>> a, tau = wick.geqrf(wick.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> q = wick.ormqr(a, tau, wick.eye(2))   # Q @ I: Q itself, orthogonal
        >>> wick.allclose(q @ q.t(), wick.eye(2), atol=1e-6)
        True
    """
    for name, t in (("input", input), ("tau", input2), ("other", input3)):
        _check_tensor(t, "ormqr", name)
    if input.dim() < 2 or input3.dim() < 2:
        raise ValueError(f"torch.ormqr: input and other must have at least 2 dimensions (got {input.dim()} and "
                         f"{input3.dim()})")
    if input.dtype != input3.dtype or input.dtype != input2.dtype:
        raise TypeError(f"torch.ormqr: input, tau and other must have the same dtype (got {input.dtype}, "
                        f"{input2.dtype}, {input3.dtype})")
    m = input3.shape[-2] if left else input3.shape[-1]
    if input.shape[-2] != m:
        raise ValueError(f"torch.ormqr: input.shape[-2] must be equal to other.shape[{-2 if left else -1}] "
                         f"({input.shape[-2]} != {m})")
    k = input2.shape[-1]
    if k > min(m, input.shape[-1]) and k > m:
        raise ValueError(f"torch.ormqr: tau.shape[-1] must be less than or equal to input.shape[-2] ({k} > {m})")
    a = input[..., :k] if input.shape[-1] > k else input
    if m > k:
        pad = wick.zeros(tuple(a.shape[:-1]) + (m - k,), dtype=a.dtype, device=a.device)
        a = wick.cat([a, pad], -1)
    q = wick.orgqr(a, input2)
    if transpose:
        q = q.transpose(-2, -1)
    return q.matmul(input3) if left else input3.matmul(q)


def symeig(input, eigenvectors=False, upper=True):
    """symeig(input, eigenvectors=False, upper=True) -> (Tensor eigenvalues, Tensor eigenvectors)

    PyTorch 1.13's deprecated form of wick.linalg.eigh: the eigenvalues (ascending) of each symmetric matrix
    of input, read from its upper (upper=True, the default here) or lower triangle, and with
    eigenvectors=True the eigenvectors in the columns (else an empty tensor). It warns, as PyTorch 1.13 did;
    PyTorch 2 removed it.

    Example::

        >>> wick.symeig(wick.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    _check_tensor(input, "symeig")
    warnings.warn("torch.symeig is deprecated in favor of torch.linalg.eigh and will be removed in a future PyTorch "
                  "release. The default behavior has changed from using the upper triangular portion of the matrix "
                  "by default to using the lower triangular portion: L = wick.linalg.eigvalsh(A, UPLO='U' if upper "
                  "else 'L'), L, V = wick.linalg.eigh(A, UPLO='U' if upper else 'L').", stacklevel=2)
    if input.dim() < 2:
        raise ValueError(f"linalg.symeig: A must have at least 2 dimensions, got shape {list(input.shape)}")
    if input.shape[-1] != input.shape[-2]:
        raise ValueError(f"linalg.symeig: A must be batches of square matrices, but they are {input.shape[-2]} by "
                         f"{input.shape[-1]} matrices")
    if input.dtype not in (wick.float32, wick.float64):
        raise TypeError(f"\"symeig\" not implemented for '{input.dtype}': it takes float32 or float64 matrices")
    uplo = "U" if upper else "L"
    if eigenvectors:
        values, vectors = wick.linalg.eigh(input, UPLO=uplo)
    else:  # not differentiable in PyTorch 1.13 either (its backward needs the eigenvectors)
        values = _no_derivative("symeig", lambda a: wick.linalg.eigvalsh(a, UPLO=uplo), input,
                                message="symeig(A, eigenvectors=False) is not differentiable. Use "
                                        "wick.linalg.eigvalsh(A) instead.")
        vectors = wick.empty(0, dtype=input.dtype, device=input.device)
    return _symeig_type(values, vectors)


# ---- stft ------------------------------------------------------------------------------------------------------


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode='reflect',
    normalized=False, onesided=None, return_complex=None) -> Tensor

    The short-time Fourier transform of a 1-D signal (or a batch of them, 2-D): frames of n_fft samples,
    hop_length apart (default n_fft // 4), multiplied by window (win_length long, default all ones, centered
    in the frame), each transformed by a DFT. center pads the signal by n_fft // 2 on both sides
    (pad_mode as F.pad takes it) so that frame t is centered on sample t * hop_length; normalized scales by
    n_fft ** -0.5; onesided (default True) keeps the n_fft // 2 + 1 non-negative frequencies. wick has no
    complex dtypes: the result is real, [..., freq, frame, 2] with the real and imaginary parts last
    (PyTorch's return_complex=False; return_complex=True is refused). Differentiable.

    Example::

        >>> wick.stft(wick.randn(2, 400), 64, return_complex=False).shape   # 2 signals, 33 freqs, 26 frames
        wick.Size([2, 33, 26, 2])
    """
    _check_tensor(input, "stft")
    if return_complex:
        raise TypeError("stft: wick has no complex dtypes, so return_complex=True is not supported; "
                        "return_complex=False gives the real and imaginary parts in a last dim of size 2")
    if return_complex is None:
        warnings.warn("stft will soon require the return_complex parameter be given for real inputs, and will "
                      "further require that return_complex=True in a future PyTorch release.")
    if input.dtype not in _FLOATING:
        raise TypeError(f"stft: expected a tensor of floating point dtype, got {input.dtype}")
    if input.dim() not in (1, 2):
        raise ValueError(f"stft: expected a 1D or 2D tensor, got {input.dim()}-D of shape {list(input.shape)}")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    x = input if input.dim() == 2 else input.unsqueeze(0)
    if center:
        from wick.nn import functional as F
        x = F.pad(x.unsqueeze(1), (n_fft // 2, n_fft // 2), mode=pad_mode).squeeze(1)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise ValueError(f"stft: expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop_length <= 0:
        raise ValueError(f"stft: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise ValueError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if window is not None:
        _check_tensor(window, "stft", "window")
        if window.dim() != 1 or window.shape[0] != win_length:
            raise ValueError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                             f"window with size {list(window.shape)}")
    frames = x.unfold(-1, n_fft, hop_length)  # [batch, frame, n_fft]
    if window is not None or win_length < n_fft:
        w = window if window is not None else wick.ones(win_length, dtype=input.dtype, device=input.device)
        if win_length < n_fft:
            left = (n_fft - win_length) // 2
            w = wick.cat([wick.zeros(left, dtype=w.dtype, device=w.device), w,
                          wick.zeros(n_fft - win_length - left, dtype=w.dtype, device=w.device)])
        frames = frames * w
    onesided = True if onesided is None else onesided
    freqs = n_fft // 2 + 1 if onesided else n_fft
    # The DFT as one matmul with cos / -sin of 2 pi k n / N, the angle reduced exactly (k n mod N) first.
    k = wick.arange(freqs, dtype=wick.int64, device=input.device).unsqueeze(1)
    n = wick.arange(n_fft, dtype=wick.int64, device=input.device).unsqueeze(0)
    theta = (k * n).remainder(n_fft).double() * (2 * math.pi / n_fft)
    basis = wick.cat([wick.cos(theta), -wick.sin(theta)], 0).to(frames.dtype)  # [2 freqs, n_fft]
    spectrum = frames.matmul(basis.t())  # [batch, frame, 2 freqs]
    if normalized:
        spectrum = spectrum * n_fft ** -0.5
    out = wick.stack([spectrum[..., :freqs], spectrum[..., freqs:]], -1).transpose(1, 2)  # [batch, freq, frame, 2]
    return out if input.dim() == 2 else out.squeeze(0)


# ---- install ---------------------------------------------------------------------------------------------------

# In-place forms made of an op and copy_: name -> the op (a Tensor method's name or a function above), and
# what autograd records (_inplace_form): the comparisons' zero gradients, nothing for the logical ops.
_INPLACE_ZERO_GRADIENT = {"eq_": "eq", "ne_": "ne", "lt_": "lt", "le_": "le", "gt_": "gt", "ge_": "ge",
                          "greater_": "gt", "greater_equal_": "ge", "less_": "lt", "less_equal_": "le",
                          "not_equal_": "ne"}
_INPLACE_NOT_RECORDED = {"logical_and_": "logical_and", "logical_or_": "logical_or", "logical_xor_": "logical_xor",
                         "logical_not_": "logical_not"}
_INPLACE = {"bitwise_not_": "bitwise_not", "mvlgamma_": "mvlgamma",
            "renorm_": renorm, "nextafter_": nextafter, "bitwise_left_shift_": bitwise_left_shift,
            "bitwise_right_shift_": bitwise_right_shift, "index_put_": index_put, "masked_scatter_": masked_scatter,
            "put_": put, "scatter_reduce_": scatter_reduce, "index_reduce_": index_reduce}

# PyTorch's aliases of in-place methods.
_INPLACE_ALIASES = {"multiply_": "mul_", "subtract_": "sub_", "true_divide_": "div_"}

# Functions that are both wick.<name> and wick.Tensor.<name>.
_FUNCTIONS = [bitwise_left_shift, bitwise_right_shift, frexp, nextafter, logaddexp2, hardshrink, prelu, renorm,
              angle, conj, conj_physical, conj_physical_, resolve_conj, resolve_neg, positive, is_conj, is_neg,
              isreal, adjoint, cov, corrcoef, histogram, diagonal_scatter, select_scatter, slice_scatter,
              as_strided_scatter, index_put, masked_scatter, put, scatter_reduce, index_reduce, split_with_sizes,
              unsafe_split, unsafe_split_with_sizes, unsafe_chunk, narrow_copy, nonzero_static, resize_as_,
              is_inference, ormqr, stft, symeig]

# The functions above that take PyTorch's out= (as wick.<name>; the methods do not).
_OUT = {bitwise_left_shift, bitwise_right_shift, frexp, nextafter, logaddexp2, hardshrink, renorm, angle, conj_physical,
        histogram, scatter_reduce, index_reduce, narrow_copy, nonzero_static, ormqr, symeig}

# Functions of wick only (PyTorch has them as methods under other signatures, or as properties).
_TORCH_ONLY = [real, imag]

# Methods of wick.Tensor only.
_METHODS = {"type": _type, "new": _new, "new_empty_strided": _new_empty_strided, "resize": _resize,
            "resize_as": _resize_as, "apply_": _apply_, "map_": _map_, "map2_": _map2_,
            "as_subclass": _as_subclass, "module_load": _module_load, "dim_order": _dim_order,
            "dense_dim": _dense_dim, "sparse_dim": _sparse_dim, "is_shared": _is_shared, "share_memory_": _share_memory_,
            "const_data_ptr": _const_data_ptr, "to_dense": _to_dense, "fill_diagonal_": fill_diagonal_,
            "is_pinned": lambda self, device=None: False,
            "is_distributed": _false_method("is_distributed", "is_distributed() -> bool\n\nAlways False, as in "
                                                              "PyTorch (a legacy method).")}

# Properties that are False for every wick tensor: the layouts and devices wick does not have.
_FALSE_PROPERTIES = ["is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_mps", "is_xla",
                     "is_xpu", "is_ipu", "is_vulkan", "is_nested", "is_maia", "is_mtia"]


def install(module):
    """Adds the names above to the module wick and to wick.Tensor where the extension has none of that name;
    returns the names added to the module."""
    Tensor = module.Tensor
    added = []

    def add_function(name, fn):
        if not hasattr(module, name):
            setattr(module, name, fn)
            added.append(name)

    def add_method(name, fn):
        if not hasattr(Tensor, name):
            setattr(Tensor, name, fn)

    for name, op in _INPLACE.items():
        add_method(name, _inplace_form(name, op))
    for name, op in _INPLACE_ZERO_GRADIENT.items():
        add_method(name, _inplace_form(name, op, autograd="zero"))
    for name, op in _INPLACE_NOT_RECORDED.items():
        add_method(name, _inplace_form(name, op, autograd="none"))
    for name, target in _INPLACE_ALIASES.items():
        add_method(name, getattr(Tensor, target))
    for fn in _FUNCTIONS:
        add_function(fn.__name__, _with_out(fn) if fn in _OUT else fn)
        add_method(fn.__name__, fn)
    for fn in _TORCH_ONLY:
        add_function(fn.__name__, fn)
    for name, fn in _METHODS.items():
        if fn.__name__ == "<lambda>":
            fn.__name__ = name
        add_method(name, fn)
    Tensor.is_pinned.__doc__ = "is_pinned(device=None) -> bool\n\nWhether the tensor is in pinned (page-locked) " \
                               "host memory: wick does not pin tensors, so False."
    add_function("is_distributed", _METHODS["is_distributed"])
    add_function("index_put_", Tensor.index_put_)
    if hasattr(Tensor, "as_strided_") and not hasattr(module, "as_strided_"):
        def as_strided_(input, size, stride, storage_offset=None):
            """as_strided_(input, size, stride, storage_offset=None) -> Tensor

            input.as_strided_(size, stride, storage_offset): see wick.Tensor.as_strided_."""
            return input.as_strided_(size, stride, storage_offset)

        add_function("as_strided_", as_strided_)
    add_function("conj_physical_", conj_physical_)

    properties = {
        "real": property(lambda self: self, _real_set, doc="The real part: the tensor itself for a real tensor; "
                                                           "assigning copies into it."),
        "imag": property(_imag_get, _imag_set, doc="The imaginary part: raises for wick's real tensors, as "
                                                   "PyTorch does for real tensors."),
        "mH": property(_mH, doc="The conjugate transpose of each matrix (for real tensors mT)."),
        "H": property(_H, doc="The conjugate transpose of a matrix (for real tensors .T of a 2-D tensor)."),
        "layout": property(lambda self: strided, doc="The memory layout: wick.strided for every wick tensor."),
        "volatile": property(_volatile_get, _volatile_set, doc="Removed in PyTorch 0.4: always False, with a warning."),
    }
    for name in _FALSE_PROPERTIES:
        properties[name] = property(lambda self: False, doc=f"{name}: False, as for every wick tensor (strided, "
                                                            f"dense, on the CPU or a CUDA device).")
    for name, prop in properties.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, prop)

    for result_type in (_frexp_type, _histogram_type, _symeig_type):
        if not hasattr(return_types, result_type.__name__):
            setattr(return_types, result_type.__name__, result_type)
    layout.__module__ = module.__name__
    add_function("layout", layout)
    if not hasattr(module, "strided"):
        module.strided = strided
    return added
