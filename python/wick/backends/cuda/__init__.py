"""wick.backends.cuda: switches of the CUDA backend (torch.backends.cuda).

``wick.backends.cuda.matmul.allow_tf32``: whether float32 matrix products on
CUDA (matmul, mm, bmm, linear, conv) may use TF32 tensor cores, which round
their inputs to a 10-bit mantissa (about 1e-3 relative error) and run several
times faster. False by default, as in PyTorch since 1.12. Process-wide; read at
each product, so it applies from the next one. It exists in every build, and
changes nothing where no product runs on CUDA."""
from wick import _C

__all__ = ["matmul"]


class _CublasModule:
    """The cuBLAS switches (torch.backends.cuda.matmul); only allow_tf32 so far."""

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

    def __repr__(self):
        return f"wick.backends.cuda.matmul(allow_tf32={self.allow_tf32})"


matmul = _CublasModule()
