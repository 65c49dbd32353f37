"""Pooling, unpooling, sliding blocks (fold / unfold), upsampling, pixel and
channel shuffles, and grid sampling: the rest of torch.nn.functional's
spatial functions, composed from wick's C++ ones.

How they are built:

* 1-d pools are the 2-d C++ kernels on a unit height.
* 3-d average and max pools are separable: a box's sum (or max) is the sum
  (or max) over depth of the per-depth (height, width) results, so they run as
  two passes of the 2-d kernels, the second one over depth with a (k, 1)
  window. The divisors PyTorch uses are products of one factor per dim, so
  the passes' divisors multiply out to them; a max pass keeps the first
  maximum in scan order (or the last NaN), so two passes pick the same element
  as one 3-d scan.
* Adaptive max pools (of floating point inputs) whose input sizes are
  multiples of their output sizes are plain max pools (kernel = stride =
  input / output).
* Adaptive and fractional max pools have windows whose positions vary per
  output cell (and per plane, for fractional ones): ``_box_argmax`` finds the
  first maximum of each box one dim at a time (innermost first) from gathered
  windows (the first maximum or the last NaN, as PyTorch's scans keep), and
  the values are gathered from the input at those positions, so the gradient
  goes to that one element, as PyTorch's does.
* unfold is a strided view of the padded input copied once into columns; fold
  adds the columns back into the padded output with one index_add.
* grid_sample gathers the 2**d corners of each sample point and blends them
  with weights whose derivatives give the gradient of the grid.
"""
import math
import numbers
import warnings

import wick
from wick import _C

__all__ = [
    "avg_pool1d", "avg_pool3d", "max_pool1d", "max_pool1d_with_indices", "max_pool3d", "max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d", "max_unpool2d",
    "max_unpool3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices", "fold", "unfold", "upsample", "upsample_nearest", "upsample_bilinear",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "affine_grid", "grid_sample",
]

_ERROR = _C._ValueError  # a ValueError that is also the RuntimeError PyTorch raises


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _ints(op, name, value, n, allow_none=False):
    """An int or a sequence of 1 or n ints -> a tuple of n ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is not None and len(items) in (1, n) and all(
            (allow_none and v is None) or (isinstance(v, numbers.Integral) and not isinstance(v, bool))
            for v in items):
        items = tuple(None if v is None else int(v) for v in items)
        return items * n if len(items) == 1 else items
    kind = {1: "a single int", 2: "a single int, or a tuple of two ints", 3: "a single int, or a tuple of three ints"}
    raise _ERROR(f"{op}: {name} must be {kind[n]}, but got {value!r}")


def _check_input(op, input, nd):
    """input must be [C, *spatial] or [N, C, *spatial] with nd spatial dims, all but N non-zero."""
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, but got {type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise _ERROR(f"{op}: expected a {nd + 1}D (unbatched) or {nd + 2}D (batched) input, but got input of size "
                     f"{_fmt(input.shape)}")
    if any(s == 0 for s in input.shape[-(nd + 1):]):
        raise _ERROR(f"{op}: expected input with non-zero sizes for its last {nd + 1} dims, but got input of size "
                     f"{_fmt(input.shape)}")


def _batched(input, nd):
    """input as [N, C, *spatial], and the function that undoes the added batch dim."""
    if input.dim() == nd + 1:
        return input.unsqueeze(0), lambda t: t.squeeze(0)
    return input, lambda t: t


def _pool_output_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape: the number of windows along one dim;
    with ceil_mode a last partial window counts unless it starts in the right padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(op, input, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks a pool's arguments; returns (k, s, p, d, output spatial size) as tuples of nd ints."""
    _check_input(op, input, nd)
    k = _ints(op, "kernel_size", kernel_size, nd)
    s = k if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else \
        _ints(op, "stride", stride, nd)
    p = _ints(op, "padding", padding, nd)
    d = _ints(op, "dilation", dilation, nd)
    if any(v <= 0 for v in k):
        raise _ERROR(f"{op}: kernel_size must be greater than zero, but got {k}")
    if any(v <= 0 for v in s):
        raise _ERROR(f"{op}: stride must be greater than zero, but got {s}")
    if any(v < 0 for v in p):
        raise _ERROR(f"{op}: padding must be non-negative, but got {p}")
    if any(v <= 0 for v in d):
        raise _ERROR(f"{op}: dilation must be greater than zero, but got {d}")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise _ERROR(f"{op}: pad should be at most half of kernel size, but got padding={p} and kernel_size={k}")
    spatial = tuple(input.shape[-nd:])
    out = tuple(_pool_output_size(n, *args, ceil_mode) for n, *args in zip(spatial, k, s, p, d))
    if any(o <= 0 for o in out):
        raise _ERROR(f"{op}: given input size {_fmt(input.shape)}, the calculated output size {_fmt(out)} is too "
                     f"small (kernel_size={k}, stride={s}, padding={p}, dilation={d})")
    return k, s, p, d, out


# ----------------------------------------------------------------------------------------------------------------
# Average and max pools


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window along the last dim of [N, C, L] or [C, L].

    count_include_pad counts the zero padding in the divisor; ceil_mode
    keeps a last partial window.

    Example::

        >>> wick.nn.functional.avg_pool1d(wick.tensor([[[1., 2., 3., 4., 5.]]]), 2)
        tensor([[[1.5000, 3.5000]]])
    """
    k, s, p, _, _ = _pool_args("avg_pool1d", input, 1, kernel_size, stride, padding, 1, ceil_mode)
    out = _C.avg_pool2d(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each kernel_size window over the last three dims of
    [N, C, D, H, W] or [C, D, H, W]; divisor_override replaces the divisor."""
    k, s, p, _, out = _pool_args("avg_pool3d", input, 3, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise _ERROR("avg_pool3d: divisor must be not zero")
    x, unbatch = _batched(input, 3)
    n, c, depth, height, width = x.shape
    # Pass 1: each depth slice over (H, W); with divisor_override, sums (divided once at the end).
    planes = _C.avg_pool2d(x.reshape(n * c * depth, 1, height, width), k[1:], s[1:], p[1:], ceil_mode,
                           count_include_pad, 1 if divisor_override is not None else None)
    # Pass 2: over depth, with (k, 1) windows on [N * C, 1, D, oH * oW].
    planes = planes.reshape(n * c, 1, depth, out[1] * out[2])
    result = _C.avg_pool2d(planes, (k[0], 1), (s[0], 1), (p[0], 0), ceil_mode, count_include_pad, divisor_override)
    return unbatch(result.reshape(n, c, *out))


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool1d and the position (along L) of each maximum, as max_unpool1d expects."""
    k, s, p, d, _ = _pool_args("max_pool1d", input, 1, kernel_size, stride, padding, dilation, ceil_mode)
    values, indices = _C.max_pool2d_with_indices(input.unsqueeze(-2), (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0]),
                                                 ceil_mode)
    return values.squeeze(-2), indices.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window along the last dim of [N, C, L] or [C, L]
    (padding pads with -inf); with return_indices, also each maximum's position.

    Example::

        >>> wick.nn.functional.max_pool1d(wick.tensor([[[1., 5., 3., 4., 2.]]]), 2)
        tensor([[[5., 4.]]])
    """
    values, indices = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool3d and the flat position (d * H * W + h * W + w) of each maximum
    in its input volume, as max_unpool3d expects."""
    k, s, p, d, out = _pool_args("max_pool3d", input, 3, kernel_size, stride, padding, dilation, ceil_mode)
    x, unbatch = _batched(input, 3)
    n, c, depth, height, width = x.shape
    # Pass 1: each depth slice over (H, W); indices h * W + w.
    planes, plane_index = _C.max_pool2d_with_indices(x.reshape(n * c * depth, 1, height, width), k[1:], s[1:],
                                                     p[1:], d[1:], ceil_mode)
    # Pass 2: over depth with (k, 1) windows; its index is d * (oH * oW) + cell.
    cells = out[1] * out[2]
    values, depth_index = _C.max_pool2d_with_indices(planes.reshape(n * c, 1, depth, cells), (k[0], 1), (s[0], 1),
                                                     (p[0], 0), (d[0], 1), ceil_mode)
    chosen_depth = depth_index.div(cells, rounding_mode="floor")  # [N * C, 1, oD, cells]
    in_plane = plane_index.reshape(n * c, 1, depth, cells).gather(2, chosen_depth)
    indices = chosen_depth * (height * width) + in_plane
    return unbatch(values.reshape(n, c, *out)), unbatch(indices.reshape(n, c, *out))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each kernel_size window over the last three dims of
    [N, C, D, H, W] or [C, D, H, W] (padding pads with -inf); with
    return_indices, also each maximum's flat position in its input volume."""
    values, indices = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


# ----------------------------------------------------------------------------------------------------------------
# Adaptive pools


def _adaptive_sizes(op, input, nd, output_size):
    """The output size as nd ints (None keeps the input's size)."""
    sizes = _ints(op, "output_size", output_size, nd, allow_none=True)
    sizes = tuple(input.shape[-nd + i] if o is None else o for i, o in enumerate(sizes))
    if any(o < 0 for o in sizes):
        raise _ERROR(f"{op}: output_size must be non-negative, but got {sizes}")
    if any(o >= 1 << 63 for o in sizes):
        raise _ERROR(f"{op}: output_size {sizes} does not fit in int64")
    return sizes


def adaptive_avg_pool1d(input, output_size):
    """Mean pooling of [N, C, L] or [C, L] to output_size windows along L:
    window i covers floor(i * L / out) to ceil((i + 1) * L / out)."""
    _check_input("adaptive_avg_pool1d", input, 1)
    (size,) = _adaptive_sizes("adaptive_avg_pool1d", input, 1, output_size)
    return _C.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_avg_pool3d(input, output_size):
    """Mean pooling of [N, C, D, H, W] or [C, D, H, W] to a fixed (D, H, W)
    (an int, or a triple whose None entries keep the input's size)."""
    _check_input("adaptive_avg_pool3d", input, 3)
    out = _adaptive_sizes("adaptive_avg_pool3d", input, 3, output_size)
    x, unbatch = _batched(input, 3)
    n, c, depth, height, width = x.shape
    planes = _C.adaptive_avg_pool2d(x.reshape(n * c * depth, 1, height, width), out[1:])
    result = _C.adaptive_avg_pool2d(planes.reshape(n * c, 1, depth, out[1] * out[2]), (out[0], out[1] * out[2]))
    return unbatch(result.reshape(n, c, *out))


def _adaptive_windows(size, out, device):
    """[1, 1, out, K] positions of the adaptive windows along a dim of length
    size (cell i: floor(i * size / out) to ceil((i + 1) * size / out)); a
    shorter window repeats its last position, which changes neither its first
    maximum nor its last NaN."""
    cells = wick.arange(out, dtype=wick.int64, device=device)
    starts = cells * size // out
    ends = -(-(cells + 1) * size // out)
    # The widest window: ceil(size / out) + 1 at most, so never more than size + 1 positions per cell.
    width = int((ends - starts).max()) if out > 0 else 1
    rows = wick.minimum(starts.unsqueeze(1) + wick.arange(width, dtype=wick.int64, device=device),
                        (ends - 1).unsqueeze(1))
    return rows.reshape(1, 1, out, width)


def _first_max_or_last_nan(values, dim):
    """The position along dim of the first maximum, or of the last NaN where
    there is one: the element PyTorch's max-pool scans keep, as they take a
    value when it is greater than the maximum so far or NaN."""
    first_max = values.argmax(dim, keepdim=True)
    if not values.is_floating_point():
        return first_max
    nan = values.isnan()
    shape = [1] * values.dim()
    shape[dim] = values.shape[dim]
    ranks = wick.arange(1, values.shape[dim] + 1, device=values.device).view(shape)
    last_nan = (nan * ranks).argmax(dim, keepdim=True)
    return wick.where(nan.any(dim, keepdim=True), last_nan, first_max)


def _box_argmax(x, windows):
    """The flat position in each [*spatial] plane of x ([N, C, *spatial]) of
    the first maximum (in scan order) of each box of windows.

    windows[j] is an int64 tensor [N or 1, C or 1, O_j, K_j] of positions along
    spatial dim j (box = product of one window per dim). Dims are reduced one
    at a time from the innermost: for each outer position the first maximum
    along dim j, then the first along dim j - 1 among those, ... which is the
    first maximum of the box in scan order (or its last NaN, the same way)."""
    nd = len(windows)
    spatial = x.shape[2:]
    current = x.detach()
    chosen = []  # per reduced dim, its chosen positions, shaped like `current`
    for j in reversed(range(nd)):
        axis = 2 + j
        pos = windows[j]
        cells, width = pos.shape[-2], pos.shape[-1]
        view = [pos.shape[0], pos.shape[1]] + [1] * nd
        view[axis] = cells * width
        shape = list(current.shape)
        shape[axis] = cells * width
        index = pos.reshape(view).expand(shape)
        split = shape[:axis] + [cells, width] + shape[axis + 1:]
        best = _first_max_or_last_nan(current.gather(axis, index).reshape(split), axis + 1)
        picked = index.reshape(split).gather(axis + 1, best).squeeze(axis + 1)
        current = current.gather(axis, picked)
        chosen = [c.gather(axis, picked) for c in chosen] + [picked]
    flat = None
    for j, picked in zip(reversed(range(nd)), chosen):
        term = picked * math.prod(spatial[j + 1:])
        flat = term if flat is None else flat + term
    return flat


def _gather_max(x, flat):
    """x's values at the flat in-plane positions flat ([N, C, *out]); the
    gradient goes to those elements only."""
    n, c = x.shape[:2]
    picked = x.reshape(n, c, math.prod(x.shape[2:])).gather(2, flat.reshape(n, c, math.prod(flat.shape[2:])))
    return picked.reshape(flat.shape)


def _adaptive_max(op, input, nd, output_size):
    _check_input(op, input, nd)
    out = _adaptive_sizes(op, input, nd, output_size)
    x, unbatch = _batched(input, nd)
    spatial = tuple(x.shape[2:])
    if x.is_floating_point() and all(o > 0 and size % o == 0 for size, o in zip(spatial, out)):
        # Every window is exactly kernel = stride = size / out: the native max pool, which scans
        # the same boxes in the same order (the first maximum, or the last NaN) with the same flat indices.
        k = tuple(size // o for size, o in zip(spatial, out))
        if nd == 1:
            values, indices = _C.max_pool2d_with_indices(x.unsqueeze(-2), (1, k[0]), (1, k[0]), (0, 0), (1, 1), False)
            values, indices = values.squeeze(-2), indices.squeeze(-2)
        elif nd == 2:
            values, indices = _C.max_pool2d_with_indices(x, k, k, (0, 0), (1, 1), False)
        else:
            values, indices = max_pool3d_with_indices(x, k, k)
        return unbatch(values), unbatch(indices)
    windows = [_adaptive_windows(size, o, x.device) for size, o in zip(x.shape[2:], out)]
    flat = _box_argmax(x, windows)
    return unbatch(_gather_max(x, flat)), unbatch(flat)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool1d and the position of each maximum along L."""
    return _adaptive_max("adaptive_max_pool1d", input, 1, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of [N, C, L] or [C, L] to output_size windows along L
    (window i: floor(i * L / out) to ceil((i + 1) * L / out)); with
    return_indices, also each maximum's position.

    Example::

        >>> wick.nn.functional.adaptive_max_pool1d(wick.tensor([[[1., 5., 3., 4., 2.]]]), 2)
        tensor([[[5., 4.]]])
    """
    values, indices = _adaptive_max("adaptive_max_pool1d", input, 1, output_size)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool2d and the flat position (h * W + w) of each maximum."""
    return _adaptive_max("adaptive_max_pool2d", input, 2, output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of [N, C, H, W] or [C, H, W] to a fixed (H, W) (an int, or
    a pair whose None entries keep the input's size); with return_indices,
    also each maximum's flat position h * W + w."""
    values, indices = _adaptive_max("adaptive_max_pool2d", input, 2, output_size)
    return (values, indices) if return_indices else values


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool3d and the flat position (d * H * W + h * W + w) of each maximum."""
    return _adaptive_max("adaptive_max_pool3d", input, 3, output_size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of [N, C, D, H, W] or [C, D, H, W] to a fixed (D, H, W);
    with return_indices, also each maximum's flat position in its volume."""
    values, indices = _adaptive_max("adaptive_max_pool3d", input, 3, output_size)
    return (values, indices) if return_indices else values


# ----------------------------------------------------------------------------------------------------------------
# Power-average pools


def _lp_pool(op, avg_pool, nd, input, norm_type, kernel_size, stride, ceil_mode):
    k = _ints(op, "kernel_size", kernel_size, nd)
    out = avg_pool(input.pow(norm_type), k, stride, 0, ceil_mode)
    # (sum of x^p)^(1/p): the window mean times its size; relu keeps a negative sum at 0 (sign kept for odd p).
    return (wick.sign(out) * _C.relu(out.abs())).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) along the last dim of [N, C, L] or
    [C, L], p = norm_type (p = 1 is sum pooling). With ceil_mode, a last
    partial window's sum is scaled up to the full window's size, as PyTorch's.

    Example::

        >>> wick.nn.functional.lp_pool1d(wick.tensor([[[3., 4., 1., 1.]]]), 2, 2)
        tensor([[[5.0000, 1.4142]]])
    """
    return _lp_pool("lp_pool1d", avg_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) over the last two dims of
    [N, C, H, W] or [C, H, W], p = norm_type."""
    return _lp_pool("lp_pool2d", _C.avg_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum of x^p over each window)^(1/p) over the last three dims of
    [N, C, D, H, W] or [C, D, H, W], p = norm_type."""
    return _lp_pool("lp_pool3d", avg_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)


# ----------------------------------------------------------------------------------------------------------------
# Unpooling


def _unpool_output_size(op, input, kernel_size, stride, padding, output_size):
    nd = len(kernel_size)
    default = [(input.shape[-nd + i] - 1) * stride[i] + kernel_size[i] - 2 * padding[i] for i in range(nd)]
    if output_size is None:
        return default
    output_size = [int(v) for v in output_size]
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"{op}: output_size should be a sequence containing {nd} or {nd + 2} elements, but it has "
                         f"a length of '{len(output_size)}'")
    for i in range(nd):
        low, high = default[i] - stride[i], default[i] + stride[i]
        if not low < output_size[i] < high:
            raise ValueError(f'{op}: invalid output_size "{output_size}" (dim {i} must be between {low} and {high})')
    return output_size


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    _check_input(op, input, nd)
    if not isinstance(indices, _C.Tensor) or indices.dtype != wick.int64:
        raise TypeError(f"{op}: elements in indices should be type int64 but got: "
                        f"{getattr(indices, 'dtype', type(indices).__name__)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise _ERROR(f"{op}: expected shape of indices to be same as that of the input tensor "
                     f"({_fmt(input.shape)}) but got indices tensor with shape: {_fmt(indices.shape)}")
    k = _ints(op, "kernel_size", kernel_size, nd)
    s = k if stride is None else _ints(op, "stride", stride, nd)
    p = _ints(op, "padding", padding, nd)
    size = _unpool_output_size(op, input, k, s, p, output_size)
    x, unbatch = _batched(input, nd)
    idx, _ = _batched(indices, nd)
    n, c = x.shape[:2]
    plane = math.prod(size)
    flat_index = idx.reshape(n, c, math.prod(idx.shape[2:]))
    if flat_index.numel() > 0:
        bad = (flat_index < 0) | (flat_index >= plane)
        if bool(bad.any()):
            raise _ERROR(f"{op}: found an invalid max index: {int(flat_index[bad][0])} (output volumes are of size "
                         f"{'x'.join(str(v) for v in size)})")
    out = x.new_zeros((n, c, plane)).scatter(2, flat_index, x.reshape(flat_index.shape))
    return unbatch(out.reshape(n, c, *size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: each value of input placed at its index
    along L in a zero output of length (L_in - 1) * stride + kernel_size -
    2 * padding (or output_size).

    Example::

        >>> values, indices = wick.nn.functional.max_pool1d(wick.tensor([[[1., 5., 3., 4.]]]), 2,
        ...                                                 return_indices=True)
        >>> wick.nn.functional.max_unpool1d(values, indices, 2)
        tensor([[[0., 5., 0., 4.]]])
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value of input placed at its flat
    index h * W + w in a zero output plane."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: each value of input placed at its flat
    index d * H * W + h * W + w in a zero output volume."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


# ----------------------------------------------------------------------------------------------------------------
# Fractional max pools


def _fractional_max(op, nd, input, kernel_size, output_size, output_ratio, _random_samples):
    _check_input(op, input, nd)
    k = _ints(op, "kernel_size", kernel_size, nd)
    spatial = tuple(input.shape[-nd:])
    if output_size is None:
        if output_ratio is None:
            raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
        ratio = (output_ratio,) * nd if isinstance(output_ratio, numbers.Real) else tuple(output_ratio)
        if len(ratio) == 1:
            ratio = ratio * nd
        if len(ratio) != nd:
            raise ValueError(f"{op} requires output_ratio to either be a single number or a tuple of {nd} numbers")
        out = tuple(int(n * r) for n, r in zip(spatial, ratio))
    else:
        out = _ints(op, "output_size", output_size, nd)
    for name, n, o, kk in zip(("time", "height", "width")[3 - nd:], spatial, out, k):
        if kk <= 0:
            raise _ERROR(f"{op}: kernel_size must be greater than zero, but got {k}")
        if o <= 0:
            raise _ERROR(f"{op}: output_size must be greater than zero, but got {out}")
        if o + kk - 1 > n:
            raise _ERROR(f"{op}: pool {name} {kk} too large relative to input {name} {n} for output {name} {o}")
    x, unbatch = _batched(input, nd)
    n, c = x.shape[:2]
    if _random_samples is None:
        _random_samples = wick.rand(n, c, nd, dtype=x.dtype, device=x.device)
    samples = _random_samples
    if samples.dim() != 3 or tuple(samples.shape) != (n, c, nd):
        raise _ERROR(f"{op}: expected _random_samples of shape [{n}, {c}, {nd}] (batch, plane, dim), but got "
                     f"{_fmt(samples.shape)}")
    samples = samples.detach().to(x.dtype)
    # PyTorch's interval sequences, in the input's dtype: cell i of a dim with sample u starts at
    # int((i + u) * alpha) - int(u * alpha), alpha = (size - k) / (out - 1); the last cell ends at the edge.
    # Samples are per plane: for 2-d, sample 0 is the width's and 1 the height's; for 3-d, 0, 1, 2 are T, H, W.
    order = (1, 0) if nd == 2 else (0, 1, 2)
    windows = []
    for j in range(nd):
        u = samples[:, :, order[j]].unsqueeze(-1)  # [N, C, 1]
        size, cells, kk = spatial[j], out[j], k[j]
        steps = wick.arange(cells, device=x.device, dtype=x.dtype)
        if cells > 1:
            alpha = (wick.tensor(float(size - kk), dtype=x.dtype, device=x.device)
                     / wick.tensor(float(cells - 1), dtype=x.dtype, device=x.device))
            starts = ((steps + u) * alpha).trunc().long() - (u * alpha).trunc().long()
            last = wick.arange(cells, device=x.device) == cells - 1
            starts = wick.where(last, wick.full_like(starts, size - kk), starts)
        else:
            starts = wick.full((n, c, 1), size - kk, dtype=wick.int64, device=x.device)
        windows.append(starts.unsqueeze(-1) + wick.arange(kk, device=x.device))
    flat = _box_argmax(x, windows)
    return unbatch(_gather_max(x, flat)), unbatch(flat)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    """fractional_max_pool2d and the flat position (h * W + w) of each maximum."""
    return _fractional_max("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                           _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling (Graham, 2014) of [N, C, H, W] or [C, H, W]:
    kernel_size windows at pseudo-random steps that give output_size (or
    input size * output_ratio) cells. _random_samples ([N, C, 2] in [0, 1),
    one per plane for width then height) fixes the steps."""
    values, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         _random_samples=_random_samples)
    return (values, indices) if return_indices else values


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    """fractional_max_pool3d and the flat position (t * H * W + h * W + w) of each maximum."""
    return _fractional_max("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                           _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling of [N, C, T, H, W] or [C, T, H, W];
    _random_samples ([N, C, 3], for T, H, W) fixes the pseudo-random steps."""
    values, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                         _random_samples=_random_samples)
    return (values, indices) if return_indices else values


# ----------------------------------------------------------------------------------------------------------------
# Sliding blocks


def _block_args(op, kernel_size, dilation, padding, stride):
    k = _ints(op, "kernel_size", kernel_size, 2)
    d = _ints(op, "dilation", dilation, 2)
    p = _ints(op, "padding", padding, 2)
    s = _ints(op, "stride", stride, 2)
    for name, v, low in (("kernel_size", k, 1), ("dilation", d, 1), ("padding", p, 0), ("stride", s, 1)):
        if any(x < low for x in v):
            raise _ERROR(f"{op}: {name} should be {'non-negative' if low == 0 else 'greater than zero'}, "
                         f"but got {name}={v}")
    return k, d, p, s


def _blocks(op, spatial, k, d, p, s):
    counts = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(spatial, k, d, p, s))
    if any(c < 1 for c in counts):
        raise _ERROR(f"{op}: given input with spatial size {tuple(spatial)}, kernel_size={k}, dilation={d}, "
                     f"padding={p}, calculated shape of the array of sliding blocks as {counts}, but its components "
                     f"must be at least one")
    return counts


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding kernel_size blocks of [N, C, H, W] (or [C, H, W])
    as columns, [N, C * kH * kW, L] with L the number of blocks (row-major).

    Example::

        >>> wick.nn.functional.unfold(wick.arange(9.).view(1, 1, 3, 3), 2)
        tensor([[[0., 1., 3., 4.],
                 [1., 2., 4., 5.],
                 [3., 4., 6., 7.],
                 [4., 5., 7., 8.]]])
    """
    if not isinstance(input, _C.Tensor) or input.dim() not in (3, 4) or any(v == 0 for v in input.shape[-3:]):
        raise _ERROR(f"unfold: expected a 3D (unbatched) or 4D (batched) input with non-zero sizes except the "
                     f"batch, but got input of size {_fmt(getattr(input, 'shape', ()))}")
    k, d, p, s = _block_args("unfold", kernel_size, dilation, padding, stride)
    x, unbatch = _batched(input, 2)
    oh, ow = _blocks("unfold", x.shape[2:], k, d, p, s)
    if p != (0, 0):
        x = _C.pad(x, (p[1], p[1], p[0], p[0]))
    n, c = x.shape[:2]
    # [N, C, oH, oW, span_h, span_w] windows, every dilation-th element -> [N, C, oH, oW, kH, kW].
    blocks = x.unfold(2, d[0] * (k[0] - 1) + 1, s[0]).unfold(3, d[1] * (k[1] - 1) + 1, s[1])
    blocks = blocks[..., ::d[0], ::d[1]]
    columns = blocks.permute(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)
    return unbatch(columns)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: sums the columns of [N, C * kH * kW, L]
    (or [C * kH * kW, L]) into their blocks of an [N, C, *output_size] output.

    Example::

        >>> wick.nn.functional.fold(wick.ones(1, 4, 4), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    if not isinstance(input, _C.Tensor) or input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise _ERROR(f"fold: expected a 2D (unbatched) or 3D (batched) input with non-zero sizes except the batch, "
                     f"but got input of size {_fmt(getattr(input, 'shape', ()))}")
    size = _ints("fold", "output_size", output_size, 2)
    k, d, p, s = _block_args("fold", kernel_size, dilation, padding, stride)
    cols = input.unsqueeze(0) if input.dim() == 2 else input
    if cols.shape[1] % (k[0] * k[1]) != 0:
        raise _ERROR(f"fold: expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                     f"but got input.size(1)={cols.shape[1]} and kernel_size={k}")
    oh, ow = _blocks("fold", size, k, d, p, s)
    if cols.shape[2] != oh * ow:
        raise _ERROR(f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                     f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                     f"{oh} * {ow} = {oh * ow}, but got input.size(2)={cols.shape[2]}")
    n, c = cols.shape[0], cols.shape[1] // (k[0] * k[1])
    height, width = size[0] + 2 * p[0], size[1] + 2 * p[1]
    dev = cols.device
    # The flat position in the padded plane of (kernel row, kernel column, block row, block column).
    rows = (wick.arange(k[0], device=dev) * d[0]).view(-1, 1, 1, 1) + (wick.arange(oh, device=dev) * s[0]).view(-1, 1)
    columns = (wick.arange(k[1], device=dev) * d[1]).view(-1, 1, 1) + wick.arange(ow, device=dev) * s[1]
    target = (rows * width + columns).reshape(-1)
    out = cols.new_zeros((n, c, height * width)).index_add(2, target, cols.reshape(n, c, k[0] * k[1] * oh * ow))
    out = out.view(n, c, height, width)
    if p != (0, 0):
        out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]].contiguous()
    return out.squeeze(0) if input.dim() == 2 else out


# ----------------------------------------------------------------------------------------------------------------
# Upsampling


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return _C.interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(input, size, scale_factor, mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return _C.interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return _C.interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------------------------------------------
# Pixel and channel shuffles


def _factor(op, name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, but got {type(value).__name__}")
    if value <= 0:
        raise _ERROR(f"{op} expects a positive {name}, but got {value}")
    return int(value)


def pixel_shuffle(input, upscale_factor):
    """[*, C * r^2, H, W] -> [*, C, H * r, W * r] (r = upscale_factor): each
    group of r^2 channels becomes an r x r block of pixels.

    Example::

        >>> wick.nn.functional.pixel_shuffle(wick.arange(4.).view(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    r = _factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if input.dim() < 3:
        raise _ERROR(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                     f"{input.dim()} dimension(s)")
    *batch, channels, height, width = input.shape
    if channels % (r * r) != 0:
        raise _ERROR(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                     f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    c, b = channels // (r * r), len(batch)
    x = input.reshape(*batch, c, r, r, height, width)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*batch, c, height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle: [*, C, H * r, W * r] -> [*, C * r^2, H, W]."""
    r = _factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if input.dim() < 3:
        raise _ERROR(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                     f"{input.dim()} dimension(s)")
    *batch, channels, height, width = input.shape
    for name, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r != 0:
            raise _ERROR(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                         f"input.size({dim})={size} is not divisible by {r}")
    b = len(batch)
    x = input.reshape(*batch, channels, height // r, r, width // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*batch, channels * r * r, height // r, width // r)


def channel_shuffle(input, groups):
    """Interleaves the channels of [N, C, *] across groups: the channels, read
    as a [groups, C / groups] grid, are transposed (ShuffleNet).

    Example::

        >>> wick.nn.functional.channel_shuffle(wick.arange(4.).view(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    g = _factor("channel_shuffle", "groups", groups)
    if input.dim() < 3:
        raise _ERROR(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                     f"{input.dim()} dimension(s)")
    n, channels, *rest = input.shape
    if channels % g != 0:
        raise _ERROR(f"channel_shuffle: number of channels must be divisible by groups. Got {channels} channels "
                     f"and {g} groups.")
    return input.reshape(n, g, channels // g, *rest).transpose(1, 2).reshape(input.shape)


def native_channel_shuffle(input, groups):
    """channel_shuffle (PyTorch's name for its native kernel)."""
    return channel_shuffle(input, groups)


# ----------------------------------------------------------------------------------------------------------------
# Affine grids and grid sampling


_ALIGN_CORNERS_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                          "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                          "documentation of grid_sample for details.")


def _base_coords(steps, align_corners, like):
    """The normalized coordinates of `steps` pixels in [-1, 1]: the corner
    pixels' centres with align_corners, else their outer edges."""
    if steps <= 1:
        return wick.zeros(max(steps, 1), dtype=like.dtype, device=like.device)[:steps]
    coords = wick.linspace(-1, 1, steps, dtype=like.dtype, device=like.device)
    return coords if align_corners else coords * (steps - 1) / steps


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps theta ([N, 2, 3] for
    size (N, C, H, W), [N, 3, 4] for size (N, C, D, H, W)) for grid_sample:
    [N, H, W, 2] (or [N, D, H, W, 3]) of the (x, y[, z]) each output pixel
    samples.

    Example::

        >>> wick.nn.functional.affine_grid(wick.tensor([[[1., 0., 0.], [0., 1., 0.]]]), (1, 1, 1, 2),
        ...                                align_corners=False)
        tensor([[[[-0.5000,  0.0000],
                  [ 0.5000,  0.0000]]]])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(v) for v in size]
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {list(theta.shape)}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {list(theta.shape)}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise _ERROR(f"affine_grid: expected theta to have batch size {size[0]}, but got theta of size "
                     f"{_fmt(theta.shape)}")
    nd = len(spatial)
    # base[..., i] is the i-th coordinate (x, y[, z] = the last, second-to-last[, third-to-last] dim), then 1.
    parts = []
    for i in range(nd):
        dim = nd - 1 - i
        shape = [1] * nd
        shape[dim] = spatial[dim]
        parts.append(_base_coords(spatial[dim], align_corners, theta).view(shape).expand(spatial))
    parts.append(wick.ones(spatial, dtype=theta.dtype, device=theta.device))
    base = wick.stack(parts, -1).reshape(1, -1, nd + 1)
    grid = base.matmul(theta.transpose(1, 2))  # [N, prod(spatial), nd]
    return grid.reshape(size[0], *spatial, nd)


def _unnormalize(coord, size, align_corners):
    """[-1, 1] -> pixel index: -1 and 1 are the corner pixels' centres with
    align_corners, else their outer edges."""
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord, size):
    """coord clamped to [0, size - 1], with zero gradient at and beyond the
    bounds (PyTorch's clip_coordinates_set_grad)."""
    low = wick.zeros_like(coord)
    high = wick.full_like(coord, size - 1)
    return wick.where(coord <= 0, low, wick.where(coord >= size - 1, high, coord))


def _reflect(coord, twice_low, twice_high):
    """coord reflected at the bounds twice_low / 2 and twice_high / 2 until it lies between them."""
    if twice_low == twice_high:
        return wick.zeros_like(coord)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    shifted = coord - low
    distance = wick.where(shifted < 0, -shifted, shifted)
    extra = distance.fmod(span)
    flips = (distance / span).floor().detach()
    even = flips.remainder(2) == 0
    return wick.where(even, extra + low, span - extra + low)


def _source_index(coord, size, padding_mode, align_corners):
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = _clip(coord, size)
    elif padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        coord = _clip(coord, size)
    return coord


def _cubic_weights(t):
    """The 4 weights of Keys' cubic convolution (A = -0.75, as PyTorch's
    bicubic) for the taps at offsets -1, 0, 1, 2 from a point t in [0, 1) past tap 0."""
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * (x - 5) * x + 8 * a) * x) - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _padded_tap(position, size, padding_mode, align_corners):
    """The integer position a bicubic tap reads after padding_mode (zeros: the
    position itself, read as 0 outside the input)."""
    if padding_mode == "border":
        position = _clip(position, size)
    elif padding_mode == "reflection":
        position = _reflect(position, 0, 2 * (size - 1)) if align_corners else _reflect(position, -1, 2 * size - 1)
        position = _clip(position, size)
    return position.long()


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples input ([N, C, H, W] or [N, C, D, H, W]) at the points of grid
    ([N, H_out, W_out, 2] or [N, D_out, H_out, W_out, 3]), given as (x, y[, z])
    in [-1, 1] over the input's width, height[, depth]: the output is
    [N, C, H_out, W_out] (or [N, C, D_out, H_out, W_out]).

    mode: 'bilinear' (trilinear for 5-D), 'nearest' or 'bicubic' (4-D only;
    Keys' cubic convolution on a 4 x 4 neighbourhood). padding_mode: what
    points outside the input read: 'zeros', 'border' (the edge) or
    'reflection' (the input mirrored at its edges). align_corners: as in
    interpolate. Gradients flow to input and (for bilinear and bicubic) to grid.

    Example::

        >>> image = wick.tensor([[[[0., 1.], [2., 3.]]]])
        >>> wick.nn.functional.grid_sample(image, wick.tensor([[[[0., 0.]]]]), align_corners=False)
        tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, stacklevel=2)
        align_corners = False
    if input.device != grid.device:
        raise _ERROR(f"grid_sampler(): expected input and grid to be on same device, but input is on "
                     f"{input.device} and grid is on {grid.device}")
    if input.dtype != grid.dtype:
        raise _ERROR(f"grid_sampler(): expected input and grid to have same dtype, but input has {input.dtype} "
                     f"and grid has {grid.dtype}")
    if input.dim() not in (4, 5) or grid.dim() != input.dim():
        raise _ERROR(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                     f"input with sizes {_fmt(input.shape)} and grid with sizes {_fmt(grid.shape)}")
    nd = input.dim() - 2
    if input.shape[0] != grid.shape[0]:
        raise _ERROR(f"grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
                     f"{_fmt(input.shape)} and grid with sizes {_fmt(grid.shape)}")
    if grid.shape[-1] != nd:
        raise _ERROR(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with sizes "
                     f"{_fmt(grid.shape)}")
    if any(s == 0 for s in input.shape[2:]):
        raise _ERROR(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
                     f"{_fmt(input.shape)}")
    if mode == "bicubic" and nd != 2:
        raise _ERROR("grid_sampler(): bicubic interpolation only supports 4D input")
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    points = grid.reshape(n, math.prod(out_spatial), nd)  # [N, P, nd]
    # Per input dim j (depth, height, width), the source coordinate; grid's last entry indexes width.
    # Bicubic pads each of its taps instead of the point (a point just outside still reads taps inside).
    coords = [_unnormalize(points[..., nd - 1 - j], spatial[j], align_corners) if mode == "bicubic" else
              _source_index(points[..., nd - 1 - j], spatial[j], padding_mode, align_corners) for j in range(nd)]
    flat_input = input.reshape(n, c, math.prod(spatial))
    plane_strides = [math.prod(spatial[j + 1:]) for j in range(nd)]

    def read(positions):
        """input at the integer positions (one [N, P] tensor per dim), 0 outside it."""
        inside, flat = None, None
        for j, pos in enumerate(positions):
            ok = (pos >= 0) & (pos < spatial[j])
            inside = ok if inside is None else inside & ok
            term = pos.clamp(0, spatial[j] - 1) * plane_strides[j]
            flat = term if flat is None else flat + term
        values = flat_input.gather(2, flat.unsqueeze(1).expand(n, c, flat.shape[1]))
        return values, inside.unsqueeze(1)

    if mode == "nearest":
        rounded = [x.round() for x in coords]
        values, inside = read([r.detach().long() for r in rounded])
        # The output depends on grid with derivative 0, as PyTorch reports it (a zero gradient, not none).
        flat_zero = sum(r - r.detach() for r in rounded).unsqueeze(1)
        out = wick.where(inside, values, wick.zeros_like(values)) + flat_zero
    elif mode == "bicubic":
        lows = [x.floor().detach() for x in coords]
        weights = [_cubic_weights(x - low) for x, low in zip(coords, lows)]  # per dim, 4 taps from low - 1
        taps = [[_padded_tap(low + (i - 1), size, padding_mode, align_corners) for i in range(4)]
                for low, size in zip(lows, spatial)]
        out = None
        for i in range(4):
            for j in range(4):
                values, inside = read([taps[0][i], taps[1][j]])
                weight = (weights[0][i] * weights[1][j]).unsqueeze(1)
                term = wick.where(inside, values, wick.zeros_like(values)) * weight
                out = term if out is None else out + term
    else:
        lows = [x.floor().detach() for x in coords]
        fractions = [x - low for x, low in zip(coords, lows)]
        out = None
        for corner in range(2 ** nd):
            bits = [(corner >> (nd - 1 - j)) & 1 for j in range(nd)]
            weight = None
            for j, bit in enumerate(bits):
                w = fractions[j] if bit else 1 - fractions[j]
                weight = w if weight is None else weight * w
            values, inside = read([(low + bit).long() for low, bit in zip(lows, bits)])
            term = wick.where(inside, values, wick.zeros_like(values)) * weight.unsqueeze(1)
            out = term if out is None else out + term
    return out.reshape(n, c, *out_spatial)
