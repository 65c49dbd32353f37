"""wick.autograd.graph: the autograd graph as a picture.

    out = model(x)
    dot = wick.autograd.graph.to_dot(out, params=dict(model.named_parameters()))
    open("graph.dot", "w").write(dot)      # then: dot -Tsvg graph.dot -o graph.svg

The picture torchviz draws for PyTorch, made by wick's C++ core
(autograd/graph_dot.h): one grey box per grad_fn node (``AddmmBackward0``)
with the bytes of the tensors it saved for backward, one blue box per leaf
that requires grad, with its parameter name and shape, and a green box for
each output with its shape. Edges follow the forward pass, from each op's
inputs to the op.
"""
from wick import _C

__all__ = ["to_dot"]


def to_dot(output, params=None):
    """Graphviz DOT text of the autograd graph that produced ``output``.

    Args:
        output (Tensor or sequence of Tensors): the result(s) whose graph to draw.
        params (dict or iterable of (name, Tensor) pairs, optional): names for
            the leaf tensors, e.g. ``dict(model.named_parameters())``. Leaves
            not named here show the name set with ``Tensor.name`` if any, else
            their shape alone.

    Saved-tensor sizes are read when ``to_dot`` runs: after a ``backward()``
    without ``retain_graph`` they are 0, as the engine has freed them.
    """
    roots = [output] if isinstance(output, _C.Tensor) else list(output)
    for i, t in enumerate(roots):
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"to_dot(): output must be a Tensor or a sequence of Tensors, but element {i} "
                            f"is {type(t).__name__}")
    items = [] if params is None else (params.items() if isinstance(params, dict) else params)
    named = []
    for entry in items:
        try:
            name, tensor = entry
        except (TypeError, ValueError):
            raise TypeError("to_dot(): params must be a dict of name -> Tensor or an iterable of (name, Tensor) "
                            f"pairs, but got an entry of type {type(entry).__name__}") from None
        if not isinstance(tensor, _C.Tensor):
            raise TypeError(f"to_dot(): params[{name!r}] must be a Tensor, but got {type(tensor).__name__}")
        named.append((str(name), tensor))
    return _C._graph_to_dot(roots, named)
