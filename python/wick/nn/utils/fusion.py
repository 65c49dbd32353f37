"""Folding an eval-mode BatchNorm into the convolution or linear layer before
it, as torch.nn.utils.fusion: y = bn(conv(x)) becomes one conv with a scaled
weight and a shifted bias."""
import copy

import wick
from wick.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _fused_copy(layer, bn, fuse_weights, *args):
    """A deep copy of layer whose weight and bias fuse_weights has fused with bn's."""
    fused = copy.deepcopy(layer)
    fused.weight, fused.bias = fuse_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps,
                                            bn.weight, bn.bias, *args)
    return fused


def _with_defaults(bias, bn_rm, bn_w, bn_b):
    """The layer's bias and bn's affine weight and bias, with zeros, ones and
    zeros (shaped as the running mean) for those that are None."""
    return (wick.zeros_like(bn_rm) if bias is None else bias,
            wick.ones_like(bn_rm) if bn_w is None else bn_w,
            wick.zeros_like(bn_rm) if bn_b is None else bn_b)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    r"""A copy of ``conv`` whose output is ``bn(conv(x))`` for the eval-mode
    ``bn``. ``transpose`` for a transposed convolution (output channels on dim 1)."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval: bn must track running stats")
    return _fused_copy(conv, bn, fuse_conv_bn_weights, transpose)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    r"""The (weight, bias) Parameters of the convolution fused with a BatchNorm
    of running mean ``bn_rm``, running variance ``bn_rv``, ``bn_eps``, affine
    ``bn_w`` and ``bn_b`` (None for 1 and 0); conv_b None for no bias."""
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    conv_b, bn_w, bn_b = _with_defaults(conv_b, bn_rm, bn_w, bn_b)
    rsqrt_var = (bn_rv + bn_eps).rsqrt()
    shape = [1, -1] if transpose else [-1, 1]
    shape += [1] * (conv_w.dim() - 2)
    fused_w = (conv_w * (bn_w * rsqrt_var).reshape(shape)).to(weight_dtype)
    fused_b = ((conv_b - bn_rm) * rsqrt_var * bn_w + bn_b).to(bias_dtype)
    return Parameter(fused_w.detach(), conv_w.requires_grad), Parameter(fused_b.detach(), conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    r"""A copy of ``linear`` whose output is ``bn(linear(x))`` for the eval-mode ``bn``."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_linear_bn_eval: bn must track running stats")
    return _fused_copy(linear, bn, fuse_linear_bn_weights)


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    r"""The (weight, bias) Parameters of the linear layer fused with a BatchNorm (see fuse_conv_bn_weights)."""
    linear_b, bn_w, bn_b = _with_defaults(linear_b, bn_rm, bn_w, bn_b)
    scale = bn_w * (bn_rv + bn_eps).rsqrt()
    fused_w = linear_w * scale.unsqueeze(-1)
    fused_b = (linear_b - bn_rm) * scale + bn_b
    return Parameter(fused_w.detach(), linear_w.requires_grad), Parameter(fused_b.detach(), linear_b.requires_grad)
