"""wick.backends.opt_einsum: the opt_einsum package, which PyTorch's einsum
asks for a cheap order in which to contract its operands
(torch.backends.opt_einsum).

wick's einsum does not consult opt_einsum, installed or not: it contracts the
operands from left to right, each pair as one batched product (ops/einsum.cpp).
So, as in a PyTorch without the package, is_available() is False,
get_opt_einsum() None, ``enabled`` False and ``strategy`` None, and setting
``enabled = True`` or a strategy raises ValueError.

Example::

    >>> wick.backends.opt_einsum.is_available(), wick.backends.opt_einsum.enabled
    (False, False)
"""
import contextlib
import sys
import types

from wick.backends import _Flag, _allow_mutation, _install_flags

__all__ = ["is_available", "get_opt_einsum", "enabled", "strategy", "flags", "set_flags"]

_flags = {"enabled": False, "strategy": None}


def is_available():
    """Whether wick's einsum can use opt_einsum: False (it contracts left to right)."""
    return False


def get_opt_einsum():
    """The opt_einsum package where einsum uses it: None, as wick's does not."""
    return None


def _check_enabled(module, value):
    if not isinstance(value, bool):
        raise TypeError(f"{module.__name__}.enabled must be a bool, got {type(value).__name__}")
    if value:
        raise ValueError("wick.backends.opt_einsum.enabled cannot be True: wick's einsum does not use opt_einsum "
                         "and contracts its operands from left to right")


def _check_strategy(module, value):
    if value is not None:
        raise ValueError(f"wick.backends.opt_einsum.strategy cannot be set (to {value!r}): wick's einsum does not "
                         "use opt_einsum and contracts its operands from left to right")


def set_flags(_enabled=None, _strategy=None):
    """Sets the flags given (None leaves one as it is; only enabled=False is
    accepted) and returns the previous (enabled, strategy)."""
    module = sys.modules[__name__]
    previous = (module.enabled, None)
    if _enabled is not None:
        module.enabled = _enabled
    if _strategy is not None:
        module.strategy = _strategy
    return previous


@contextlib.contextmanager
def flags(enabled=None, strategy=None):
    """Sets the flags given for the block and restores them on leaving;
    ``flags(enabled=True)`` and a strategy raise ValueError."""
    with _allow_mutation():
        previous = set_flags(enabled, strategy)
    try:
        yield
    finally:
        with _allow_mutation():
            set_flags(*previous)


class _OptEinsumModule(types.ModuleType):
    enabled = _Flag("Whether einsum asks opt_einsum for a contraction order: False, and only False may be set.",
                    on_set=_check_enabled)
    strategy = _Flag("opt_einsum's path strategy ('auto', 'greedy', 'optimal'): None, as it is not used.",
                     on_set=_check_strategy)


_install_flags(__name__, _OptEinsumModule)
