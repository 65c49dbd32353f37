"""wick.utils.data additions (StackDataset, WeightedRandomSampler,
DistributedSampler) and the combinators (random_split with fractions,
Subset, ConcatDataset, ChainDataset) against torch.utils.data."""
import collections
import math
import warnings

import pytest
import torch
import torch.utils.data as tud

import wick
from wick.utils.data import (ChainDataset, ConcatDataset, DataLoader, DistributedSampler, IterableDataset,
                             StackDataset, Subset, TensorDataset, WeightedRandomSampler, default_collate,
                             random_split)


class Squares(wick.utils.data.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


# ---- StackDataset -----------------------------------------------------------------------------

def test_stack_dataset_tuple_and_dict_samples():
    x = wick.arange(12.0).reshape(6, 2)
    ds = StackDataset(TensorDataset(x), Squares(6), list("abcdef"))
    assert len(ds) == 6
    (row,), sq, ch = ds[4]
    assert row.tolist() == [8.0, 9.0] and sq == 16 and ch == "e"
    named = StackDataset(x=TensorDataset(x), sq=Squares(6))
    assert set(named[2]) == {"x", "sq"} and named[2]["sq"] == 4 and named[2]["x"][0].tolist() == [4.0, 5.0]
    items = ds.__getitems__([5, 0])
    assert [(it[0][0].tolist(), it[1], it[2]) for it in items] == [([10.0, 11.0], 25, "f"), ([0.0, 1.0], 0, "a")]
    items = named.__getitems__([1, 3])
    assert [it["sq"] for it in items] == [1, 9]


class WithGetItems(wick.utils.data.Dataset):
    def __init__(self, n, short=False):
        self.n, self.short, self.calls = n, short, 0

    def __getitems__(self, indices):
        self.calls += 1
        out = [10 * i for i in indices]
        return out[:-1] if self.short else out

    def __getitem__(self, i):
        return 10 * i

    def __len__(self):
        return self.n


def test_stack_dataset_getitems_uses_the_nested_batch_reads():
    inner = WithGetItems(5)
    ds = StackDataset(inner, Squares(5))
    assert ds.__getitems__([1, 2, 4]) == [(10, 1), (20, 4), (40, 16)]
    assert inner.calls == 1
    with pytest.raises(ValueError, match="Nested dataset's output size mismatch. Expected 2, got 1"):
        StackDataset(WithGetItems(5, short=True), Squares(5)).__getitems__([0, 1])


def test_stack_dataset_errors():
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(Squares(3), b=Squares(3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="Size mismatch between datasets: 0: 3, 1: 4"):
        StackDataset(Squares(3), Squares(4))
    with pytest.raises(ValueError, match="Size mismatch between datasets: a: 3, b: 2"):
        StackDataset(a=Squares(3), b=[1, 2])


@pytest.mark.parametrize("named", [False, True])
def test_stack_dataset_in_a_dataloader(named):
    x, y = wick.randn(10, 3), wick.arange(10)
    parts = dict(x=TensorDataset(x), y=TensorDataset(y))
    ds = StackDataset(**parts) if named else StackDataset(*parts.values())
    loader = DataLoader(ds, batch_size=4)  # the fast path: whole-batch gathers
    slow = StackDataset(**parts, sq=Squares(10)) if named else StackDataset(*parts.values(), Squares(10))
    for batch, slow_batch, start in zip(loader, DataLoader(slow, batch_size=4), range(0, 10, 4)):
        want = default_collate([ds[i] for i in range(start, min(start + 4, 10))])
        if named:
            assert set(batch) == {"x", "y"}
            pairs = [(batch["x"][0], want["x"][0]), (batch["y"][0], want["y"][0]), (slow_batch["x"][0], want["x"][0])]
        else:
            pairs = [(batch[0][0], want[0][0]), (batch[1][0], want[1][0]), (slow_batch[0][0], want[0][0])]
        for got, exp in pairs:
            assert got.tolist() == exp.tolist()


# ---- WeightedRandomSampler --------------------------------------------------------------------

def test_weighted_sampler_draws_in_proportion():
    weights = [0.1, 0.0, 2.0, 1.0, 0.9]
    wick.manual_seed(0)
    draws = list(WeightedRandomSampler(weights, 40000))
    assert len(draws) == 40000 and set(draws) <= {0, 2, 3, 4}
    counts = collections.Counter(draws)
    total = sum(weights)
    for i, w in enumerate(weights):
        expected = 40000 * w / total
        assert abs(counts[i] - expected) <= 5 * math.sqrt(expected + 1), (i, counts[i], expected)


def test_weighted_sampler_without_replacement_and_generator():
    g1, g2 = wick.Generator().manual_seed(7), wick.Generator().manual_seed(7)
    a = list(WeightedRandomSampler(wick.tensor([1.0, 5.0, 2.0, 0.5, 3.0]), 5, replacement=False, generator=g1))
    b = list(WeightedRandomSampler([1.0, 5.0, 2.0, 0.5, 3.0], 5, replacement=False, generator=g2))
    assert a == b and sorted(a) == [0, 1, 2, 3, 4]
    sampler = WeightedRandomSampler([1.0, 2.0], 7)
    assert len(sampler) == 7 and sampler.weights.dtype == wick.float64
    loader = DataLoader(TensorDataset(wick.arange(3)), batch_size=2, sampler=WeightedRandomSampler([0, 0, 1], 5))
    assert [b[0].tolist() for b in loader] == [[2, 2], [2, 2], [2]]


def test_weighted_sampler_errors_match_torch():
    for args, kwargs in [(([1.0, 2.0], 0), {}), (([1.0, 2.0], 2.5), {}), (([1.0, 2.0], 3), {"replacement": 1}),
                         (([[1.0, 2.0]], 3), {})]:
        with pytest.raises(ValueError) as theirs:
            tud.WeightedRandomSampler(*args, **kwargs)
        with pytest.raises(ValueError) as ours:
            WeightedRandomSampler(*args, **kwargs)
        assert str(ours.value).split(" but")[0] == str(theirs.value).split(" but")[0]


# ---- DistributedSampler -----------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 10, 13])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_without_shuffle_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False,
                                        drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shuffles_one_common_order(drop_last):
    n, replicas = 11, 3

    def shares(epoch, seed=0):
        out = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    first = shares(0)
    assert first == shares(0)  # deterministic in the seed and epoch, whatever the global generator
    assert shares(1) != first and shares(0, seed=5) != first
    flat = [i for share in first for i in share]
    assert len({len(share) for share in first}) == 1
    if drop_last:
        assert len(flat) == 9 and len(set(flat)) == 9
    else:
        assert set(flat) == set(range(n)) and len(flat) == 12
    # The interleaving of the shares is one permutation.
    order = [first[r][k] for k in range(len(first[0])) for r in range(replicas)]
    assert sorted(set(order)) == sorted(set(flat))


def test_distributed_sampler_errors():
    with pytest.raises(RuntimeError, match="pass num_replicas and rank"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas should be a positive integer"):
        DistributedSampler(range(4), num_replicas=0, rank=0)


def test_distributed_sampler_in_a_dataloader():
    ds = TensorDataset(wick.arange(10))
    seen = []
    for rank in range(2):
        loader = DataLoader(ds, batch_size=3, sampler=DistributedSampler(ds, num_replicas=2, rank=rank))
        seen += [i for (b,) in loader for i in b.tolist()]
    assert sorted(seen) == list(range(10))


# ---- random_split, Subset, ConcatDataset, ChainDataset ---------------------------------------

@pytest.mark.parametrize("n", [0, 1, 10, 11, 97])
@pytest.mark.parametrize("fractions", [[0.5, 0.5], [0.7, 0.2, 0.1], [1 / 3] * 3, [0.1] * 10, [1.0, 0.0]])
def test_random_split_fractions_like_torch(n, fractions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warning of an empty split is checked below
        theirs = tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
        ours = random_split(range(n), fractions, generator=wick.Generator().manual_seed(0))
        again = random_split(range(n), fractions, generator=wick.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))  # disjoint, and covering
    assert [list(s) for s in again] == [list(s) for s in ours]


def test_random_split_errors_like_torch():
    for lengths in ([3, 3], [0.5, 0.6], [1.2, -0.2]):
        with pytest.raises(ValueError) as theirs:
            tud.random_split(range(5), lengths)
        with pytest.raises(ValueError) as ours:
            random_split(range(5), lengths)
        assert str(ours.value) == str(theirs.value)
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(3), [1.0, 0.0])


def test_subset_concat_and_chain_like_torch():
    ours_sub, theirs_sub = Subset(Squares(10), [7, 2, 2, 9]), tud.Subset(list(range(10)), [7, 2, 2, 9])
    assert len(ours_sub) == len(theirs_sub) == 4
    assert [ours_sub[i] for i in range(4)] == [theirs_sub[i] ** 2 for i in range(4)]
    assert ours_sub[-1] == 81
    parts_ours = [Squares(3), Squares(0), Squares(4)]
    parts_theirs = [[i * i for i in range(3)], [], [i * i for i in range(4)]]
    cat, tcat = ConcatDataset(parts_ours), tud.ConcatDataset(parts_theirs)
    assert cat.cumulative_sizes == tcat.cumulative_sizes and len(cat) == len(tcat) == 7
    assert [cat[i] for i in range(-7, 7)] == [tcat[i] for i in range(-7, 7)]
    for bad in (7, -8):
        with pytest.raises((IndexError, ValueError)):
            tcat[bad]
        with pytest.raises((IndexError, ValueError)):
            cat[bad]
    assert len(Squares(2) + Squares(3)) == 5
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Squares(2), Stream([1])])
    chain = ChainDataset([Stream([1, 2]), Stream([]), Stream([3])])
    assert list(chain) == [1, 2, 3] and len(chain) == 3
    assert list(Stream([1]) + Stream([2, 3])) == [1, 2, 3]
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(ChainDataset([Stream([1]), Squares(2)]))


def test_new_names_are_exported():
    for name in ["StackDataset", "WeightedRandomSampler", "DistributedSampler"]:
        assert name in wick.utils.data.__all__
