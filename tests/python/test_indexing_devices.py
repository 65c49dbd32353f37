"""The indexing kernels (index_select, gather, scatter with its reductions, scatter_add, index_add, embedding), where
and arange on every device, against PyTorch on the CPU: random values and indices with repeats, transposed, stepped
and broadcast layouts, empty tensors, the dtypes the kernels take, and gradients. And an index out of range raising
IndexError: at the op on the CPU, at the next synchronization (.item(), .cpu(), wick.cuda.synchronize()) on a GPU."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import wick
from helpers import assert_same, check

INTS = ("int64", "int32")


def idx(m, array, device):
    """An int64 index: wick's on `device`, torch's on the CPU."""
    array = np.asarray(array, dtype=np.int64)
    return wick.tensor(array, device=device) if m is wick else torch.tensor(array)


def random_index(shape, high, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape)


def test_index_select(device):
    i = random_index(7, 4)  # repeats
    check(lambda m, x: x.index_select(0, idx(m, i, device)), [(4, 5)], module=True, device=device)
    check(lambda m, x: x.index_select(1, idx(m, i, device)), [(3, 4)], module=True, device=device)
    check(lambda m, x: x.index_select(-1, idx(m, i, device)[::2]), [(2, 3, 4)], module=True, device=device)
    check(lambda m, x: x.index_select(0, idx(m, i, device)), [(4, 5)], module=True, dtypes=INTS + ("bool",),
          device=device)
    check(lambda m, x: x.index_select(0, idx(m, [], device)), [(4, 5)], module=True, device=device)
    check(lambda m, x: x.index_select(1, idx(m, [2, 0], device)), [(0, 3)], module=True, device=device)
    # A broadcast (stride-0) input.
    check(lambda m, x: x.expand(4, 3).index_select(1, idx(m, [2, 2, 0], device)), [(4, 1)], module=True,
          device=device)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather(dim, device):
    shape = (3, 4, 5)
    ishape = [2, 3, 4]
    ishape[dim] = 6  # longer than self along dim: repeats
    i = random_index(ishape, shape[dim])
    check(lambda m, x: x.gather(dim, idx(m, i, device)), [shape], module=True, device=device)
    check(lambda m, x: x.gather(dim, idx(m, i, device)), [shape], module=True, dtypes=INTS + ("bool",),
          grad=False, device=device)
    # A transposed index.
    check(lambda m, x: x.gather(dim, idx(m, np.ascontiguousarray(np.swapaxes(i, 0, 2)), device).transpose(0, 2)),
          [shape], module=True, device=device)
    empty = np.zeros([0 if d == 1 else s for d, s in enumerate(ishape)], dtype=np.int64)
    check(lambda m, x: x.gather(dim, idx(m, empty, device)), [shape], module=True, device=device)


def distinct_rows(rows, cols, high, seed=0):
    """An index [rows, cols] for dim 0 with no repeat in a column (an overwriting scatter is then deterministic)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(high)[:rows] for _ in range(cols)], axis=1)


def test_scatter(device):
    i = distinct_rows(3, 5, 4)
    check(lambda m, x, s: x.scatter(0, idx(m, i, device), s), [(4, 5), (3, 5)], module=True, device=device)
    check(lambda m, x, s: x.scatter(0, idx(m, i, device), s), [(4, 5), (3, 5)], module=True,
          dtypes=INTS + ("uint8", "bool"), grad=False, low=0, high=5, device=device)
    # src larger than the index; a scalar src; dim 1 with a transposed index.
    # (PyTorch 1.13's backward fails for a src larger than the index: forward only.)
    check(lambda m, x, s: x.scatter(0, idx(m, i, device), s), [(4, 5), (4, 6)], module=True, grad=False,
          device=device)
    check(lambda m, x: x.scatter(0, idx(m, i, device), 1.5), [(4, 5)], module=True, device=device)
    check(lambda m, x, s: x.scatter(1, idx(m, i.T.copy(), device), s), [(5, 4), (5, 3)], module=True, device=device)
    check(lambda m, x, s: x.scatter(0, idx(m, np.zeros((0, 5)), device), s), [(4, 5), (3, 5)], module=True,
          grad=False, device=device)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_reduce(reduce, device):
    i = random_index((6, 5), 4)  # repeats in every column
    check(lambda m, x, s: x.scatter(0, idx(m, i, device), s, reduce=reduce), [(4, 5), (6, 5)], module=True,
          grad=False, low=0.5, high=1.5, device=device)
    if reduce == "add":  # wick gives it scatter_add's gradient; PyTorch 1.13 has none (multiply has none in either)
        check(lambda m, x, s: x.scatter(0, idx(m, i, device), s, reduce="add"), [(4, 5), (6, 5)], module=True,
              torch_fn=lambda m, x, s: x.scatter_add(0, idx(m, i, device), s), device=device)
    check(lambda m, x, s: x.scatter(0, idx(m, i, device), s, reduce=reduce), [(4, 5), (6, 5)], module=True,
          dtypes=INTS + ("uint8", "bool"), grad=False, low=0, high=3, device=device)
    check(lambda m, x: x.scatter(1, idx(m, i.T.copy(), device), 2.0, reduce=reduce), [(5, 4)], module=True,
          grad=False, device=device)


def test_scatter_add(device):
    i = random_index((6, 5), 4)
    check(lambda m, x, s: x.scatter_add(0, idx(m, i, device), s), [(4, 5), (6, 5)], module=True, device=device)
    check(lambda m, x, s: x.scatter_add(0, idx(m, i, device), s), [(4, 5), (6, 5)], module=True,
          dtypes=INTS + ("uint8",), grad=False, low=0, high=100, device=device)
    check(lambda m, x, s: x.scatter_add(1, idx(m, i.T.copy(), device), s), [(5, 4), (5, 6)], module=True,
          device=device)
    # Many additions into few targets: float sums whose order differs between devices stay within tolerance.
    many = random_index((4000, 2), 3, seed=1)
    check(lambda m, x, s: x.scatter_add(0, idx(m, many, device), s), [(3, 2), (4000, 2)], module=True,
          layouts=("contiguous",), rtol=1e-4, atol=1e-3, device=device)


def test_index_add(device):
    i = random_index(6, 4)
    check(lambda m, x, s: x.index_add(0, idx(m, i, device), s), [(4, 3), (6, 3)], module=True, device=device)
    check(lambda m, x, s: x.index_add(1, idx(m, i, device), s, alpha=2), [(3, 4), (3, 6)], module=True,
          device=device)
    check(lambda m, x, s: x.index_add(0, idx(m, i, device), s), [(4, 3), (6, 3)], module=True,
          dtypes=INTS + ("uint8", "bool"), grad=False, low=0, high=100, device=device)
    check(lambda m, x, s: x.index_add(0, idx(m, [], device), s), [(4, 3), (0, 3)], module=True, device=device)


def test_embedding(device):
    i = random_index((3, 4), 6)
    for padding_idx in (None, 2):
        check(lambda m, w: (TF if m is torch else wick.nn.functional).embedding(idx(m, i, device), w,
                                                                                padding_idx=padding_idx),
              [(6, 5)], module=True, device=device)


def test_where(device):
    for dtypes in (("float32", "float64"), INTS, ("uint8", "bool")):
        check(lambda m, c, x, y: m.where(c > 0, x, y), [(3, 1, 4), (2, 1), (4,)], module=True, dtypes=dtypes,
              grad=dtypes[0] == "float32", low=-3, high=3, device=device)
    check(lambda m, c, x, y: m.where(c > 0, x, y), [(0, 4), (0, 1), (4,)], module=True, device=device)


@pytest.mark.parametrize("args", [(10,), (0, 1, 0.1), (-3, 7, 2), (1.5, -2.25, -0.25), (5, 5), (0, 2.5, 1 / 3)],
                         ids=str)
def test_arange(args, device):
    for dtype in ("float32", "float64", "int64", None):
        if dtype == "int64" and any(isinstance(a, float) for a in args):
            continue
        kw = {} if dtype is None else {"dtype": getattr(wick, dtype)}
        tkw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
        got = wick.arange(*args, device=device, **kw)
        assert got.device.type == device
        assert_same(got, torch.arange(*args, **tkw), 0, 0)  # bit for bit


# ---- out-of-range indices --------------------------------------------------------------------------


def raises_by_next_sync(device, fn, match, sync="cpu"):
    """fn() raises IndexError matching `match` on the CPU, on a GPU at the op or by the next synchronization;
    the GPU's error is then cleared."""
    with pytest.raises(IndexError, match=match):
        r = fn()
        if sync == "cpu":
            r.cpu()
        elif sync == "item":
            r.reshape(-1)[0].item()
        else:
            wick.cuda.synchronize()
    # Reported once: later work runs (and synchronizes) without raising again.
    assert wick.ones(3, device=device).cpu().tolist() == [1, 1, 1]


@pytest.mark.parametrize("sync", ["cpu", "item", "synchronize"])
def test_out_of_range_index_raises(sync, device):
    if sync == "synchronize" and device == "cpu":
        pytest.skip("wick.cuda.synchronize() is for GPUs")
    x = wick.zeros(3, 4, device=device)
    i = lambda a: wick.tensor(np.asarray(a, dtype=np.int64), device=device)
    raises_by_next_sync(device, lambda: x.index_select(0, i([0, 3])),
                        "index_select: index 3 is out of bounds for dimension 0 with size 3", sync)
    raises_by_next_sync(device, lambda: x.index_select(1, i([-1])), "index -1 is out of bounds for dimension 1",
                        sync)
    raises_by_next_sync(device, lambda: x.gather(1, i([[0, 7]])),
                        "gather: index 7 is out of bounds for dimension 1 with size 4", sync)
    raises_by_next_sync(device, lambda: x.scatter(0, i([[5]]), wick.ones(1, 1, device=device)),
                        "scatter: index 5 is out of bounds for dimension 0 with size 3", sync)
    raises_by_next_sync(device, lambda: x.scatter_add(1, i([[0, -2]]), wick.ones(1, 2, device=device)),
                        "index -2 is out of bounds", sync)
    raises_by_next_sync(device, lambda: x.index_add(0, i([0, 9]), wick.ones(2, 4, device=device)),
                        "index_add: index 9 is out of bounds for dimension 0 with size 3", sync)
    raises_by_next_sync(device, lambda: wick.nn.functional.embedding(i([1, 3]), x),
                        "index 3 is out of bounds for dimension 0 with size 3", sync)
    logits = wick.zeros(2, 3, device=device)
    for reduction in ("none", "mean", "sum"):
        raises_by_next_sync(device, lambda: wick.nn.functional.nll_loss(logits, i([0, 7]), reduction=reduction),
                            "Target 7 is out of bounds", sync)
    # Nothing out of bounds: nothing raised.
    assert x.index_select(0, i([2, 0])).cpu().shape == (2, 4)


def test_synchronize_without_a_gpu():
    if wick.cuda.is_available():
        wick.cuda.synchronize()
        wick.cuda.synchronize(0)
        return
    with pytest.raises(RuntimeError, match="cuda:0 is not available"):
        wick.cuda.synchronize()


def test_range_as_an_index(device):
    # A Python range indexes as the list of its ints ("What is torch.nn really?" writes input[range(n), target]).
    check(lambda x: x[range(1, 3)], [(4, 3)], device=device)
    check(lambda x: x[range(0, 4, 2), 1:], [(4, 3)], device=device)
    check(lambda m, x: x[range(3), m.tensor([0, 2, 1])], [(3, 3)], module=True, device=device)
    w, t = wick.zeros(4, 3, device=device), torch.zeros(4, 3)
    assert tuple(w[range(0)].shape) == tuple(t[range(0)].shape)
    w[range(1, 3)] = 1.0
    t[range(1, 3)] = 1.0
    assert_same(w.cpu(), t, 0, 0)
