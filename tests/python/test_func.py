"""wick.func (torch.func's transforms) against functorch 1.13 (what became
torch.func): grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap,
functional_call; nesting; errors."""
import functorch
import numpy as np
import pytest
import torch

import wick
from helpers import assert_same


def both(array):
    return {wick: wick.tensor(array), torch: torch.tensor(array)}


def f_scalar(lib, x, y):
    return (lib.sin(x) * y).sum() + (x ** 2).sum() * y.mean()


def f_vector(lib, x, y):
    return lib.tanh(x) * y + x.sum()


FT = {"grad": functorch.grad, "grad_and_value": functorch.grad_and_value, "jacrev": functorch.jacrev,
      "jacfwd": functorch.jacfwd, "hessian": functorch.hessian, "vmap": functorch.vmap}


def fn(lib, name):
    return getattr(wick.func, name) if lib is wick else FT[name]


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_grad_and_value(argnums):
    rng = np.random.default_rng(0)
    x, y = both(rng.normal(size=(3, 4))), both(rng.normal(size=4))
    for name in ("grad", "grad_and_value"):
        out = {lib: fn(lib, name)(lambda a, b: f_scalar(lib, a, b), argnums)(x[lib], y[lib]) for lib in (wick, torch)}
        assert_same(out[wick], out[torch], 1e-12, 1e-12)
    assert not any(t.requires_grad for t in (x[wick], y[wick]))  # the outermost result carries no graph
    g = wick.func.grad(lambda a, b: f_scalar(wick, a, b), argnums)(x[wick], y[wick])
    assert all(not t.requires_grad for t in (g if isinstance(g, tuple) else (g,)))


def test_grad_has_aux_and_nesting():
    x = both(np.array([0.3, -1.2, 2.0]))
    for lib in (wick, torch):
        g, aux = fn(lib, "grad")(lambda a: ((a ** 3).sum(), a.detach() * 2), has_aux=True)(x[lib])
        np.testing.assert_allclose(g.numpy(), 3 * x[torch].numpy() ** 2)
        np.testing.assert_allclose(aux.numpy(), 2 * x[torch].numpy())
    # Third derivative of sin through three nested grads: -cos.
    third = {lib: fn(lib, "grad")(fn(lib, "grad")(fn(lib, "grad")(lambda a: lib.sin(a))))(lib.tensor(0.7))
             for lib in (wick, torch)}
    assert_same(third[wick], third[torch], 1e-12, 1e-12)


def test_vjp_and_jvp_match_functorch():
    rng = np.random.default_rng(1)
    x, y = both(rng.normal(size=(2, 3))), both(rng.normal(size=3))
    cot, tx, ty = both(rng.normal(size=(2, 3))), both(rng.normal(size=(2, 3))), both(rng.normal(size=3))
    out_w, vjp_w = wick.func.vjp(lambda a, b: f_vector(wick, a, b), x[wick], y[wick])
    out_t, vjp_t = functorch.vjp(lambda a, b: f_vector(torch, a, b), x[torch], y[torch])
    assert_same(out_w, out_t, 1e-12, 1e-12)
    assert_same(vjp_w(cot[wick]), vjp_t(cot[torch]), 1e-12, 1e-12)
    with pytest.raises(RuntimeError, match="shape"):
        vjp_w(wick.ones(3))
    jw = wick.func.jvp(lambda a, b: f_vector(wick, a, b), (x[wick], y[wick]), (tx[wick], ty[wick]))
    jt = functorch.jvp(lambda a, b: f_vector(torch, a, b), (x[torch], y[torch]), (tx[torch], ty[torch]))
    assert_same(jw, jt, 1e-12, 1e-12)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacobians_match_functorch(name, argnums):
    rng = np.random.default_rng(2)
    x, y = both(rng.normal(size=(2, 3))), both(rng.normal(size=3))
    out = {lib: fn(lib, name)(lambda a, b: f_vector(lib, a, b), argnums)(x[lib], y[lib]) for lib in (wick, torch)}
    assert_same(out[wick], out[torch], 1e-12, 1e-12)


def test_hessian_matches_functorch():
    x = both(np.random.default_rng(3).normal(size=4))
    f = {lib: (lambda a, lib=lib: (lib.exp(a) * a.flip(0)).sum() + (a ** 4).sum()) for lib in (wick, torch)}
    out = {lib: fn(lib, "hessian")(f[lib])(x[lib]) for lib in (wick, torch)}
    assert_same(out[wick], out[torch], 1e-11, 1e-11)


@pytest.mark.parametrize("in_dims,out_dims", [((0, 0), 0), ((1, 0), 0), ((0, None), (1, 0)), ((1, 0), -1)])
def test_vmap_matches_functorch(in_dims, out_dims):
    rng = np.random.default_rng(4)
    x, y = both(rng.normal(size=(5, 5))), both(rng.normal(size=5))
    f = {lib: (lambda a, b, lib=lib: (lib.tanh(a) * b, a.sum())) for lib in (wick, torch)}
    outs = {lib: fn(lib, "vmap")(f[lib], in_dims, out_dims)(x[lib], y[lib]) for lib in (wick, torch)}
    assert_same(outs[wick], outs[torch], 1e-12, 1e-12)


def test_vmap_of_grad_gives_per_sample_gradients():
    rng = np.random.default_rng(5)
    w, data = both(rng.normal(size=3)), both(rng.normal(size=(6, 3)))

    def per_sample(lib):
        loss = lambda weights, sample: (lib.tanh(sample @ weights) - 0.5) ** 2
        return fn(lib, "vmap")(fn(lib, "grad")(loss), in_dims=(None, 0))(w[lib], data[lib])

    assert_same(per_sample(wick), per_sample(torch), 1e-12, 1e-12)


def test_vmap_structures_randomness_and_errors():
    x = wick.arange(6.0).reshape(2, 3)
    out = wick.func.vmap(lambda d: {"s": d["a"] * 2, "t": [d["a"].sum()]})({"a": x})
    np.testing.assert_array_equal(out["s"].numpy(), 2 * x.numpy())
    np.testing.assert_array_equal(out["t"][0].numpy(), x.numpy().sum(1))
    same = wick.func.vmap(lambda a: a + wick.rand(()), randomness="same")(wick.zeros(4))
    assert len(set(same.tolist())) == 1
    different = wick.func.vmap(lambda a: a + wick.rand(()), randomness="different")(wick.zeros(4))
    assert len(set(different.tolist())) == 4
    with pytest.raises(ValueError, match="same size"):
        wick.func.vmap(lambda a, b: a + b)(wick.zeros(2), wick.zeros(3))
    with pytest.raises(ValueError, match="in_dim"):
        wick.func.vmap(lambda a: a, in_dims=2)(wick.zeros(2, 3))
    with pytest.raises(ValueError, match="out_dim"):
        wick.func.vmap(lambda a: a.sum(), out_dims=1)(wick.zeros(2, 3))
    with pytest.raises(RuntimeError, match="randomness"):
        wick.func.vmap(lambda a: a, randomness="sometimes")
    with pytest.raises(RuntimeError, match="scalar"):
        wick.func.grad(lambda a: a * 2)(wick.ones(3))


def test_functional_call_swaps_parameters():
    torch.manual_seed(0)
    tlin = torch.nn.Linear(3, 2)
    wlin = wick.nn.Linear(3, 2)
    params = {k: v.detach().numpy() * 2 for k, v in tlin.state_dict().items()}
    x = np.random.default_rng(6).normal(size=(4, 3)).astype("float32")
    out_w = wick.func.functional_call(wlin, {k: wick.tensor(v) for k, v in params.items()}, (wick.tensor(x),))
    out_t = torch.nn.utils.stateless.functional_call(tlin, {k: torch.tensor(v) for k, v in params.items()},
                                                     (torch.tensor(x),))
    assert_same(out_w, out_t, 1e-6, 1e-6)
