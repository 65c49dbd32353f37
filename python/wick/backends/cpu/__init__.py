"""wick.backends.cpu: what the CPU backend runs on and with.

``info()`` returns a dict: the CPU (name, vendor, family, model, instruction
sets), the clones of wick's own vector loops that run on it, the BLAS library
with the kernels it uses and who chose them, and the thread counts::

    >>> import wick
    >>> info = wick.backends.cpu.info()
    >>> sorted(info)
    ['blas', 'cpu', 'loop_kernels', 'threads']
    >>> info["blas"]["library"]
    'OpenBLAS'

wick chooses OpenBLAS's kernels by the CPU's instruction sets (an AVX-512 CPU
runs AVX-512 kernels) unless ``OPENBLAS_CORETYPE`` names others; when those
are weaker than the CPU allows, wick warns once.
"""
from wick import _C

__all__ = ["info", "get_cpu_capability"]


def info():
    """The CPU, its instruction sets, the kernels chosen for them and the thread counts."""
    return _C._cpu_info()


def get_cpu_capability():
    """The instruction set of wick's own vector loops here, as PyTorch names it:
    ``"AVX512"`` (the x86-64-v4 clones), ``"AVX2"`` (x86-64-v3) or ``"DEFAULT"``
    (the x86-64 baseline)."""
    return {"x86-64-v4": "AVX512", "x86-64-v3": "AVX2"}.get(_C._cpu_info()["loop_kernels"], "DEFAULT")
