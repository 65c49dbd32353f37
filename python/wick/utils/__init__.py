"""wick.utils: helpers around the core library (wick.utils.data: datasets and the DataLoader;
wick.utils.checkpoint: activation checkpointing; wick.utils.dlpack)."""
from wick.utils import checkpoint, data, dlpack

__all__ = ["checkpoint", "data", "dlpack"]
