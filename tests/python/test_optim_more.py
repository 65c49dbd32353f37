"""The optimizers beyond SGD/Adam/AdamW/RMSprop/Adagrad (tests/python/test_optim.py):
Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop (one fused kernel each), LBFGS,
Adafactor and Muon (tensor ops), against torch.optim.

PyTorch 1.13 is the oracle where it has the optimizer and the option. Options
PyTorch added later are checked through an identity with what 1.13 has
(maximize=True on g is maximize=False on -g; decoupled weight decay is
scaling the parameters by 1 - lr * weight_decay before a step without it),
and Adafactor, which 1.13 lacks, against parameters PyTorch 2.15 computed
(see ADAFACTOR_REFERENCE).
"""
import itertools
import math

import numpy as np
import pytest
import torch

import wick
from optim_reference import ADAFACTOR_OPTIONS, run_adafactor
from test_optim import Pair, _np, case_id, run_both


def cases():
    out = []
    for wd, maximize in itertools.product([0, 0.1], [False, True]):
        out.append(("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=wd, maximize=maximize)))
        out.append(("Adamax", dict(lr=0.01, weight_decay=wd, maximize=maximize)))
        out.append(("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.6, t0=5, weight_decay=wd, maximize=maximize)))
    for wd, momentum_decay in itertools.product([0, 0.1], [4e-3, 0.1]):
        out.append(("NAdam", dict(lr=0.01, weight_decay=wd, momentum_decay=momentum_decay)))
    for wd, betas in itertools.product([0, 0.1], [(0.9, 0.999), (0.5, 0.6)]):
        # beta2 = 0.6 makes rho_t > 5 from the 6th step: the rectified branch runs too.
        out.append(("RAdam", dict(lr=0.01, weight_decay=wd, betas=betas)))
    for maximize in (False, True):
        out.append(("Rprop", dict(lr=0.05, maximize=maximize)))
        out.append(("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(0.01, 0.08), maximize=maximize)))
    out += [(name, dict()) for name in ("Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop")]
    return out


CASES = cases()


def torch_optimizer(name, params, **kwargs):
    # PyTorch 1.13's single-tensor NAdam multiplies mu_product_next by mu once
    # too often (fixed in 2.0); its multi-tensor path has the right formula.
    if name == "NAdam":
        kwargs["foreach"] = True
    return getattr(torch.optim, name)(params, **kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_trajectory_matches_torch(case, dtype, device):
    name, kwargs = case
    pair = Pair(dtype, device=device)
    wopt = getattr(wick.optim, name)(pair.w, **kwargs)
    topt = torch_optimizer(name, pair.t, **kwargs)
    topt64 = torch_optimizer(name, pair.t64, **kwargs)
    run_both(pair, wopt, topt, 20, topt64=topt64)
    for p in pair.w:
        for value in wopt.state[p].values():
            if isinstance(value, wick.Tensor) and value.dim() > 0:
                assert value.device.type == device


def test_rprop_skips_the_step_where_the_gradient_changes_sign():
    w = wick.tensor([1.0, 1.0, 1.0], requires_grad=True)
    opt = wick.optim.Rprop([w], lr=0.1)
    for grad in ([1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]):
        w.grad = wick.tensor(grad)
        opt.step()
    # Element 0 moved -0.1, then its sign flipped: its step size halves and it stays put.
    # Element 1 moved -0.1, then -0.12. Element 2 had no gradient: it never moves.
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 0.78, 1.0], rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["step_size"].numpy(), [0.05, 0.12, 0.1], rtol=1e-6)
    np.testing.assert_array_equal(opt.state[w]["prev"].numpy(), [0.0, 1.0, 0.0])


def test_asgd_averages_the_iterates_after_t0():
    pair = Pair("float64")
    opt = wick.optim.ASGD(pair.w, lr=0.1, t0=3)
    history = []
    for step in range(8):
        pair.set_grads(step)
        opt.step()
        history.append(pair.w[0].detach().numpy().copy())
    # Step t averages with mu = 1 / max(1, t - 1 - t0): ax follows the parameter
    # up to step t0 + 2 and is the running mean of the iterates from that one on.
    # (mu is a float32 number, as in PyTorch: 1/3 is off by 1e-8.)
    expected = np.mean(history[4:], axis=0)
    np.testing.assert_allclose(opt.state[pair.w[0]]["ax"].numpy(), expected, rtol=1e-7)


# ---- options PyTorch 1.13 lacks, through identities -------------------------------------------


class Negated:
    """A Pair whose torch side gets the negated gradients."""

    def __init__(self, pair):
        self.pair = pair

    def set_grads(self, step):
        self.pair.set_grads(step)
        for t in self.pair.t + self.pair.t64:
            t.grad.neg_()


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
@pytest.mark.parametrize("wd", [0, 0.1])
def test_maximize_is_minimizing_the_negated_gradient(name, wd):
    pair = Pair("float64")
    wopt = getattr(wick.optim, name)(pair.w, lr=0.01, weight_decay=wd, maximize=True)
    topt = torch_optimizer(name, pair.t, lr=0.01, weight_decay=wd)
    negated = Negated(pair)
    for step in range(15):
        negated.set_grads(step)
        wopt.step()
        topt.step()
        pair.assert_close(f"step {step + 1}")


@pytest.mark.parametrize("name", ["NAdam", "RAdam"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_decoupled_weight_decay_scales_the_parameters_first(name, dtype):
    lr, wd = 0.01, 0.3
    pair = Pair(dtype)
    wopt = getattr(wick.optim, name)(pair.w, lr=lr, weight_decay=wd, decoupled_weight_decay=True)
    topt = torch_optimizer(name, pair.t, lr=lr)
    for step in range(15):
        pair.set_grads(step)
        with torch.no_grad():
            for t in pair.t:
                t.mul_(1 - lr * wd)
        wopt.step()
        topt.step()
        pair.assert_close(f"step {step + 1}")


# ---- state_dict --------------------------------------------------------------------------------

STATE_CASES = [("Adadelta", dict(lr=0.5)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
               ("RAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.05, t0=1)), ("Rprop", dict(lr=0.05))]


@pytest.mark.parametrize("case", STATE_CASES, ids=[case_id(c) for c in STATE_CASES])
def test_state_dict_round_trip_and_torch_layout(case, tmp_path):
    name, kwargs = case
    pair = Pair("float64")
    wopt = getattr(wick.optim, name)(pair.w, **kwargs)
    topt = torch_optimizer(name, pair.t, **kwargs)
    run_both(pair, wopt, topt, 3)
    w_sd, t_sd = wopt.state_dict(), topt.state_dict()
    for key, value in t_sd["param_groups"][0].items():  # PyTorch 2.15 has more options than 1.13
        if key != "foreach":
            assert w_sd["param_groups"][0][key] == value, key
    for i, t_state in t_sd["state"].items():
        assert list(w_sd["state"][i]) == list(t_state)
        for key, tv in t_state.items():
            wv = w_sd["state"][i][key]
            assert isinstance(wv, wick.Tensor), f"{key} is a tensor in PyTorch 2.15"
            np.testing.assert_allclose(wv.numpy(), float(tv) if not isinstance(tv, torch.Tensor) else _np(tv),
                                       rtol=1e-6)
    # Saved and loaded into fresh optimizers, the trajectories go on alike (loading casts the one-element
    # states, e.g. ASGD's eta and mu, to the parameter's dtype, in both libraries).
    wick.save(wopt.state_dict(), tmp_path / "opt.pt")
    fresh = getattr(wick.optim, name)(pair.w, **kwargs)
    fresh.load_state_dict(wick.load(tmp_path / "opt.pt"))
    tfresh = torch_optimizer(name, pair.t, **kwargs)
    tfresh.load_state_dict(topt.state_dict())
    run_both(pair, fresh, tfresh, 5, start=3)


@pytest.mark.parametrize("name,kwargs,message", [
    ("Adadelta", dict(rho=1.5), "Invalid rho value"), ("Adadelta", dict(lr=-1), "Invalid learning rate"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("NAdam", dict(momentum_decay=-1), "Invalid momentum_decay value"), ("RAdam", dict(eps=-1), "Invalid epsilon"),
    ("ASGD", dict(weight_decay=-1), "Invalid weight_decay"), ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values"),
    ("LBFGS", dict(line_search_fn="armijo"), "line_search_fn"), ("Adafactor", dict(d=0.5), "Clipping threshold"),
    ("Muon", dict(adjust_lr_fn="other"), "is not supported"),
])
def test_invalid_options(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(wick.optim, name)([wick.zeros(2, 2, requires_grad=True)], **kwargs)


def test_capturable_and_differentiable_are_refused():
    with pytest.raises(NotImplementedError, match="capturable"):
        wick.optim.NAdam([wick.zeros(2, requires_grad=True)], capturable=True)


# ---- LBFGS --------------------------------------------------------------------------------------


def rosenbrock(lib, x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def least_squares(lib, x, seed=0):
    rng = np.random.default_rng(seed)
    a = lib.tensor(rng.normal(size=(12, 5)), dtype=x.dtype)
    b = lib.tensor(rng.normal(size=12), dtype=x.dtype)
    return ((a @ x - b) ** 2).sum() + 0.1 * (x ** 4).sum()


# Without a line search, L-BFGS on Rosenbrock's function amplifies rounding
# differences (of dot products' summation order) by about 10^4 per 20
# iterations: the cases run few iterations per step.
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("problem,start,kwargs", [
    (rosenbrock, [-1.5, 2.0], dict(lr=1, max_iter=5)), (rosenbrock, [0.5, -0.5], dict(lr=0.5, history_size=3, max_iter=5)),
    (least_squares, [0.3, -0.2, 0.1, 0.0, 0.5], dict(lr=1, max_iter=7)),
], ids=["rosenbrock", "rosenbrock-short-history", "least-squares"])
def test_lbfgs_matches_torch(problem, start, kwargs, line_search_fn, device):
    x = {wick: wick.tensor(start, dtype=wick.float64, device=device, requires_grad=True),
         torch: torch.tensor(start, dtype=torch.float64, requires_grad=True)}
    opts = {lib: lib.optim.LBFGS([x[lib]], line_search_fn=line_search_fn, **kwargs) for lib in (wick, torch)}

    def closure(lib):
        def run():
            opts[lib].zero_grad()
            loss = problem(lib, x[lib])
            loss.backward()
            return loss
        return run

    for step in range(6):
        losses = {lib: float(opts[lib].step(closure(lib))) for lib in (wick, torch)}
        assert losses[wick] == pytest.approx(losses[torch], rel=1e-9, abs=1e-12), f"step {step}"
        np.testing.assert_allclose(x[wick].detach().cpu().numpy(), _np(x[torch]), rtol=1e-7, atol=1e-10,
                                   err_msg=f"step {step}")
        for key in ("n_iter", "func_evals"):
            assert opts[wick].state[x[wick]][key] == opts[torch].state[x[torch]][key], key


def test_lbfgs_on_a_module_with_several_parameters_and_unused_ones():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    unused = torch.nn.Linear(2, 2)  # never in the loss: its gradient stays None (zeros to LBFGS)
    wnet = wick.nn.Sequential(wick.nn.Linear(3, 4), wick.nn.Tanh(), wick.nn.Linear(4, 1))
    wunused = wick.nn.Linear(2, 2)
    for w_mod, t_mod in ((wnet, tnet), (wunused, unused)):
        w_mod.load_state_dict({k: wick.tensor(v.detach().numpy()) for k, v in t_mod.state_dict().items()})
    tnet.double(), unused.double(), wnet.double(), wunused.double()
    rng = np.random.default_rng(1)
    data, target = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    for lib, net, extra in ((wick, wnet, wunused), (torch, tnet, unused)):
        opt = lib.optim.LBFGS(list(net.parameters()) + list(extra.parameters()), line_search_fn="strong_wolfe",
                              max_iter=6)
        xs, ys = lib.tensor(data), lib.tensor(target)

        def closure():
            opt.zero_grad()
            loss = ((net(xs) - ys) ** 2).mean()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
    for (name, wp), tp in zip(wnet.named_parameters(), tnet.parameters()):
        np.testing.assert_allclose(wp.detach().numpy(), _np(tp), rtol=1e-8, atol=1e-10, err_msg=name)
    assert wunused.weight.grad is None  # never in the loss


def test_lbfgs_needs_a_closure_and_one_group():
    x = wick.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="closure"):
        wick.optim.LBFGS([x]).step(None)
    with pytest.raises(ValueError, match="parameter groups"):
        wick.optim.LBFGS([{"params": [x]}, {"params": [wick.zeros(1, requires_grad=True)]}])


# ---- Adafactor ----------------------------------------------------------------------------------

# The parameters after 4 steps of torch.optim.Adafactor (PyTorch 2.15.0),
# float64, for each of optim_reference.ADAFACTOR_OPTIONS; printed by
# `python tests/python/optim_reference.py` under PyTorch 2.15.
ADAFACTOR_REFERENCE = [
    [
        [
            2.0406700346961957, -2.5941586071903715, 0.44886566704635444, -0.5514921907281921, -0.4275699218740841,
            -0.21667927562110076, -2.017085475812134, -0.1980923193235802, -0.8917248307816147, 3.3244252053399643,
            0.24749318722815195, -0.36102056002107874,
        ],
        [
            -0.3029354911748749, -0.6577854090720079, -1.0628636488525955, -0.3810203453146842, 0.47388391060368784,
        ],
        [
            -0.21694630816117788, 0.9243771873492133, -0.2056336814542869, 0.019721254044706295, 1.5596995402362555,
            0.5269102882374682, -0.5367299449472448, -0.21647516698621488, 0.5413520195414361, 1.9245967194810378,
            -0.2556202612294352, -0.23311462252184942,
        ],
    ],
    [
        [
            1.6163876871337015, -3.226827974411648, 1.1594385524121271, -0.005260237596921778, 0.3616603375822922,
            -0.13415871622403994, -1.7482271399826033, 0.818719001992119, -1.5798240650415465, 3.029998781569298,
            0.7758058907795353, -0.5664674349734543,
        ],
        [
            -0.8873849348269911, -0.3170162766305103, -1.1966521490451218, -0.048666410468866696,
            0.25169031015330473,
        ],
        [
            0.6834654261331635, -0.3286067973543866, -0.39224362886201125, -0.11740293269463502, 1.836355247763652,
            -0.055583985012123735, -1.4507453099426486, -1.1831468461320875, 0.45307906348518256, 1.3974764154832289,
            0.2740525190299745, 0.17696617955049454,
        ],
    ],
    [
        [
            2.0410777595290335, -2.516983161313251, 0.3872192663386333, -0.5841067975870874, -0.47776105666092555,
            -0.21448741276288272, -2.02284980672017, -0.26588208544764025, -0.8388671993865071, 3.3215745430388424,
            0.2041561541277038, -0.3441775010895606,
        ],
        [
            -0.25950471755590376, -0.6782780210053745, -1.0473326477582596, -0.400700120746576, 0.4900674928929559,
        ],
        [
            -0.2600311241332346, 0.9910100968222683, -0.19399320492038757, 0.028812654702117815, 1.5320072045114703,
            0.5631793214921894, -0.4738079404880646, -0.1492603044527606, 0.5396717620334444, 1.9454898379029673,
            -0.28354638172403634, -0.25397455212319314,
        ],
    ],
]


@pytest.mark.parametrize("index", range(len(ADAFACTOR_OPTIONS)))
def test_adafactor_matches_pytorch_2_15(index, device):
    params, opt = run_adafactor(wick, ADAFACTOR_OPTIONS[index], wick.float64, device)
    for got, expected in zip(params, ADAFACTOR_REFERENCE[index]):
        np.testing.assert_allclose(got, np.array(expected).reshape(got.shape), rtol=1e-10, atol=1e-12)
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert list(state) == ["step", "row_var", "col_var"]
    assert tuple(state["row_var"].shape) == (3, 1) and tuple(state["col_var"].shape) == (1, 4)
    assert list(opt.state[opt.param_groups[0]["params"][1]]) == ["step", "variance"]


# ---- Muon ---------------------------------------------------------------------------------------


def test_muon_orthogonalizes_the_update():
    rng = np.random.default_rng(0)
    for shape in [(6, 4), (4, 6)]:
        w0 = rng.normal(size=shape)
        g = rng.normal(size=shape)
        w = wick.tensor(w0, requires_grad=True)
        opt = wick.optim.Muon([w], lr=0.1, weight_decay=0.0, nesterov=False, momentum=0.0)
        w.grad = wick.tensor(g)
        opt.step()
        update = (w0 - w.detach().numpy()) / (0.1 * math.sqrt(max(1, shape[0] / shape[1])))
        # The same singular vectors as the gradient, singular values pushed near 1.
        u, s, vt = np.linalg.svd(g, full_matrices=False)
        su = np.diag(u.T @ update @ vt.T)
        assert np.all((su > 0.5) & (su < 1.5)), su
        np.testing.assert_allclose(u @ np.diag(su) @ vt, update, atol=1e-10)


def test_muon_momentum_weight_decay_and_lr_adjustment():
    rng = np.random.default_rng(1)
    w0, g1, g2 = rng.normal(size=(3, 5)), rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    w = wick.tensor(w0, requires_grad=True)
    lr, wd, mu = 0.02, 0.1, 0.9
    opt = wick.optim.Muon([w], lr=lr, weight_decay=wd, momentum=mu, adjust_lr_fn="match_rms_adamw")
    from wick.optim.muon import _orthogonalize
    expected, buf = w0.copy(), np.zeros_like(w0)
    for g in (g1, g2):
        w.grad = wick.tensor(g)
        opt.step()
        buf = buf + (1 - mu) * (g - buf)
        nesterov = g + mu * (buf - g)
        o = _orthogonalize(wick.tensor(nesterov), (3.4445, -4.7750, 2.0315), 5, 1e-7).numpy()
        expected = expected * (1 - lr * wd) - lr * 0.2 * math.sqrt(5) * o
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="2D parameters"):
        wick.optim.Muon([wick.zeros(3, requires_grad=True)])
