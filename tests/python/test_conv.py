"""Convolution, pooling and normalization compared with torch.nn.functional:
forward values and gradients on random inputs (float32 and float64,
contiguous, transposed and stepped layouts) through check(), running
statistics, grad_fn names, keyword arguments and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import wick
from helpers import assert_same, check


def F(m):
    """The functional namespace of a library: torch.nn.functional, or wick's ops."""
    return TF if m is torch else wick


# ---- convolution ----------------------------------------------------------------------------------

CONV2D = {
    "plain": ((2, 3, 6, 5), (4, 3, 3, 3), True, {}),
    "no_bias": ((2, 3, 6, 5), (4, 3, 3, 3), False, {}),
    "stride": ((2, 2, 7, 6), (3, 2, 3, 2), True, {"stride": (2, 3)}),
    "padding": ((1, 2, 5, 5), (3, 2, 3, 3), True, {"padding": (1, 2)}),
    "same": ((2, 2, 6, 5), (3, 2, 4, 3), True, {"padding": "same"}),
    "same_dilated": ((1, 2, 6, 7), (3, 2, 2, 3), True, {"padding": "same", "dilation": (3, 2)}),
    "valid": ((2, 2, 6, 5), (3, 2, 3, 3), True, {"padding": "valid"}),
    "dilation": ((2, 2, 7, 7), (2, 2, 3, 2), True, {"dilation": 2, "padding": 1}),
    "groups": ((2, 4, 5, 5), (6, 2, 3, 3), True, {"groups": 2, "padding": 1}),
    "depthwise": ((1, 3, 5, 4), (6, 1, 2, 2), False, {"groups": 3, "stride": 2}),
    "1x1": ((3, 4, 3, 3), (2, 4, 1, 1), True, {}),
    "unbatched": ((3, 5, 4), (2, 3, 3, 3), True, {"padding": 1}),
}


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name", list(CONV2D))
def test_conv2d(name, device):
    x, w, has_bias, kw = CONV2D[name]
    if has_bias:
        check(lambda m, x, w, b: F(m).conv2d(x, w, b, **kw), [x, w, (w[0],)], module=True, device=device)
    else:
        check(lambda m, x, w: F(m).conv2d(x, w, **kw), [x, w], module=True, device=device)


CONV1D = {
    "plain": ((2, 3, 9), (4, 3, 3), {}),
    "options": ((2, 4, 11), (6, 2, 3), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    "same": ((1, 2, 8), (3, 2, 4), {"padding": "same", "dilation": 2}),
    "unbatched": ((3, 7), (2, 3, 2), {"padding": (1,)}),
}


@pytest.mark.parametrize("name", list(CONV1D))
def test_conv1d(name, device):
    x, w, kw = CONV1D[name]
    check(lambda m, x, w, b: F(m).conv1d(x, w, b, **kw), [x, w, (w[0],)], module=True, device=device)


CONV_TRANSPOSE2D = {
    "plain": ((2, 3, 4, 4), (3, 2, 3, 3), {}),
    "stride": ((1, 2, 3, 4), (2, 3, 3, 2), {"stride": (2, 3), "padding": (1, 0), "output_padding": (1, 2)}),
    "groups": ((2, 4, 3, 3), (4, 1, 2, 2), {"stride": 2, "padding": (0, 1), "groups": 2}),
    "dilation": ((1, 2, 3, 3), (2, 2, 2, 3), {"stride": (2, 1), "padding": 1, "output_padding": (1, 0), "dilation": 2}),
    "unbatched": ((2, 3, 3), (2, 3, 3, 3), {"stride": 2}),
}


@pytest.mark.parametrize("name", list(CONV_TRANSPOSE2D))
def test_conv_transpose2d(name, device):
    x, w, kw = CONV_TRANSPOSE2D[name]
    groups = kw.get("groups", 1)
    check(lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, **kw), [x, w, (w[1] * groups,)], module=True,
          device=device)
    check(lambda m, x, w: F(m).conv_transpose2d(x, w, None, **kw), [x, w], module=True, layouts=("contiguous",),
          device=device)


def test_conv_of_the_main_cnn(device):
    # The shapes of the Fashion-MNIST CNN (smaller batch): conv + relu + pool twice.
    def net(m, x, w1, b1, w2, b2):
        f = F(m)
        y = f.max_pool2d(f.conv2d(x, w1, b1, padding=1).relu(), 2)
        return f.max_pool2d(f.conv2d(y, w2, b2, padding=1).relu(), 2)

    check(net, [(4, 1, 28, 28), (8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,)], module=True,
          layouts=("contiguous",), low=-0.5, high=0.5, device=device)


def test_conv_keywords_and_grad_fn(device):
    x = wick.randn(1, 2, 5, 5, device=device, requires_grad=True)
    w = wick.randn(3, 2, 3, 3, device=device)
    y = wick.conv2d(input=x, weight=w, bias=None, stride=1, padding="same", dilation=1, groups=1)
    assert y.shape == (1, 3, 5, 5)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    y = wick.conv_transpose2d(input=x, weight=wick.randn(2, 3, 3, 3, device=device), bias=None, stride=2, padding=1,
                              output_padding=1, groups=1, dilation=1)
    assert y.shape == (1, 3, 10, 10)


def test_conv_errors():
    x, w = wick.randn(2, 3, 8, 8), wick.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"expected input\[2, 2, 8, 8\] to have 3 channels, but got 2 channels"):
        wick.conv2d(wick.randn(2, 2, 8, 8), w)
    with pytest.raises(ValueError, match=r"Kernel size: \(3 x 3\). Kernel size can't be greater than actual input"):
        wick.conv2d(wick.randn(1, 3, 2, 2), w)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        wick.conv2d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string 'foo'"):
        wick.conv2d(x, w, padding="foo")
    with pytest.raises(ValueError, match=r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]"):
        wick.conv2d(x, w, wick.randn(3))
    with pytest.raises(TypeError, match=r"input type \(float32\) and weight type \(float64\) should be the same"):
        wick.conv2d(x, w.double())
    with pytest.raises(ValueError, match=r"input to conv2d, but got input of size: \[8, 8\]"):
        wick.conv2d(wick.randn(8, 8), w)
    with pytest.raises(TypeError, match="argument 'stride' must be tuple of ints"):
        wick.conv2d(x, w, stride=1.5)


# ---- pooling --------------------------------------------------------------------------------------

MAX_POOL = {
    "2x2": ((2, 3, 6, 6), {"kernel_size": 2}),
    "stride_pad": ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    "rect": ((2, 2, 5, 7), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)}),
    "dilation": ((1, 2, 7, 7), {"kernel_size": 2, "stride": (1, 2), "padding": (0, 1), "dilation": (2, 3)}),
    "ceil_mode": ((2, 2, 5, 6), {"kernel_size": (2, 3), "stride": 2, "padding": (0, 1), "ceil_mode": True}),
    "ceil_mode_pad": ((1, 1, 6, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    "unbatched": ((3, 5, 5), {"kernel_size": 3, "stride": (2, 1)}),
}


@pytest.mark.parametrize("name", list(MAX_POOL))
def test_max_pool2d(name, device):
    shape, kw = MAX_POOL[name]
    check(lambda m, x: F(m).max_pool2d(x, **kw), [shape], module=True, device=device)
    # Values and indices (flat positions in each input plane).
    check(lambda m, x: F(m).max_pool2d(x, return_indices=True, **kw), [shape], module=True, grad=False,
          layouts=("contiguous", "transposed"), device=device)
    check(lambda m, x: F(m).max_pool2d_with_indices(x, **kw), [shape], module=True, grad=False,
          layouts=("contiguous",), device=device)


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1},
                                {"kernel_size": 2, "stride": 1, "dilation": 2}], ids=str)
def test_max_pool2d_nan_inf_and_ties(kw, device):
    # NaN wins (the last of several), -inf windows keep their first position,
    # and of equal maxima the first is taken: the same values and indices as PyTorch.
    data = np.array([[1, 1, 2, 2, 0, 0], [1, 1, 2, 2, 0, 0], [np.nan, 3, 3, np.nan, 5, 5],
                     [0, np.nan, 3, 3, 5, 5], [-np.inf] * 6, [-np.inf] * 6], dtype="float32")[None, None]
    for dtype in ("float32", "float64"):
        w = wick.max_pool2d(wick.tensor(data.astype(dtype), device=device), return_indices=True, **kw)
        t = TF.max_pool2d(torch.tensor(data.astype(dtype)), return_indices=True, **kw)
        np.testing.assert_array_equal(w[0].cpu().numpy(), t[0].numpy())
        np.testing.assert_array_equal(w[1].cpu().numpy(), t[1].numpy())


AVG_POOL = {
    "2x2": ((2, 3, 6, 6), {"kernel_size": 2}),
    "stride_pad": ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),
    "exclude_pad": ((1, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    "divisor": ((2, 2, 5, 7), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0), "divisor_override": 4}),
    "ceil_mode": ((2, 2, 5, 6), {"kernel_size": (2, 3), "stride": 2, "padding": (0, 1), "ceil_mode": True}),
    "ceil_exclude": ((1, 1, 6, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                                    "count_include_pad": False}),
    "unbatched": ((3, 5, 5), {"kernel_size": 3, "stride": (2, 1)}),
}


@pytest.mark.parametrize("name", list(AVG_POOL))
def test_avg_pool2d(name, device):
    shape, kw = AVG_POOL[name]
    check(lambda m, x: F(m).avg_pool2d(x, **kw), [shape], module=True, device=device)


@pytest.mark.parametrize("shape,size", [((2, 3, 7, 5), (3, 2)), ((1, 2, 4, 6), 4), ((3, 5, 5), (2, None)),
                                        ((2, 2, 3, 3), (5, 4)), ((2, 2, 6, 6), 1), ((1, 2, 4, 4), (None, 3))])
def test_adaptive_avg_pool2d(shape, size, device):
    check(lambda m, x: F(m).adaptive_avg_pool2d(x, size), [shape], module=True, device=device)


def test_pool_grad_fn_names(device):
    x = wick.randn(1, 2, 4, 4, device=device, requires_grad=True)
    name = lambda t: t.grad_fn.name()
    assert name(wick.max_pool2d(x, 2)) == "MaxPool2DWithIndicesBackward0"
    assert name(wick.avg_pool2d(x, 2)) == "AvgPool2DBackward0"
    assert name(wick.adaptive_avg_pool2d(x, 2)) == "AdaptiveAvgPool2DBackward0"
    assert name(wick.adaptive_avg_pool2d(x, 1)) == "MeanBackward1"  # as in PyTorch
    out, idx = wick.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == wick.int64 and not idx.requires_grad


def test_pool_errors():
    x = wick.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"given input size \(2x4x4\), the calculated output size \(2x0x0\) is too small"):
        wick.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="pad should be at least zero and at most half of the kernel size"):
        wick.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="divisor must be not zero"):
        wick.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match="floating point"):
        wick.max_pool2d(x.long(), 2)
    with pytest.raises(ValueError, match=r"3D \(unbatched\) or 4D \(batched\) input"):
        wick.avg_pool2d(wick.randn(4, 4), 2)


# ---- normalization --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine, device):
    if affine:
        check(lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), [shape, (3,), (3,)],
              module=True, device=device)
    else:
        check(lambda m, x: F(m).batch_norm(x, None, None, training=True, eps=1e-3), [shape], module=True,
              device=device)


def test_batch_norm_eval(device):
    rm, rv = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, 4.0])

    def fn(m, x, w, b):
        # The running statistics on the input's device (wick's, or torch's CPU).
        rm_, rv_ = m.tensor(rm, dtype=x.dtype, device=x.device), m.tensor(rv, dtype=x.dtype, device=x.device)
        return F(m).batch_norm(x, rm_, rv_, w, b, False, 0.1, 1e-5)

    check(fn, [(4, 3, 5), (3,), (3,)], module=True, device=device)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_running_stats(dtype, device):
    rng = np.random.default_rng(0)
    on = {wick: device, torch: "cpu"}  # PyTorch, the oracle, stays on the CPU
    stats = {lib: (lib.zeros(4, dtype=getattr(lib, dtype), device=on[lib]),
                   lib.ones(4, dtype=getattr(lib, dtype), device=on[lib]))
             for lib in (wick, torch)}
    for step in range(3):
        data = rng.normal(2.0, 3.0, (8, 4, 3, 3)).astype(dtype)
        for lib in (wick, torch):
            F(lib).batch_norm(lib.tensor(data, device=on[lib]), *stats[lib], training=True, momentum=0.3)
    tol = (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-12)
    assert_same(stats[wick][0], stats[torch][0], *tol, "running_mean")
    assert_same(stats[wick][1], stats[torch][1], *tol, "running_var")
    # Evaluation mode reads them and leaves them alone.
    data = rng.normal(size=(2, 4, 3, 3)).astype(dtype)
    outs = [F(lib).batch_norm(lib.tensor(data, device=on[lib]), *stats[lib]) for lib in (wick, torch)]
    assert_same(outs[0], outs[1], *tol)
    assert_same(stats[wick][0], stats[torch][0], *tol, "running_mean after eval")


@pytest.mark.parametrize("shape,normalized", [((3, 4, 5), (5,)), ((3, 4, 5), (4, 5)), ((6, 8), (8,))])
def test_layer_norm(shape, normalized, device):
    check(lambda m, x, w, b: F(m).layer_norm(x, normalized, w, b), [shape, normalized, normalized], module=True,
          device=device)
    check(lambda m, x: F(m).layer_norm(x, normalized, eps=1e-3), [shape], module=True, device=device)


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 2), 3), ((3, 4, 5), 1), ((2, 4, 5), 4), ((4, 6), 2)])
def test_group_norm(shape, groups, device):
    c = shape[1]
    check(lambda m, x, w, b: F(m).group_norm(x, groups, w, b), [shape, (c,), (c,)], module=True, device=device)
    check(lambda m, x: F(m).group_norm(x, groups, eps=1e-3), [shape], module=True, device=device)


# Shapes that take each path of the CUDA kernels (backends/cuda/norm.cu): one
# element per (sample, channel), short and long rows (the group backward sums
# rows by thread or by block), many channels, one group per channel.
@pytest.mark.parametrize("shape,groups", [((64, 3), 1), ((3, 6, 5), 2), ((2, 6, 40), 3), ((5, 300), 1),
                                          ((2, 4, 9, 9), 4), ((3, 700, 2), 7)], ids=str)
def test_norm_kernel_shapes(shape, groups, device):
    c = shape[1]
    layouts = ("contiguous", "transposed")
    check(lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True), [shape, (c,), (c,)],
          module=True, layouts=layouts, device=device)
    rm, rv = np.linspace(-1, 1, c), np.linspace(0.5, 2, c)

    def eval_fn(m, x, w, b):
        rm_, rv_ = m.tensor(rm, dtype=x.dtype, device=x.device), m.tensor(rv, dtype=x.dtype, device=x.device)
        return F(m).batch_norm(x, rm_, rv_, w, b, False, 0.1, 1e-5)

    check(eval_fn, [shape, (c,), (c,)], module=True, layouts=layouts, device=device)
    check(lambda m, x, w, b: F(m).group_norm(x, groups, w, b), [shape, (c,), (c,)], module=True, layouts=layouts,
          device=device)
    check(lambda m, x: F(m).group_norm(x, groups), [shape], module=True, layouts=layouts, device=device)
    rest = shape[1:]  # layer norm over all but the batch dim: enough elements to be well conditioned
    check(lambda m, x, w, b: F(m).layer_norm(x, rest, w, b), [shape, rest, rest], module=True, layouts=layouts,
          device=device)


def test_norm_statistics_far_from_zero(device):
    """The statistics sum x - (a sample of the group): a large mean costs no precision."""
    rng = np.random.default_rng(0)
    data = 1e4 + rng.standard_normal((8, 3, 50))
    for dtype, tol in (("float32", (1e-3, 1e-3)), ("float64", (1e-9, 1e-9))):
        x = {wick: wick.tensor(data.astype(dtype), device=device), torch: torch.tensor(data.astype(dtype))}
        for lib in (wick, torch):
            x[lib] = (F(lib).batch_norm(x[lib], None, None, training=True), F(lib).group_norm(x[lib], 3),
                      F(lib).layer_norm(x[lib], (50,)))
        assert_same(x[wick], x[torch], *tol)


def test_norm_of_empty_batches(device):
    for lib, f, on in ((wick, wick, device), (torch, TF, "cpu")):
        rm, rv = lib.zeros(3, device=on), lib.ones(3, device=on)
        x = lib.zeros(0, 3, 2, device=on, requires_grad=True)
        y = f.batch_norm(x, rm, rv, training=True)
        y.sum().backward()
        assert tuple(y.shape) == (0, 3, 2) and tuple(x.grad.shape) == (0, 3, 2)
        assert rm.tolist() == [0, 0, 0] and rv.tolist() == [1, 1, 1]
        assert tuple(f.group_norm(lib.zeros(0, 4, 2, device=on), 2).shape) == (0, 4, 2)
        assert tuple(f.layer_norm(lib.zeros(0, 4, device=on), (4,)).shape) == (0, 4)


def test_norm_keywords_and_grad_fn(device):
    x = wick.randn(4, 3, 2, device=device, requires_grad=True)
    w, b = wick.ones(3, device=device), wick.zeros(3, device=device)
    y = wick.batch_norm(input=x, running_mean=None, running_var=None, weight=w, bias=b, training=True,
                        momentum=0.1, eps=1e-5)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    assert wick.layer_norm(input=x, normalized_shape=[2], weight=None, bias=None, eps=1e-5).grad_fn.name() == \
        "NativeLayerNormBackward0"
    assert wick.group_norm(input=x, num_groups=3, weight=w, bias=b, eps=1e-5).grad_fn.name() == \
        "NativeGroupNormBackward0"


def test_norm_errors():
    x = wick.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size \[1, 3\]"):
        wick.batch_norm(wick.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="expected running_mean to have 3 elements"):
        wick.batch_norm(x, wick.zeros(4), wick.ones(3))
    with pytest.raises(ValueError, match="must be defined in evaluation mode"):
        wick.batch_norm(x, None, None)
    with pytest.raises(ValueError, match=r"expected input with shape \[\*, 3\], but got input of size \[2, 3, 4\]"):
        wick.layer_norm(x, (3,))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        wick.group_norm(x, 2)


@pytest.mark.parametrize("conv", ["conv1d", "conv2d", "conv3d"])
def test_double_backward_through_a_convolution_is_refused_not_silently_cut(conv):
    # The convolution's backward calls its kernels directly: rather than give a
    # gradient without a graph (silently wrong in a gradient penalty), it refuses.
    shape = {"conv1d": (1, 2, 7), "conv2d": (1, 2, 5, 5), "conv3d": (1, 2, 4, 4, 4)}[conv]
    x = wick.randn(*shape, requires_grad=True)
    w = wick.randn(3, 2, *([3] * (len(shape) - 2)), requires_grad=True)
    y = getattr(wick.nn.functional, conv)(x, w).pow(2).sum()
    with pytest.raises(NotImplementedError, match="double backward"):
        wick.autograd.grad(y, x, create_graph=True)
    g, = wick.autograd.grad(getattr(wick.nn.functional, conv)(x, w).pow(2).sum(), x)
    assert g.shape == x.shape
