"""wick.accelerator: the device-neutral face of wick's accelerator
(torch.accelerator). wick has one kind, CUDA, so every function here is the
matching wick.cuda one. The idiom of PyTorch's examples runs as it is::

    >>> import wick
    >>> device = wick.accelerator.current_accelerator().type if wick.accelerator.is_available() else "cpu"
    >>> wick.ones(2, device=device).device.type == device
    True

current_accelerator() answers at build time, as in PyTorch: a CUDA build
returns device('cuda') even on a machine without a GPU (check_available=True
makes it None there); a CPU-only build returns None.

wick keeps no current device: 'cuda' always means cuda:0 (a tensor goes to
another GPU by naming it, device='cuda:1'). So current_device_index() is 0,
and set_device_index() and device_index() accept index 0 (and, as PyTorch, a
negative index, which changes nothing) and raise NotImplementedError for any
other GPU. wick has no streams: current_stream and set_stream are absent.

The allocator's counters are here too (memory_allocated, max_memory_allocated,
memory_reserved, memory_stats, reset_peak_memory_stats, empty_cache), also as
wick.accelerator.memory. wick's allocator keeps no peak of reserved memory nor
accumulated counters to reset, so max_memory_reserved and
reset_accumulated_memory_stats are absent.
"""
import sys
import types
import warnings
from collections import OrderedDict

from wick import _C
from wick import cuda as _cuda

__all__ = ["current_accelerator", "current_device_index", "current_device_idx", "device_count", "device_index",
           "is_available", "set_device_index", "set_device_idx", "synchronize", "empty_cache",
           "max_memory_allocated", "memory_allocated", "memory_reserved", "memory_stats", "reset_peak_memory_stats"]


def is_available():
    """Whether an accelerator can be used now: wick was built with CUDA and
    sees a usable GPU (wick.cuda.is_available())."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator wick was built for, as a device: ``device('cuda')`` in
    a CUDA build, None in a CPU-only one. With check_available=True, also None
    where no GPU can be used now.

    Example::

        >>> acc = wick.accelerator.current_accelerator(check_available=True)
        >>> acc is None or acc.type == "cuda"
        True
    """
    if not _C._built_with_cuda:
        return None
    if check_available and not is_available():
        return None
    return _C.device("cuda")


def device_count():
    """The number of usable GPUs; 0 where there is none or no CUDA build."""
    return _cuda.device_count() if _C._built_with_cuda else 0


def _require_accelerator(what):
    if not is_available():
        reason = _C._cuda_unavailable_reason() if _C._built_with_cuda else "wick was built without CUDA"
        raise RuntimeError(f"wick.accelerator.{what}: no accelerator is available ({reason})")


def _index(device, what):
    """The GPU index that device (an int, a str, a wick.device or None: the
    current one) names."""
    if device is None:
        return 0
    if isinstance(device, bool):
        raise TypeError(f"wick.accelerator.{what}: expected a device or an index, got bool")
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _C.device(device)
    if not isinstance(device, _C.device):
        raise TypeError(f"wick.accelerator.{what}: expected a wick.device, a str or an int, got "
                        f"{type(device).__name__}")
    if device.type != "cuda":
        raise ValueError(f"wick.accelerator.{what}: {device} is not a device of the accelerator (cuda)")
    return device.index


def current_device_index():
    """The index of the current GPU: 0, as wick keeps no current device ('cuda'
    is cuda:0). RuntimeError where no accelerator is available."""
    _require_accelerator("current_device_index")
    return 0


def set_device_index(device, /):
    """Makes device (an index, 'cuda:i' or a wick.device) the current GPU. wick
    keeps no current device, so only index 0 is accepted (a negative index
    changes nothing, as in PyTorch); another GPU raises NotImplementedError,
    and one that does not exist IndexError."""
    index = _index(device, "set_device_index")
    if index < 0:
        return
    _require_accelerator("set_device_index")
    count = device_count()
    if index >= count:
        raise IndexError(f"wick.accelerator.set_device_index: no GPU {index} ({count} visible)")
    if index != 0:
        raise NotImplementedError(f"wick.accelerator.set_device_index({index}): wick keeps no current device, "
                                  f"'cuda' always means cuda:0; put tensors on GPU {index} with "
                                  f"device='cuda:{index}'")


def current_device_idx():
    """Deprecated spelling of current_device_index() (FutureWarning, as PyTorch)."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /):
    """Deprecated spelling of set_device_index() (FutureWarning, as PyTorch)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


class device_index:
    """``with wick.accelerator.device_index(i):`` makes GPU i current for the
    block, and the previous one on leaving; None changes nothing. Under wick's
    one current device (cuda:0), i may be 0, None or negative
    (set_device_index)."""

    def __init__(self, device, /):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            set_device_index(self.idx)

    def __exit__(self, *exc_info):
        return False


def synchronize(device=None, /):
    """Waits for the work queued on the GPU (the current one by default) to
    finish; raises what its kernels found (wick.cuda.synchronize)."""
    _require_accelerator("synchronize")
    _cuda.synchronize(_index(device, "synchronize"))


# ---- the allocator's counters (torch.accelerator.memory) -------------------------------------------------


def memory_allocated(device_index=None, /):
    """Bytes held by tensors on the GPU now (wick.cuda.memory_allocated)."""
    return _cuda.memory_allocated(_index(device_index, "memory_allocated"))


def max_memory_allocated(device_index=None, /):
    """The most bytes held by tensors at once since the start or
    reset_peak_memory_stats()."""
    return _cuda.max_memory_allocated(_index(device_index, "max_memory_allocated"))


def memory_reserved(device_index=None, /):
    """Bytes the caching allocator holds from the driver, in use or cached."""
    return _cuda.memory_reserved(_index(device_index, "memory_reserved"))


def reset_peak_memory_stats(device_index=None, /):
    """Restarts max_memory_allocated() from the bytes in use now."""
    _cuda.reset_peak_memory_stats(_index(device_index, "reset_peak_memory_stats"))


def empty_cache():
    """Returns the caching allocator's free blocks to the driver; nothing
    where no GPU is available."""
    _cuda.empty_cache()


def memory_stats(device_index=None, /):
    """The allocator's counters under PyTorch's flat names, sorted by name:
    ``allocated_bytes.all.current`` / ``.peak``, ``reserved_bytes.all.current``,
    ``allocation.all.allocated`` / ``.freed`` / ``.current`` (requests served,
    blocks returned, blocks live) and ``num_device_alloc`` (those served by the
    driver rather than the cache). PyTorch's other counters (per pool, segments,
    retries) have no counterpart in wick's allocator and are absent."""
    index = _index(device_index, "memory_stats")
    s = _C.memory_stats(_C.device("cuda", index))
    stats = {
        "allocated_bytes.all.current": s["allocated_bytes"],
        "allocated_bytes.all.peak": s["peak_bytes"],
        "reserved_bytes.all.current": s["reserved_bytes"],
        "allocation.all.allocated": s["num_allocs"],
        "allocation.all.freed": s["num_frees"],
        "allocation.all.current": s["num_allocs"] - s["num_frees"],
        "num_device_alloc": s["num_system_allocs"],
    }
    return OrderedDict(sorted(stats.items()))


_MEMORY_NAMES = ["empty_cache", "max_memory_allocated", "memory_allocated", "memory_reserved", "memory_stats",
                 "reset_peak_memory_stats"]

# torch.accelerator.memory: the same functions, under the submodule PyTorch has
# (`import wick.accelerator.memory` finds it in sys.modules).
memory = types.ModuleType(__name__ + ".memory", "wick.accelerator.memory: the allocator's counters "
                                                "(torch.accelerator.memory); see wick.accelerator.")
for _name in _MEMORY_NAMES:
    setattr(memory, _name, globals()[_name])
memory.__all__ = list(_MEMORY_NAMES)
sys.modules[memory.__name__] = memory
del _name
