"""Pooling, unpooling, fold / unfold, upsampling, pixel and channel shuffles,
affine grids and grid sampling, and the padding layers, against PyTorch:
outputs (indices included) and gradients on random inputs, the modules'
reprs and state, the errors; what PyTorch 1.13 lacks (lp_pool3d, ZeroPad1d /
3d, the circular padding layers, 2.x reprs) against hand-computed values."""
import math
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.nn as nn
import wick.nn.functional as F
from helpers import assert_same, check

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}
DTYPES = ("float32", "float64")


def _lib(m):
    return m.nn.functional


# ----------------------------------------------------------------------------------------------------------------
# Average and max pools


@pytest.mark.parametrize("args", [
    ((3,), {}),
    ((3, 2, 1), {"ceil_mode": True}),
    ((4, 3, 2), {"ceil_mode": True, "count_include_pad": False}),
    ((2, 1), {}),
])
def test_avg_pool1d(device, args):
    a, kw = args
    check(lambda m, x: _lib(m).avg_pool1d(x, *a, **kw), [(2, 3, 11)], module=True, device=device)
    check(lambda m, x: _lib(m).avg_pool1d(x, *a, **kw), [(3, 9)], module=True, device=device, layouts=("stepped",))


@pytest.mark.parametrize("args", [
    ((2,), {}),
    (((3, 2, 3), (2, 1, 2), (1, 1, 0)), {"ceil_mode": True}),
    (((3, 2, 3), (2, 1, 2), (1, 1, 1)), {"ceil_mode": True, "count_include_pad": False}),
    ((2, 1, 1), {"divisor_override": 3}),
    (((1, 3, 2), 2, (0, 1, 1)), {"count_include_pad": False, "divisor_override": 5}),
])
def test_avg_pool3d(device, args):
    a, kw = args
    check(lambda m, x: _lib(m).avg_pool3d(x, *a, **kw), [(2, 2, 6, 5, 7)], module=True, device=device)
    check(lambda m, x: _lib(m).avg_pool3d(x, *a, **kw), [(2, 5, 6, 4)], module=True, device=device,
          layouts=("transposed",))


@pytest.mark.parametrize("args", [
    (3, None, 0, 1, False),
    (3, 2, 1, 2, True),
    (4, 3, 2, 1, True),
    (2, 1, 1, 3, False),
])
def test_max_pool1d(device, args):
    check(lambda m, x: _lib(m).max_pool1d(x, *args, return_indices=True), [(2, 3, 12)], module=True,
          device=device)
    check(lambda m, x: _lib(m).max_pool1d_with_indices(x, *args), [(3, 10)], module=True, device=device)
    check(lambda m, x: _lib(m).max_pool1d(x, *args), [(2, 3, 12)], module=True, device=device,
          layouts=("contiguous",))


@pytest.mark.parametrize("args", [
    (2, None, 0, 1, False),
    ((3, 2, 3), (2, 1, 2), (1, 1, 1), (1, 2, 1), True),
    ((2, 3, 2), 2, (1, 1, 0), 1, True),
    (3, 1, 1, (2, 1, 1), False),
])
def test_max_pool3d(device, args):
    check(lambda m, x: _lib(m).max_pool3d(x, *args, return_indices=True), [(2, 2, 7, 6, 8)], module=True,
          device=device)
    check(lambda m, x: _lib(m).max_pool3d_with_indices(x, *args), [(2, 7, 5, 6)], module=True, device=device,
          layouts=("stepped",))


def test_max_pool_ties_and_infinities(device):
    """The gradient goes to the first maximum in scan order, as PyTorch's;
    a window of -inf gives -inf."""
    data = np.zeros((1, 1, 4, 4, 4))
    data[0, 0, 1, 2, 3] = -np.inf
    for fn in (lambda m, x: _lib(m).max_pool3d(x, 2, return_indices=True),
               lambda m, x: _lib(m).max_pool3d(x, 3, 1, 1, return_indices=True),
               lambda m, x: _lib(m).adaptive_max_pool3d(x, 3, return_indices=True)):
        w = wick.tensor(data, requires_grad=True, device=device)
        t = torch.tensor(data, requires_grad=True)
        wo, to = fn(wick, w), fn(torch, t)
        assert_same(wo, to, 0, 0)
        wo[0].sum().backward()
        to[0].sum().backward()
        assert_same(w.grad, t.grad, 0, 0)
    x = wick.full((1, 1, 2, 2, 2), float("-inf"), device=device)
    assert F.max_pool3d(x, 2).item() == float("-inf")


def test_max_pools_pick_the_last_nan(device):
    """A window with NaNs gives NaN at PyTorch's index (its scans keep the last NaN), and the gradient goes there."""
    data = np.random.default_rng(0).standard_normal((2, 3, 5, 6, 7))
    data[0, 0, 0, 0, 1] = data[0, 0, 1, 1, 0] = np.nan
    data[1, 2, 3, 4, :] = np.nan
    data[1, 1, :, 2, 3] = np.nan
    samples = np.random.default_rng(1).uniform(0, 1, (2, 3, 3))
    fns = [lambda m, x: _lib(m).max_pool3d(x, 2, return_indices=True),
           lambda m, x: _lib(m).adaptive_max_pool3d(x, (3, 4, 5), return_indices=True),
           lambda m, x: _lib(m).adaptive_max_pool2d(x[0], 3, return_indices=True),
           lambda m, x: _lib(m).fractional_max_pool3d(x, 2, (3, 4, 5), return_indices=True,
                                                      _random_samples=m.tensor(samples, dtype=x.dtype))]
    for fn in fns:
        w = wick.tensor(data, requires_grad=True, device=device)
        t = torch.tensor(data, requires_grad=True)
        wo, to = fn(wick, w), fn(torch, t)
        assert np.array_equal(wo[0].detach().cpu().numpy(), to[0].detach().numpy(), equal_nan=True)
        assert_same(wo[1], to[1], 0, 0)
        wo[0].backward(wick.ones_like(wo[0]))
        to[0].backward(torch.ones_like(to[0]))
        assert_same(w.grad, t.grad, 0, 0)


def test_pool_zero_batch(device):
    for fn, shape in ((lambda m, x: _lib(m).max_pool3d(x, 2, return_indices=True), (0, 2, 4, 4, 4)),
                      (lambda m, x: _lib(m).avg_pool3d(x, 2), (0, 2, 4, 4, 4)),
                      (lambda m, x: _lib(m).max_pool1d(x, 2), (0, 2, 5)),
                      (lambda m, x: _lib(m).adaptive_max_pool2d(x, 2, return_indices=True), (0, 2, 4, 5)),
                      (lambda m, x: _lib(m).adaptive_avg_pool3d(x, 2), (0, 2, 4, 5, 3)),
                      (lambda m, x: _lib(m).unfold(x, 2), (0, 2, 4, 5)),
                      (lambda m, x: _lib(m).fold(x, (3, 3), 2), (0, 8, 4))):
        check(fn, [shape], module=True, device=device, layouts=("contiguous",))


def test_pool_errors():
    x = wick.randn(1, 2, 5, 5, 5)
    with pytest.raises(ValueError, match="half of kernel size"):
        F.max_pool3d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="too small"):
        F.avg_pool3d(x, 6)
    with pytest.raises(ValueError, match="4D .unbatched. or 5D"):
        F.max_pool3d(wick.randn(5, 5, 5), 2)
    with pytest.raises(ValueError, match="kernel_size must be greater than zero"):
        F.max_pool1d(wick.randn(1, 2, 5), 0)
    with pytest.raises(ValueError, match="stride must be greater than zero"):
        F.avg_pool1d(wick.randn(1, 2, 5), 2, 0)
    with pytest.raises(ValueError, match="dilation must be greater than zero"):
        F.max_pool1d(wick.randn(1, 2, 5), 2, dilation=0)
    with pytest.raises(ValueError, match="tuple of three ints"):
        F.max_pool3d(x, (2, 2))
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool3d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="non-zero sizes"):
        F.max_pool1d(wick.randn(2, 0, 5), 2)


# ----------------------------------------------------------------------------------------------------------------
# Adaptive pools


@pytest.mark.parametrize("size", [1, 4, 7, 11])
def test_adaptive_pool1d(device, size):
    check(lambda m, x: _lib(m).adaptive_avg_pool1d(x, size), [(2, 3, 7)], module=True, device=device)
    check(lambda m, x: _lib(m).adaptive_max_pool1d(x, size, return_indices=True), [(2, 3, 7)], module=True,
          device=device)
    check(lambda m, x: _lib(m).adaptive_max_pool1d_with_indices(x, size), [(3, 9)], module=True, device=device)


@pytest.mark.parametrize("size", [1, (3, 4), (None, 2), (5, 9)])
def test_adaptive_max_pool2d(device, size):
    check(lambda m, x: _lib(m).adaptive_max_pool2d(x, size, return_indices=True), [(2, 3, 7, 5)], module=True,
          device=device)
    check(lambda m, x: _lib(m).adaptive_max_pool2d_with_indices(x, size), [(3, 6, 9)], module=True, device=device,
          layouts=("transposed",))


@pytest.mark.parametrize("size", [1, (3, 2, 4), (None, 3, None), (4, 5, 6)])
def test_adaptive_pool3d(device, size):
    check(lambda m, x: _lib(m).adaptive_avg_pool3d(x, size), [(2, 2, 5, 7, 6)], module=True, device=device)
    check(lambda m, x: _lib(m).adaptive_max_pool3d(x, size, return_indices=True), [(2, 2, 5, 7, 6)], module=True,
          device=device)
    check(lambda m, x: _lib(m).adaptive_max_pool3d_with_indices(x, size), [(3, 4, 5, 6)], module=True,
          device=device, layouts=("stepped",))


@pytest.mark.parametrize("nd, shape, sizes", [
    (1, (2, 3, 12), [(4,), (12,), (5,)]),
    (2, (2, 3, 12, 8), [(3, 4), (6, 2), (12, 8), (5, 4), (3, 3)]),
    (3, (2, 2, 6, 4, 8), [(3, 2, 4), (2, 4, 1), (4, 2, 4), (6, 3, 8)]),
])
def test_adaptive_max_pool_divisible_and_not(device, nd, shape, sizes):
    """Sizes that divide the input's (max pools with kernel = stride = in / out) and sizes that do not
    (overlapping windows of varying width) give PyTorch's values, indices and gradients, with ties
    (the first maximum), -inf windows and NaNs (the last one)."""
    fn = {1: "adaptive_max_pool1d", 2: "adaptive_max_pool2d", 3: "adaptive_max_pool3d"}[nd]
    data = np.random.default_rng(3).integers(-2, 3, shape).astype(np.float64)  # many ties
    flat = data.reshape(-1)
    flat[::17] = np.nan
    flat[5::23] = -np.inf
    for size in sizes:
        for values in (data, np.nan_to_num(data, nan=1.0)):
            w = wick.tensor(values, requires_grad=True, device=device)
            t = torch.tensor(values, requires_grad=True)
            wo = getattr(F, fn)(w, size, return_indices=True)
            to = getattr(torch.nn.functional, fn)(t, size, return_indices=True)
            assert np.array_equal(wo[0].detach().cpu().numpy(), to[0].detach().numpy(), equal_nan=True), size
            assert_same(wo[1], to[1], 0, 0)
            g = np.random.default_rng(4).standard_normal(tuple(to[0].shape))
            wo[0].backward(wick.tensor(g, device=device))
            to[0].backward(torch.tensor(g))
            assert_same(w.grad, t.grad, 0, 0)
        check(lambda m, x: getattr(_lib(m), fn)(x, size, return_indices=True), [shape[1:]], module=True,
              device=device, layouts=("contiguous", "transposed"))
    # Integer inputs (beyond PyTorch) keep the general path, divisible or not.
    ints = wick.tensor(np.arange(math.prod(shape)).reshape(shape) % 7, device=device)
    for size in sizes:
        values, indices = getattr(F, fn)(ints, size, return_indices=True)
        floats = getattr(F, fn)(ints.double(), size, return_indices=True)
        assert np.array_equal(values.double().cpu().numpy(), floats[0].cpu().numpy())
        assert np.array_equal(indices.cpu().numpy(), floats[1].cpu().numpy())


def test_adaptive_errors():
    with pytest.raises(ValueError, match="3D .unbatched. or 4D"):
        F.adaptive_max_pool2d(wick.randn(4, 4), 2)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_max_pool3d(wick.randn(1, 4, 4, 4), (2, 2))
    with pytest.raises(ValueError, match="non-zero sizes"):
        F.adaptive_avg_pool3d(wick.randn(1, 0, 4, 4, 4), 2)


# ----------------------------------------------------------------------------------------------------------------
# Power-average pools


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_lp_pool(device, p):
    check(lambda m, x: _lib(m).lp_pool1d(x, p, 3, 2), [(2, 3, 9)], module=True, device=device)
    check(lambda m, x: _lib(m).lp_pool2d(x, p, (3, 2), 2, True), [(2, 3, 7, 6)], module=True, device=device,
          low=0.1, high=2.0)
    check(lambda m, x: _lib(m).lp_pool2d(x, p, 2), [(3, 6, 4)], module=True, device=device)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lp_pool3d_by_hand(device, dtype):
    """lp_pool3d (not in PyTorch 1.13): (sum over each window of x^p)^(1/p), from explicit windows
    (PyTorch's ceil_mode scales a partial window's sum up to the full window size)."""
    rng = np.random.default_rng(1)
    data = rng.uniform(0.1, 2.0, (2, 3, 5, 6, 7)).astype(dtype)
    for p, k, s, ceil in ((2.0, 2, None, False), (3.0, (2, 3, 2), (1, 2, 3), True)):
        t = torch.tensor(data, requires_grad=True)
        kk = (k,) * 3 if isinstance(k, int) else k
        ss = kk if s is None else s
        # With ceil_mode, a last partial window's mean is scaled by the full window size, as in PyTorch.
        extra = (0, kk[2], 0, kk[1], 0, kk[0]) if ceil else (0,) * 6
        padded = torch.nn.functional.pad(t, extra)
        counts = torch.nn.functional.pad(torch.ones_like(t), extra)
        sums, sizes = [u.unfold(2, kk[0], ss[0]).unfold(3, kk[1], ss[1]).unfold(4, kk[2], ss[2]).sum((-3, -2, -1))
                       for u in (padded.pow(p), counts)]
        expected = (sums / sizes * np.prod(kk)).pow(1 / p)
        w = wick.tensor(data, requires_grad=True, device=device)
        out = F.lp_pool3d(w, p, k, s, ceil)
        expected = expected[tuple(slice(None, n) for n in out.shape)]
        rtol, atol = TOL[dtype]
        assert_same(out, expected, rtol, atol)
        g = rng.standard_normal(tuple(out.shape)).astype(dtype)
        (out * wick.tensor(g, device=device)).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        assert_same(w.grad, t.grad, rtol, atol)
        assert wick.equal(nn.LPPool3d(p, k, s, ceil)(w), out)


# ----------------------------------------------------------------------------------------------------------------
# Unpooling


@pytest.mark.parametrize("nd,args,out", [
    (1, (2,), None), (1, (3, 2, 1), "spatial"), (1, (2, 3), "full"),
    (2, (2,), None), (2, ((3, 2), (2, 1), (1, 0)), "spatial"), (2, (3, 2), "full"),
    (3, (2,), None), (3, ((2, 3, 2), (2, 2, 1)), "spatial"), (3, (2, 1, 1), "full"),
])
def test_max_unpool(device, nd, args, out):
    """max_unpool of max_pool's output and indices; an output_size (of the spatial dims or all
    dims) where windows overlap or miss the last elements, so that the indices fit."""
    shape = {1: (2, 3, 10), 2: (2, 3, 8, 6), 3: (2, 2, 6, 8, 4)}[nd]
    size = {None: None, "spatial": list(shape[2:]), "full": list(shape)}[out]

    def fn(m, x):
        f = _lib(m)
        values, indices = getattr(f, f"max_pool{nd}d")(x, *args, return_indices=True)
        return getattr(f, f"max_unpool{nd}d")(values, indices, *args, output_size=size)
    check(fn, [shape], module=True, device=device)
    if out != "full":
        check(fn, [shape[1:]], module=True, device=device, layouts=("contiguous",))


def test_max_unpool_errors():
    values, indices = F.max_pool2d(wick.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(values, indices + 100, 2)
    with pytest.raises(TypeError, match="int64"):
        F.max_unpool2d(values, indices.int(), 2)
    with pytest.raises(RuntimeError, match="same as that of the input"):
        F.max_unpool2d(values, indices[..., :1], 2)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(values, indices, 2, output_size=(9, 4))
    with pytest.raises(ValueError, match="2 or 4 elements"):
        F.max_unpool2d(values, indices, 2, output_size=(4,))


# ----------------------------------------------------------------------------------------------------------------
# Fractional max pools


@pytest.mark.parametrize("nd,kernel,size,ratio", [
    (2, 3, (4, 5), None), (2, (2, 3), None, (0.5, 0.7)), (2, 2, 1, None), (2, 2, (8, 9), None),
    (3, 2, (3, 4, 2), None), (3, (2, 3, 2), None, 0.6),
])
def test_fractional_max_pool_with_samples(device, nd, kernel, size, ratio):
    shape = (2, 3, 9, 10) if nd == 2 else (2, 2, 6, 9, 5)

    def fn(m, x, u):
        samples = ((u + 2) / 4.0001).detach()  # in [0, 1); not differentiable
        f = getattr(_lib(m), f"fractional_max_pool{nd}d")
        return f(x, kernel, size, ratio, return_indices=True, _random_samples=samples)
    check(fn, [shape, shape[:2] + (nd,)], module=True, device=device, layouts=("contiguous", "stepped"))
    def unbatched(m, x, u):
        f = getattr(_lib(m), f"fractional_max_pool{nd}d_with_indices")
        return f(x, kernel, size, ratio, _random_samples=((u + 2) / 4.0001).detach())
    check(unbatched, [shape[1:], (1, shape[1], nd)], module=True, device=device, layouts=("contiguous",))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_structure(device, nd):
    """Without samples: the output cells are maxima of kernel-sized windows,
    at non-decreasing starts that begin at 0 and end at the edge."""
    shape = (2, 3, 11, 9) if nd == 2 else (2, 2, 8, 7, 9)
    kernel = 2
    x = wick.randn(*shape, device=device)
    out, idx = getattr(F, f"fractional_max_pool{nd}d")(x, kernel, output_ratio=0.5, return_indices=True)
    assert tuple(out.shape) == shape[:2] + tuple(int(n * 0.5) for n in shape[2:])
    flat = x.flatten(2)
    assert wick.equal(flat.gather(2, idx.flatten(2)), out.flatten(2))
    # Each index's coordinates: per dim, the window starts (cell's index minus its argmax offset) are
    # non-decreasing, and every cell's value is the max of a kernel window around its index.
    spatial = shape[2:]
    coords, rest = [], idx
    for n in reversed(spatial):
        coords.insert(0, rest % n)
        rest = rest.div(n, rounding_mode="floor")
    for j, c in enumerate(coords):
        first = c.select(2 + j, 0)
        last = c.select(2 + j, c.shape[2 + j] - 1)
        assert bool((first < kernel).all()) and bool((last >= spatial[j] - kernel).all())
        steps = c.diff(dim=2 + j)
        assert bool((steps >= 1 - kernel).all()) and bool((steps <= spatial[j]).all())
    # Two calls draw different samples; fixed samples give a fixed result.
    samples = wick.rand(shape[0], shape[1], nd, device=device)
    a = getattr(F, f"fractional_max_pool{nd}d")(x, kernel, output_ratio=0.5, _random_samples=samples)
    b = getattr(F, f"fractional_max_pool{nd}d")(x, kernel, output_ratio=0.5, _random_samples=samples)
    assert wick.equal(a, b)


def test_fractional_errors():
    x = wick.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(RuntimeError, match="too large relative to input"):
        F.fractional_max_pool2d(x, 3, 5)
    with pytest.raises(RuntimeError, match="_random_samples"):
        F.fractional_max_pool2d(x, 2, 3, _random_samples=wick.rand(1, 2, 3))
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        nn.FractionalMaxPool2d(2)
    with pytest.raises(ValueError, match="only one of"):
        nn.FractionalMaxPool3d(2, 3, 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.FractionalMaxPool2d(2, output_ratio=1.5)


# ----------------------------------------------------------------------------------------------------------------
# fold / unfold


@pytest.mark.parametrize("args", [
    (2,), ((2, 3), (2, 1), (1, 2), (2, 1)), (3, 1, 1, 2), ((1, 2), 2, 0, (1, 3)),
])
def test_unfold_fold(device, args):
    check(lambda m, x: _lib(m).unfold(x, *args), [(2, 3, 7, 6)], module=True, device=device)
    check(lambda m, x: _lib(m).unfold(x, *args), [(3, 6, 5)], module=True, device=device, layouts=("contiguous",))
    blocks = torch.nn.functional.unfold(torch.zeros(1, 3, 7, 6), *args).shape
    check(lambda m, x: _lib(m).fold(x, (7, 6), *args), [(2,) + tuple(blocks[1:])], module=True, device=device)
    check(lambda m, x: _lib(m).fold(x, [7, 6], *args), [tuple(blocks[1:])], module=True, device=device,
          layouts=("stepped",))


def test_fold_errors():
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(wick.randn(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="number of sliding blocks"):
        F.fold(wick.randn(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="at least one"):
        F.unfold(wick.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="3D .unbatched. or 4D"):
        F.unfold(wick.randn(2, 2), 1)
    with pytest.raises(RuntimeError, match="stride should be greater than zero"):
        F.unfold(wick.randn(1, 1, 4, 4), 2, stride=0)


# ----------------------------------------------------------------------------------------------------------------
# Upsampling, pixel and channel shuffles


def test_upsample_functions(device):
    fns = [
        (lambda m, x: _lib(m).upsample(x, scale_factor=2, mode="bilinear", align_corners=False), "upsample"),
        (lambda m, x: _lib(m).upsample_nearest(x, size=(5, 7)), "upsample_nearest"),
        (lambda m, x: _lib(m).upsample_bilinear(x, scale_factor=2), "upsample_bilinear"),
    ]
    for fn, name in fns:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check(fn, [(2, 3, 4, 5)], module=True, device=device, layouts=("contiguous",))
        assert any(f"nn.functional.{name}` is deprecated" in str(c.message) for c in caught)


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 1, 4, 1, 2), 1)])
def test_pixel_shuffle(device, shape, r):
    check(lambda m, x: _lib(m).pixel_shuffle(x, r), [shape], module=True, device=device)
    unshuffled = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    check(lambda m, x: _lib(m).pixel_unshuffle(x, r), [unshuffled], module=True, device=device)


def test_pixel_shuffle_empty_batch(device):
    """PyTorch 1.13 mishandles empty batches here (pixel_unshuffle returns its input): shapes by hand."""
    x = wick.zeros(0, 4, 2, 3, device=device, requires_grad=True)
    shuffled = F.pixel_shuffle(x, 2)
    assert tuple(shuffled.shape) == (0, 1, 4, 6)
    assert tuple(F.pixel_unshuffle(shuffled, 2).shape) == (0, 4, 2, 3)
    shuffled.sum().backward()
    assert tuple(x.grad.shape) == (0, 4, 2, 3)


def test_channel_shuffle(device):
    for shape, groups in (((2, 6, 3, 4), 3), ((1, 4, 5), 2), ((2, 6, 2, 1, 3), 2), ((3, 5, 2), 1)):
        # PyTorch 1.13's channel_shuffle has no derivative: outputs against it, the gradient by hand.
        check(lambda m, x: _lib(m).channel_shuffle(x, groups), [shape], module=True, device=device, grad=False)
        check(lambda m, x: _lib(m).native_channel_shuffle(x, groups), [shape], module=True, device=device,
              grad=False, layouts=("contiguous",))
        x = wick.randn(*shape, device=device, requires_grad=True)
        out = F.channel_shuffle(x, groups)
        g = wick.randn(*shape, device=device)
        out.backward(g)
        c = shape[1]
        order = [(i % groups) * (c // groups) + i // groups for i in range(c)]  # out channel i <- input order[i]
        expected = wick.zeros_like(g)
        for i, src in enumerate(order):
            expected[:, src] = g[:, i]
        assert wick.equal(x.grad, expected)


def test_shuffle_errors():
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(wick.randn(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(wick.randn(4, 2), 2)
    with pytest.raises(RuntimeError, match="positive upscale_factor"):
        F.pixel_shuffle(wick.randn(1, 4, 2, 2), 0)
    with pytest.raises(RuntimeError, match="height to be divisible by downscale_factor"):
        F.pixel_unshuffle(wick.randn(1, 1, 3, 4), 2)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(wick.randn(1, 5, 2), 2)


# ----------------------------------------------------------------------------------------------------------------
# affine_grid and grid_sample


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(device, align_corners):
    check(lambda m, t: _lib(m).affine_grid(t, (2, 3, 4, 5), align_corners=align_corners), [(2, 2, 3)],
          module=True, device=device)
    check(lambda m, t: _lib(m).affine_grid(t, [3, 1, 2, 4, 3], align_corners=align_corners), [(3, 3, 4)],
          module=True, device=device)


def test_affine_grid_errors():
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(wick.randn(1, 3, 3), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="floating point"):
        F.affine_grid(wick.ones(1, 2, 3, dtype=wick.int64), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="4D and 5D"):
        F.affine_grid(wick.randn(1, 2, 3), (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match="positive output size"):
        F.affine_grid(wick.randn(1, 2, 3), (1, 1, 0, 2), align_corners=False)
    with pytest.warns(UserWarning, match="align_corners"):
        F.affine_grid(wick.randn(1, 2, 3), (1, 1, 2, 2))


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample(device, mode, padding_mode, align_corners):
    def fn(m, x, g):
        return _lib(m).grid_sample(x, g * 1.3, mode, padding_mode, align_corners)
    _check_grid_sample(fn, mode, [(2, 3, 5, 6), (2, 4, 3, 2)], device, layouts=("contiguous", "transposed"))
    _check_grid_sample(fn, mode, [(1, 2, 1, 4), (1, 3, 5, 2)], device, layouts=("contiguous",), seed=1)
    if mode != "bicubic":
        check(fn, [(2, 2, 4, 3, 5), (2, 3, 2, 4, 3)], module=True, device=device, layouts=("contiguous", "stepped"))


def _check_grid_sample(fn, mode, shapes, device, **kw):
    """check(), where bicubic's float32 grid gradient (16 taps whose weight derivatives cancel, e.g. to 0
    on a clamped border) carries rounding of about 1e-5 in both libraries."""
    if mode == "bicubic":
        check(fn, shapes, module=True, device=device, dtypes=("float32",), atol=1e-4, **kw)
        check(fn, shapes, module=True, device=device, dtypes=("float64",), **kw)
    else:
        check(fn, shapes, module=True, device=device, **kw)


def test_grid_sample_points_far_outside(device):
    """Points several sizes away: reflection folds them back many times, border clamps them."""
    for mode in ("bilinear", "nearest", "bicubic"):
        for padding_mode in ("zeros", "border", "reflection"):
            _check_grid_sample(lambda m, x, g: _lib(m).grid_sample(x, g * 7, mode, padding_mode, False), mode,
                               [(1, 2, 4, 5), (1, 6, 3, 2)], device, layouts=("contiguous",), seed=2)


def test_grid_sample_errors():
    x, g = wick.randn(1, 1, 3, 3), wick.randn(1, 2, 2, 2)
    with pytest.raises(ValueError, match="expected mode"):
        F.grid_sample(x, g, "cubic", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, g, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.grid_sample(x, g.double(), align_corners=False)
    with pytest.raises(RuntimeError, match="size 2 in last dimension"):
        F.grid_sample(x, wick.randn(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, wick.randn(2, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="4D or 5D"):
        F.grid_sample(wick.randn(1, 3, 3), wick.randn(1, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(wick.randn(1, 1, 2, 2, 2), wick.randn(1, 1, 1, 1, 3), "bicubic", align_corners=False)
    with pytest.warns(UserWarning, match="align_corners"):
        F.grid_sample(x, g)


# ----------------------------------------------------------------------------------------------------------------
# Modules


def _same_module(spec, shapes, dtype="float32", device="cpu", extra=None):
    """spec(nn) in both libraries: repr (where 1.13's is 2.x's), state_dict keys, outputs and input gradients."""
    w_mod, t_mod = spec(nn), spec(torch.nn)
    if not isinstance(t_mod, torch.nn.Upsample):  # 1.13 writes the mode without quotes: test_module_reprs_2x
        assert repr(w_mod) == repr(t_mod)
    assert list(w_mod.state_dict()) == list(t_mod.state_dict())
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(dtype) for s in shapes]
    w_in = [wick.tensor(a, requires_grad=True, device=device) for a in data]
    t_in = [torch.tensor(a, requires_grad=True) for a in data]
    wo, to = w_mod(*w_in, *(extra(wick, w_in) if extra else ())), t_mod(*t_in, *(extra(torch, t_in) if extra else ()))
    rtol, atol = TOL[dtype]
    assert_same(wo, to, rtol, atol)
    first_w, first_t = (wo[0], to[0]) if isinstance(to, tuple) else (wo, to)
    g = rng.standard_normal(tuple(first_t.shape)).astype(dtype)
    (first_w * wick.tensor(g, device=device)).sum().backward()
    (first_t * torch.tensor(g)).sum().backward()
    for a, b in zip(w_in, t_in):
        assert_same(a.grad, b.grad, rtol, atol, "input gradient")


MODULES = [
    (lambda n: n.MaxPool1d(3, 2, 1, return_indices=True), [(2, 3, 9)]),
    (lambda n: n.MaxPool2d((2, 3), 1, (1, 1), 2, ceil_mode=True), [(2, 3, 7, 8)]),
    (lambda n: n.MaxPool3d(2, return_indices=True), [(2, 3, 4, 5, 6)]),
    (lambda n: n.AvgPool1d(3, 2, 1, count_include_pad=False), [(2, 3, 9)]),
    (lambda n: n.AvgPool2d(3, 2, 1, divisor_override=2), [(2, 3, 7, 8)]),
    (lambda n: n.AvgPool3d((2, 3, 2), 1, (1, 1, 0), ceil_mode=True), [(2, 3, 4, 5, 6)]),
    (lambda n: n.AdaptiveAvgPool1d(4), [(2, 3, 9)]),
    (lambda n: n.AdaptiveAvgPool2d((None, 3)), [(2, 3, 7, 8)]),
    (lambda n: n.AdaptiveAvgPool3d((2, None, 3)), [(2, 3, 4, 5, 6)]),
    (lambda n: n.AdaptiveMaxPool1d(4, return_indices=True), [(2, 3, 9)]),
    (lambda n: n.AdaptiveMaxPool2d((3, None)), [(2, 3, 7, 8)]),
    (lambda n: n.AdaptiveMaxPool3d(2, True), [(2, 3, 4, 5, 6)]),
    (lambda n: n.LPPool1d(2, 3, 2), [(2, 3, 9)]),
    (lambda n: n.LPPool2d(1, (2, 3), ceil_mode=True), [(2, 3, 7, 8)]),
    (lambda n: n.Fold((5, 6), (2, 3), padding=1), [(2, 12, 6 * 6)]),
    (lambda n: n.Unfold((2, 3), dilation=2, stride=(1, 2)), [(2, 3, 7, 8)]),
    (lambda n: n.PixelShuffle(2), [(2, 8, 3, 4)]),
    (lambda n: n.PixelUnshuffle(3), [(2, 2, 6, 9)]),
    (lambda n: n.UpsamplingNearest2d(scale_factor=2), [(2, 3, 4, 5)]),
    (lambda n: n.UpsamplingBilinear2d((7, 9)), [(2, 3, 4, 5)]),
    (lambda n: n.ConstantPad1d((1, 2), 3.5), [(2, 3, 4)]),
    (lambda n: n.ConstantPad2d(2, -1.0), [(2, 3, 4, 5)]),
    (lambda n: n.ConstantPad3d((1, 0, 2, 1, 0, 3), 0.5), [(2, 3, 4, 5, 6)]),
    (lambda n: n.ZeroPad2d((1, 2, 0, 3)), [(2, 3, 4, 5)]),
    (lambda n: n.ReflectionPad1d((3, 1)), [(2, 3, 4)]),
    (lambda n: n.ReflectionPad2d(2), [(3, 4, 5)]),
    (lambda n: n.ReflectionPad3d((1, 2, 0, 1, 2, 1)), [(2, 3, 4, 5, 6)]),
    (lambda n: n.ReplicationPad1d(2), [(3, 4)]),
    (lambda n: n.ReplicationPad2d((3, 0, 1, 2)), [(2, 3, 4, 5)]),
    (lambda n: n.ReplicationPad3d(1), [(3, 4, 5, 6)]),
]


@pytest.mark.parametrize("index", range(len(MODULES)))
@pytest.mark.parametrize("dtype", DTYPES)
def test_modules(device, index, dtype):
    spec, shapes = MODULES[index]
    _same_module(spec, shapes, dtype, device)


def test_unpool_modules(device):
    for nd, shape in ((1, (2, 3, 8)), (2, (2, 3, 6, 8)), (3, (2, 2, 4, 6, 4))):
        source = torch.tensor(np.random.default_rng(nd).standard_normal(shape))
        t_indices = getattr(torch.nn.functional, f"max_pool{nd}d")(source, 2, return_indices=True)[1]
        w_indices = wick.tensor(t_indices.numpy(), device=device)
        _same_module(lambda n, nd=nd: getattr(n, f"MaxUnpool{nd}d")(2, 2), [tuple(t_indices.shape)],
                     device=device, extra=lambda m, inputs, w=w_indices, t=t_indices: [w if m is wick else t])


def test_fractional_modules(device):
    samples = np.random.default_rng(0).uniform(0, 1, (2, 3, 2))
    w = nn.FractionalMaxPool2d(3, output_size=(4, 5), return_indices=True,
                               _random_samples=wick.tensor(samples, device=device))
    t = torch.nn.FractionalMaxPool2d(3, output_size=(4, 5), return_indices=True,
                                     _random_samples=torch.tensor(samples))
    assert repr(w) == repr(t) == "FractionalMaxPool2d()"
    assert list(w.state_dict()) == list(t.state_dict())
    assert w.kernel_size == t.kernel_size and w.output_size == t.output_size
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 10))
    assert_same(w(wick.tensor(x, device=device)), t(torch.tensor(x)), 1e-12, 0)
    m = nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.6))
    assert m.output_ratio == (0.5, 0.5, 0.6) and m.output_size is None and "_random_samples" not in m.state_dict()
    assert tuple(m(wick.randn(1, 2, 6, 8, 5, device=device)).shape) == (1, 2, 3, 4, 3)


def test_module_reprs_2x():
    """PyTorch 2.x's reprs (1.13 writes Upsample's mode without quotes)."""
    assert repr(nn.Upsample(scale_factor=2, mode="bilinear")) == "Upsample(scale_factor=2.0, mode='bilinear')"
    assert repr(nn.UpsamplingNearest2d((3, 4))) == "UpsamplingNearest2d(size=(3, 4), mode='nearest')"
    assert repr(nn.LPPool3d(2, 3)) == "LPPool3d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(nn.ZeroPad1d(2)) == "ZeroPad1d((2, 2))"
    assert repr(nn.ZeroPad3d((1, 2, 3, 4, 5, 6))) == "ZeroPad3d((1, 2, 3, 4, 5, 6))"
    assert repr(nn.CircularPad2d(1)) == "CircularPad2d((1, 1, 1, 1))"
    assert repr(nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    assert repr(nn.MaxUnpool3d(2)) == "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))"


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_zero_and_circular_pad_modules(device, nd):
    """ZeroPad1d/3d and CircularPad1d/2d/3d (not in PyTorch 1.13) against torch's F.pad."""
    shape = (2, 3, 4, 5, 6)[:nd + 2]
    padding = (1, 2, 0, 3, 2, 1)[:2 * nd]
    for name, mode in (("ZeroPad", "constant"), ("CircularPad", "circular")):
        module = getattr(nn, f"{name}{nd}d")(padding)
        assert module.padding == padding
        check(lambda m, x: module(x) if m is wick else torch.nn.functional.pad(x, padding, mode), [shape],
              module=True, device=device, layouts=("contiguous",))
        check(lambda m, x: module(x) if m is wick else torch.nn.functional.pad(x[None], padding, mode)[0],
              [shape[1:]], module=True, device=device, layouts=("stepped",))
    with pytest.raises(ValueError, match=f"expected {nd + 1}D or {nd + 2}D input"):
        getattr(nn, f"CircularPad{nd}d")(1)(wick.randn(*(3,) * (nd + 3)))


def test_upsample_module(device):
    _same_module(lambda n: n.Upsample(scale_factor=2, mode="nearest"), [(2, 3, 4, 5)], device=device)
    for kw, shape in (({"size": (5, 7), "mode": "bilinear", "align_corners": True}, (2, 3, 4, 5)),
                      ({"scale_factor": (1.5, 2.0), "mode": "bilinear"}, (2, 3, 4, 5)),
                      ({"scale_factor": 3, "mode": "trilinear"}, (1, 2, 2, 3, 2))):
        check(lambda m, x: m.nn.Upsample(**kw)(x), [shape], module=True, device=device, layouts=("contiguous",))


def test_padding_module_errors():
    """The padding limits and ranks, with PyTorch's exception types."""
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        nn.ReflectionPad1d(3)(wick.ones(1, 2, 3))
    with pytest.raises(NotImplementedError):
        nn.ReflectionPad2d(1)(wick.ones(2, 3))
    with pytest.raises(NotImplementedError):
        nn.ReplicationPad3d(1)(wick.ones(2, 3, 3))
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        nn.CircularPad1d(4)(wick.ones(1, 2, 3))
    # Negative amounts crop, as in PyTorch.
    check(lambda m, x: m.nn.ConstantPad2d((-1, 0, 1, -2), 2.0)(x), [(2, 3, 4, 5)], module=True,
          layouts=("contiguous",))
