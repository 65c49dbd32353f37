"""wick.nn.utils against torch.nn.utils: parameters_to_vector, weight_norm and
spectral_norm (hooks and parametrizations), parametrize, orthogonal,
fuse_conv_bn_eval, skip_init, functional_call, get_total_norm and
clip_grads_with_norm_."""
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.nn as nn
from helpers import assert_same
from wick.nn.utils import parametrizations, parametrize

TOL = (1e-5, 1e-6)


def to_wick(t, device="cpu"):
    return wick.tensor(t.detach().numpy(), device=device)


def paired(make, device="cpu"):
    torch.manual_seed(0)
    t = make(torch.nn)
    w = make(nn)
    w.load_state_dict({k: to_wick(v) for k, v in t.state_dict().items()})
    return w.to(device), t


def run(w, t, shape, device="cpu", seed=1):
    """Output of both modules on one input, and then gradients of a random projection of it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype("float32")
    w_out, t_out = w(wick.tensor(x, device=device)), t(torch.tensor(x))
    assert_same(w_out, t_out, *TOL)
    g = rng.standard_normal(tuple(t_out.shape)).astype("float32")
    (w_out * wick.tensor(g, device=device)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    return w_out, t_out


def assert_grads_same(w, t):
    w_params, t_params = dict(w.named_parameters()), dict(t.named_parameters())
    assert list(w_params) == list(t_params)
    for name, tp in t_params.items():
        assert_same(w_params[name].grad, tp.grad, *TOL, f"grad of {name}")


# ---- parameters_to_vector -----------------------------------------------------------------------

def test_parameters_to_vector_and_back(device):
    w, t = paired(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.Conv1d(2, 2, 3)), device)
    vec = nn.utils.parameters_to_vector(w.parameters())
    assert_same(vec, torch.nn.utils.parameters_to_vector(t.parameters()), 0, 0)
    new = np.arange(vec.numel(), dtype="float32")
    nn.utils.vector_to_parameters(wick.tensor(new, device=device), w.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t.parameters())
    for (name, wp), tp in zip(w.named_parameters(), t.parameters()):
        assert type(wp) is nn.Parameter
        assert_same(wp, tp, 0, 0, name)
    with pytest.raises(TypeError, match="expected wick.Tensor"):
        nn.utils.vector_to_parameters(new, w.parameters())
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(wick.zeros(3, device=device), w.parameters())
    # Differentiable, as a cat of views.
    p = nn.Parameter(wick.ones(2, 2, device=device))
    (nn.utils.parameters_to_vector([p]) * wick.arange(4.0, device=device)).sum().backward()
    assert p.grad.tolist() == [[0.0, 1.0], [2.0, 3.0]]


# ---- weight_norm and spectral_norm (the hook versions) ------------------------------------------

@pytest.mark.parametrize("make,shape,dim", [
    (lambda nn: nn.Linear(4, 3), (2, 4), 0),
    (lambda nn: nn.Linear(4, 3), (2, 4), None),
    (lambda nn: nn.Conv2d(2, 3, 3), (1, 2, 5, 5), 1),
    (lambda nn: nn.Conv1d(2, 3, 3), (1, 2, 6), -1),
])
def test_weight_norm_hook_like_torch(make, shape, dim, device):
    w, t = paired(make, device)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(w, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(t, dim=dim)
    assert list(w.state_dict()) == list(t.state_dict())
    for key, value in t.state_dict().items():
        assert_same(w.state_dict()[key].cpu(), value, *TOL, key)
    run(w, t, shape, device)
    assert_grads_same(w, t)
    with pytest.raises(RuntimeError, match="two weight_norm hooks"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.utils.weight_norm(w, dim=dim)
    nn.utils.remove_weight_norm(w)
    torch.nn.utils.remove_weight_norm(t)
    assert list(w.state_dict()) == list(t.state_dict()) and type(w.weight) is nn.Parameter
    assert_same(w.weight.cpu(), t.weight, *TOL)
    with pytest.raises(ValueError, match="not found"):
        nn.utils.remove_weight_norm(w)


@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Linear(5, 3), (2, 5)),
    (lambda nn: nn.Conv2d(2, 4, 3), (1, 2, 5, 5)),
    (lambda nn: nn.ConvTranspose2d(2, 4, 3), (1, 2, 3, 3)),  # normalised over dim 1
])
def test_spectral_norm_hook_like_torch(make, shape, device):
    w, t = paired(make, device)
    nn.utils.spectral_norm(w, n_power_iterations=2)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    assert list(w.state_dict()) == list(t.state_dict())
    # The random starting vectors differ: give wick torch's.
    w.load_state_dict({k: to_wick(v, device) for k, v in t.state_dict().items()})
    for step in range(3):
        for m in (w, t):
            m.zero_grad()
        run(w, t, shape, device, seed=step)
        assert_grads_same(w, t)
        for key in ("weight_u", "weight_v"):
            assert_same(getattr(w, key).cpu(), getattr(t, key), *TOL, key)
    w.eval()
    t.eval()
    run(w, t, shape, device)
    nn.utils.remove_spectral_norm(w)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(w.state_dict()) == list(t.state_dict())
    assert_same(w.weight.cpu(), t.weight, *TOL)
    with pytest.raises(ValueError, match="n_power_iterations"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


# ---- parametrize --------------------------------------------------------------------------------

def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def scaled(lib):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return 2 * x

        def right_inverse(self, a):
            return a / 2
    return Scale()


def test_register_parametrization_like_torch(device):
    w, t = paired(lambda nn: nn.Linear(3, 3), device)
    weight_before = w.weight
    parametrize.register_parametrization(w, "weight", symmetric(wick))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", symmetric(torch))
    assert type(w).__name__ == "ParametrizedLinear" and isinstance(w, nn.Linear)
    assert parametrize.type_before_parametrizations(w) is nn.Linear
    assert parametrize.is_parametrized(w) and parametrize.is_parametrized(w, "weight")
    assert not parametrize.is_parametrized(w, "bias")
    assert w.parametrizations.weight.original is weight_before  # the same Parameter object, for optimizers
    assert list(w.state_dict()) == list(t.state_dict())
    assert repr(w).replace("wick", "torch") == repr(t).replace("Symmetric()", "Symmetric()")
    assert_same(w.weight.cpu(), t.weight, *TOL)
    run(w, t, (2, 3), device)
    assert_grads_same(w, t)
    # A second one chains after the first.
    parametrize.register_parametrization(w, "weight", scaled(wick))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", scaled(torch))
    assert list(w.state_dict()) == list(t.state_dict())
    assert_same(w.weight.cpu(), t.weight, *TOL)
    # Assigning goes through right_inverse, last first.
    value = np.arange(9, dtype="float32").reshape(3, 3)
    w.weight = wick.tensor(value, device=device)
    t.weight = torch.tensor(value)
    assert_same(w.parametrizations.weight.original.cpu(), t.parametrizations.weight.original, *TOL)
    assert_same(w.weight.cpu(), t.weight, *TOL)
    with parametrize.cached():
        assert w.weight is w.weight
    assert w.weight is not w.weight
    parametrize.remove_parametrizations(w, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    assert type(w) is nn.Linear and w.weight is weight_before and not hasattr(w, "parametrizations")
    assert list(w.state_dict()) == list(t.state_dict())
    assert_same(w.weight.cpu(), t.weight, *TOL)


def test_remove_parametrization_keeping_the_original_and_buffers():
    m = nn.Linear(2, 2)
    original = m.weight.detach().clone()
    parametrize.register_parametrization(m, "weight", scaled(wick))
    parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
    assert m.weight.allclose(original / 2)  # the original is right_inverse of the weight
    bn = nn.BatchNorm1d(2)
    parametrize.register_parametrization(bn, "running_var", scaled(wick))
    assert "parametrizations.running_var.original" in bn.state_dict()
    assert bn.running_var.tolist() == [1.0, 1.0] and not bn.parametrizations.running_var.original.requires_grad


def test_parametrized_modules_copy_and_transfer():
    import copy
    import pickle
    m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", symmetric(wick))
    clone = copy.deepcopy(m)
    assert type(clone) is type(m) and clone.weight.equal(m.weight)
    assert clone.parametrizations.weight.original is not m.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="state_dict"):
        pickle.dumps(m)
    target = nn.Linear(3, 3)
    parametrize.transfer_parametrizations_and_params(m, target)
    assert parametrize.is_parametrized(target, "weight") and target.weight.equal(m.weight)
    assert target.parametrizations.weight.original.equal(m.parametrizations.weight.original)
    assert target.parametrizations.weight.original is not m.parametrizations.weight.original


def test_parametrization_errors():
    class Widen(nn.Module):
        def forward(self, x):
            return wick.cat([x, x])

    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(m, "weight", Widen())
    parametrize.register_parametrization(m, "weight", Widen(), unsafe=True)
    assert tuple(m.weight.shape) == (4, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(m, "nothing", Widen())
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(m, "bias")
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = wick.zeros(4, 2)


# ---- parametrizations ---------------------------------------------------------------------------

@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
def test_orthogonal_square_like_torch(orthogonal_map, device):
    w, t = paired(lambda nn: nn.Linear(4, 4), device)
    parametrizations.orthogonal(w, orthogonal_map=orthogonal_map)
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=orthogonal_map)
    assert list(w.state_dict()) == list(t.state_dict())
    assert_same(w.weight.cpu(), t.weight, *TOL)
    run(w, t, (3, 4), device)
    assert_grads_same(w, t)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("orthogonal_map", ["matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("use_trivialization", [True, False])
def test_orthogonal_gives_orthonormal_columns(shape, orthogonal_map, use_trivialization):
    m = nn.Module()
    m.weight = nn.Parameter(wick.randn(shape, dtype=wick.float64))
    if orthogonal_map != "householder" and not use_trivialization:
        parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=False)
        with pytest.raises(NotImplementedError):
            m.weight = wick.eye(*shape[-2:], dtype=wick.float64).expand(shape)
        return
    parametrizations.orthogonal(m, orthogonal_map=orthogonal_map, use_trivialization=use_trivialization)
    q = m.weight if shape[-2] >= shape[-1] else m.weight.mT
    assert (q.mT @ q - wick.eye(q.size(-1), dtype=wick.float64)).abs().max().item() < 1e-10
    q.sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    # Assigning an orthogonal matrix gives it back.
    target = wick.linalg.qr(wick.randn(shape, dtype=wick.float64)).Q if shape[-2] >= shape[-1] else \
        wick.linalg.qr(wick.randn(shape, dtype=wick.float64).mT).Q.mT
    m.weight = target
    assert (m.weight - target).abs().max().item() < 1e-10


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="matrix or batch"):
        parametrizations.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="no parameter or buffer"):
        parametrizations.orthogonal(nn.Linear(3, 3), "kernel")


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_like_torch(dim, device):
    # PyTorch 1.13 has only the hook version: original0 / original1 are its weight_g / weight_v.
    w, t = paired(lambda nn: nn.Conv1d(2, 3, 3), device)
    parametrizations.weight_norm(w, dim=dim)
    torch.nn.utils.weight_norm(t, dim=dim)
    names = {"bias": "bias", "parametrizations.weight.original0": "weight_g",
             "parametrizations.weight.original1": "weight_v"}
    assert list(w.state_dict()) == list(names)
    t_state = t.state_dict()
    for key, value in w.state_dict().items():
        assert_same(value.cpu(), t_state[names[key]], *TOL, key)
    run(w, t, (2, 2, 6), device)
    t_params = dict(t.named_parameters())
    for key, param in w.named_parameters():
        assert_same(param.grad.cpu(), t_params[names[key]].grad, *TOL, key)
    parametrize.remove_parametrizations(w, "weight")
    assert_same(w.weight.cpu(), t.weight, *TOL)


def test_weight_norm_parametrization_loads_old_state_dicts():
    old = nn.Linear(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nn.utils.weight_norm(old)
    new = parametrizations.weight_norm(nn.Linear(4, 3))
    new.load_state_dict(old.state_dict())
    x = wick.randn(2, 4)
    assert new(x).allclose(old(x))


def test_spectral_norm_parametrization_like_torch(device):
    w, t = paired(lambda nn: nn.Linear(5, 4), device)
    parametrizations.spectral_norm(w)
    torch.nn.utils.parametrizations.spectral_norm(t)
    assert list(w.state_dict()) == list(t.state_dict())
    w.load_state_dict({k: to_wick(v, device) for k, v in t.state_dict().items()})
    for step in range(2):
        run(w, t, (3, 5), device, seed=step)
        assert_grads_same(w, t)
        assert_same(w.parametrizations.weight[0]._u.cpu(), t.parametrizations.weight[0]._u, *TOL)
    # The result has spectral norm 1, once the power iteration (a step per training read) has converged.
    wick.manual_seed(0)
    m = parametrizations.spectral_norm(nn.Linear(6, 5).double())
    for _ in range(200):
        weight = m.weight
    assert abs(wick.linalg.svdvals(weight).max().item() - 1) < 1e-6
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    one_d = nn.Module()
    one_d.weight = nn.Parameter(wick.tensor([3.0, 4.0]))
    parametrizations.spectral_norm(one_d)
    assert one_d.weight.tolist() == pytest.approx([0.6, 0.8])


# ---- fusion, skip_init --------------------------------------------------------------------------

@pytest.mark.parametrize("conv", [lambda nn: nn.Conv2d(3, 4, 3), lambda nn: nn.Conv2d(3, 4, 3, bias=False),
                                  lambda nn: nn.ConvTranspose2d(3, 4, 3)])
def test_fuse_conv_bn_eval_like_torch(conv):
    def make(nn):
        return nn.Sequential(conv(nn), nn.BatchNorm2d(4))
    torch.manual_seed(0)
    t = make(torch.nn)
    with torch.no_grad():
        t[1].running_mean.uniform_(-1, 1)
        t[1].running_var.uniform_(0.5, 2)
        t[1].weight.uniform_(0.5, 2)
        t[1].bias.uniform_(-1, 1)
    w = make(nn)
    w.load_state_dict({k: to_wick(v) for k, v in t.state_dict().items()})
    w.eval()
    t.eval()
    transpose = isinstance(t[0], torch.nn.ConvTranspose2d)
    fused_w = nn.utils.fuse_conv_bn_eval(w[0], w[1], transpose=transpose)
    fused_t = torch.nn.utils.fuse_conv_bn_eval(t[0], t[1], transpose=transpose)
    assert fused_w is not w[0] and type(fused_w) is type(w[0])
    assert_same(fused_w.weight, fused_t.weight, *TOL)
    assert_same(fused_w.bias, fused_t.bias, *TOL)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype("float32")
    assert fused_w(wick.tensor(x)).allclose(w(wick.tensor(x)), rtol=1e-4, atol=1e-5)
    with pytest.raises(AssertionError, match="eval"):
        nn.utils.fuse_conv_bn_eval(w[0].train(), w[1])


def test_fuse_linear_bn_eval():
    lin, bn = nn.Linear(3, 4), nn.BatchNorm1d(4)
    with wick.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    lin.eval()
    bn.eval()
    x = wick.randn(5, 3)
    assert nn.utils.fuse_linear_bn_eval(lin, bn)(x).allclose(bn(lin(x)), atol=1e-5)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 4, 3, bias=False, dtype=wick.float64)
    assert type(m) is nn.Linear and tuple(m.weight.shape) == (3, 4) and m.weight.dtype == wick.float64
    assert m.bias is None
    # The initialisers work again afterwards.
    assert nn.Linear(200, 3).weight.abs().sum().item() > 0 and nn.init.uniform_(wick.zeros(100)).sum().item() != 0

    class NoDevice(nn.Module):
        def __init__(self, n):
            super().__init__()
    with pytest.raises(RuntimeError, match="'device' arg"):
        nn.utils.skip_init(NoDevice, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        nn.utils.skip_init(int)


# ---- functional_call ----------------------------------------------------------------------------

def test_functional_call_like_torch(device):
    w, t = paired(lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)), device)
    rng = np.random.default_rng(0)
    new = {"0.weight": rng.standard_normal((4, 3)).astype("float32"), "2.bias": np.ones(2, dtype="float32"),
           "1.running_mean": np.zeros(4, dtype="float32")}
    w_new = {k: wick.tensor(v, device=device, requires_grad=k != "1.running_mean") for k, v in new.items()}
    t_new = {k: torch.tensor(v, requires_grad=k != "1.running_mean") for k, v in new.items()}
    x = rng.standard_normal((5, 3)).astype("float32")
    w_out = nn.utils.stateless.functional_call(w, w_new, (wick.tensor(x, device=device),))
    t_out = torch.nn.utils.stateless.functional_call(t, t_new, (torch.tensor(x),))
    assert_same(w_out, t_out, *TOL)
    w_out.sum().backward()
    t_out.sum().backward()
    for key in ("0.weight", "2.bias"):
        assert_same(w_new[key].grad, t_new[key].grad, *TOL, key)
    # The replaced parameters get no gradient, the others theirs...
    assert w[0].weight.grad is None and w[2].bias.grad is None and w[2].weight.grad is not None
    assert type(w[0].weight) is nn.Parameter and w[0].weight is dict(w.named_parameters())["0.weight"]
    assert_same(w_new["1.running_mean"], t_new["1.running_mean"], *TOL)  # ...and buffers updated are the given
    assert_same(w[1].running_mean, t[1].running_mean, *TOL)
    # One value: args need not be a tuple.
    assert_same(nn.utils.stateless.functional_call(w, {}, wick.tensor(x, device=device)), t(torch.tensor(x)),
                *TOL)


def test_functional_call_tied_weights_strict_and_errors():
    m = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    m[1].weight = m[0].weight
    x = wick.ones(1, 2)
    w = wick.eye(2) * 2
    assert nn.utils.stateless.functional_call(m, {"0.weight": w}, (x,)).tolist() == [[4.0, 4.0]]
    untied = nn.utils.stateless.functional_call(m, {"0.weight": w}, (x,), tie_weights=False)
    assert untied.allclose(x @ w.T @ m[0].weight.T)
    with pytest.raises(ValueError, match="tied"):
        nn.utils.stateless.functional_call(m, {"0.weight": w, "1.weight": w.clone()}, (x,))
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): '0.weight'"):
        nn.utils.stateless.functional_call(m, {"x": w}, (x,), strict=True, tie_weights=False)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        nn.utils.stateless.functional_call(m, ({"0.weight": w}, {"0.weight": w}), (x,))
    # The originals are back after an error in forward.
    before = m[0].weight
    with pytest.raises(RuntimeError):
        nn.utils.stateless.functional_call(m, {"0.weight": wick.ones(3, 3)}, (x,))
    assert m[0].weight is before and m[1].weight is before
    # Several dicts; kwargs.
    lin = nn.Linear(2, 1)
    out = nn.utils.stateless.functional_call(lin, ({"weight": wick.ones(1, 2)}, {"bias": wick.zeros(1)}),
                                             kwargs={"input": wick.tensor([[1.0, 2.0]])})
    assert out.tolist() == [[3.0]]


# ---- get_total_norm, clip_grads_with_norm_ ------------------------------------------------------

@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.0])
def test_total_norm_and_clipping_match_clip_grad_norm(norm_type, device):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype("float32") for s in ((3, 4), (5,), (2, 2, 2))]
    w_params = [nn.Parameter(wick.zeros(g.shape, device=device)) for g in grads]
    t_params = [torch.nn.Parameter(torch.zeros(g.shape)) for g in grads]
    for wp, tp, g in zip(w_params, t_params, grads):
        wp.grad = wick.tensor(g, device=device)
        tp.grad = torch.tensor(g)
    total = nn.utils.get_total_norm([p.grad for p in w_params], norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t_params, 1.5, norm_type)
    assert_same(total, t_total, *TOL)
    nn.utils.clip_grads_with_norm_(w_params, 1.5, total)
    for wp, tp in zip(w_params, t_params):
        assert_same(wp.grad, tp.grad, *TOL)
    # Under the limit, nothing changes.
    before = [p.grad.clone() for p in w_params]
    nn.utils.clip_grads_with_norm_(w_params, 1e6, nn.utils.get_total_norm([p.grad for p in w_params], norm_type))
    assert all(b.equal(p.grad) for b, p in zip(before, w_params))


def test_total_norm_edge_cases():
    assert nn.utils.get_total_norm([]).item() == 0.0
    assert nn.utils.get_total_norm(wick.tensor([3.0, 4.0])).item() == 5.0
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.get_total_norm([wick.tensor([float("nan")])], error_if_nonfinite=True)
    p = nn.Parameter(wick.ones(2))
    nn.utils.clip_grads_with_norm_([p], 1.0, 2.0)  # no gradient: nothing to do
    assert p.grad is None
