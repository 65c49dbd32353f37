"""wick.nn.utils: helpers around training, as torch.nn.utils."""
from wick.nn.utils import rnn
from wick.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
