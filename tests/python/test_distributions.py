"""wick.distributions against torch.distributions (PyTorch 1.13 is the
oracle): densities, CDFs, entropies, moments and KL divergences with their
gradients, on broadcast, strided and zero-size parameters; reparameterized
sampling gradients; sample moments; transforms, constraints and validation."""
import math
import warnings

import numpy as np
import pytest
import torch

import wick
from helpers import assert_same, check

WD = wick.distributions


def pos(x):
    return x.abs() + 0.5


def unit(x):
    return x.sigmoid() * 0.9 + 0.05


def count(x):
    return (x.abs() * 2).floor()


# name -> (constructor from the library m and raw parameters, parameter shapes, value from a raw input)
CASES = {
    "Normal": (lambda m, a, b: m.distributions.Normal(a, pos(b)), [(3, 1), (4,)], lambda x: x),
    "Uniform": (lambda m, a, b: m.distributions.Uniform(-1 - pos(a), 1 + pos(b)), [(2, 3), (3,)],
                lambda x: x.clamp(-1, 1)),
    "Exponential": (lambda m, a: m.distributions.Exponential(pos(a)), [(2, 3)], pos),
    "Laplace": (lambda m, a, b: m.distributions.Laplace(a, pos(b)), [(3,), (2, 3)], lambda x: x),
    "Cauchy": (lambda m, a, b: m.distributions.Cauchy(a, pos(b)), [(3,), (2, 3)], lambda x: x),
    "Gamma": (lambda m, a, b: m.distributions.Gamma(pos(a), pos(b)), [(2, 3), (3,)], pos),
    "Chi2": (lambda m, a: m.distributions.Chi2(pos(a)), [(2, 3)], pos),
    "Beta": (lambda m, a, b: m.distributions.Beta(pos(a), pos(b)), [(2, 3), (3,)], unit),
    "LogNormal": (lambda m, a, b: m.distributions.LogNormal(a, pos(b)), [(3,), (2, 3)], pos),
    "HalfNormal": (lambda m, a: m.distributions.HalfNormal(pos(a)), [(2, 3)], pos),
    "HalfCauchy": (lambda m, a: m.distributions.HalfCauchy(pos(a)), [(2, 3)], pos),
    "Gumbel": (lambda m, a, b: m.distributions.Gumbel(a, pos(b)), [(3,), (2, 3)], lambda x: x),
    "Weibull": (lambda m, a, b: m.distributions.Weibull(pos(a), pos(b)), [(3,), (2, 3)], pos),
    "Pareto": (lambda m, a, b: m.distributions.Pareto(pos(a), pos(b)), [(3,), (2, 3)], lambda x: pos(x) + 2.5),
    "StudentT": (lambda m, a, b, c: m.distributions.StudentT(pos(a) + 2, b, pos(c)), [(3,), (2, 1), (3,)],
                 lambda x: x),
    "Kumaraswamy": (lambda m, a, b: m.distributions.Kumaraswamy(pos(a), pos(b)), [(3,), (2, 3)], unit),
    "FisherSnedecor": (lambda m, a, b: m.distributions.FisherSnedecor(pos(a) + 4, pos(b) + 4), [(3,), (2, 3)], pos),
    "VonMises": (lambda m, a, b: m.distributions.VonMises(a, pos(b)), [(3,), (2, 3)], lambda x: x),
    "ContinuousBernoulli": (lambda m, a: m.distributions.ContinuousBernoulli(probs=unit(a)), [(2, 3)], unit),
    "Bernoulli": (lambda m, a: m.distributions.Bernoulli(logits=a), [(2, 3)], lambda x: (x > 0).to(x.dtype)),
    "BernoulliP": (lambda m, a: m.distributions.Bernoulli(probs=unit(a)), [(2, 3)], lambda x: (x > 0).to(x.dtype)),
    "Geometric": (lambda m, a: m.distributions.Geometric(probs=unit(a)), [(2, 3)], count),
    "Poisson": (lambda m, a: m.distributions.Poisson(pos(a)), [(2, 3)], count),
    "Binomial": (lambda m, a: m.distributions.Binomial(5, logits=a), [(2, 3)], lambda x: count(x).clamp(max=5)),
    "NegativeBinomial": (lambda m, a, b: m.distributions.NegativeBinomial(pos(a), probs=unit(b)), [(3,), (2, 3)],
                         count),
    "Categorical": (lambda m, a: m.distributions.Categorical(logits=a), [(2, 4)],
                    lambda x: count(x[..., 0]).clamp(max=3).detach().long()),
    "CategoricalP": (lambda m, a: m.distributions.Categorical(probs=pos(a)), [(2, 4)],
                     lambda x: count(x[..., 0]).clamp(max=3).detach().long()),
    "OneHotCategorical": (lambda m, a: m.distributions.OneHotCategorical(logits=a), [(2, 4)],
                          lambda x: (x == x.max(-1, keepdim=True)[0]).to(x.dtype)),
    "Multinomial": (lambda m, a: m.distributions.Multinomial(6, logits=a), [(2, 4)], None),
    "Dirichlet": (lambda m, a: m.distributions.Dirichlet(pos(a)), [(2, 4)], lambda x: x.softmax(-1)),
    "MultivariateNormal": (lambda m, a, b: m.distributions.MultivariateNormal(a, scale_tril=b.tril(-1) + pos(
        b).diagonal(dim1=-2, dim2=-1).diag_embed()), [(2, 3), (3, 3)], lambda x: x),
    "MVNCovariance": (lambda m, a, b: m.distributions.MultivariateNormal(
        a, covariance_matrix=b @ b.mT + m.eye(3, dtype=b.dtype)), [(3,), (2, 3, 3)], lambda x: x),
    "MVNPrecision": (lambda m, a, b: m.distributions.MultivariateNormal(
        a, precision_matrix=b @ b.mT + m.eye(3, dtype=b.dtype)), [(2, 3), (3, 3)], lambda x: x),
    "LowRankMultivariateNormal": (lambda m, a, b, c: m.distributions.LowRankMultivariateNormal(a, b, pos(c)),
                                  [(2, 3), (3, 2), (3,)], lambda x: x),
    "Independent": (lambda m, a, b: m.distributions.Independent(m.distributions.Normal(a, pos(b)), 1),
                    [(2, 3), (3,)], lambda x: x),
    "RelaxedBernoulli": (lambda m, a: m.distributions.RelaxedBernoulli(m.tensor(0.7, dtype=a.dtype), logits=a),
                         [(2, 3)], unit),
    "RelaxedOneHotCategorical": (lambda m, a: m.distributions.RelaxedOneHotCategorical(
        m.tensor(0.7, dtype=a.dtype), logits=a), [(2, 3)], lambda x: x.softmax(-1)),
    "LogisticNormal": (lambda m, a, b: m.distributions.LogisticNormal(a, pos(b)), [(2, 3), (3,)],
                       lambda x: x.softmax(-1)),
    "Wishart": (lambda m, a, b: m.distributions.Wishart(pos(a) + 3, covariance_matrix=b @ b.mT + m.eye(
        3, dtype=b.dtype)), [(2,), (3, 3)], lambda x: x @ x.mT + x.new_ones(()) * 0.5 * x.new_ones(3).diag_embed()),
    "WishartTril": (lambda m, a, b: m.distributions.Wishart(pos(a) + 3, scale_tril=b.tril(-1) + pos(
        b).diagonal(dim1=-2, dim2=-1).diag_embed()), [(2,), (3, 3)],
        lambda x: x @ x.mT + x.new_ones(()) * 0.5 * x.new_ones(3).diag_embed()),
    "MixtureSameFamily": (lambda m, a, b, c: m.distributions.MixtureSameFamily(
        m.distributions.Categorical(logits=a), m.distributions.Normal(b, pos(c))), [(2, 3), (3,), (2, 3)],
        lambda x: x[..., :1].squeeze(-1)),
}

# Looser tolerances (rtol, atol) where PyTorch's own formula is an approximation: its log Bessel functions
# (VonMises) are accurate to about 1e-8, and ContinuousBernoulli switches to a Taylor expansion near 1/2.
TOLERANCE = {"VonMises": (1e-5, 1e-6), "ContinuousBernoulli": (1e-3, 1e-4), "Multinomial": (1e-4, 1e-5)}

# The value's raw shape for each case (the sample shape (2,) before the batch and event shapes, broadcast).
VALUE_SHAPES = {"Categorical": (5, 2, 4), "CategoricalP": (5, 2, 4), "OneHotCategorical": (5, 2, 4),
                "Dirichlet": (5, 2, 4), "RelaxedOneHotCategorical": (5, 2, 3), "LogisticNormal": (5, 2, 4),
                "MixtureSameFamily": (5, 2, 1), "Wishart": (5, 2, 3, 3), "WishartTril": (5, 2, 3, 3)}


def _value_shape(name, dist):
    return VALUE_SHAPES.get(name, (5,) + tuple(dist.batch_shape) + tuple(dist.event_shape))


def _torch_has(name, method):
    ctor, shapes, _ = CASES[name]
    d = ctor(torch, *[torch.rand(s, dtype=torch.float64) for s in shapes])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's Wishart sampler warns about near-singular samples
        return _torch_has_method(d, method)


def _torch_has_method(d, method):
    try:
        out = getattr(d, method)
        if callable(out):
            if method in ("cdf", "icdf"):
                x = d.sample() if method == "cdf" else torch.full(tuple(d.batch_shape), 0.3, dtype=torch.float64)
                out(x)
            else:
                out()
        return True
    except NotImplementedError:
        return False


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_matches_torch(name, device):
    ctor, shapes, value = CASES[name]
    if value is None:  # Multinomial: counts of at most 1 per category, 4 categories, within total_count = 6
        check(lambda m, *args: ctor(m, *args[:-1]).log_prob((args[-1].abs() * 1.5).floor().clamp(max=1)),
              shapes + [(5, 2, 4)], module=True, device=device)
        return
    d = ctor(torch, *[torch.rand(s, dtype=torch.float64) for s in shapes])
    vshape = _value_shape(name, d)
    rtol, atol = TOLERANCE.get(name, (None, None))
    check(lambda m, *args: ctor(m, *args[:-1]).log_prob(value(args[-1])), shapes + [vshape], module=True,
          device=device, rtol=rtol, atol=atol)


@pytest.mark.parametrize("method", ["entropy", "mean", "variance", "stddev", "mode", "cdf", "icdf"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_statistics_match_torch(name, method, device):
    if not _torch_has(name, method):
        pytest.skip(f"torch 1.13's {name} has no {method}")
    ctor, shapes, value = CASES[name]
    layouts = ("contiguous", "stepped")
    rtol, atol = TOLERANCE.get(name, (None, None))
    if method in ("entropy", "mean", "variance", "stddev", "mode"):
        def fn(m, *args):
            out = getattr(ctor(m, *args), method)
            return out() if callable(out) else out
        check(fn, shapes, module=True, device=device, layouts=layouts, grad=method != "mode", rtol=rtol, atol=atol)
    elif method == "cdf":
        d = ctor(torch, *[torch.rand(s, dtype=torch.float64) for s in shapes])
        check(lambda m, *args: ctor(m, *args[:-1]).cdf(value(args[-1])), shapes + [_value_shape(name, d)],
              module=True, device=device, layouts=layouts, rtol=rtol, atol=atol)
    else:
        d = ctor(torch, *[torch.rand(s, dtype=torch.float64) for s in shapes])
        check(lambda m, *args: ctor(m, *args[:-1]).icdf(args[-1].sigmoid()), shapes + [(4,) + tuple(d.batch_shape)],
              module=True, device=device, layouts=layouts, rtol=rtol, atol=atol)


def test_zero_size_batch(device):
    loc = wick.zeros(0, 3, device=device)
    d = WD.Normal(loc, wick.ones(0, 3, device=device))
    assert tuple(d.sample((2,)).shape) == (2, 0, 3)
    assert tuple(d.log_prob(wick.zeros(2, 0, 3, device=device)).shape) == (2, 0, 3)
    g = WD.Gamma(wick.ones(0, device=device), wick.ones(0, device=device))
    assert tuple(g.rsample((4,)).shape) == (4, 0)
    c = WD.Categorical(logits=wick.zeros(0, 3, device=device))
    assert tuple(c.sample((2,)).shape) == (2, 0)
    assert tuple(WD.Poisson(wick.ones(0, device=device)).sample().shape) == (0,)


# KL pairs: (p constructor, q constructor) with raw parameter shapes.
KL_CASES = ["Normal", "Gamma", "Beta", "Exponential", "Laplace", "Poisson", "Bernoulli", "Categorical", "Dirichlet",
            "Gumbel", "Geometric", "HalfNormal", "Pareto", "Cauchy", "OneHotCategorical", "LogNormal",
            "MultivariateNormal", "MVNCovariance", "LowRankMultivariateNormal", "Independent", "Binomial",
            "ContinuousBernoulli", "Chi2"]


@pytest.mark.parametrize("name", KL_CASES)
def test_kl_divergence_matches_torch(name, device):
    ctor, shapes, _ = CASES[name]
    if name == "Binomial":
        ctor = lambda m, a: m.distributions.Binomial(5, logits=a)  # noqa: E731 (same total_count)

    def fn(m, *args):
        n = len(shapes)
        p, q = ctor(m, *args[:n]), ctor(m, *[a * 0.7 + 0.1 for a in args[n:]])
        return m.distributions.kl_divergence(p, q)

    rtol, atol = TOLERANCE.get(name, (None, None))
    check(fn, shapes + shapes, module=True, device=device, layouts=("contiguous", "transposed"), rtol=rtol,
          atol=atol)


CROSS_KL = [
    (lambda m, a, b: m.distributions.Exponential(pos(a)), lambda m, a, b: m.distributions.Gamma(pos(a), pos(b))),
    (lambda m, a, b: m.distributions.Gamma(pos(a), pos(b)), lambda m, a, b: m.distributions.Exponential(pos(b))),
    (lambda m, a, b: m.distributions.Exponential(pos(a)), lambda m, a, b: m.distributions.Normal(a, pos(b))),
    (lambda m, a, b: m.distributions.Normal(a, pos(b)), lambda m, a, b: m.distributions.Laplace(b, pos(a))),
    (lambda m, a, b: m.distributions.Uniform(a - 2, a + 1), lambda m, a, b: m.distributions.Normal(b, pos(a))),
    (lambda m, a, b: m.distributions.Uniform(pos(a), pos(a) + 1),
     lambda m, a, b: m.distributions.Gamma(pos(a), pos(b))),
    (lambda m, a, b: m.distributions.Uniform(pos(a), pos(a) + 1), lambda m, a, b: m.distributions.Exponential(pos(b))),
    (lambda m, a, b: m.distributions.Uniform(unit(a) * 0.5, unit(a) * 0.5 + 0.4),
     lambda m, a, b: m.distributions.Beta(pos(a), pos(b))),
    (lambda m, a, b: m.distributions.Beta(pos(a), pos(b)), lambda m, a, b: m.distributions.Uniform(a - 3, a + 3)),
    (lambda m, a, b: m.distributions.Uniform(a - 1, a + 1), lambda m, a, b: m.distributions.Uniform(a - 2, a + 1.5)),
]


@pytest.mark.parametrize("i", range(len(CROSS_KL)))
def test_cross_family_kl_matches_torch(i, device):
    p, q = CROSS_KL[i]
    check(lambda m, a, b: m.distributions.kl_divergence(p(m, a, b), q(m, a, b)), [(2, 3), (3,)], module=True,
          device=device, layouts=("contiguous",))


def test_wishart_kl_by_monte_carlo():
    # PyTorch 1.13 gets this one wrong (its generic exponential-family formula can return negative values).
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 3))
    cov_p = wick.tensor(a @ a.transpose(0, 2, 1) + np.eye(3))
    cov_q = wick.tensor(b @ b.transpose(0, 2, 1) + np.eye(3))
    p = WD.Wishart(wick.tensor([3.5, 6.0], dtype=wick.float64), cov_p)
    q = WD.Wishart(wick.tensor([4.5, 7.0], dtype=wick.float64), cov_q)
    wick.manual_seed(0)
    x = p.sample((50000,))
    estimate = p.log_prob(x) - q.log_prob(x)
    kl = WD.kl_divergence(p, q)
    np.testing.assert_array_less((kl - estimate.mean(0)).abs().numpy(), (5 * estimate.std(0) / 50000 ** 0.5).numpy())
    np.testing.assert_allclose(WD.kl_divergence(p, p).numpy(), [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Poisson", "Dirichlet", "Exponential", "Bernoulli", "Normal"])
def test_exponential_family_bregman_forms(name):
    # The generic entropy and KL (Bregman divergences of the log normalizer) agree with the closed forms.
    from wick.distributions.kl import _kl_expfamily_expfamily
    ctor, shapes, _ = CASES[name]
    rng = np.random.default_rng(0)
    p = ctor(wick, *[wick.tensor(rng.uniform(-1, 1, s)) for s in shapes])
    q = ctor(wick, *[wick.tensor(rng.uniform(-1, 1, s)) for s in shapes])
    np.testing.assert_allclose(_kl_expfamily_expfamily(p, q).detach().numpy(),
                               WD.kl_divergence(p, q).detach().numpy(), rtol=1e-9, atol=1e-12)
    if name not in ("Poisson", "Beta", "Dirichlet"):  # their carrier measures have no mean given
        np.testing.assert_allclose(WD.ExponentialFamily.entropy(p).detach().numpy(), p.entropy().detach().numpy(),
                                   rtol=1e-9, atol=1e-12)


def test_register_kl_dispatch_and_errors():
    class MyNormal(WD.Normal):
        pass

    p, q = MyNormal(wick.tensor(0.0), wick.tensor(1.0)), WD.Normal(wick.tensor(1.0), wick.tensor(2.0))
    expected = WD.kl_divergence(WD.Normal(wick.tensor(0.0), wick.tensor(1.0)), q)
    assert float(WD.kl_divergence(p, q)) == pytest.approx(float(expected))  # inherited registration

    @WD.register_kl(MyNormal, WD.Normal)
    def _kl_mine(p, q):
        return wick.tensor(42.0)

    assert float(WD.kl_divergence(p, q)) == 42.0
    with pytest.raises(NotImplementedError, match="No KL"):
        WD.kl_divergence(WD.VonMises(wick.tensor(0.0), wick.tensor(1.0)), q)
    with pytest.raises(TypeError):
        WD.register_kl(int, WD.Normal)


# Reparameterized sampling: the gradient of rsample must be the pathwise one.

def test_location_scale_rsample_gradients(device):
    for cls in (WD.Normal, WD.Laplace, WD.Cauchy, WD.Gumbel):
        loc = wick.tensor([0.3, -1.0], device=device, requires_grad=True)
        scale = wick.tensor([0.5, 2.0], device=device, requires_grad=True)
        x = cls(loc, scale).rsample((7,))
        x.sum().backward()
        eps = ((x - loc) / scale).detach()
        np.testing.assert_allclose(loc.grad.cpu().numpy(), [7.0, 7.0], rtol=1e-6)
        np.testing.assert_allclose(scale.grad.cpu().numpy(), eps.sum(0).cpu().numpy(), rtol=1e-4, atol=1e-5)


def test_transformed_rsample_gradients(device):
    # Pathwise derivatives recovered from the sample itself: x = scale * g(noise) gives dx/dscale = x / scale.
    scale = wick.tensor([0.5, 2.0], device=device, requires_grad=True)
    shape = wick.tensor([1.5, 0.7], device=device, requires_grad=True)
    for make in (lambda: WD.Weibull(scale, shape), lambda: WD.Pareto(scale, shape),
                 lambda: WD.Exponential(scale), lambda: WD.HalfNormal(scale), lambda: WD.HalfCauchy(scale)):
        scale.grad = None
        x = make().rsample((6,))
        x.sum().backward()
        expected = (x / scale).detach().sum(0)
        if isinstance(make(), WD.Exponential):  # x = E / rate
            expected = -expected
        np.testing.assert_allclose(scale.grad.cpu().numpy(), expected.cpu().numpy(), rtol=1e-4)
    loc = wick.tensor([0.1, -0.4], device=device, requires_grad=True)
    x = WD.LogNormal(loc, scale).rsample((6,))
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.cpu().numpy(), x.detach().sum(0).cpu().numpy(), rtol=1e-5)


def test_mvn_and_lowrank_rsample_gradients(device):
    loc = wick.tensor([0.3, -1.0], device=device, requires_grad=True)
    tril = wick.tensor([[1.0, 0.0], [0.5, 2.0]], device=device, requires_grad=True)
    x = WD.MultivariateNormal(loc, scale_tril=tril).rsample((5,))
    eps = wick.linalg.solve_triangular(tril.detach(), (x - loc).detach().unsqueeze(-1), upper=False).squeeze(-1)
    (x * wick.tensor([1.0, 3.0], device=device)).sum().backward()
    w = np.array([1.0, 3.0])
    np.testing.assert_allclose(loc.grad.cpu().numpy(), 5 * w, rtol=1e-6)
    expected = np.einsum("i,sj->ij", w, eps.cpu().numpy())  # d(L eps)/dL, upper entries included
    np.testing.assert_allclose(tril.grad.cpu().numpy(), expected, rtol=1e-4, atol=1e-5)
    diag = wick.tensor([0.5, 2.0], device=device, requires_grad=True)
    factor = wick.zeros(2, 1, device=device, requires_grad=True)
    y = WD.LowRankMultivariateNormal(loc.detach(), factor, diag).rsample((6,))
    y.sum().backward()
    np.testing.assert_allclose(diag.grad.cpu().numpy(),
                               ((y - loc).detach() / (2 * diag.detach())).sum(0).cpu().numpy(), rtol=1e-4, atol=1e-5)


def test_implicit_gamma_gradient_matches_torch(device):
    wick.manual_seed(3)
    alpha = wick.tensor([0.05, 0.3, 1.0, 2.5, 10.0, 200.0] * 20, dtype=wick.float64, device=device,
                        requires_grad=True)
    x = WD.Gamma(alpha, wick.ones_like(alpha)).rsample()
    (grad,) = wick.autograd.grad(x.sum(), [alpha])
    expected = torch._standard_gamma_grad(torch.tensor(alpha.detach().cpu().numpy()),
                                          torch.tensor(x.detach().cpu().numpy()))
    # PyTorch's own formula is an approximation good to a few 1e-4 (relative)
    np.testing.assert_allclose(grad.cpu().numpy(), expected.numpy(), rtol=2e-3, atol=1e-8)


@pytest.mark.parametrize("case", ["Gamma", "Beta", "Dirichlet", "StudentT", "Chi2"])
def test_rsample_gradient_of_expectation(case, device):
    # d/dtheta E[f(X)] estimated from rsample must match the closed form.
    wick.manual_seed(0)
    n = 40000
    a = wick.tensor([0.7, 3.0], dtype=wick.float64, device=device, requires_grad=True)
    b = wick.tensor([2.0, 0.5], dtype=wick.float64, device=device, requires_grad=True)
    if case == "Gamma":
        loss = WD.Gamma(a, b).rsample((n,)).mean(0).sum()  # E = a / b
        expected = [(1 / b).detach(), (-a / b ** 2).detach()]
    elif case == "Chi2":
        loss = WD.Chi2(a).rsample((n,)).mean(0).sum()  # E = df
        expected = [wick.ones_like(a), None]
    elif case == "Beta":
        loss = WD.Beta(a, b).rsample((n,)).mean(0).sum()  # E = a / (a + b)
        expected = [(b / (a + b) ** 2).detach(), (-a / (a + b) ** 2).detach()]
    elif case == "Dirichlet":
        conc = wick.stack([a, b], -1)
        loss = WD.Dirichlet(conc).rsample((n,))[..., 0].mean(0).sum()
        expected = [(b / (a + b) ** 2).detach(), (-a / (a + b) ** 2).detach()]
    else:
        df = a + 4.5
        loss = (WD.StudentT(df, 0.0, b).rsample((n,)) ** 2).mean(0).sum()  # E = b^2 df / (df - 2)
        expected = [(-2 * b ** 2 / (df - 2) ** 2).detach(), (2 * b * df / (df - 2)).detach()]
    wrt = [a] if expected[1] is None else [a, b]
    grads = wick.autograd.grad(loss, wrt)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.cpu().numpy(), e.cpu().numpy(), rtol=0.06, atol=0.01)


# Sample moments (fixed seed; tolerance about five standard errors).

MOMENT_CASES = {
    "Normal": lambda: WD.Normal(wick.tensor([0.5, -2.0]), wick.tensor([1.0, 0.3])),
    "Gamma": lambda: WD.Gamma(wick.tensor([0.4, 5.0]), wick.tensor([2.0, 0.5])),
    "Beta": lambda: WD.Beta(wick.tensor([0.5, 4.0]), wick.tensor([2.0, 1.5])),
    "Poisson": lambda: WD.Poisson(wick.tensor([0.3, 4.0, 60.0])),
    "Binomial": lambda: WD.Binomial(wick.tensor([10.0, 200.0, 40.0]), wick.tensor([0.3, 0.6, 0.99])),
    "Geometric": lambda: WD.Geometric(wick.tensor([0.2, 0.7])),
    "NegativeBinomial": lambda: WD.NegativeBinomial(wick.tensor([3.0, 20.0]), wick.tensor([0.4, 0.2])),
    "Exponential": lambda: WD.Exponential(wick.tensor([0.5, 3.0])),
    "Laplace": lambda: WD.Laplace(wick.tensor([0.5, -2.0]), wick.tensor([1.0, 0.3])),
    "StudentT": lambda: WD.StudentT(wick.tensor([6.0, 9.0]), wick.tensor([1.0, 0.0]), wick.tensor([2.0, 0.5])),
    "Uniform": lambda: WD.Uniform(wick.tensor([0.0, -3.0]), wick.tensor([1.0, 5.0])),
    "Dirichlet": lambda: WD.Dirichlet(wick.tensor([0.5, 2.0, 3.0])),
    "Categorical": lambda: WD.OneHotCategorical(probs=wick.tensor([0.2, 0.5, 0.3])),
    "Multinomial": lambda: WD.Multinomial(7, probs=wick.tensor([0.2, 0.5, 0.3])),
    "Bernoulli": lambda: WD.Bernoulli(wick.tensor([0.1, 0.6])),
    "Weibull": lambda: WD.Weibull(wick.tensor([1.0, 2.0]), wick.tensor([1.5, 3.0])),
    "Gumbel": lambda: WD.Gumbel(wick.tensor([1.0, 2.0]), wick.tensor([1.5, 3.0])),
    "LogNormal": lambda: WD.LogNormal(wick.tensor([0.0, 1.0]), wick.tensor([0.3, 0.2])),
    "InverseGamma": lambda: WD.InverseGamma(wick.tensor([6.0, 9.0]), wick.tensor([1.0, 2.0])),
    "Kumaraswamy": lambda: WD.Kumaraswamy(wick.tensor([2.0, 0.5]), wick.tensor([3.0, 1.0])),
    "FisherSnedecor": lambda: WD.FisherSnedecor(wick.tensor([6.0, 10.0]), wick.tensor([12.0, 20.0])),
    "ContinuousBernoulli": lambda: WD.ContinuousBernoulli(wick.tensor([0.2, 0.5, 0.9])),
    "MixtureSameFamily": lambda: WD.MixtureSameFamily(WD.Categorical(wick.tensor([0.3, 0.7])),
                                                      WD.Normal(wick.tensor([-2.0, 1.0]), wick.tensor([0.5, 1.0]))),
    "MultivariateNormal": lambda: WD.MultivariateNormal(wick.tensor([1.0, -1.0]),
                                                        wick.tensor([[2.0, 0.6], [0.6, 0.5]])),
    "LowRankMultivariateNormal": lambda: WD.LowRankMultivariateNormal(
        wick.tensor([1.0, -1.0]), wick.tensor([[1.0], [0.5]]), wick.tensor([0.3, 0.2])),
}


@pytest.mark.parametrize("name", sorted(MOMENT_CASES))
def test_sample_moments(name):
    wick.manual_seed(1)
    d = MOMENT_CASES[name]()
    n = 20000
    s = d.sample((n,)).double()
    assert tuple(s.shape) == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert bool(d.support.check(s.to(d.mean.dtype)).all())
    mean, var = d.mean.double(), d.variance.double()
    se = (var / n).sqrt()
    np.testing.assert_array_less((s.mean(0) - mean).abs().numpy(), (5 * se + 1e-9).numpy())
    # the sample variance's standard error, from the fourth moment
    m4 = ((s - mean) ** 4).mean(0)
    se_var = ((m4 - var ** 2) / n).sqrt()
    np.testing.assert_array_less((s.var(0) - var).abs().numpy(), (6 * se_var + 0.01 * var + 1e-6).numpy())


def test_von_mises_and_lkj_samples():
    wick.manual_seed(2)
    d = WD.VonMises(wick.tensor([0.5, -2.0]), wick.tensor([4.0, 0.5]))
    s = d.sample((20000,))
    assert bool(((s >= -math.pi) & (s < math.pi)).all())
    # circular mean direction and mean resultant length 1 - circular variance
    c, sn = s.cos().mean(0), s.sin().mean(0)
    np.testing.assert_allclose(wick.atan2(sn, c).numpy(), [0.5, -2.0], atol=0.06)
    np.testing.assert_allclose((c ** 2 + sn ** 2).sqrt().numpy(), (1 - d.variance).numpy(), atol=0.02)
    lkj = WD.LKJCholesky(3, wick.tensor([0.5, 2.0]))
    L = lkj.sample((4000,))
    assert tuple(L.shape) == (4000, 2, 3, 3)
    assert bool(WD.constraints.corr_cholesky.check(L).all())
    # with concentration eta in dim 3, each correlation is 2 B - 1, B ~ Beta(eta + 1/2, eta + 1/2): variance
    # 1 / (2 eta + 2)
    corr = (L @ L.mT)[..., 1, 0]
    np.testing.assert_allclose(corr.var(0).numpy(), [1 / 3.0, 1 / 6.0], rtol=0.08)


def test_wishart_samples():
    wick.manual_seed(4)
    cov = wick.tensor([[2.0, 0.6], [0.6, 0.5]], dtype=wick.float64)
    d = WD.Wishart(wick.tensor([3.0, 7.5], dtype=wick.float64), covariance_matrix=cov)
    s = d.sample((20000,))
    assert tuple(s.shape) == (20000, 2, 2, 2) and bool(WD.constraints.positive_definite.check(s).all())
    se = (d.variance / 20000).sqrt()
    np.testing.assert_array_less((s.mean(0) - d.mean).abs().numpy(), (5 * se).numpy())
    np.testing.assert_allclose(s.var(0).numpy(), d.variance.numpy(), rtol=0.1)
    # rsample is differentiable in the scale and in df (through the chi-squared diagonal)
    df = wick.tensor(4.0, dtype=wick.float64, requires_grad=True)
    tril = wick.linalg.cholesky(cov).requires_grad_()
    x = WD.Wishart(df, scale_tril=tril).rsample((20000,))
    gdf, gtril = wick.autograd.grad(x[..., 0, 0].mean(), [df, tril])  # E[X_00] = df cov_00 = df L_00^2
    np.testing.assert_allclose(gdf.item(), cov[0, 0].item(), rtol=0.05)
    np.testing.assert_allclose(gtril[0, 0].item(), 2 * 4.0 * tril[0, 0].item(), rtol=0.05)


def test_generalized_pareto_by_hand():
    # GeneralizedPareto is newer than the oracle: check it against its special cases and its closed forms.
    loc = wick.tensor([0.0, 1.0, 2.0, 0.5], dtype=wick.float64)
    scale = wick.tensor([1.0, 2.0, 0.5, 3.0], dtype=wick.float64)
    k = wick.tensor([0.0, 0.3, -0.5, -1.0], dtype=wick.float64, requires_grad=True)
    d = WD.GeneralizedPareto(loc, scale, k)
    x = wick.tensor([0.5, 2.0, 2.2, 2.0], dtype=wick.float64)
    z = ((x - loc) / scale).numpy()
    kn = k.detach().numpy()
    expected_log_prob = [-0.0 - z[0], -math.log(2.0) - (1 + 1 / 0.3) * math.log1p(0.3 * z[1]),
                         -math.log(0.5) - (1 - 1 / 0.5) * math.log1p(-0.5 * z[2]), -math.log(3.0)]
    np.testing.assert_allclose(d.log_prob(x).detach().numpy(), expected_log_prob, rtol=1e-12)
    survival = [math.exp(-z[0])] + [(1 + kn[i] * z[i]) ** (-1 / kn[i]) for i in (1, 2, 3)]
    np.testing.assert_allclose(d.cdf(x).detach().numpy(), 1 - np.array(survival), rtol=1e-12)
    np.testing.assert_allclose(d.icdf(d.cdf(x)).detach().numpy(), x.numpy(), rtol=1e-10)
    np.testing.assert_allclose(d.mean.detach().numpy(), (loc + scale / (1 - k)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.entropy().detach().numpy(), (scale.log() + k + 1).detach().numpy(), rtol=1e-12)
    assert math.isnan(WD.GeneralizedPareto(0.0, 1.0, 1.5).mean.item())
    assert math.isnan(WD.GeneralizedPareto(0.0, 1.0, 0.5).variance.item())
    # k = 0 is Exponential(1 / scale) shifted by loc; the uniform case k = -1 has density 1 / scale
    np.testing.assert_allclose(d.log_prob(x)[0].item(), WD.Exponential(1.0).log_prob(x[0] - loc[0]).item())
    wick.manual_seed(5)
    s = d.sample((50000,))
    assert bool(d.support.check(s).all())
    np.testing.assert_allclose(s.mean(0).numpy(), d.mean.detach().numpy(), rtol=0.05)
    np.testing.assert_allclose(s.var(0).numpy(), d.variance.detach().numpy(), rtol=0.15)
    d.log_prob(x).sum().backward()
    assert k.grad is not None and bool(wick.isfinite(k.grad).all())


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry_matches_torch(registry):
    C, TC = WD.constraints, torch.distributions.constraints
    pairs = [(C.real, TC.real, (2, 3)), (C.positive, TC.positive, (2, 3)), (C.unit_interval, TC.unit_interval, (2, 3)),
             (C.interval(-1.0, 2.0), TC.interval(-1.0, 2.0), (2, 3)), (C.greater_than(1.0), TC.greater_than(1.0), (3,)),
             (C.less_than(0.5), TC.less_than(0.5), (3,)), (C.simplex, TC.simplex, (2, 3)),
             (C.corr_cholesky, TC.corr_cholesky, (2, 6)), (C.independent(C.positive, 1), TC.independent(TC.positive, 1),
                                                          (2, 3))]
    if registry == "transform_to":
        pairs += [(C.lower_cholesky, TC.lower_cholesky, (2, 3, 3))]
        x = wick.tensor(np.random.default_rng(1).normal(size=(2, 3, 3)))
        L = WD.transform_to(C.lower_cholesky)(x)  # (PyTorch 1.13 has no transform_to(positive_definite))
        assert_same(WD.transform_to(C.positive_definite)(x), torch.tensor((L @ L.mT).numpy()), 1e-12, 1e-12)
    rng = np.random.default_rng(0)
    for wc, tc, shape in pairs:
        x = rng.normal(size=shape)
        wt, tt = getattr(WD, registry)(wc), getattr(torch.distributions, registry)(tc)
        y = wt(wick.tensor(x))
        assert bool(wc.check(y).all()), repr(wc)
        assert_same(y, tt(torch.tensor(x)), 1e-8, 1e-10, repr(wc))
        if registry == "biject_to":
            assert_same(wt.inv(y), torch.tensor(x), 1e-6, 1e-8, repr(wc))
    with pytest.raises(NotImplementedError):
        WD.biject_to(C.lower_cholesky)


def test_inverse_gamma_by_hand():
    # InverseGamma is newer than the oracle: compare with Gamma through y = 1 / x.
    a = wick.tensor([2.5, 4.0, 0.7], dtype=wick.float64, requires_grad=True)
    b = wick.tensor([1.5, 0.5, 2.0], dtype=wick.float64)
    d, g = WD.InverseGamma(a, b), WD.Gamma(a, b)
    y = wick.tensor([0.3, 1.2, 4.0], dtype=wick.float64)
    np.testing.assert_allclose(d.log_prob(y).detach().numpy(), (g.log_prob(1 / y) - 2 * y.log()).detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(d.mean.detach().numpy(), [1.5 / 1.5, 0.5 / 3.0, math.inf], rtol=1e-12)
    np.testing.assert_allclose(d.mode.detach().numpy(), (b / (a + 1)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.variance.detach().numpy()[:2], [1.5 ** 2 / (1.5 ** 2 * 0.5), 0.25 / 18], rtol=1e-12)
    # entropy = a + log(b) + lgamma(a) - (1 + a) digamma(a), checked against a Monte Carlo estimate
    wick.manual_seed(0)
    s = d.sample((200000,))
    np.testing.assert_allclose(d.entropy().detach().numpy(), (-d.log_prob(s)).mean(0).detach().numpy(), rtol=0.02)
    np.testing.assert_allclose(d.cdf(y).detach().numpy(), (1 - wick.special.gammainc(a, b / y)).detach().numpy(),
                               rtol=1e-10)


def test_lkj_log_prob_matches_torch():
    t = torch.distributions.LKJCholesky(4, torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64))
    x = t.sample((5,))
    w = WD.LKJCholesky(4, wick.tensor([0.5, 1.0, 3.0], dtype=wick.float64))
    assert_same(w.log_prob(wick.tensor(x.numpy())), t.log_prob(x), 1e-8, 1e-10)


def test_relaxed_and_straight_through_rsample(device):
    logits = wick.tensor([[0.2, -1.0, 0.5]], device=device, requires_grad=True)
    y = WD.RelaxedOneHotCategorical(wick.tensor(0.5, device=device), logits=logits).rsample((3,))
    np.testing.assert_allclose(y.sum(-1).detach().cpu().numpy(), np.ones((3, 1)), rtol=1e-5)
    y[..., 0].sum().backward()
    assert logits.grad is not None and bool(logits.grad.abs().sum() > 0)
    st = WD.OneHotCategoricalStraightThrough(logits=logits.detach().requires_grad_())
    z = st.rsample((4,))
    assert bool(((z == 0) | (z == 1)).all()) and bool((z.sum(-1) == 1).all())
    p = wick.tensor([0.3], device=device, requires_grad=True)
    r = WD.RelaxedBernoulli(wick.tensor(0.1, device=device), probs=p).rsample((10,))
    assert bool(((r > 0) & (r < 1)).all())
    r.sum().backward()
    assert p.grad is not None


# Transforms

TRANSFORMS = {
    "Exp": (lambda m: m.distributions.transforms.ExpTransform(), (2, 3), lambda x: x),
    "Sigmoid": (lambda m: m.distributions.transforms.SigmoidTransform(), (2, 3), lambda x: x),
    "Tanh": (lambda m: m.distributions.transforms.TanhTransform(), (2, 3), lambda x: x),
    "Softplus": (lambda m: m.distributions.transforms.SoftplusTransform(), (2, 3), lambda x: x),
    "Power": (lambda m: m.distributions.transforms.PowerTransform(m.tensor(2.5, dtype=m.float64)), (2, 3), pos),
    "Affine": (lambda m: m.distributions.transforms.AffineTransform(1.5, -2.0), (2, 3), lambda x: x),
    "AffineEvent": (lambda m: m.distributions.transforms.AffineTransform(
        m.tensor([1.0, 2.0, 3.0], dtype=m.float64), m.tensor([0.5, -1.0, 2.0], dtype=m.float64), event_dim=1),
        (2, 3), lambda x: x),
    "StickBreaking": (lambda m: m.distributions.transforms.StickBreakingTransform(), (2, 3), lambda x: x),
    "CorrCholesky": (lambda m: m.distributions.transforms.CorrCholeskyTransform(), (2, 6), lambda x: x),
    "LowerCholesky": (lambda m: m.distributions.transforms.LowerCholeskyTransform(), (2, 3, 3), lambda x: x),
    "Compose": (lambda m: m.distributions.transforms.ComposeTransform(
        [m.distributions.transforms.ExpTransform(), m.distributions.transforms.AffineTransform(1.0, 3.0)]),
        (2, 3), lambda x: x),
    "Independent": (lambda m: m.distributions.transforms.IndependentTransform(
        m.distributions.transforms.SigmoidTransform(), 1), (2, 3), lambda x: x),
    "Reshape": (lambda m: m.distributions.transforms.ReshapeTransform((2, 3), (3, 2)), (2, 3), lambda x: x),
    "Cat": (lambda m: m.distributions.transforms.CatTransform(
        [m.distributions.transforms.ExpTransform(), m.distributions.transforms.AffineTransform(0.0, 2.0)],
        dim=-1, lengths=[1, 2]), (2, 3), lambda x: x),
    "Stack": (lambda m: m.distributions.transforms.StackTransform(
        [m.distributions.transforms.ExpTransform(), m.distributions.transforms.SigmoidTransform()], dim=0),
        (2, 3), lambda x: x),
    "Inverse": (lambda m: m.distributions.transforms.ExpTransform().inv, (2, 3), pos),
    "Abs": (lambda m: m.distributions.transforms.AbsTransform(), (2, 3), lambda x: x),
    "Softmax": (lambda m: m.distributions.transforms.SoftmaxTransform(), (2, 3), lambda x: x),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_match_torch(name, device):
    make, shape, domain = TRANSFORMS[name]
    check(lambda m, x: make(m)(domain(x)), [shape], module=True, device=device, dtypes=("float64",))
    check(lambda m, x: make(m).inv(make(m)(domain(x))), [shape], module=True, device=device, dtypes=("float64",))
    if name not in ("Abs", "Softmax", "LowerCholesky"):  # not bijective: no log Jacobian
        check(lambda m, x: make(m).log_abs_det_jacobian(domain(x), make(m)(domain(x))), [shape], module=True,
              device=device, dtypes=("float64",))
    wt, tt = make(wick), make(torch)
    assert tuple(wt.forward_shape(wick.Size(shape))) == tuple(tt.forward_shape(torch.Size(shape)))
    assert tuple(wt.inverse_shape(wt.forward_shape(wick.Size(shape)))) == shape
    assert wt.bijective == tt.bijective
    assert (wt.domain.event_dim, wt.codomain.event_dim) == (tt.domain.event_dim, tt.codomain.event_dim)


def test_transform_cache_and_equality():
    t = WD.transforms.TanhTransform(cache_size=1)
    x = wick.tensor([30.0])
    y = t(x)
    assert t.inv(y) is x  # the cache returns the exact preimage (atanh(1) would be inf)
    assert WD.transforms.ExpTransform() == WD.transforms.ExpTransform()
    assert WD.transforms.ExpTransform().inv.inv == WD.transforms.ExpTransform()
    with pytest.raises(ValueError):
        WD.transforms.Transform(cache_size=2)
    with pytest.raises(ValueError):
        WD.transforms.ReshapeTransform((2, 3), (4,))


def test_transformed_distribution_matches_torch(device):
    def fn(m, loc, scale, x):
        T = m.distributions.transforms
        d = m.distributions.TransformedDistribution(m.distributions.Normal(loc, pos(scale)),
                                                    [T.AffineTransform(0.5, -2.0), T.SigmoidTransform()])
        return d.log_prob(unit(x)), d.cdf(unit(x)), d.icdf(unit(x))
    check(fn, [(3,), (2, 3), (4, 2, 3)], module=True, device=device)


# Constraints, validation, expand

def test_constraints_match_torch():
    C, TC = WD.constraints, torch.distributions.constraints
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0, float("inf")]])
    for name in ["real", "positive", "nonnegative", "unit_interval", "boolean", "nonnegative_integer",
                 "positive_integer"]:
        assert_same(getattr(C, name).check(wick.tensor(x)), getattr(TC, name).check(torch.tensor(x)), 0, 0, name)
    for w, t in [(C.interval(0.0, 1.5), TC.interval(0.0, 1.5)), (C.greater_than(0.5), TC.greater_than(0.5)),
                 (C.half_open_interval(0, 1), TC.half_open_interval(0, 1)), (C.less_than(1.0), TC.less_than(1.0)),
                 (C.integer_interval(0, 1), TC.integer_interval(0, 1)),
                 (C.independent(C.positive, 1), TC.independent(TC.positive, 1))]:
        assert_same(w.check(wick.tensor(x)), t.check(torch.tensor(x)), 0, 0, repr(w))
    m = np.array([[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.3], [0.5, 2.0]], [[-1.0, 0.0], [0.5, 2.0]]])
    for name in ["lower_triangular", "lower_cholesky", "square", "symmetric", "positive_definite",
                 "positive_semidefinite"]:
        assert_same(getattr(C, name).check(wick.tensor(m)), getattr(TC, name).check(torch.tensor(m)), 0, 0, name)
    s = np.array([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]])
    assert_same(C.simplex.check(wick.tensor(s)), TC.simplex.check(torch.tensor(s)), 0, 0, "simplex")
    assert repr(C.positive) == "GreaterThan(lower_bound=0.0)"
    assert C.is_dependent(WD.Uniform(0.0, 1.0).arg_constraints["low"])


def test_validation_errors():
    with pytest.raises(ValueError, match="scale"):
        WD.Normal(wick.tensor([0.0]), wick.tensor([-1.0]))
    with pytest.raises(ValueError, match="support"):
        WD.Exponential(wick.tensor([1.0])).log_prob(wick.tensor([-1.0]))
    with pytest.raises(ValueError, match="not both"):
        WD.Bernoulli(probs=wick.tensor([0.5]), logits=wick.tensor([0.0]))
    with pytest.raises(ValueError, match="low>= high"):
        WD.Uniform(wick.tensor([1.0]), wick.tensor([0.0]))
    with pytest.raises(ValueError, match="broadcastable"):
        WD.Normal(wick.zeros(3), wick.ones(3)).log_prob(wick.zeros(2))
    with pytest.raises(ValueError, match="Exactly one"):
        WD.MultivariateNormal(wick.zeros(2))
    with pytest.raises(ValueError):
        WD.Distribution.set_default_validate_args("yes")
    assert not bool(WD.Normal(wick.tensor([0.0]), wick.tensor([-1.0]), validate_args=False).scale > 0)
    WD.Distribution.set_default_validate_args(False)
    try:
        d = WD.Normal(wick.tensor([0.0]), wick.tensor([-1.0]))
        d.log_prob(wick.tensor([1.0]))
    finally:
        WD.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        WD.Normal(wick.tensor([0.0]), wick.tensor([-1.0]))


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Beta", "Categorical", "Bernoulli", "MultivariateNormal",
                                  "LogNormal", "Gumbel", "StudentT", "Independent", "Binomial", "Dirichlet",
                                  "Weibull", "Pareto", "LowRankMultivariateNormal", "Poisson", "RelaxedBernoulli"])
def test_expand_matches_torch(name):
    ctor, shapes, value = CASES[name]
    rng = np.random.default_rng(0)
    raw = [rng.uniform(-1, 1, s) for s in shapes]
    w = ctor(wick, *[wick.tensor(r) for r in raw])
    t = ctor(torch, *[torch.tensor(r) for r in raw])
    batch = (4,) + tuple(t.batch_shape)
    we, te = w.expand(batch), t.expand(torch.Size(batch))
    assert tuple(we.batch_shape) == tuple(te.batch_shape) and tuple(we.event_shape) == tuple(te.event_shape)
    assert type(we) is type(w)
    x = value(torch.tensor(rng.uniform(-1, 1, batch + tuple(t.event_shape) if name not in VALUE_SHAPES else
                                       batch + (4,))))
    assert_same(we.log_prob(wick.tensor(x.numpy())), te.log_prob(x), 1e-8, 1e-10)
    assert tuple(we.sample((2,)).shape) == tuple(te.sample((2,)).shape)


def test_shapes_and_enumerate_support():
    d = WD.Normal(wick.zeros(2, 1), wick.ones(3))
    assert d.batch_shape == wick.Size([2, 3]) and d.event_shape == wick.Size([])
    assert tuple(d.sample((4, 5)).shape) == (4, 5, 2, 3)
    assert WD.Normal(0.0, 1.0).batch_shape == wick.Size([])
    b = WD.Bernoulli(probs=wick.tensor([0.2, 0.7]))
    assert_same(b.enumerate_support(), torch.distributions.Bernoulli(torch.tensor([0.2, 0.7])).enumerate_support(),
                0, 0)
    c = WD.Categorical(probs=wick.tensor([[0.2, 0.8], [0.5, 0.5]]))
    assert_same(c.enumerate_support(expand=False),
                torch.distributions.Categorical(torch.tensor([[0.2, 0.8], [0.5, 0.5]])).enumerate_support(False), 0, 0)
    assert_same(WD.Categorical(probs=wick.tensor([1.0, 3.0])).probs, torch.tensor([0.25, 0.75]), 1e-6, 0)
    assert WD.Gamma(1.0, 1.0).has_rsample and not WD.Poisson(1.0).has_rsample
    assert "loc" in repr(WD.Normal(wick.tensor(0.0), wick.tensor(1.0)))
