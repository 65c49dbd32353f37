"""Numerical agreement with PyTorch 1.13 where a naive formula goes wrong:
log_softmax of large logits, integer division done in integers, alpha and
clamp bounds in the result dtype, var/std without float32 overflow, floor
division by infinity, and gradients at kinks (softplus and log_sigmoid at 0,
hardtanh at its bounds, std at 0, rounded division, smooth_l1 with beta 0,
pow with a zero base). Each test failed before its fix."""
import fractions
import math
import statistics

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import wick
import wick.nn.functional as WF
from helpers import assert_same, check

INF = float("inf")
NAN = float("nan")


def lib_f(lib):
    return TF if lib is torch else WF


def run(lib, fn, *values, dtype="float64", device="cpu"):
    """fn(*leaves) in lib and the leaves' gradients of its sum: [output, grad...]."""
    leaves = [lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values]
    if lib is wick and device != "cpu":
        args = [x.to(device) for x in leaves]
    else:
        args = leaves
    out = fn(lib, *args)
    out.sum().backward()
    return [out.detach().cpu()] + [x.grad for x in leaves]


def compare(fn, *values, dtype="float64", device="cpu", rtol=1e-12, atol=0.0):
    """fn's value and gradients in wick and torch agree (NaN where torch has NaN)."""
    w = run(wick, fn, *values, dtype=dtype, device=device)
    t = run(torch, fn, *values, dtype=dtype)
    for i, (wi, ti) in enumerate(zip(w, t)):
        assert_same(wi, ti, rtol, atol, "output" if i == 0 else f"grad of input {i - 1}")


def values(t):
    return t.cpu().tolist() if isinstance(t, wick.Tensor) else t.tolist()


def signs(t):
    return [math.copysign(1.0, v) for v in values(t)]


# ---- log_softmax / cross_entropy / logsumexp: max-shifted --------------------------------------

@pytest.mark.parametrize("dtype,big", [("float32", 1e4), ("float32", 1e30), ("float64", 1e17), ("float64", 1e300)])
def test_log_softmax_keeps_large_logits(dtype, big):
    # x - (max + log(sum)) rounded the shift to max's precision: wick gave
    # -0.6933594 for log(1/2) at 1e4 in float32, and 0 at 1e30.
    compare(lambda lib, x: lib_f(lib).log_softmax(x, 0), [0.0, 0.0, big, big], dtype=dtype, rtol=1e-6)
    # Along a dim that is not the last (the kernel's column blocks).
    compare(lambda lib, x: lib_f(lib).log_softmax(x, 0), [[0.0, 1.0], [big, big], [big, 0.0]], dtype=dtype, rtol=1e-6)
    compare(lambda lib, x: lib_f(lib).softmax(x, -1), [[0.0, big, big], [1.0, 2.0, 3.0]], dtype=dtype, rtol=1e-6)


def test_cross_entropy_of_huge_logits():
    # torch 1.0986 with gradient [-2/3, 1/3, 1/3]; wick gave 0 and [0, 1, 1].
    for logits in ([[1e30, 1e30, 1e30]], [[1e4, 0.0, 1e4], [1.0, 2.0, 3.0]]):
        target = [0] * len(logits)
        compare(lambda lib, x: lib_f(lib).cross_entropy(x, lib.tensor(target)), logits, dtype="float32", rtol=1e-6,
                atol=1e-7)
        compare(lambda lib, x: lib_f(lib).cross_entropy(x, lib.tensor(target), label_smoothing=0.1), logits,
                dtype="float32", rtol=1e-6, atol=1e-7)
    compare(lambda lib, x: lib_f(lib).cross_entropy(x, lib.tensor([[0.0, 0.5, 0.5]])), [[1e4, 0.0, 1e4]],
            dtype="float32", rtol=1e-6, atol=1e-7)


def test_logsumexp_large_and_infinite():
    for v in ([1e30, 1e30, 0.0], [0.0, 0.0, 1e4, 1e4]):
        compare(lambda lib, x: lib.logsumexp(x, 0), v, dtype="float32", rtol=1e-7)
    for v in ([INF, 1.0], [-INF, 0.0], [INF, INF], [INF, -INF], [-INF, -INF]):
        assert_same(wick.logsumexp(wick.tensor(v), 0), torch.logsumexp(torch.tensor(v), 0), 0, 0)


# ---- integer division is exact --------------------------------------------------------------------

BIG = [2 ** 62 + 1, -(2 ** 62 + 1), 7, -7, 2 ** 53 + 1, -(2 ** 63)]


@pytest.mark.parametrize("form", ["trunc", "floor", "floordiv", "floor_divide", "mod", "remainder", "fmod"])
def test_integer_division_is_exact(form, device):
    # div(rounding_mode='trunc') went through a double: (2**62 + 1) / 5
    # came out 922337217429372928 instead of 922337203685477581.
    def f(lib, a, b):
        return {"trunc": lambda: lib.div(a, b, rounding_mode="trunc"),
                "floor": lambda: lib.div(a, b, rounding_mode="floor"),
                "floordiv": lambda: a // b, "floor_divide": lambda: lib.floor_divide(a, b),
                "mod": lambda: a % b, "remainder": lambda: lib.remainder(a, b),
                "fmod": lambda: lib.fmod(a, b)}[form]()

    divisors = [5, -3, 7, 2, 3, 7]
    for b in (5, -3, divisors):
        wb = wick.tensor(b, device=device) if isinstance(b, list) else b
        tb = torch.tensor(b) if isinstance(b, list) else b
        w, t = f(wick, wick.tensor(BIG, device=device), wb), f(torch, torch.tensor(BIG), tb)
        assert w.dtype == wick.int64 and values(w) == values(t), (b, values(w), values(t))
    # A number on the left (the operators), and the other integer dtypes.
    if form in ("floordiv", "mod"):
        assert values(f(wick, 2 ** 62 + 1, wick.tensor(divisors, device=device))) == values(
            f(torch, 2 ** 62 + 1, torch.tensor(divisors)))
    for dtype, a, b in (("int32", [7, -7, 2 ** 31 - 1, -(2 ** 31)], [2, 2, 3, 7]), ("uint8", [200, 7, 255], [3, 2, 7])):
        w = f(wick, wick.tensor(a, dtype=getattr(wick, dtype), device=device),
              wick.tensor(b, dtype=getattr(wick, dtype), device=device))
        t = f(torch, torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype)))
        assert str(w.dtype).split(".")[-1] == dtype and values(w) == values(t), (dtype, values(w), values(t))


def test_integer_division_by_minus_one_wraps():
    # PyTorch 1.13 dies of SIGFPE on INT64_MIN // -1; wick wraps, as NumPy and C++ two's complement.
    m = -(2 ** 63)
    for f in (lambda a: a // -1, lambda a: wick.div(a, -1, rounding_mode="trunc")):
        assert values(f(wick.tensor([m, 6]))) == [m, -6]
    assert values(wick.tensor([m, 6]) % -1) == [0, 0]
    assert values(wick.fmod(wick.tensor([m, 6]), -1)) == [0, 0]


@pytest.mark.parametrize("form", ["trunc", "floor", "floordiv", "floor_divide", "mod", "remainder", "fmod"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_division_by_zero_raises(form, dtype, device):
    # PyTorch raises RuntimeError("ZeroDivisionError") for every form; trunc
    # division gave INT64_MIN, the others a ValueError.
    def f(lib, a, b):
        return {"trunc": lambda: lib.div(a, b, rounding_mode="trunc"),
                "floor": lambda: lib.div(a, b, rounding_mode="floor"),
                "floordiv": lambda: a // b, "floor_divide": lambda: lib.floor_divide(a, b),
                "mod": lambda: a % b, "remainder": lambda: lib.remainder(a, b),
                "fmod": lambda: lib.fmod(a, b)}[form]()

    for lib in (torch, wick):
        kw = {"device": device} if lib is wick else {}
        a = lib.tensor([1, 2], dtype=getattr(lib, dtype), **kw)
        for b in (0, lib.tensor([3, 0], dtype=getattr(lib, dtype), **kw), lib.tensor(0, **kw)):
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                f(lib, a, b)
    # True division, and float divisors, are IEEE.
    assert values(wick.div(wick.tensor([1, -1]), 0)) == [INF, -INF]
    assert values(wick.div(wick.tensor([1, -1]), 0.0, rounding_mode="trunc")) == [INF, -INF]


# ---- alpha and scalar parameters in the result dtype ------------------------------------------------

def test_add_sub_alpha_in_the_result_dtype(device):
    # b * alpha ran in b's dtype: a float64 sum with a float32 (or integer) b
    # rounded 0.2 to float32 (0.30000000298 for 0.1 + 0.2 * 1).
    for other_dtype in ("float32", "int64", "float64"):
        for lib in (wick, torch):
            kw = {"device": device} if lib is wick else {}
            a = lib.tensor([0.1, 1.0], dtype=lib.float64, **kw)
            b = lib.tensor([1, 3], dtype=getattr(lib, other_dtype), **kw)
            got = [lib.add(a, b, alpha=0.2), lib.sub(a, b, alpha=0.2), a.clone().add_(b, alpha=0.2),
                   a.clone().sub_(b, alpha=0.2), lib.add(a, 1, alpha=0.2), lib.add(a[0], b[0], alpha=0.2)]
            if lib is wick:
                w = got
            else:  # within an ulp: PyTorch's vector loop fuses a + alpha * b (one rounding)
                for wi, ti in zip(w, got):
                    assert_same(wi.cpu(), ti, 3e-16, 0, f"other {other_dtype}")
    assert values(wick.add(wick.tensor([0.1], dtype=wick.float64), wick.tensor([1.0]), alpha=0.2)) == [
        0.30000000000000004]
    # Integer alpha stays exact; a float alpha for integers is refused, as in PyTorch.
    assert values(wick.add(wick.tensor([2 ** 60]), wick.tensor([3]), alpha=2 ** 40 + 1)) == [
        2 ** 60 + 3 * (2 ** 40 + 1)]
    for lib in (wick, torch):
        with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
            lib.add(lib.tensor([1]), lib.tensor([2]), alpha=0.5)


def test_scalar_parameters_keep_float64_and_int64(device):
    a64 = [0.1, 1.0, -0.7]
    for f in (lambda lib, x: x * 0.1, lambda lib, x: x + 0.2, lambda lib, x: 0.2 - x, lambda lib, x: x / 0.3,
              lambda lib, x: 0.3 / x, lambda lib, x: x ** 0.3, lambda lib, x: 0.3 ** x,
              lambda lib, x: lib.clamp(x, min=0.1, max=0.7), lambda lib, x: lib_f(lib).leaky_relu(x, 0.1),
              lambda lib, x: lib_f(lib).hardtanh(x, 0.1, 0.7), lambda lib, x: lib_f(lib).softplus(x, beta=0.3)):
        w = f(wick, wick.tensor(a64, dtype=wick.float64, device=device))
        t = f(torch, torch.tensor(a64, dtype=torch.float64))
        assert_same(w.cpu(), t, 1e-15, 0)
    # Integer clamp bounds were doubles: 2**60 + 1 became 2**60.
    big = 2 ** 60 + 1
    assert values(wick.clamp(wick.tensor([2 ** 60, 0, 2 ** 61], device=device), min=big)) == [big, big, 2 ** 61]
    assert values(wick.clamp(wick.tensor([2 ** 61, 0], device=device), max=big)) == [big, 0]
    assert values(wick.clamp(wick.tensor([-5, 300], dtype=wick.int32, device=device), -(2 ** 31), 2 ** 31 - 1)) == [
        -5, 300]
    # Bounds an int32 cannot hold are refused, as PyTorch 1.13 does (Note [clamp's dtype and bounds]).
    for lib in (wick, torch):
        with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
            lib.clamp(lib.tensor([-5, 300], dtype=lib.int32), -(2 ** 40), 2 ** 40)


# ---- var / std ------------------------------------------------------------------------------------

def test_std_of_huge_float32_values_is_finite():
    # The float32 squares of 1e30 overflowed: wick gave inf, torch 1.1547e30.
    x = [1e30, -1e30, 1e30, -1e30]
    assert_same(wick.tensor(x).std(), torch.tensor(x).std(), 1e-6, 0)
    assert_same(wick.tensor(x).var(), torch.tensor(x).var(), 0, 0)  # inf: 1.33e60 is beyond float32
    m = [[1e30, -1e30], [1e30, 3e30]]
    assert_same(wick.tensor(m).std(0), torch.tensor(m).std(0), 1e-6, 0)
    assert_same(wick.tensor(m).std(1, unbiased=False), torch.tensor(m).std(1, unbiased=False), 1e-6, 0)


def test_var_std_of_float32_values_far_from_zero(device):
    # 1e5 + k * 1e-3: float32 sums of squared deviations lost a third of the
    # variance per row (0.00138 for torch's 0.00085); PyTorch accumulates in double.
    for make in (lambda lib: lib.arange(1000, dtype=lib.float32) * 1e-3 + 1e5,
                 lambda lib: lib.arange(1000, dtype=lib.float32).sin() * 1e3 + 1e6):
        w, t = make(wick).to(device), make(torch)
        for f in (lambda x: x.reshape(10, 100).var(1), lambda x: x.reshape(10, 100).std(0, keepdim=True),
                  lambda x: x.reshape(10, 100).var(1, correction=0)):
            assert_same(f(w).cpu(), f(t), 1e-6, 0)
        # Over all elements PyTorch 1.13 takes the mean in float32 first (off by
        # an ulp of 1e5, which adds its square to the variance: 0.288942 for
        # 0.288822); wick's mean is float64, so the reference is NumPy's float64.
        x = t.numpy().astype(np.float64)
        assert w.std().item() == pytest.approx(np.std(x, ddof=1), rel=1e-6)
        assert w.var(correction=0).item() == pytest.approx(np.var(x), rel=1e-6)


def test_var_std_values_and_gradients_match():
    check(lambda x: x.var(), [(7,)])
    check(lambda x: x.std(1), [(3, 5)])
    check(lambda x: x.std(0, keepdim=True), [(4, 3)])
    check(lambda m, x: m.var(x, (0, 2), correction=0), [(3, 2, 4)], module=True)
    check(lambda m, x: m.std(x, (0, 1), correction=2), [(2, 5)], module=True)
    for lib in (wick, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        assert x.var().grad_fn.name() == "VarBackward0"
        assert x.std(0).grad_fn.name() == "StdBackward0"


def test_std_gradient_where_std_is_zero():
    # d std / dx was inf * 0 = nan where std = 0; PyTorch gives 0.
    compare(lambda lib, x: x.std(), [1.0, 1.0, 1.0])
    compare(lambda lib, x: x.std(0), [[1.0, 2.0], [1.0, 3.0]])
    compare(lambda lib, x: x.std(1, keepdim=True), [[1.0, 1.0], [1.0, 3.0]])
    compare(lambda lib, x: x.var(), [1.0, 1.0])


def test_var_std_double_backward():
    x = wick.tensor([[0.3, -1.2, 2.5], [4.0, 5.0, -6.0]], dtype=wick.float64, requires_grad=True)
    assert wick.autograd.gradgradcheck(lambda t: t.std(1), (x,))
    assert wick.autograd.gradgradcheck(lambda t: t.var(), (x,))


# ---- floor division and remainder by infinity -------------------------------------------------------

def test_floor_division_by_infinity_and_near_whole_quotients(device):
    # floor(a / b): -5 // inf gave -0 (PyTorch -1), 1 // 0.1 gave 10 (PyTorch 9: 0.1 is a bit above 1/10).
    cases = [([5.0, -5.0, 0.0, -0.0, INF, 5.0], [INF]), ([5.0, -5.0, 0.0, -0.0], [-INF]),
             ([-0.5, 0.5, 1.0, -1.0, 1.0, 7.0, 0.3, -0.0, 0.0], [1.0, -1.0, 0.1, 0.1, 0.2, 0.7, 0.1, 1.0, -1.0]),
             ([5.0, -5.0, 0.0], [0.0]), ([5.0, -5.0, 0.0], [-0.0]), ([INF, -INF, NAN], [2.0])]
    for dtype in ("float32", "float64"):
        for a, b in cases:
            for form in (lambda lib, x, y: x // y, lambda lib, x, y: lib.floor_divide(x, y),
                         lambda lib, x, y: lib.div(x, y, rounding_mode="floor"), lambda lib, x, y: x % y,
                         lambda lib, x, y: lib.remainder(x, y), lambda lib, x, y: lib.fmod(x, y),
                         lambda lib, x, y: lib.div(x, y, rounding_mode="trunc")):
                w = form(wick, wick.tensor(a, dtype=getattr(wick, dtype), device=device),
                         wick.tensor(b, dtype=getattr(wick, dtype), device=device))
                t = form(torch, torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype)))
                assert_same(w.cpu(), t, 0, 0, f"{a} and {b} ({dtype})")
                assert signs(w) == signs(t), (a, b, values(w), values(t))
            # A Python number as the divisor.
            if len(b) == 1:
                assert_same((wick.tensor(a, dtype=getattr(wick, dtype), device=device) // b[0]).cpu(),
                            torch.tensor(a, dtype=getattr(torch, dtype)) // b[0], 0, 0)


# ---- gradients at kinks -------------------------------------------------------------------------------

def test_softplus_and_log_sigmoid_at_zero(device):
    # Composed of relu and abs, their gradient at 0 was 0 (PyTorch 0.5).
    pts = [0.0, -1.0, 1.0, 30.0, -30.0, 800.0, -800.0, 20.0, 20.5, -1e-8]
    for dtype in ("float32", "float64"):
        rtol = 1e-6 if dtype == "float32" else 1e-14
        compare(lambda lib, x: lib_f(lib).softplus(x), pts, dtype=dtype, device=device, rtol=rtol, atol=1e-40)
        compare(lambda lib, x: lib_f(lib).softplus(x, beta=2, threshold=1), [0.0, 0.5, 0.4, 0.6, -3.0], dtype=dtype,
                device=device, rtol=rtol)
        compare(lambda lib, x: lib_f(lib).softplus(x, beta=0.5, threshold=3), [6.0, 6.5, 5.9, 0.0], dtype=dtype,
                device=device, rtol=rtol)
        compare(lambda lib, x: lib_f(lib).logsigmoid(x), pts, dtype=dtype, device=device, rtol=rtol, atol=1e-40)
    for lib in (wick, torch):
        x = lib.tensor([1.0], requires_grad=True)
        assert lib_f(lib).softplus(x).grad_fn.name() == "SoftplusBackward0"
        assert lib_f(lib).logsigmoid(x).grad_fn.name() == "LogSigmoidBackward0"
    check(lambda m, x: lib_f(m).softplus(x, beta=1.5, threshold=2), [(3, 4)], module=True, low=-4, high=4)
    check(lambda m, x: lib_f(m).logsigmoid(x), [(3, 4)], module=True, low=-4, high=4)
    x = wick.tensor([0.0, -2.0, 3.0, 25.0], dtype=wick.float64, requires_grad=True)
    assert wick.autograd.gradgradcheck(lambda t: WF.softplus(t), (x,))
    assert wick.autograd.gradgradcheck(lambda t: WF.logsigmoid(t), (x,))


def test_hardtanh_and_relu6_pass_no_gradient_at_their_bounds(device):
    # They were clamp, whose gradient is 1 at the bounds; PyTorch's hardtanh's is 0.
    compare(lambda lib, x: lib_f(lib).relu6(x), [0.0, 6.0, 3.0, -1.0, 7.0], device=device)
    compare(lambda lib, x: lib_f(lib).hardtanh(x), [-1.0, 1.0, 0.0, 2.0, -2.0], device=device)
    # At a NaN PyTorch 1.13's vectorized loop gives 0 and its scalar loop (a few
    # elements) g; wick gives 0 always, as clamp does.
    compare(lambda lib, x: lib_f(lib).relu6(x), [NAN] + [1.0] * 19, device=device)
    x = wick.tensor([NAN, 0.5], requires_grad=True)
    WF.hardtanh(x).sum().backward()
    assert values(x.grad) == [0.0, 1.0]
    compare(lambda lib, x: lib_f(lib).hardtanh(x, -2.0, 3.0), [-2.0, 3.0, 0.0], device=device)
    compare(lambda lib, x: lib_f(lib).hardtanh(x, 2.0, 1.0), [0.5, 1.5, 3.0], device=device)  # max wins
    compare(lambda lib, x: lib_f(lib).relu6(x.clone(), inplace=True), [0.0, 6.0, 3.0, -1.0], device=device)
    compare(lambda lib, x: lib_f(lib).hardtanh(x * 1, 0.0, 1.0, inplace=True), [0.0, 1.0, 0.5], device=device)
    for lib in (wick, torch):
        assert lib_f(lib).relu6(lib.tensor([1.0], requires_grad=True)).grad_fn.name() == "HardtanhBackward0"
    # Integer tensors: the bounds truncated, as PyTorch's float clamp written back.
    for a, lo, hi in (([-3, 0, 3, 7], -1.0, 1.0), ([-3, 0, 7], 0.0, 6.0), ([-3, -1, 0, 2], -1.5, 0.5)):
        assert values(WF.hardtanh(wick.tensor(a, device=device), lo, hi)) == values(
            TF.hardtanh(torch.tensor(a), lo, hi))


def test_rounded_division_has_zero_gradient(device):
    # trunc(a / b)'s chain gave nan where b is 0; floor division had no grad_fn at all.
    # PyTorch's floor_divide and // results require grad too (their backward
    # raises "not implemented"); wick's gradient is 0.
    for f in (lambda lib, a, b: lib.floor_divide(a, b), lambda lib, a, b: a // b, lambda lib, a, b: a // 2.0):
        x = wick.tensor([1.0, -2.5], requires_grad=True, device=device)
        y = f(wick, x, wick.tensor([0.0, 2.0], device=device))
        assert y.requires_grad == f(torch, torch.tensor([1.0], requires_grad=True), torch.tensor([2.0])).requires_grad
        y.sum().backward()
        assert values(x.grad) == [0.0, 0.0]
    for mode in ("trunc", "floor"):
        compare(lambda lib, a, b: lib.div(a, b, rounding_mode=mode), [1.0, 2.0, 0.0, -7.0], [0.0, 1.0, 0.0, 2.0],
                device=device)
        x = wick.tensor([1.0, 2.0], requires_grad=True)
        assert wick.div(x, 2, rounding_mode=mode).grad_fn.name() == "DivBackward2"
        assert wick.div(x, 2, rounding_mode=mode).dtype == wick.float32


def test_smooth_l1_with_beta_zero_at_equal_values():
    # d / 0 at d = 0 gave nan. PyTorch 1.13 gives -1 to both input and target
    # there (not even antisymmetric; later versions call l1_loss); wick gives
    # l1_loss's 0.
    x, y = [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]
    w = run(wick, lambda lib, a, b: lib_f(lib).smooth_l1_loss(a, b, beta=0.0), x, y)
    t = run(torch, lambda lib, a, b: lib_f(lib).l1_loss(a, b), x, y)
    for wi, ti in zip(w, t):
        assert_same(wi, ti, 1e-15, 0)
    compare(lambda lib, a, b: lib_f(lib).smooth_l1_loss(a, b, beta=0.5), [1.0, 2.0, 3.0], [1.0, 1.75, 4.0])


def test_pow_gradients_with_a_zero_or_negative_base():
    compare(lambda lib, a, b: lib.pow(a, b), [0.0, 0.0, 0.0, -2.0, -2.0, 0.0], [-1.0, 0.0, 2.0, 2.0, 0.5, 0.5])
    for e in (-1.0, 0.0, 2.0, 0.5, -0.5):
        compare(lambda lib, a: lib.pow(a, e), [0.0, -2.0, 3.0])
    # A number base: 0 ** b for b < 0 has exponent gradient inf * log(0) = -inf (wick gave 0).
    compare(lambda lib, b: lib.pow(0.0, b), [-1.0, 0.0, 2.0])
    compare(lambda lib, b: 0.0 ** b, [-1.0, 0.0, 2.0])
    compare(lambda lib, b: lib.pow(-2.0, b), [2.0, 0.5])


@pytest.mark.parametrize("name,fn,pts", [
    ("abs", lambda lib, x: x.abs(), [0.0, -1.0, 1.0]),
    ("relu", lambda lib, x: lib.relu(x), [0.0, -1.0, 1.0]),
    ("sign", lambda lib, x: x.sign(), [0.0, 1.0]),
    ("clamp", lambda lib, x: lib.clamp(x, 0.0, 1.0), [0.0, 1.0, 0.5, 2.0, -1.0]),
    ("clamp_min", lambda lib, x: lib.clamp(x, min=0.0), [0.0]),
    ("clamp_max", lambda lib, x: lib.clamp(x, max=0.0), [0.0]),
    ("max", lambda lib, x: x.max(), [1.0, 3.0, 3.0]),
    ("min", lambda lib, x: x.min(), [1.0, 1.0, 3.0]),
    ("amax", lambda lib, x: lib.amax(x, 1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]),
    ("amin", lambda lib, x: lib.amin(x), [1.0, 1.0, 3.0]),
    ("max_dim", lambda lib, x: lib.max(x, 0)[0], [1.0, 3.0, 3.0]),
    ("elu", lambda lib, x: lib_f(lib).elu(x), [0.0, -1.0, 1.0]),
    ("elu_alpha", lambda lib, x: lib_f(lib).elu(x, alpha=2.0), [0.0, -1.0]),
    ("leaky_relu", lambda lib, x: lib_f(lib).leaky_relu(x, 0.2), [0.0, -1.0]),
    ("sqrt", lambda lib, x: x.sqrt(), [0.0, 4.0]),
    ("rsqrt", lambda lib, x: x.rsqrt(), [0.0, 4.0]),
    ("norm", lambda lib, x: x.norm(), [0.0, 0.0]),
])
def test_gradients_at_kinks_match(name, fn, pts):
    compare(fn, pts)


def test_maximum_minimum_split_ties():
    compare(lambda lib, a, b: lib.maximum(a, b), [1.0, 2.0], [1.0, 3.0])
    compare(lambda lib, a, b: lib.minimum(a, b), [1.0, 2.0], [1.0, 3.0])
    # A NaN makes every comparison false: PyTorch gives the whole gradient to
    # both inputs there (wick gave 0 to both).
    a, b = [1.0, NAN, 2.0, 3.0, NAN], [NAN, 1.0, 2.0, 1.0, NAN]
    compare(lambda lib, x, y: lib.maximum(x, y), a, b)
    compare(lambda lib, x, y: lib.minimum(x, y), a, b)


def test_large_integers_print_exactly():
    # Printing went through a double: 2**62 + 1 printed as 4611686018427387904.
    for data in ([2 ** 62 + 1], [2 ** 62 + 1, -(2 ** 63), 7], [[2 ** 53 + 1, 1], [-3, 2 ** 63 - 1]]):
        assert repr(wick.tensor(data)) == repr(torch.tensor(data))
    assert repr(wick.tensor([2 ** 31 - 1, -(2 ** 31)], dtype=wick.int32)) == repr(
        torch.tensor([2 ** 31 - 1, -(2 ** 31)], dtype=torch.int32)).replace("torch.", "wick.")


def test_cross_entropy_with_no_spatial_positions():
    # An input [N, C, 0] made the nll_loss kernel divide by its 0 positions: SIGFPE.
    for reduction in ("mean", "sum", "none"):
        for shapes in (((4, 3, 0), (4, 0)), ((2, 3, 0, 5), (2, 0, 5))):
            w = wick.zeros(*shapes[0], dtype=wick.float64, requires_grad=True)
            t = torch.zeros(*shapes[0], dtype=torch.float64, requires_grad=True)
            wl = WF.cross_entropy(w, wick.zeros(*shapes[1], dtype=wick.int64), reduction=reduction)
            tl = TF.cross_entropy(t, torch.zeros(*shapes[1], dtype=torch.int64), reduction=reduction)
            assert_same(wl.detach(), tl.detach(), 0, 0)
            wl.sum().backward()
            tl.sum().backward()
            assert_same(w.grad, t.grad, 0, 0)


# ---- found by the differential tester (issue 21) --------------------------------------------------

@pytest.mark.parametrize("call", [lambda lib, x, y: lib.floor_divide(x, y), lambda lib, x, y: lib.fmod(x, y),
                                  lambda lib, x, y: lib.remainder(x, y), lambda lib, x, y: x // y,
                                  lambda lib, x, y: lib.div(x, y, rounding_mode="floor"),
                                  lambda lib, x, y: lib.div(x, y, rounding_mode="trunc")])
def test_integer_division_of_nothing_by_zero_is_empty(call, device):
    # An empty result divides nothing: no ZeroDivisionError, as in PyTorch.
    for shape, divisor in (((1, 0), False), ((0,), 0), ((3, 0), "zeros"), ((2, 0), "broadcast")):
        out = []
        for lib in (wick, torch):
            kw = {"device": device} if lib is wick else {}
            x = lib.zeros(shape, dtype=lib.int64, **kw)
            y = {"zeros": lib.zeros(shape, dtype=lib.int64, **kw),
                 "broadcast": lib.zeros(1, dtype=lib.int64, **kw)}.get(divisor, divisor)
            r = call(lib, x, y)
            out.append((tuple(r.shape), str(r.dtype).split(".")[-1]))
        assert out[0] == out[1]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(wick, wick.zeros(2, dtype=wick.int64, device=device), 0)


def test_std_of_equal_values_is_zero_with_zero_gradient(device):
    # sum / n of n equal values is not exact: the mean is corrected once, so the deviations are exactly 0,
    # std is 0 (not 1e-17) and its gradient PyTorch's 0 (not an O(1) number).
    grads = []
    for lib in (wick, torch):
        leaf = lib.tensor([[-0.4005978444817532], [0.376278728646171], [-1.1546497080459577]],
                          dtype=lib.float64, requires_grad=True)
        x = (leaf.to(device) if lib is wick else leaf).expand(3, 3)
        s = x.std(dim=-1)
        assert s.cpu().tolist() == [0.0, 0.0, 0.0]
        assert x.var(dim=1).cpu().tolist() == [0.0, 0.0, 0.0]
        s.backward(lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64).to(s.device))
        grads.append(leaf.grad.tolist())
    assert grads[0] == grads[1] == [[0.0], [0.0], [0.0]]
    # Unequal values: the exact variance of the float64 inputs, to within the rounding of the deviations
    # from the mean (the last row's are ~2**-40 / 3 beside 0.1: PyTorch 1.13's is off by 8e-6 there).
    rows = [[1e5 + 1e-3, 1e5 + 2e-3, 1e5 - 5e-3], [1.0, 2.0, 4.0], [0.1, 0.1, 0.1 + 2**-40]]
    exact = [float(statistics.variance([fractions.Fraction(v) for v in r])) for r in rows]
    np.testing.assert_allclose(values(wick.tensor(rows, dtype=wick.float64, device=device).var(1)), exact,
                               rtol=1e-9)


def test_pow_of_bools_to_a_negative_integer_is_refused():
    # bool ** -1 is an int64 power of an integer to a negative integer, as in PyTorch.
    for lib in (wick, torch):
        with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
            lib.tensor([True, False]).pow(-1)
    assert values(wick.tensor([True, False]).pow(2)) == values(torch.tensor([True, False]).pow(2))


def test_constant_pad_to_an_empty_dim_is_allowed_and_to_a_negative_size_refused(device):
    # As newer PyTorch (output size >= 0); PyTorch 1.13 refuses size 0 too.
    x = wick.arange(6.0, device=device).reshape(3, 2).requires_grad_()
    y = WF.pad(x, (-1, -1, 1, 0))
    assert tuple(y.shape) == (4, 0)
    y.sum().backward()
    assert x.grad.cpu().tolist() == [[0.0, 0.0]] * 3
    assert tuple(WF.pad(wick.ones(0, 3, device=device), (0, 0, 1, 2)).shape) == (3, 3)
    with pytest.raises(ValueError, match="negative size"):
        WF.pad(x, (-2, -1))
