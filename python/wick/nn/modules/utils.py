"""Argument helpers of the layers: sizes given as one number or one per dim."""
import collections.abc
from itertools import repeat

__all__ = []


def _ntuple(n, name):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")


def _reverse_repeat_tuple(t, n):
    """(a, b) -> (b, b, a, a) for n = 2: F.pad's order (last dim first)."""
    return tuple(x for x in reversed(t) for _ in range(n))
