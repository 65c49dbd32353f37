"""gradcheck and gradgradcheck: compare the gradients autograd computes with
central finite differences (the comparison itself is wick::gradcheck, C++)."""
from wick import _C
from wick.autograd.grad_mode import enable_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """An analytical gradient disagrees with its numerical estimate."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _flat_output(out):
    # Several outputs are checked as one: their flattened concatenation has
    # the same Jacobian rows.
    outs = [o for o in _as_tuple(out) if isinstance(o, _C.Tensor)]
    if not outs:
        raise ValueError(f"gradcheck expects the function to return a Tensor or a tuple of Tensors, got {type(out).__name__}")
    if len(outs) == 1:
        return outs[0]
    return _C.cat([o.reshape(-1).to(_C.float64) for o in outs])


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the gradients of ``func(*inputs)`` with respect to every input
    tensor that requires grad (those must be float64). Returns True, or raises
    GradcheckError naming the first mismatch (returns False instead when
    raise_exception is False)."""
    inputs = _as_tuple(inputs)
    positions = [i for i, x in enumerate(inputs) if isinstance(x, _C.Tensor)]
    if not any(inputs[i].requires_grad for i in positions):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")

    def fn(tensors):
        args = list(inputs)
        for i, t in zip(positions, tensors):
            args[i] = t
        return _flat_output(func(*args))

    try:
        return _C._gradcheck(fn, [inputs[i] for i in positions], eps, atol, rtol)
    except RuntimeError as e:
        if not str(e).startswith("gradcheck: Jacobian mismatch"):
            raise
        if not raise_exception:
            return False
        raise GradcheckError(str(e)) from None


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks second derivatives: gradcheck of the map (inputs, grad_outputs)
    -> autograd.grad(func(*inputs), inputs, grad_outputs, create_graph=True).
    Without grad_outputs, random float64 ones are used."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, _C.Tensor) and o.requires_grad]
        grad_outputs = tuple(_C.randn_like(o, dtype=_C.float64).requires_grad_() for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n = len(grad_outputs)

    def first_derivatives(*args):
        # gradcheck evaluates this without grad mode for its finite differences;
        # the first derivatives need the graph all the same.
        with enable_grad():
            inp, gos = args[:-n], args[-n:]
            outs = [o for o in _as_tuple(func(*inp)) if isinstance(o, _C.Tensor) and o.requires_grad]
            wrt = [x for x in inp if isinstance(x, _C.Tensor) and x.requires_grad]
            grads = _C._grad(outs, wrt, list(gos), True, True, True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
