"""torch.autograd.Variable, for code written against it: the deprecated
constructor (Variable(t) returns a Tensor, as in PyTorch since 0.4) and the
engine object PyTorch code reaches as ``Variable._execution_engine``.

There is no Variable type: as in PyTorch, ``isinstance(t, Variable)`` is true
for every Tensor, and ``Variable(t)`` is a Tensor.
"""
import warnings

from wick import _C

__all__ = ["Variable"]


class _ImperativeEngine:
    """The autograd engine as PyTorch code reaches it (``Variable._execution_engine``)."""

    def queue_callback(self, callback):
        """Makes callback() run once the backward running now has finished: after
        its whole graph has run and every .grad is written, before backward()
        returns. Callbacks run in the order queued; one may queue another. Only
        callable during a backward, from a hook or a custom Function's backward
        (RuntimeError otherwise).

        Example::

            >>> x = wick.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 2
            >>> done = []
            >>> _ = y.register_hook(lambda g: wick.autograd.Variable._execution_engine.queue_callback(
            ...     lambda: done.append(x.grad.tolist())))
            >>> y.sum().backward()
            >>> done
            [[2.0, 2.0]]
        """
        if not callable(callback):
            raise TypeError(f"queue_callback expects a callable, but got {type(callback).__name__}")
        _C._queue_callback(callback)


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, _C.Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated, as in PyTorch: ``Variable(data, requires_grad=False)`` returns
    ``data.detach()`` (a Tensor sharing data's memory) with requires_grad set;
    ``Variable()`` an empty tensor. Tensors do everything Variables did.

    Example::

        >>> v = wick.autograd.Variable(wick.ones(2), requires_grad=True)
        >>> v
        tensor([1., 1.], requires_grad=True)
    """

    _execution_engine = _ImperativeEngine()

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if data is None:
            tensor = _C.empty(0)
        elif isinstance(data, _C.Tensor):
            tensor = data.detach()
        else:
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        tensor.requires_grad_(bool(requires_grad))
        return tensor
