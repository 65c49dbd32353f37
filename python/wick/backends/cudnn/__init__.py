"""wick.backends.cudnn: PyTorch's cuDNN switches (torch.backends.cudnn), for
code that sets them.

wick does not call cuDNN. Its CUDA backend runs convolutions as im2col and
cuBLAS products (Note [Convolution on a GPU] in ops/conv.cpp), and pooling,
normalisation and RNNs as its own kernels; nothing links libcudnn. So
``is_available()`` is False and ``version()`` None in every build, and the
flags, which keep PyTorch's defaults (enabled True, benchmark False,
deterministic False, allow_tf32 True, benchmark_limit None as in a PyTorch
without cuDNN), are stored and read back but change no computation:

- ``benchmark``: there are no cuDNN algorithms to time and choose among.
- ``deterministic``: setting it does not change wick's CUDA kernels (those
  that accumulate with atomics stay free to order their additions).
- ``allow_tf32``: wick's GPU convolutions are cuBLAS products, so they follow
  ``wick.backends.cuda.matmul.allow_tf32`` (False by default), not this flag.

Example::

    >>> import wick.backends.cudnn
    >>> wick.backends.cudnn.is_available(), wick.backends.cudnn.version()
    (False, None)
    >>> wick.backends.cudnn.benchmark = True
    >>> wick.backends.cudnn.benchmark
    True
    >>> wick.backends.cudnn.benchmark = False
"""
import contextlib
import sys
import types
import warnings

from wick import _C
from wick.backends import _Flag, _allow_mutation, _install_flags

__all__ = ["is_available", "version", "is_acceptable", "flags", "set_flags", "enabled", "benchmark",
           "benchmark_limit", "deterministic", "allow_tf32"]

# The dtypes PyTorch hands to cuDNN (torch.backends.cudnn.CUDNN_TENSOR_DTYPES).
CUDNN_TENSOR_DTYPES = {_C.float16, _C.float32, _C.float64}

_flags = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True}

# PyTorch's benchmark_limit is None where cuDNN is unavailable.
benchmark_limit = None


def is_available():
    """Whether wick can use cuDNN: False, in every build (wick does not call
    cuDNN; see the module's docstring)."""
    return False


def version():
    """The cuDNN version wick uses: None, as cuDNN is not used."""
    return None


def is_acceptable(tensor):
    """Whether cuDNN would take tensor (PyTorch's check before a cuDNN call):
    False. For a CUDA float tensor with cuDNN enabled it also warns, as
    PyTorch built without cuDNN does."""
    if not _flags["enabled"] or tensor.device.type != "cuda" or tensor.dtype not in CUDNN_TENSOR_DTYPES:
        return False
    warnings.warn("wick does not use cuDNN: its CUDA convolutions are im2col and cuBLAS products", stacklevel=2)
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None):
    """Sets the flags given (None leaves one as it is) and returns the previous
    (enabled, benchmark, benchmark_limit, deterministic, allow_tf32), which
    set_flags(*previous) restores. benchmark_limit is ignored, as in a PyTorch
    without cuDNN."""
    module = sys.modules[__name__]
    previous = (module.enabled, module.benchmark, None, module.deterministic, module.allow_tf32)
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark), ("deterministic", _deterministic),
                        ("allow_tf32", _allow_tf32)):
        if value is not None:
            setattr(module, name, value)
    return previous


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Sets all the flags (PyTorch's defaults here: enabled=False ...) for the
    block and restores the previous values on leaving it, also when it raises,
    and even after wick.backends.disable_global_flags().

    Example::

        >>> with wick.backends.cudnn.flags(enabled=True, deterministic=True):
        ...     wick.backends.cudnn.deterministic
        True
        >>> wick.backends.cudnn.deterministic
        False
    """
    with _allow_mutation():
        previous = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*previous)


class _CudnnModule(types.ModuleType):
    enabled = _Flag("Whether PyTorch may use cuDNN (default True); stored only, as wick does not call cuDNN.")
    benchmark = _Flag("Whether cuDNN times its algorithms and picks the fastest (default False); stored only.")
    deterministic = _Flag("Whether cuDNN must pick deterministic algorithms (default False); stored only.")
    allow_tf32 = _Flag("Whether cuDNN convolutions may use TF32 (default True); stored only: wick's GPU "
                       "convolutions follow wick.backends.cuda.matmul.allow_tf32.")


_install_flags(__name__, _CudnnModule)
