"""Activation checkpointing, as torch.utils.checkpoint: trade compute for
memory by not keeping a function's intermediate results for backward, and
running the function again during backward to get them back.

    out = checkpoint(block, x, use_reentrant=False)
    out = checkpoint_sequential(model, 4, x, use_reentrant=False)

Both of PyTorch's variants are here:

* ``use_reentrant=True`` runs the function without recording a graph; its
  backward runs it again with grad mode on and calls ``backward`` inside the
  outer backward, accumulating into the ``.grad`` of the parameters it uses.
  Like PyTorch's, it works with ``backward()`` only (not ``autograd.grad``
  or ``backward(inputs=...)``) and needs an input that requires grad.
* ``use_reentrant=False`` records, for the output, one node whose edges go to
  the tensor arguments and to every leaf tensor the function used (its
  parameters, found from the graph of the first run, which is then dropped);
  that node's backward reruns the function and returns all their gradients.
  It works with ``autograd.grad``, ``backward(inputs=...)`` and keyword
  arguments, and is differentiable again (create_graph=True). Differences
  from PyTorch's: the first run records a graph (freed before checkpoint
  returns, so only the forward's peak memory is higher), the whole function
  is rerun (no early stop), and a function may not use a non-leaf tensor
  that requires grad unless it is passed as an argument (an error says so).

With ``preserve_rng_state`` (the default) the CPU generator's state is saved
before the forward and restored for the rerun, so dropout draws the same
mask. wick cannot yet read the state of a GPU's default generator, so random
ops on CUDA tensors draw new numbers when rerun; checkpoint warns then.
"""
import contextlib
import functools
import warnings

from wick import _C
from wick.autograd.function import Function
from wick.autograd.grad_mode import enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "noop_context_fn", "detach_variable",
           "check_backward_validity"]


class CheckpointError(RuntimeError):
    """The rerun of a checkpointed function did not reproduce its forward."""


def noop_context_fn():
    """The default context_fn: two contexts that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """The tuple ``inputs`` with each tensor replaced by a detached copy that
    requires grad as the original did (non-tensors kept)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, _C.Tensor) else x for x in inputs)


def check_backward_validity(inputs):
    """Warns when no tensor of inputs requires grad (the reentrant
    checkpoint then gives no gradients)."""
    if not any(x.requires_grad for x in inputs if isinstance(x, _C.Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)


class _RngState:
    """The CPU generator's state at the forward, to replay random ops."""

    def __init__(self, tensors, preserve):
        self.state = _C.get_rng_state() if preserve else None
        if preserve and any(t.device.type != "cpu" for t in tensors):
            warnings.warn("checkpoint: wick cannot save the CUDA generators' state yet, so random ops on the GPU "
                          "(dropout) draw different numbers when the checkpointed function is rerun in backward; "
                          "pass preserve_rng_state=False to silence this", UserWarning, stacklevel=4)

    @contextlib.contextmanager
    def replay(self):
        """Runs its block from the saved state, then puts the current one back."""
        if self.state is None:
            yield
            return
        current = _C.get_rng_state()
        _C.set_rng_state(self.state)
        try:
            yield
        finally:
            _C.set_rng_state(current)


def _as_outputs(out):
    """(whether out was a single tensor, the outputs as a tuple)."""
    if isinstance(out, _C.Tensor):
        return True, (out,)
    if isinstance(out, (tuple, list)):
        return False, tuple(out)
    raise TypeError(f"checkpoint: the function must return a Tensor or a tuple of them, but returned "
                    f"{type(out).__name__}")


class _ReentrantCheckpoint(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng = _RngState([a for a in args if isinstance(a, _C.Tensor)], preserve_rng_state)
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, _C.Tensor)]
        ctx.inputs = [None if isinstance(a, _C.Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_indices))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grad_outputs):
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with ctx.rng.replay():
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        _, outputs = _as_outputs(outputs)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if isinstance(o, _C.Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        # As PyTorch's: a plain backward (not recorded), into the .grad of the
        # leaves the function used and of the detached inputs.
        _C._backward([o for o, _ in pairs], [g for _, g in pairs], False, False, None)
        return (None, None) + tuple(x.grad if isinstance(x, _C.Tensor) else None for x in detached)


def _leaf_key(t):
    return (t.data_ptr(), tuple(t.shape), tuple(t.stride()), str(t.dtype), str(t.device))


def _graph_leaves(outputs, start_nr):
    """The leaf tensors (AccumulateGrad variables) the outputs' graph reaches;
    an error at a node recorded before start_nr (a non-leaf made outside)."""
    leaves, seen = [], set()
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    visited = set()  # sequence numbers: the Python objects for a node are made afresh on each access
    while stack:
        node = stack.pop()
        if node._sequence_nr in visited:
            continue
        visited.add(node._sequence_nr)
        if hasattr(node, "variable"):
            leaf = node.variable
            key = _leaf_key(leaf)
            if key not in seen:
                seen.add(key)
                leaves.append(leaf)
            continue
        if node._sequence_nr < start_nr:
            raise RuntimeError("checkpoint(use_reentrant=False): the function uses a tensor that requires grad and "
                               f"was computed outside it (through {node.name()}) without taking it as an argument; "
                               "pass that tensor as an argument of the function")
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return leaves


def _sequence_mark():
    with enable_grad():
        probe = _C.zeros((), requires_grad=True) * 1
    return probe.grad_fn._sequence_nr + 1


class _NonReentrantCheckpoint(Function):
    # Arguments: the checkpoint's state, then the tensors that get gradients
    # (the function's tensor arguments, then the leaves it used).
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        ctx.save_for_backward(*tensors)
        return state.pop_outputs()

    @staticmethod
    def backward(ctx, *grad_outputs):
        state = ctx.state
        tensors = ctx.saved_tensors
        n_args = len(state.tensor_positions)
        create_graph = _C.is_grad_enabled()  # the engine's grad mode is create_graph
        # Under create_graph the copies stay connected to the arguments, so
        # that the gradients are differentiable with respect to them.
        with enable_grad():
            arg_copies = [t.view_as(t) if create_graph and t.requires_grad
                          else t.detach().requires_grad_(t.requires_grad) for t in tensors[:n_args]]
        leaves = list(tensors[n_args:])
        with state.rng.replay(), enable_grad(), state.recompute_context():
            outputs = state.rerun(arg_copies)
        state.check_determinism(outputs)
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad and g is not None]
        wrt = [(i, t) for i, t in enumerate(arg_copies + leaves) if t.requires_grad]
        grads = [None] * len(tensors)
        if pairs and wrt:
            found = _C._grad([o for o, _ in pairs], [t for _, t in wrt], [g for _, g in pairs], create_graph,
                             create_graph, True)
            for (i, _), g in zip(wrt, found):
                grads[i] = g
        return (None,) + tuple(grads)


class _CheckpointState:
    """What the non-reentrant node keeps: the function, its non-tensor
    arguments, the RNG state, and the outputs' metadata (not their values)."""

    def __init__(self, function, args, kwargs, rng, context_fn, determinism_check):
        self.function = function
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.tensor_positions = ([("a", i) for i, a in enumerate(args) if isinstance(a, _C.Tensor)]
                                 + [("k", k) for k, v in kwargs.items() if isinstance(v, _C.Tensor)])
        for where, key in self.tensor_positions:  # the saved tensors stand in for them
            (self.args if where == "a" else self.kwargs)[key] = None
        self.rng = rng
        self.context_fn = context_fn
        self.determinism_check = determinism_check
        self.outputs = None
        self.metadata = None

    def call(self, tensors, context):
        args, kwargs = list(self.args), dict(self.kwargs)
        for (where, key), t in zip(self.tensor_positions, tensors):
            (args if where == "a" else kwargs)[key] = t
        with context:
            return self.function(*args, **kwargs)

    def rerun(self, tensors):
        _, outputs = _as_outputs(self.call(tensors, contextlib.nullcontext()))
        return [o for o in outputs if isinstance(o, _C.Tensor)]

    def recompute_context(self):
        return self.context_fn()[1]

    def pop_outputs(self):
        outputs, self.outputs = self.outputs, None
        return outputs

    def check_determinism(self, outputs):
        if self.determinism_check == "none":
            return
        metadata = [(tuple(o.shape), o.dtype, o.device) for o in outputs]
        if metadata != self.metadata:
            raise CheckpointError("torch.utils.checkpoint: Recomputed values have different metadata than during "
                                  f"the forward pass.\nforward: {self.metadata}\nrecomputed: {metadata}")


def _checkpoint_without_reentrant(function, args, kwargs, preserve_rng_state, context_fn, determinism_check):
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check!r}")
    if not _C.is_grad_enabled():  # no graph to make: nothing to checkpoint
        with context_fn()[0]:
            return function(*args, **kwargs)
    tensors = [a for a in args if isinstance(a, _C.Tensor)] + [v for v in kwargs.values() if isinstance(v, _C.Tensor)]
    rng = _RngState(tensors, preserve_rng_state)
    state = _CheckpointState(function, args, kwargs, rng, context_fn, determinism_check)
    copies = [t.detach().requires_grad_(t.requires_grad) for t in tensors]
    start = _sequence_mark()
    with enable_grad():
        out = state.call(copies, context_fn()[0])
    single, outputs = _as_outputs(out)
    tensor_outputs = [o for o in outputs if isinstance(o, _C.Tensor)]
    copy_keys = {_leaf_key(c) for c in copies}
    leaves = [leaf for leaf in _graph_leaves(tensor_outputs, start) if _leaf_key(leaf) not in copy_keys]
    del copies  # with the outputs' graph below: the intermediates go now
    state.metadata = [(tuple(o.shape), o.dtype, o.device) for o in tensor_outputs]
    detached = [o.detach() for o in tensor_outputs]
    del tensor_outputs
    if not any(t.requires_grad for t in tensors + leaves):
        results = detached
    else:
        state.outputs = tuple(detached)
        results = _NonReentrantCheckpoint.apply(state, *tensors, *leaves)
        results = [results] if isinstance(results, _C.Tensor) else list(results)
    it = iter(results)
    rebuilt = [next(it) if isinstance(o, _C.Tensor) else o for o in outputs]
    if single:
        return rebuilt[0]
    return type(out)(rebuilt) if isinstance(out, tuple) else rebuilt


def _default_use_reentrant(caller):
    """PyTorch's default for an omitted use_reentrant (True), with its
    warning, pointed at the code that called ``caller``."""
    warnings.warn(f"{caller}: the use_reentrant parameter should be passed explicitly. use_reentrant=False is "
                  "recommended, but if you need to preserve the current default behavior, you can pass "
                  "use_reentrant=True.", UserWarning, stacklevel=3)
    return True


def _check_no_kwargs(kwargs):
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))


def checkpoint(function=None, *args, use_reentrant=None, preserve_rng_state=True, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping its intermediate
    results for backward; backward runs it again to get them back. The
    outputs and every gradient are those of running the function directly.

    Args:
        function: the function (a module, for instance); if omitted, returns
            a decorator that checkpoints the function it is given.
        args: its arguments.
        use_reentrant (bool): the variant (see the module docstring);
            ``False`` is recommended. PyTorch asks for it explicitly: omitted,
            it warns and uses True.
        preserve_rng_state (bool): replay the forward's random numbers in the
            rerun (default: True).
        context_fn: returns two context managers, for the forward and for the
            rerun (use_reentrant=False only).
        determinism_check (str): "default" (the rerun's outputs must have the
            forward's shapes, dtypes and devices, else CheckpointError) or "none".
        debug (bool), early_stop (bool): accepted; wick reruns the whole function.
        kwargs: keyword arguments of the function (use_reentrant=False only).

    Example:
        >>> from wick.utils.checkpoint import checkpoint
        >>> layer = wick.nn.Linear(3, 3)
        >>> x = wick.randn(2, 3, requires_grad=True)
        >>> checkpoint(layer, x, use_reentrant=False).sum().backward()
        >>> x.grad.shape
        wick.Size([2, 3])
    """
    if function is None and not args:
        _check_no_kwargs(kwargs)
        options = dict(use_reentrant=use_reentrant, preserve_rng_state=preserve_rng_state, context_fn=context_fn,
                       determinism_check=determinism_check, debug=debug, early_stop=early_stop)
        return lambda fn: functools.wraps(fn)(lambda *a, **kw: checkpoint(fn, *a, **options, **kw))
    if use_reentrant is None:
        use_reentrant = _default_use_reentrant("torch.utils.checkpoint")
    if use_reentrant:
        _check_no_kwargs(kwargs)
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return _ReentrantCheckpoint.apply(function, preserve_rng_state, *args)
    return _checkpoint_without_reentrant(function, args, kwargs, preserve_rng_state, context_fn, determinism_check)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Checkpoints a sequential model in ``segments`` chunks: every chunk but
    the last is run through checkpoint, so only the chunks' inputs are kept.

    Args:
        functions: a wick.nn.Sequential, or a list of modules or functions to
            run in order (each takes and returns one tensor).
        segments (int): the number of chunks.
        input (Tensor): the input of the first.
        use_reentrant (bool): as for checkpoint.
        preserve_rng_state (bool): as for checkpoint (default: True).

    Example:
        >>> from wick.utils.checkpoint import checkpoint_sequential
        >>> model = wick.nn.Sequential(wick.nn.Linear(4, 4), wick.nn.ReLU(), wick.nn.Linear(4, 2))
        >>> checkpoint_sequential(model, 2, wick.randn(3, 4), use_reentrant=False).shape
        wick.Size([3, 2])
    """
    if use_reentrant is None:
        use_reentrant = _default_use_reentrant("torch.utils.checkpoint.checkpoint_sequential")
    preserve = kwargs.pop("preserve_rng_state", True)
    _check_no_kwargs(kwargs)
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)
    if not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive integer, but got {segments!r}")

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
