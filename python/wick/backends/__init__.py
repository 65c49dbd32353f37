"""wick.backends: the backends' libraries and switches, under PyTorch's names
(torch.backends): wick.backends.cpu.info() and get_cpu_capability(), and
wick.backends.cuda.matmul.allow_tf32."""
from wick.backends import cpu, cuda

__all__ = ["cpu", "cuda"]
