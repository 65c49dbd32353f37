"""The activations and dropouts of wick.nn.functional (wick/nn/_functional/activation.py) and their modules
(wick/nn/modules/activation.py, dropout.py) against PyTorch: values and gradients on random inputs of several
shapes, float32 and float64, contiguous and strided; gradients exactly at the kinks; the in-place forms;
module reprs, parameters and state dicts; and the errors. The random ones (rrelu in training, the dropouts,
gumbel_softmax) are checked by their statistics and structure, not against PyTorch's random stream."""
import math
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.nn as nn
import wick.nn.functional as F
from helpers import assert_same, check

SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 5)]

# (name, keyword arguments, input range): functions of one tensor with the same signature in both libraries.
UNARY = [
    ("celu", {}, 2), ("celu", {"alpha": 0.5}, 2), ("celu", {"alpha": -1.5}, 2), ("selu", {}, 3),
    ("hardshrink", {}, 2), ("hardshrink", {"lambd": 1.2}, 2), ("softshrink", {}, 2),
    ("softshrink", {"lambd": 0.0}, 2), ("tanhshrink", {}, 3), ("threshold", {"threshold": 0.3, "value": -2.0}, 2),
    ("hardsigmoid", {}, 5), ("hardswish", {}, 5), ("mish", {}, 25), ("rrelu", {}, 2),
    ("rrelu", {"lower": 0.2, "upper": 0.6, "training": False}, 2), ("glu", {}, 2), ("glu", {"dim": 0}, 2),
    ("hardtanh", {"min_val": -0.5, "max_val": 1.5}, 2), ("relu6", {}, 8), ("elu", {"alpha": 0.5}, 2),
]
# The ones with an inplace= argument, and their trailing-underscore forms.
INPLACE = [
    ("celu", {"alpha": 0.5}), ("selu", {}), ("elu", {"alpha": 1.3}), ("threshold", {"threshold": 0.1, "value": 5.0}),
    ("hardsigmoid", {}), ("hardswish", {}), ("mish", {}), ("rrelu", {"lower": 0.1, "upper": 0.3}),
    ("hardtanh", {"min_val": -0.2, "max_val": 0.4}), ("relu6", {}),
]
UNDERSCORE = [
    ("celu_", {"alpha": 2.0}), ("selu_", {}), ("elu_", {"alpha": 0.5}),
    ("threshold_", {"threshold": -0.2, "value": 1.0}), ("hardtanh_", {"min_val": -0.3, "max_val": 0.3}), ("rrelu_", {}),
]


def tensors(data, device, dtype="float64"):
    """The same data as a wick leaf on `device` and a torch leaf, both requiring grad."""
    data = np.asarray(data, dtype=dtype)
    return (wick.tensor(data, device=device, requires_grad=True), torch.tensor(data, requires_grad=True))


def glu_shape(name, kwargs, shape):
    """glu halves a dimension: make it even (and skip 0-dim inputs)."""
    if name != "glu" or not shape:
        return shape
    dim = kwargs.get("dim", -1)
    shape = list(shape)
    shape[dim] = 2 * max(shape[dim], 1) if shape[dim] else 0
    return tuple(shape)


# ---- deterministic functions against PyTorch ------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,kwargs,scale", UNARY, ids=lambda v: str(v))
def test_functional_matches_torch(name, kwargs, scale, shape, device):
    if name == "glu" and shape == ():
        pytest.skip("glu takes no 0-dim input (tested in test_errors)")
    shape = glu_shape(name, kwargs, shape)
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, whatever the dtype.
    rtol = 1e-7 if name == "hardsigmoid" else None
    check(lambda m, x: getattr(m.nn.functional, name)(x, **kwargs), [shape], module=True, low=-scale, high=scale,
          rtol=rtol, device=device)


@pytest.mark.parametrize("shapes", [[(2, 3, 4), (3,)], [(2, 3), (1,)], [(5,), (1,)], [(), (1,)], [(4, 2, 3), ()],
                                    [(0, 3), (3,)]], ids=str)
def test_prelu_matches_torch(shapes, device):
    check(lambda m, x, w: m.nn.functional.prelu(x, w), shapes, module=True, device=device)


def test_softmin_and_log_sigmoid_modules_match_torch(device):
    check(lambda m, x: m.nn.Softmin(dim=1)(x), [(3, 5)], module=True, device=device)
    check(lambda m, x: m.nn.Softmax2d()(x), [(2, 3, 4, 5)], module=True, device=device)
    check(lambda m, x: m.nn.Softmax2d()(x), [(3, 2, 2)], module=True, device=device)
    check(lambda m, x: m.nn.LogSigmoid()(x), [(3, 5)], module=True, device=device)


# ---- gradients at the kinks: PyTorch's convention ----------------------------------------------------------

KINKS = [
    ("hardtanh", {"min_val": -1.0, "max_val": 2.0}, [-1.0, 2.0, -1.5, 0.0, 2.5]),
    ("relu6", {}, [0.0, 6.0, -1.0, 3.0, 7.0]),
    ("hardswish", {}, [-3.0, 3.0, -4.0, 0.0, 4.0]),
    ("hardsigmoid", {}, [-3.0, 3.0, -4.0, 0.0, 4.0]),
    ("threshold", {"threshold": 0.5, "value": 9.0}, [0.5, 0.4, 0.6]),
    ("hardshrink", {"lambd": 0.5}, [-0.5, 0.5, 0.0, 0.7]),
    ("softshrink", {"lambd": 0.5}, [-0.5, 0.5, 0.0, 0.7]),
    ("softshrink", {"lambd": 0.0}, [0.0, -1.0, 1.0]),
    ("celu", {"alpha": 0.5}, [0.0, -1.0, 1.0]),
    ("elu", {"alpha": 2.0}, [0.0, -1.0, 1.0]),
    ("selu", {}, [0.0, -1.0, 1.0]),
    ("rrelu", {"lower": 0.1, "upper": 0.5}, [0.0, -1.0, 1.0]),
    ("mish", {}, [0.0, 20.0, 20.5, -20.0, -30.0]),
]


@pytest.mark.parametrize("name,kwargs,points", KINKS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_at_kinks_matches_torch(name, kwargs, points, dtype, device):
    w_x, t_x = tensors(points, device, dtype)
    w_y = getattr(F, name)(w_x, **kwargs)
    t_y = getattr(torch.nn.functional, name)(t_x, **kwargs)
    assert_same(w_y, t_y, 1e-6, 1e-7)
    w_y.sum().backward()
    t_y.sum().backward()
    assert_same(w_x.grad, t_x.grad, 1e-6, 1e-7, "gradient")


def test_celu_gradient_is_exact():
    # PyTorch rounds 1 / alpha to float32 in celu's backward (relative error 1e-7); wick's gradient is
    # exp(x / alpha) to within an ulp of 1 (expm1's backward is its result + 1).
    data = np.array([-10.0, -5.0, -1.0, -0.1, 0.0, 0.5])
    x = wick.tensor(data, requires_grad=True)
    F.celu(x, 0.6).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(data > 0, 1.0, np.exp(data / 0.6)), rtol=1e-15, atol=1e-15)
    t = torch.tensor(data, requires_grad=True)
    torch.celu(t, 0.6).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_kink_gradients_by_hand():
    # The conventions the two tests above take from PyTorch, written out.
    x = wick.tensor([-3.0, 3.0], requires_grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.tolist() == [-0.5, 1.5]
    x = wick.tensor([-3.0, 3.0, 0.0], requires_grad=True)
    F.hardsigmoid(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([0.0, 0.0, 1 / 6])
    x = wick.tensor([0.0], dtype=wick.float64, requires_grad=True)
    F.selu(x).backward()
    assert x.grad.item() == pytest.approx(1.0507009873554805 * 1.6732632423543772)


def test_nan_and_infinity_propagate_like_torch():
    data = [float("nan"), float("inf"), -float("inf"), 0.0]
    for name, kwargs in [("celu", {}), ("selu", {}), ("hardshrink", {}), ("tanhshrink", {}),
                         ("threshold", {"threshold": 0.0, "value": 3.0}), ("hardsigmoid", {}), ("hardswish", {}),
                         ("elu", {})]:
        w = getattr(F, name)(wick.tensor(data), **kwargs)
        t = getattr(torch.nn.functional, name)(torch.tensor(data), **kwargs)
        assert_same(w, t, 0, 0, name)
    # PyTorch 2's softshrink propagates NaN (1.13's gave 0).
    assert_same(F.softshrink(wick.tensor(data)), torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0]), 0, 0)


def test_threshold_of_integers_truncates_like_torch():
    data = np.array([-3, -2, -1, 0, 1, 2, 3])
    for th, value in [(1.5, 0.5), (-1.5, 7.9), (0, -4)]:
        assert_same(F.threshold(wick.tensor(data), th, value), torch.threshold(torch.tensor(data), th, value), 0, 0)
        w, t = wick.tensor(data), torch.tensor(data)
        assert F.threshold_(w, th, value) is w
        torch.threshold_(t, th, value)
        assert_same(w, t, 0, 0)


# ---- in place ----------------------------------------------------------------------------------------------

def _inplace_pair(device, shape=(3, 4), seed=1):
    rng = np.random.default_rng(seed)
    w_x, t_x = tensors(rng.standard_normal(shape) * 4, device)
    return w_x, t_x, w_x * 1, t_x * 1


@pytest.mark.parametrize("name,kwargs", INPLACE, ids=lambda v: str(v))
def test_inplace_argument_matches_torch(name, kwargs, device):
    w_x, t_x, w_h, t_h = _inplace_pair(device)
    w_y = getattr(F, name)(w_h, inplace=True, **kwargs)
    t_y = getattr(torch.nn.functional, name)(t_h, inplace=True, **kwargs)
    assert w_y is w_h
    assert_same(w_h, t_h, 1e-12, 1e-12)
    g = np.random.default_rng(2).standard_normal((3, 4))
    (w_y * wick.tensor(g, device=device)).sum().backward()
    (t_y * torch.tensor(g)).sum().backward()
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32.
    tol = 1e-7 if name == "hardsigmoid" else 1e-12
    assert_same(w_x.grad, t_x.grad, tol, 1e-12, "gradient")
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(w_x, inplace=True, **kwargs)


@pytest.mark.parametrize("name,kwargs", UNDERSCORE, ids=lambda v: str(v))
def test_underscore_forms_match_torch(name, kwargs, device):
    w_x, t_x, w_h, t_h = _inplace_pair(device)
    torch_fn = getattr(torch.nn.functional, name, None) or getattr(torch, name)
    assert getattr(F, name)(w_h, **kwargs) is w_h
    torch_fn(t_h, **kwargs)
    assert_same(w_h, t_h, 1e-12, 1e-12)
    w_h.sum().backward()
    t_h.sum().backward()
    assert_same(w_x.grad, t_x.grad, 1e-12, 1e-12, "gradient")


def test_inplace_without_autograd_changes_the_tensor():
    x = wick.tensor([-4.0, -1.5, 0.0, 3.5])
    y = F.hardsigmoid(x, inplace=True)
    assert y is x and x.tolist() == pytest.approx([0.0, 0.25, 0.5, 1.0])
    x = wick.tensor([-1.0, 1.0])
    assert F.celu(x, alpha=2.0, inplace=True) is x
    assert x.tolist() == pytest.approx([2 * (math.exp(-0.5) - 1), 1.0])


# ---- rrelu in training --------------------------------------------------------------------------------------

def test_rrelu_training_statistics_and_gradient(device):
    wick.manual_seed(0)
    lower, upper = 0.1, 0.4
    data = np.concatenate([-np.linspace(0.5, 3.0, 20000), np.linspace(0.5, 3.0, 100), [0.0]])
    x = wick.tensor(data, device=device, requires_grad=True)
    y = F.rrelu(x, lower, upper, training=True)
    y.sum().backward()
    grad = x.grad.cpu().numpy()
    slopes = y.detach().cpu().numpy()[:20000] / data[:20000]
    np.testing.assert_allclose(grad[:20000], slopes, rtol=1e-12)  # the gradient is the slope drawn
    assert lower <= slopes.min() and slopes.max() <= upper
    # A uniform slope: mean (l + u) / 2, standard deviation (u - l) / sqrt(12); 4 standard errors.
    assert abs(slopes.mean() - (lower + upper) / 2) < 4 * (upper - lower) / math.sqrt(12 * 20000)
    assert abs(slopes.std() - (upper - lower) / math.sqrt(12)) < 0.01
    assert np.array_equal(y.detach().cpu().numpy()[20000:-1], data[20000:-1])
    assert (grad[20000:-1] == 1).all()
    assert lower <= grad[-1] <= upper  # at x = 0, as PyTorch's (x <= 0 draws a slope)
    wick.manual_seed(3)
    a = F.rrelu(x, training=True)
    wick.manual_seed(3)
    assert wick.equal(a, nn.RReLU()(x))
    h = x.detach().clone()
    assert F.rrelu_(h, lower, upper, training=True) is h and (h.cpu().numpy()[:20000] < 0).all()


# ---- dropouts -----------------------------------------------------------------------------------------------

def _channel_values(y, x, channel_dims):
    """Each channel's ratio y / x, checked constant over the channel; returns them."""
    ratio = (y / x).detach().cpu().numpy()
    flat = ratio.reshape(ratio.shape[:channel_dims] + (-1,))
    assert np.allclose(flat, flat[..., :1], rtol=1e-12, atol=0), "a channel was not dropped or kept whole"
    return flat[..., 0]


@pytest.mark.parametrize("fn,shape,channel_dims", [
    (F.dropout1d, (40, 50, 6), 2), (F.dropout1d, (400, 6), 1), (F.dropout2d, (40, 50, 3, 2), 2),
    (F.dropout3d, (40, 50, 2, 3, 2), 2), (F.dropout3d, (400, 2, 2, 3), 1), (F.feature_alpha_dropout, (40, 50, 4), 2),
], ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("p", [0.2, 0.7])
def test_feature_dropouts_drop_whole_channels(fn, shape, channel_dims, p, device):
    wick.manual_seed(0)
    x = (wick.rand(shape, dtype=wick.float64) + 1).to(device).requires_grad_()
    y = fn(x, p, training=True)
    assert y.shape == x.shape and y.device.type == device
    if fn is F.feature_alpha_dropout:
        saturation = 1.7580993408473766
        a = 1 / math.sqrt((saturation ** 2 * p + 1) * (1 - p))
        out = y.detach().cpu().numpy().reshape(shape[:channel_dims] + (-1,))
        inp = x.detach().cpu().numpy().reshape(out.shape)
        kept = np.isclose(out, a * inp + a * saturation * p, rtol=1e-12, atol=1e-15).all(-1)
        dropped = np.isclose(out, a * saturation * (p - 1), rtol=1e-12, atol=0).all(-1)
        assert (kept ^ dropped).all(), "a channel was not dropped or kept whole"
        scale = a
    else:
        ratios = _channel_values(y.detach(), x.detach(), channel_dims)
        kept = ratios != 0
        np.testing.assert_allclose(ratios[kept], 1 / (1 - p), rtol=1e-12)
        scale = 1 / (1 - p)
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / kept.size)
    g = wick.randn(shape, dtype=wick.float64, device=device)
    (y * g).sum().backward()
    expected = g.cpu().numpy() * scale * np.broadcast_to(kept.reshape(kept.shape + (1,) * (len(shape) - channel_dims)),
                                                          shape)
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-12)  # the gradient is the mask


@pytest.mark.parametrize("fn", [F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout],
                         ids=lambda f: f.__name__)
def test_dropout_identity_cases_and_in_place(fn):
    shape = {F.dropout1d: (2, 3, 4), F.dropout3d: (2, 3, 2, 2, 2)}.get(fn, (2, 3, 4, 5))
    x = wick.rand(shape, requires_grad=True)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0, training=True) is x
    empty = wick.rand((0,) + shape[1:])
    assert fn(empty, 0.5, training=True) is empty
    assert not fn(x, 1.0, training=True).detach().numpy().any()  # p = 1: all zeros, as PyTorch's
    h = x * 1
    wick.manual_seed(5)
    y = fn(h, 0.4, training=True, inplace=True)
    assert y is h
    wick.manual_seed(5)
    np.testing.assert_allclose(y.detach().numpy(), fn(x, 0.4, training=True).detach().numpy(), rtol=1e-6,
                               atol=1e-6)  # the same draws in place and out of place
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        fn(x, 1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        fn(x, -0.1, training=False)
    integers = wick.ones(shape, dtype=wick.int64)
    assert fn(integers, 0.5, training=False) is integers  # the identity takes any dtype, as PyTorch's
    with pytest.raises(TypeError, match=f"{fn.__name__}: expected a floating point input, got wick.int64"):
        fn(integers, 0.5, training=True)


def test_alpha_dropout_keeps_mean_and_variance(device):
    wick.manual_seed(1)
    x = wick.randn(200000, dtype=wick.float64, device=device, requires_grad=True)
    p = 0.3
    y = F.alpha_dropout(x, p, training=True)
    out = y.detach().cpu().numpy()
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.02
    saturation = 1.7580993408473766
    a = 1 / math.sqrt((saturation ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(out, a * saturation * (p - 1), rtol=1e-12)
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x.detach().cpu().numpy()[~dropped] + a * saturation * p, rtol=1e-12,
                               atol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(dropped, 0.0, a), rtol=1e-12)


def test_dropout_shape_rules_and_warnings():
    x = wick.ones(4, 5, 6)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(wick.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="received a 1D input"):
        F.dropout1d(wick.ones(3), training=False)
    # dropout2d reads a 3-D input as [N, C, L] (channels on dim 1), as PyTorch does, with its warning.
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and assuming"):
        y = F.dropout2d(wick.ones(40, 50, 6))
    _channel_values(y, wick.ones(40, 50, 6), 2)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d and assuming"):
        nn.Dropout2d().eval()(wick.ones(2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d, which is deprecated"):
        F.dropout2d(wick.ones(4, 5))
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d, which is deprecated"):
        y = F.dropout3d(wick.ones(400, 2, 3))  # read as unbatched [C, H, W]
    _channel_values(y, wick.ones(400, 2, 3), 1)
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(wick.ones(5), 0.5, training=True)
    with pytest.warns(UserWarning, match="1-D input to dropout2d"):
        with pytest.raises(RuntimeError, match="at least 2 dimensions"):
            F.dropout2d(wick.ones(5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.dropout2d(x.unsqueeze(0))
        F.dropout3d(x.unsqueeze(0))
        F.dropout1d(x)


# ---- gumbel_softmax -----------------------------------------------------------------------------------------

def test_gumbel_softmax_samples_the_categorical(device):
    wick.manual_seed(0)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    logits = wick.tensor(np.log(probs), device=device).expand(20000, 4)
    y = F.gumbel_softmax(logits, tau=0.5)
    assert y.shape == (20000, 4) and y.device.type == device
    out = y.cpu().numpy()
    np.testing.assert_allclose(out.sum(1), 1, rtol=1e-5)
    assert (out > 0).all()
    # Gumbel-max: the argmax of logits + g follows softmax(logits), whatever tau.
    counts = np.bincount(out.argmax(1), minlength=4) / 20000
    assert np.abs(counts - probs).max() < 4 * math.sqrt(0.25 / 20000)
    # A lower temperature gives sharper samples.
    wick.manual_seed(0)
    sharp = F.gumbel_softmax(logits, tau=0.1).cpu().numpy().max(1).mean()
    assert sharp > out.max(1).mean()


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    logits = wick.randn(6, 5, dtype=wick.float64, requires_grad=True)
    g = wick.randn(6, 5, dtype=wick.float64)
    for dim in (-1, 0):
        wick.manual_seed(7)
        soft = F.gumbel_softmax(logits, tau=0.8, dim=dim)
        (soft * g).sum().backward()
        soft_grad = logits.grad.clone()
        logits.grad = None
        wick.manual_seed(7)
        hard = F.gumbel_softmax(logits, tau=0.8, hard=True, dim=dim)
        (hard * g).sum().backward()
        expected = (soft.detach().numpy() == soft.detach().numpy().max(dim, keepdims=True)).astype(float)
        assert np.array_equal(hard.detach().numpy(), expected)
        np.testing.assert_allclose(logits.grad.numpy(), soft_grad.numpy(), rtol=1e-12)
        logits.grad = None
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


# ---- errors -------------------------------------------------------------------------------------------------

def test_errors():
    x = wick.randn(3, 4)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(wick.tensor(1.0))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 0 is size 3"):
        F.glu(x, 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.glu(x, 2)
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0, but found to be -0.5"):
        F.softshrink(x, -0.5)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(x, 0.5, 0.1)
    with pytest.raises(ValueError, match="Mismatch of parameter numbers and input channel size"):
        F.prelu(x, wick.ones(3))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        nn.Softmax2d()(x)
    with pytest.raises(ValueError, match=r"max_val \(1.0\) must be greater than min_val \(2.0\)"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 2"):
        nn.Dropout2d(2)
    for name in ["celu", "selu", "softshrink", "hardsigmoid", "hardswish", "mish", "glu", "rrelu"]:
        with pytest.raises(RuntimeError, match="not implemented for dtype int64"):
            getattr(F, name)(wick.arange(4))


# ---- modules ------------------------------------------------------------------------------------------------

MODULES = [
    ("CELU", dict(alpha=0.75)), ("CELU", dict(inplace=True)), ("ELU", dict(alpha=1.5)), ("GLU", dict(dim=1)),
    ("Hardshrink", dict(lambd=0.3)), ("Hardsigmoid", dict()), ("Hardswish", dict(inplace=True)),
    ("Hardtanh", dict(min_val=-2.0, max_val=0.5)), ("Hardtanh", dict(inplace=True)), ("LogSigmoid", dict()),
    ("Mish", dict()), ("PReLU", dict(num_parameters=4, init=0.1)), ("PReLU", dict()), ("RReLU", dict(lower=0.2)),
    ("RReLU", dict(inplace=True)), ("ReLU6", dict(inplace=True)), ("ReLU6", dict()), ("SELU", dict(inplace=True)),
    ("SELU", dict()), ("Softmax2d", dict()), ("Softmin", dict(dim=-1)), ("Softmin", dict(dim=1)),
    ("Softshrink", dict(lambd=1.0)), ("Softsign", dict()), ("Tanhshrink", dict()),
    ("Threshold", dict(threshold=0.2, value=-1.0)), ("Threshold", dict(threshold=0.2, value=-1.0, inplace=True)),
]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=lambda v: str(v))
def test_module_matches_torch(name, kwargs, device):
    w_m, t_m = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(w_m) == repr(t_m)
    assert list(w_m.state_dict()) == list(t_m.state_dict())
    for (w_name, w_p), (t_name, t_p) in zip(w_m.named_parameters(), t_m.named_parameters()):
        assert w_name == t_name
        assert_same(w_p, t_p, 0, 0)  # the same initialisation
    # Then the same random weights, copied from PyTorch's module.
    with torch.no_grad():
        for t_p in t_m.parameters():
            t_p.uniform_(-1, 1)
    w_m.load_state_dict({k: wick.tensor(v.numpy()) for k, v in t_m.state_dict().items()})
    w_m.to(device).double().eval()
    t_m.double().eval()  # rrelu in eval mode: the fixed slope
    rng = np.random.default_rng(0)
    w_x, t_x = tensors(rng.standard_normal((3, 4, 2, 2)) * 4, device)
    # An inplace module must not write into a leaf: feed both a copy.
    w_y, t_y = w_m(w_x * 1), t_m(t_x * 1)
    assert_same(w_y, t_y, 1e-12, 1e-12)
    g = rng.standard_normal(tuple(t_y.shape))
    (w_y * wick.tensor(g, device=device)).sum().backward()
    (t_y * torch.tensor(g)).sum().backward()
    tol = 1e-7 if name == "Hardsigmoid" else 1e-12  # as in test_inplace_argument_matches_torch
    assert_same(w_x.grad, t_x.grad, tol, 1e-12, "gradient")
    for w_p, t_p in zip(w_m.parameters(), t_m.parameters()):
        assert_same(w_p.grad, t_p.grad, 1e-12, 1e-12, "parameter gradient")


def test_module_details():
    # PyTorch 2's Softplus takes float defaults, so its repr reads 1.0 and 20.0 (1.13's reads 1 and 20).
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Softplus(2, 5)) == "Softplus(beta=2, threshold=5)"
    x = wick.tensor([-1.0, 0.5, 30.0], requires_grad=True)
    assert_same(nn.Softplus(beta=2.0, threshold=5.0)(x), torch.nn.Softplus(2.0, 5.0)(torch.tensor([-1.0, 0.5, 30.0])),
                1e-6, 1e-7)
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and nn.ReLU6().max_val == 6.0
    assert not isinstance(nn.CELU(), nn.ELU) and not isinstance(nn.Softshrink(), nn.Hardshrink)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        m = nn.Hardtanh(min_value=-3.0)
    assert m.min_val == -3.0
    with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
        assert nn.Hardtanh(max_value=4.0).max_val == 4.0
    p = nn.PReLU(3, init=0.5, dtype=wick.float64)
    assert isinstance(p.weight, nn.Parameter) and p.weight.dtype == wick.float64 and p.weight.tolist() == [0.5] * 3
    assert p.init == 0.5 and p.num_parameters == 3
    with wick.no_grad():
        p.weight.fill_(2.0)
    p.reset_parameters()
    assert p.weight.tolist() == [0.5] * 3
    h = wick.tensor([-1.0, 2.0])
    assert nn.Threshold(0.0, 7.0, inplace=True)(h) is h and h.tolist() == [7.0, 2.0]
    for m in (nn.Hardsigmoid(True), nn.Hardswish(True), nn.Mish(True), nn.SELU(True), nn.CELU(inplace=True)):
        h = wick.tensor([-1.0, 2.0])
        assert m(h) is h


DROPOUTS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", DROPOUTS)
def test_dropout_modules(name):
    for kwargs in (dict(), dict(p=0.25, inplace=True)):
        w_m, t_m = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        assert repr(w_m) == repr(t_m)
        assert list(w_m.state_dict()) == [] and (w_m.p, w_m.inplace) == (t_m.p, t_m.inplace)
    shape = {"Dropout1d": (30, 40, 3), "Dropout3d": (30, 40, 2, 2, 2)}.get(name, (30, 40, 2, 2))
    m = getattr(nn, name)(p=0.25)
    x = wick.rand(shape) + 1
    wick.manual_seed(4)
    y = m(x)
    wick.manual_seed(4)
    functional = {"Dropout": F.dropout, "Dropout1d": F.dropout1d, "Dropout2d": F.dropout2d,
                  "Dropout3d": F.dropout3d, "AlphaDropout": F.alpha_dropout,
                  "FeatureAlphaDropout": F.feature_alpha_dropout}[name]
    assert wick.equal(y, functional(x, 0.25, training=True))
    assert not wick.equal(y, x)
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -1"):
        getattr(nn, name)(-1)


def test_alpha_dropout_modules_never_work_in_place():
    # As PyTorch's: their forward does not pass inplace on.
    for m in (nn.AlphaDropout(0.5, inplace=True), nn.FeatureAlphaDropout(0.5, inplace=True)):
        x = wick.ones(4, 6, 3)
        y = m(x)
        assert y is not x and x.tolist() == wick.ones(4, 6, 3).tolist()
    x = wick.ones(4, 6, 3, 2)
    assert nn.Dropout2d(0.5, inplace=True)(x) is x and (x == 0).any() and (x == 2).any()


def test_names_are_exported():
    for name in ["celu", "celu_", "elu_", "selu", "selu_", "glu", "hardshrink", "softshrink", "tanhshrink",
                 "threshold", "threshold_", "hardtanh_", "hardsigmoid", "hardswish", "mish", "rrelu", "rrelu_",
                 "prelu", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d",
                 "gumbel_softmax"]:
        assert name in F.__all__ and callable(getattr(F, name)), name
    for name in [n for n, _ in MODULES] + DROPOUTS:
        assert name in nn.__all__, name


# ---- the torch.* spellings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("celu", (0.7,)), ("selu", ()), ("threshold", (0.1, -2.0)),
                                       ("rrelu", (0.1, 0.3, False))])
def test_top_level_activations_match_torch(name, args):
    x = np.random.default_rng(0).normal(size=(3, 4))
    w, t = wick.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_w, out_t = getattr(wick, name)(w, *args), getattr(torch, name)(t, *args)
    np.testing.assert_allclose(out_w.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    out_w.sum().backward(), out_t.sum().backward()
    # (PyTorch's celu backward rounds 1 / alpha to float32, even for float64.)
    np.testing.assert_allclose(w.grad.numpy(), t.grad.numpy(), rtol=1e-7)
    inplace_w = getattr(wick, name + "_")(wick.tensor(x), *args)
    np.testing.assert_allclose(inplace_w.numpy(), out_t.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout", "feature_dropout"])
def test_top_level_dropouts_take_train(name):
    x = wick.ones(64, 8, 5)
    assert getattr(wick, name)(x, 0.5, False) is x  # the identity when not training
    out = getattr(wick, name)(x, 0.5, True)
    if name.startswith("feature"):  # whole channels share one draw
        assert bool((out == out[:, :, :1]).all())
    if name == "feature_dropout":
        assert set(np.unique(out.numpy())) <= {0.0, 2.0}
    y = wick.ones(4, 3, 2)
    assert getattr(wick, name + "_")(y, 0.5, True) is y


# ---- the fused activations' two backward paths ------------------------------------------------------------


@pytest.mark.parametrize("name,kwargs", [("hardsigmoid", {}), ("hardswish", {}), ("mish", {}), ("elu", {"alpha": 0.7}),
                                         ("celu", {"alpha": 1.5}), ("selu", {})])
def test_fused_backward_equals_the_composed_one_and_second_derivatives_match_torch(name, kwargs):
    # Plain backward runs the fused *Grad kernel; with create_graph the backward is composed of ops so that it
    # is differentiable again. Points at and around the kinks (-3, 0, 3), large ones, and a NaN.
    x = np.array([-30.0, -3.5, -3.0, -2.0, -0.5, 0.0, 0.5, 2.0, 3.0, 3.5, 25.0, np.nan])
    outs = {}
    for lib in (wick, torch):
        fn = getattr(lib.nn.functional, name)
        first = lib.tensor(x, requires_grad=True)
        fused, = lib.autograd.grad(fn(first, **kwargs).sum(), first)
        second = lib.tensor(x, requires_grad=True)
        composed, = lib.autograd.grad(fn(second, **kwargs).sum(), second, create_graph=True)
        if name == "hardsigmoid":  # piecewise linear with a constant derivative: in wick it has no graph
            second_order = lib.zeros_like(second)
        else:
            second_order, = lib.autograd.grad(composed.sum(), second)
        outs[lib] = (fused.detach(), composed.detach(), second_order)
    np.testing.assert_allclose(outs[wick][0].numpy(), outs[wick][1].numpy(), rtol=1e-12, equal_nan=True)
    for got, want in zip(outs[wick][:2], outs[torch][:2]):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-7, atol=1e-12, equal_nan=True)
    # Second derivatives away from the NaN (PyTorch's elu double backward gives 1 there, wick NaN).
    np.testing.assert_allclose(outs[wick][2].numpy()[:-1], outs[torch][2].numpy()[:-1], rtol=1e-7, atol=1e-12)
