"""The Tensor methods of python/wick/_methods.py and the in-place views of ops/view.cpp (Note [In-place view
ops]) against PyTorch 1.13 on random inputs, contiguous and strided, zero-size where it means something, with
gradients; names PyTorch 1.13 lacks (dim_order, nonzero_static, dense_dim of strided tensors ...) against
PyTorch 2's documented semantics. Every test runs per device (the cuda cases skip without a GPU)."""
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import wick
from helpers import assert_same, check

pytestmark = pytest.mark.filterwarnings("ignore:.*is in beta:UserWarning")

def both(data, device="cpu", **kw):
    """The same data as a wick tensor on device and a torch tensor."""
    return wick.tensor(data, device=device, **kw), torch.tensor(data, **kw)


def same(w, t, rtol=1e-6, atol=1e-7):
    assert_same(w.cpu() if isinstance(w, wick.Tensor) else w, t, rtol, atol)


def raises_like(fn_w, fn_t, wick_error, match=None):
    """fn_w raises wick_error (matching `match`) where PyTorch's fn_t raises too."""
    with pytest.raises(Exception):
        fn_t()
    with pytest.raises(wick_error, match=match):
        fn_w()


# ---- in-place forms through copy_ -----------------------------------------------------------------------------

COMPARISONS = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_", "less_", "less_equal_",
               "not_equal_", "logical_and_", "logical_or_", "logical_xor_"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_inplace_comparisons(name, device):
    # Small integers make ties common.
    check(lambda x, y: getattr(x.clone(), name)(y), [(3, 4), (4,)], device=device, low=-1, high=1,
          dtypes=("float32", "float64", "int64", "int32"), grad=False)
    if not name.startswith("logical"):
        check(lambda x: getattr(x.clone(), name)(0), [(2, 3)], device=device, low=-1, high=1,
              dtypes=("float64", "int64"), grad=False)
    check(lambda x, y: getattr(x.clone(), name)(y), [(0, 4), (4,)], device=device, dtypes=("float32",), grad=False)
    # Autograd as PyTorch's derivatives.yaml has it: the comparisons keep self in the graph with zero gradients
    # (for self's old value and other); the logical ops are not recorded at all (self keeps its history).
    grads = []
    for lib, dev in ((torch, "cpu"), (wick, device)):
        x = lib.tensor([0.5, -1.0, 2.0], device=dev, requires_grad=True)
        other = lib.tensor([1.0, 0.0, 1.0], device=dev, requires_grad=True)
        y = x * 2
        assert getattr(y, name)(other) is y and y.requires_grad
        (y * x).sum().backward()
        grads.append((x.grad.tolist(), other.grad.tolist() if other.grad is not None else None))
    assert grads[0] == grads[1]
    leaf = wick.ones(2, device=device, requires_grad=True)
    if name.startswith("logical"):
        assert getattr(leaf, name)(leaf) is leaf and leaf.is_leaf and leaf.requires_grad
    else:
        with pytest.raises(RuntimeError, match="leaf Variable"):
            getattr(leaf, name)(leaf)
    w = wick.tensor([1, 2, 3], device=device)
    assert getattr(w, name)(2) is w and w.dtype == wick.int64
    b = wick.tensor([True, False], device=device)
    assert getattr(b, name)(wick.tensor([True, True], device=device)).dtype == wick.bool
    with pytest.raises(ValueError, match="doesn't match the broadcast shape"):
        getattr(wick.zeros(4, device=device), name)(wick.zeros(3, 4, device=device))


def test_logical_not_and_bitwise_not_in_place(device):
    check(lambda x: x.clone().logical_not_(), [(3, 4)], device=device, low=-1, high=1,
          dtypes=("float32", "int64", "bool"), grad=False)
    check(lambda x: x.clone().bitwise_not_(), [(3, 4)], device=device, dtypes=("int64", "int32", "bool"), grad=False)
    check(lambda x: x.clone().bitwise_not_(), [(3, 4)], device=device, dtypes=("uint8",), low=0, high=255)
    with pytest.raises(TypeError):
        wick.zeros(2, device=device).bitwise_not_()


def test_inplace_comparison_on_leaf_requiring_grad_refused(device):
    x = wick.zeros(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.eq_(0)
    with wick.no_grad():
        assert x.eq_(0).tolist() == [1.0, 1.0, 1.0]


def test_inplace_aliases(device):
    for name, dtypes in (("multiply_", ("float32", "float64", "int64")), ("subtract_", ("float32", "int64")),
                         ("true_divide_", ("float32", "float64"))):
        check(lambda x, y: getattr(x.clone(), name)(y), [(3, 4), (4,)], device=device, dtypes=dtypes, low=1, high=3)
    check(lambda x, y: x.clone().subtract_(y, alpha=2), [(3, 4), (3, 4)], device=device)
    with pytest.raises(RuntimeError, match="can't be cast"):
        wick.ones(2, dtype=wick.int64, device=device).true_divide_(2)


def test_mvlgamma_(device):
    check(lambda x: x.clone().mvlgamma_(3), [(3, 4)], device=device, low=1.5, high=4)
    check(lambda x: x.clone().mvlgamma_(1), [(0, 2)], device=device, low=1.5, high=4)


# ---- shifts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,bits", [("int64", 64), ("int32", 32), ("uint8", 8)])
def test_shifts_in_range_match_torch(dtype, bits, device):
    RNG = np.random.default_rng(1234)
    signed = dtype != "uint8"
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 255)
    a = np.concatenate([RNG.integers(lo, hi, 40, endpoint=True), [lo, hi, 0, 1, -1 if signed else 2, 7]])
    a = a.astype(dtype)
    b = RNG.integers(0, bits - 1, a.shape, endpoint=True).astype(dtype)
    wa, ta = both(a, device)
    wb, tb = both(b, device)
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        same(getattr(wick, name)(wa, wb), getattr(torch, name)(ta, tb))
        same(getattr(wa, name)(wb), getattr(ta, name)(tb))
        same(getattr(wa, name)(3), getattr(ta, name)(3))
        same(getattr(wa[::2], name)(wb[::2]), getattr(ta[::2], name)(tb[::2]))  # strided
        same(getattr(wa.reshape(2, 23).t(), name)(wb[:2].reshape(2, 1).t()),
             getattr(ta.reshape(2, 23).t(), name)(tb[:2].reshape(2, 1).t()))  # transposed, broadcast
        w, t = wa.clone(), ta.clone()
        assert getattr(w, name + "_")(wb) is w
        same(w, getattr(t, name + "_")(tb))
    same(wick.bitwise_left_shift(wa[:0], wb[:0]), torch.bitwise_left_shift(ta[:0], tb[:0]))


@pytest.mark.parametrize("dtype,bits", [("int64", 64), ("int32", 32), ("uint8", 8)])
def test_shifts_out_of_range_follow_pytorch_2(dtype, bits, device):
    # PyTorch 2 defines them (1.13 left them to the C++ shift's undefined behaviour): a left shift by a
    # negative amount or by the width or more is 0; a right shift so far gives the sign (-1 or 0; 0 for uint8).
    signed = dtype != "uint8"
    values = [5, -5, 1, -1, 0] if signed else [5, 200, 255, 0, 1]
    shifts = [bits, bits + 1, 3 * bits] + ([-1, -bits] if signed else [])
    for v in values:
        for s in shifts:
            a = wick.tensor([v], dtype=getattr(wick, dtype), device=device)
            b = wick.tensor([s], dtype=getattr(wick, dtype), device=device)
            assert a.bitwise_left_shift(b).tolist() == [0]
            assert a.bitwise_right_shift(b).tolist() == [(-1 if v < 0 else 0)]
    a = wick.tensor([3, -3], device=device)
    assert a.bitwise_right_shift(63).tolist() == [0, -1]
    assert a.bitwise_left_shift(63).tolist() == [-(2 ** 63), -(2 ** 63)]
    assert wick.tensor([3], dtype=wick.uint8, device=device).bitwise_right_shift(-1).tolist() == [0]


def test_shift_promotion_and_errors(device):
    a32 = wick.tensor([1, 2], dtype=wick.int32, device=device)
    a64 = wick.tensor([3], device=device)
    assert wick.bitwise_left_shift(a32, a64).dtype == wick.int64
    assert wick.bitwise_left_shift(a32, wick.tensor(3, device=device)).dtype == wick.int32  # 0-dim counts less
    assert wick.bitwise_left_shift(3, wick.tensor([1, 2], device=device)).tolist() == [6, 12]
    same(wick.bitwise_right_shift(wick.tensor([8], dtype=wick.uint8, device=device), wick.tensor([1], device=device)),
         torch.bitwise_right_shift(torch.tensor([8], dtype=torch.uint8), torch.tensor([1])))
    for bad in (wick.tensor([1.5], device=device), wick.tensor([True], device=device)):
        with pytest.raises(TypeError, match="not implemented"):
            bad.bitwise_left_shift(1)
    with pytest.raises(TypeError):
        a32.bitwise_left_shift(1.5)
    with pytest.raises(ValueError):
        wick.zeros(2, dtype=wick.int64, device=device).bitwise_left_shift_(wick.zeros(3, 2, dtype=wick.int64,
                                                                                       device=device))


# ---- elementwise math -----------------------------------------------------------------------------------------


def test_renorm(device):
    for p in (1, 2, 3.5, math.inf):
        for dim in (0, 1, -1):
            check(lambda x: x.renorm(p, dim, 1.5), [(3, 4)], device=device)
    check(lambda m, x: m.renorm(x, 2, 1, 0.5), [(2, 3, 4)], device=device, module=True)
    check(lambda x: x.clone().renorm_(2, 0, 1.0), [(3, 4)], device=device)
    check(lambda x: x.renorm(2, 0, 1.0), [(0, 4)], device=device)
    # A zero slice (norm 0 <= maxnorm) keeps a finite gradient.
    check(lambda x: (x * (x > 10)).renorm(2, 0, 1.0), [(3, 4)], device=device)
    with pytest.raises(TypeError):
        wick.ones(2, 2, dtype=wick.int64, device=device).renorm(2, 0, 1)
    with pytest.raises(ValueError, match="maxnorm"):
        wick.ones(2, 2, device=device).renorm(2, 0, -1)
    with pytest.raises(ValueError, match="non-positive"):
        wick.ones(2, 2, device=device).renorm(0, 0, 1)
    with pytest.raises(IndexError):
        wick.ones(2, 2, device=device).renorm(2, 2, 1)


SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-30, -1e30, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nextafter(dtype, device):
    RNG = np.random.default_rng(1234)
    info = np.finfo(dtype)
    edges = SPECIAL_FLOATS + [float(info.max), -float(info.max), float(info.tiny), float(info.smallest_subnormal),
                              -float(info.smallest_subnormal), float(info.tiny) * 0.75, 2.0 ** -60]
    x = np.array([a for a in edges for _ in edges], dtype=dtype)
    y = np.array([b for _ in edges for b in edges], dtype=dtype)
    x = np.concatenate([x, RNG.standard_normal(200).astype(dtype)])
    y = np.concatenate([y, RNG.standard_normal(200).astype(dtype)])
    wx, tx = both(x, device)
    wy, ty = both(y, device)
    w, t = wick.nextafter(wx, wy).cpu().numpy(), torch.nextafter(tx, ty).numpy()
    np.testing.assert_array_equal(w.view(f"u{w.itemsize}"), t.view(f"u{t.itemsize}"))  # bit for bit
    same(wx[::3].nextafter(wy[::3]), tx[::3].nextafter(ty[::3]), 0, 0)
    w, t = wx.clone(), tx.clone()
    assert w.nextafter_(wy) is w
    same(w, t.nextafter_(ty), 0, 0)
    same(wick.nextafter(wx[:0], wy[:0]), torch.nextafter(tx[:0], ty[:0]))


def test_nextafter_dtypes_and_errors(device):
    a = wick.tensor([1.0], device=device)
    assert wick.nextafter(a, wick.tensor([2.0], dtype=wick.float64, device=device)).dtype == wick.float64
    # As PyTorch's: the result requires grad, and backward says there is no derivative.
    out = wick.nextafter(wick.ones(2, requires_grad=True, device=device), a)
    assert out.requires_grad
    with pytest.raises(NotImplementedError, match="derivative for 'nextafter' is not implemented"):
        out.sum().backward()
    w = wick.ones(2, device=device, requires_grad=True) * 1
    w.nextafter_(a)
    with pytest.raises(NotImplementedError, match="nextafter"):
        w.sum().backward()
    h = wick.histogram(wick.ones(3, device=device, requires_grad=True), 2)
    assert h.hist.requires_grad and h.bin_edges.requires_grad
    with pytest.raises(TypeError, match="not implemented"):
        wick.nextafter(wick.tensor([1], device=device), wick.tensor([2], device=device))


def test_frexp(device):
    RNG = np.random.default_rng(1234)
    check(lambda x: x.frexp(), [(3, 4)], device=device, low=-1e3, high=1e3)
    check(lambda m, x: m.frexp(x), [(0, 3)], device=device, module=True)
    for dtype in ("float32", "float64"):
        info = np.finfo(dtype)
        x = np.array(SPECIAL_FLOATS + [float(info.max), float(info.tiny), float(info.smallest_subnormal),
                                       float(info.tiny) / 3, 2.0 ** 20, -(2.0 ** -20), 0.75, 1 - 2 ** -20],
                     dtype=dtype)
        x = np.concatenate([x, RNG.standard_normal(100).astype(dtype) * 10.0 ** RNG.integers(-30, 30, 100)])
        wx, tx = both(x, device)
        wm, we = wick.frexp(wx)
        tm, te = torch.frexp(tx)
        np.testing.assert_array_equal(wm.cpu().numpy(), tm.numpy())
        np.testing.assert_array_equal(we.cpu().numpy(), te.numpy())
        assert we.dtype == wick.int32
        assert type(wick.frexp(wx)).__name__ == "frexp" and wick.frexp(wx).mantissa is not None
    with pytest.raises(TypeError, match="floating-point"):
        wick.frexp(wick.tensor([1], device=device))


def test_logaddexp2(device):
    check(lambda x, y: x.logaddexp2(y), [(3, 4), (4,)], device=device, low=-30, high=30)
    check(lambda m, x, y: m.logaddexp2(x, y), [(2, 3), (2, 3)], device=device, module=True)
    check(lambda x, y: x.logaddexp2(y), [(0, 4), (4,)], device=device)
    w, t = both([-math.inf, math.inf, 1.0, -math.inf], device)
    same(wick.logaddexp2(w, w.flip(0)), torch.logaddexp2(t, t.flip(0)))
    with pytest.raises(TypeError):
        wick.logaddexp2(wick.tensor([1], device=device), wick.tensor([1], device=device))


def test_hardshrink(device):
    check(lambda x: x.hardshrink(), [(3, 4)], device=device)
    check(lambda m, x: m.hardshrink(x, 1.25), [(3, 4)], device=device, module=True)
    check(lambda x: x.hardshrink(), [(0, 4)], device=device)
    w, t = both([0.5, -0.5, 0.6, math.nan, -math.inf], device)
    same(w.hardshrink(0.5), t.hardshrink(0.5))
    with pytest.raises(TypeError):
        wick.tensor([1, 2], device=device).hardshrink()


def test_prelu(device):
    check(lambda x, w: x.prelu(w), [(2, 3, 4), (3,)], device=device)
    check(lambda x, w: x.prelu(w), [(2, 3), (1,)], device=device)
    check(lambda m, x, w: m.prelu(x, w), [(5,), (1,)], device=device, module=True)
    check(lambda x, w: x.prelu(w), [(0, 3, 2), (3,)], device=device)
    x = wick.ones(2, 3, device=device)
    with pytest.raises(ValueError, match="Mismatch"):
        x.prelu(wick.ones(2, device=device))
    with pytest.raises(TypeError, match="Type promoting"):
        x.prelu(wick.ones(1, dtype=wick.float64, device=device))


# ---- values of real tensors ---------------------------------------------------------------------------------


def test_angle(device):
    check(lambda x: x.angle(), [(3, 4)], device=device)
    check(lambda m, x: m.angle(x), [(3, 4)], device=device, module=True, dtypes=("int64", "uint8", "bool"), low=0,
          high=3)
    check(lambda x: x.angle(), [(3, 4)], device=device, dtypes=("int64",), low=-3, high=3)
    w, t = both([-1.0, 0.0, -0.0, math.nan, -math.inf, math.inf], device)
    same(w.angle(), t.angle())


@pytest.mark.parametrize("name", ["conj", "conj_physical", "resolve_conj", "resolve_neg", "positive"])
def test_identity_methods_of_real_tensors(name, device):
    w = wick.randn(2, 3, device=device)
    assert getattr(w, name)() is w and getattr(wick, name)(w) is w
    check(lambda x: getattr(x, name)(), [(3, 4)], device=device)
    t = torch.randn(2, 3)
    assert getattr(t, name)() is t  # as in PyTorch


def test_conj_physical_in_place_and_flags(device):
    w = wick.randn(3, device=device)
    assert w.conj_physical_() is w and wick.conj_physical_(w) is w
    assert w.is_conj() is False and w.is_neg() is False and wick.is_conj(w) is False and wick.is_neg(w) is False
    t = torch.randn(3)
    assert t.is_conj() is False and t.is_neg() is False


def test_positive_of_bool_refused(device):
    raises_like(lambda: wick.tensor([True], device=device).positive(), lambda: torch.tensor([True]).positive(),
                TypeError, "bool")
    same(wick.tensor([1, 2], device=device).positive(), torch.tensor([1, 2]).positive())


def test_real_and_imag(device):
    w = wick.randn(2, 3, device=device)
    assert w.real is w and wick.real(w) is w
    w.real = wick.ones(2, 3, device=device)
    assert w.tolist() == [[1.0] * 3] * 2
    t = torch.randn(2, 3)
    assert t.real is t
    for fn_w, fn_t in ((lambda: w.imag, lambda: t.imag), (lambda: wick.imag(w), lambda: torch.imag(t))):
        raises_like(fn_w, fn_t, RuntimeError, "imag is not implemented for tensors with non-complex dtypes")
    with pytest.raises(RuntimeError, match="non-complex"):
        w.imag = w


def test_isreal(device):
    check(lambda x: x.isreal(), [(3, 4)], device=device, dtypes=("float32", "int64", "bool"))
    check(lambda m, x: m.isreal(x), [(0, 4)], device=device, module=True)


def test_adjoint_mH_H(device):
    check(lambda x: x.adjoint(), [(3, 4)], device=device)
    check(lambda x: x.mH, [(2, 3, 4)], device=device)
    check(lambda x: x.H, [(3, 4)], device=device)
    check(lambda m, x: m.adjoint(x), [(2, 0, 4)], device=device, module=True)
    for shape in ((), (3,), (2, 3, 4)):
        w, t = wick.zeros(shape, device=device), torch.zeros(shape)
        for get in (lambda x: x.adjoint(), lambda x: x.mH, lambda x: x.H):
            try:
                expected = get(t)
            except RuntimeError as e:
                with pytest.raises(RuntimeError) as info:
                    get(w)
                assert str(info.value) == str(e)
            else:
                same(get(w), expected)


# ---- statistics ---------------------------------------------------------------------------------------------


def test_cov(device):
    check(lambda x: x.cov(), [(3, 5)], device=device)
    check(lambda x: x.cov(correction=0), [(3, 5)], device=device)
    check(lambda m, x: m.cov(x, correction=2), [(5,)], device=device, module=True)
    check(lambda m, x, a: m.cov(x, aweights=a.abs()), [(3, 5), (5,)], device=device, module=True)
    check(lambda m, x, a: m.cov(x, fweights=m.tensor([1, 2, 0, 3, 1]), aweights=a.abs(), correction=1),
          [(2, 5), (5,)], device=device, module=True, layouts=("contiguous",))
    check(lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 0, 3, 1])), [(2, 5)], device=device, module=True)
    check(lambda x: x.cov(), [(2, 5)], device=device, dtypes=("int64",), low=-5, high=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x: x.cov(), [(3, 1)], device=device, grad=False)  # degrees of freedom <= 0: nan or inf
        check(lambda x: x.cov(), [(3, 0)], device=device, grad=False)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        wick.ones(2, 1, device=device).cov()
    x = wick.ones(2, 3, device=device)
    with pytest.raises(TypeError, match="integral"):
        x.cov(fweights=wick.ones(3, device=device))
    with pytest.raises(TypeError, match="floating point"):
        x.cov(aweights=wick.ones(3, dtype=wick.int64, device=device))
    with pytest.raises(ValueError, match="same numel"):
        x.cov(aweights=wick.ones(4, device=device))
    with pytest.raises(ValueError, match="negative"):
        x.cov(fweights=wick.tensor([1, -1, 1], device=device))
    with pytest.raises(ValueError, match="two or fewer"):
        wick.ones(2, 2, 2, device=device).cov()


def test_corrcoef(device):
    check(lambda x: x.corrcoef(), [(3, 5)], device=device)
    check(lambda m, x: m.corrcoef(x), [(5,)], device=device, module=True)
    check(lambda x: x.corrcoef(), [(2, 4)], device=device, dtypes=("int64",), low=-5, high=5)
    w, t = both([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], device)
    same(w.corrcoef(), t.corrcoef())  # a constant row: NaN


def test_histogram(device):
    RNG = np.random.default_rng(1234)
    x = RNG.standard_normal(50)
    cases = [dict(bins=5), dict(bins=4, range=(-1.0, 1.0)), dict(bins=3, density=True),
             dict(bins=np.array([-2.0, -0.5, 0.0, 0.25, 3.0])), dict(bins=np.array([-1.0, 1.0]), density=True)]
    for dtype in ("float32", "float64"):
        wx, tx = both(x.astype(dtype), device)
        weight = np.abs(RNG.standard_normal(50)).astype(dtype)
        ww, tw = both(weight, device)
        for kw in cases:
            for use_weight in (False, True):
                wk, tk = dict(kw), dict(kw)
                if isinstance(kw["bins"], np.ndarray):
                    wk["bins"], tk["bins"] = both(kw["bins"].astype(dtype), device)
                if use_weight:
                    wk["weight"], tk["weight"] = ww, tw
                w, t = wick.histogram(wx, **wk), torch.histogram(tx, **tk)
                assert type(w).__name__ == "histogram"
                same(w.hist, t.hist, 1e-5, 1e-6)
                same(w.bin_edges, t.bin_edges, 1e-6, 1e-7)
        same(wx.reshape(5, 10).t().histogram(4).hist, tx.reshape(5, 10).t().histogram(4).hist)
    for data, bins, kw in (([1.0, 1.0, 1.0], 4, {}), ([], 3, {}), ([0.0, 1.0, 2.0, 2.0, 5.0], 3, {"range": (0.0, 4.0)}),
                           ([1.0, math.inf], 2, {"range": (0.0, 2.0)})):
        w, t = wick.histogram(wick.tensor(data, device=device), bins, **kw), torch.histogram(torch.tensor(data), bins,
                                                                                             **kw)
        same(w.hist, t.hist)
        same(w.bin_edges, t.bin_edges)
    w, t = both([1.0, 2.0], device)
    same(w.histogram(wick.tensor([3.0, 0.0], device=device)).hist, t.histogram(torch.tensor([3.0, 0.0])).hist)
    with pytest.raises(ValueError, match="not finite"):
        wick.histogram(wick.tensor([1.0, math.nan], device=device), 3)
    with pytest.raises(ValueError, match="bins must be > 0"):
        wick.histogram(w, 0)
    with pytest.raises(ValueError, match="min should not exceed max"):
        wick.histogram(w, 3, range=(3.0, 1.0))
    with pytest.raises(TypeError, match="same dtype"):
        wick.histogram(w, wick.tensor([0.0, 3.0], dtype=wick.float64, device=device))
    with pytest.raises(TypeError):
        wick.histogram(wick.tensor([1, 2], device=device), 3)


# ---- writing into parts of a tensor -----------------------------------------------------------------------------


def test_diagonal_select_slice_scatter(device):
    check(lambda m, x, s: m.diagonal_scatter(x, s), [(3, 4), (3,)], device=device, module=True)
    check(lambda x, s: x.diagonal_scatter(s, 1, 0, 1), [(3, 4), (3,)], device=device)
    check(lambda x, s: x.diagonal_scatter(s, -1, 1, 2), [(2, 3, 4), (2, 2)], device=device)
    check(lambda m, x, s: m.select_scatter(x, s, 1, -2), [(3, 4), (3,)], device=device, module=True)
    check(lambda x, s: x.select_scatter(s, 1, 0), [(0, 4, 2), (0, 2)], device=device, layouts=("contiguous",))
    # Debian's PyTorch 1.13 mangles most start/end arguments of slice_scatter (SymInt conversion errors): the
    # reference is the same write through indexing there.
    def torch_slice_scatter(x, s, dim, start, end, step):
        out = x.clone()
        out[(slice(None),) * (dim % x.dim()) + (slice(start, end, step),)] = s
        return out

    for dim, start, end, step, src in ((1, 0, 4, 2, (3, 2)), (0, 0, 3, 1, (3, 4)), (-1, 1, None, 1, (3, 3)),
                                       (0, 5, 9, 1, (0, 4)), (1, -3, -1, 1, (3, 2)), (0, None, 2, 2, (1, 4))):
        check(lambda x, s: x.slice_scatter(s, dim, start, end, step), [(3, 4), src], device=device,
              torch_fn=lambda x, s: torch_slice_scatter(x, s, dim, start, end, step))
        check(lambda x, s: wick.slice_scatter(x, s, dim, start, end, step), [(3, 4), src], device=device,
              torch_fn=lambda x, s: torch_slice_scatter(x, s, dim, start, end, step), layouts=("contiguous",))
    check(lambda m, x, s: m.slice_scatter(x, s, 1, 0, 4, 2), [(3, 4), (3, 2)], device=device, module=True)
    # The defaults cover all of dim 0.
    w, s = wick.zeros(3, 2, device=device), wick.ones(3, 2, device=device)
    assert w.slice_scatter(s).tolist() == s.tolist() and w.slice_scatter(s[:2], start=1).tolist() == [[0, 0], [1, 1],
                                                                                                       [1, 1]]
    x = wick.zeros(3, 3, device=device)
    for fn in (lambda: x.diagonal_scatter(wick.ones(2, device=device)),
               lambda: x.select_scatter(wick.ones(2, device=device), 0, 0),
               lambda: x.slice_scatter(wick.ones(3, 3, device=device), 0, 1)):
        with pytest.raises(ValueError, match="expected src to have a size equal to the slice of self"):
            fn()
    with pytest.raises(IndexError):
        x.select_scatter(wick.ones(3, device=device), 0, 3)


def test_as_strided_scatter(device):
    # PyTorch 1.13's gradient of input here reads uninitialized memory: the gradients are checked by hand.
    check(lambda m, x, s: m.as_strided_scatter(x, s, (2, 2), (1, 2), 1), [(3, 4), (2, 2)], device=device,
          module=True, layouts=("contiguous",), grad=False)
    check(lambda x, s: x.as_strided_scatter(s, (3,), (5,)), [(3, 4), (3,)], device=device, layouts=("contiguous",),
          grad=False)
    x = wick.randn(3, 4, device=device, requires_grad=True)
    src = wick.randn(2, 2, device=device, requires_grad=True)
    g = wick.randn(3, 4, device=device)
    (x.as_strided_scatter(src, (2, 2), (1, 2), 1) * g).sum().backward()
    expected = g.clone().reshape(-1)
    expected[[1, 2, 3, 4]] = 0
    assert x.grad.tolist() == expected.reshape(3, 4).tolist()
    assert src.grad.tolist() == g.reshape(-1).as_strided((2, 2), (1, 2), 1).tolist()
    # Strided inputs (no gradient: PyTorch refuses them then): the copy keeps a dense input's memory order.
    check(lambda x, s: x.as_strided_scatter(s, (2, 2), (1, 3)), [(3, 4), (2, 2)], device=device, grad=False,
          layouts=("transposed", "stepped"))
    w = wick.arange(12.0, device=device)[2:]
    t = torch.arange(12.0)[2:]
    same(w.as_strided_scatter(wick.zeros(2, device=device), (2,), (1,)),
         t.as_strided_scatter(torch.zeros(2), (2,), (1,)))
    same(w.as_strided_scatter(wick.zeros(2, device=device), (2,), (1,), 1),
         t.as_strided_scatter(torch.zeros(2), (2,), (1,), 1))
    with pytest.raises(RuntimeError, match="contiguous inputs"):
        wick.randn(3, 4, device=device, requires_grad=True).t().as_strided_scatter(wick.ones(2, device=device),
                                                                                     (2,), (1,))
    with pytest.raises(ValueError, match="expected src"):
        wick.zeros(3, device=device).as_strided_scatter(wick.ones(2, device=device), (3,), (1,))


def test_index_put(device):
    for accumulate in (False, True):
        check(lambda m, x, v: m.index_put(x, (m.tensor([0, 2]), m.tensor([1, 3])), v, accumulate=accumulate),
              [(3, 4), (2,)], device=device, module=True)
        check(lambda m, x, v: x.index_put((m.tensor([[0], [2]]),), v, accumulate), [(3, 4), (4,)], device=device,
              module=True)
        check(lambda m, x, v: x.index_put((m.tensor([True, False, True]),), v, accumulate), [(3, 4), (2, 4)],
              device=device, module=True)
        check(lambda m, x, v: x.index_put((m.tensor([-1, 0]), m.tensor([1, 1])), v, accumulate), [(3, 4, 2), (2,)],
              device=device, module=True)
        check(lambda m, x, v: x.index_put((m.tensor([], dtype=m.int64),), v, accumulate), [(3, 4), (4,)],
              device=device, module=True, grad=False)
        # int32 indices, as PyTorch 2 takes them (1.13 wanted int64).
        check(lambda m, x, v: m.index_put(x, (m.tensor([0, 2], dtype=m.int32),), v, accumulate), [(3, 4), (1,)],
              device=device, module=True, dtypes=("float64", "int64"),
              torch_fn=lambda m, x, v: m.index_put(x, (m.tensor([0, 2]),), v, accumulate))
    # Repeated positions add up with accumulate=True.
    check(lambda m, x, v: x.index_put((m.tensor([0, 2, 0, 0]),), v, accumulate=True), [(3, 2), (4, 2)],
          device=device, module=True)
    check(lambda m, x, v: x.clone().index_put_((m.tensor([0, 2, 0]),), v, accumulate=True), [(3, 2), (2,)],
          device=device, module=True)
    check(lambda m, x, v: m.index_put_(x.clone(), (m.tensor([1]),), v), [(3, 2), (2,)], device=device, module=True)
    w = wick.zeros(3, device=device)
    assert w.index_put_((wick.tensor([1], device=device),), wick.tensor(5.0, device=device)) is w
    assert w.tolist() == [0.0, 5.0, 0.0]
    with pytest.raises(IndexError):
        w.index_put((wick.tensor([3], device=device),), wick.tensor(1.0, device=device), accumulate=True)
    with pytest.raises(TypeError, match="dtypes match"):
        w.index_put((wick.tensor([0], device=device),), wick.tensor(1, device=device))
    with pytest.raises(TypeError, match="tuple of Tensors"):
        w.index_put(wick.tensor([0], device=device), wick.tensor(1.0, device=device))


def test_masked_scatter(device):
    RNG = np.random.default_rng(1234)
    mask = RNG.uniform(size=(3, 4)) < 0.5
    # source fills the masked positions in row-major order, whatever self's strides (PyTorch 1.13 followed a
    # transposed self's memory order on the CPU; its reference here reads a contiguous self).
    check(lambda m, x, s: x.masked_scatter(m.tensor(mask), s), [(3, 4), (12,)], device=device, module=True,
          torch_fn=lambda m, x, s: x.contiguous().masked_scatter(m.tensor(mask), s))
    check(lambda m, x, s: m.masked_scatter(x, m.tensor(mask[0]), s), [(3, 4), (3, 5)], device=device, module=True,
          torch_fn=lambda m, x, s: m.masked_scatter(x.contiguous(), m.tensor(mask[0]), s.contiguous()))
    check(lambda m, x, s: x.masked_scatter(m.tensor(mask[:, :1]), s), [(3, 4), (20,)], device=device, module=True,
          torch_fn=lambda m, x, s: x.contiguous().masked_scatter(m.tensor(mask[:, :1]), s))
    check(lambda m, x, s: x.contiguous().clone().masked_scatter_(m.tensor(mask), s), [(3, 4), (12,)], device=device,
          module=True)
    check(lambda m, x, s: x.clone().masked_scatter_(m.tensor(mask), s), [(3, 4), (12,)], device=device, module=True,
          layouts=("contiguous",))
    check(lambda m, x, s: x.masked_scatter(m.tensor(mask[:0]), s), [(0, 4), (3,)], device=device, module=True)
    check(lambda m, x, s: x.masked_scatter(m.tensor(mask), s), [(3, 4), (12,)], device=device, module=True,
          dtypes=("int64", "bool"), torch_fn=lambda m, x, s: x.contiguous().masked_scatter(m.tensor(mask), s))
    x = wick.zeros(4, device=device)
    with pytest.raises(ValueError, match="at least as many elements"):
        x.masked_scatter(wick.ones(4, dtype=wick.bool, device=device), wick.ones(3, device=device))
    with pytest.raises(TypeError, match="boolean masks"):
        x.masked_scatter(wick.ones(4, dtype=wick.uint8, device=device), wick.ones(4, device=device))
    with pytest.raises(ValueError):  # in place, self does not broadcast
        x.masked_scatter_(wick.ones(2, 4, dtype=wick.bool, device=device), wick.ones(8, device=device))


def test_put(device):
    for accumulate in (False, True):
        check(lambda m, x, s: x.put(m.tensor([3, -1, 0]), s, accumulate), [(2, 3), (3,)], device=device,
              module=True)
        check(lambda m, x, s: m.put(x, m.tensor([[1], [4]]), s, accumulate=accumulate), [(2, 3), (2, 1)],
              device=device, module=True, dtypes=("float32", "int64"))
        check(lambda m, x, s: x.clone().put_(m.tensor([5, 0]), s, accumulate), [(2, 3), (2,)], device=device,
              module=True)
        check(lambda m, x, s: x.put(m.tensor([], dtype=m.int64), s, accumulate), [(0, 3), (0,)], device=device,
              module=True)
    check(lambda m, x, s: x.put(m.tensor([1, 1, 2]), s, accumulate=True), [(2, 3), (3,)], device=device,
          module=True)
    x = wick.zeros(2, 3, device=device)
    with pytest.raises(IndexError, match="out of range"):
        x.put(wick.tensor([6], device=device), wick.ones(1, device=device))
    with pytest.raises(ValueError, match="same number of elements"):
        x.put(wick.tensor([1], device=device), wick.ones(2, device=device))
    with pytest.raises(TypeError):
        x.put(wick.tensor([1], dtype=wick.int32, device=device), wick.ones(1, device=device))


def test_fill_diagonal_(device):
    for shape, wrap in (((3, 3), False), ((5, 3), False), ((7, 3), True), ((8, 2), True), ((3, 5), True),
                        ((3, 3, 3), False), ((0, 0), False)):
        for value in (2.5, -1):
            # (x.clone() is contiguous: wrapping on strided memory can run past it, in PyTorch as here.)
            check(lambda x: x.contiguous().clone().fill_diagonal_(value, wrap), [shape], device=device)
    check(lambda x: x.clone().fill_diagonal_(7, True), [(7, 3)], device=device, dtypes=("int64",))
    # On a strided tensor (a transpose): the diagonal follows its strides, as in PyTorch.
    w, t = wick.zeros(4, 3, device=device), torch.zeros(4, 3)
    same(w.t().fill_diagonal_(1.0, wrap=True), t.t().fill_diagonal_(1.0, wrap=True))
    same(w, t)
    w = wick.zeros(2, device=device)
    with pytest.raises(ValueError, match="larger than 1"):
        w.fill_diagonal_(1)
    with pytest.raises(ValueError, match="equal length"):
        wick.zeros(2, 3, 3, device=device).fill_diagonal_(1)
    with pytest.raises(RuntimeError, match="leaf"):
        wick.zeros(2, 2, device=device, requires_grad=True).fill_diagonal_(1)


# ---- scatter_reduce and index_reduce --------------------------------------------------------------------------

REDUCES = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self, device):
    RNG = np.random.default_rng(1234)
    index = RNG.integers(0, 3, (4, 3))
    check(lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
          [(3, 3), (4, 3)], device=device, module=True)
    # index smaller than src (only its extent of src takes part) and than self apart from dim; PyTorch 1.13's
    # backward fails there (a gradient of index's shape for src), so its reference takes that part of src.
    check(lambda m, x, s: m.scatter_reduce(x, 1, m.tensor(index[:2, :2]), s, reduce, include_self=include_self),
          [(3, 4), (3, 5)], device=device, module=True, layouts=("contiguous", "transposed"),
          torch_fn=lambda m, x, s: m.scatter_reduce(x, 1, m.tensor(index[:2, :2]), s[:2, :2], reduce,
                                                    include_self=include_self))
    check(lambda m, x, s: x.clone().scatter_reduce_(-1, m.tensor(index[:2]), s, reduce, include_self=include_self),
          [(2, 4), (2, 3)], device=device, module=True)
    check(lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
          [(3, 3), (4, 3)], device=device, module=True, dtypes=("int64", "int32"), low=-4, high=4)
    check(lambda m, x, s: x.scatter_reduce(0, m.tensor(index[:0]), s, reduce, include_self=include_self),
          [(3, 3), (4, 3)], device=device, module=True,
          torch_fn=lambda m, x, s: x.scatter_reduce(0, m.tensor(index[:0]), s[:0], reduce, include_self=include_self))
    check(lambda m, x, s: x.scatter_reduce(0, m.tensor([1, 0, 1]), s, reduce, include_self=include_self),
          [(2,), (3,)], device=device, module=True)


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
def test_scatter_reduce_ties_zeros_and_nan(reduce, device):
    # Ties split the gradient of amax/amin evenly (self included); a single zero in a product keeps the others'.
    self_data = np.array([1.0, 0.0, 2.0, 5.0])
    src_data = np.array([1.0, 3.0, 1.0, 0.0, 2.0, -1.0])
    index = [0, 1, 0, 1, 2, 3]
    for include_self in (True, False):
        check(lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
              [(4,), (6,)], device=device, module=True, layouts=("contiguous",),
              torch_fn=lambda m, x, s: x.scatter_reduce(0, m.tensor(index), s, reduce, include_self=include_self))
        w_self, t_self = both(self_data, device, requires_grad=True)
        w_src, t_src = both(src_data, device, requires_grad=True)
        w = w_self.scatter_reduce(0, wick.tensor(index, device=device), w_src, reduce, include_self=include_self)
        t = t_self.scatter_reduce(0, torch.tensor(index), t_src, reduce, include_self=include_self)
        same(w, t)
        g = np.array([1.0, 2.0, 3.0, 4.0])
        (w * wick.tensor(g, device=device)).sum().backward()
        (t * torch.tensor(g)).sum().backward()
        same(w_self.grad, t_self.grad)
        same(w_src.grad, t_src.grad)
    if reduce != "prod":
        w, t = both([1.0, math.nan, 2.0], device)
        same(wick.zeros(2, device=device).scatter_reduce(0, wick.tensor([0, 0, 1], device=device), w, reduce),
             torch.zeros(2).scatter_reduce(0, torch.tensor([0, 0, 1]), t, reduce))
        same(wick.tensor([math.nan, 0.0], device=device).scatter_reduce(0, wick.tensor([0, 1], device=device),
                                                                         w[:2], reduce),
             torch.tensor([math.nan, 0.0]).scatter_reduce(0, torch.tensor([0, 1]), t[:2], reduce))


def test_scatter_reduce_errors(device):
    x = wick.zeros(3, device=device)
    idx = wick.tensor([0, 1], device=device)
    with pytest.raises(ValueError, match="reduce argument"):
        x.scatter_reduce(0, idx, wick.ones(2, device=device), "max")
    with pytest.raises(TypeError, match="int64"):
        x.scatter_reduce(0, idx.int(), wick.ones(2, device=device), "sum")
    with pytest.raises(TypeError, match="dtype"):
        x.scatter_reduce(0, idx, wick.ones(2, dtype=wick.float64, device=device), "sum")
    with pytest.raises(IndexError, match="out of bounds"):
        x.scatter_reduce(0, wick.tensor([3], device=device), wick.ones(1, device=device), "amax")
    with pytest.raises(ValueError, match="smaller"):
        x.scatter_reduce(0, idx, wick.ones(1, device=device), "sum")
    with pytest.raises(IndexError):
        x.scatter_reduce(1, idx, wick.ones(2, device=device), "sum")


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self, device):
    index = [0, 2, 0, 3, 2]
    check(lambda m, x, s: x.index_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
          [(4, 3), (5, 3)], device=device, module=True)
    check(lambda m, x, s: m.index_reduce(x, -1, m.tensor(index), s, reduce, include_self=include_self),
          [(2, 4), (2, 5)], device=device, module=True)
    check(lambda m, x, s: x.clone().index_reduce_(1, m.tensor(index[:2]), s, reduce, include_self=include_self),
          [(2, 4, 2), (2, 2, 2)], device=device, module=True)
    check(lambda m, x, s: x.index_reduce(0, m.tensor(index), s, reduce, include_self=include_self),
          [(4, 3), (5, 3)], device=device, module=True, dtypes=("int64",), low=-3, high=3)
    check(lambda m, x, s: x.index_reduce(0, m.tensor(index, dtype=m.int32), s, reduce, include_self=include_self),
          [(4, 0), (5, 0)], device=device, module=True,  # (PyTorch 1.13's backward wants int64 indices)
          torch_fn=lambda m, x, s: x.index_reduce(0, m.tensor(index), s, reduce, include_self=include_self))
    check(lambda m, x, s: x.index_reduce(1, m.tensor(index[:3], dtype=m.int32), s, reduce, include_self=include_self),
          [(2, 4), (2, 3)], device=device, module=True,
          torch_fn=lambda m, x, s: x.index_reduce(1, m.tensor(index[:3]), s, reduce, include_self=include_self))
    x = wick.zeros(4, 3, device=device)
    with pytest.raises(ValueError, match="same size"):
        x.index_reduce(0, wick.tensor([0], device=device), wick.ones(1, 2, device=device), reduce)
    with pytest.raises(ValueError, match="Number of indices"):
        x.index_reduce(0, wick.tensor([0, 1], device=device), wick.ones(1, 3, device=device), reduce)
    with pytest.raises(IndexError, match="out of bounds"):
        x.index_reduce(0, wick.tensor([4], device=device), wick.ones(1, 3, device=device), reduce)
    with pytest.raises(ValueError, match="reduce"):
        x.index_reduce(0, wick.tensor([0], device=device), wick.ones(1, 3, device=device), "sum")


# ---- splits, copies, shapes -------------------------------------------------------------------------------------


def test_splits(device):
    check(lambda x: x.split_with_sizes([1, 2, 0]), [(3, 4)], device=device)
    check(lambda m, x: m.split_with_sizes(x, [2, 1], 0), [(3, 4)], device=device, module=True)
    check(lambda x: x.unsafe_split(2, 1), [(3, 4)], device=device)
    check(lambda m, x: m.unsafe_split(x, 2), [(3, 4)], device=device, module=True)
    check(lambda x: x.unsafe_split_with_sizes([3, 1], -1), [(3, 4)], device=device)
    check(lambda m, x: m.unsafe_split_with_sizes(x, [1, 2]), [(3, 4)], device=device, module=True)
    check(lambda x: x.unsafe_chunk(3, 1), [(3, 4)], device=device)
    check(lambda m, x: m.unsafe_chunk(x, 2), [(3, 4)], device=device, module=True)
    check(lambda x: x.unsafe_chunk(2), [(0, 4)], device=device)
    assert type(wick.zeros(4, device=device).split_with_sizes([1, 3])) is tuple
    with pytest.raises(ValueError, match="sum exactly"):
        wick.zeros(4, device=device).split_with_sizes([1, 2])
    with pytest.raises(TypeError):
        wick.zeros(4, device=device).split_with_sizes(2)


def test_narrow_copy(device):
    # PyTorch 1.13 has no derivative for narrow_copy; wick's is narrow's (checked by hand below).
    check(lambda x: x.narrow_copy(1, 1, 2), [(3, 4)], device=device, grad=False)
    check(lambda m, x: m.narrow_copy(x, 0, 0, 0), [(3, 4)], device=device, module=True, grad=False)
    x = wick.randn(3, 4, device=device, requires_grad=True)
    x.narrow_copy(1, 1, 2).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 1.0, 0.0]] * 3
    w = wick.arange(6.0, device=device).reshape(2, 3)
    c = w.t().narrow_copy(0, 1, 2)
    assert c.is_contiguous() and c.data_ptr() != w.data_ptr()
    with pytest.raises(Exception):
        w.narrow_copy(1, 2, 2)


def test_sum_to_size(device):
    check(lambda x: x.sum_to_size(1, 4), [(3, 4)], device=device)
    check(lambda x: x.sum_to_size((4,)), [(2, 3, 4)], device=device)
    check(lambda x: x.sum_to_size(3, 1), [(3, 4)], device=device, dtypes=("float64", "int64"))
    check(lambda x: x.sum_to_size(1, 4), [(0, 4)], device=device)
    check(lambda x: x.sum_to_size(3, 4), [(3, 4)], device=device)
    with pytest.raises(RuntimeError, match="not expandable"):
        wick.ones(3, 4, device=device).sum_to_size(2, 4)


def test_nonzero_static(device):
    x = wick.tensor([[0, 1, 0], [2, 0, 3]], device=device)
    expected = x.nonzero().tolist()
    assert x.nonzero_static(size=3).tolist() == expected
    assert x.nonzero_static(size=2).tolist() == expected[:2]
    assert wick.nonzero_static(x, size=5, fill_value=-7).tolist() == expected + [[-7, -7], [-7, -7]]
    assert x.t().nonzero_static(size=3).tolist() == x.t().nonzero().tolist()
    assert x.nonzero_static(size=0).shape == (0, 2)
    assert wick.zeros(0, 2, device=device).nonzero_static(size=2).tolist() == [[-1, -1], [-1, -1]]
    assert x.nonzero_static(size=3).dtype == wick.int64 and x.nonzero_static(size=3).device.type == device
    with pytest.raises(ValueError, match="non-negative"):
        x.nonzero_static(size=-1)


# ---- legacy methods ------------------------------------------------------------------------------------------


def test_new(device):
    w, t = wick.randn(2, device=device), torch.randn(2)
    for args in ((), (2, 3), (3,), ([2, 3],), ((2, 3),), ([[1, 2]],), ((2.5,),)):
        a, b = w.new(*args), t.new(*args)
        assert tuple(a.shape) == tuple(b.shape) and a.dtype == wick.float32 and a.device.type == device
        if args and not all(isinstance(v, int) for v in args):
            same(a, b)
    assert tuple(w.new(wick.Size([4])).shape) == (4,)
    assert wick.tensor([1, 2], device=device).new([1.5]).tolist() == torch.tensor([1, 2]).new([1.5]).tolist()
    v = wick.randn(3, device=device, requires_grad=True)
    n = v.new(v)
    assert n.data_ptr() == v.data_ptr() and n.requires_grad and not n.is_leaf
    (n * 2).sum().backward()
    assert v.grad.tolist() == [2.0] * 3
    with pytest.raises(TypeError):
        w.new(wick.tensor([1], device=device))
    with pytest.raises(TypeError, match="sequence"):
        w.new(3.0)


def test_new_empty_strided_and_empty_strided(device):
    w = wick.ones(2, dtype=wick.float64, device=device)
    e = w.new_empty_strided((2, 3), (1, 2))
    assert e.shape == (2, 3) and e.stride() == (1, 2) and e.dtype == wick.float64 and e.device.type == device
    e = w.new_empty_strided((2,), (3,), dtype=wick.int32, requires_grad=False)
    assert e.dtype == wick.int32 and e.stride() == (3,)
    assert wick.randn(1).new_empty_strided((2, 2), (2, 1), requires_grad=True).requires_grad
    t = torch.empty_strided((3, 4), (1, 3))
    assert wick.empty_strided((3, 4), (1, 3), device=device).stride() == t.stride()
    assert wick.empty_strided((0, 4), (4, 1), device=device).shape == (0, 4)
    with pytest.raises(ValueError):
        wick.empty_strided((2,), (1, 1))


def test_resize_and_resize_as(device):
    with pytest.warns(UserWarning, match="deprecated"):
        check(lambda x: x.resize(4, 3), [(3, 4)], device=device)
    with pytest.warns(UserWarning, match="deprecated"):
        check(lambda x, y: x.resize_as(y), [(3, 4), (2, 6)], device=device)
    with pytest.warns(UserWarning):
        check(lambda x: x.resize(0, 5), [(0, 4)], device=device)
    with pytest.warns(UserWarning):
        assert wick.zeros(2, 3, device=device).resize((3, 2)).shape == (3, 2)  # a tuple too
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="requested resize"):
        wick.ones(3, device=device).resize(2)
    w, t = wick.arange(6.0, device=device), torch.arange(6.0)
    assert w.resize_as_(wick.zeros(2, 2, device=device)) is w
    same(w, t.resize_as_(torch.zeros(2, 2)))
    w = wick.arange(4.0, device=device)
    assert wick.resize_as_(w, wick.zeros(3, 3, device=device)).shape == (3, 3)
    assert w[0, :2].tolist() == [0.0, 1.0]


def test_type(device):
    for dtype in (wick.float32, wick.float64, wick.int64, wick.int32, wick.uint8, wick.bool, wick.float16):
        w = wick.empty(2, dtype=dtype, device=device)
        t = torch.zeros(2, dtype=getattr(torch, str(dtype).split(".")[-1]))
        prefix = "wick.cuda." if device == "cuda" else "wick."
        assert w.type() == prefix + t.type().split(".")[-1]
    w = wick.zeros(2, device=device)
    assert w.type(wick.float32) is w and w.type("wick.FloatTensor" if device == "cpu" else "wick.cuda.FloatTensor") is w
    assert w.type(wick.float64).dtype == wick.float64
    assert w.type("torch.IntTensor").dtype == wick.int32 and w.type("torch.IntTensor").device.type == "cpu"
    assert w.type("wick.LongTensor").dtype == wick.int64
    with pytest.raises(ValueError, match="invalid type"):
        w.type("torch.ComplexTensor")
    with pytest.raises(TypeError):
        w.type(3)


def test_apply_map_map2():
    w, t = wick.arange(6.0).reshape(2, 3).t(), torch.arange(6.0).reshape(2, 3).t()
    assert w.apply_(lambda v: v * v + 1) is w
    same(w, t.apply_(lambda v: v * v + 1))
    wi, ti = wick.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    same(wi.apply_(lambda v: v * 2.7), ti.apply_(lambda v: v * 2.7))
    same(wi.map_(wick.tensor([10]), lambda a, b: a - b), ti.map_(torch.tensor([10]), lambda a, b: a - b))
    same(wi.map2_(wick.tensor([1, 2, 3]), wick.tensor(2), lambda a, b, c: a * b + c),
         ti.map2_(torch.tensor([1, 2, 3]), torch.tensor(2), lambda a, b, c: a * b + c))
    same(wick.zeros(0).apply_(lambda v: v + 1), torch.zeros(0).apply_(lambda v: v + 1))
    raises_like(lambda: wick.ones(2, requires_grad=True).apply_(abs), lambda: torch.ones(2, requires_grad=True).apply_(
        abs), RuntimeError, "requires grad")
    raises_like(lambda: wick.ones(2).map_(wick.ones(2, dtype=wick.float64), max),
                lambda: torch.ones(2).map_(torch.ones(2, dtype=torch.float64), max), TypeError)
    with pytest.raises(TypeError, match="not callable"):
        wick.ones(2).apply_(3)


def test_apply_on_cuda_refused(device):
    if device == "cpu":
        pytest.skip("the refusal is for CUDA tensors")
    with pytest.raises(RuntimeError, match="only implemented on CPU"):
        wick.ones(2, device=device).apply_(abs)


def test_as_subclass(device):
    class Sub(wick.Tensor):
        pass

    x = wick.randn(3, device=device, requires_grad=True)
    s = x.as_subclass(Sub)
    assert type(s) is Sub and s.data_ptr() == x.data_ptr() and s.requires_grad and not s.is_leaf
    (s * 3).sum().backward()
    assert x.grad.tolist() == [3.0] * 3
    y = wick.zeros(2, device=device)
    sy = y.as_subclass(Sub)
    sy.add_(1)
    assert y.tolist() == [1.0, 1.0]  # the same memory
    with pytest.raises(TypeError, match="inherit from Tensor"):
        y.as_subclass(int)


def test_module_load(device):
    p = wick.zeros(3, device=device, requires_grad=True)
    v = wick.arange(3.0, device=device, requires_grad=True)
    out = p.module_load(v)
    assert out.tolist() == [0.0, 1.0, 2.0] and p.tolist() == [0.0, 1.0, 2.0] and not out.requires_grad
    assert out.data_ptr() == p.data_ptr()
    a = p.module_load(v * 2, assign=True)
    assert a.tolist() == [0.0, 2.0, 4.0] and not a.requires_grad and p.tolist() == [0.0, 1.0, 2.0]


def test_dim_order(device):
    # PyTorch 2's answers (torch._prims_common.compute_elementwise_output_logical_to_physical_perm).
    x = wick.zeros(2, 3, 4, 5, device=device)
    assert x.dim_order() == (0, 1, 2, 3)
    assert x.permute(0, 2, 3, 1).dim_order() == (0, 3, 1, 2)
    assert x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).dim_order() == (0, 2, 3, 1)  # channels-last
    assert x.transpose(0, 3).dim_order() == (3, 1, 2, 0)
    assert wick.zeros(3, 4, device=device).t().dim_order() == (1, 0)
    assert wick.zeros((), device=device).dim_order() == ()
    assert wick.zeros(2, 1, 3, device=device)[:, :, ::2].dim_order() == (0, 1, 2)
    assert wick.zeros(3, device=device).expand(2, 3).dim_order() == (0, 1)
    ambiguous = wick.zeros(2, 1, 4, 4, device=device)  # contiguous and channels-last at once
    assert ambiguous.dim_order() == (0, 1, 2, 3)
    with pytest.raises(RuntimeError, match="unique dim order"):
        ambiguous.dim_order(ambiguity_check=True)
    assert x.dim_order(ambiguity_check=True) == (0, 1, 2, 3)
    with pytest.raises(TypeError):
        x.dim_order(ambiguity_check="yes")


# ---- metadata ---------------------------------------------------------------------------------------------------

FALSE_PROPERTIES = ["is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_mps", "is_xla",
                    "is_xpu", "is_ipu", "is_vulkan", "is_nested", "is_maia", "is_mtia"]


def test_false_properties(device):
    w, t = wick.zeros(2, device=device), torch.zeros(2)
    for name in FALSE_PROPERTIES:
        assert getattr(w, name) is False, name
        if hasattr(t, name):
            assert getattr(t, name) is False and not callable(getattr(t, name))  # attributes, not methods


def test_layout_and_dims(device):
    w = wick.zeros(2, 3, device=device)
    assert w.layout is wick.strided and w.layout == wick.strided and repr(wick.strided) == "wick.strided"
    assert isinstance(wick.strided, wick.layout) and repr(torch.zeros(1).layout) == "torch.strided"
    import pickle
    assert pickle.loads(pickle.dumps(wick.strided)) is wick.strided
    assert w.dense_dim() == 2 and w.sparse_dim() == 0
    assert wick.zeros((), device=device).dense_dim() == 0


def test_predicates(device):
    w, t = wick.zeros(2, device=device), torch.zeros(2)
    assert w.is_pinned() is False and w.is_pinned("cuda") is False
    assert w.is_shared() is (device == "cuda") and t.is_shared() is False
    assert w.is_distributed() is False and t.is_distributed() is False and wick.is_distributed(w) is False
    assert w.is_inference() is False and wick.is_inference(w) is False
    with wick.inference_mode():
        assert wick.ones(2, device=device).is_inference() is False  # wick's inference_mode is no_grad
    assert w.const_data_ptr() == w.data_ptr() and w[1:].const_data_ptr() == w[1:].data_ptr()
    assert w.to_dense() is w and t.to_dense() is t
    assert w.to_dense(wick.float64).dtype == wick.float64
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert w.volatile is False
    with pytest.warns(UserWarning):
        assert t.volatile is False
    with pytest.warns(UserWarning, match="no effect"):
        w.volatile = True



# ---- in-place views (Note [In-place view ops]) and set_ ----------------------------------------------------------

INPLACE_VIEWS = [
    ("squeeze_", (), (2, 1, 3, 1)), ("squeeze_", (1,), (2, 1, 3)), ("squeeze_", (-1,), (2, 3, 1)),
    ("squeeze_", (0,), (2, 3)), ("unsqueeze_", (0,), (2, 3)), ("unsqueeze_", (-1,), (2, 3)), ("t_", (), (2, 3)),
    ("t_", (), (3,)), ("transpose_", (0, 2), (2, 3, 4)), ("swapaxes_", (-1, 0), (2, 3)),
    ("swapdims_", (1, 1), (2, 3)), ("as_strided_", ((2, 2), (1, 2), 1), (2, 3)), ("squeeze_", (), (0, 1, 2)),
]


@pytest.mark.parametrize("name,args,shape", INPLACE_VIEWS)
def test_inplace_views(name, args, shape, device):
    # Through autograd: the in-place view of a non-leaf, then an op, as PyTorch records them.
    def fn(x):
        y = x * 1
        out = getattr(y, name)(*args)
        assert out is y
        return y * 2

    check(fn, [shape], device=device, layouts=("contiguous", "stepped"))
    # Without autograd: the same object takes the view's geometry over the same memory.
    w, t = wick.arange(float(np.prod(shape)), device=device).reshape(shape), torch.arange(
        float(np.prod(shape))).reshape(shape)
    ptr = w.data_ptr() - w.storage_offset() * 4
    assert getattr(w, name)(*args) is w
    getattr(t, name)(*args)
    same(w, t)
    assert w.stride() == t.stride() and w.storage_offset() == t.storage_offset()
    assert w.data_ptr() - w.storage_offset() * 4 == ptr


def test_inplace_view_of_view_records_through_the_base(device):
    grads = []
    for lib, dev in ((torch, "cpu"), (wick, device)):
        a = lib.arange(6.0, device=dev).reshape(3, 2).requires_grad_()
        c = (a * 1)[1:]
        c.t_()
        c.mul_(2)
        (c * lib.arange(4.0, device=dev).reshape(2, 2)).sum().backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1] == [[0.0, 0.0], [0.0, 4.0], [2.0, 6.0]]
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        wick.zeros(3, 2, device=device, requires_grad=True)[:].t_()
    with pytest.raises(RuntimeError, match="a leaf Variable"):
        wick.zeros(3, 2, device=device, requires_grad=True).t_()
    with wick.no_grad():
        x = wick.zeros(3, 2, device=device, requires_grad=True)
        assert x.t_().shape == (2, 3) and x.requires_grad and x.is_leaf


def test_inplace_view_errors_and_version(device):
    w = wick.zeros(2, 3, 4, device=device)
    with pytest.raises(ValueError, match="2 dimensions"):
        w.t_()
    with pytest.raises(IndexError):
        w.squeeze_(3)
    with pytest.raises(IndexError):
        w.transpose_(0, 3)
    with pytest.raises(IndexError):
        w.unsqueeze_(5)
    with pytest.raises(IndexError, match="storage"):
        w.as_strided_((100,), (1,))
    assert w.shape == (2, 3, 4)  # unchanged by the failed calls
    # The version counter moves, as for every in-place op (PyTorch too), so saved tensors notice.
    y = wick.ones(2, 3, device=device, requires_grad=True)
    z = y * 1
    s = z.sin()  # saves z
    z.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.sum().backward()


def test_set_and_is_set_to(device):
    a = wick.arange(4.0, device=device)
    b = wick.empty(0, device=device)
    assert b.set_(a) is b and b.is_set_to(a) and a.is_set_to(b)
    assert b.tolist() == a.tolist() and b.data_ptr() == a.data_ptr()
    b[0] = 7  # shares a's memory
    assert a[0].item() == 7
    c = wick.empty(0, device=device).set_(a, 1, (2,), (2,))
    assert c.tolist() == [1.0, 3.0] and not c.is_set_to(a) and c.storage_offset() == 1
    assert wick.empty(0, device=device).set_(a, 0, (2, 2)).tolist() == [[7.0, 1.0], [2.0, 3.0]]
    assert c.set_().shape == (0,) and c.data_ptr() != a.data_ptr()
    assert a.is_set_to(a) and a.is_set_to(a[:]) and a.is_set_to(a.view(4)) and not a.is_set_to(a[1:])
    assert not a.is_set_to(a.clone()) and not wick.empty(0).is_set_to(wick.empty(0))
    t = torch.arange(4.0)
    assert t.is_set_to(t[:]) and not t.is_set_to(t[1:]) and not torch.empty(0).is_set_to(torch.empty(0))
    with pytest.raises(TypeError, match="dtype"):
        wick.empty(0, dtype=wick.float64, device=device).set_(a)
    with pytest.raises(IndexError, match="storage"):
        wick.empty(0, device=device).set_(a, 2, (3,))
    with pytest.raises(RuntimeError, match="leaf Variable"):
        wick.empty(0, device=device, requires_grad=True).set_(a)
    with pytest.raises(NotImplementedError, match="derivative for set_"):
        wick.empty(0, device=device).set_(wick.ones(2, device=device, requires_grad=True) * 2)
    p = wick.zeros(2, device=device, requires_grad=True)
    with wick.no_grad():
        p.set_(wick.ones(3, device=device))
    assert p.requires_grad and p.is_leaf and p.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="need a source"):
        wick.empty(0, device=device).set_(size=(2,))


# ---- stft and ormqr ---------------------------------------------------------------------------------------------


def test_stft(device):
    for kw in (dict(n_fft=16), dict(n_fft=16, hop_length=5, win_length=10, center=False),
               dict(n_fft=16, onesided=False, normalized=True, pad_mode="constant"), dict(n_fft=15, hop_length=3),
               dict(n_fft=8, pad_mode="replicate")):
        check(lambda x: x.stft(return_complex=False, **kw), [(2, 60)], device=device, rtol=1e-4, atol=1e-4,
              layouts=("contiguous", "stepped"))
        check(lambda m, x: m.stft(x, return_complex=False, **kw), [(40,)], device=device, module=True, rtol=1e-4,
              atol=1e-4)
    check(lambda m, x, w: m.stft(x, 16, 4, 10, w, return_complex=False), [(50,), (10,)], device=device, module=True,
          rtol=1e-4, atol=1e-4, layouts=("contiguous",))
    x = wick.randn(50, device=device)
    with pytest.warns(UserWarning, match="return_complex"):
        x.stft(16)
    with pytest.raises(TypeError, match="complex"):
        x.stft(16, return_complex=True)
    with pytest.raises(ValueError, match="win_length"):
        x.stft(16, win_length=20, return_complex=False)
    with pytest.raises(ValueError, match="window"):
        x.stft(16, window=wick.ones(5, device=device), return_complex=False)
    with pytest.raises(ValueError):
        x.stft(100, center=False, return_complex=False)


def test_ormqr(device):
    rng = np.random.default_rng(5)
    for m, n, left, transpose in ((4, 3, True, False), (4, 3, True, True), (5, 5, False, False), (3, 2, False, True)):
        a = rng.standard_normal((m, n))
        ta, ttau = torch.geqrf(torch.tensor(a))
        c_shape = (m, 2) if left else (2, m)
        c = rng.standard_normal(c_shape)
        expected = torch.ormqr(ta, ttau, torch.tensor(c), left, transpose)
        wa, wtau = wick.tensor(ta.numpy(), device=device), wick.tensor(ttau.numpy(), device=device)
        same(wick.ormqr(wa, wtau, wick.tensor(c, device=device), left, transpose), expected, 1e-10, 1e-12)
        same(wa.ormqr(wtau, wick.tensor(c, device=device), left=left, transpose=transpose), expected, 1e-10, 1e-12)
    with pytest.raises(ValueError):
        wick.ormqr(wick.zeros(3, 2, device=device), wick.zeros(2, device=device), wick.zeros(4, 2, device=device))


# ---- the names -----------------------------------------------------------------------------------------------

NEW_METHODS = """H adjoint angle conj conj_physical conj_physical_ imag is_conj is_neg isreal mH positive real
resolve_conj resolve_neg apply_ map_ map2_ as_strided_ squeeze_ unsqueeze_ t_ transpose_ swapaxes_ swapdims_ set_
is_set_to as_strided_scatter diagonal_scatter select_scatter slice_scatter as_subclass bitwise_left_shift
bitwise_left_shift_ bitwise_right_shift bitwise_right_shift_ bitwise_not_ const_data_ptr corrcoef cov dense_dim
sparse_dim dim_order eq_ ne_ lt_ le_ gt_ ge_ greater_ greater_equal_ less_ less_equal_ not_equal_ logical_and_
logical_or_ logical_xor_ logical_not_ fill_diagonal_ frexp hardshrink histogram index_put index_put_ index_reduce
index_reduce_ is_distributed is_inference is_ipu is_maia is_meta is_mkldnn is_mps is_mtia is_nested is_pinned
is_quantized is_shared is_sparse is_sparse_csr is_vulkan is_xla is_xpu layout logaddexp2 masked_scatter
masked_scatter_ module_load multiply_ subtract_ true_divide_ mvlgamma_ narrow_copy new new_empty_strided nextafter
nextafter_ nonzero_static ormqr prelu put put_ renorm renorm_ resize resize_as resize_as_ scatter_reduce
scatter_reduce_ split_with_sizes sum_to_size to_dense type unsafe_chunk unsafe_split unsafe_split_with_sizes
volatile stft symeig""".split()


def test_every_new_name_is_a_tensor_method_and_a_function_where_pytorch_has_one():
    stored = json.loads((Path(__file__).resolve().parents[2] / "docs" / "pytorch-2.15-public-names.json").read_text())
    tensor_names, torch_names = set(stored["namespaces"]["Tensor"]), set(stored["namespaces"]["torch"])
    assert len(NEW_METHODS) == len(set(NEW_METHODS)) == 119
    for name in NEW_METHODS:
        assert name in tensor_names, name
        assert hasattr(wick.Tensor, name), name
        if name in torch_names:
            assert callable(getattr(wick, name)), name
    assert isinstance(wick.layout, type) and hasattr(wick, "empty_strided")


def test_out_arguments(device):
    x = np.random.default_rng(3).standard_normal((3, 4))
    wx, tx = both(x, device)
    wi, ti = both([[1, 2], [3, -4]], device)
    calls = [
        ("bitwise_left_shift", lambda m, a, i: (i, 2), "int64"), ("bitwise_right_shift", lambda m, a, i: (i, 1), "int64"),
        ("nextafter", lambda m, a, i: (a, a * 0), "float64"), ("logaddexp2", lambda m, a, i: (a, a.t().t()), "float64"),
        ("hardshrink", lambda m, a, i: (a, 0.5), "float64"), ("renorm", lambda m, a, i: (a, 2, 0, 1.0), "float64"),
        ("angle", lambda m, a, i: (a,), "float64"), ("conj_physical", lambda m, a, i: (a,), "float64"),
        ("scatter_reduce", lambda m, a, i: (a, 0, m.tensor([[0, 1, 0, 1]], device=a.device), a, "amax"), "float64"),
        ("index_reduce", lambda m, a, i: (a, 0, m.tensor([2], device=a.device), a[:1], "prod"), "float64"),
        ("narrow_copy", lambda m, a, i: (a, 1, 1, 2), "float64"),
    ]
    for name, args, dtype in calls:
        w_out = wick.empty(0, dtype=getattr(wick, dtype), device=device)
        t_out = torch.empty(0, dtype=getattr(torch, dtype))
        assert getattr(wick, name)(*args(wick, wx, wi), out=w_out) is w_out, name
        getattr(torch, name)(*args(torch, tx, ti), out=t_out)
        same(w_out, t_out, 1e-12, 1e-12)
    m, e = wick.empty(0, device=device), wick.empty(0, dtype=wick.int32, device=device)
    result = wick.frexp(wx.float(), out=(m, e))
    assert result.mantissa is m and result.exponent is e
    same(m, torch.frexp(tx.float()).mantissa)
    h, edges = wick.empty(0, dtype=wick.float64, device=device), wick.empty(0, dtype=wick.float64, device=device)
    wick.histogram(wx, 3, out=(h, edges))
    same(h, torch.histogram(tx, 3).hist)
    with pytest.warns(UserWarning, match="resized"):
        wick.angle(wx, out=wick.zeros(2, dtype=wick.float64, device=device))
    with pytest.raises(RuntimeError, match="can't be cast"):
        wick.angle(wx, out=wick.empty(0, dtype=wick.int64, device=device))
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        wick.hardshrink(wick.ones(2, device=device, requires_grad=True), out=wick.empty(0, device=device))
    with pytest.raises(TypeError, match="tuple of 2"):
        wick.frexp(wx, out=m)


def test_symeig(device):
    # PyTorch 1.13's deprecated symeig (removed in PyTorch 2): linalg.eigh of the upper (default) or lower triangle.
    rng = np.random.default_rng(11)
    for shape in ((4, 4), (2, 3, 3), (0, 0)):
        a = rng.standard_normal(shape)
        for upper in (True, False):
            wa, ta = both(a, device)
            with pytest.warns(UserWarning, match="deprecated"):
                w = wa.symeig(eigenvectors=True, upper=upper)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = ta.symeig(eigenvectors=True, upper=upper)
                t_values = torch.symeig(ta, upper=upper).eigenvalues
            assert type(w).__name__ == "symeig"
            same(w.eigenvalues, t.eigenvalues, 1e-10, 1e-10)
            # Eigenvectors up to sign: the same matrix back from them.
            tri = np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2) if upper else \
                np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
            v, lam = w.eigenvectors.cpu().numpy(), w.eigenvalues.cpu().numpy()
            np.testing.assert_allclose((v * lam[..., None, :]) @ np.swapaxes(v, -1, -2), tri, atol=1e-10)
            with pytest.warns(UserWarning):
                same(wick.symeig(wa, upper=upper).eigenvalues, t_values, 1e-10, 1e-10)
                assert wick.symeig(wa).eigenvectors.shape == (0,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda x: (x + x.transpose(-1, -2)).symeig(eigenvectors=True).eigenvalues, [(3, 3)], device=device,
              dtypes=("float64",))
        with pytest.raises(NotImplementedError, match="not differentiable"):
            wick.ones(2, 2, device=device, requires_grad=True).symeig().eigenvalues.sum().backward()
        check(lambda x: (x + x.transpose(-1, -2)).symeig(eigenvectors=True).eigenvectors.abs(), [(3, 3)],
              device=device, dtypes=("float64",), layouts=("contiguous",))
        with pytest.raises(ValueError, match="square"):
            wick.ones(2, 3, device=device).symeig()
        with pytest.raises(TypeError):
            wick.ones(2, 2, dtype=wick.int64, device=device).symeig()
