"""The neural-net functions of wick._C (softmax, losses, dropout, linear,
bilinear, pad, interpolate) against torch.nn.functional: values and gradients
on random inputs of several shapes, float32 and float64, contiguous and
strided; the argument forms PyTorch accepts; and the errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import wick
from helpers import assert_same, check


def F(lib):
    """torch.nn.functional, or the wick functions it corresponds to."""
    return TF if lib is torch else wick._C


def both(array, dtype=None, device="cpu"):
    """The same data as a wick tensor (on `device`) and a torch tensor (on the CPU), keyed by library."""
    array = np.asarray(array) if dtype is None else np.asarray(array, dtype=dtype)
    return {wick: wick.tensor(array, device=device), torch: torch.tensor(array)}


def class_targets(shape, classes, seed=0, ignore=None, device="cpu"):
    rng = np.random.default_rng(seed)
    t = np.array(rng.integers(0, classes, shape))
    if ignore is not None and t.size:
        t.flat[:: max(1, t.size // 3)] = ignore
    return both(t.astype(np.int64), device=device)


# ---- softmax -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape,dim", [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((6,), 0),
                                       ((), 0), ((0, 3), 1)], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(name, shape, dim, device):
    check(lambda m, x: getattr(F(m), name)(x, dim), [shape], module=True, low=-4, high=4, device=device)
    check(lambda x: getattr(x, name)(dim), [shape], low=-4, high=4, device=device)  # the Tensor method
    check(lambda m, x: getattr(m, name)(x, dim), [shape], module=True, low=-4, high=4,
          device=device)  # wick.softmax


# Shapes that take each strategy of the CUDA kernels (backends/cuda/softmax.cu):
# a warp per row (also strided, inner > 1), a block per long row, a thread per
# row for many strided rows or very short ones.
@pytest.mark.parametrize("shape,dim", [((6, 50), 1), ((4, 50, 3), 1), ((3, 2000), 1), ((2, 1500, 2), 1),
                                       ((2, 30, 2100), 1), ((2, 5, 4), 1), ((40, 5), 0)], ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_kernel_shapes(name, shape, dim, device):
    check(lambda m, x: getattr(F(m), name)(x, dim), [shape], module=True, low=-8, high=8, layouts=("contiguous",),
          device=device)


@pytest.mark.parametrize("n", [3, 200, 3000])
@pytest.mark.parametrize("inner", [1, 5000])
def test_softmax_special_values(n, inner, device):
    """Rows with -inf (weight 0), +inf or NaN (a NaN row), all -inf (a NaN row), as on PyTorch's CPU."""
    if n * inner > 2_000_000:
        pytest.skip("large")
    rng = np.random.default_rng(n)
    data = rng.uniform(-3, 3, (6, n, inner))
    data[1, 0] = -np.inf          # the first element of the row
    data[1, n - 1] = -np.inf
    data[2, n // 2] = np.inf
    data[3, n // 2] = np.nan
    data[4] = -np.inf
    data[5, 1:] = -np.inf
    for dtype in ("float32", "float64"):
        x = both(data.astype(dtype), device=device)
        for name in ("softmax", "log_softmax"):
            assert_same(getattr(F(wick), name)(x[wick], 1), getattr(TF, name)(x[torch], 1), 1e-5, 1e-6, name)


def test_softmax_argument_forms(device):
    x = both(np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32), device=device)
    for name in ["softmax", "log_softmax"]:
        # dtype by keyword, and torch.softmax's positional dtype.
        assert_same(getattr(wick, name)(x[wick], 1, dtype=wick.float64),
                    getattr(torch, name)(x[torch], 1, dtype=torch.float64), 1e-6, 1e-7)
        assert_same(getattr(wick, name)(x[wick], 1, wick.float64), getattr(torch, name)(x[torch], 1, torch.float64),
                    1e-6, 1e-7)
        assert_same(getattr(x[wick], name)(dim=0, dtype=wick.float64), getattr(x[torch], name)(dim=0, dtype=torch.float64),
                    1e-6, 1e-7)
        assert_same(getattr(wick, name)(wick.arange(5, device=device), 0, dtype=wick.float32),
                    getattr(torch, name)(torch.arange(5), 0, dtype=torch.float32), 1e-6, 1e-7)
        # F.softmax without dim picks one (0 for 0-, 1- and 3-D inputs, else 1) and warns.
        for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
            data = np.random.default_rng(2).standard_normal(shape)
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                got = getattr(wick._C, name)(wick.tensor(data, device=device))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(TF, name)(torch.tensor(data))
            assert_same(got, want, 1e-12, 1e-12)
    y = wick.softmax(wick.ones(2, 3, device=device, requires_grad=True), 1)
    assert y.grad_fn.name() == "SoftmaxBackward0"
    assert wick.log_softmax(wick.ones(2, 3, device=device, requires_grad=True), 1).grad_fn.name() == \
        "LogSoftmaxBackward0"


def test_softmax_second_derivative(device):
    data = np.random.default_rng(3).standard_normal((3, 4))
    grads = []
    for lib in (wick, torch):
        x = lib.tensor(data, device=device if lib is wick else "cpu", requires_grad=True)
        y = (F(lib).log_softmax(x, 1) * F(lib).softmax(x, 1)).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        grads.append(gg)
    assert_same(grads[0], grads[1], 1e-10, 1e-12)


def test_softmax_errors():
    with pytest.raises(TypeError, match="floating point"):
        wick.softmax(wick.arange(3), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        wick.softmax(wick.ones(2, 3), 2)
    with pytest.raises(IndexError):
        wick.ones(2).log_softmax(-2)


# ---- nll_loss / cross_entropy -------------------------------------------------------------------------

WEIGHT = both(np.array([0.5, 2.0, 1.0, 0.25, 1.5]))


def weight_for(m, dtype, device="cpu"):
    """The class weights in `dtype`; wick's on `device`, torch's on the CPU."""
    w = WEIGHT[m].to(getattr(m, dtype))
    return w.to(device) if m is wick else w


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 5, 3), (2, 5, 2, 3)], ids=str)
def test_nll_loss(shape, reduction, device):
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = class_targets(target_shape, 5, ignore=None, device=device)
    ti = class_targets(target_shape, 5, seed=1, ignore=-100, device=device)
    # PyTorch 1.13's nll_loss2d backward rejects non-contiguous 4-D inputs ("grad_input must be contiguous").
    layouts = ("contiguous",) if len(shape) == 4 else ("contiguous", "transposed", "stepped")
    check(lambda m, x: F(m).nll_loss(x, t[m], reduction=reduction), [shape], module=True, layouts=layouts,
          device=device)
    check(lambda m, x: F(m).nll_loss(x, ti[m], reduction=reduction), [shape], module=True, layouts=layouts,
          device=device)
    for dtype in ("float32", "float64"):
        check(lambda m, x: F(m).nll_loss(x, ti[m], weight=weight_for(m, dtype, device), reduction=reduction), [shape],
              module=True, dtypes=(dtype,), layouts=layouts, device=device)
        check(lambda m, x: F(m).nll_loss(x, t[m], weight_for(m, dtype, device), ignore_index=2, reduction=reduction),
              [shape], module=True, dtypes=(dtype,), layouts=layouts, device=device)


def test_nll_loss_edge_cases(device):
    x = np.random.default_rng(4).standard_normal((3, 4))
    for reduction in ["mean", "sum", "none"]:
        all_ignored = both(np.full(3, -100, dtype=np.int64), device=device)
        assert_same(wick._C.nll_loss(wick.tensor(x, device=device), all_ignored[wick], reduction=reduction),
                    TF.nll_loss(torch.tensor(x), all_ignored[torch], reduction=reduction), 0, 0)
        empty = both(np.zeros(0, dtype=np.int64), device=device)
        assert_same(wick._C.nll_loss(wick.zeros(0, 4, device=device), empty[wick], reduction=reduction),
                    TF.nll_loss(torch.zeros(0, 4), empty[torch], reduction=reduction), 0, 0)
    # Legacy size_average / reduce pick the reduction, with PyTorch's warning.
    t = class_targets((3,), 4, device=device)
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            got = wick._C.nll_loss(wick.tensor(x, device=device), t[wick], size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = TF.nll_loss(torch.tensor(x), t[torch], size_average=size_average, reduce=reduce)
        assert_same(got, want, 1e-12, 1e-12)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (2, 5, 3)], ids=str)
def test_cross_entropy_class_indices(shape, label_smoothing, device):
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = class_targets(target_shape, 5, device=device)
    ti = class_targets(target_shape, 5, seed=2, ignore=-100, device=device)
    for reduction in ["mean", "sum", "none"]:
        for dtype in ("float32", "float64"):
            kw = dict(reduction=reduction, label_smoothing=label_smoothing)
            check(lambda m, x: F(m).cross_entropy(x, ti[m], **kw), [shape], module=True, dtypes=(dtype,),
                  layouts=("contiguous", "transposed"), device=device)
            check(lambda m, x: F(m).cross_entropy(x, ti[m], weight=weight_for(m, dtype, device), **kw), [shape],
                  module=True, dtypes=(dtype,), layouts=("contiguous",), device=device)
            check(lambda m, x: F(m).cross_entropy(x, t[m], weight_for(m, dtype, device), None, 3, **kw), [shape],
                  module=True, dtypes=(dtype,), layouts=("stepped",), device=device)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 5, 3)], ids=str)
def test_cross_entropy_probabilities(shape, label_smoothing, device):
    for reduction in ["mean", "sum", "none"]:
        for dtype in ("float32", "float64"):
            kw = dict(reduction=reduction, label_smoothing=label_smoothing)
            # The target is a leaf too: its gradient is compared as well.
            check(lambda m, x, p: F(m).cross_entropy(x, p.softmax(1 if len(shape) > 1 else 0), **kw),
                  [shape, shape], module=True, dtypes=(dtype,), layouts=("contiguous", "stepped"), device=device)
            check(lambda m, x, p: F(m).cross_entropy(x, p, weight=weight_for(m, dtype, device), **kw), [shape, shape],
                  module=True, dtypes=(dtype,), layouts=("contiguous",), low=0.0, high=1.0, device=device)


def test_cross_entropy_grad_fn_and_zero_batch(device):
    x = wick.zeros(3, 4, device=device, requires_grad=True)
    loss = wick._C.cross_entropy(x, wick.tensor([0, 1, 2], device=device))
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    assert wick._C.nll_loss(wick.zeros(2, 3, 4, device=device, requires_grad=True),
                            wick.zeros(2, 4, dtype=wick.int64, device=device)).grad_fn.name() == "NllLoss2DBackward0"
    for target in [wick.zeros(0, dtype=wick.int64, device=device), wick.zeros(0, 4, device=device)]:
        w = wick._C.cross_entropy(wick.zeros(0, 4, device=device), target)
        t = TF.cross_entropy(torch.zeros(0, 4), torch.from_numpy(target.cpu().numpy()))
        assert_same(w, t, 0, 0)


def test_classification_loss_errors():
    x = wick.randn(3, 4)
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        wick._C.nll_loss(x, wick.tensor([0, 1, 5]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        wick._C.cross_entropy(x, wick.tensor([0, -1, 2]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        wick._C.nll_loss(x, wick.tensor([0, 1]))
    with pytest.raises(TypeError, match="int64"):
        wick._C.nll_loss(x, wick.tensor([0, 1, 2], dtype=wick.int32))
    with pytest.raises(ValueError, match="for all 4 classes"):
        wick._C.cross_entropy(x, wick.tensor([0, 1, 2]), weight=wick.ones(3))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        wick._C.cross_entropy(x, wick.tensor([0, 1, 2]), reduction="foo")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        wick._C.cross_entropy(x, wick.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="ignore_index is not supported for floating point target"):
        wick._C.cross_entropy(x, wick.rand(3, 4), ignore_index=1)
    with pytest.raises(TypeError, match="Expected floating point type for target with class probabilities"):
        wick._C.cross_entropy(x, wick.zeros(3, 4, dtype=wick.int64))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        wick._C.nll_loss(x, wick.tensor([0, 1, 2]), weight=wick.ones(4, requires_grad=True))
    with pytest.raises(ValueError, match="Expected 1 or more dimensions"):
        wick._C.nll_loss(wick.tensor(1.0), wick.tensor(0))


# ---- regression losses ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0})], ids=str)
def test_regression_losses(name, kw, reduction, device):
    fn = lambda m, x, y: getattr(F(m), name)(x, y, reduction=reduction, **kw)  # noqa: E731
    check(fn, [(3, 4), (3, 4)], module=True, low=-3, high=3, device=device)
    check(fn, [(2, 3, 4), (2, 3, 4)], module=True, low=-3, high=3, layouts=("contiguous",), device=device)
    check(fn, [(0, 4), (0, 4)], module=True, layouts=("contiguous",), device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn that the target broadcasts
        check(fn, [(3, 4), (4,)], module=True, low=-3, high=3, layouts=("contiguous",), device=device)


def test_regression_loss_details():
    x, y = wick.zeros(2, 3, requires_grad=True), wick.ones(2, 3, requires_grad=True)
    assert wick._C.mse_loss(x, y).grad_fn.name() == "MseLossBackward0"
    assert wick._C.smooth_l1_loss(x, y, reduction="none").grad_fn.name() == "SmoothL1LossBackward0"
    assert wick._C.l1_loss(x, y).grad_fn.name() == "MeanBackward0"
    assert wick._C.mse_loss(wick.zeros(3), wick.zeros(3, dtype=wick.float64)).dtype == wick.float64
    with pytest.warns(UserWarning, match="Using a target size"):
        wick._C.mse_loss(wick.zeros(2, 3), wick.zeros(3))
    with pytest.raises(ValueError, match="does not support negative values for beta"):
        wick._C.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(TypeError, match="floating point"):
        wick._C.mse_loss(wick.arange(3), wick.arange(3))
    with pytest.raises(ValueError), pytest.warns(UserWarning):
        wick._C.l1_loss(wick.zeros(2, 3), wick.zeros(4))


# ---- binary cross entropy ---------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction, device):
    fn = lambda m, x, y: F(m).binary_cross_entropy(x, y, reduction=reduction)  # noqa: E731
    check(fn, [(3, 4), (3, 4)], module=True, low=0.05, high=0.95, device=device)
    check(fn, [(0, 2), (0, 2)], module=True, layouts=("contiguous",), device=device)
    w = both(np.random.default_rng(5).uniform(0, 2, (4,)), device=device)
    for dtype in ("float32", "float64"):
        check(lambda m, x, y: F(m).binary_cross_entropy(x, y, w[m].to(getattr(m, dtype)), reduction=reduction),
              [(3, 4), (3, 4)], module=True, low=0.05, high=0.95, dtypes=(dtype,), device=device)
    # The -100 clamp of the log terms.
    x, y = both([0.0, 1.0, 0.5], device=device), both([1.0, 0.0, 1.0], device=device)
    assert_same(wick._C.binary_cross_entropy(x[wick], y[wick], reduction=reduction),
                TF.binary_cross_entropy(x[torch], y[torch], reduction=reduction), 1e-12, 1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction, device):
    rng = np.random.default_rng(6)
    w, pw = both(rng.uniform(0, 2, (4,)), device=device), both(rng.uniform(0.5, 3, (4,)), device=device)
    for dtype in ("float32", "float64"):
        cast = lambda m, t: t[m].to(getattr(m, dtype))  # noqa: E731
        check(lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y, reduction=reduction), [(3, 4), (3, 4)],
              module=True, low=-4, high=4, dtypes=(dtype,), device=device)
        check(lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y.sigmoid(), cast(m, w), reduction=reduction,
                                                                    pos_weight=cast(m, pw)),
              [(2, 3, 4), (2, 3, 4)], module=True, low=-4, high=4, dtypes=(dtype,), layouts=("contiguous", "stepped"),
              device=device)
    # Large logits neither overflow nor lose the loss.
    x, y = both([100.0, -100.0, 30.0], device=device), both([0.0, 1.0, 0.5], device=device)
    assert_same(wick._C.binary_cross_entropy_with_logits(x[wick], y[wick], reduction=reduction),
                TF.binary_cross_entropy_with_logits(x[torch], y[torch], reduction=reduction), 1e-12, 1e-12)


def test_binary_cross_entropy_errors():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        wick._C.binary_cross_entropy(wick.tensor([1.5]), wick.tensor([1.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        wick._C.binary_cross_entropy(wick.rand(3, 4), wick.rand(4))
    with pytest.raises(ValueError, match="must be the same as input size"):
        wick._C.binary_cross_entropy_with_logits(wick.rand(3, 4), wick.rand(4))
    with pytest.raises(TypeError):
        wick._C.binary_cross_entropy(wick.rand(3), wick.rand(3, dtype=wick.float64))
    with pytest.raises(RuntimeError, match="argument 'pos_weight'"):
        wick._C.binary_cross_entropy_with_logits(wick.rand(3), wick.rand(3), pos_weight=wick.ones(3, requires_grad=True))
    assert wick._C.binary_cross_entropy(wick.rand(3, requires_grad=True), wick.rand(3)).grad_fn.name() == \
        "BinaryCrossEntropyBackward0"


# ---- dropout ------------------------------------------------------------------------------------------


def test_dropout_statistics_and_scale():
    wick.manual_seed(0)
    x = wick.rand(100, 200) + 1.0
    for p in [0.1, 0.5, 0.8]:
        y = wick._C.dropout(x, p).numpy()
        kept = y != 0
        # 20000 draws: within 4 standard deviations of the expected fraction.
        assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / kept.size)
        np.testing.assert_allclose(y[kept], x.numpy()[kept] / (1 - p), rtol=1e-6)
    wick.manual_seed(3)
    a = wick.dropout(x, 0.5)
    wick.manual_seed(3)
    assert wick.equal(a, wick.dropout(x, 0.5, True))
    assert not wick.equal(a, wick.dropout(x, 0.5, train=True))  # torch.dropout's keyword


def test_dropout_gradient_and_forms():
    x = wick.rand(4, 5, dtype=wick.float64, requires_grad=True)
    y = wick._C.dropout(x, 0.25, training=True)
    assert y.grad_fn.name() == "MulBackward0"
    (y * 3).sum().backward()
    expected = np.where(y.detach().numpy() == 0, 0.0, 3 / 0.75)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    # The identity cases return the input object itself, as PyTorch does.
    assert wick._C.dropout(x, 0.0) is x
    assert wick._C.dropout(x, 0.5, training=False) is x
    assert wick._C.dropout(x, 0.5, False, True) is x
    z = wick._C.dropout(x, 1.0)
    assert z.grad_fn.name() == "MulBackward0" and not z.detach().numpy().any()
    # In place: the same object comes back, recorded as MulBackward0.
    h = x * 1.0
    assert wick._C.dropout(h, 0.5, inplace=True) is h
    assert h.grad_fn.name() == "MulBackward0"
    v = wick.ones(3, 4)
    assert wick.dropout_(v, 0.5, True) is v
    assert set(np.unique(v.numpy())) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        wick._C.dropout(x, 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        wick._C.dropout(x, -0.5, inplace=True)
    with pytest.raises(TypeError, match="floating point"):
        wick._C.dropout(wick.arange(4), 0.5)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        wick._C.dropout(x, 0.5, inplace=True)


# ---- linear / bilinear --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 3, 4), (2, 1, 3, 4), (0, 4)], ids=str)
def test_linear(shape, device):
    check(lambda m, x, w, b: F(m).linear(x, w, b), [shape, (5, 4), (5,)], module=True, device=device)
    check(lambda m, x, w: F(m).linear(x, w), [shape, (5, 4)], module=True, device=device)
    check(lambda m, x, w, b: F(m).linear(x, w, bias=b), [shape, (5, 4), (5,)], module=True,
          layouts=("contiguous",), dtypes=("float64",), device=device)


def test_linear_grad_fn_names_match_torch(device):
    for shape, bias in [((3, 4), True), ((3, 4), False), ((2, 3, 4), True), ((4,), True)]:
        names = []
        for m in (wick, torch):
            on = device if m is wick else "cpu"
            x = m.ones(*shape, device=on, requires_grad=True)
            w = m.ones(5, 4, device=on, requires_grad=True)
            b = m.ones(5, device=on, requires_grad=True) if bias else None
            names.append(F(m).linear(x, w, b).grad_fn.name())
        assert names[0] == names[1], (shape, bias, names)
    with pytest.raises(ValueError, match="in_features"):
        wick._C.linear(wick.ones(3, 4), wick.ones(5, 3))


@pytest.mark.parametrize("shape1,shape2", [((3, 2), (3, 4)), ((2, 3, 2), (2, 3, 4)), ((2,), (4,))], ids=str)
def test_bilinear(shape1, shape2, device):
    check(lambda m, a, b, w, bias: F(m).bilinear(a, b, w, bias), [shape1, shape2, (5, 2, 4), (5,)], module=True,
          device=device)
    check(lambda m, a, b, w: F(m).bilinear(a, b, w), [shape1, shape2, (1, 2, 4)], module=True,
          layouts=("contiguous",), device=device)


# ---- pad ------------------------------------------------------------------------------------------------

PAD_CASES = [
    ("constant", (2, 3, 4), (1, 2)),
    ("constant", (2, 3, 4), (-1, 2, 0, 1, 1, 1)),
    ("constant", (5,), (2, -1)),
    ("reflect", (2, 3, 4), (2, 3)),
    ("reflect", (2, 3, 4, 5), (1, -1, 2, 3)),
    ("reflect", (3, 4, 5), (1, 2, 3, 0)),
    ("reflect", (1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
    ("replicate", (2, 3, 4), (3, 1)),
    ("replicate", (2, 3, 4, 5), (2, 0, -1, 3)),
    ("replicate", (2, 3, 3, 4), (1, 1, 2, 2, 1, 0)),
    ("circular", (2, 3, 4), (3, -1)),
    ("circular", (2, 3, 4), (-1, 2)),
    ("circular", (2, 3, 4, 5), (1, 2, 3, 0)),
    ("circular", (1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
]


@pytest.mark.parametrize("mode,shape,pad", PAD_CASES, ids=str)
def test_pad(mode, shape, pad, device):
    check(lambda m, x: F(m).pad(x, pad, mode=mode), [shape], module=True, device=device)


def test_pad_values_and_names(device):
    check(lambda m, x: F(m).pad(x, (1, 1, 2, 0), value=3.5), [(2, 3)], module=True, device=device)
    t = both(np.arange(6).reshape(2, 3), device=device)
    assert_same(wick._C.pad(t[wick], [1, 0, 0, 1], "constant", 2), TF.pad(t[torch], [1, 0, 0, 1], "constant", 2), 0, 0)
    assert_same(wick._C.pad(t[wick][None], (1, 1), "circular"), TF.pad(t[torch][None], (1, 1), "circular"), 0, 0)
    x = wick.ones(2, 3, 4, device=device, requires_grad=True)
    assert wick._C.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert wick._C.pad(x, (1, 1), "reflect").grad_fn.name() == "ReflectionPad1DBackward0"
    assert wick._C.pad(x, (1, 1, 1, 1), "replicate").grad_fn.name() == "ReplicationPad2DBackward0"
    # Second derivatives of a reflection pad against PyTorch's.
    data = np.random.default_rng(7).standard_normal((1, 3, 4))
    results = []
    for m in (wick, torch):
        v = m.tensor(data, device=device if m is wick else "cpu", requires_grad=True)
        (g,) = m.autograd.grad((F(m).pad(v, (2, 1), mode="reflect") ** 3).sum(), v, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), v)
        results.append(gg)
    assert_same(results[0], results[1], 1e-10, 1e-12)


def test_pad_errors():
    x = wick.ones(2, 3, 4)
    with pytest.raises(ValueError, match="Padding length must be divisible by 2"):
        wick._C.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="Padding length too large"):
        wick._C.pad(x, (1,) * 8)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        wick._C.pad(x, (1, 1), mode="foo")
    with pytest.raises(ValueError, match="Padding size should be less than the corresponding input dimension"):
        wick._C.pad(x, (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="wrapping around more than once"):
        wick._C.pad(x, (5, 0), mode="circular")
    with pytest.raises(ValueError, match="doesn't take in value argument"):
        wick._C.pad(x, (1, 1), mode="replicate", value=2.0)
    with pytest.raises(NotImplementedError):
        wick._C.pad(wick.ones(4), (1, 1), mode="reflect")
    with pytest.raises(TypeError):
        wick._C.pad(x, (1.5, 1))


# ---- interpolate ----------------------------------------------------------------------------------------

INTERP_CASES = [
    ((2, 3, 5), dict(size=7)),
    ((2, 3, 5), dict(size=(3,))),
    ((2, 3, 5), dict(scale_factor=2.5)),
    ((2, 3, 5), dict(size=8, mode="linear")),
    ((2, 3, 5), dict(scale_factor=0.7, mode="linear", align_corners=True)),
    ((1, 2, 4, 5), dict(size=(6, 7))),
    ((1, 2, 4, 5), dict(scale_factor=2)),
    ((1, 2, 4, 5), dict(scale_factor=(1.5, 0.7))),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="nearest-exact")),
    ((1, 2, 4, 5), dict(size=(6, 7), mode="bilinear")),
    ((1, 2, 4, 5), dict(size=(3, 9), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((1, 2, 4, 5), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 4, 5), dict(size=4, mode="bilinear")),
    ((1, 1, 2, 3, 4), dict(size=(3, 4, 5))),
    ((1, 1, 2, 3, 4), dict(scale_factor=(2, 1.5, 0.5), mode="trilinear")),
    ((1, 1, 2, 3, 4), dict(size=(4, 2, 5), mode="trilinear", align_corners=True)),
    ((0, 2, 4, 5), dict(size=(6, 7), mode="bilinear")),
]


@pytest.mark.parametrize("shape,kw", INTERP_CASES, ids=str)
def test_interpolate(shape, kw, device):
    check(lambda m, x: F(m).interpolate(x, **kw), [shape], module=True, device=device)


def test_interpolate_names_and_errors():
    x = wick.ones(1, 1, 2, 2, requires_grad=True)
    assert wick._C.interpolate(x, size=4).grad_fn.name() == "UpsampleNearest2DBackward1"
    assert wick._C.interpolate(x, size=4, mode="bilinear").grad_fn.name() == "UpsampleBilinear2DBackward1"
    y = wick.ones(2, 3, 4, 5)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        wick._C.interpolate(y, size=(6, 7), scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        wick._C.interpolate(y)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        wick._C.interpolate(y, size=(6, 7), align_corners=True)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        wick._C.interpolate(y, size=(6, 7, 8))
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        wick._C.interpolate(y, scale_factor=(2.0,))
    with pytest.raises(ValueError, match="greater than 0"):
        wick._C.interpolate(y, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        wick._C.interpolate(wick.ones(2, 3, 5), size=7, mode="bilinear")
    with pytest.raises(NotImplementedError, match="bicubic"):
        wick._C.interpolate(y, size=(6, 7), mode="bicubic")
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        wick._C.interpolate(y, size=(6, 7), recompute_scale_factor=True)
    with pytest.raises(TypeError, match="floating point"):
        wick._C.interpolate(wick.ones(1, 1, 2, 2, dtype=wick.int64), size=4)
