"""wick.nn.functional: the neural-net functions under torch.nn.functional's
names, argument order and defaults (``import wick.nn.functional as F``).

Most are the C++ functions of wick._C as they are (conv2d, max_pool2d,
batch_norm, cross_entropy, lstm's building blocks...); the rest adapt
arguments (relu's ``inplace``, embedding's argument order) or compose a few
ops (elu, normalize).
"""
import wick
from wick import _C

__all__ = [
    # linear and convolution
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose2d",
    # pooling
    "max_pool2d", "max_pool2d_with_indices", "avg_pool2d", "adaptive_avg_pool2d",
    # normalization
    "batch_norm", "layer_norm", "group_norm", "normalize",
    # activations
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "gelu", "silu", "elu", "softplus", "hardtanh",
    "logsigmoid", "softsign", "tanh", "sigmoid", "softmax", "softmin", "log_softmax",
    # dropout, embedding and shapes
    "dropout", "embedding", "one_hot", "pad", "interpolate",
    # losses
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

linear = _C.linear
bilinear = _C.bilinear
conv1d = _C.conv1d
conv2d = _C.conv2d
conv_transpose2d = _C.conv_transpose2d
max_pool2d = _C.max_pool2d
max_pool2d_with_indices = _C.max_pool2d_with_indices
avg_pool2d = _C.avg_pool2d
adaptive_avg_pool2d = _C.adaptive_avg_pool2d
batch_norm = _C.batch_norm
layer_norm = _C.layer_norm
group_norm = _C.group_norm
softmax = _C.softmax
log_softmax = _C.log_softmax
dropout = _C.dropout
one_hot = _C.one_hot
pad = _C.pad
interpolate = _C.interpolate
cross_entropy = _C.cross_entropy
nll_loss = _C.nll_loss
mse_loss = _C.mse_loss
l1_loss = _C.l1_loss
smooth_l1_loss = _C.smooth_l1_loss
binary_cross_entropy = _C.binary_cross_entropy
binary_cross_entropy_with_logits = _C.binary_cross_entropy_with_logits


def _floating_only(input, name):
    """PyTorch's kernels of these activations take floating tensors only: an
    integer or bool input is an error, not computed as floats (Note [Which
    dtypes an op takes] in core/pointwise.h; exp or sigmoid do compute as floats)."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{name}: not implemented for dtype {str(input.dtype).replace('wick.', '')}")


def _inplace(input, fn):
    """Writes fn(input) into input and returns it. When autograd records, fn
    reads a copy, so fn's backward still sees the original values."""
    source = input.clone() if input.requires_grad and wick.is_grad_enabled() else input
    return input.copy_(fn(source))


def tanh(input):
    """tanh(x), elementwise."""
    return _C.tanh(input)


def sigmoid(input):
    """1 / (1 + exp(-x)), elementwise."""
    return _C.sigmoid(input)


def relu(input, inplace=False):
    """max(0, x), elementwise; in place with inplace=True."""
    return input.relu_() if inplace else _C.relu(input)


def relu_(input):
    """relu in place; returns input."""
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, negative_slope * x elsewhere."""
    if inplace:
        return leaky_relu_(input, negative_slope)
    return _C.leaky_relu(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu in place; returns input."""
    return _inplace(input, lambda x: _C.leaky_relu(x, negative_slope))


def gelu(input, approximate="none"):
    """x * Phi(x); approximate="tanh" for the tanh approximation."""
    return _C.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    if inplace:
        return _inplace(input, _C.silu)
    return _C.silu(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; the gradient is 0 at the bounds."""
    if inplace:
        return _C.hardtanh_(input, min_val, max_val)
    return _C.hardtanh(input, min_val, max_val)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    _floating_only(input, "elu")
    return _inplace(input, lambda x: _C._elu(x, alpha)) if inplace else _C._elu(input, alpha)


def softplus(input, beta=1, threshold=20):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return _C.softplus(input, beta, threshold)


def logsigmoid(input):
    """log(sigmoid(x)), computed stably."""
    return _C.log_sigmoid(input)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (1 + input.abs())


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along dim."""
    return _C.softmax(-input, dim, _stacklevel, dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p over dim, eps)."""
    if out is not None:
        raise TypeError("normalize(): the out argument is not supported")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """The rows of weight [num_embeddings, dim] at the indices in input (any
    shape) -> [*input.shape, dim]. The row at padding_idx gets no gradient.
    With max_norm, the rows looked up are first rescaled in place to a
    norm_type-norm of at most max_norm, as in PyTorch."""
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not supported")
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise ValueError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise ValueError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _C.embedding(weight, input, padding_idx)


def _embedding_renorm_(weight, input, max_norm, norm_type):
    with wick.no_grad():
        index = input.flatten()
        rows = weight.index_select(0, index)
        norms = rows.norm(norm_type, dim=1, keepdim=True)
        scale = wick.where(norms > max_norm, max_norm / (norms + 1e-7), wick.ones_like(norms))
        weight[index] = rows * scale


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta): delta * smooth_l1 with beta = delta.
    The result has input's dtype, as PyTorch's (Note [Loss dtypes] in ops/loss.cpp): the terms are
    computed in the promoted dtype, then converted, then reduced."""
    if input.dtype == target.dtype:
        return _C.smooth_l1_loss(input, target, reduction=reduction, beta=delta) * delta
    if not input.is_floating_point():
        raise RuntimeError(f"huber_loss: the result type of {input.dtype} and {target.dtype} can't be cast to the "
                           f"desired output type {input.dtype}")
    terms = (_C.smooth_l1_loss(input, target, reduction="none", beta=delta) * delta).to(input.dtype)
    if reduction == "none":
        return terms
    if reduction == "sum":
        return terms.sum()
    if reduction == "mean":
        return terms.mean()
    raise ValueError(f"{reduction} is not a valid value for reduction")


# The families in wick/nn/_functional/, each file's __all__ added to this module's.
from wick.nn._functional import activation as _activation, conv as _conv, loss as _loss  # noqa: E402
from wick.nn._functional import normalization as _normalization, pooling as _pooling  # noqa: E402

for _family in (_activation, _loss, _pooling, _normalization, _conv):
    globals().update({name: getattr(_family, name) for name in _family.__all__})
    __all__ += _family.__all__
del _family
