"""wick.backends.mkldnn: oneDNN, formerly MKL-DNN (torch.backends.mkldnn).
wick does not use oneDNN: its CPU convolutions are its own im2col and
OpenBLAS products, so is_available() is False. The ``enabled`` flag keeps
PyTorch's default (True) and is stored for code that sets it, changing
nothing.

Example::

    >>> wick.backends.mkldnn.is_available()
    False
    >>> with wick.backends.mkldnn.flags(enabled=False):
    ...     wick.backends.mkldnn.enabled
    False
    >>> wick.backends.mkldnn.enabled
    True
"""
import contextlib
import sys
import types

from wick.backends import _Flag, _allow_mutation, _install_flags

__all__ = ["is_available", "enabled", "flags", "set_flags", "verbose", "VERBOSE_OFF", "VERBOSE_ON",
           "VERBOSE_ON_CREATION"]

VERBOSE_OFF = 0
VERBOSE_ON = 1
VERBOSE_ON_CREATION = 2

_flags = {"enabled": True}


def is_available():
    """Whether wick was built with oneDNN: False, wick does not use it."""
    return False


def set_flags(_enabled):
    """Sets ``enabled`` and returns the previous value, as a 1-tuple."""
    module = sys.modules[__name__]
    previous = (module.enabled,)
    module.enabled = _enabled
    return previous


@contextlib.contextmanager
def flags(enabled=False):
    """Sets ``enabled`` for the block (False unless given, as in PyTorch) and
    restores it on leaving, also when the block raises."""
    with _allow_mutation():
        previous = set_flags(enabled)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*previous)


class verbose:
    """PyTorch's ``with torch.backends.mkldnn.verbose(level):``, which makes
    oneDNN log its kernels. ``verbose(VERBOSE_OFF)`` does nothing; any other
    level raises RuntimeError on entering, as wick runs no oneDNN kernels."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        if self.level == VERBOSE_OFF:
            return None
        raise RuntimeError("wick.backends.mkldnn.verbose: wick does not use oneDNN (MKL-DNN), so there is no "
                           "oneDNN verbose output to turn on")

    def __exit__(self, exc_type, exc_value, traceback):
        return False


class _MkldnnModule(types.ModuleType):
    enabled = _Flag("Whether PyTorch may use oneDNN (default True); stored only, as wick does not use oneDNN.")


_install_flags(__name__, _MkldnnModule)
