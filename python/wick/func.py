"""wick.func: function transforms, as torch.func (after JAX): grad, vjp, jvp,
jacrev, jacfwd, hessian, vmap and functional_call.

    >>> f = lambda x: (x ** 3).sum()
    >>> wick.func.grad(f)(wick.tensor([1.0, 2.0]))
    tensor([ 3., 12.])
    >>> wick.func.grad(wick.func.grad(lambda x: x ** 3))(wick.tensor(2.0))
    tensor(12.)

The derivatives run wick's autograd on a fresh graph from the arguments, so
transforms nest (grad of grad, jacrev of grad): an inner transform keeps its
graph (create_graph) whenever an argument it got already requires grad, which
is what an outer transform hands it. Results of an outermost transform carry
no graph.

vmap runs the function once per batch element and stacks the results: the
semantics of torch.func.vmap, without its batching rules, so it costs the
loop. jacfwd computes the Jacobian in reverse mode (row by row), which gives
the same matrix; jvp uses the double-vjp trick.
"""
import wick
from wick.nn.utils.stateless import functional_call

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call"]


def _argnums(argnums, nargs, fn_name):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise ValueError(f"{fn_name}: argnums must be non-empty")
    out = []
    for n in nums:
        if not isinstance(n, int):
            raise RuntimeError(f"{fn_name}: argnums must be int or Tuple[int, ...], got {type(n).__name__}")
        if not -nargs <= n < nargs:
            raise RuntimeError(f"{fn_name}: Got argnums={n}, but only {nargs} positional inputs")
        out.append(n % nargs)
    return out


def _track(t, fn_name):
    """t as a tensor the transform differentiates: itself (its graph kept) when it already requires grad,
    else a detached leaf that requires grad."""
    if not isinstance(t, wick.Tensor):
        raise RuntimeError(f"{fn_name}: expected the differentiated arguments to be Tensors, got {type(t).__name__}")
    if not t.is_floating_point():
        raise RuntimeError(f"{fn_name}: only floating point tensors can be differentiated, got {t.dtype}")
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_()


def _split_aux(out, has_aux, fn_name):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{fn_name}(f, ...)(*args): output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux=False):
    """Like :func:`grad`, but the function returns (gradient, value) (with has_aux: (gradient, (value, aux)))."""

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args), "grad_and_value")
        nested = any(isinstance(args[n], wick.Tensor) and args[n].requires_grad for n in nums)
        args = list(args)
        with wick.enable_grad():
            for n in nums:
                args[n] = _track(args[n], "grad")
            value, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(value, wick.Tensor) or value.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   + (f"tensor with {value.dim()} dims" if isinstance(value, wick.Tensor)
                                      else type(value).__name__))
            grads = wick.autograd.grad(value, [args[n] for n in nums], create_graph=nested, allow_unused=True)
        grads = tuple(wick.zeros_like(args[n]) if g is None else g for n, g in zip(nums, grads))
        if not nested:
            grads, value = tuple(g.detach() for g in grads), value.detach()
        result = grads[0] if isinstance(argnums, int) else grads
        return (result, (value, aux)) if has_aux else (result, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of a function returning a one-element tensor, as a function of
    the same arguments: grad(f)(x) = df/dx. argnums (an int or a tuple) picks the
    arguments to differentiate (a tuple gives a tuple of gradients); has_aux: f
    returns (value, aux) and the transform (gradient, aux)."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def _flatten(tree):
    """The tensors of a tensor, tuple/list (nested) or dict, and a function rebuilding the tree from new leaves."""
    if isinstance(tree, wick.Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(x) for x in tree]
        counts = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = [], 0
            for (_, fn), c in zip(parts, counts):
                out.append(fn(leaves[i:i + c]))
                i += c
            return type(tree)(out) if not hasattr(tree, "_fields") else type(tree)(*out)
        return [t for p in parts for t in p[0]], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, fn = _flatten([tree[k] for k in keys])
        return leaves, lambda new: dict(zip(keys, fn(new)))
    return [], lambda leaves: tree


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) is the vector-Jacobian product, a tuple
    with one gradient per primal (cotangents shaped as the output)."""
    nested = any(isinstance(p, wick.Tensor) and p.requires_grad for p in primals)
    with wick.enable_grad():
        tracked = [_track(p, "vjp") for p in primals]
        output, aux = _split_aux(func(*tracked), has_aux, "vjp")
    outputs, _ = _flatten(output)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        cots, _ = _flatten(cotangents)
        if len(cots) != len(outputs):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function: {len(cots)} vs {len(outputs)} tensors")
        for c, o in zip(cots, outputs):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"vjp: cotangent of shape {tuple(c.shape)} for an output of shape "
                                   f"{tuple(o.shape)}")
        make_graph = nested or any(c.requires_grad for c in cots) if create_graph is None else create_graph
        with wick.enable_grad():
            grads = wick.autograd.grad(outputs, tracked, cots, retain_graph=retain_graph, create_graph=make_graph,
                                       allow_unused=True)
        grads = tuple(wick.zeros_like(t) if g is None else g for t, g in zip(tracked, grads))
        return grads if make_graph else tuple(g.detach() for g in grads)

    if not nested:
        output = _flatten(output)[1]([o.detach() for o in outputs])
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), the Jacobian-vector product J tangents), with the tangents
    shaped as the primals; computed as the vjp of a vjp (twice reverse mode)."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples")
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    for p, t in zip(primals, tangents):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"jvp: a tangent of shape {tuple(t.shape)} for a primal of shape {tuple(p.shape)}")
    nested = any(isinstance(x, wick.Tensor) and x.requires_grad for x in list(primals) + list(tangents))
    with wick.enable_grad():
        tracked = [_track(p, "jvp") for p in primals]
        output, aux = _split_aux(func(*tracked), has_aux, "jvp")
        outputs, rebuild = _flatten(output)
        # u -> J^T u is linear in u; its vjp with the tangents is J tangents.
        dummies = [wick.zeros_like(o).requires_grad_() for o in outputs]
        grads = wick.autograd.grad(outputs, tracked, dummies, create_graph=True, allow_unused=True)
        pairs = [(g, t) for g, t in zip(grads, tangents) if g is not None and g.requires_grad]
        if pairs:
            jv = wick.autograd.grad([g for g, _ in pairs], dummies, [t for _, t in pairs], create_graph=nested,
                                    allow_unused=True)
        else:
            jv = [None] * len(dummies)
    jv = [wick.zeros_like(o) if j is None else j for o, j in zip(outputs, jv)]
    if not nested:
        outputs, jv = [o.detach() for o in outputs], [j.detach() for j in jv]
    result = (rebuild(outputs), rebuild(jv))
    return result + (aux,) if has_aux else result


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of func with respect to the argnums arguments, as a function: for
    an output of shape O and an argument of shape I, a tensor of shape O + I; one
    backward pass per output element (chunk_size is accepted and unused)."""

    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args), "jacrev")
        args = list(args)
        nested = any(isinstance(args[n], wick.Tensor) and args[n].requires_grad for n in nums)
        with wick.enable_grad():
            for n in nums:
                args[n] = _track(args[n], "jacrev")
            output, aux = _split_aux(func(*args, **kwargs), has_aux, "jacrev")
            outputs, rebuild = _flatten(output)
            inputs = [args[n] for n in nums]
            per_output = []
            for out in outputs:
                flat = out.reshape(-1)
                rows = []
                for i in range(flat.numel()):
                    gs = wick.autograd.grad(flat[i], inputs, retain_graph=True, create_graph=nested,
                                            allow_unused=True)
                    rows.append([wick.zeros_like(x) if g is None else g for x, g in zip(inputs, gs)])
                jac = []
                for k, x in enumerate(inputs):
                    stacked = (wick.stack([r[k] for r in rows]) if rows
                               else wick.zeros(0, *x.shape, dtype=x.dtype, device=x.device))
                    stacked = stacked.reshape(*out.shape, *x.shape)
                    jac.append(stacked if nested else stacked.detach())
                per_output.append(jac[0] if isinstance(argnums, int) else tuple(jac))
        result = rebuild(per_output)
        return (result, aux) if has_aux else result

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of func, as :func:`jacrev` (same result; wick computes it in reverse mode)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of a function returning a one-element tensor: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)


def _batch_size(leaves, dims):
    sizes = {x.shape[d] for x, d in zip(leaves, dims) if d is not None}
    if not sizes:
        raise ValueError("vmap: at least one input must be mapped over (got in_dims all None)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sorted(sizes)} for the mapped dimension")
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """func mapped over a dim of its inputs: vmap(f)(x)[i] == f(x[i]). in_dims: an int or
    None (not mapped) per positional argument (or one for all); out_dims: where the
    mapped dim goes in each output. Inputs and outputs may be tensors or (nested)
    tuples, lists and dicts of tensors. randomness: "different" (each element its
    own random numbers), "same" (every element the same ones) or "error" (PyTorch
    refuses random ops; wick cannot tell, and behaves as "different")."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")

    def wrapped(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims is not compatible with the structure of inputs: {len(dims)} in_dims "
                             f"for {len(args)} arguments")
        flat_args = []
        for a, d in zip(args, dims):
            leaves, rebuild = _flatten(a)
            if d is not None and not leaves:
                raise ValueError(f"vmap: in_dim={d} for an input of type {type(a).__name__}, which holds no "
                                 "Tensor; use None")
            norm = []
            for x in leaves:
                if d is not None and not -x.dim() <= d < max(x.dim(), 1):
                    raise ValueError(f"vmap: in_dim={d} for an input of shape {tuple(x.shape)}")
                norm.append(None if d is None else d % x.dim())
            flat_args.append((leaves, rebuild, norm, a))
        size = _batch_size([x for leaves, _, ds, _ in flat_args for x in leaves],
                           [d for _, _, ds, _ in flat_args for d in ds])
        if size == 0:
            raise ValueError("vmap: the mapped dimension has size 0; there is no element to call the function on")
        state = wick.get_rng_state() if randomness == "same" else None
        results = []
        for i in range(size):
            if state is not None:
                wick.set_rng_state(state)
            call = [a if not leaves else rebuild([x if d is None else x.select(d, i) for x, d in zip(leaves, ds)])
                    for leaves, rebuild, ds, a in flat_args]
            results.append(func(*call, **kwargs))
        outs, rebuild_out = _flatten(results[0])
        if len(outs) == 0:
            raise ValueError("vmap: the function must return Tensors (or tuples, lists, dicts of them)")
        odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(outs)
        per_element = [_flatten(r)[0] for r in results]
        stacked = []
        for k, d in enumerate(odims):
            column = [leaves[k] for leaves in per_element]
            if d is None:
                stacked.append(column[0])
                continue
            rank = column[0].dim() + 1
            if not -rank <= d < rank:
                raise ValueError(f"vmap: out_dim={d} for an output of {rank - 1} dims")
            stacked.append(wick.stack(column, d % rank))
        return rebuild_out(stacked)

    return wrapped
