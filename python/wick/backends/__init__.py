"""wick.backends: switches of the backends' libraries, under PyTorch's names
(torch.backends). Only wick.backends.cuda.matmul.allow_tf32 exists so far."""
from wick.backends import cuda

__all__ = ["cuda"]
