"""Spectral normalisation by a forward pre-hook, as torch.nn.utils.spectral_norm:
the weight is divided by its largest singular value, estimated by power
iteration (one step per training forward) with vectors kept as buffers."""
from wick import _C
import wick
from wick.nn import functional as F
from wick.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from wick.nn.parameter import Parameter
from wick.nn.utils._norm_hooks import check_initialized, check_no_hook, remove_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _check_n_power_iterations(n_power_iterations):
    if n_power_iterations <= 0:
        raise ValueError("Expected n_power_iterations to be positive, but got "
                         f"n_power_iterations={n_power_iterations}")


def _default_dim(module):
    """The dim of the output channels: 1 for a transposed convolution, else 0."""
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


class SpectralNorm:
    """The hook of spectral_norm on one parameter: ``name_orig`` is the
    parameter, ``name_u`` and ``name_v`` the power iteration's vectors."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        _check_n_power_iterations(n_power_iterations)
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        """The weight as [size(dim), everything else]."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.dim()) if d != self.dim])
        return weight.reshape(weight.size(0), -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with wick.no_grad():
                for _ in range(self.n_power_iterations):
                    # In place: the buffers carry the estimate from one forward to the next.
                    v.copy_(F.normalize(_C.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(_C.mv(weight_mat, v), dim=0, eps=self.eps))
                # Copies: the buffers change in the next forward, but this graph keeps these values.
                u = u.clone()
                v = v.clone()
        sigma = _C.dot(u, _C.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with wick.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        check_no_hook(module, SpectralNorm, name, "spectral_norm")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        check_initialized(weight, SpectralNorm, "spectral normalization")
        with wick.no_grad():
            weight_mat = fn.reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # A plain attribute until the first forward recomputes it (weight.data: no graph to the parameter).
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Divides the parameter ``name`` of ``module`` by its spectral norm (largest
    singular value of it as a [size(dim), -1] matrix) before each forward,
    estimated by ``n_power_iterations`` steps of power iteration per training
    forward. ``dim`` defaults to 1 for transposed convolutions, else 0. The
    parameter becomes ``name_orig``; the vectors are the buffers ``name_u`` and
    ``name_v``. Returns the module."""
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    r"""Undoes :func:`spectral_norm`: ``name`` becomes a plain parameter again, of
    its current (normalised) value."""
    return remove_hook(module, SpectralNorm, name, "spectral_norm")
