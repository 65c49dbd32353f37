"""nn.Module: the base class of every layer and model, as torch.nn.Module.

A subclass assigns Parameters, Modules and buffers as attributes in
``__init__`` and computes its output in ``forward``; ``module(x)`` calls
``forward`` (with the forward hooks around it)::

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

Names are dotted paths ("fc1.weight"), in PyTorch's order, so state dicts
carry over between the two frameworks.
"""
import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import wick
from wick import _C
from wick.autograd.function import Function
from wick.nn.parameter import Parameter

__all__ = ["Module"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys the module has that the state
    lacked, and the keys the state has that the module does not."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the register_*_hook methods; ``remove()`` takes the hook off
    (from ``hooks`` and from each of ``extra_dict``, the tables of its options)."""

    _next_id = 0

    def __init__(self, hooks, *, extra_dict=None):
        self._hooks = hooks
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self._extra_dicts = tuple(extra_dict)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)
        for table in self._extra_dicts:
            table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# The hooks of every module (register_module_*_hook), run before each module's own.
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_backward_hooks = OrderedDict()


def _add_hook(table, hook, prepend=False, options=()):
    """Puts hook into table (first with prepend) under a new handle; each option
    table in options (a dict, or None to skip it) marks the hook with True."""
    marked = [t for t in options if t is not None]
    handle = RemovableHandle(table, extra_dict=marked)
    table[handle.id] = hook
    for t in marked:
        t[handle.id] = True
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_pre_hook(hook):
    """A forward pre-hook (as Module.register_forward_pre_hook's) for every module, run before their own."""
    return _add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """A forward hook (as Module.register_forward_hook's) for every module, run before their own."""
    return _add_hook(_global_forward_hooks, hook, options=(
        _global_forward_hooks_with_kwargs if with_kwargs else None,
        _global_forward_hooks_always_called if always_call else None))


def register_module_full_backward_pre_hook(hook):
    """A backward pre-hook (as Module.register_full_backward_pre_hook's) for every module, run before their own."""
    return _add_hook(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook):
    """A backward hook (as Module.register_full_backward_hook's) for every module, run before their own."""
    return _add_hook(_global_backward_hooks, hook)


class _BackwardHookFunction(Function):
    """The identity on some tensors, whose backward hands their gradients to
    ``on_backward`` (which may replace them). Module calls put one on the
    tensor inputs and one on the outputs, for the full backward hooks. As in
    PyTorch, the outputs' hooks see None for an output without a gradient, the
    inputs' hooks zeros (``materialize``)."""

    @staticmethod
    def forward(ctx, on_backward, materialize, *tensors):
        ctx.on_backward = on_backward
        ctx.set_materialize_grads(materialize)
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.on_backward(grads))


class _BackwardHooks:
    """One module call's full backward hooks (after torch.utils.hooks.BackwardHook).

    The tensor arguments are passed through a _BackwardHookFunction, and so are
    the outputs. The outputs' one sees grad_output first: it runs the backward
    pre-hooks (each may return a new grad_output) and keeps it. The inputs' one
    sees grad_input, once every use of the inputs inside the module has added
    to it: it runs the backward hooks with (grad_input, grad_output), each
    may return a new grad_input. When no input requires grad, the hooks run at
    the outputs, with a grad_input of Nones."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_index = None  # where the tensor arguments are, when one requires grad
        self.n_outputs = 0
        self.output_index = None

    @staticmethod
    def _pack(index, values, n):
        """The tuple of n with values at index, None elsewhere."""
        out = [None] * n
        for i, v in zip(index, values):
            out[i] = v
        return tuple(out)

    def _wrap(self, values, on_backward, materialize):
        """values (a tuple) with its tensors through a _BackwardHookFunction;
        (new values, index of the tensors), or (values, None) when none requires grad."""
        index = [i for i, v in enumerate(values) if isinstance(v, _C.Tensor)]
        if not wick.is_grad_enabled() or not any(values[i].requires_grad for i in index):
            return values, None
        wrapped = _BackwardHookFunction.apply(on_backward, materialize, *(values[i] for i in index))
        values = list(values)
        for i, t in zip(index, wrapped):
            values[i] = t
        return tuple(values), index

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        args, self.input_index = self._wrap(args, self._on_grad_input, True)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        self.n_outputs = len(values)
        values, self.output_index = self._wrap(values, self._on_grad_output, False)
        return values[0] if single else values

    def _on_grad_output(self, grads):
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, self.grad_outputs)
            if result is None:
                continue
            result = (result,) if isinstance(result, _C.Tensor) else tuple(result)
            if len(result) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                   f"{len(result)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = result
        if self.input_index is None:
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, grad_inputs, self.grad_outputs)
                if result is not None and not all(r is None for r in (
                        (result,) if isinstance(result, _C.Tensor) else result)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
            return grads
        return tuple(self.grad_outputs[i] for i in self.output_index)

    def _on_grad_input(self, grads):
        grad_inputs = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is None:
                continue
            result = (result,) if isinstance(result, _C.Tensor) else tuple(result)
            if len(result) != len(grad_inputs):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(result)}, "
                                   f"but expected {len(grad_inputs)}")
            grad_inputs = result
        self.grad_outputs = None
        return tuple(grad_inputs[i] for i in self.input_index)


def _addindent(s, spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _check_name(kind, name):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\", got: {name}")
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")


class Module:
    r"""Base class for all neural network modules.

    Attributes that are :class:`Parameter`\ s, Modules or registered buffers
    are tracked: ``parameters()``, ``state_dict()``, ``to()``, ``train()`` and
    ``zero_grad()`` reach them and everything below them.
    """

    dump_patches = False
    _version = 1

    def __init__(self):
        # object.__setattr__: these must exist before __setattr__ can route anything.
        set_ = super().__setattr__
        set_("training", True)
        set_("_parameters", OrderedDict())
        set_("_buffers", OrderedDict())
        set_("_non_persistent_buffers_set", set())
        set_("_modules", OrderedDict())
        for name in self._HOOK_TABLES:
            set_(name, OrderedDict())

    _HOOK_TABLES = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                    "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks", "_backward_pre_hooks")

    def __setstate__(self, state):
        # A module pickled before some hook tables existed gets them empty.
        self.__dict__.update(state)
        for name in self._HOOK_TABLES:
            self.__dict__.setdefault(name, OrderedDict())

    def forward(self, *input):
        """The computation of the module; subclasses override it. Call the module, not forward."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_hooks or _global_forward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            return self.forward(*args, **kwargs)
        result = None
        called_always = set()
        try:
            for hook_id, hook in (*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                               f"new_kwargs), but got {new}.")
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            backward_hooks = None
            hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            pre_hooks = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
            if hooks or pre_hooks:
                backward_hooks = _BackwardHooks(self, hooks, pre_hooks)
                args = backward_hooks.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if self._is_always_called(hook_id):
                    called_always.add(hook_id)
                result = self._run_forward_hook(hook_id, hook, args, kwargs, result)
            if backward_hooks is not None:
                if not isinstance(result, (_C.Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}")
                else:
                    result = backward_hooks.setup_output_hook(result)
            return result
        except Exception:
            # The always_call forward hooks that have not run yet run now; the error is what propagates.
            for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
                if not self._is_always_called(hook_id) or hook_id in called_always:
                    continue
                try:
                    result = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                except Exception as e:
                    warnings.warn("forward hook with ``always_call=True`` raised an exception that was silenced as "
                                  f"another error was raised in forward: {e}")
            raise

    _call_impl = __call__

    def _is_always_called(self, hook_id):
        """Whether the forward hook hook_id was registered with always_call=True (here or globally)."""
        return hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called

    def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
        """Calls forward hook hook_id (with kwargs if it was registered so) -> what it returns, or result for None."""
        if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
            new = hook(self, args, kwargs, result)
        else:
            new = hook(self, args, result)
        return result if new is None else new

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) runs before forward; a value it returns replaces the
        positional arguments (a tuple, or one value that becomes a 1-tuple).
        With with_kwargs, hook(module, args, kwargs) gets the keyword arguments
        too and may return a new (args, kwargs). prepend puts it before the
        hooks already registered. Returns a handle whose remove() takes it off."""
        return _add_hook(self._forward_pre_hooks, hook, prepend,
                         (self._forward_pre_hooks_with_kwargs if with_kwargs else None,))

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """hook(module, args, output) runs after forward; a value it returns
        replaces the output. With with_kwargs, hook(module, args, kwargs, output).
        With always_call, it also runs when forward raises (output None).
        prepend puts it before the hooks already registered. Returns a handle."""
        return _add_hook(self._forward_hooks, hook, prepend,
                         (self._forward_hooks_with_kwargs if with_kwargs else None,
                          self._forward_hooks_always_called if always_call else None))

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) runs when the gradients of the module's
        outputs are known, before those of its inputs are computed; grad_output
        is a tuple with one entry per output (None where there is none), and a
        tuple it returns replaces it. Returns a handle."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) runs when the gradients of the
        module's positional arguments are known: grad_input has one entry per
        argument (None for non-tensors and tensors that need no gradient),
        grad_output one per output. A tuple it returns replaces grad_input.
        The inputs and outputs the module sees are then views of the
        arguments; modifying them in place is not supported. Returns a handle."""
        return _add_hook(self._backward_hooks, hook, prepend)

    # ---- registration ---------------------------------------------------------------------------

    def register_buffer(self, name, tensor, persistent=True):
        """Adds a buffer: module state that is not a parameter (e.g. BatchNorm's
        running_mean). Persistent buffers are part of state_dict()."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, _C.Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(wick Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Adds a parameter (a :class:`Parameter`, or None for an empty slot)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(wick.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Adds a child module (or None), as ``self.<name> = module`` does."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The module at a dotted path ("body.0"); "" is this module."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        """The parameter at a dotted path ("fc1.weight")."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    # ---- attributes -----------------------------------------------------------------------------

    def __getattr__(self, name):
        # Only called when normal lookup fails: the registered members.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            members = d.get(table)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        def remove_from(*tables):
            for table in tables:
                if name in table:
                    if isinstance(table, dict):
                        del table[name]
                    else:
                        table.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(wick.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                remove_from(self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                    "(wick.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, _C.Tensor):
                        raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                        "(wick.Tensor or None expected)")
                    buffers[name] = value
                else:
                    super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    def __dir__(self):
        attrs = list(dir(type(self))) + list(self.__dict__)
        members = list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(set(a for a in attrs + members if not a[0].isdigit()))

    # ---- traversal ------------------------------------------------------------------------------

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                   else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (module_prefix + "." + name if module_prefix else name), value

    def parameters(self, recurse=True):
        """The parameters of this module (and of all below it, with recurse), each once."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) pairs, each parameter once (under each of its names without remove_duplicate)."""
        return self._named_members(lambda m: m._parameters.items(), prefix=prefix, recurse=recurse,
                                   remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers of this module (and of all below it, with recurse), each once."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer) pairs, each buffer once (under each of its names without remove_duplicate)."""
        return self._named_members(lambda m: m._buffers.items(), prefix=prefix, recurse=recurse,
                                   remove_duplicate=remove_duplicate)

    def children(self):
        """The direct child modules, each once."""
        for _, module in self.named_children():
            yield module

    def named_children(self):
        """(name, child module) pairs, each child once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def modules(self):
        """This module, then every module below it, each once."""
        for _, module in self.named_modules():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module ("" or prefix) and every module below it."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    # ---- modes and gradients --------------------------------------------------------------------

    def train(self, mode=True):
        """Sets the training flag here and below (Dropout and BatchNorm act on it). Returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """train(False). Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Sets requires_grad of every parameter. Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Resets the parameters' gradients: to None (set_to_none), or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    # ---- conversion -----------------------------------------------------------------------------

    def _apply(self, fn):
        for module in self.children():
            module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with wick.no_grad():
                converted = fn(param)
            # In place, so the Parameter object (held by optimizers) stays the same.
            param.data = converted
            if param.grad is not None:
                with wick.no_grad():
                    param.grad = fn(param.grad)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def apply(self, fn):
        """fn(module) for every module below, children first, then fn(self). Returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """to(device), to(dtype), to(device, dtype), to(tensor): moves and/or casts
        the parameters and buffers in place (a dtype applies to floating point
        tensors only). Returns self."""
        device, dtype, non_blocking = _parse_to(*args, **kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")

        def convert(t):
            target = dtype if dtype is not None and t.is_floating_point() else None
            return t.to(device=device, dtype=target, non_blocking=non_blocking)

        return self._apply(convert)

    def float(self):
        """Casts floating point parameters and buffers to float32. Returns self."""
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        """Casts floating point parameters and buffers to float64. Returns self."""
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        """Casts floating point parameters and buffers to float16. Returns self."""
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        """Casts floating point parameters and buffers to bfloat16. Returns self."""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def cpu(self):
        """Moves parameters and buffers to the CPU. Returns self."""
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        """Moves parameters and buffers to a CUDA device. Returns self."""
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type):
        """Casts all parameters and buffers to dst_type. Returns self."""
        return self._apply(lambda t: t.to(dst_type))

    def to_empty(self, *, device, recurse=True):
        """Moves parameters and buffers to device without copying their values
        (they are uninitialised there). Returns self."""
        if recurse:
            return self._apply(lambda t: wick.empty_like(t, device=device))
        for param in self._parameters.values():
            if param is not None:
                param.data = wick.empty_like(param, device=device)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = wick.empty_like(buf, device=device)
        return self

    def share_memory(self):
        """Moves every parameter, gradient and buffer into shared memory (Tensor.share_memory_), so that
        processes this module is sent to (wick.multiprocessing) update the same tensors; returns self."""
        return self._apply(lambda t: t.share_memory_())

    # ---- state dicts ----------------------------------------------------------------------------

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, in an OrderedDict.
        The values share memory with the module and are detached (unless keep_vars)."""
        if args:  # the legacy positional form state_dict(destination, prefix, keep_vars)
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items())
                       if v is not None}
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, _C.Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected wick.Tensor or '
                                  f"Tensor-like object from checkpoint but received {type(value)}")
                continue
            if len(param.shape) == 0 and len(value.shape) == 1:  # old checkpoints stored scalars as [1]
                value = value[0]
            if value.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {value.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with wick.no_grad():
                    param.copy_(value)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{param.size()} and whose dimensions in the checkpoint are {value.size()}, an "
                                  f"exception occurred : {ex.args}.")
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix):
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in local_state:
                        unexpected_keys.append(key)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """hook(state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) runs before this module loads its part of
        a state dict, and may edit it (e.g. rename old keys); with_module, the
        module comes first. Returns a handle."""
        if "_load_state_dict_pre_hooks" not in self.__dict__:
            super().__setattr__("_load_state_dict_pre_hooks", OrderedDict())
        if with_module:
            module, inner = self, hook
            hook = lambda *args: inner(module, *args)  # noqa: E731
        return _add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) runs before this module loads its part of a state dict. Returns a handle."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def load_state_dict(self, state_dict, strict=True):
        """Copies the values of state_dict into this module's parameters and
        buffers. Shape mismatches raise; with strict, so do missing and
        unexpected keys. Returns (missing_keys, unexpected_keys)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        state_dict = OrderedDict(state_dict)

        def load(module, local_state, prefix=""):
            for hook in module.__dict__.get("_load_state_dict_pre_hooks", {}).values():
                hook(local_state, prefix, {}, strict, missing_keys, unexpected_keys, error_msgs)
            # Strict here always: the lists are returned even when not strict.
            module._load_from_state_dict(local_state, prefix, {}, True, missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state.items() if k.startswith(child_prefix)}, child_prefix)

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ---- printing -------------------------------------------------------------------------------

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """What goes inside the parentheses of this module's repr (override it)."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        out = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                out += extra_lines[0]
            else:
                out += "\n  " + "\n  ".join(lines) + "\n"
        return out + ")"


def _parse_to(*args, **kwargs):
    """(device, dtype, non_blocking) from Module.to's arguments."""
    device = dtype = None
    non_blocking = False
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, _C.Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (str, _C.device, int)) and not isinstance(a, bool):
            device = _C.device("cuda", a) if isinstance(a, int) else _C.device(a)
        elif isinstance(a, bool):
            non_blocking = a
        else:
            raise TypeError(f"to() received an invalid argument of type {type(a).__name__}; expected a device, "
                            "a dtype or a tensor")
    for key, value in kwargs.items():
        if key == "device":
            device = None if value is None else _C.device(value)
        elif key == "dtype":
            dtype = value
        elif key == "non_blocking":
            non_blocking = bool(value)
        elif key != "memory_format":
            raise TypeError(f"to() got an unexpected keyword argument '{key}'")
    return device, dtype, non_blocking
