"""Datasets: map-style (__getitem__ + __len__) and iterable (__iter__), and
the ways to combine and split them, as in torch.utils.data.

A map-style dataset may also offer ``_get_batch(indices)`` (indices: a 1-D
int64 tensor) returning the default-collated batch of those samples at once;
the DataLoader then loads a batch with one gather per tensor instead of one
``__getitem__`` per sample. TensorDataset, Subset (over such a dataset) and
the wick.datasets classes do.
"""
import bisect
import itertools
import math
import warnings

import wick

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "Subset", "ConcatDataset", "ChainDataset",
           "random_split"]


class Dataset:
    """An indexable collection of samples. Subclasses define ``__getitem__``
    and, for the samplers and ``len(DataLoader)``, ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples, for data that does not fit in memory or arrives
    as it is made. Subclasses define ``__iter__``; the DataLoader batches
    what it yields (or, with ``batch_size=None``, passes each item through,
    for a stream that yields whole batches)::

        class Batches(IterableDataset):
            def __iter__(self):
                while True:
                    yield wick.randn(100, 5), wick.randint(0, 2, (100, 1))

        for x, y in itertools.islice(DataLoader(Batches(), batch_size=None), 100):
            ...
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples held in tensors that share their first dimension: sample i is
    ``tuple(t[i] for t in tensors)``."""

    def __init__(self, *tensors):
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def _get_batch(self, indices):
        # What default_collate makes of the samples: a list, one stacked tensor per field.
        return [t.index_select(0, indices) for t in self.tensors]


class StackDataset(Dataset):
    """Several datasets of one length side by side: sample i is the tuple of
    their samples i (datasets given as arguments) or the dict of them (given
    as keyword arguments), e.g. images and captions from separate datasets.

    Example:
        >>> from wick.utils.data import StackDataset, TensorDataset
        >>> ds = StackDataset(image=TensorDataset(wick.zeros(4, 2)), label=[0, 1, 0, 1])
        >>> ds[1]["label"], len(ds)
        (1, 4)
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or ``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets = args if args else kwargs
        lengths = [len(d) for d in (args if args else kwargs.values())]
        if any(n != lengths[0] for n in lengths):
            names = range(len(args)) if args else list(kwargs)
            raise ValueError("Size mismatch between datasets: "
                             + ", ".join(f"{name}: {n}" for name, n in zip(names, lengths)))
        self._length = lengths[0]

    def _parts(self):
        """The datasets, in order."""
        return list(self.datasets.values()) if isinstance(self.datasets, dict) else list(self.datasets)

    def _sample(self, values):
        """One value per dataset, in order, as a sample: the dict of them by
        name, or their tuple."""
        if isinstance(self.datasets, dict):
            return dict(zip(self.datasets, values))
        return tuple(values)

    def __getitem__(self, index):
        return self._sample(d[index] for d in self._parts())

    def __getitems__(self, indices):
        """The samples at indices, each dataset read in one call where it has
        ``__getitems__`` itself."""
        columns = []
        for d in self._parts():
            if callable(getattr(d, "__getitems__", None)):
                items = d.__getitems__(indices)
                if len(items) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got "
                                     f"{len(items)}")
            else:
                items = [d[i] for i in indices]
            columns.append(items)
        return [self._sample(column[j] for column in columns) for j in range(len(indices))]

    def __len__(self):
        return self._length

    @property
    def _get_batch(self):
        # The collated batch at once when every dataset can make its own.
        getters = [getattr(d, "_get_batch", None) for d in self._parts()]
        if any(g is None for g in getters):
            return None
        if isinstance(self.datasets, dict):
            return lambda indices: {key: g(indices) for key, g in zip(self.datasets, getters)}
        return lambda indices: [g(indices) for g in getters]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        self._index_tensor = None

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    @property
    def _get_batch(self):
        inner = getattr(self.dataset, "_get_batch", None)
        if inner is None:
            return None
        if self._index_tensor is None:
            if isinstance(self.indices, wick.Tensor):
                self._index_tensor = self.indices.to(wick.int64)
            else:
                self._index_tensor = wick.tensor([int(i) for i in self.indices], dtype=wick.int64)
        return lambda indices: inner(self._index_tensor.index_select(0, indices))


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of {len(self)} samples")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """The streams of several iterable datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


def random_split(dataset, lengths, generator=None):
    """Splits ``dataset`` into non-overlapping random Subsets of the given
    lengths. Lengths may also be fractions that sum to 1: each split then gets
    floor(fraction * len), and the samples left over go one each to the first
    splits. The permutation comes from ``generator`` (a wick.Generator), or
    from the global generator that wick.manual_seed seeds."""
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * fraction)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    if generator is None:
        order = wick.randperm(n).tolist()
    else:
        order = wick.randperm(n, generator=generator).tolist()
    return [Subset(dataset, order[end - length:end]) for end, length in zip(itertools.accumulate(lengths), lengths)]
