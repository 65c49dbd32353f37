"""wick.backends.mps: Apple's Metal Performance Shaders (torch.backends.mps).
wick has no MPS backend (its devices are the CPU and CUDA GPUs), so
is_built() and is_available() are False.

Example::

    >>> wick.backends.mps.is_available(), wick.backends.mps.is_built()
    (False, False)
"""
__all__ = ["is_available", "is_built"]


def is_built():
    """Whether wick was built with MPS support: False, wick has no MPS backend."""
    return False


def is_available():
    """Whether an MPS device can be used: False, wick has no MPS backend."""
    return False
