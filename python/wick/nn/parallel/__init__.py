"""wick.nn.parallel: DataParallel and data_parallel, as torch.nn.parallel.

wick drives one device per process, so these run the module as it is on the
first of their devices (or where it is, without CUDA): same results, and
state dicts with PyTorch's keys ("module." + the module's own)."""
from wick.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
