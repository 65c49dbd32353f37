"""wick.nn.init: filling tensors in place with PyTorch's initialisation schemes.

Every function works without recording autograd (so it may fill a Parameter)
and returns the tensor it filled. Fans follow PyTorch: for a weight
[out, in, *kernel], fan_in = in * prod(kernel) and fan_out = out * prod(kernel).
"""
import math

import wick

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 (linear, conv, sigmoid), 5/3
    (tanh), sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu; slope = param,
    default 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = 1
    for s in tensor.shape[2:]:
        receptive_field *= s
    return tensor.size(1) * receptive_field, tensor.size(0) * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """Fills with values drawn from U(a, b)."""
    with wick.no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor, mean=0.0, std=1.0):
    """Fills with values drawn from N(mean, std^2)."""
    with wick.no_grad():
        return tensor.normal_(mean, std)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fills with values drawn from N(mean, std^2) truncated to [a, b]."""
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a} and b={b}")
    with wick.no_grad():
        tensor.normal_(mean, std)
        # Redraw the values outside [a, b] until none are left; each round
        # keeps at least the probability mass of [a, b] of what it redraws.
        for _ in range(1000):
            outside = (tensor < a) | (tensor > b)
            count = int(outside.sum())
            if count == 0:
                return tensor
            tensor[outside] = wick.empty(count, dtype=tensor.dtype, device=tensor.device).normal_(mean, std)
        return tensor.clamp_(a, b)


def constant_(tensor, val):
    """Fills with val."""
    with wick.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fills with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fills with 0."""
    with wick.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """The identity matrix, for a 2-D tensor."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with wick.no_grad():
        return tensor.copy_(wick.eye(tensor.size(0), tensor.size(1), dtype=tensor.dtype))


def dirac_(tensor, groups=1):
    """The Dirac delta for a 3-, 4- or 5-D convolution weight: the
    convolution keeps as many input channels as it can."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    with wick.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min_dim):
                index = (g * out_per_group + d, d) + tuple(s // 2 for s in sizes[2:])
                tensor[index] = 1
    return tensor


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, gain^2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(-bound, bound), bound = gain * sqrt(3 / fan)."""
    if 0 in tensor.shape:
        return tensor  # nothing to fill (PyTorch warns)
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): N(0, std^2), std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def orthogonal_(tensor, gain=1):
    """Saxe et al. (2013): a (semi-)orthogonal matrix times gain, over the
    tensor viewed as [size(0), numel / size(0)]."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    m, n = max(rows, cols), min(rows, cols)
    with wick.no_grad():
        # Modified Gram-Schmidt on the columns of a tall Gaussian matrix: its Q
        # is the QR factor with a positive diagonal of R, as PyTorch's scheme uses.
        a = wick.randn(m, n, dtype=wick.float64)
        columns = []
        for j in range(n):
            v = a[:, j]
            for q in columns:
                v = v - (q * v).sum() * q
            columns.append(v / v.norm())
        q = wick.stack(columns, 1)
        if rows < cols:
            q = q.t()
        tensor.copy_((q * gain).reshape(tensor.shape))
    return tensor


