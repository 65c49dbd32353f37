"""Grad mode: whether ops record the autograd graph (per thread).

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode``
work as context managers and as function decorators, as in PyTorch.
"""
import functools
import inspect
import threading

from wick import _C

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "set_multithreading_enabled", "is_multithreading_enabled"]

is_grad_enabled = _C.is_grad_enabled


class _DecoratorContextManager:
    """A context manager that also decorates functions (and generator
    functions, whose every step runs inside the context)."""

    def __call__(self, func):
        if inspect.isclass(func):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def decorate_context(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return decorate_context

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def generator_context(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as e:
                return e.value

        return generator_context

    def clone(self):
        return self.__class__()


class _NoArgDecorator(_DecoratorContextManager):
    # Lets ``@no_grad`` be written without parentheses as well as ``@no_grad()``.
    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgDecorator):
    """Ops inside record no graph: their results don't require grad.

        with wick.no_grad():
            w -= lr * w.grad
    """

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


class enable_grad(_NoArgDecorator):
    """Turns grad mode back on inside a no_grad region."""

    def __init__(self):
        self.prev = False

    def __enter__(self):
        self.prev = _C.is_grad_enabled()
        _C._set_grad_enabled(True)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode on or off. As a function call it takes effect at once
    (``wick.set_grad_enabled(False)``); as a context manager or decorator it
    restores the previous mode afterwards."""

    def __init__(self, mode):
        self.prev = _C.is_grad_enabled()
        self.mode = bool(mode)
        _C._set_grad_enabled(self.mode)

    def __call__(self, func):
        _C._set_grad_enabled(self.prev)
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad (wick has no separate inference tensors); with
    mode=False it changes nothing."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        self.mode = mode
        self.prev = False

    def __enter__(self):
        self.prev = _C.is_grad_enabled()
        if self.mode:
            _C._set_grad_enabled(False)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self.prev)

    def clone(self):
        return self.__class__(self.mode)


_autograd_state = threading.local()  # per thread, as PyTorch's AutogradState


def is_multithreading_enabled():
    """Whether multithreaded backward is on for this thread (True unless
    turned off with set_multithreading_enabled). wick's engine runs every
    backward on the calling thread whatever this flag says, which is what
    PyTorch does with the flag off."""
    return getattr(_autograd_state, "multithreading_enabled", True)


class set_multithreading_enabled(_DecoratorContextManager):
    """Turns multithreaded backward on or off for this thread: at once as a
    function call, until the block or function ends as a context manager or
    decorator. See is_multithreading_enabled for what it changes in wick."""

    def __init__(self, mode):
        self.prev = is_multithreading_enabled()
        self.mode = bool(mode)
        _autograd_state.multithreading_enabled = self.mode

    def __call__(self, func):
        _autograd_state.multithreading_enabled = self.prev
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _autograd_state.multithreading_enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)
