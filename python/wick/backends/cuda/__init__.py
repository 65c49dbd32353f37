"""wick.backends.cuda: switches of the CUDA backend (torch.backends.cuda).

``wick.backends.cuda.matmul.allow_tf32``: whether float32 matrix products on
CUDA (matmul, mm, bmm, linear, conv) may use TF32 tensor cores, which round
their inputs to a 10-bit mantissa (about 1e-3 relative error) and run several
times faster. False by default, as in PyTorch since 1.12. Process-wide; read at
each product, so it applies from the next one. It exists in every build, and
changes nothing where no product runs on CUDA.

``wick.backends.cuda.matmul.allow_fp16_reduced_precision_reduction``
(default True, as in PyTorch) permits float16 products to sum partial results
in float16. It is a permission that wick never uses: no float16 product runs on
cuBLAS (CUDA matmul takes float32, float64 and the integer dtypes), so both
values hold. ``is_built()`` says whether wick was built with its CUDA backend."""
from wick import _C

__all__ = ["matmul", "is_built"]


def is_built():
    """Whether wick was built with its CUDA backend. A build may have it and
    still find no usable GPU: wick.cuda.is_available() says whether one is."""
    return bool(_C._built_with_cuda)


# The permission described above; wick keeps it only to read it back.
_allow_fp16_reduced_precision_reduction = True


class _CublasModule:
    """The cuBLAS switches (torch.backends.cuda.matmul): allow_tf32 and
    allow_fp16_reduced_precision_reduction."""

    __slots__ = ()

    @property
    def allow_tf32(self):
        """Whether float32 CUDA matrix products may use TF32 tensor cores (default False)."""
        return _C._cuda_allow_tf32()

    @allow_tf32.setter
    def allow_tf32(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"allow_tf32 must be a bool, got {type(value).__name__}")
        _C._cuda_set_allow_tf32(value)

    @property
    def allow_fp16_reduced_precision_reduction(self):
        """Whether float16 CUDA products may reduce in float16 (default True). A
        permission wick never uses: no float16 product runs on cuBLAS."""
        return _allow_fp16_reduced_precision_reduction

    @allow_fp16_reduced_precision_reduction.setter
    def allow_fp16_reduced_precision_reduction(self, value):
        global _allow_fp16_reduced_precision_reduction
        if not isinstance(value, bool):
            raise TypeError(f"allow_fp16_reduced_precision_reduction must be a bool, got {type(value).__name__}")
        _allow_fp16_reduced_precision_reduction = value

    def __repr__(self):
        return (f"wick.backends.cuda.matmul(allow_tf32={self.allow_tf32}, "
                f"allow_fp16_reduced_precision_reduction={self.allow_fp16_reduced_precision_reduction})")


matmul = _CublasModule()
