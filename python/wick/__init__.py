"""wick: a PyTorch-style tensor library with a dynamic autograd graph.

    import wick
    a = wick.tensor([2.0], requires_grad=True)
    b = wick.tensor([1.0], requires_grad=True)
    e = (a + b) * (b + 1)        # e.grad_fn: <MulBackward0>
    e.backward()
    a.grad, b.grad               # (tensor([2.]), tensor([5.]))

Tensors, ops and the autograd engine are C++ (the extension wick._C); this
package is the Python around them: dtypes and devices, wick.Size, grad-mode
context managers, wick.autograd and wick.cuda. PyTorch code that stays
within the supported ops runs after ``import wick as torch``.
"""
from wick import _C
from wick._C import Tensor, device, dtype
from wick._size import Size
from wick import return_types
from wick import autograd
from wick import cuda
from wick import __config__, backends
from wick.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from wick.serialization import load, save

__version__ = "0.1.0"

Tensor.__module__ = "wick"
dtype.__module__ = "wick"
device.__module__ = "wick"

# Every public name of the extension: the ops (wick.exp, wick.matmul ...),
# the factories (wick.zeros, wick.tensor ...), the dtypes and global state
# (manual_seed, memory_allocated ...). New bindings appear here by themselves.
__all__ = ["Tensor", "Size", "device", "dtype", "autograd", "cuda", "return_types", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled"]
__all__ += ["save", "load"]
for _name in dir(_C):
    if not _name.startswith("_") and _name not in globals():
        globals()[_name] = getattr(_C, _name)
        __all__.append(_name)
del _name

# dtype aliases, as in PyTorch. They shadow the builtins float, int, bool
# inside this module, so nothing below may use those.
float = _C.float32
double = _C.float64
half = _C.float16
long = _C.int64
int = _C.int32
__all__ += ["float", "double", "half", "long", "int"]


def is_tensor(obj):
    """True when obj is a wick.Tensor (or a subclass such as nn.Parameter)."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements of input (the product of its sizes)."""
    return input.numel()


def is_floating_point(input):
    """True when input's dtype is float16, bfloat16, float32 or float64."""
    return input.is_floating_point()


__all__ += ["is_tensor", "numel", "is_floating_point"]

from wick._type_info import finfo, iinfo  # noqa: E402

__all__ += ["finfo", "iinfo"]

# Aliases, function forms of in-place methods, in-place forms and random fills written over the ops above.
import sys as _sys  # noqa: E402

from wick import _forms  # noqa: E402

__all__ += _forms.install(_sys.modules[__name__])

# Tensor methods composed of the ops above: in-place comparisons, shifts, cov, scatter_reduce, real-tensor
# forms of the complex methods, metadata predicates, legacy methods (python/wick/_methods.py).
from wick import _methods  # noqa: E402

__all__ += _methods.install(_sys.modules[__name__])

# Subpackages that use the names above: wick.utils.data (Dataset, DataLoader)
# and wick.datasets (FashionMNIST, MNIST, TextCorpus).
from wick import datasets, utils  # noqa: E402
from wick import optim  # noqa: E402  (wick.optim: optimizers and lr schedulers)
from wick import nn  # noqa: E402  (wick.nn: modules, layers, functional, init)
from wick import special  # noqa: E402  (wick.special: torch.special's names over the ops above)
from wick import linalg  # noqa: E402  (wick.linalg: torch.linalg, LAPACK / cuSOLVER)
from wick import distributions  # noqa: E402  (wick.distributions: torch.distributions)
from wick import func  # noqa: E402  (wick.func: grad, vjp, jvp, jacrev, hessian, vmap, functional_call)

__all__ += linalg._install(_sys.modules[__name__])

# torch.* spellings of functions wick.nn.functional defines (torch.selu, torch.alpha_dropout ...); the dropouts
# take `train` there, as in PyTorch.
from wick.nn._functional import activation as _activation  # noqa: E402

celu, selu, threshold = nn.functional.celu, nn.functional.selu, nn.functional.threshold
celu_, selu_, threshold_ = nn.functional.celu_, nn.functional.selu_, nn.functional.threshold_


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Randomized leaky ReLU (nn.functional.rrelu)."""
    if generator is not None:
        raise NotImplementedError("rrelu: a generator argument is not supported; it uses the global generator")
    return nn.functional.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """rrelu in place; returns input."""
    if generator is not None:
        raise NotImplementedError("rrelu_: a generator argument is not supported; it uses the global generator")
    return nn.functional.rrelu(input, lower, upper, training, inplace=True)


def _dropout_form(name, feature, alpha):
    def fn(input, p, train):
        _activation._check_p(p)
        return _activation._dropout(name, input, p, train, inplace=name.endswith("_"), feature=feature, alpha=alpha)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"{name}(input, p, train): {'alpha ' if alpha else ''}dropout"
                  f"{' of whole channels (input[n, c])' if feature else ''}; the identity unless train.")
    return fn


alpha_dropout = _dropout_form("alpha_dropout", False, True)
alpha_dropout_ = _dropout_form("alpha_dropout_", False, True)
feature_alpha_dropout = _dropout_form("feature_alpha_dropout", True, True)
feature_alpha_dropout_ = _dropout_form("feature_alpha_dropout_", True, True)
feature_dropout = _dropout_form("feature_dropout", True, False)
feature_dropout_ = _dropout_form("feature_dropout_", True, False)
__all__ += ["celu", "celu_", "selu", "selu_", "threshold", "threshold_", "rrelu", "rrelu_", "alpha_dropout",
            "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_", "feature_dropout", "feature_dropout_"]

# PyTorch's compatibility surface: wick.accelerator (torch.accelerator), the legacy tensor types
# (wick.FloatTensor ..., wick.cuda.FloatTensor ...), set_default_tensor_type (python/wick/_legacy_types.py).
from wick import accelerator  # noqa: E402
from wick import _legacy_types  # noqa: E402

__all__ += ["accelerator"] + _legacy_types.install(_sys.modules[__name__])

# wick.profiler (torch.profiler): records the ops above while a profile is active (python/wick/profiler/).
from wick import profiler  # noqa: E402

__all__ += ["multiprocessing", "distributed"]


def __getattr__(name):
    # wick.multiprocessing (torch.multiprocessing) and wick.distributed load on first use: Python's
    # multiprocessing and socket modules cost ~25 ms to import, which a program that never starts a process
    # should not pay.
    if name in ("multiprocessing", "distributed"):
        import importlib
        return importlib.import_module("wick." + name)
    raise AttributeError(f"module 'wick' has no attribute {name!r}")
