"""wick.autograd: reverse-mode automatic differentiation.

Every op on a tensor that requires grad records a node (its ``grad_fn``);
``backward`` runs the chain rule from a result back to the leaves and
accumulates into their ``.grad``; ``grad`` returns the gradients instead.
The engine is C++ (autograd/engine.cpp); these functions adapt its
arguments the way PyTorch's do. wick.autograd.functional has Jacobians,
Hessians and their vector products.
"""
from wick import _C
from wick.autograd.anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from wick.autograd.function import Function, FunctionCtx, once_differentiable
from wick.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_multithreading_enabled, no_grad,
                                     set_grad_enabled, set_multithreading_enabled)
from wick.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from wick.autograd.variable import Variable
from wick.autograd import functional, graph

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "gradcheck", "gradgradcheck",
           "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "Variable", "functional",
           "set_multithreading_enabled", "is_multithreading_enabled", "kineto_available", "variable", "is_view_replay_enabled"]


def kineto_available():
    """Whether the Kineto profiler is available: never in wick (False)."""
    return False


def _tensors(x, what):
    seq = (x,) if isinstance(x, _C.Tensor) else tuple(x)
    for t in seq:
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"{what} must be Tensors, but got an element of type {type(t).__name__}")
    return list(seq)


def _gradients(grads, n, what):
    # A length mismatch is left to the engine, which names both counts.
    if grads is None:
        return [None] * n
    grads = [grads] if isinstance(grads, _C.Tensor) else list(grads)
    for g in grads:
        if g is not None and not isinstance(g, _C.Tensor):
            raise TypeError(f"{what} must be Tensors or None, but got an element of type {type(g).__name__}")
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradient of sum_i <tensors[i], grad_tensors[i]> into the
    .grad of every leaf the tensors were computed from.

    Args:
        tensors (Tensor or sequence of Tensors): the roots.
        grad_tensors (Tensor or sequence of Tensors or None): the gradient of
            each root (the "vector" of the vector-Jacobian product); a scalar
            root's defaults to 1, other roots need one.
        retain_graph (bool, optional): keep the graph's saved tensors for
            another backward; defaults to create_graph.
        create_graph (bool): record the backward itself, so that the
            gradients can be differentiated again.
        inputs (Tensor or sequence of Tensors, optional): accumulate only into
            these tensors' .grad (non-leaves included) instead of every leaf.

    Example::

        >>> x = wick.tensor([1.0, 2.0], requires_grad=True)
        >>> wick.autograd.backward((x * x).sum())
        >>> x.grad
        tensor([2., 4.])
    """
    tensors = _tensors(tensors, "tensors")
    grads = _gradients(grad_tensors, len(tensors), "grad_tensors")
    if retain_graph is None:
        retain_graph = create_graph
    _C._backward(tensors, grads, bool(retain_graph), bool(create_graph), inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Returns the gradients of sum_i <outputs[i], grad_outputs[i]> with respect
    to each of inputs, as a tuple, without touching any .grad. An input the
    outputs do not depend on is an error unless allow_unused (then None).
    retain_graph defaults to create_graph; create_graph records the backward
    itself so that the gradients can be differentiated again."""
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    grads = _gradients(grad_outputs, len(outputs), "grad_outputs")
    return _C._grad(outputs, inputs, grads, retain_graph, bool(create_graph), bool(allow_unused))


def is_view_replay_enabled():
    """Whether autograd rebuilds views by replaying them (PyTorch's switch for
    backends without as_strided). wick's views always keep their base and
    strides, so it never replays: False."""
    return False


def variable(*args, **kwargs):
    """Deprecated in PyTorch, where it raises: use wick.tensor(...)."""
    raise RuntimeError("wick.autograd.variable(...) is deprecated, use wick.tensor(...) instead")

from wick.autograd import profiler  # noqa: E402  (torch.autograd.profiler: profile, record_function)
