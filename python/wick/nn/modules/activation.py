import warnings

import wick
from wick.nn import functional as F
from wick.nn import init as _init
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter

__all__ = ["ReLU", "LeakyReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Threshold",
           "Hardtanh", "ReLU6", "SELU", "Hardsigmoid", "Hardswish", "Mish", "ELU", "CELU", "GLU", "Hardshrink",
           "Softshrink", "RReLU", "PReLU", "LogSigmoid", "Softplus", "Softsign", "Tanhshrink", "Softmin",
           "Softmax2d"]


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


def _inplace_suffix(inplace):
    return ", inplace=True" if inplace else ""


class _InplaceActivation(Module):
    """An activation whose only option is ``inplace``: forward is ``_function(input, inplace=inplace)``."""

    _function = None  # staticmethod(F.name) in each subclass

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return self._function(input, inplace=self.inplace)


class _AlphaActivation(Module):
    """An activation of alpha and inplace: forward is ``_function(input, alpha, inplace)``."""

    _function = None  # staticmethod(F.name) in each subclass

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return self._function(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_suffix(self.inplace)


class _Shrink(Module):
    """A shrinkage of threshold lambd: forward is ``_function(input, lambd)``."""

    _function = None  # staticmethod(F.name) in each subclass

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return self._function(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class _SoftmaxAlongDim(Module):
    """A softmax-like normalization along dim: forward is ``_function(input, dim)``, dim=None
    making PyTorch's legacy choice (with its warning)."""

    _function = None  # staticmethod(F.name) in each subclass

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return self._function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class ReLU(_InplaceActivation):
    """max(0, x), elementwise (in place with inplace=True)."""

    _function = staticmethod(F.relu)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x where x > 0, negative_slope * x elsewhere."""

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_suffix(self.inplace)


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; approximate: 'none' (exact,
    with erf) or 'tanh' (the tanh approximation)."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceActivation):
    """x * sigmoid(x) (also called swish)."""

    _function = staticmethod(F.silu)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, input):
        return wick.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, input):
        return wick.sigmoid(input)


class Softmax(_SoftmaxAlongDim):
    """softmax along dim (None: PyTorch's legacy choice, with its warning)."""

    _function = staticmethod(F.softmax)


class LogSoftmax(_SoftmaxAlongDim):
    """log(softmax(x)) along dim, computed stably."""

    _function = staticmethod(F.log_softmax)


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace_suffix(self.inplace)


class Hardtanh(Module):
    """x clamped to [min_val, max_val] (min_val < max_val); the gradient is 0 at the bounds. min_value and
    max_value are the deprecated names of min_val and max_val."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and rename to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and rename to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_suffix(self.inplace)


class ReLU6(Hardtanh):
    """min(max(0, x), 6): Hardtanh(0, 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class SELU(_InplaceActivation):
    """scale * (max(0, x) + min(0, alpha * (exp(x) - 1))), alpha = 1.6732632..., scale = 1.0507009..."""

    _function = staticmethod(F.selu)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Hardsigmoid(_InplaceActivation):
    """relu6(x + 3) / 6."""

    _function = staticmethod(F.hardsigmoid)


class Hardswish(_InplaceActivation):
    """x * relu6(x + 3) / 6."""

    _function = staticmethod(F.hardswish)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x))."""

    _function = staticmethod(F.mish)


class ELU(_AlphaActivation):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""

    _function = staticmethod(F.elu)


class CELU(_AlphaActivation):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha must not be 0."""

    _function = staticmethod(F.celu)


class GLU(Module):
    """The gated linear unit: input split in halves a, b along dim, a * sigmoid(b)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Hardshrink(_Shrink):
    """x where |x| > lambd, else 0."""

    _function = staticmethod(F.hardshrink)


class Softshrink(_Shrink):
    """x - lambd above lambd, x + lambd below -lambd, 0 between (lambd >= 0)."""

    _function = staticmethod(F.softshrink)


class RReLU(Module):
    """Randomized leaky ReLU: in training, a slope drawn uniformly from [lower, upper] for each x <= 0; in
    eval mode, the fixed slope (lower + upper) / 2."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + _inplace_suffix(self.inplace)


class PReLU(Module):
    """x where x > 0, weight * x elsewhere, with a learned weight: one slope for all channels
    (num_parameters=1) or one per channel (dim 1 of the input), each initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(wick.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class Softmin(_SoftmaxAlongDim):
    """softmax(-x) along dim (None: PyTorch's legacy choice, with its warning)."""

    _function = staticmethod(F.softmin)


class Softmax2d(Module):
    """softmax over the channels at each location: dim -3 of a [N, C, H, W] or [C, H, W] input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)
