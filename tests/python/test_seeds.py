"""The worked examples of the documents wick was born from (shared/seeds), in Python."""
import pytest

import wick


def test_chain_rule_through_shared_input():
    # seeds 001: e = (a + b) * (b + 1) at a = 2, b = 1.
    a = wick.tensor([2.0], requires_grad=True)
    b = wick.tensor([1.0], requires_grad=True)
    c = a + b
    d = b + 1
    e = c * d
    c.retain_grad()
    d.retain_grad()
    e.retain_grad()
    e.backward()
    assert a.grad.item() == 2.0
    assert b.grad.item() == 5.0
    assert c.grad.item() == 2.0
    assert d.grad.item() == 3.0
    assert e.grad.item() == 1.0
    assert e.grad_fn.name() == "MulBackward0"
    assert c.grad_fn.name() == "AddBackward0"
    assert a.is_leaf and not e.is_leaf
    # The graph: e's grad_fn points at c's and d's, which end in the leaves' AccumulateGrad.
    (c_fn, _), (d_fn, _) = e.grad_fn.next_functions
    assert c_fn is c.grad_fn and d_fn is d.grad_fn
    (acc_a, _), (acc_b, _) = c.grad_fn.next_functions
    assert acc_a.name() == "AccumulateGrad" and acc_a.variable._is_same(a)
    assert acc_b.variable._is_same(b)
    assert d.grad_fn.next_functions[1] == (None, 0)  # the constant 1 needs no gradient


def test_polynomial_gradient():
    # seeds 000 / 002: f(x) = x^2 + 2x - 5 has gradient 8 at x = 3.
    x = wick.tensor(3.0, requires_grad=True)
    f = x**2 + 2 * x - 5
    assert f.item() == 10.0
    f.backward()
    assert x.grad.item() == 8.0


def test_mean_of_squares_accumulates_and_second_backward_fails():
    # seeds 002: the gradient of mean(x^2) is 2x/n; it accumulates, and the
    # graph is freed by a backward without retain_graph.
    x = wick.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = (x * x).mean()
    y.backward(retain_graph=True)
    assert x.grad.tolist() == [0.5, 1.0, 1.5, 2.0]
    y.backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_backward_of_a_non_scalar_needs_a_vector():
    # seeds 002, 5.3: a vector-Jacobian product.
    x = wick.tensor([1.0, 2.0, 3.0], requires_grad=True)
    p = x * x
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        p.backward()
    p.backward(wick.ones_like(p))
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    y = x * 3
    y.backward(wick.tensor([1.0, 0.0, 2.0]))
    assert x.grad.tolist() == [5.0, 4.0, 12.0]


def test_memory_of_a_chain_of_relus_is_freed_by_backward():
    # seeds 002, section 4: 100 relus on a million floats hold 100 intermediate
    # results (4 MB each) until backward frees the graph.
    n = 1_000_000
    mb = 4 * n
    base = wick.memory_allocated()
    x = wick.randn(n, requires_grad=True)
    assert wick.memory_allocated() - base == mb
    p = wick.relu(x)
    assert wick.memory_allocated() - base == 2 * mb
    for _ in range(100):
        p = wick.relu(p)
    assert wick.memory_allocated() - base == 102 * mb
    p.sum().backward()
    # Left: x, the final output p and x.grad.
    assert wick.memory_allocated() - base == 3 * mb
    assert x.grad.shape == (n,)
    del x, p
    assert wick.memory_allocated() == base


def test_peak_memory_statistics():
    wick.reset_peak_memory_stats()
    base = wick.memory_allocated()
    assert wick.max_memory_allocated() == base
    t = wick.empty(1000, dtype=wick.float64)
    assert wick.memory_allocated() - base == 8000
    del t
    assert wick.memory_allocated() == base
    assert wick.max_memory_allocated() - base == 8000
