"""Weight normalisation by a forward pre-hook, as torch.nn.utils.weight_norm
(deprecated in PyTorch in favour of nn.utils.parametrizations.weight_norm):
the parameter ``name`` is replaced by a magnitude ``name_g`` and a direction
``name_v``, and recomputed as g * v / ||v|| before every forward."""
import warnings

from wick.nn.parameter import Parameter
from wick.nn.utils._norm_hooks import check_initialized, check_no_hook, remove_hook

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm of v over every dim but ``dim``, shaped to broadcast against v
    (the norm of all of v for dim=-1), as torch.norm_except_dim."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.dim()
    dims = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dim=dims, keepdim=True) if dims else v.abs() if pow != 0 else (v != 0).to(v.dtype)


def _weight_norm(v, g, dim):
    """v * g / ||v|| (the norm over every dim but dim), as torch._weight_norm."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The hook of weight_norm on one parameter: recomputes it from ``name_g`` and ``name_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        check_no_hook(module, WeightNorm, name, "weight_norm")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        check_initialized(weight, WeightNorm, "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    r"""Splits the parameter ``name`` of ``module`` into a magnitude
    ``name_g`` (its norm over every dim but ``dim``; over all with dim=None)
    and a direction ``name_v``, and recomputes ``name`` = g * v / ||v|| before
    each forward. Returns the module. Deprecated in PyTorch (with a
    FutureWarning, as here) for :func:`wick.nn.utils.parametrizations.weight_norm`."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    r"""Undoes :func:`weight_norm`: ``name`` becomes a plain parameter again, of its current value."""
    return remove_hook(module, WeightNorm, name, "weight_norm")
