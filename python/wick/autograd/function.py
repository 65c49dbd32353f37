"""Custom differentiable operations, written in Python.

    class Exp(wick.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    y = Exp.apply(x)          # y.grad_fn is an ExpBackward object

forward runs without recording a graph; apply records one node for the whole
call (Note [Custom Function nodes] in python/csrc/autograd.cpp), whose backward
calls yours. backward returns one gradient per argument of forward (None for
arguments that are not tensors or need none). When it is written with wick ops,
it is itself differentiable (create_graph=True, gradients of gradients).
"""
import functools

from wick import _C

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What forward and backward share: the methods below, plus any attribute
    forward sets (ctx.scale = 2). ``ctx.needs_input_grad`` is a tuple of bools,
    one per argument of forward: whether backward must compute that gradient."""

    def save_for_backward(self, *tensors):
        """Keeps tensors (inputs, outputs or intermediates of forward, or None)
        for backward, which reads them back as ``ctx.saved_tensors``. Reading
        raises an error if one was modified in place after forward; saving
        through here rather than as a ctx attribute also frees them after
        backward and avoids a reference cycle through saved outputs."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _C.Tensor):
                raise TypeError(f"save_for_backward can only save tensors or None, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        """Declares input tensors that forward modified in place; each must
        also be returned by forward. They take this Function as their history."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declares outputs that have no gradient (indices, masks...): they do
        not require grad, and backward receives zeros (or None) for them.
        Outputs of integer or bool dtype are never differentiable."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """With True (the default), backward receives zero tensors for outputs
        whose gradient is unknown; with False, None."""
        self.materialize_grads = bool(value)


class BackwardCFunction(_C._FunctionBase, FunctionCtx):
    """The ctx of one call, which is also the grad_fn of its outputs."""


class FunctionMeta(type):
    """Gives each Function subclass its node class, named <ClassName>Backward."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=FunctionMeta):
    """Base class of custom differentiable operations: subclass it, write the
    static methods forward(ctx, *args) and backward(ctx, *grad_outputs), and
    call the operation as ``MyFunction.apply(*args)``.

    backward receives one gradient per output of forward and returns one per
    argument of forward (None where there is none). See the module docstring
    for an example."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: y = MyFunction.apply(x))")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Computes the outputs from the arguments (no graph is recorded here)."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Maps the gradients of the outputs to the gradients of the arguments."""
        raise NotImplementedError("You must implement the backward function for custom autograd.Function to "
                                  "use it with backward mode AD.")

    @classmethod
    def apply(cls, *args):
        """Runs forward on args and records the backward; returns forward's result."""
        if cls.forward is Function.forward:
            raise NotImplementedError("You must implement the forward function for custom autograd.Function.")
        return _C._function_apply(cls, *args)


def once_differentiable(backward):
    """Decorates a backward that is not itself differentiable (it uses
    non-wick code, e.g. NumPy): it runs without recording a graph, and a
    double backward through it raises an error instead of a wrong result."""

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)
        try:
            results = backward(ctx, *grads)
        finally:
            _C._set_grad_enabled(prev)
        # A recorded backward (create_graph) would need a graph through this
        # one: the results get one whose backward raises instead.
        deps = tuple(g for g in grads if isinstance(g, _C.Tensor) and g.requires_grad)
        if not prev or not deps:
            return results
        single = not isinstance(results, tuple)
        results = (results,) if single else results
        out = tuple(_DelayedError.apply(r, *deps) if isinstance(r, _C.Tensor) and r.is_floating_point() else r
                    for r in results)
        return out[0] if single else out

    return wrapper


class _DelayedError(Function):
    # x itself, recorded as depending on `deps`; differentiating it raises.
    @staticmethod
    def forward(ctx, x, *deps):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")
