"""wick.nn.init: filling tensors in place with PyTorch's initialisation schemes.

Every function works without recording autograd (so it may fill a Parameter)
and returns the tensor it filled. Fans follow PyTorch: for a weight
[out, in, *kernel], fan_in = in * prod(kernel) and fan_out = out * prod(kernel).
"""
import math
import warnings

import wick

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]

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
        # The Q of a tall Gaussian matrix's QR, its columns' signs chosen so that R
        # has a positive diagonal (which makes Q uniformly distributed), as PyTorch's.
        q, r = wick.linalg.qr(wick.randn(m, n, dtype=wick.float64))
        q = q * r.diagonal().sign()
        if rows < cols:
            q = q.t()
        tensor.copy_((q * gain).reshape(tensor.shape))
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Martens (2010): a 2-D tensor drawn from N(0, std^2) with a fraction
    `sparsity` of each column's entries (rounded up) set to zero, at rows
    chosen at random per column."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    if generator is not None:
        raise NotImplementedError("sparse_: a generator argument is not supported; it uses the global generator")
    rows, cols = tensor.shape
    zeros_per_column = int(math.ceil(sparsity * rows))
    with wick.no_grad():
        tensor.normal_(0, std)
        if zeros_per_column and cols:
            # Each column's zero rows: the first ones of an independent random permutation of the rows.
            picks = wick.rand(rows, cols, device=tensor.device).argsort(dim=0)[:zeros_per_column]
            tensor.scatter_(0, picks, 0.0)
    return tensor


def _deprecated(fill):
    """The old name of an initialiser (uniform for uniform_ ...): warns, then fills."""
    old = fill.__name__[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fill.__name__}`.", FutureWarning,
                      stacklevel=2)
        return fill(*args, **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"Deprecated: use wick.nn.init.{fill.__name__}."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)


