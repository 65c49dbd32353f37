"""wick.autograd.functional: Jacobians, Hessians and their products with a
vector, of a Python function of tensors, as torch.autograd.functional.

    J = wick.autograd.functional.jacobian(f, x)         # f(x).shape + x.shape
    out, Jv = wick.autograd.functional.jvp(f, x, v)

Everything is built on reverse mode (``autograd.grad``). The
forward-mode products (jvp, hvp) use the double-backward trick, as PyTorch
does: the gradient of ``u -> J^T u`` (linear in u) with respect to u, taken
against v, is ``J v``. A Jacobian costs one backward per output element;
``vectorize=True`` is accepted and computes the same thing, one backward at a
time.

Common arguments:
    func: a function of the input tensors, returning a Tensor or a tuple of them.
    inputs (Tensor or tuple of Tensors): the point.
    create_graph (bool): record the computation, so that the results can be
        differentiated again (they then depend on ``inputs``); otherwise the
        results are detached.
    strict (bool): raise an error where an output does not depend on an input
        (the answer would be 0 whatever the function) instead of returning zeros.

Results follow the structure of the arguments: a Tensor where ``inputs`` (or
the output) was a single Tensor, a tuple where it was a tuple.
"""
from wick import _C
from wick.autograd.grad_mode import enable_grad, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


def _as_tuple(x, what, fn_name):
    """(whether x was a tuple or list, x as a tuple), checking it holds tensors."""
    if isinstance(x, (tuple, list)):
        is_tuple, items = True, tuple(x)
    else:
        is_tuple, items = False, (x,)
    for i, el in enumerate(items):
        if not isinstance(el, _C.Tensor):
            if is_tuple:
                raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                                f"the value at index {i} has type {type(el).__name__}.")
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but the "
                            f"given {what} has type {type(el).__name__}.")
    return is_tuple, items


def _restructure(res, is_tuple):
    """res (a tuple, or with is_tuple a pair, a tuple of tuples) in the
    structure of the arguments: unwrapped where they were single tensors."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        if not inner:
            res = tuple(el[0] for el in res)
        return res if outer else res[0]
    return res if is_tuple else res[0]


def _prepare(tensors, create_graph, need_graph):
    """The tensors the function gets: fresh leaves, or with create_graph,
    views that keep the caller's graph (the results then depend on it)."""
    out = []
    for t in tensors:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _prepare_inputs(inputs, create_graph, fn_name):
    """(whether inputs was a tuple, the inputs as the function gets them)."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    return inputs_are_tuple, _prepare(inputs, create_graph, need_graph=True)


def _finish(tensors, create_graph):
    if create_graph:
        return tensors
    return tuple(t.detach() if isinstance(t, _C.Tensor) else _finish(t, create_graph) for t in tensors)


def _check_v(v, refs, refs_are_tuple):
    if len(v) != len(refs):
        if refs_are_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el_ref) in enumerate(zip(v, refs)):
        if tuple(el_v.shape) != tuple(el_ref.shape):
            prefix = f"Entry {i} in " if refs_are_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {tuple(el_ref.shape)} but got "
                               f"{tuple(el_v.shape)}.")


def _strict_requires_grad(tensors, kind, strict):
    """In strict mode, every one of tensors must depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is not None and t.requires_grad:
            continue
        if kind == "outputs":
            raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The outputs "
                               "must be computed in a differentiable manner from the input when running in strict "
                               "mode.")
        if kind == "grad_inputs":
            raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        if kind == "jacobian":
            raise RuntimeError(f"While computing the hessian, found that the jacobian of the user-provided function "
                               f"with respect to input {i} is independent of the input. This is not allowed in strict "
                               "mode. You should ensure that your function is twice differentiable and that the "
                               "jacobian depends on the inputs (this would be violated by a linear function for "
                               "example).")
        raise RuntimeError(f"The hessian of the user-provided function with respect to input {i} is independent of "
                           "the input. This is not allowed in strict mode. You should ensure that your function is "
                           "thrice differentiable and that the hessian depends on the inputs.")


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad over the outputs that require grad (None where an input
    is unused, or where no output requires grad)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs = [o for o, _ in pairs]
    gos = [g for _, g in pairs]
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(_C._grad(outs, list(inputs), gos, retain_graph, create_graph, True))


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when using "
                  "the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                         "This is not allowed in strict mode as it prevents from using the double backward trick to "
                         "replace forward mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Zeros where a gradient is None (an independent input); strict raises instead."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = _C.zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        out.append(g)
    return tuple(out)


def _call(func, inputs, fn_name, strict):
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def _check_single_element(outputs_are_tuple, output, fn_name):
    """For hessian, vhp and hvp: func must return one tensor of one element."""
    if outputs_are_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if output.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element, "
                           f"but it has shape {tuple(output.shape)}")


def _transposed_product(outputs, inputs, u_like):
    """(u, J^T u) for a dummy u shaped as u_like, for the double-backward
    trick: J^T u is linear in u, so the value of u is irrelevant (zeros: no
    inf or nan to leak into the double backward)."""
    u = tuple(_C.zeros_like(t).requires_grad_() for t in u_like)
    return u, _grad(outputs, inputs, u, create_graph=True)


def _product_with_v(outputs, inputs, v, refs, strict, create_graph, stage):
    """The final backward of a vector product: the gradient of outputs with
    respect to inputs against v (zeros shaped as refs where independent),
    recorded only with create_graph (or where grad mode is on anyway)."""
    with set_grad_enabled(True if create_graph else _C.is_grad_enabled()):
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        return _zeros_for_none(grads, refs, strict, create_graph, stage)


def _output_and_result(outputs, outputs_are_tuple, result, result_is_tuple, create_graph):
    """What vjp, jvp, vhp and hvp return: (func_output, product), each in
    the structure of the arguments."""
    return (_restructure(_finish(outputs, create_graph), outputs_are_tuple),
            _restructure(_finish(result, create_graph), result_is_tuple))


_V_NONE_FOR_OUTPUTS = ("The vector v can only be None if the user-provided function returns a single Tensor with a "
                       "single element.")
_V_NONE_FOR_INPUTS = ("The vector v can only be None if the input to the user-provided function is a single Tensor "
                      "with a single element.")


def _prepare_v(v, refs, refs_are_tuple, create_graph, fn_name, none_message):
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tuple(v, "v", fn_name)
    v = _prepare(v, create_graph, need_graph=False)
    _check_v(v, refs, refs_are_tuple)
    return v


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product ``v^T J`` of func at inputs (one backward).

    Args:
        v (Tensor or tuple of Tensors): shaped as func's outputs; may be None
            only when func returns a single one-element tensor.

    Returns:
        (func_output, vjp): vjp shaped as inputs.

    Example:
        >>> x = wick.tensor([1.0, 2.0])
        >>> out, g = wick.autograd.functional.vjp(lambda x: x ** 2, x, wick.tensor([1.0, 10.0]))
        >>> g
        tensor([ 2., 40.])
    """
    with enable_grad():
        inputs_are_tuple, inputs = _prepare_inputs(inputs, create_graph, "vjp")
        outputs_are_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _prepare_v(v, outputs, outputs_are_tuple, create_graph, "vjp", _V_NONE_FOR_OUTPUTS)
    result = _product_with_v(outputs, inputs, v, inputs, strict, create_graph, "back")
    return _output_and_result(outputs, outputs_are_tuple, result, inputs_are_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product ``J v`` of func at inputs, by the
    double-backward trick (two backwards).

    Args:
        v (Tensor or tuple of Tensors): shaped as inputs; may be None only
            when inputs is a single one-element tensor.

    Returns:
        (func_output, jvp): jvp shaped as func's outputs.

    Example:
        >>> x = wick.tensor([1.0, 2.0])
        >>> out, d = wick.autograd.functional.jvp(lambda x: x ** 2, x, wick.tensor([1.0, 10.0]))
        >>> d
        tensor([ 2., 40.])
    """
    with enable_grad():
        inputs_are_tuple, inputs = _prepare_inputs(inputs, create_graph, "jvp")
        v = _prepare_v(v, inputs, inputs_are_tuple, create_graph, "jvp", _V_NONE_FOR_INPUTS)
        outputs_are_tuple, outputs = _call(func, inputs, "jvp", strict)
        grad_outputs, grad_inputs = _transposed_product(outputs, inputs, outputs)
        _strict_requires_grad(grad_inputs, "grad_inputs", strict)
    result = _product_with_v(grad_inputs, grad_outputs, v, outputs, strict, create_graph, "back_trick")
    return _output_and_result(outputs, outputs_are_tuple, result, outputs_are_tuple, create_graph)


def _check_strategy(strategy, vectorize, create_graph, fn_name):
    if strategy not in _STRATEGIES:
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", but got {strategy!r}. '
                         'Hint: If your function has more outputs than inputs, "forward-mode" tends to be more '
                         'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(f'torch.autograd.functional.{fn_name}: `strategy="forward-mode"` does not '
                                      "support `create_graph=True`")
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
                                      "implemented for `vectorize=True`.")


def _jacobian_entry(g, ref, strict, i, j):
    """A gradient for the Jacobian of output i and input j: zeros shaped as
    ref where it is None (independent), an error instead in strict mode."""
    if g is not None:
        return g
    if strict:
        raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. This is not "
                           "allowed in strict mode.")
    return _C.zeros_like(ref)


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """Row by row: the gradient of each output element (one backward each)."""
    jacobian = []
    for i, out in enumerate(outputs):
        flat = out.reshape(-1)
        rows = [[] for _ in inputs]
        for k in range(out.numel()):
            grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, (g, inp) in enumerate(zip(grads, inputs)):
                if g is not None and strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is not differentiable with "
                                       f"respect to input {j}. This is not allowed in strict mode when "
                                       "create_graph=True.")
                rows[j].append(_jacobian_entry(g, inp, strict, i, j))
        jacobian.append(tuple(_stack(r, tuple(out.shape), inp) for r, inp in zip(rows, inputs)))
    return tuple(jacobian)


def _jacobian_columns(outputs, inputs, strict):
    """Column by column: the Jacobian-vector product with each input basis
    vector (forward mode, by the double-backward trick)."""
    grad_outputs, grad_inputs = _transposed_product(outputs, inputs, outputs)
    columns = [[[] for _ in inputs] for _ in outputs]  # [output][input] -> list of columns
    for j, inp in enumerate(inputs):
        for k in range(inp.numel()):
            basis = [_C.zeros_like(x) for x in inputs]
            one_hot = _C.zeros(inp.numel(), dtype=inp.dtype, device=inp.device)
            one_hot[k] = 1
            basis[j] = one_hot.reshape(tuple(inp.shape))
            grads = _grad(grad_inputs, grad_outputs, basis, retain_graph=True)
            for i, (g, out) in enumerate(zip(grads, outputs)):
                columns[i][j].append(_jacobian_entry(g, out, strict, i, j))
    jacobian = []
    for i, out in enumerate(outputs):
        per_input = []
        for j, inp in enumerate(inputs):
            cols = columns[i][j]
            shape = tuple(out.shape) + tuple(inp.shape)
            if cols:
                # Columns are indexed by the input: stack them last.
                per_input.append(_C.stack([c.reshape(-1) for c in cols], 1).reshape(shape))
            else:
                per_input.append(_C.zeros(shape, dtype=out.dtype, device=out.device))
        jacobian.append(tuple(per_input))
    return tuple(jacobian)


def _stack(rows, out_shape, inp):
    shape = out_shape + tuple(inp.shape)
    if not rows:  # a zero-size output
        return _C.zeros(shape, dtype=inp.dtype, device=inp.device)
    return _C.stack(rows, 0).reshape(shape)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at inputs: for output i and input j, a tensor of
    shape ``outputs[i].shape + inputs[j].shape``.

    Args:
        vectorize (bool): accepted for compatibility (PyTorch batches the
            backwards with vmap); wick computes the same result one backward
            at a time.
        strategy (str): "reverse-mode" (one backward per output element) or
            "forward-mode" (one Jacobian-vector product per input element,
            better when there are more outputs than inputs; needs
            vectorize=True, as in PyTorch).

    Returns:
        A Tensor for a single input and output; a tuple over the inputs for
        tuple inputs; a tuple over the outputs (of those) for tuple outputs.

    Example:
        >>> f = lambda x: wick.stack([x[0] * x[1], x[1] ** 2])
        >>> wick.autograd.functional.jacobian(f, wick.tensor([2.0, 3.0]))
        tensor([[3., 2.],
                [0., 6.]])
    """
    _check_strategy(strategy, vectorize, create_graph, "jacobian")
    with enable_grad():
        inputs_are_tuple, inputs = _prepare_inputs(inputs, create_graph, "jacobian")
        outputs_are_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if strategy == "forward-mode":
            result = _jacobian_columns(outputs, inputs, strict)
        else:
            result = _jacobian_rows(outputs, inputs, create_graph, strict)
    return _restructure(_finish(result, create_graph), (outputs_are_tuple, inputs_are_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function at inputs: the Jacobian of its
    gradient. For inputs i and j, a tensor of shape
    ``inputs[i].shape + inputs[j].shape``.

    Args:
        func: returns a single Tensor of one element.
        vectorize (bool): accepted; see jacobian.
        outer_jacobian_strategy (str): the strategy of the outer Jacobian
            (the inner one, the gradient, is reverse mode).

    Returns:
        A Tensor for a single input; for tuple inputs, a tuple of tuples.

    Example:
        >>> f = lambda x: (x[0] ** 2 * x[1]).sum()
        >>> wick.autograd.functional.hessian(f, wick.tensor([2.0, 3.0]))
        tensor([[6., 4.],
                [4., 0.]])
    """
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    _check_strategy(outer_jacobian_strategy, vectorize, create_graph, "hessian")

    def scalar_func(*inp):
        out_is_tuple, outs = _call(func, inp, "hessian", strict)
        _check_single_element(out_is_tuple, outs[0], "hessian")
        return outs[0].reshape(())

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _restructure(res, (inputs_are_tuple, inputs_are_tuple))


def _scalar_and_gradient(func, inputs, v, create_graph, strict, fn_name):
    """Runs func for vhp / hvp: (inputs tuple?, inputs, v, outputs tuple?, outputs, gradient)."""
    inputs_are_tuple, inputs = _prepare_inputs(inputs, create_graph, fn_name)
    v = _prepare_v(v, inputs, inputs_are_tuple, create_graph, fn_name, _V_NONE_FOR_INPUTS)
    outputs_are_tuple, outputs = _call(func, inputs, fn_name, strict)
    _check_single_element(outputs_are_tuple, outputs[0], fn_name)
    jac = _grad(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    return inputs_are_tuple, inputs, v, outputs_are_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product ``v^T H`` of a scalar function at inputs
    (the gradient of ``<grad f, v>``).

    Args:
        v (Tensor or tuple of Tensors): shaped as inputs; may be None only
            when inputs is a single one-element tensor.

    Returns:
        (func_output, vhp): vhp shaped as inputs.

    Example:
        >>> f = lambda x: (x ** 3).sum()
        >>> out, h = wick.autograd.functional.vhp(f, wick.tensor([1.0, 2.0]), wick.tensor([1.0, 1.0]))
        >>> h
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs_are_tuple, inputs, v, outputs_are_tuple, outputs, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "vhp")
    result = _product_with_v(jac, inputs, v, inputs, strict, create_graph, "double_back")
    return _output_and_result(outputs, outputs_are_tuple, result, inputs_are_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product ``H v`` of a scalar function at inputs, by
    the double-backward trick (for a twice continuously differentiable
    function it equals vhp, which is cheaper).

    Args:
        v (Tensor or tuple of Tensors): shaped as inputs; may be None only
            when inputs is a single one-element tensor.

    Returns:
        (func_output, hvp): hvp shaped as inputs.

    Example:
        >>> f = lambda x: (x[0] * x[1] ** 2).sum()
        >>> out, h = wick.autograd.functional.hvp(f, wick.tensor([1.0, 2.0]), wick.tensor([1.0, 0.0]))
        >>> h
        tensor([0., 4.])
    """
    with enable_grad():
        inputs_are_tuple, inputs, v, outputs_are_tuple, outputs, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "hvp")
        grad_jac, double_back = _transposed_product(jac, inputs, inputs)
        _strict_requires_grad(jac, "hessian", strict)
    result = _product_with_v(double_back, grad_jac, v, inputs, strict, create_graph, "double_back_trick")
    return _output_and_result(outputs, outputs_are_tuple, result, inputs_are_tuple, create_graph)
