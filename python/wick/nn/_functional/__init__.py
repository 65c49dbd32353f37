"""The parts of wick.nn.functional beyond its first file, one per family
(activation, loss, pooling, normalization, conv); wick.nn.functional
re-exports each one's ``__all__``."""
