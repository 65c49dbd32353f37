"""wick.utils.data: datasets, samplers and the DataLoader, as torch.utils.data.

    from wick.utils.data import DataLoader, TensorDataset
    ds = TensorDataset(x, y)
    for xb, yb in DataLoader(ds, batch_size=64, shuffle=True):
        ...

With num_workers > 0 the DataLoader loads in worker processes, as PyTorch's,
whose batches arrive through shared memory; num_workers=0 loads on one
background thread ahead of the loop (Notes [Loading processes] and [Loading
threads] in dataloader.py).
"""
from wick.utils.data._collate import default_collate, default_convert
from wick.utils.data.dataloader import DataLoader, get_worker_info
from wick.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                                     TensorDataset, random_split)
from wick.utils.data.sampler import (BatchSampler, DistributedSampler, RandomSampler, Sampler, SequentialSampler,
                                     SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
