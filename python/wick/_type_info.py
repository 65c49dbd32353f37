"""wick.finfo and wick.iinfo: the numerical limits of a dtype, as torch.finfo / torch.iinfo.

    >>> wick.finfo(wick.float32).eps
    1.1920928955078125e-07
    >>> wick.iinfo(wick.int32).max
    2147483647
"""
import wick

__all__ = ["finfo", "iinfo"]


def _name(dtype):
    return str(dtype).replace("wick.", "")


# IEEE 754 binary16/32/64 and bfloat16 (binary32's exponent, 8 significand
# bits): bits, eps = 2^-(significand bits - 1), max, tiny (least normal),
# resolution = 10^-(decimal digits). Written out rather than read from NumPy,
# whose import would start its BLAS's threads in every process that imports wick.
_FLOATS = {
    "float16": (16, 2.0 ** -10, 65504.0, 2.0 ** -14, 1e-3),
    "bfloat16": (16, 2.0 ** -7, 3.3895313892515355e38, 2.0 ** -126, 1e-2),
    "float32": (32, 2.0 ** -23, 3.4028234663852886e38, 2.0 ** -126, 1e-6),
    "float64": (64, 2.0 ** -52, 1.7976931348623157e308, 2.0 ** -1022, 1e-15),
}
_INTS = {"uint8": (8, False), "int8": (8, True), "int16": (16, True), "int32": (32, True), "int64": (64, True)}


class finfo:
    """The limits of a floating dtype (default: wick.get_default_dtype()):
    bits, eps (the gap between 1 and the next number), max, min (= -max),
    tiny and smallest_normal (the least positive normal number) and
    resolution (10 ** -digits)."""

    def __init__(self, type=None):
        dtype = wick.get_default_dtype() if type is None else type
        if not isinstance(dtype, wick.dtype) or not dtype.is_floating_point:
            raise TypeError(f"finfo() requires a floating point input type, got {dtype}; use wick.iinfo for "
                            f"integer types")
        self.dtype = _name(dtype)
        self.bits, self.eps, self.max, self.tiny, self.resolution = _FLOATS[self.dtype]
        self.min = -self.max
        self.smallest_normal = self.tiny

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("finfo", self.dtype))

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype: bits, min and max."""

    def __init__(self, type):
        if not isinstance(type, wick.dtype) or type.is_floating_point or type == wick.bool:
            raise TypeError(f"iinfo() requires an integer input type, got {type}; use wick.finfo for floating "
                            f"point types")
        self.dtype = _name(type)
        self.bits, signed = _INTS[self.dtype]
        self.min = -(1 << (self.bits - 1)) if signed else 0
        self.max = (1 << (self.bits - 1)) - 1 if signed else (1 << self.bits) - 1

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(("iinfo", self.dtype))

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
