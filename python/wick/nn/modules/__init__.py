"""The layers of wick.nn, one file per family as in torch/nn/modules; each
file's ``__all__`` lists what it adds to wick.nn."""
from wick.nn.modules import (activation, batchnorm, container, conv, dropout, flatten, fold, instancenorm, lazy,
                             linear, loss, module, normalization, padding, pixelshuffle, pooling, rnn, sparse,
                             transformer, upsampling)

__all__ = []
for _family in (module, linear, flatten, conv, lazy, pooling, padding, fold, pixelshuffle, upsampling, batchnorm,
                instancenorm, normalization, dropout, sparse, rnn, transformer, container, activation, loss):
    globals().update({name: getattr(_family, name) for name in _family.__all__})
    __all__ += _family.__all__
del _family
