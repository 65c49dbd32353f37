"""The convolutions of wick.nn.functional beyond the C++ conv1d, conv2d and
conv_transpose2d: conv3d, conv_transpose1d, conv_transpose3d and conv_tbc.

They are compositions of differentiable wick ops, so they run on every device
and have gradients with no code of their own (conv3d and conv_transpose3d run
through the native conv2d, whose backward is not itself differentiable: a
backward with create_graph=True through them raises NotImplementedError, as
through conv2d):

- conv3d is one native conv2d over the depth planes: each output depth d
  sums, over the kernel depths j, the 2-d convolution of input plane
  d * stride + j * dilation by weight[:, :, j], so the kD planes of every
  output depth are stacked as channels ([N * oD, kD * C, H, W]) against the
  weight laid out as [C_out, kD * C / groups, kH, kW].
- conv_transpose3d is conv3d of the input spread out by the stride (zeros
  between its elements), padded by dilation * (kernel - 1) - padding, with the
  weight flipped and its channel dims swapped per group.
- conv_transpose1d is conv_transpose2d over a height of one.
"""
from wick import _C
from wick.nn.modules.utils import _ntuple, _single

_triple = _ntuple(3, "_triple")

__all__ = ["conv3d", "conv_transpose1d", "conv_transpose3d", "conv_tbc", "assert_int_or_pair"]


def _fmt(sizes):
    return "[" + ", ".join(str(s) for s in sizes) + "]"


def _tuple_arg(value, n, what, op):
    """An int (repeated n times) or a sequence of n ints."""
    result = _single(value) if isinstance(value, int) else tuple(value)
    if len(result) == 1 and n > 1:
        result = result * n
    if len(result) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in result):
        raise _C._ValueError(f"{op}: expected {what} to be a single integer or a list of {n} integers, got {value!r}")
    return result


def _check_conv_args(input, weight, bias, groups, nd, op, transposed):
    """Checks ranks, channels and dtypes; returns (input batched to N, whether it was unbatched)."""
    if not isinstance(input, _C.Tensor) or not isinstance(weight, _C.Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors")
    if weight.dim() != nd + 2:
        raise _C._ValueError(f"{op}: expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input of size "
                             f"{_fmt(input.shape)}, but got {weight.dim()}-dimensional weight of size "
                             f"{_fmt(weight.shape)}")
    if input.dim() not in (nd + 1, nd + 2):
        raise _C._ValueError(f"{op}: expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, but got input "
                             f"of size {_fmt(input.shape)}")
    if not isinstance(groups, int) or groups <= 0:
        raise _C._ValueError(f"{op}: non-positive groups is not supported (got groups={groups})")
    unbatched = input.dim() == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if not input.is_floating_point():
        raise _C._TypeError(f"{op}: expected a floating point input, but got {str(input.dtype).replace('wick.', '')}")
    if input.dtype != weight.dtype:
        raise _C._TypeError(f"{op}: input type ({input.dtype}) and weight type ({weight.dtype}) should be the same")
    if input.device != weight.device:
        raise _C._ValueError(f"{op}: input ({input.device}) and weight ({weight.device}) must be on the same device")
    if transposed:
        if weight.size(0) != input.size(1):
            raise _C._ValueError(f"{op}: given transposed=1, weight of size {_fmt(weight.shape)}, expected "
                                 f"input{_fmt(input.shape)} to have {weight.size(0)} channels, but got "
                                 f"{input.size(1)} channels instead")
        if weight.size(0) % groups != 0:
            raise _C._ValueError(f"{op}: the input channels of weight {_fmt(weight.shape)} must be divisible by "
                                 f"groups={groups}")
        out_channels = weight.size(1) * groups
    else:
        if weight.size(0) % groups != 0:
            raise _C._ValueError(f"{op}: given groups={groups}, expected weight to be divisible by {groups} at "
                                 f"dimension 0, but got weight of size {_fmt(weight.shape)} instead")
        if weight.size(1) * groups != input.size(1):
            raise _C._ValueError(f"{op}: given groups={groups}, weight of size {_fmt(weight.shape)}, expected "
                                 f"input{_fmt(input.shape)} to have {weight.size(1) * groups} channels, but got "
                                 f"{input.size(1)} channels instead")
        out_channels = weight.size(0)
    if bias is not None:
        if not isinstance(bias, _C.Tensor):
            raise TypeError(f"{op}: bias must be a Tensor or None, not {type(bias).__name__}")
        if bias.dim() != 1 or bias.size(0) != out_channels:
            raise _C._ValueError(f"{op}: given weight of size {_fmt(weight.shape)}, expected bias to be 1-dimensional "
                                 f"with {out_channels} elements, but got bias of size {_fmt(bias.shape)} instead")
    return input, unbatched


def _same_padding(kernel, dilation):
    """(before, after) per dim for padding='same': the total d * (k - 1), the odd one after."""
    return [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation)]


def _pad_spatial(input, pads):
    """Pads (or crops, for negative amounts) the spatial dims of [N, C, *spatial] with zeros;
    pads holds (before, after) per spatial dim, first dim first."""
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return input
    amounts = []
    for lo, hi in reversed(pads):
        amounts += [lo, hi]
    return _C.pad(input, amounts)


def _conv3d_planes(input, weight, bias, stride, pads, dilation, groups):
    """conv3d of batched [N, C_in, D, H, W] by [C_out, C_in / groups, kD, kH, kW], given already checked
    arguments and (before, after) zero padding per dim, as 2-d convolutions of depth planes: output depth d sums,
    over the kernel depths j, conv2d of input plane d * stride + j * dilation by weight[:, :, j]."""
    hw_padding = []
    explicit = [pads[0]]
    for lo, hi in pads[1:]:
        symmetric = lo == hi and lo >= 0
        hw_padding.append(lo if symmetric else 0)
        explicit.append((0, 0) if symmetric else (lo, hi))
    x = _pad_spatial(input, explicit)
    n, c_in = x.shape[0], x.shape[1]
    c_out, kernel = weight.shape[0], tuple(weight.shape[2:])
    for i in range(3):
        extent = dilation[i] * (kernel[i] - 1) + 1
        if x.size(2 + i) + (2 * hw_padding[i - 1] if i else 0) < extent:
            padded = " x ".join(str(x.size(2 + j) + (2 * hw_padding[j - 1] if j else 0)) for j in range(3))
            raise _C._ValueError(f"conv3d: calculated padded input size per channel: ({padded}). Kernel size: "
                                 f"({' x '.join(str(k) for k in kernel)}). Kernel size can't be greater than actual "
                                 f"input size (input of size {_fmt(input.shape)}, weight of size "
                                 f"{_fmt(weight.shape)})")
    extent = dilation[0] * (kernel[0] - 1) + 1
    out_depth = (x.size(2) - extent) // stride[0] + 1
    height, width = x.size(3), x.size(4)
    planes = x.permute(0, 2, 1, 3, 4)  # [N, D, C, H, W]
    # [N, oD, C, H, W, kD] (the kD input planes of each output depth) -> [N * oD, kD * C, H, W], each
    # group's channels kD-major, against the weight [C_out, kD * C / G, kH, kW]: one native conv2d.
    cols = planes.unfold(1, extent, stride[0])
    if dilation[0] != 1:
        cols = cols[..., ::dilation[0]]
    cols = cols.reshape(n, out_depth, groups, c_in // groups, height, width, kernel[0])
    cols = cols.permute(0, 1, 2, 6, 3, 4, 5).reshape(n * out_depth, c_in * kernel[0], height, width)
    w = weight.permute(0, 2, 1, 3, 4).reshape(c_out, kernel[0] * (c_in // groups), kernel[1], kernel[2])
    out = _C.conv2d(cols, w, bias, stride[1:], hw_padding, dilation[1:], groups)
    out = out.reshape(n, out_depth, c_out, out.size(2), out.size(3))
    return out.permute(0, 2, 1, 3, 4).contiguous()


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor

    The 3-D convolution (cross-correlation) of input [N, C_in, D, H, W] (or
    unbatched [C_in, D, H, W]) by weight [C_out, C_in / groups, kD, kH, kW],
    plus bias [C_out]; as torch.nn.functional.conv3d.

    Args:
        stride, dilation: an int or one per spatial dim
        padding: an int or one per dim (zeros on both sides), or "valid"
            (none) or "same" (the output as large as the input; stride 1 only)
        groups: split the channels into this many independent convolutions

    Example::

        >>> wick.nn.functional.conv3d(wick.ones(1, 2, 4, 4, 4), wick.ones(3, 2, 3, 3, 3)).shape
        wick.Size([1, 3, 2, 2, 2])
    """
    op = "conv3d"
    input, unbatched = _check_conv_args(input, weight, bias, groups, 3, op, transposed=False)
    stride = _tuple_arg(stride, 3, "stride", op)
    dilation = _tuple_arg(dilation, 3, "dilation", op)
    if any(s <= 0 for s in stride):
        raise _C._ValueError(f"{op}: non-positive stride is not supported (got {stride})")
    if any(d <= 0 for d in dilation):
        raise _C._ValueError(f"{op}: dilation should be greater than zero (got {dilation})")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * 3
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise _C._ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            pads = _same_padding(kernel, dilation)
        else:
            raise _C._ValueError(f"{op}: invalid padding string {padding!r}, should be one of 'valid' or 'same'")
    else:
        padding = _tuple_arg(padding, 3, "padding", op)
        if any(p < 0 for p in padding):
            raise _C._ValueError(f"{op}: negative padding is not supported (got {padding})")
        pads = [(p, p) for p in padding]
    out = _conv3d_planes(input, weight, bias, stride, pads, dilation, groups)
    return out.squeeze(0) if unbatched else out


def _transposed_weight(weight, groups):
    """[C_in, C_out / G, *k] -> the weight of the equivalent direct convolution, [C_out, C_in / G, *k] flipped."""
    c_in, c_out_g = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    w = weight.reshape(groups, c_in // groups, c_out_g, *kernel).transpose(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return w.flip(list(range(2, 2 + len(kernel))))


def _spread(input, stride):
    """[N, C, *spatial] with stride - 1 zeros between neighbours along each spatial dim."""
    for i, s in enumerate(stride):
        if s == 1 or input.size(2 + i) == 0:
            continue
        dim = 2 + i
        size = input.size(dim)
        x = input.unsqueeze(dim + 1)  # [.., size, 1, ..]: pad that new dim to s, then merge it
        trailing = x.dim() - (dim + 2)
        x = _C.pad(x, [0, 0] * trailing + [0, s - 1])
        shape = list(input.shape)
        shape[dim] = size * s
        input = x.reshape(shape).narrow(dim, 0, (size - 1) * s + 1)
    return input


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
    dilation=1) -> Tensor

    The transposed 3-D convolution (the gradient of conv3d with respect to its
    input) of input [N, C_in, D, H, W] (or unbatched) by weight
    [C_in, C_out / groups, kD, kH, kW]; as torch.nn.functional.conv_transpose3d.
    Each output size is (in - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1.

    Example::

        >>> wick.nn.functional.conv_transpose3d(wick.ones(1, 2, 2, 2, 2), wick.ones(2, 3, 2, 2, 2), stride=2).shape
        wick.Size([1, 3, 4, 4, 4])
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, op):
    input, unbatched = _check_conv_args(input, weight, bias, groups, nd, op, transposed=True)
    stride = _tuple_arg(stride, nd, "stride", op)
    padding = _tuple_arg(padding, nd, "padding", op)
    output_padding = _tuple_arg(output_padding, nd, "output_padding", op)
    dilation = _tuple_arg(dilation, nd, "dilation", op)
    if any(s <= 0 for s in stride):
        raise _C._ValueError(f"{op}: non-positive stride is not supported (got {stride})")
    if any(d <= 0 for d in dilation):
        raise _C._ValueError(f"{op}: dilation should be greater than zero (got {dilation})")
    if any(p < 0 for p in padding) or any(p < 0 for p in output_padding):
        raise _C._ValueError(f"{op}: negative padding is not supported (got padding={padding}, "
                             f"output_padding={output_padding})")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise _C._ValueError(f"{op}: output padding must be smaller than either stride or dilation, but got "
                                 f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    kernel = tuple(weight.shape[2:])
    sizes = [(input.size(2 + i) - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) +
             output_padding[i] + 1 for i in range(nd)]
    if any(s <= 0 for s in sizes):
        raise _C._ValueError(f"{op}: given input size per channel {_fmt(input.shape[2:])}, the calculated output "
                             f"size per channel {_fmt(sizes)} is too small")
    x = _spread(input, stride)
    pads = [(dilation[i] * (kernel[i] - 1) - padding[i],
             dilation[i] * (kernel[i] - 1) - padding[i] + output_padding[i]) for i in range(nd)]
    # Negative amounts crop; both directions in one pad, so an input of size 0 stays legal.
    x = _pad_spatial(x, pads)
    out = _conv3d_planes(x, _transposed_weight(weight, groups), bias, (1,) * nd, [(0, 0)] * nd, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
    dilation=1) -> Tensor

    The transposed 1-D convolution of input [N, C_in, L] (or [C_in, L]) by
    weight [C_in, C_out / groups, k]; as torch.nn.functional.conv_transpose1d.
    The output length is (L - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1.

    Example::

        >>> wick.nn.functional.conv_transpose1d(wick.ones(1, 2, 3), wick.ones(2, 4, 2), stride=2).shape
        wick.Size([1, 4, 6])
    """
    op = "conv_transpose1d"
    if not isinstance(input, _C.Tensor) or not isinstance(weight, _C.Tensor):
        raise TypeError(f"{op}: input and weight must be Tensors")
    if input.dim() not in (2, 3):
        raise _C._ValueError(f"{op}: expected 2D (unbatched) or 3D (batched) input, but got input of size "
                             f"{_fmt(input.shape)}")
    if weight.dim() != 3:
        raise _C._ValueError(f"{op}: expected 3-dimensional weight, but got {weight.dim()}-dimensional weight of "
                             f"size {_fmt(weight.shape)}")
    stride, padding, output_padding, dilation = (_tuple_arg(v, 1, name, op)[0] for v, name in (
        (stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    out = _C.conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride), (0, padding),
                              (0, output_padding), groups, (1, dilation))
    return out.squeeze(-2)


def conv_tbc(input, weight, bias, pad=0):
    r"""conv_tbc(input, weight, bias, pad=0) -> Tensor

    The 1-D convolution of a time-batch-channel input [T, B, C_in] by weight
    [K, C_in, C_out] plus bias [C_out], with ``pad`` zeros at both ends of the
    time dim: [T + 2 * pad - K + 1, B, C_out]; as torch.conv_tbc.

    Example::

        >>> wick.nn.functional.conv_tbc(wick.ones(5, 2, 3), wick.ones(3, 3, 4), wick.zeros(4), 1).shape
        wick.Size([5, 2, 4])
    """
    if input.dim() != 3:
        raise _C._ValueError(f"conv_tbc: input must have 3 dims: time, batch, in_channel (got size "
                             f"{_fmt(input.shape)})")
    if weight.dim() != 3:
        raise _C._ValueError(f"conv_tbc: weight tensor must have 3 dims: kernel_width, in_channels, out_channels "
                             f"(got size {_fmt(weight.shape)})")
    if bias is None or bias.dim() != 1:
        raise _C._ValueError("conv_tbc: bias must be a 1-dim tensor")
    if weight.size(1) != input.size(2):
        raise _C._ValueError(f"conv_tbc: the input channels of input {_fmt(input.shape)} and weight "
                             f"{_fmt(weight.shape)} differ")
    if bias.size(0) != weight.size(2):
        raise _C._ValueError(f"conv_tbc: bias of size {_fmt(bias.shape)} does not match the output channels of "
                             f"weight {_fmt(weight.shape)}")
    out = _C.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad)
    return out.permute(2, 0, 1)


def assert_int_or_pair(arg, arg_name, message):
    """Checks that arg is an int or a pair (a tuple or list of two), as the 2-d
    layers' size arguments must be; AssertionError with message formatted
    with arg_name otherwise."""
    assert isinstance(arg, int) or (isinstance(arg, (tuple, list)) and len(arg) == 2), message.format(arg_name)
