"""Random numbers on each device: wick.rand/randn/randint/bernoulli/dropout
and the in-place fills, their distributions and seeding, and the property
that the same seed gives the CPU's very values, bit for bit, on a GPU (Note
[Random numbers across devices] in backends/random_math.h)."""
import numpy as np
import pytest

import wick


def draws(device):
    """One draw of every random op and dtype on `device`, as NumPy arrays."""
    out = []
    for dtype in (wick.float32, wick.float64):
        out.append(wick.rand(1001, dtype=dtype, device=device))
        out.append(wick.randn(3, 20001, dtype=dtype, device=device))
        out.append(wick.empty(30, 40, dtype=dtype, device=device).t().uniform_(-2, 3))
        out.append(wick.empty(9, 7, dtype=dtype, device=device).normal_(1.5, 0.25))
        out.append(wick.bernoulli(wick.full((517,), 0.3, dtype=dtype, device=device)))
        out.append(wick.nn.functional.dropout(wick.ones(1001, dtype=dtype, device=device), 0.4))
        out.append(wick.nn.functional.dropout(wick.ones(3, dtype=dtype, device=device), 0.5))
    out.append(wick.randint(-5, 1000, (999,), device=device))
    out.append(wick.randint(0, 7, (100,), dtype=wick.int32, device=device))
    for t in out:
        assert t.device.type == device
    return [t.cpu().numpy() for t in out]


def test_the_same_seed_gives_the_cpus_values_bit_for_bit(device):
    wick.manual_seed(2024)
    on_cpu = draws("cpu")
    wick.manual_seed(2024)
    on_device = draws(device)
    for i, (a, b) in enumerate(zip(on_cpu, on_device)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), f"draw {i} differs from the CPU's"


def test_distributions(device):
    wick.manual_seed(5)
    u = wick.rand(200000, dtype=wick.float64, device=device).cpu().numpy()
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    n = wick.randn(200000, device=device).cpu().numpy()
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1) < 0.01
    assert abs((n > 1.959964).mean() - 0.025) < 0.002  # the tail, not only the moments
    f = wick.empty(100000, device=device).uniform_(2, 3).cpu().numpy()
    assert 2 <= f.min() and f.max() < 3
    r = wick.randint(-3, 4, (20000,), device=device).cpu().numpy()
    assert r.min() == -3 and r.max() == 3
    assert np.all(np.abs(np.bincount(r + 3) / r.size - 1 / 7) < 0.015)
    b = wick.bernoulli(wick.full((40000,), 0.3, device=device)).cpu().numpy()
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    assert wick.rand(0, device=device).shape == (0,)
    assert wick.randint(0, 2, (0, 3), device=device).shape == (0, 3)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_scale_and_gradient(p, device):
    wick.manual_seed(0)
    x = (wick.rand(100, 201, dtype=wick.float64) + 1.0).to(device).requires_grad_()
    y = wick.nn.functional.dropout(x, p)
    assert y.device.type == device
    yv, xv = y.detach().cpu().numpy(), x.detach().cpu().numpy()
    kept = yv != 0
    assert abs(kept.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(yv[kept], xv[kept] / (1 - p), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.where(kept, 1 / (1 - p), 0.0), rtol=1e-12)
    # In place on a non-contiguous view, and the same mask after the same seed.
    wick.manual_seed(1)
    a = wick.nn.functional.dropout(wick.ones(50, 40, device=device), p)
    wick.manual_seed(1)
    v = wick.ones(40, 50, device=device).t()
    wick.dropout_(v, p, True)
    assert a.cpu().numpy().tobytes() == v.contiguous().cpu().numpy().tobytes()


def test_seeding_and_generators(device):
    wick.manual_seed(123)
    a = wick.rand(100, device=device)
    wick.manual_seed(123)
    assert wick.equal(a, wick.rand(100, device=device))
    assert not wick.equal(a, wick.rand(100, device=device))
    g = wick.Generator().manual_seed(7)
    x = wick.randn(50, generator=g, device=device)
    g.manual_seed(7)
    assert wick.equal(x.cpu(), wick.randn(50, generator=g))  # a Generator serves any device, same values
    wick.cuda.manual_seed(123)  # seeds every default generator, as wick.manual_seed does
    assert wick.equal(a, wick.rand(100, device=device))


def test_each_device_draws_from_its_own_default_generator(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    wick.manual_seed(9)
    cpu_first = wick.rand(64)
    wick.manual_seed(9)
    on_device = wick.rand(64, device=device)
    assert wick.equal(wick.rand(64), cpu_first)  # the GPU's draw did not move the CPU's stream
    assert wick.equal(on_device.cpu(), cpu_first)
