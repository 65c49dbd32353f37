import numbers

import wick
from wick.autograd import Function
from wick.nn import functional as F
from wick.nn import init
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter

__all__ = ["LayerNorm", "GroupNorm", "LocalResponseNorm", "CrossMapLRN2d", "RMSNorm"]


class _TrailingDimsNorm(Module):
    """What LayerNorm and RMSNorm share: normalized_shape (an int or a shape,
    the trailing dims normalized over), eps, a weight (ones) of that shape
    when elementwise_affine, and the repr."""

    def __init__(self, normalized_shape, eps, elementwise_affine, device, dtype):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(wick.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LayerNorm(_TrailingDimsNorm):
    """Normalizes over the last len(normalized_shape) dims; weight (ones) and
    bias (zeros, unless bias=False) of normalized_shape when elementwise_affine."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__(normalized_shape, eps, elementwise_affine, device, dtype)
        if elementwise_affine and bias:
            self.bias = Parameter(wick.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        super().reset_parameters()
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(Module):
    """Normalizes each of num_groups groups of channels of [N, C, *]; weight
    (ones) and bias (zeros) of [num_channels] when affine."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(wick.empty(num_channels, device=device, dtype=dtype))
            self.bias = Parameter(wick.empty(num_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class RMSNorm(_TrailingDimsNorm):
    """Root-mean-square normalization over the last len(normalized_shape) dims
    (F.rms_norm); a weight (ones) of normalized_shape when elementwise_affine.
    eps=None takes the machine epsilon of the input's dtype."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__(normalized_shape, eps, elementwise_affine, device, dtype)
        self.reset_parameters()

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)


class _ResponseNorm(Module):
    """What the local response normalizations share: size (the channel
    window), alpha, beta and k, and the repr."""

    def __init__(self, size, alpha, beta, k):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self):
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


class LocalResponseNorm(_ResponseNorm):
    """F.local_response_norm over the channels of [N, C, *]: each element
    divided by (k + alpha * mean of the squares of `size` neighbouring
    channels) ** beta."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)


def _window_matrix(channels, first, last, dtype, device):
    """[C, C] with ones where first(c) <= c' <= last(c): sums over channel windows as a matmul."""
    rows = [[1.0 if first(c) <= j <= last(c) else 0.0 for j in range(channels)] for c in range(channels)]
    return wick.tensor(rows, dtype=dtype, device=device)


def _lrn_forward_matrix(channels, size, dtype, device):
    """The channels each output channel's scale sums over in the legacy
    (Lua Torch) CrossMapLRN2d, which PyTorch keeps: a running window that
    adds channel c + pre_pad - 1 and drops channel c - pre_pad only once
    c > pre_pad, so it is not centred at the edges."""
    pre_pad = int((size - 1) / 2 + 1)
    window = [0] * channels
    for j in range(min(pre_pad, channels)):
        window[j] += 1
    rows = [list(window)]
    for c in range(1, channels):
        if c < channels - pre_pad + 1:
            window[c + pre_pad - 1] += 1
        if c > pre_pad:
            window[c - pre_pad] -= 1
        rows.append(list(window))
    return wick.tensor(rows, dtype=dtype, device=device)


class _CrossMapLRN2dFunction(Function):
    """Legacy cross-channel LRN with its own (legacy) backward formula, as PyTorch's."""

    @staticmethod
    def forward(ctx, input, size, alpha, beta, k):
        channels = input.size(1)
        windows = _lrn_forward_matrix(channels, size, input.dtype, input.device)
        squares = (input * input).transpose(1, 3)  # [N, W, H, C]
        scale = wick.matmul(squares, windows.t()).transpose(1, 3) * (alpha / size) + k
        output = input * scale.pow(-beta)
        ctx.save_for_backward(input, output, scale)
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, output, scale = ctx.saved_tensors
        size, channels = ctx.size, input.size(1)
        inverse_pre_pad = int(size - (size - 1) / 2)
        windows = _window_matrix(channels, lambda c: c - inverse_pre_pad, lambda c: c + size - 1 - inverse_pre_pad,
                                 input.dtype, input.device)
        ratio = (grad_output * output / scale).transpose(1, 3)
        accumulated = wick.matmul(ratio, windows.t()).transpose(1, 3)
        grad = scale.pow(-ctx.beta) * grad_output - (2 * ctx.alpha * ctx.beta / size) * input * accumulated
        return grad, None, None, None, None


class CrossMapLRN2d(_ResponseNorm):
    """Local response normalization across the channels of [N, C, H, W] in
    its legacy form (Lua Torch's SpatialCrossMapLRN): output = x * (k +
    alpha / size * sum of the squares over a window of channels) ** -beta.
    Prefer LocalResponseNorm, whose window is centred."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)
