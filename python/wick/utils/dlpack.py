"""wick.utils.dlpack: DLPack capsules, as torch.utils.dlpack offers them.

    capsule = wick.utils.dlpack.to_dlpack(t)      # a "dltensor" PyCapsule over t's memory
    u = wick.utils.dlpack.from_dlpack(capsule)    # consumes it: u shares t's memory

Most code passes the arrays themselves instead (numpy.from_dlpack(t),
wick.from_dlpack(array)), which calls __dlpack__ underneath.
"""
from wick import _C

__all__ = ["to_dlpack", "from_dlpack"]


def to_dlpack(tensor):
    """A DLPack capsule over tensor's memory (the tensor must not require grad).
    A capsule can be consumed once; one never consumed frees itself."""
    if not isinstance(tensor, _C.Tensor):
        raise TypeError(f"to_dlpack(): expected a wick.Tensor, got {type(tensor).__name__}")
    return _C._to_dlpack(tensor)


from_dlpack = _C.from_dlpack
