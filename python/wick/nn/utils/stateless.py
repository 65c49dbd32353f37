"""functional_call: a module run with some of its parameters and buffers
replaced by given tensors, as torch.nn.utils.stateless.functional_call and
torch.func.functional_call.

    out = functional_call(model, {"fc.weight": w}, (x,))   # model(x), with fc.weight = w for this call

The tensors are swapped in for the call and the originals put back after it
(also when it raises); gradients flow to the given tensors.
"""
import contextlib

from wick import _C
from wick.nn.modules.module import Module

__all__ = ["functional_call"]


def _tied_names(module):
    """For each parameter and buffer (by identity), all the names it has in module."""
    names = {}
    for name, tensor in module.named_parameters(remove_duplicate=False):
        names.setdefault(id(tensor), []).append(name)
    for name, tensor in module.named_buffers(remove_duplicate=False):
        names.setdefault(id(tensor), []).append(name)
    return names


def _untie(module, tensors):
    """tensors with each value also under the other names of the tensor it replaces (tied weights)."""
    by_name = {}
    for names in _tied_names(module).values():
        for name in names:
            by_name[name] = names
    result = dict(tensors)
    for name, value in tensors.items():
        for other in by_name.get(name, [name]):
            if other in tensors and tensors[other] is not value:
                raise ValueError(f"functional_call got multiple values for keys {sorted(by_name[name])}, which are "
                                 "tied. Consider using tie_weights=False")
            result[other] = value
    return result


@contextlib.contextmanager
def _reparametrize_module(module, tensors, strict=False):
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(expected - set(tensors))
        unexpected = sorted(set(tensors) - expected)
        errors = []
        if unexpected:
            errors.append("Unexpected key(s): {}.".format(", ".join(map(repr, unexpected))))
        if missing:
            errors.append("Missing key(s): {}.".format(", ".join(map(repr, missing))))
        if errors:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                  "\n\t".join(errors)))
    swapped = []  # (owner, table or None, name, previous value or a marker for "absent")
    absent = object()
    try:
        for path, value in tensors.items():
            owner_path, _, name = path.rpartition(".")
            owner = module.get_submodule(owner_path)
            for table in (owner._parameters, owner._buffers):
                if name in table:
                    swapped.append((owner, table, name, table[name]))
                    table[name] = value  # a plain tensor may stand in for a Parameter here
                    break
            else:
                swapped.append((owner, None, name, owner.__dict__.get(name, absent)))
                owner.__dict__[name] = value
        yield
    finally:
        for owner, table, name, previous in reversed(swapped):
            if table is not None:
                table[name] = previous
            elif previous is absent:
                owner.__dict__.pop(name, None)
            else:
                owner.__dict__[name] = previous


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    r"""``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameter_and_buffer_dicts`` (dotted names, as in state_dict; one dict or
    a sequence of dicts with distinct keys) replaced by the given tensors for
    this call only.

    Args:
        module (Module): the module to call
        parameter_and_buffer_dicts (dict or sequence of dicts): name -> tensor
        args: the positional arguments (a tuple, or one value)
        kwargs (dict): the keyword arguments
        tie_weights (bool): a tensor given for one name of a tied parameter
            (one object under several names) also replaces it under the others (default: True)
        strict (bool): the names must be exactly the module's parameters and buffers (default: False)

    Example::

        >>> m = wick.nn.Linear(2, 1)
        >>> wick.nn.utils.stateless.functional_call(m, {"weight": wick.ones(1, 2), "bias": wick.zeros(1)},
        ...                                         (wick.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: expected a wick.nn.Module, got {type(module).__name__}")
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        tensors = {}
        for d in parameter_and_buffer_dicts:
            repeated = sorted(set(tensors) & set(d))
            if repeated:
                raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            tensors.update(d)
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    for name, value in tensors.items():
        if value is not None and not isinstance(value, _C.Tensor):
            raise TypeError(f"functional_call: the value for '{name}' must be a Tensor, not {type(value).__name__}")
    if tie_weights:
        tensors = _untie(module, tensors)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, tensors, strict):
        return module(*args, **kwargs)
