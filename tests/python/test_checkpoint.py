"""wick.utils.checkpoint: outputs and gradients equal to running the function
directly (and to torch.utils.checkpoint's), dropout replayed, intermediates
not kept, the function rerun exactly once in backward."""
import re
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import wick
from wick.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential
from helpers import assert_same

VARIANTS = [True, False]


class Block(wick.nn.Module):
    """Linear -> tanh -> dropout -> Linear, counting its forward calls."""

    def __init__(self, p=0.5):
        super().__init__()
        self.fc1 = wick.nn.Linear(6, 8)
        self.fc2 = wick.nn.Linear(8, 6)
        self.drop = wick.nn.Dropout(p)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.fc2(self.drop(wick.tanh(self.fc1(x)))) + x


def grads_of(block, x):
    return [x.grad] + [p.grad for p in block.parameters()]


@pytest.mark.parametrize("use_reentrant", VARIANTS)
@pytest.mark.parametrize("dtype", [wick.float32, wick.float64])
def test_outputs_and_gradients_equal_the_direct_run(use_reentrant, dtype, device):
    wick.manual_seed(0)
    block = Block().to(device=device, dtype=dtype)
    x = wick.randn(5, 6, dtype=dtype, device=device, requires_grad=True)
    state = wick.get_rng_state()
    direct = block(x)
    (direct * direct).sum().backward()
    want = [g.clone() for g in grads_of(block, x)]
    x.grad = None
    block.zero_grad(set_to_none=True)
    wick.set_rng_state(state)  # the same dropout mask for the checkpointed run
    block.calls = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a CUDA run warns that the GPU generator cannot be replayed
        out = checkpoint(block, x, use_reentrant=use_reentrant)
    assert block.calls == 1
    (out * out).sum().backward()
    assert block.calls == 2  # rerun once, in backward
    np.testing.assert_array_equal(out.detach().cpu().numpy(), direct.detach().cpu().numpy())
    if device == "cpu":  # the dropout mask is replayed: the same gradients, bit for bit
        for got, exp in zip(grads_of(block, x), want):
            np.testing.assert_array_equal(got.cpu().numpy(), exp.cpu().numpy())


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_without_preserve_rng_state_the_rerun_draws_a_new_mask(use_reentrant):
    wick.manual_seed(1)
    block = Block(p=0.5)
    x = wick.randn(20, 6, requires_grad=True)
    state = wick.get_rng_state()
    block(x).sum().backward()
    want = x.grad.clone()
    x.grad = None
    wick.set_rng_state(state)
    checkpoint(block, x, use_reentrant=use_reentrant, preserve_rng_state=False).sum().backward()
    assert not np.array_equal(x.grad.numpy(), want.numpy())


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_matches_torch_checkpoint(use_reentrant):
    rng = np.random.default_rng(2)
    w1, b1 = rng.normal(size=(8, 6)), rng.normal(size=8)
    w2, b2 = rng.normal(size=(6, 8)), rng.normal(size=6)
    xd = rng.normal(size=(4, 6))
    results = []
    for lib, ckpt in ((wick, checkpoint), (torch, tcp.checkpoint)):
        params = [lib.tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]
        x = lib.tensor(xd, requires_grad=True)

        def f(a, scale):
            h = lib.tanh(a @ params[0].transpose(0, 1) + params[1])
            return (h @ params[2].transpose(0, 1) + params[3]) * scale

        out = ckpt(f, x, 1.5, use_reentrant=use_reentrant)
        (out ** 2).sum().backward()
        results.append([out.detach(), x.grad] + [p.grad for p in params])
    assert_same(results[0], results[1], 1e-10, 1e-12)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
def test_intermediates_are_not_kept(use_reentrant):
    block = Block()
    x = wick.randn(5, 6, requires_grad=True)
    direct = wick.autograd.graph.to_dot(block(x))
    dot = wick.autograd.graph.to_dot(checkpoint(block, x, use_reentrant=use_reentrant))
    assert "TanhBackward0" in direct and "AddmmBackward0" in direct
    nodes = re.findall(r'label="(\w+Backward\w*)\\nsaved (\d+) B"', dot)
    assert len(nodes) == 1 and "Checkpoint" in nodes[0][0]  # one node for the whole block
    kept = x.numel() * 4
    if not use_reentrant:  # the node also holds the parameters it sends gradients to
        kept += sum(p.numel() * 4 for p in block.parameters())
    assert int(nodes[0][1]) == kept  # the inputs (and parameters), no intermediate


def test_non_reentrant_works_with_autograd_grad_inputs_and_kwargs():
    block = Block(p=0.0)
    x = wick.randn(3, 6, requires_grad=True)
    fn = lambda a, scale=1.0: block(a) * scale
    direct = wick.autograd.grad(fn(x, scale=2.0).sum(), [x, block.fc1.weight])
    got = wick.autograd.grad(checkpoint(fn, x, use_reentrant=False, scale=2.0).sum(), [x, block.fc1.weight])
    for g, d in zip(got, direct):
        np.testing.assert_array_equal(g.numpy(), d.numpy())
    out = checkpoint(fn, x, use_reentrant=False, scale=2.0)
    out.sum().backward(inputs=[block.fc2.bias])
    assert x.grad is None and block.fc1.weight.grad is None
    assert block.fc2.bias.grad.tolist() == [6.0] * 6


def test_non_reentrant_is_differentiable_twice():
    x = wick.tensor([0.5, -1.0, 2.0], dtype=wick.float64, requires_grad=True)
    tx = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    res = []
    for lib, ckpt, leaf in ((wick, checkpoint, x), (torch, tcp.checkpoint, tx)):
        out = ckpt(lambda a: (a.sin() * a ** 2).sum(), leaf, use_reentrant=False)
        g, = lib.autograd.grad(out, leaf, create_graph=True)
        h, = lib.autograd.grad(g.sum(), leaf)
        res.append((g.detach(), h))
    assert_same(res[0], res[1], 1e-12, 1e-12)


def test_tuple_outputs_and_non_tensor_arguments():
    for use_reentrant in VARIANTS:
        x = wick.randn(4, requires_grad=True)
        a, b = checkpoint(lambda t, k: (t * k, t.exp()), x, 3.0, use_reentrant=use_reentrant)
        (a.sum() + b.sum()).backward()
        np.testing.assert_allclose(x.grad.numpy(), 3.0 + x.detach().exp().numpy(), rtol=1e-6)


def test_no_grad_and_no_input_requiring_grad():
    block = Block(p=0.0)
    x = wick.randn(2, 6)
    with wick.no_grad():
        out = checkpoint(block, x, use_reentrant=False)
    assert not out.requires_grad
    out = checkpoint(block, x, use_reentrant=False)  # parameters require grad: a graph to them
    out.sum().backward()
    assert block.fc1.weight.grad is not None
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        checkpoint(lambda t: t * 2, x, use_reentrant=True)


def test_argument_errors_and_warnings():
    x = wick.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2.0)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda t: t, x, use_reentrant=True, debug=True)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda t: t, x, use_reentrant=False, determinism_check="strict")
    outside = x * 2  # a non-leaf that requires grad, used without being an argument
    with pytest.raises(RuntimeError, match="pass that tensor as an argument"):
        checkpoint(lambda t: t + outside, x, use_reentrant=False)
    with pytest.raises(ValueError, match="segments must be a positive integer"):
        checkpoint_sequential([wick.nn.ReLU()], 0, x, use_reentrant=False)


def test_determinism_check():
    calls = []

    def changing(t):
        calls.append(1)
        return t * 2 if len(calls) == 1 else t[:1] * 2

    x = wick.randn(3, requires_grad=True)
    out = checkpoint(changing, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="different metadata"):
        out.sum().backward()


def test_decorator_form_and_context_fn():
    entered = []

    class Mark:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    x = wick.randn(3, requires_grad=True)
    fn = checkpoint(use_reentrant=False, context_fn=lambda: (Mark("forward"), Mark("recompute")))(lambda t: t.exp())
    fn(x).sum().backward()
    assert entered == ["forward", "recompute"]
    np.testing.assert_allclose(x.grad.numpy(), x.detach().exp().numpy(), rtol=1e-6)


@pytest.mark.parametrize("use_reentrant", VARIANTS)
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_matches_the_model(use_reentrant, segments):
    wick.manual_seed(3)
    layers = [wick.nn.Linear(5, 5), wick.nn.Tanh(), wick.nn.Linear(5, 5), wick.nn.ReLU(), wick.nn.Linear(5, 2)]
    model = wick.nn.Sequential(*layers)
    x = wick.randn(4, 5, requires_grad=True)
    direct = model(x)
    direct.sum().backward()
    want = [x.grad.clone()] + [p.grad.clone() for p in model.parameters()]
    x.grad = None
    model.zero_grad(set_to_none=True)
    for functions in (model, layers):
        out = checkpoint_sequential(functions, segments, x, use_reentrant=use_reentrant)
        out.sum().backward()
        np.testing.assert_array_equal(out.detach().numpy(), direct.detach().numpy())
        got = [x.grad] + [p.grad for p in model.parameters()]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-7)
        x.grad = None
        model.zero_grad(set_to_none=True)
