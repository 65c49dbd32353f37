import wick
from wick.nn import functional as F
from wick.nn import init
from wick.nn.modules.lazy import LazyModuleMixin
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter, UninitializedParameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d"]


class _NormBase(Module):
    """What batch and instance normalization share: a learnable weight (ones)
    and bias (zeros) of [num_features] when affine, and the buffers
    running_mean (zeros), running_var (ones) and num_batches_tracked when
    tracking statistics."""

    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(wick.empty(num_features, device=device, dtype=dtype))
            self.bias = Parameter(wick.empty(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", wick.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var", wick.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", wick.tensor(0, dtype=wick.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def _feature_dim(self, input):
        return 1

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # Checkpoints from before num_batches_tracked existed (PyTorch < 0.4.1) lack it.
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats:
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = wick.tensor(0, dtype=wick.long)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalization over the channel dim 1. Training mode normalizes
    with the batch statistics and updates the running ones (momentum None:
    a cumulative average); eval mode uses the running ones."""

    def forward(self, input):
        self._check_input_dim(input)
        average_factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                average_factor = 1.0 / float(self.num_batches_tracked)
        # Eval mode still uses batch statistics when there are no running ones.
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        pass_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if pass_running else None,
                            self.running_var if pass_running else None, self.weight, self.bias, use_batch_stats,
                            average_factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Input [N, C] or [N, C, L]."""

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Input [N, C, H, W]."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Input [N, C, D, H, W]."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class SyncBatchNorm(_BatchNorm):
    """Batch normalization whose statistics span every process of a
    distributed group. wick runs in one process, where it is BatchNorm over
    [N, C, *] (any number of trailing dims); process_group is kept for
    compatibility. convert_sync_batchnorm() swaps it in for the BatchNorm
    layers of a model."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm layer in it (itself included) replaced
        by a SyncBatchNorm holding the same parameters, buffers and mode."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                with wick.no_grad():
                    converted.weight = module.weight
                    converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
            if hasattr(module, "qconfig"):
                converted.qconfig = module.qconfig
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


class _LazyNormMixin(LazyModuleMixin):
    """num_features taken from the first input's channel dim (or from the
    first state dict loaded), through the lazy modules' mechanism
    (modules/lazy.py): weight and bias are UninitializedParameters and the
    running statistics empty until then; then the module becomes its non-lazy
    class (cls_to_become). As in PyTorch, run one forward pass (a dry run)
    before handing the parameters to an optimizer."""

    def _make_lazy(self):
        """Called at the end of a lazy class's __init__ (built with num_features 0)."""
        for name in ("weight", "bias"):
            param = getattr(self, name)
            if param is not None:
                setattr(self, name, UninitializedParameter(param.requires_grad, param.device, param.dtype))
        self._lazy_pending = True

    def has_uninitialized_params(self):
        """Whether num_features is still to be inferred (also without affine parameters)."""
        return self.__dict__.get("_lazy_pending", False) or super().has_uninitialized_params()

    def initialize_parameters(self, input):
        """Sizes the parameters and buffers from input's feature dim, and initialises them."""
        if self.has_uninitialized_params():
            if input.dim() <= self._feature_dim(input):
                raise ValueError(f"{type(self).__name__}: cannot infer num_features from an input of shape "
                                 f"{list(input.shape)}")
            self._materialize(input.size(self._feature_dim(input)))

    def _materialize(self, num_features):
        self.num_features = num_features
        for name in ("weight", "bias"):
            param = getattr(self, name)
            if param is not None:
                param.materialize((num_features,))
        with wick.no_grad():
            for name in ("running_mean", "running_var"):
                buf = getattr(self, name)
                if buf is not None:
                    setattr(self, name, wick.empty(num_features, dtype=buf.dtype, device=buf.device))
        self.__dict__.pop("_lazy_pending", None)
        self.reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if self.has_uninitialized_params():
            for name in ("weight", "running_mean"):
                value = state_dict.get(prefix + name)
                if isinstance(value, wick.Tensor) and value.dim() == 1:
                    self._materialize(value.size(0))
                    break
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class _LazyBatchNorm(_LazyNormMixin):
    """The lazy batch norms' constructor: BatchNorm{1,2,3}d's arguments less num_features."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        super().__init__(0, eps, momentum, affine, track_running_stats, device, dtype)
        self._make_lazy()


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """BatchNorm1d whose num_features is inferred from input.size(1) on the first call."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """BatchNorm2d whose num_features is inferred from input.size(1) on the first call."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm, BatchNorm3d):
    """BatchNorm3d whose num_features is inferred from input.size(1) on the first call."""

    cls_to_become = BatchNorm3d
