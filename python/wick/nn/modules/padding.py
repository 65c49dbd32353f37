"""The padding layers: constant (and zero), reflection, replication and
circular padding of the last 1, 2 or 3 dims, over F.pad."""
from wick.nn import functional as F
from wick.nn.modules.module import Module
from wick.nn.modules.utils import _ntuple

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]

_pair = _ntuple(2, "_pair")
_quadruple = _ntuple(4, "_quadruple")
_sextuple = _ntuple(6, "_sextuple")


class _PadNd(Module):
    """A padding layer: padding is one int for every side, or F.pad's
    (left, right[, top, bottom[, front, back]]) amounts, last dim first."""
    _mode = None
    _as_tuple = None

    def __init__(self, padding):
        super().__init__()
        self.padding = type(self)._as_tuple(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd:
    """ZeroPad{1,2,3}d: a ConstantPad{1,2,3}d of value 0, whose repr shows the padding only."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with value: padding = (left, right), or one int for both."""
    _as_tuple = staticmethod(_pair)


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with value: padding = (left, right, top, bottom), or one int for all."""
    _as_tuple = staticmethod(_quadruple)


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with value: padding = (left, right, top, bottom, front, back), or one int."""
    _as_tuple = staticmethod(_sextuple)


class ZeroPad1d(_ZeroPadNd, ConstantPad1d):
    """Pads the last dim with zeros: padding = (left, right), or one int for both."""


class ZeroPad2d(_ZeroPadNd, ConstantPad2d):
    """Pads the last two dims with zeros: padding = (left, right, top, bottom), or one int for all.

    Example::

        >>> wick.nn.ZeroPad2d((1, 0, 0, 1))(wick.ones(1, 1, 1))
        tensor([[[0., 1.],
                 [0., 0.]]])
    """


class ZeroPad3d(_ZeroPadNd, ConstantPad3d):
    """Pads the last three dims with zeros: padding = (left, right, top, bottom, front, back), or one int."""


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dim of [N, C, W] or [C, W] with its reflection (the edge not repeated)."""
    _as_tuple = staticmethod(_pair)


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dims of [N, C, H, W] or [C, H, W] with their reflection."""
    _as_tuple = staticmethod(_quadruple)


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dims of [N, C, D, H, W] or [C, D, H, W] with their reflection."""
    _as_tuple = staticmethod(_sextuple)


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dim of [N, C, W] or [C, W] by repeating its edge values."""
    _as_tuple = staticmethod(_pair)


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dims of [N, C, H, W] or [C, H, W] by repeating their edge values."""
    _as_tuple = staticmethod(_quadruple)


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dims of [N, C, D, H, W] or [C, D, H, W] by repeating their edge values."""
    _as_tuple = staticmethod(_sextuple)


class _CircularPadNd(_PadNd):
    _mode = "circular"
    _ranks = None

    def forward(self, input):
        if input.dim() not in self._ranks:
            raise ValueError(f"expected {self._ranks[0]}D or {self._ranks[1]}D input (got {input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Pads the last dim of [N, C, W] or [C, W] by wrapping around (the other end's values).

    Example::

        >>> wick.nn.CircularPad1d(1)(wick.tensor([[1., 2., 3.]]))
        tensor([[3., 1., 2., 3., 1.]])
    """
    _as_tuple = staticmethod(_pair)
    _ranks = (2, 3)


class CircularPad2d(_CircularPadNd):
    """Pads the last two dims of [N, C, H, W] or [C, H, W] by wrapping around."""
    _as_tuple = staticmethod(_quadruple)
    _ranks = (3, 4)


class CircularPad3d(_CircularPadNd):
    """Pads the last three dims of [N, C, D, H, W] or [C, D, H, W] by wrapping around."""
    _as_tuple = staticmethod(_sextuple)
    _ranks = (4, 5)
