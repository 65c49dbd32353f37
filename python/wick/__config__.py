"""wick.__config__: how this wick was built and what it runs with (torch.__config__)."""
from wick import _C

__all__ = ["show", "parallel_info"]


def show():
    """The CPU, its instruction sets, the kernels chosen for them (wick's vector
    loops and OpenBLAS's), the BLAS library and the thread counts, as text."""
    cuda = "CUDA backend: built" if _C._built_with_cuda else "CUDA backend: not built"
    return _C._cpu_info_string() + cuda + "\n"


def parallel_info():
    """The thread counts of wick's OpenMP pool and of the BLAS library, as text."""
    info = _C._cpu_info()
    return (f"wick's OpenMP pool: {info['threads']} threads (wick.get_num_threads())\n"
            f"{info['blas']['library']} {info['blas']['version']}: {info['blas']['threads']} threads per product\n")
