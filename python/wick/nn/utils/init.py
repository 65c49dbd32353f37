"""skip_init: a module built without initialising its parameters, as torch.nn.utils.skip_init."""
import inspect
import threading

from wick.nn import init as _init
from wick.nn.modules.module import Module

__all__ = ["skip_init"]

_lock = threading.Lock()


def _keep(tensor, *args, **kwargs):
    return tensor


def skip_init(module_cls, *args, **kwargs):
    r"""``module_cls(*args, **kwargs)`` with its parameters and buffers left
    uninitialised (their values are whatever the memory held), for when they
    are set right after, as torch.nn.utils.skip_init.

    PyTorch builds the module on the meta device; wick builds it on ``device``
    with the initialisers of wick.nn.init (which the layers call) doing nothing
    meanwhile. The module class must take a ``device`` argument, as PyTorch requires.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    names = [name for name in _init.__all__ if name.endswith("_")]
    with _lock:
        saved = {name: getattr(_init, name) for name in names}
        try:
            for name in names:
                setattr(_init, name, _keep)
            return module_cls(*args, **kwargs)
        finally:
            for name, fn in saved.items():
                setattr(_init, name, fn)
