"""DataParallel over one device: the wrapped module runs on the whole batch.

PyTorch's DataParallel splits the batch across its devices, runs a replica of
the module on each and gathers the outputs. wick runs one device per process,
so here the module runs as it is on ``device_ids[0]`` (the inputs moved there),
which is what PyTorch does for a single device. Without CUDA it is called as
it is, also as in PyTorch."""
import wick
from wick import _C
from wick.nn.modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(device):
    """A device index from an int, a string ("cuda:1") or a wick.device."""
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    device = _C.device(device)
    if device.type != "cuda":
        raise ValueError(f"DataParallel: expected a CUDA device, but got {device}")
    return 0 if device.index is None else device.index


def _to_device(obj, device):
    """obj with its tensors (in tuples, lists and dicts too) moved to device."""
    if isinstance(obj, _C.Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(_to_device(o, device) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, device)) for k, v in obj.items())
    return obj


class DataParallel(Module):
    r"""Runs ``module`` for a batch, as torch.nn.DataParallel; the module is
    registered as ``self.module``, so the state dict's keys are the module's
    with a ``module.`` prefix.

    With CUDA, the module is moved to ``device_ids[0]`` (default: device 0) and
    every call moves its inputs there and runs the module on the whole batch
    (wick drives one device per process: no replicas); its parameters and
    buffers must stay there. Without CUDA the module is called as it is.

    Args:
        module (Module): the module to run
        device_ids (list of int or device): the CUDA devices (default: all)
        output_device (int or device): where outputs would be gathered (default: device_ids[0])
        dim (int): the dim along which the batch would be split (default: 0)
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be a wick.nn.Module, not {type(module).__name__}")
        self.module = module
        self.dim = dim
        if not wick.cuda.is_available():
            self.device_ids = []
            self.output_device = None
            return
        if device_ids is None:
            device_ids = list(range(wick.cuda.device_count()))
        if len(device_ids) == 0:
            raise RuntimeError("DataParallel: no available devices were found")
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(self.device_ids[0] if output_device is None else output_device)
        self.src_device_obj = _C.device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in (*self.module.parameters(), *self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device {self.src_device_obj} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        return self.module(*_to_device(inputs, self.src_device_obj), **_to_device(kwargs, self.src_device_obj))


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    r"""``module(*inputs, **module_kwargs)`` as DataParallel runs it (see
    :class:`DataParallel`), without keeping a wrapper; as
    torch.nn.parallel.data_parallel. The output is moved to ``output_device``."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    module_kwargs = module_kwargs or {}
    if not wick.cuda.is_available():
        return module(*inputs, **module_kwargs)
    if device_ids is None:
        device_ids = list(range(wick.cuda.device_count()))
    device_ids = [_device_index(d) for d in device_ids]
    if not device_ids:
        raise RuntimeError("data_parallel: no available devices were found")
    source = _C.device("cuda", device_ids[0])
    output_device = source if output_device is None else _C.device("cuda", _device_index(output_device))
    for t in (*module.parameters(), *module.buffers()):
        if t.device != source:
            raise RuntimeError(f"module must have its parameters and buffers on device {source} (device_ids[0]) "
                               f"but found one of them on device: {t.device}")
    output = module(*_to_device(inputs, source), **_to_device(module_kwargs, source))
    return _to_device(output, output_device)
