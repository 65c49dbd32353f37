"""wick.backends.openmp: whether wick runs its CPU loops on OpenMP
(torch.backends.openmp). Every build does: OpenMP is a required dependency,
and wick's CPU loops and OpenBLAS share its one thread pool (Note [One thread
pool] in CMakeLists.txt; wick.get_num_threads() is its size).

Example::

    >>> wick.backends.openmp.is_available()
    True
"""
__all__ = ["is_available"]


def is_available():
    """Whether wick was built with OpenMP: True, in every build."""
    return True
