"""nn.Parameter: a tensor that a Module registers as one of its parameters."""
import wick
from wick import _C

__all__ = ["Parameter", "UninitializedParameter"]


class Parameter(_C.Tensor):
    r"""A tensor that is a module parameter: assigned as an attribute of a
    :class:`wick.nn.Module`, it is registered and shows up in ``parameters()``.

    ``Parameter(data)`` shares ``data``'s memory (it is a new leaf over the
    same elements, as PyTorch's) and requires grad unless ``requires_grad=False``.
    Ops on a Parameter return plain tensors; in-place ops and ``.data = ...``
    keep it a Parameter.

    Args:
        data (Tensor): the values (default: an empty tensor)
        requires_grad (bool): whether autograd records ops on it (default: True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = wick.empty(0)
        if not isinstance(data, _C.Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, not {type(data).__name__}")
        self = _C.Tensor.__new__(cls)
        _C.Tensor.__init__(self, data.detach())
        self.requires_grad_(requires_grad)
        return self

    def __init__(self, data=None, requires_grad=True):
        pass  # all done in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class UninitializedParameter(Parameter):
    r"""A parameter whose shape is not known yet: it has no elements, only
    ``requires_grad``, a device and a dtype, until :meth:`materialize` gives it a
    shape (and makes it a plain :class:`Parameter`, in place). Lazy modules
    hold these until their first forward.

    Args:
        requires_grad (bool): whether the parameter requires grad (default: True)
        device, dtype: where and of what type its elements will be
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return super().__new__(cls, wick.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass  # all done in __new__

    def materialize(self, shape, device=None, dtype=None):
        r"""Gives the parameter a shape (uninitialised values), on ``device`` with
        ``dtype`` (default: its own), and turns it into a plain Parameter in place."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        with wick.no_grad():
            self.data = wick.empty(tuple(shape), device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"

    def __reduce_ex__(self, protocol):
        raise RuntimeError(f"Can't pickle an {type(self).__name__}: run a forward pass first, so that the lazy "
                           "module that holds it gets its shapes")

    def __deepcopy__(self, memo):
        copy = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = copy
        return copy


def is_lazy(param):
    """Whether param is an UninitializedParameter (a lazy module's parameter before its first forward)."""
    return isinstance(param, UninitializedParameter)
