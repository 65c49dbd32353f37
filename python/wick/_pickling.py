"""How pickle rebuilds a wick.Tensor (Note [Pickling tensors] in python/csrc/tensor.cpp).

The payload is plain data: the elements as bytes, the dtype's name, the shape,
requires_grad, the device and the Python attributes. Rebuilding runs no code
named by the payload other than making an instance of a Tensor subclass.
"""
from wick import _C

__all__ = []

_DTYPES = {str(d).split(".")[-1]: d for d in (_C.bool, _C.uint8, _C.int32, _C.int64, _C.float16, _C.bfloat16,
                                              _C.float32, _C.float64)}


def _rebuild_tensor(cls, data, dtype, shape, requires_grad, device, state):
    if dtype not in _DTYPES:
        raise ValueError(f"cannot rebuild a tensor of unknown dtype {dtype!r}")
    t = _C._tensor_from_bytes(data, _DTYPES[dtype], tuple(shape))
    if device != "cpu":
        t = t.to(_C.device(device))
    if requires_grad:
        t.requires_grad_()
    return _as_type(t, cls, state)


def _as_type(t, cls, state):
    """t as an instance of cls (a wick.Tensor subclass) with the Python attributes in state."""
    if not (isinstance(cls, type) and issubclass(cls, _C.Tensor)):
        raise TypeError(f"cannot rebuild a tensor as an instance of {cls!r}, which is not a wick.Tensor subclass")
    if cls is not _C.Tensor:
        out = cls.__new__(cls)
        _C.Tensor.__init__(out, t)
        t = out
    if state:
        t.__dict__.update(state)
    return t
