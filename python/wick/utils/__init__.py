"""wick.utils: helpers around the core library (wick.utils.data: datasets and the DataLoader)."""
from wick.utils import data

__all__ = ["data"]
