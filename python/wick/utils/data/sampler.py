"""Samplers: the order in which a DataLoader visits a map-style dataset.

The random samplers draw their whole order when iteration starts (in
``__iter__``, on the thread that starts it): the DataLoader starts them on
the calling thread, so the global generator is used in the same order on
every run whatever its loading thread does.
"""
import math

import wick

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler"]


def _generator_kwargs(generator):
    """The keyword arguments that draw from generator (none for the global one)."""
    return {} if generator is None else {"generator": generator}


def _randperm(n, generator):
    return wick.randperm(n, **_generator_kwargs(generator))


def _check_num_samples(num_samples):
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
        raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")


class Sampler:
    """Yields dataset indices (or, for a batch sampler, lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a new one each epoch), or with
    ``replacement``, ``num_samples`` indices drawn independently."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        _check_num_samples(self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.replacement:
            order = wick.randint(0, n, (self.num_samples,), dtype=wick.int64,
                                 **_generator_kwargs(self.generator)).tolist()
        else:
            order = []
            for _ in range(self.num_samples // n):
                order += _randperm(n, self.generator).tolist()
            order += _randperm(n, self.generator).tolist()[:self.num_samples % n]
        return iter(order)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        return iter([self.indices[i] for i in _randperm(len(self.indices), self.generator).tolist()])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in [0, len(weights)), index i drawn with
    probability proportional to weights[i] (with replacement by default;
    without, each index at most once). Balances classes: weight each sample
    by the inverse of its class's frequency.

    Args:
        weights (sequence): non-negative weights, not necessarily summing to 1.
        num_samples (int): how many indices an epoch draws.
        replacement (bool): draw with replacement (default: True).
        generator (Generator): the generator to draw from (default: the global one).

    Example:
        >>> list(wick.utils.data.WeightedRandomSampler([0.0, 1.0, 0.0], 3))
        [1, 1, 1]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_num_samples(num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = wick.as_tensor(weights, dtype=wick.float64)
        if weights.dim() != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        return iter(wick.multinomial(self.weights, self.num_samples, self.replacement,
                                     **_generator_kwargs(self.generator)).tolist())

    def __len__(self):
        return self.num_samples


class DistributedSampler(Sampler):
    """The share of the dataset's indices that one of ``num_replicas``
    processes (data-parallel training) visits: every num_replicas-th index
    from ``rank`` of one order common to all (shuffled from ``seed + epoch``
    with shuffle), padded by repeating indices so that every share has the
    same length (or with drop_last, cut). Call ``set_epoch(epoch)`` at the
    start of each epoch for a new order.

    Args:
        dataset: the map-style dataset (its length is used).
        num_replicas (int): the number of processes. wick has no distributed
            package to ask, so it is required, as is rank.
        rank (int): this process's index, in [0, num_replicas).
        shuffle (bool): shuffle the order (default: True).
        seed (int): the shuffle's seed, the same in every process (default: 0).
        drop_last (bool): cut the tail instead of padding (default: False).

    Example:
        >>> list(wick.utils.data.DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False))
        [1, 3, 0]
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            raise RuntimeError("DistributedSampler: wick has no distributed package to ask for the number of "
                               "replicas and the rank; pass num_replicas and rank")
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, but got num_replicas={num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = wick.Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = wick.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Sets the epoch, which with shuffle seeds the next order (the same
        in every replica)."""
        self.epoch = epoch


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; with
    ``drop_last`` a final shorter list is left out."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        return self._batches(iter(self.sampler))  # the sampler starts here, on the calling thread

    def _batches(self, indices):
        batch = []
        for i in indices:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
