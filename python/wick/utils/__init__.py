"""wick.utils: helpers around the core library (wick.utils.data: datasets and the DataLoader; wick.utils.dlpack)."""
from wick.utils import data, dlpack

__all__ = ["data", "dlpack"]
