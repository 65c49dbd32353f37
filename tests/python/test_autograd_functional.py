"""wick.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against
torch.autograd.functional, and the autograd flags added for PyTorch 2.x."""
import threading

import numpy as np
import pytest
import torch

import wick
from helpers import assert_same

F, TF = wick.autograd.functional, torch.autograd.functional
TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}


def pair(rng, shape, dtype, device, layout="contiguous"):
    """The same random values as a wick tensor (on device) and a torch one; a
    transposed view for layout 'transposed'."""
    if layout == "transposed" and len(shape) >= 2:
        data = rng.uniform(-1.5, 1.5, shape[:-2] + (shape[-1], shape[-2])).astype(dtype)
        return wick.tensor(data, device=device).transpose(-1, -2), torch.tensor(data).transpose(-1, -2)
    data = rng.uniform(-1.5, 1.5, shape).astype(dtype)
    return wick.tensor(data, device=device), torch.tensor(data)


def to_cpu(x):
    if isinstance(x, (tuple, list)):
        return type(x)(to_cpu(el) for el in x)
    return x.cpu() if isinstance(x, wick.Tensor) else x


# Functions written once for both libraries (m is wick or torch).
FUNCS = {
    # single input, single output
    "elementwise": (lambda m: lambda x: m.sin(x) * x ** 2, [(3, 4)]),
    "reduction": (lambda m: lambda x: (x.exp() * x).sum(-1), [(2, 5)]),
    "matmul": (lambda m: lambda x: x @ x.transpose(0, 1), [(3, 2)]),
    "scalar_out": (lambda m: lambda x: (x.tanh() ** 2).sum(), [(4,)]),
    # tuple inputs, single output
    "two_inputs": (lambda m: lambda x, y: (x * y).sum(0) + m.sin(y).sum(), [(3, 2), (2,)]),
    # tuple inputs, tuple outputs
    "two_outputs": (lambda m: lambda x, y: (m.sin(x) * y.sum(), (x ** 2).sum() * m.exp(y)), [(2, 3), (4,)]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_jacobian_matches_torch(name, dtype, layout, device):
    make, shapes = FUNCS[name]
    rng = np.random.default_rng(0)
    pairs = [pair(rng, s, dtype, device, layout) for s in shapes]
    w_in = pairs[0][0] if len(pairs) == 1 else tuple(p[0] for p in pairs)
    t_in = pairs[0][1] if len(pairs) == 1 else tuple(p[1] for p in pairs)
    rtol, atol = TOL[dtype]
    want = TF.jacobian(make(torch), t_in)
    assert_same(to_cpu(F.jacobian(make(wick), w_in)), want, rtol, atol, "jacobian")
    assert_same(to_cpu(F.jacobian(make(wick), w_in, vectorize=True)), want, rtol, atol, "vectorized")
    assert_same(to_cpu(F.jacobian(make(wick), w_in, vectorize=True, strategy="forward-mode")), want, rtol, atol,
                "forward-mode")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["elementwise", "reduction", "two_inputs", "two_outputs"])
def test_vjp_and_jvp_match_torch(name, dtype, device):
    make, shapes = FUNCS[name]
    rng = np.random.default_rng(1)
    inputs = [pair(rng, s, dtype, device) for s in shapes]
    w_in, t_in = tuple(p[0] for p in inputs), tuple(p[1] for p in inputs)
    t_out = make(torch)(*t_in)
    t_outs = t_out if isinstance(t_out, tuple) else (t_out,)
    vs = [pair(rng, tuple(o.shape), dtype, device) for o in t_outs]
    w_v = tuple(p[0] for p in vs) if isinstance(t_out, tuple) else vs[0][0]
    t_v = tuple(p[1] for p in vs) if isinstance(t_out, tuple) else vs[0][1]
    rtol, atol = TOL[dtype]
    assert_same(to_cpu(F.vjp(make(wick), w_in, w_v)), TF.vjp(make(torch), t_in, t_v), rtol, atol, "vjp")
    us = [pair(rng, s, dtype, device) for s in shapes]
    w_u, t_u = tuple(p[0] for p in us), tuple(p[1] for p in us)
    assert_same(to_cpu(F.jvp(make(wick), w_in, w_u)), TF.jvp(make(torch), t_in, t_u), rtol, atol, "jvp")


def test_zero_size_jacobian(device):
    # PyTorch's loop fails on an empty output (stack of no rows); the
    # Jacobian of a map from or to an empty tensor is itself empty.
    x = wick.zeros(0, 3, device=device)
    for strategy in ("reverse-mode", "forward-mode"):
        jac = F.jacobian(lambda a: a * 2, x, vectorize=True, strategy=strategy)
        assert tuple(jac.shape) == (0, 3, 0, 3)
        jx, jy = F.jacobian(lambda a, b: a.sum() * b, (x, wick.ones(2, device=device)), vectorize=True,
                            strategy=strategy)
        assert tuple(jx.shape) == (2, 0, 3) and jy.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_single_tensor_structure_and_v_none(device):
    x = wick.tensor([0.3], dtype=wick.float64, device=device)
    tx = torch.tensor([0.3], dtype=torch.float64)
    out, g = F.vjp(lambda a: (a ** 3).sum(), x)
    tout, tg = TF.vjp(lambda a: (a ** 3).sum(), tx)
    assert_same(to_cpu((out, g)), (tout, tg), 1e-12, 1e-12)
    out, d = F.jvp(lambda a: a.exp(), x)
    assert_same(to_cpu((out, d)), TF.jvp(lambda a: a.exp(), tx), 1e-12, 1e-12)
    out, h = F.vhp(lambda a: (a ** 4).sum(), x)
    assert_same(to_cpu((out, h)), TF.vhp(lambda a: (a ** 4).sum(), tx), 1e-12, 1e-12)
    out, h = F.hvp(lambda a: (a ** 4).sum(), x)
    assert_same(to_cpu((out, h)), TF.hvp(lambda a: (a ** 4).sum(), tx), 1e-12, 1e-12)
    assert not out.requires_grad and not h.requires_grad


HESS = {
    "one": (lambda m: lambda x: (x.sin() ** 2).sum() * x.prod(), [(4,)]),
    "matrix": (lambda m: lambda x: (x @ x.transpose(0, 1)).tanh().sum(), [(2, 3)]),
    "two": (lambda m: lambda x, y: (m.sin(x) ** 2).sum() * y.prod() + (y ** 3).sum(), [(2, 3), (3,)]),
    "linear_part": (lambda m: lambda x, y: (x ** 3).sum() + y.sum(), [(3,), (2,)]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(HESS))
def test_hessian_vhp_hvp_match_torch(name, dtype, device):
    make, shapes = HESS[name]
    rng = np.random.default_rng(2)
    inputs = [pair(rng, s, dtype, device) for s in shapes]
    w_in = inputs[0][0] if len(inputs) == 1 else tuple(p[0] for p in inputs)
    t_in = inputs[0][1] if len(inputs) == 1 else tuple(p[1] for p in inputs)
    rtol, atol = TOL[dtype]
    rtol, atol = rtol * 10, atol * 10
    want = TF.hessian(make(torch), t_in)
    assert_same(to_cpu(F.hessian(make(wick), w_in)), want, rtol, atol, "hessian")
    assert_same(to_cpu(F.hessian(make(wick), w_in, vectorize=True, outer_jacobian_strategy="forward-mode")), want,
                rtol, atol, "hessian forward-over-reverse")
    vs = [pair(rng, s, dtype, device) for s in shapes]
    w_v = vs[0][0] if len(vs) == 1 else tuple(p[0] for p in vs)
    t_v = vs[0][1] if len(vs) == 1 else tuple(p[1] for p in vs)
    assert_same(to_cpu(F.vhp(make(wick), w_in, w_v)), TF.vhp(make(torch), t_in, t_v), rtol, atol, "vhp")
    assert_same(to_cpu(F.hvp(make(wick), w_in, w_v)), TF.hvp(make(torch), t_in, t_v), rtol, atol, "hvp")


@pytest.mark.parametrize("fn", ["jacobian", "vjp", "jvp", "hessian", "vhp", "hvp"])
def test_create_graph_results_differentiate_like_torch(fn, device):
    # With create_graph the result depends on the inputs: differentiate it again.
    rng = np.random.default_rng(3)
    data = rng.uniform(-1, 1, (3,))
    vdata = rng.uniform(-1, 1, (3,))
    results = []
    for lib, funcs in ((wick, F), (torch, TF)):
        x = lib.tensor(data, requires_grad=True) if lib is torch else wick.tensor(data, device=device,
                                                                                    requires_grad=True)
        v = lib.tensor(vdata) if lib is torch else wick.tensor(vdata, device=device)
        f_vec = lambda a: a.sin() * a.sum()
        f_scalar = lambda a: (a.sin() * a ** 2).sum()
        if fn == "jacobian":
            res = funcs.jacobian(f_vec, x, create_graph=True)
        elif fn == "hessian":
            res = funcs.hessian(f_scalar, x, create_graph=True)
        elif fn in ("vjp", "jvp"):
            res = getattr(funcs, fn)(f_vec, x, v, create_graph=True)[1]
        else:
            res = getattr(funcs, fn)(f_scalar, x, v, create_graph=True)[1]
        assert res.requires_grad
        (res * res).sum().backward()
        results.append((to_cpu(res.detach()), to_cpu(x.grad)))
    assert_same(results[0], results[1], 1e-9, 1e-11)


def test_create_graph_keeps_the_callers_graph():
    # The inputs may themselves be results: the derivatives then reach their leaves.
    w = wick.tensor([0.5, -1.0], dtype=wick.float64, requires_grad=True)
    tw = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    for lib, funcs, leaf in ((wick, F, w), (torch, TF, tw)):
        _, g = funcs.vjp(lambda a: (a ** 3).sum(), leaf * 2, create_graph=True)
        g.sum().backward()
    assert_same(w.grad, tw.grad, 1e-12, 1e-12)


def test_results_are_detached_without_create_graph():
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    out, g = F.vjp(lambda a: a * a, x, wick.ones(2))
    assert not out.requires_grad and not g.requires_grad
    assert not F.jacobian(lambda a: a * a, x).requires_grad
    assert not F.hessian(lambda a: (a ** 3).sum(), x).requires_grad
    assert x.grad is None


def test_independent_inputs_give_zeros_or_strict_errors():
    x, y = wick.tensor([1.0, 2.0]), wick.tensor([3.0])
    tx, ty = torch.tensor([1.0, 2.0]), torch.tensor([3.0])
    f = lambda a, b: a * 2
    assert_same(F.jacobian(f, (x, y)), TF.jacobian(f, (tx, ty)), 0, 0)
    assert_same(F.vjp(f, (x, y), wick.ones(2)), TF.vjp(f, (tx, ty), torch.ones(2)), 0, 0)
    assert_same(F.hessian(lambda a: a.sum(), x), TF.hessian(lambda a: a.sum(), tx), 0, 0)  # linear: zeros
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        F.jacobian(f, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(f, (x, y), wick.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        F.vjp(lambda a: wick.ones(2), x, wick.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect to input 0 is "
                                           "independent"):
        F.hessian(lambda a: a.sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect to input 0 is "
                                           "independent"):
        F.vhp(lambda a: a.sum(), x, wick.ones(2), strict=True)


def test_bad_arguments_raise_clear_errors():
    x = wick.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="inputs given to jacobian must be either a Tensor or a tuple of Tensors "
                                        "but the value at index 1 has type int"):
        F.jacobian(lambda a, b: a, (x, 3))
    with pytest.raises(TypeError, match="outputs of the user-provided function given to vjp"):
        F.vjp(lambda a: 3.0, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(2,\) but got \(3,\)"):
        F.vjp(lambda a: a * 2, x, wick.ones(3))
    with pytest.raises(RuntimeError, match=r"Entry 1 in v has invalid size"):
        F.jvp(lambda a, b: a * b, (x, x), (wick.ones(2), wick.ones(3)))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        F.jvp(lambda a, b: a * b, (x, x), (wick.ones(2),))
    with pytest.raises(RuntimeError, match="v can only be None if the user-provided function returns a single "
                                           "Tensor with a single element"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="v can only be None if the input"):
        F.jvp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"should contain a single element, but it has shape \(2,\)"):
        F.hessian(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        F.vhp(lambda a: (a.sum(), a.sum()), x, wick.ones(2))
    with pytest.raises(ValueError, match="Expected strategy to be either"):
        F.jacobian(lambda a: a, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="does not support `create_graph=True`"):
        F.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True, create_graph=True)


def test_multithreading_flag():
    autograd = wick.autograd
    assert autograd.is_multithreading_enabled() is True
    with autograd.set_multithreading_enabled(False):
        assert autograd.is_multithreading_enabled() is False
        seen = []
        t = threading.Thread(target=lambda: seen.append(autograd.is_multithreading_enabled()))
        t.start()
        t.join()
        assert seen == [True]  # per thread, as PyTorch's
        x = wick.tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()  # backward runs as ever
        assert x.grad.tolist() == [2.0, 4.0]
    assert autograd.is_multithreading_enabled() is True

    @autograd.set_multithreading_enabled(False)
    def inside():
        return autograd.is_multithreading_enabled()

    assert autograd.is_multithreading_enabled() is True  # decorating changes nothing yet
    assert inside() is False and autograd.is_multithreading_enabled() is True
    autograd.set_multithreading_enabled(False)  # a plain call takes effect at once
    assert autograd.is_multithreading_enabled() is False
    autograd.set_multithreading_enabled(True)
    assert autograd.kineto_available() is False
    assert "functional" in autograd.__all__ and autograd.functional is F


def test_autograd_leftover_names():
    assert wick.autograd.is_view_replay_enabled() is False
    with pytest.raises(RuntimeError, match="deprecated, use wick.tensor"):
        wick.autograd.variable([1.0])
