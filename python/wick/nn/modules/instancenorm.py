import warnings

from wick.nn import functional as F
from wick.nn.modules.batchnorm import _LazyNormMixin, _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """Instance normalization: each channel of each sample normalized over its
    spatial dims. Without affine (the default) there are no parameters;
    with track_running_stats the running statistics are updated in training
    and used in eval. An input without the batch dim is one sample."""

    _no_batch_dim = None  # the input dims of an unbatched sample

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def _check_input_dim(self, input):
        if input.dim() not in (self._no_batch_dim, self._no_batch_dim + 1):
            raise ValueError(f"expected {self._no_batch_dim}D or {self._no_batch_dim + 1}D input (got "
                             f"{input.dim()}D input)")

    def _feature_dim(self, input):
        return input.dim() - self._no_batch_dim

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = self._feature_dim(input)
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False")
        batched = input.dim() != self._no_batch_dim
        x = input if batched else input.unsqueeze(0)
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if batched else out.squeeze(0)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # Checkpoints from before version 1 may hold running statistics of a layer that does not track them.
        if local_metadata.get("version") is None and not self.track_running_stats:
            for name in ("running_mean", "running_var"):
                if prefix + name in state_dict:
                    state_dict.pop(prefix + name)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class InstanceNorm1d(_InstanceNorm):
    """Input [N, C, L] or [C, L]."""

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Input [N, C, H, W] or [C, H, W]."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Input [N, C, D, H, W] or [C, D, H, W]."""

    _no_batch_dim = 4


class _LazyInstanceNorm(_LazyNormMixin):
    """The lazy instance norms' constructor: InstanceNorm{1,2,3}d's arguments less num_features."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None, dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype)
        self._make_lazy()


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """InstanceNorm1d whose num_features is inferred from the input's channel dim on the first call."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """InstanceNorm2d whose num_features is inferred from the input's channel dim on the first call."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """InstanceNorm3d whose num_features is inferred from the input's channel dim on the first call."""

    cls_to_become = InstanceNorm3d
