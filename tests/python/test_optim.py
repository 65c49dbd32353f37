"""wick.optim and wick.nn.utils.clip_grad_* against torch.optim (PyTorch 1.13).

Optimizers: the same parameters and the same gradients go through wick's and
torch's optimizer for 20 steps; the parameters must agree after every step,
to float32 rounding (float64: to 1e-12). Schedulers: the lr sequences must
agree exactly. Then state_dict round trips, clipping, errors, and the seeds'
training loops.
"""
import copy
import itertools
import math
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.optim
from wick.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(5, 7), (3,), (257,)]
# With a parameter this large the kernel runs on several threads; only a few
# cases use it, as parallel regions are slow on a busy machine.
LARGE_SHAPES = [(5, 7), (3,), (70001,)]
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-11)}


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


class Pair:
    """The same parameters in wick and torch (and in torch as float64, the
    oracle for float32 runs), and a fixed sequence of gradients."""

    def __init__(self, dtype="float32", seed=0, shapes=SHAPES, device="cpu"):
        rng = np.random.default_rng(seed)
        self.dtype = dtype
        self.device = device
        data = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]
        self.w = [wick.tensor(d, requires_grad=True, device=device) for d in data]
        self.t = [torch.tensor(d, requires_grad=True) for d in data]
        self.t64 = [torch.tensor(d.astype("float64"), requires_grad=True) for d in data]
        self.grads = [[rng.normal(0, 1, s).astype(dtype) for s in shapes] for _ in range(40)]

    def set_grads(self, step):
        for w, t, t64, g in zip(self.w, self.t, self.t64, self.grads[step]):
            w.grad = wick.tensor(g, device=self.device)
            t.grad = torch.tensor(g)
            t64.grad = torch.tensor(g.astype("float64"))

    def assert_close(self, what="", oracle=False):
        for i, (w, t, t64) in enumerate(zip(self.w, self.t, self.t64)):
            mine, theirs = _np(w), _np(t)
            if not (oracle and self.dtype == "float32"):
                np.testing.assert_allclose(mine, theirs, err_msg=f"{what} parameter {i}", **TOL[self.dtype])
                continue
            # To float32 rounding: wick is about as close to the float64 result
            # as torch's float32 result is. (Where an update divides by a
            # running average of tiny gradients, both float32 results drift
            # from it alike; a plain tolerance would not hold there.)
            exact = _np(t64)
            bound = 4 * np.abs(theirs - exact) + TOL["float32"]["atol"] + TOL["float32"]["rtol"] * np.abs(exact)
            bad = np.flatnonzero(np.abs(mine - exact) > bound)
            assert bad.size == 0, (f"{what} parameter {i} at {bad[:5]}: wick {mine[bad[:5]]}, torch {theirs[bad[:5]]}, "
                                   f"float64 {exact[bad[:5]]}")


def run_both(pair, wopt, topt, steps, start=0, topt64=None):
    """Steps wick's and torch's optimizer (and the float64 oracle's, if given) and compares after every step."""
    for step in range(start, start + steps):
        pair.set_grads(step)
        wopt.step()
        topt.step()
        if topt64 is not None:
            topt64.step()
        pair.assert_close(f"step {step + 1}", oracle=topt64 is not None)


def optimizer_cases():
    cases = []
    for momentum, dampening, nesterov, wd, maximize in itertools.product([0, 0.9], [0, 0.3], [False, True], [0, 0.1],
                                                                         [False, True]):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        cases.append(("SGD", dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                  weight_decay=wd, maximize=maximize)))
    for name in ("Adam", "AdamW"):
        for amsgrad, wd, maximize in itertools.product([False, True], [0, 0.1], [False, True]):
            cases.append((name, dict(lr=0.01, amsgrad=amsgrad, weight_decay=wd, maximize=maximize)))
        cases.append((name, dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3)))
        cases.append((name, dict()))
    for centered, momentum, wd, maximize in itertools.product([False, True], [0, 0.5], [0, 0.1], [False, True]):
        cases.append(("RMSprop", dict(lr=0.01, alpha=0.9, centered=centered, momentum=momentum, weight_decay=wd,
                                      maximize=maximize)))
    cases.append(("RMSprop", dict()))
    for lr_decay, wd, init, maximize in itertools.product([0, 0.1], [0, 0.1], [0, 0.3], [False, True]):
        cases.append(("Adagrad", dict(lr=0.1, lr_decay=lr_decay, weight_decay=wd, initial_accumulator_value=init,
                                      maximize=maximize)))
    cases.append(("Adagrad", dict(eps=1e-3)))
    return cases


CASES = optimizer_cases()
# The first case of each optimizer also runs with a large parameter.
LARGE_CASES = {id(next(c for c in CASES if c[0] == name)) for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")}


def case_id(case):
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_trajectory_matches_torch(case, dtype, device):
    # wick's parameters (and so its optimizer state and fused step kernel) on `device`, torch's on the CPU.
    name, kwargs = case
    pair = Pair(dtype, shapes=LARGE_SHAPES if id(case) in LARGE_CASES else SHAPES, device=device)
    wopt = getattr(wick.optim, name)(pair.w, **kwargs)
    topt = getattr(torch.optim, name)(pair.t, **kwargs)
    topt64 = getattr(torch.optim, name)(pair.t64, **kwargs)
    run_both(pair, wopt, topt, 20, topt64=topt64)
    for p in pair.w:
        assert p.device.type == device
        for buf in wopt.state[p].values():
            if isinstance(buf, wick.Tensor) and buf.dim() > 0:
                assert buf.device.type == device, "optimizer state on the wrong device"


def test_optimizer_on_a_module_moved_to_the_device(device):
    # The training-loop form: Module.to(device), then an optimizer over its parameters.
    torch.manual_seed(0)
    tmod = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    wmod = wick.nn.Sequential(wick.nn.Linear(5, 4), wick.nn.Tanh(), wick.nn.Linear(4, 2))
    wmod.load_state_dict({k: wick.tensor(v.numpy()) for k, v in tmod.state_dict().items()})
    wmod.to(device)
    wopt = wick.optim.Adam(wmod.parameters(), lr=0.05, amsgrad=True, weight_decay=0.01)
    topt = torch.optim.Adam(tmod.parameters(), lr=0.05, amsgrad=True, weight_decay=0.01)
    rng = np.random.default_rng(5)
    for _ in range(5):
        x = rng.standard_normal((8, 5)).astype("float32")
        for mod, opt, lib, dev in ((wmod, wopt, wick, device), (tmod, topt, torch, None)):
            opt.zero_grad()
            xin = lib.tensor(x, device=dev) if dev else lib.tensor(x)
            (mod(xin) ** 2).mean().backward()
            opt.step()
    for (name, wp), (_, tp) in zip(wmod.named_parameters(), tmod.named_parameters()):
        assert wp.device.type == device
        np.testing.assert_allclose(_np(wp), _np(tp), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_groups_with_their_own_options(name):
    pair = Pair()
    extra = {"SGD": dict(momentum=0.5), "Adam": dict(amsgrad=True), "AdamW": dict(weight_decay=0.5),
             "RMSprop": dict(centered=True, momentum=0.3), "Adagrad": dict(lr_decay=0.2)}[name]

    def groups(ps):
        return [{"params": [ps[0], ps[2]]}, {"params": [ps[1]], "lr": 0.003, **extra}]

    wopt = getattr(wick.optim, name)(groups(pair.w), lr=0.02)
    topt = getattr(torch.optim, name)(groups(pair.t), lr=0.02)
    topt64 = getattr(torch.optim, name)(groups(pair.t64), lr=0.02)
    run_both(pair, wopt, topt, 10, topt64=topt64)
    # Options changed between steps take effect, as in PyTorch.
    for opt in (wopt, topt, topt64):
        opt.param_groups[0]["lr"] = 0.05
        opt.param_groups[1]["weight_decay"] = 0.01
    run_both(pair, wopt, topt, 10, start=10, topt64=topt64)


def test_parameters_without_gradient_are_skipped_and_state_is_lazy():
    pair = Pair()
    wopt = wick.optim.Adam(pair.w, lr=0.1)
    topt = torch.optim.Adam(pair.t, lr=0.1)
    topt64 = torch.optim.Adam(pair.t64, lr=0.1)
    for step in range(3):
        pair.set_grads(step)
        pair.w[1].grad = pair.t[1].grad = pair.t64[1].grad = None
        wopt.step()
        topt.step()
        topt64.step()
        pair.assert_close(oracle=True)
    assert pair.w[1] not in wopt.state
    assert float(wopt.state[pair.w[0]]["step"]) == 3.0


def test_adam_on_a_loss_with_backward():
    # The full loop, gradients from autograd on both sides.
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    w0, b0 = rng.normal(size=(4, 1)).astype("float32"), np.zeros(1, "float32")
    lib_params = {}
    for lib in (wick, torch):
        w, b = lib.tensor(w0, requires_grad=True), lib.tensor(b0, requires_grad=True)
        opt = lib.optim.Adam([w, b], lr=0.05)
        xs, ys = lib.tensor(x), lib.tensor(y)
        for _ in range(20):
            opt.zero_grad()
            ((xs @ w + b - ys) ** 2).mean().backward()
            opt.step()
        lib_params[lib.__name__] = (_np(w), _np(b))
    for a, b in zip(lib_params["wick"], lib_params["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_step_runs_closure_with_grad_enabled_and_returns_its_loss():
    w = wick.tensor([2.0], requires_grad=True)
    opt = wick.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with wick.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    assert w.item() == 1.0


def test_step_bumps_the_version_and_keeps_the_parameter_a_leaf():
    w = wick.tensor([1.0, 2.0], requires_grad=True)
    opt = wick.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    before = w._version
    opt.step()
    assert w._version > before
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_zero_grad():
    w = wick.tensor([1.0, 2.0], requires_grad=True)
    opt = wick.optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad()
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0]
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=True)
    assert w.grad is None
    # A gradient with a graph (create_graph=True) is detached first.
    (w * w).sum().backward(create_graph=True)
    assert w.grad.grad_fn is not None
    opt.zero_grad()
    assert w.grad.grad_fn is None and w.grad.tolist() == [0.0, 0.0]


def test_add_param_group():
    pair = Pair()
    wopt = wick.optim.SGD([pair.w[0]], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([pair.t[0]], lr=0.1, momentum=0.9)
    topt64 = torch.optim.SGD([pair.t64[0]], lr=0.1, momentum=0.9)
    run_both(pair, wopt, topt, 3, topt64=topt64)
    wopt.add_param_group({"params": [pair.w[1], pair.w[2]], "lr": 0.01})
    topt.add_param_group({"params": [pair.t[1], pair.t[2]], "lr": 0.01})
    topt64.add_param_group({"params": [pair.t64[1], pair.t64[2]], "lr": 0.01})
    assert wopt.param_groups[1] == {**topt.param_groups[1], "params": wopt.param_groups[1]["params"]}
    run_both(pair, wopt, topt, 5, start=3, topt64=topt64)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        wopt.add_param_group({"params": pair.w[0]})
    with pytest.raises(TypeError, match="param group must be a dict"):
        wopt.add_param_group([pair.w[0]])


def test_adagrad_group_added_later_gets_its_state():
    pair = Pair()
    wopt = wick.optim.Adagrad([pair.w[0]], lr=0.1, initial_accumulator_value=0.2)
    wopt.add_param_group({"params": [pair.w[1]], "initial_accumulator_value": 0.5})
    pair.set_grads(0)
    wopt.step()
    # By hand: sum = 0.5 + g^2, p -= 0.1 * g / (sqrt(sum) + eps).
    g = pair.grads[0][1].astype("float64")
    expected = _np(pair.t[1]).astype("float64") - 0.1 * g / (np.sqrt(0.5 + g * g) + 1e-10)
    np.testing.assert_allclose(_np(pair.w[1]), expected, rtol=1e-6)


def test_repr_lists_the_groups():
    w = wick.tensor([1.0], requires_grad=True)
    t = torch.tensor([1.0], requires_grad=True)
    assert repr(wick.optim.Adam([w], lr=0.5)) == repr(torch.optim.Adam([t], lr=0.5))
    assert repr(wick.optim.SGD([w], lr=0.5, momentum=0.1)) == repr(torch.optim.SGD([t], lr=0.5, momentum=0.1))


# ---- state_dict --------------------------------------------------------------------------------

STATE_CASES = [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)), ("SGD", dict(lr=0.1)),
               ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)), ("AdamW", dict(lr=0.01)),
               ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)), ("RMSprop", dict(lr=0.01)),
               ("Adagrad", dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.2))]


def to_wick(value):
    """A torch state dict with wick tensors."""
    if isinstance(value, torch.Tensor):
        return wick.tensor(value.detach().numpy())
    if isinstance(value, dict):
        return {k: to_wick(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_wick(v) for v in value)
    return value


def assert_same_state_dict(w_sd, t_sd):
    assert w_sd["param_groups"] == t_sd["param_groups"]
    assert list(w_sd["state"].keys()) == list(t_sd["state"].keys())
    for k, t_state in t_sd["state"].items():
        w_state = w_sd["state"][k]
        assert list(w_state.keys()) == list(t_state.keys())
        for key, tv in t_state.items():
            wv = w_state[key]
            if isinstance(tv, torch.Tensor):
                assert isinstance(wv, wick.Tensor) and str(wv.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1]
                assert tuple(wv.shape) == tuple(tv.shape)
                np.testing.assert_allclose(_np(wv), _np(tv), rtol=1e-5, atol=1e-6, err_msg=f"state {k} {key}")
            else:
                assert wv == tv and type(wv) is type(tv), f"state {k} {key}: {wv!r} vs {tv!r}"


@pytest.mark.parametrize("case", STATE_CASES, ids=[case_id(c) for c in STATE_CASES])
def test_state_dict_has_torchs_structure(case):
    name, kwargs = case
    pair = Pair()
    groups = lambda ps: [{"params": [ps[0], ps[1]]}, {"params": [ps[2]], "lr": 0.02}]
    wopt = getattr(wick.optim, name)(groups(pair.w), **kwargs)
    topt = getattr(torch.optim, name)(groups(pair.t), **kwargs)
    topt64 = getattr(torch.optim, name)(groups(pair.t64), **kwargs)
    assert_same_state_dict(wopt.state_dict(), topt.state_dict())  # before any step (Adagrad has state)
    run_both(pair, wopt, topt, 3, topt64=topt64)
    assert_same_state_dict(wopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("through_file", [False, True])
@pytest.mark.parametrize("case", STATE_CASES, ids=[case_id(c) for c in STATE_CASES])
def test_state_dict_round_trip_continues_the_same_trajectory(case, through_file, tmp_path):
    name, kwargs = case
    pair = Pair()
    wopt = getattr(wick.optim, name)(pair.w, **kwargs)
    topt = getattr(torch.optim, name)(pair.t, **kwargs)
    topt64 = getattr(torch.optim, name)(pair.t64, **kwargs)
    run_both(pair, wopt, topt, 10, topt64=topt64)
    state = wopt.state_dict()
    if through_file:
        wick.save(state, tmp_path / "optim.wick")
        state = wick.load(tmp_path / "optim.wick")
    # A fresh optimizer over fresh copies of the parameters takes over.
    fresh = [wick.tensor(_np(p), requires_grad=True) for p in pair.w]
    resumed = getattr(wick.optim, name)(fresh, **kwargs)
    resumed.load_state_dict(state)
    pair.w = fresh
    run_both(pair, resumed, topt, 10, start=10, topt64=topt64)
    # load_state_dict copied: the old optimizer's state is not shared.
    for p_state in resumed.state.values():
        for v in p_state.values():
            if isinstance(v, wick.Tensor):
                assert all(v is not old for s in wopt.state.values() for old in s.values())


@pytest.mark.parametrize("case", STATE_CASES, ids=[case_id(c) for c in STATE_CASES])
def test_load_state_dict_of_torch(case):
    # torch's state_dict, tensors converted, carries on exactly as torch does.
    name, kwargs = case
    pair = Pair()
    topt = getattr(torch.optim, name)(pair.t, **kwargs)
    topt64 = getattr(torch.optim, name)(pair.t64, **kwargs)
    for step in range(5):
        pair.set_grads(step)
        topt.step()
        topt64.step()
    pair.w = [wick.tensor(_np(p), requires_grad=True) for p in pair.t]
    wopt = getattr(wick.optim, name)(pair.w, **kwargs)
    wopt.load_state_dict(to_wick(topt.state_dict()))
    run_both(pair, wopt, topt, 10, start=5, topt64=topt64)


def test_load_state_dict_errors():
    w = [wick.tensor([1.0], requires_grad=True), wick.tensor([2.0], requires_grad=True)]
    one = wick.optim.SGD(w[:1], lr=0.1)
    two = wick.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        two.load_state_dict(one.state_dict())
    groups = wick.optim.SGD([{"params": [w[0]]}, {"params": [w[1]]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups.load_state_dict(one.state_dict())
    # The loaded lr replaces the current one; the loaded dict is not aliased.
    sd = one.state_dict()
    sd["param_groups"][0]["lr"] = 0.5
    fresh = wick.optim.SGD([wick.tensor([1.0], requires_grad=True)], lr=0.1)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.5
    sd["param_groups"][0]["lr"] = 7
    assert fresh.param_groups[0]["lr"] == 0.5


def test_cpp_state_dict_layout_loads_in_python(tmp_path):
    # What the C++ optimizers write (string keys) is accepted too.
    w = wick.tensor([1.0, 2.0], requires_grad=True)
    opt = wick.optim.Adam([w], lr=0.1)
    w.grad = wick.tensor([0.5, -0.5])
    opt.step()
    sd = opt.state_dict()
    sd["state"] = {str(k): v for k, v in sd["state"].items()}
    sd["param_groups"][0]["betas"] = list(sd["param_groups"][0]["betas"])
    other = wick.optim.Adam([wick.tensor([1.0, 2.0], requires_grad=True)], lr=0.1)
    other.load_state_dict(sd)
    p = other.param_groups[0]["params"][0]
    assert float(other.state[p]["step"]) == 1.0
    assert other.param_groups[0]["betas"] == (0.9, 0.999)


# ---- schedulers --------------------------------------------------------------------------------

def sgd_pair(lr=0.1, groups=1, momentum=0.0):
    w = [wick.tensor([1.0], requires_grad=True) for _ in range(groups)]
    t = [torch.tensor([1.0], requires_grad=True) for _ in range(groups)]
    wopt = wick.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(w)], lr=lr, momentum=momentum)
    topt = torch.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(t)], lr=lr, momentum=momentum)
    return wopt, topt


def compare_schedules(make_w, make_t, wopt, topt, steps, metrics=None, edit=None, keys=("lr",)):
    """Steps both and compares each group's lr (and other keys) exactly after every step."""
    wsched, tsched = make_w(wopt), make_t(topt)
    for step in range(steps + 1):
        for key in keys:
            assert [g[key] for g in wopt.param_groups] == [g[key] for g in topt.param_groups], f"{key}, step {step}"
        if hasattr(tsched, "get_last_lr"):  # torch's ReduceLROnPlateau (1.13) has none
            assert wsched.get_last_lr() == tsched.get_last_lr()
        elif step > 0:
            assert wsched.get_last_lr() == tsched._last_lr
        if edit is not None:
            edit(step, wopt)
            edit(step, topt)
        wopt.step()
        topt.step()
        if metrics is None:
            wsched.step()
            tsched.step()
        else:
            wsched.step(metrics[step])
            tsched.step(metrics[step])
    return wsched, tsched


SCHEDULERS = {
    "StepLR": lambda m: lambda o: m.StepLR(o, step_size=3, gamma=0.7),
    "MultiStepLR": lambda m: lambda o: m.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "ExponentialLR": lambda m: lambda o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m: lambda o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.001),
    "CosineAnnealingLR0": lambda m: lambda o: m.CosineAnnealingLR(o, T_max=5),
    "LambdaLR": lambda m: lambda o: m.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e) ** 0.5),
    "LambdaLRPerGroup": lambda m: lambda o: m.LambdaLR(o, lr_lambda=[lambda e: 0.9 ** e, lambda e: 1 + e]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_sequences_match_torch(name):
    wopt, topt = sgd_pair(groups=2)
    make = SCHEDULERS[name]
    compare_schedules(make(wick.optim.lr_scheduler), make(torch.optim.lr_scheduler), wopt, topt, 25)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"])
def test_scheduler_chaining_after_a_manual_lr_change(name):
    # The chained schedulers carry a hand-made lr change on; LambdaLR ignores it.
    def edit(step, opt):
        if step == 4:
            opt.param_groups[0]["lr"] = 0.37

    wopt, topt = sgd_pair(groups=2)
    make = SCHEDULERS[name]
    compare_schedules(make(wick.optim.lr_scheduler), make(torch.optim.lr_scheduler), wopt, topt, 15, edit=edit)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_scheduler_step_with_epoch_uses_the_closed_form(name):
    wopt, topt = sgd_pair()
    make = SCHEDULERS[name]
    ws, ts = make(wick.optim.lr_scheduler)(wopt), make(torch.optim.lr_scheduler)(topt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 12]:
            ws.step(epoch)
            ts.step(epoch)
            assert ws.get_last_lr() == ts.get_last_lr()


ONE_CYCLE = [
    dict(max_lr=0.5, total_steps=30),
    dict(max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=6, pct_start=0.4, anneal_strategy="linear"),
    dict(max_lr=0.3, total_steps=40, three_phase=True, div_factor=10.0, final_div_factor=100.0),
    dict(max_lr=0.3, total_steps=25, three_phase=True, anneal_strategy="linear", base_momentum=0.7,
         max_momentum=0.99),
    dict(max_lr=0.3, total_steps=20, cycle_momentum=False),
]


@pytest.mark.parametrize("kwargs", ONE_CYCLE)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_one_cycle_lr_matches_torch(kwargs, opt_name):
    def opt_for(lib):
        ps = [lib.tensor([1.0], requires_grad=True) for _ in range(2)]
        opt_kwargs = dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1, betas=(0.8, 0.99))
        return getattr(lib.optim, opt_name)([{"params": [ps[0]]}, {"params": [ps[1]]}], **opt_kwargs)

    wopt, topt = opt_for(wick), opt_for(torch)
    keys = ("lr",) if not kwargs.get("cycle_momentum", True) else ("lr", "momentum" if opt_name == "SGD" else "betas")
    total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
    ws, ts = compare_schedules(lambda o: wick.optim.lr_scheduler.OneCycleLR(o, **kwargs),
                               lambda o: torch.optim.lr_scheduler.OneCycleLR(o, **kwargs), wopt, topt, total - 1,
                               keys=keys)
    with pytest.raises(ValueError, match="Tried to step"):
        ws.step()


def test_one_cycle_lr_errors():
    w = [wick.tensor([1.0], requires_grad=True)]
    sched = wick.optim.lr_scheduler
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        sched.OneCycleLR(wick.optim.SGD(w, lr=0.1), max_lr=0.1)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        sched.OneCycleLR(wick.optim.SGD(w, lr=0.1), max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 1.5"):
        sched.OneCycleLR(wick.optim.SGD(w, lr=0.1), max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        sched.OneCycleLR(wick.optim.SGD(w, lr=0.1), max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        sched.OneCycleLR(wick.optim.Adagrad(w), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="expected 1 values for max_lr, got 2"):
        sched.OneCycleLR(wick.optim.SGD(w, lr=0.1), max_lr=[0.1, 0.2], total_steps=10)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.OneCycleLR(object(), max_lr=0.1, total_steps=10)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs"),
    dict(factor=0.5, patience=0, cooldown=2, min_lr=[0.01, 0.05]),
    dict(mode="max", patience=2, threshold=0.1, cooldown=1, min_lr=0.02, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(5)
    metrics = list(np.cumsum(rng.normal(0, 1, 60)) * 0.1 + 5)
    metrics[10:20] = [metrics[10]] * 10  # a plateau
    wopt, topt = sgd_pair(groups=2)
    make = lambda m: lambda o: m.ReduceLROnPlateau(o, **kwargs)
    ws, ts = compare_schedules(make(wick.optim.lr_scheduler), make(torch.optim.lr_scheduler), wopt, topt, 59,
                               metrics=[float(m) for m in metrics])
    assert (ws.best, ws.num_bad_epochs, ws.cooldown_counter) == (ts.best, ts.num_bad_epochs, ts.cooldown_counter)


def test_reduce_lr_on_plateau_takes_a_tensor_metric_and_checks_its_options():
    opt = wick.optim.SGD([wick.tensor([1.0], requires_grad=True)], lr=1.0)
    sched = wick.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    sched.step(wick.tensor(3.0))
    sched.step(wick.tensor(3.0))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        wick.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode sideways is unknown!"):
        wick.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="threshold mode x is unknown!"):
        wick.optim.lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        wick.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LambdaLR"])
def test_scheduler_state_dict_round_trip(name):
    make = SCHEDULERS[name](wick.optim.lr_scheduler)
    wopt, topt = sgd_pair()
    sched = make(wopt)
    for _ in range(7):
        wopt.step()
        sched.step()
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(wopt.state_dict())
    assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 7
    other, _ = sgd_pair()
    other.load_state_dict(saved_opt)
    resumed = make(other)
    resumed.load_state_dict(saved_sched)
    for _ in range(10):
        wopt.step()
        other.step()
        sched.step()
        resumed.step()
        assert sched.get_last_lr() == resumed.get_last_lr()


def test_scheduler_state_dict_matches_torch_keys():
    wopt, topt = sgd_pair()
    ws = wick.optim.lr_scheduler.StepLR(wopt, step_size=2)
    ts = torch.optim.lr_scheduler.StepLR(topt, step_size=2)
    assert ws.state_dict() == ts.state_dict()
    wopt, topt = sgd_pair()
    ws = wick.optim.lr_scheduler.ReduceLROnPlateau(wopt)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt)
    ws.step(1.0)
    ts.step(1.0)
    assert ws.state_dict() == ts.state_dict()


def test_scheduler_warns_when_stepped_before_the_optimizer():
    opt = wick.optim.SGD([wick.tensor([1.0], requires_grad=True)], lr=1.0)
    sched = wick.optim.lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        sched.step()
    opt2 = wick.optim.SGD([wick.tensor([1.0], requires_grad=True)], lr=1.0)
    sched2 = wick.optim.lr_scheduler.StepLR(opt2, step_size=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        sched2.step()
    assert opt2._step_count == 1
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched2.get_lr()


# ---- clipping --------------------------------------------------------------------------------

def grad_pairs(dtype="float32", with_none=True):
    rng = np.random.default_rng(11)
    shapes = [(4, 5), (7,), (3001,), (2,)]
    w, t = [], []
    for i, s in enumerate(shapes):
        d = rng.normal(size=s).astype(dtype)
        g = (rng.normal(size=s) * (i + 1)).astype(dtype)
        w.append(wick.tensor(d, requires_grad=True))
        t.append(torch.tensor(d, requires_grad=True))
        if not (with_none and i == 3):
            w[-1].grad = wick.tensor(g)
            t[-1].grad = torch.tensor(g)
    return w, t


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, -math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e9])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    w, t = grad_pairs(dtype)
    norm_type = float(norm_type)
    wn = clip_grad_norm_(w, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert isinstance(wn, wick.Tensor) and wn.dim() == 0 and str(wn.dtype) == str(tn.dtype).replace("torch", "wick")
    np.testing.assert_allclose(wn.item(), tn.item(), rtol=1e-5)
    for a, b in zip(w, t):
        if b.grad is None:
            assert a.grad is None
        else:
            np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=2e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    # A single tensor; generators; no gradients at all.
    w = wick.tensor([3.0, 4.0], requires_grad=True)
    w.grad = wick.tensor([3.0, 4.0])
    assert clip_grad_norm_(w, 1).item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    w.grad = wick.tensor([3.0, 4.0])
    assert clip_grad_norm_((p for p in [w]), 100.0).item() == pytest.approx(5.0)
    assert w.grad.tolist() == [3.0, 4.0]
    empty = clip_grad_norm_([wick.tensor([1.0], requires_grad=True)], 1.0)
    assert empty.item() == 0.0 and empty.dtype == wick.float32
    # Non-finite norms: an error only when asked, with PyTorch's message.
    w.grad = wick.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from `parameters` is "
                                           r"non-finite, so it cannot be clipped"):
        clip_grad_norm_([w], 1.0, error_if_nonfinite=True)
    assert w.grad.tolist()[1] == 1.0
    assert math.isnan(clip_grad_norm_([w], 1.0).item())


def test_clip_grad_value_matches_torch():
    w, t = grad_pairs()
    clip_grad_value_(w, 0.7)
    torch.nn.utils.clip_grad_value_(t, 0.7)
    for a, b in zip(w, t):
        if b.grad is not None:
            np.testing.assert_array_equal(_np(a.grad), _np(b.grad))
    single = wick.tensor([1.0, -1.0], requires_grad=True)
    single.grad = wick.tensor([5.0, -5.0])
    clip_grad_value_(single, 2)
    assert single.grad.tolist() == [2.0, -2.0]


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs, message", [
    ("SGD", dict(lr=-1), "Invalid learning rate: -1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    ("AdamW", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(weight_decay=-1e-2), "Invalid weight_decay value: -0.01"),
    ("RMSprop", dict(alpha=-1), "Invalid alpha value: -1"),
    ("RMSprop", dict(momentum=-1), "Invalid momentum value: -1"),
    ("Adagrad", dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
])
def test_invalid_options_raise_torchs_errors(name, kwargs, message):
    for lib in (wick, torch):
        with pytest.raises(ValueError) as info:
            getattr(lib.optim, name)([lib.tensor([1.0], requires_grad=True)], **kwargs)
        assert str(info.value) == message, lib.__name__


def test_invalid_parameters():
    w = wick.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable"):
        wick.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        wick.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        wick.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        wick.optim.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        wick.optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        wick.optim.SGD([w])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        wick.optim.SGD([w, w], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        wick.optim.Adam([w], differentiable=True)


def test_a_gradient_of_the_wrong_shape_or_dtype_raises_and_changes_nothing():
    w = wick.tensor([1.0, 2.0], requires_grad=True)
    opt = wick.optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = wick.tensor([1.0, 1.0])
    opt.step()
    before = w.tolist()
    kernel = wick._C._optim.sgd
    with pytest.raises(ValueError, match=r"the gradient has shape \[3\] but the parameter has shape \[2\]"):
        kernel(w, wick.tensor([1.0, 1.0, 1.0]), None, lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0,
               nesterov=False, maximize=False)
    with pytest.raises(TypeError, match="the gradient has dtype float64 but the parameter has dtype float32"):
        kernel(w, wick.tensor([1.0, 1.0], dtype=wick.float64), None, lr=0.1, momentum=0.0, dampening=0.0,
               weight_decay=0.0, nesterov=False, maximize=False)
    assert w.tolist() == before


# ---- the seeds' loops (shared/seeds) ---------------------------------------------------------

def test_seed_minimise_square_with_sgd():
    # seeds 000: minimise (x - 2)^2 from x = 5 with SGD(lr=0.1), 100 steps; x goes to 2.
    results = {}
    for lib in (wick, torch):
        x = lib.tensor(5.0, requires_grad=True)
        opt = lib.optim.SGD([x], lr=0.1)
        trace = []
        for step in range(100):
            opt.zero_grad()
            loss = (x - 2) ** 2
            loss.backward()
            opt.step()
            if step % 20 == 0:
                trace.append((x.item(), loss.item()))
        results[lib.__name__] = (x.item(), trace)
    x, trace = results["wick"]
    assert x == pytest.approx(2.0, abs=1e-6)
    assert [l for _, l in trace] == sorted([l for _, l in trace], reverse=True)
    assert trace[0] == pytest.approx((4.4, 9.0))
    assert results["wick"] == results["torch"]


def test_seed_linear_regression_with_sgd():
    # seeds 000: y = 2x + 1 + noise(0.1), one linear unit, MSE, SGD(lr=0.01), batches of 32, 50 epochs.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 1)).astype("float32")
    y = (2 * x + 1 + rng.normal(0, 0.1, (100, 1))).astype("float32")
    w0 = rng.uniform(-1, 1, (1, 1)).astype("float32")
    histories = {}
    for lib in (wick, torch):
        w, b = lib.tensor(w0, requires_grad=True), lib.tensor(np.zeros(1, "float32"), requires_grad=True)
        opt = lib.optim.SGD([w, b], lr=0.01)
        xs, ys = lib.tensor(x), lib.tensor(y)
        history = []
        for epoch in range(50):
            total = 0.0
            for start in range(0, 100, 32):
                xb, yb = xs[start:start + 32], ys[start:start + 32]
                opt.zero_grad()
                loss = ((xb @ w + b - yb) ** 2).mean()
                loss.backward()
                opt.step()
                total += loss.item() * xb.shape[0]
            history.append(total / 100)
        histories[lib.__name__] = (history, w.item(), b.item())
    history, w, b = histories["wick"]
    assert history[-1] < 0.05 and history[-1] < history[0] / 10
    assert all(later < earlier for earlier, later in zip(history[::5], history[5::5]))
    assert w == pytest.approx(2.0, abs=0.15) and b == pytest.approx(1.0, abs=0.15)
    np.testing.assert_allclose(history, histories["torch"][0], rtol=1e-4)
