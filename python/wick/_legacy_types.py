"""PyTorch's legacy tensor types (torch.FloatTensor, torch.cuda.LongTensor ...),
for code written against them: one per dtype wick has and device kind.

They are not Tensor subclasses, as in PyTorch: calling one makes a plain
wick.Tensor of its dtype and device, and isinstance() tests a tensor's dtype
and device kind (a CPU float32 tensor is a wick.FloatTensor, an nn.Parameter
included). Their class is tensortype, whose docstring shows their use.
``t.type(wick.LongTensor)`` converts to one, and
wick.set_default_tensor_type() takes one. wick has no int8 or int16 dtype, so
there is no CharTensor or ShortTensor.
"""
import operator

from wick import _C
from wick._size import Size

__all__ = ["tensortype", "set_default_tensor_type"]

# The legacy type's name per dtype, in PyTorch's order.
_NAMES = [("FloatTensor", _C.float32), ("DoubleTensor", _C.float64), ("HalfTensor", _C.float16),
          ("BFloat16Tensor", _C.bfloat16), ("ByteTensor", _C.uint8), ("IntTensor", _C.int32),
          ("LongTensor", _C.int64), ("BoolTensor", _C.bool)]


def _as_int(obj):
    """obj as a size (an int, or a numpy integer), or None."""
    if isinstance(obj, (bool, _C.Tensor)):
        return None
    try:
        return operator.index(obj)
    except TypeError:
        return None


def _shape(size, name):
    dims = [_as_int(d) for d in size] if isinstance(size, (tuple, list)) else [_as_int(size)]
    if any(d is None for d in dims):
        raise TypeError(f"{name}(): size must be a tuple of ints, got {size!r}")
    return tuple(dims)


_USAGE = """
    ``T(*sizes)``, ``T(wick.Size)`` or ``T(size=...)``: an uninitialized tensor
    of that shape; ``T()``: an empty one; ``T(sequence)``: one holding the data
    (a tuple is data too, unless it is a wick.Size); ``T(tensor)``: a tensor
    sharing tensor's memory, which must already have T's dtype and device kind.
    A ``device=`` keyword picks the GPU of a wick.cuda type. isinstance(t, T)
    tests t's dtype and device kind."""


class tensortype(type):
    __doc__ = """The class of the legacy tensor types (PyTorch's torch.tensortype).
    """ + _USAGE + """

    Example::

        >>> wick.LongTensor([1, 2])
        tensor([1, 2])
        >>> wick.FloatTensor(2, 3).shape
        wick.Size([2, 3])
        >>> isinstance(wick.ones(2), wick.FloatTensor), isinstance(wick.ones(2), wick.DoubleTensor)
        (True, False)
        >>> wick.ones(2).type(wick.IntTensor)
        tensor([1, 1], dtype=wick.int32)
    """

    __module__ = "wick"

    def __instancecheck__(cls, obj):
        return isinstance(obj, _C.Tensor) and obj.dtype == cls.dtype and (obj.device.type == "cuda") == cls.is_cuda

    def __call__(cls, *args, device=None, size=None, **kwargs):
        name = f"{cls.__module__}.{cls.__name__}"
        if kwargs:
            raise TypeError(f"{name}() got unexpected keyword arguments: {', '.join(kwargs)}")
        kind = "cuda" if cls.is_cuda else "cpu"
        device = _C.device(kind) if device is None else _C.device(device)
        if device.type != kind:
            raise RuntimeError(f"{name}: the legacy constructor expects device type {kind}, got {device}")
        if size is not None:
            if args:
                raise TypeError(f"{name}() takes either sizes or size=, not both")
            return _C.empty(_shape(size, name), dtype=cls.dtype, device=device)
        if not args:
            return _C.empty(0, dtype=cls.dtype, device=device)
        if len(args) == 1:
            arg = args[0]
            if isinstance(arg, _C.Tensor):
                if arg.dtype != cls.dtype or arg.device.type != kind:
                    raise TypeError(f"{name}(tensor): expected a tensor of dtype {cls.dtype} on {kind}, got one "
                                    f"of dtype {arg.dtype} on {arg.device}")
                return arg.view_as(arg)
            if isinstance(arg, Size):
                return _C.empty(_shape(arg, name), dtype=cls.dtype, device=device)
            if _as_int(arg) is not None:
                return _C.empty((_as_int(arg),), dtype=cls.dtype, device=device)
            if isinstance(arg, (str, bytes)) or not hasattr(arg, "__len__"):
                raise TypeError(f"{name}(): data must be a sequence, got {type(arg).__name__}")
            return _C.tensor(arg, dtype=cls.dtype, device=device)
        return _C.empty(_shape(args, name), dtype=cls.dtype, device=device)


def _make(name, dtype, cuda):
    module = "wick.cuda" if cuda else "wick"
    doc = (f"{module}.{name}: the legacy type of {'CUDA' if cuda else 'CPU'} {str(dtype).split('.')[-1]} tensors "
           f"(torch{'.cuda' if cuda else ''}.{name}).\n" + _USAGE)
    return tensortype(name, (), {"__module__": module, "__qualname__": name, "__doc__": doc, "dtype": dtype,
                                 "is_cuda": cuda, "is_sparse": False})


CPU_TYPES = {name: _make(name, dtype, False) for name, dtype in _NAMES}
CUDA_TYPES = {name: _make(name, dtype, True) for name, dtype in _NAMES}


def _by_name(name):
    """The legacy type a name like 'torch.FloatTensor' or 'wick.cuda.LongTensor' names, or None."""
    parts = name.split(".")
    if parts[0] not in ("wick", "torch"):
        return None
    if len(parts) == 2:
        return CPU_TYPES.get(parts[1])
    if len(parts) == 3 and parts[1] == "cuda":
        return CUDA_TYPES.get(parts[2])
    return None


def set_default_tensor_type(t):
    """Makes t's dtype the default one for new floating-point tensors; t is a
    legacy type (wick.DoubleTensor) or its name ('torch.DoubleTensor'). As in
    PyTorch, only floating-point types are accepted (TypeError), and, as for
    wick.set_default_dtype, only float32 and float64. A wick.cuda type raises
    NotImplementedError: wick has no default device, so factories cannot be
    made to create CUDA tensors; pass device='cuda' to them instead.
    wick.set_default_dtype is the current spelling.

    Example::

        >>> wick.set_default_tensor_type(wick.DoubleTensor)
        >>> wick.tensor([1.5]).dtype
        wick.float64
        >>> wick.set_default_tensor_type("torch.FloatTensor")
        >>> wick.tensor([1.5]).dtype
        wick.float32
    """
    if isinstance(t, str):
        found = _by_name(t)
        if found is None:
            raise ValueError(f"set_default_tensor_type: invalid type name {t!r}")
        t = found
    if not isinstance(t, tensortype):
        raise TypeError(f"set_default_tensor_type: expected a legacy tensor type (wick.FloatTensor ...) or its "
                        f"name, got {type(t).__name__}")
    if t.is_cuda:
        raise NotImplementedError(f"set_default_tensor_type({t.__module__}.{t.__name__}): wick has no default "
                                  "device, so factories cannot default to CUDA; pass device='cuda' to them")
    if not t.dtype.is_floating_point:
        raise TypeError(f"set_default_tensor_type({t.__module__}.{t.__name__}): only floating-point types are "
                        "supported as the default type")
    _C.set_default_dtype(t.dtype)


def install(wick_module):
    """Puts the CPU types and set_default_tensor_type on wick and the CUDA types
    on wick.cuda (Tensor.type() takes them: python/wick/_methods.py); returns the
    names added to wick's __all__."""
    for name, cls in CPU_TYPES.items():
        cls.layout = wick_module.strided
        setattr(wick_module, name, cls)
    for name, cls in CUDA_TYPES.items():
        cls.layout = wick_module.strided
        setattr(wick_module.cuda, name, cls)
    wick_module.set_default_tensor_type = set_default_tensor_type
    return list(CPU_TYPES) + ["set_default_tensor_type"]
