"""The activations and dropouts of torch.nn.functional beyond those in functional.py: the ELU family (celu, selu,
elu_), the shrinks, threshold, the hard approximations (hardsigmoid, hardswish), mish, glu, rrelu, prelu, the
channel-wise and alpha dropouts and gumbel_softmax.

Each is composed of wick ops, so it runs on every device and autograd differentiates it; the compositions are
chosen so the gradient at a kink is PyTorch's (hardtanh's is 0 at its bounds, clamp's is 1 at its bounds, a
``where`` differentiates the branch it picks). ``inplace=True`` forms write into their input and return it.
"""
import math
import warnings

import wick
from wick import _C
# Both are defined in functional.py before it imports this file.
from wick.nn.functional import _floating_only, _inplace, elu, leaky_relu

__all__ = [
    "celu", "celu_", "elu_", "selu", "selu_", "glu", "hardshrink", "softshrink", "tanhshrink", "threshold",
    "threshold_", "hardtanh_", "hardsigmoid", "hardswish", "mish", "rrelu", "rrelu_", "prelu", "alpha_dropout",
    "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d", "gumbel_softmax",
]

# SELU's constants (Klambauer et al., "Self-Normalizing Neural Networks"); alpha dropout sets dropped
# units to SELU's negative saturation, -SCALE * ALPHA.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ---- the ELU family ---------------------------------------------------------------------------------------

def _elu(x, alpha, scale, input_scale):
    """scale * x where x > 0, else alpha * scale * (exp(input_scale * x) - 1): PyTorch's elu kernel, which
    celu and selu share (one fused kernel, wick._C._elu). At x = 0 the gradient is the exponential branch's,
    alpha * scale * input_scale."""
    return _C._elu(x, alpha, scale, input_scale)


def elu_(input, alpha=1.0):
    """elu in place; returns input."""
    return elu(input, alpha, inplace=True)


def _celu_alpha(alpha):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return alpha


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), elementwise; alpha must not be 0.

    Example::

        >>> wick.nn.functional.celu(wick.tensor([-2.0, 0.0, 1.5]), alpha=2.0)
        tensor([-1.2642,  0.0000,  1.5000])
    """
    _floating_only(input, "celu")
    _celu_alpha(alpha)
    if inplace:
        return celu_(input, alpha)
    return _elu(input, alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    """celu in place; returns input."""
    _floating_only(input, "celu_")
    _celu_alpha(alpha)
    return _inplace(input, lambda x: _elu(x, alpha, 1.0, 1.0 / alpha))


def selu(input, inplace=False):
    """scale * (max(0, x) + min(0, alpha * (exp(x) - 1))), with alpha = 1.6732632... and
    scale = 1.0507009... (self-normalizing: keeps zero mean and unit variance through layers).

    Example::

        >>> wick.nn.functional.selu(wick.tensor([-1.0, 0.0, 1.0]))
        tensor([-1.1113,  0.0000,  1.0507])
    """
    _floating_only(input, "selu")
    if inplace:
        return selu_(input)
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


def selu_(input):
    """selu in place; returns input."""
    _floating_only(input, "selu_")
    return _inplace(input, lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0))


# ---- gates, shrinks and thresholds ------------------------------------------------------------------------

def glu(input, dim=-1):
    """The gated linear unit: input split in halves a, b along dim, a * sigmoid(b).

    Example::

        >>> wick.nn.functional.glu(wick.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5000, 2.0000]])
    """
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    _floating_only(input, "glu")
    wrapped = dim + input.dim() if dim < 0 else dim
    if not 0 <= wrapped < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], "
                         f"but got {dim})")
    size = input.size(wrapped)
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {wrapped} is size {size}")
    half = size // 2
    return input.narrow(wrapped, 0, half) * input.narrow(wrapped, half, half).sigmoid()


hardshrink = wick.hardshrink


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, 0 between (lambd >= 0); the gradient is 0 on the
    closed interval [-lambd, lambd].

    Example::

        >>> wick.nn.functional.softshrink(wick.tensor([-2.0, 0.25, 1.0]))
        tensor([-1.5000,  0.0000,  0.5000])
    """
    _floating_only(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    # clamp's gradient is 1 on the closed interval, so this one is 0 there, as PyTorch's.
    return input - input.clamp(-lambd, lambd)


def tanhshrink(input):
    """x - tanh(x), elementwise."""
    return input - input.tanh()


def _threshold_scalars(input, threshold, value):
    # PyTorch converts both to the input's dtype: an integer tensor compares with the truncated threshold.
    if input.is_floating_point() or input.dtype == wick.bool:
        return threshold, value
    return int(threshold), int(value)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value; the gradient is 0 where x <= threshold.

    Example::

        >>> wick.nn.functional.threshold(wick.tensor([-1.0, 0.5, 2.0]), 0.5, -7.0)
        tensor([-7., -7.,  2.])
    """
    if inplace:
        return threshold_(input, threshold, value)
    threshold, value = _threshold_scalars(input, threshold, value)
    return input.masked_fill(input <= threshold, value)


def threshold_(input, threshold, value):
    """threshold in place; returns input."""
    threshold, value = _threshold_scalars(input, threshold, value)
    return input.masked_fill_(input <= threshold, value)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh in place; returns input."""
    return _C.hardtanh_(input, min_val, max_val)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between; the gradient is 0 at -3 and 3.

    Example::

        >>> wick.nn.functional.hardsigmoid(wick.tensor([-4.0, 0.0, 1.5, 3.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    _floating_only(input, "hardsigmoid")
    return _inplace(input, _C._hardsigmoid) if inplace else _C._hardsigmoid(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6: 0 below -3, x above 3, x (x + 3) / 6 between (Searching for MobileNetV3).

    Example::

        >>> wick.nn.functional.hardswish(wick.tensor([-4.0, -1.5, 0.0, 3.0]))
        tensor([-0.0000, -0.3750,  0.0000,  3.0000])
    """
    _floating_only(input, "hardswish")
    # The gradient at -3 and 3 is the middle piece's, x / 3 + 1/2 (-0.5 and 1.5), as PyTorch's.
    return _inplace(input, _C._hardswish) if inplace else _C._hardswish(input)


def mish(input, inplace=False):
    """x * tanh(softplus(x)), elementwise (Mish: A Self Regularized Non-Monotonic Activation Function)."""
    _floating_only(input, "mish")
    return _inplace(input, _C._mish) if inplace else _C._mish(input)


# ---- randomized and learned slopes ------------------------------------------------------------------------

def _check_rrelu_bounds(lower, upper):
    if lower > upper:
        raise RuntimeError(f"Lower bound should be less than or equal to the upper bound, but got lower={lower} "
                           f"and upper={upper}")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training, each x <= 0 is multiplied by its own slope drawn uniformly from
    [lower, upper] (the gradient is that slope); otherwise leaky_relu with slope (lower + upper) / 2."""
    _floating_only(input, "rrelu")
    _check_rrelu_bounds(lower, upper)
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    with wick.no_grad():
        slopes = wick.empty_like(input).uniform_(lower, upper).masked_fill_(input > 0, 1.0)
    return input.mul_(slopes) if inplace else input * slopes


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """rrelu in place; returns input."""
    return rrelu(input, lower, upper, training, inplace=True)


prelu = wick.prelu


# ---- dropouts ---------------------------------------------------------------------------------------------

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _feature_noise_shape(input, batched):
    """The shape of one draw per channel: [N, C, 1, ...] for a batch (dims 0 and 1), [C, 1, ...] for an
    unbatched input (its dim 0)."""
    shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    noise = shape[:2] + (1,) * (len(shape) - 2)
    return noise if batched else noise[1:]


def _dropout(name, input, p, training, inplace, feature, alpha, batched=True):
    """PyTorch's dropout kernel, for its four kinds (feature: one draw per channel; alpha: dropped units
    set to SELU's negative saturation and the rest scaled and shifted to keep zero mean and unit variance).
    The identity cases return input itself, whatever its dtype."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if not input.is_floating_point():
        raise TypeError(f"{name}: expected a floating point input, got {input.dtype}")
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    shape = _feature_noise_shape(input, batched) if feature else tuple(input.shape)
    keep = wick.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    if not alpha:
        scale = keep.div_(1 - p)
        return input.mul_(scale) if inplace else input * scale
    saturation = _SELU_ALPHA * _SELU_SCALE
    a = 1.0 / math.sqrt((saturation * saturation * p + 1) * (1 - p))
    # Kept units: a * x + saturation * a * p; dropped ones: saturation * a * (p - 1), whatever x was.
    shift = (keep + (p - 1)).mul_(saturation * a)
    scale = keep.mul_(a)
    return input.mul_(scale).add_(shift) if inplace else wick.addcmul(shift, input, scale)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: in training, each element is set with probability p to SELU's negative
    saturation, and all are then scaled and shifted so the input's mean and variance are kept; otherwise the
    identity."""
    _check_p(p)
    return _dropout("alpha_dropout", input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """alpha_dropout with one draw per channel (input[n, c] whole), for inputs of 2 or more dimensions."""
    _check_p(p)
    return _dropout("feature_alpha_dropout", input, p, training, inplace, feature=True, alpha=True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p (from the global generator) and scales the rest by
    1 / (1 - p); input [N, C, L] or unbatched [C, L]."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout("dropout1d", input, p, training, inplace, feature=True, alpha=False, batched=input.dim() == 3)


def _warn_dims(name, dim, spatial, expected):
    warnings.warn(f"{name}: Received a {dim}-D input to {name}, which is deprecated and will result in an error in "
                  f"a future release. To retain the behavior and silence this warning, please use dropout instead. "
                  f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                  f"dimensions, a channel dimension, and an optional batch dimension (i.e. {expected} inputs).",
                  stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p and scales the rest by 1 / (1 - p); input [N, C, H, W].

    As in PyTorch, a 3-D input is read as [N, C, L] (1-D channel-wise dropout, with a warning), and other
    ranks warn and take dims 0 and 1 as batch and channel."""
    _check_p(p)
    dim = input.dim()
    if dim not in (3, 4):
        _warn_dims("dropout2d", dim, 2, "3D or 4D")
    if dim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _dropout("dropout2d", input, p, training, inplace, feature=True, alpha=False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels with probability p and scales the rest by 1 / (1 - p); input [N, C, D, H, W]
    or unbatched [C, D, H, W] (other ranks warn, and are read as unbatched)."""
    _check_p(p)
    dim = input.dim()
    if dim not in (4, 5):
        _warn_dims("dropout3d", dim, 3, "4D or 5D")
    return _dropout("dropout3d", input, p, training, inplace, feature=True, alpha=False, batched=dim == 5)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau) along dim, g drawn
    from Gumbel(0, 1). With hard=True the result is the one-hot of its argmax, differentiated as the soft
    sample (straight-through). eps is deprecated and unused."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    with wick.no_grad():
        gumbels = wick.empty_like(logits).exponential_().log_().neg_()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = wick.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
