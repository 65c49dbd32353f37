"""wick.cuda: the CUDA devices. In a build without the CUDA backend, or on a
machine without a GPU, is_available() is False and CUDA tensors raise a
clear error."""
from wick import _C

__all__ = ["is_available", "device_count", "synchronize", "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats",
           "memory_reserved", "empty_cache", "manual_seed", "manual_seed_all"]


def is_available():
    """True when wick was built with CUDA and a GPU can be used."""
    return _C._cuda_is_available()


def device_count():
    return _C._cuda_device_count()


def synchronize(device=None):
    """Waits for all work queued on the GPU (the current one by default) to finish. An index out of range
    found by a kernel since the last synchronization raises IndexError here (or at the next .item() / .cpu())."""
    _C._cuda_synchronize(_device(device))


def _device(device):
    if device is None:
        return _C.device("cuda")
    if isinstance(device, int):
        return _C.device("cuda", device)
    device = _C.device(device)
    if device.type != "cuda":
        raise ValueError(f"expected a CUDA device, got {device}")
    return device


def memory_allocated(device=None):
    """Bytes held by tensors on the GPU now."""
    return _C.memory_allocated(_device(device))


def max_memory_allocated(device=None):
    return _C.max_memory_allocated(_device(device))


def reset_peak_memory_stats(device=None):
    _C.reset_peak_memory_stats(_device(device))


def memory_reserved(device=None):
    return _C.memory_reserved(_device(device))


def empty_cache():
    """Returns the caching allocator's free blocks to the driver."""
    if is_available():
        _C.empty_cache(_device(None))


def manual_seed(seed):
    """Seeds the default generators. Each device draws from its own (Note
    [Default generators] in core/generator.h), but they are seeded together:
    like wick.manual_seed, this seeds the CPU's and every GPU's."""
    _C.manual_seed(seed)


manual_seed_all = manual_seed
