"""wick.nn.utils: helpers around training, as torch.nn.utils."""
from wick.nn.utils import rnn
from wick.nn.utils import parametrizations, parametrize, stateless
from wick.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from wick.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from wick.nn.utils.fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from wick.nn.utils.init import skip_init
from wick.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from wick.nn.utils.total_norm import clip_grads_with_norm_, get_total_norm
from wick.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm", "rnn",
           "parameters_to_vector", "vector_to_parameters", "weight_norm", "remove_weight_norm", "spectral_norm",
           "remove_spectral_norm", "parametrize", "parametrizations", "stateless", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init"]
