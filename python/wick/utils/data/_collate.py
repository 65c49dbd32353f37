"""How a list of samples becomes a batch (torch.utils.data's default_collate
and default_convert, for wick tensors)."""
import collections.abc
import re

import wick
from wick.utils.data import _worker

__all__ = ["default_collate", "default_convert"]

_NUMPY_STRING_KIND = re.compile(r"[SaUO]")
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_numpy(obj):
    return type(obj).__module__ == "numpy"


def default_convert(data):
    """Turns NumPy arrays and scalars into tensors, inside mappings and
    sequences too; leaves everything else as it is (the collation of
    ``batch_size=None``)."""
    elem_type = type(data)
    if isinstance(data, wick.Tensor):
        return data
    if _is_numpy(data) and elem_type.__name__ == "ndarray":
        return data if _NUMPY_STRING_KIND.search(data.dtype.str) else wick.as_tensor(data)
    if _is_numpy(data) and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        return wick.as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return elem_type({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stacks a list of samples into a batch, field by field:

    * tensors -> ``wick.stack(batch, 0)``
    * NumPy arrays -> stacked tensors; NumPy scalars -> a tensor
    * floats -> float64 tensor; ints -> int64 tensor; bools -> bool tensor
    * strings and bytes -> the list as it is
    * dicts -> a dict of collated values; namedtuples -> the namedtuple of
      collated fields; tuples and lists -> a list of collated fields (all
      samples must have the same length)
    """
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, wick.Tensor):
        if _worker.in_worker_process() and elem.device.type == "cpu" and all(
                b.dtype == elem.dtype and b.shape == elem.shape for b in batch):
            # In a worker process the batch is built in shared memory: sending it then copies nothing.
            from wick.multiprocessing import get_sharing_strategy
            out = wick._C._empty_shared((len(batch),) + tuple(elem.shape), elem.dtype, get_sharing_strategy())
            return wick._C._stack_into(list(batch), out)
        return wick.stack(list(batch), 0)
    if _is_numpy(elem) and elem_type.__name__ != "str_" and elem_type.__name__ != "string_":
        if elem_type.__name__ in ("ndarray", "memmap"):
            if _NUMPY_STRING_KIND.search(elem.dtype.str):
                raise TypeError(_COLLATE_ERROR.format(elem.dtype))
            return default_collate([wick.as_tensor(b) for b in batch])
        if elem.shape == ():  # a NumPy scalar
            import numpy
            return wick.as_tensor(numpy.array(batch))
    if isinstance(elem, bool):
        return wick.tensor(batch, dtype=wick.bool)
    if isinstance(elem, float):
        return wick.tensor(batch, dtype=wick.float64)
    if isinstance(elem, int):
        return wick.tensor(batch, dtype=wick.int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return elem_type(columns)
        except TypeError:
            return columns
    raise TypeError(_COLLATE_ERROR.format(elem_type))
