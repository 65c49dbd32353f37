"""The schedulers added for PyTorch 2.x (MultiplicativeLR, ConstantLR, LinearLR,
PolynomialLR, SequentialLR, ChainedScheduler, CyclicLR,
CosineAnnealingWarmRestarts): their lr (and momentum) sequences equal
PyTorch's exactly over many steps, for several optimizers and param groups."""
import copy
import math
import pickle
import warnings

import pytest
import torch

import wick

W, T = wick.optim.lr_scheduler, torch.optim.lr_scheduler


def make_opt(lib, opt_name, groups=2, lr=0.1):
    ps = [lib.tensor([1.0, -2.0], requires_grad=True) for _ in range(groups)]
    param_groups = [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)]
    if opt_name == "SGD":
        return lib.optim.SGD(param_groups, lr=lr, momentum=0.9)
    if opt_name == "Adam":
        return lib.optim.Adam(param_groups, lr=lr, betas=(0.8, 0.99))
    return getattr(lib.optim, opt_name)(param_groups, lr=lr)


def run_pair(make, opt_name="SGD", steps=40, keys=("lr",), groups=2, edit=None):
    """Steps a wick and a torch scheduler made by make(module, optimizer) side by
    side; the groups' lrs (and keys) and get_last_lr() must be equal at every step."""
    wopt, topt = make_opt(wick, opt_name, groups), make_opt(torch, opt_name, groups)
    ws, ts = make(W, wopt), make(T, topt)
    history = []
    for step in range(steps + 1):
        for key in keys:
            got, want = [g[key] for g in wopt.param_groups], [g[key] for g in topt.param_groups]
            assert got == want, f"{key} at step {step}: {got} != {want}"
        assert ws.get_last_lr() == ts.get_last_lr(), f"get_last_lr at step {step}"
        history.append(ws.get_last_lr())
        if edit is not None:
            edit(step, wopt)
            edit(step, topt)
        wopt.step()
        topt.step()
        ws.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 1.13's SequentialLR steps with an epoch at a milestone
            ts.step()
    return ws, ts, wopt, history


CHAINABLE = {
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.95 if e % 3 else 1.1),
    "MultiplicativeLRPerGroup": lambda m, o: m.MultiplicativeLR(o, lr_lambda=[lambda e: 0.9, lambda e: 1.0 / (1 + e)]),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7),
    "ConstantLRDefault": lambda m, o: m.ConstantLR(o),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=13),
    "LinearLRDown": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=30),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=17, power=0.9),
    "PolynomialLRSquare": lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0),
}

OTHERS = {
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False),
    "CyclicLRAsymmetric": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3,
                                                  step_size_down=7, cycle_momentum=False),
    "CyclicLRTriangular2": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=5, mode="triangular2",
                                                   cycle_momentum=False),
    "CyclicLRExpRange": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=4, mode="exp_range",
                                                gamma=0.93, cycle_momentum=False),
    "CyclicLRScaleFnCycle": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=3,
                                                    scale_fn=lambda x: 1.0 / x, cycle_momentum=False),
    "CyclicLRScaleFnIterations": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=3,
                                                         scale_fn=lambda x: 0.97 ** x, scale_mode="iterations",
                                                         cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=6),
    "CosineAnnealingWarmRestartsMult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.2, total_iters=5),
                                                    m.CosineAnnealingLR(o, T_max=20, eta_min=0.01)], milestones=[5]),
    "SequentialLR3": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=4),
                                                     m.ExponentialLR(o, gamma=0.9),
                                                     m.StepLR(o, step_size=3, gamma=0.5)], milestones=[6, 15]),
    "SequentialLRLambda": lambda m, o: m.SequentialLR(o, [m.LambdaLR(o, lambda e: (e + 1) / 4),
                                                          m.PolynomialLR(o, total_iters=10)], milestones=[4]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=5),
                                                         m.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler3": lambda m, o: m.ChainedScheduler([m.LinearLR(o, start_factor=0.5, total_iters=6),
                                                          m.MultiStepLR(o, milestones=[4, 9], gamma=0.5),
                                                          m.CosineAnnealingLR(o, T_max=12)]),
}


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "RMSprop"])
@pytest.mark.parametrize("name", list(CHAINABLE) + list(OTHERS))
def test_sequences_match_torch(name, opt_name):
    run_pair({**CHAINABLE, **OTHERS}[name], opt_name)


@pytest.mark.parametrize("name", list(CHAINABLE))
def test_chainable_schedulers_carry_a_manual_lr_change_on(name):
    def edit(step, opt):
        if step == 3:
            opt.param_groups[0]["lr"] = 0.37

    run_pair(CHAINABLE[name], steps=25, edit=edit)


@pytest.mark.parametrize("name", ["ConstantLR", "LinearLR", "PolynomialLR"])
def test_step_with_epoch_uses_the_closed_form(name):
    wopt, topt = make_opt(wick, "SGD"), make_opt(torch, "SGD")
    ws, ts = CHAINABLE[name](W, wopt), CHAINABLE[name](T, topt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 9, 1, 20, 0, 7]:
            ws.step(epoch)
            ts.step(epoch)
            assert ws.get_last_lr() == ts.get_last_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        ws.step(2)


CYCLIC_MOMENTUM = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=5, mode="triangular2", base_momentum=0.7,
         max_momentum=0.95),
    dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=3, mode="exp_range", gamma=0.9,
         base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.99]),
]


@pytest.mark.parametrize("kwargs", CYCLIC_MOMENTUM)
def test_cyclic_lr_cycles_sgd_momentum_like_torch(kwargs):
    run_pair(lambda m, o: m.CyclicLR(o, **kwargs), "SGD", steps=30, keys=("lr", "momentum"))


@pytest.mark.parametrize("kwargs", CYCLIC_MOMENTUM)
def test_cyclic_lr_cycles_adam_beta1(kwargs):
    # PyTorch 1.13 cycles only SGD's momentum; 2.x cycles Adam's beta1 the same
    # way: it must follow the momentum sequence of torch's SGD, beta2 untouched.
    wopt, topt = make_opt(wick, "Adam"), make_opt(torch, "SGD")
    ws, ts = W.CyclicLR(wopt, **kwargs), T.CyclicLR(topt, **kwargs)
    for _ in range(25):
        assert [g["betas"][0] for g in wopt.param_groups] == [g["momentum"] for g in topt.param_groups]
        assert all(g["betas"][1] == 0.99 for g in wopt.param_groups)
        assert ws.get_last_lr() == ts.get_last_lr()
        assert [g["max_momentum"] for g in wopt.param_groups] == ws.max_momentums
        assert [g["base_momentum"] for g in wopt.param_groups] == ws.base_momentums
        wopt.step()
        topt.step()
        ws.step()
        ts.step()


def test_cyclic_lr_momentum_follows_the_formula():
    # Hand check: triangular, step_size_up=2 -> x = 0, .5, 1, .5, 0 over a cycle.
    opt = make_opt(wick, "SGD", groups=1)
    sched = W.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    lrs, moms = [], []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([0.1, 0.3, 0.5, 0.3, 0.1])
    assert moms == pytest.approx([0.9, 0.85, 0.8, 0.85, 0.9])


def test_cyclic_lr_errors():
    opt = make_opt(wick, "SGD")
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        W.CyclicLR(opt, base_lr=0.1, max_lr=1.0, mode="sawtooth")
    with pytest.raises(ValueError, match="expected 2 values for max_lr, got 3"):
        W.CyclicLR(opt, base_lr=0.1, max_lr=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        W.CyclicLR(make_opt(wick, "Adagrad"), base_lr=0.1, max_lr=1.0)
    with pytest.raises(ValueError, match="step_size_up > 0"):
        W.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=0)
    with pytest.raises(ValueError, match="scale_mode must be"):
        W.CyclicLR(opt, base_lr=0.1, max_lr=1.0, scale_fn=lambda x: 1.0, scale_mode="epochs")
    with pytest.raises(TypeError, match="is not an Optimizer"):
        W.CyclicLR(object(), base_lr=0.1, max_lr=1.0)
    W.CyclicLR(make_opt(wick, "Adagrad"), base_lr=0.1, max_lr=1.0, cycle_momentum=False)


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    for t_mult in (1, 2, 3):
        wopt, topt = make_opt(wick, "SGD"), make_opt(torch, "SGD")
        ws = W.CosineAnnealingWarmRestarts(wopt, T_0=4, T_mult=t_mult, eta_min=0.005)
        ts = T.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=t_mult, eta_min=0.005)
        iters = 7
        for epoch in range(30):
            for i in range(iters):
                ws.step(epoch + i / iters)
                ts.step(epoch + i / iters)
                assert ws.get_last_lr() == ts.get_last_lr()
                assert (ws.T_cur, ws.T_i, ws.last_epoch) == (ts.T_cur, ts.T_i, ts.last_epoch)


def test_cosine_warm_restarts_mixes_step_and_step_epoch_like_torch():
    wopt, topt = make_opt(wick, "SGD"), make_opt(torch, "SGD")
    ws = W.CosineAnnealingWarmRestarts(wopt, T_0=5, T_mult=2)
    ts = T.CosineAnnealingWarmRestarts(topt, T_0=5, T_mult=2)
    for call in [None, None, 13, None, None, 2.5, None, 40, None, 0, None]:
        ws.step(call)
        ts.step(call)
        assert ws.get_last_lr() == ts.get_last_lr()


def test_cosine_warm_restarts_errors():
    opt = make_opt(wick, "SGD")
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        W.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 2.5"):
        W.CosineAnnealingWarmRestarts(opt, T_0=2.5)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        W.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="Expected float or int eta_min"):
        W.CosineAnnealingWarmRestarts(opt, T_0=2, eta_min="0")
    sched = W.CosineAnnealingWarmRestarts(opt, T_0=2)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        sched.step(-1)


def test_chained_scheduler_takes_the_optimizer_too():
    # PyTorch 2.x's optional optimizer argument: the same sequence as without it.
    opt_a, opt_b = make_opt(wick, "SGD"), make_opt(wick, "SGD")
    a = W.ChainedScheduler([W.ConstantLR(opt_a, factor=0.5, total_iters=3), W.ExponentialLR(opt_a, gamma=0.8)],
                           optimizer=opt_a)
    b = W.ChainedScheduler([W.ConstantLR(opt_b, factor=0.5, total_iters=3), W.ExponentialLR(opt_b, gamma=0.8)])
    for step in range(8):
        assert a.get_last_lr() == b.get_last_lr()
        expected = 0.1 * 0.8 ** step * (0.5 if step < 3 else 1.0)
        assert a.get_last_lr()[0] == pytest.approx(expected)
        opt_a.step()
        opt_b.step()
        a.step()
        b.step()
    assert a.optimizer is opt_a


def test_scheduler_list_errors():
    opt, other = make_opt(wick, "SGD"), make_opt(wick, "SGD")
    with pytest.raises(ValueError, match="at least one scheduler"):
        W.ChainedScheduler([])
    with pytest.raises(ValueError, match="at least one scheduler"):
        W.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="same optimizer"):
        W.ChainedScheduler([W.ExponentialLR(opt, 0.9), W.ExponentialLR(other, 0.9)])
    with pytest.raises(ValueError, match="same optimizer"):
        W.SequentialLR(opt, [W.ExponentialLR(opt, 0.9), W.ExponentialLR(other, 0.9)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        W.ChainedScheduler([W.ExponentialLR(opt, 0.9), W.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="number of schedulers 2 and the number of milestones to be equal to 2"):
        W.SequentialLR(opt, [W.ExponentialLR(opt, 0.9), W.StepLR(opt, 2)], milestones=[2, 4])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        W.ChainedScheduler([object()])


def test_factor_errors():
    opt = make_opt(wick, "SGD")
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        W.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="greater than 0 and less or equal to 1, but got 0"):
        W.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1, but got -1"):
        W.LinearLR(opt, end_factor=-1)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        W.MultiplicativeLR(opt, [lambda e: 1.0] * 3)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        W.MultiplicativeLR(opt, 0.5)


RESUMABLE = {**CHAINABLE, **{k: OTHERS[k] for k in ["CyclicLRTriangular2", "CosineAnnealingWarmRestartsMult",
                                                      "SequentialLR", "ChainedScheduler3"]}}


class Halving:
    """A callable object: its state goes into state_dict."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, x):
        return self.factor ** x


@pytest.mark.parametrize("name", list(RESUMABLE) + ["CyclicLRObject"])
def test_state_dict_round_trip(name):
    make = RESUMABLE.get(name) or (lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=3,
                                                           scale_fn=Halving()))
    opt = make_opt(wick, "SGD")
    sched = make(W, opt)
    for _ in range(9):
        opt.step()
        sched.step()
    saved_sched, saved_opt = copy.deepcopy(sched.state_dict()), copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved_sched
    pickle.dumps(saved_sched)  # plain data: no functions, no bound methods
    other = make_opt(wick, "SGD")
    resumed = make(W, other)  # made first: its constructor's step changes the lrs the load then restores
    other.load_state_dict(saved_opt)
    if name == "CyclicLRObject":
        sched._scale_fn_custom.factor = 0.25  # the object's state travels with the state_dict
        saved_sched = copy.deepcopy(sched.state_dict())
    resumed.load_state_dict(saved_sched)
    for _ in range(15):
        opt.step()
        other.step()
        sched.step()
        resumed.step()
        assert sched.get_last_lr() == resumed.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in other.param_groups]


@pytest.mark.parametrize("name", ["MultiplicativeLR", "ConstantLR", "LinearLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts"])
def test_state_dict_keys_match_torch(name):
    make = {**CHAINABLE, **OTHERS}[name]
    ws, ts = make(W, make_opt(wick, "SGD")), make(T, make_opt(torch, "SGD"))
    assert ws.state_dict() == ts.state_dict()


def test_sequential_state_dict_holds_the_wrapped_schedulers():
    make = OTHERS["SequentialLR"]
    ws, ts = make(W, make_opt(wick, "SGD")), make(T, make_opt(torch, "SGD"))
    wsd, tsd = ws.state_dict(), ts.state_dict()
    assert sorted(wsd) == sorted(tsd)
    assert [sorted(s) for s in wsd["_schedulers"]] == [sorted(s) for s in tsd["_schedulers"]]


def test_resuming_with_last_epoch_keeps_the_given_lr():
    # PyTorch 2.x: the constructor's step of a resumed chainable scheduler
    # does not move the lr a step further (1.13 did for some).
    for make in [lambda o: W.LinearLR(o, start_factor=0.2, total_iters=10, last_epoch=3),
                 lambda o: W.PolynomialLR(o, total_iters=10, power=2.0, last_epoch=3),
                 lambda o: W.MultiplicativeLR(o, lambda e: 0.5, last_epoch=3),
                 lambda o: W.ExponentialLR(o, gamma=0.5, last_epoch=3)]:
        opt = make_opt(wick, "SGD", groups=1)
        opt.param_groups[0]["initial_lr"] = 1.0
        opt.param_groups[0]["lr"] = 0.37
        sched = make(opt)
        assert sched.get_last_lr() == [0.37] and sched.last_epoch == 4
    opt = make_opt(wick, "SGD", groups=1)
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = W.LinearLR(opt, start_factor=0.2, total_iters=10, last_epoch=3)
    opt.param_groups[0]["lr"] = 0.2 + 0.8 * 4 / 10  # the closed form at epoch 4
    opt.step()
    sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.2 + 0.8 * 5 / 10)


def test_sequential_lr_hand_computed():
    opt = make_opt(wick, "SGD", groups=1, lr=1.0)
    sched = W.SequentialLR(opt, [W.ConstantLR(opt, factor=0.1, total_iters=2), W.ExponentialLR(opt, gamma=0.5)],
                           milestones=[3])
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning at the milestone
        for _ in range(6):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            sched.step()
    assert lrs == pytest.approx([0.1, 0.1, 1.0, 1.0, 0.5, 0.25])


def test_new_schedulers_are_exported():
    for name in ["MultiplicativeLR", "ConstantLR", "LinearLR", "PolynomialLR", "SequentialLR", "ChainedScheduler",
                 "CyclicLR", "CosineAnnealingWarmRestarts"]:
        assert name in W.__all__ and issubclass(getattr(W, name), W.LRScheduler)
    assert issubclass(W.ReduceLROnPlateau, W.LRScheduler)  # as in PyTorch 2.x
    assert math.isclose(W.LinearLR(make_opt(wick, "SGD"), start_factor=0.5).get_last_lr()[0], 0.05)
