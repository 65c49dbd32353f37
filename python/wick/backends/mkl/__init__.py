"""wick.backends.mkl: Intel's oneMKL (torch.backends.mkl). wick does not use
MKL: its CPU BLAS is OpenBLAS (see wick.backends.cpu.info()["blas"]), so
is_available() is False.

Example::

    >>> wick.backends.mkl.is_available()
    False
"""
__all__ = ["is_available", "verbose", "VERBOSE_OFF", "VERBOSE_ON"]

VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available():
    """Whether wick was built with MKL: False, wick uses OpenBLAS."""
    return False


class verbose:
    """PyTorch's ``with torch.backends.mkl.verbose(level):``, which makes oneMKL
    log the calls made in the block. ``verbose(VERBOSE_OFF)`` does nothing;
    any other level raises RuntimeError on entering, as wick makes no MKL
    calls to log (PyTorch without MKL fails there too)."""

    def __init__(self, enable):
        self.enable = enable

    def __enter__(self):
        if self.enable == VERBOSE_OFF:
            return None
        raise RuntimeError("wick.backends.mkl.verbose: wick does not use MKL (its BLAS is OpenBLAS), so there "
                           "is no MKL verbose output to turn on")

    def __exit__(self, exc_type, exc_value, traceback):
        return False
