"""wick.backends: the backends' libraries and switches, under PyTorch's names
(torch.backends).

What wick runs on: ``cpu`` (info() and get_cpu_capability()), ``cuda``
(matmul.allow_tf32, is_built()) and ``openmp``. What it does not, answered
honestly: ``cudnn``, ``mkl``, ``mkldnn``, ``mps`` and ``opt_einsum`` report
is_available() False, and their flags, kept so that PyTorch code setting them
runs, change nothing (each module says why)::

    >>> import wick
    >>> wick.backends.cudnn.is_available(), wick.backends.openmp.is_available()
    (False, True)
    >>> with wick.backends.cudnn.flags(enabled=True, benchmark=True):
    ...     wick.backends.cudnn.benchmark
    True
    >>> wick.backends.cudnn.benchmark
    False

Flags are checked when set (a non-bool raises TypeError). As in PyTorch,
disable_global_flags() freezes them, so that only the modules' flags()
context managers, which restore them on exit, may change them.
"""
import contextlib
import sys

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum", "disable_global_flags",
           "flags_frozen"]

_mutation_allowed = True


def disable_global_flags():
    """Forbids setting the flags of cudnn, mkldnn and opt_einsum by assignment
    (``wick.backends.cudnn.benchmark = True`` raises RuntimeError) from now
    on; their flags() context managers still work. PyTorch's test suites call
    it so that no test leaves a flag changed."""
    global _mutation_allowed
    _mutation_allowed = False


def flags_frozen():
    """True once disable_global_flags() was called (outside a flags() block)."""
    return not _mutation_allowed


@contextlib.contextmanager
def _allow_mutation():
    global _mutation_allowed
    old, _mutation_allowed = _mutation_allowed, True
    try:
        yield
    finally:
        _mutation_allowed = old


class _Flag:
    """A flag of a backend module, read and set as a module attribute and
    stored in the module's ``_flags`` dict. Setting it checks that the flags
    are not frozen, then the value: a bool, or whatever `on_set(module,
    value)` accepts without raising."""

    def __init__(self, doc, on_set=None):
        self.__doc__ = doc
        self.on_set = on_set

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, module, owner=None):
        if module is None:
            return self
        return module._flags[self.name]

    def __set__(self, module, value):
        if flags_frozen():
            raise RuntimeError(f"not allowed to set {module.__name__}.{self.name} after "
                               "wick.backends.disable_global_flags(); use the flags() context manager instead")
        if self.on_set is not None:
            self.on_set(module, value)
        elif not isinstance(value, bool):
            raise TypeError(f"{module.__name__}.{self.name} must be a bool, got {type(value).__name__}")
        module._flags[self.name] = value


def _install_flags(module_name, flag_class):
    """Makes the module `module_name` an instance of flag_class (a
    types.ModuleType subclass holding _Flag descriptors), so that assigning a
    flag goes through its checks. The module object stays the one in
    sys.modules: `import wick.backends.cudnn as c` and later assignments see
    the same flags."""
    module = sys.modules[module_name]
    module.__class__ = flag_class
    flag_names = {name for name, value in vars(flag_class).items() if isinstance(value, _Flag)}
    module.__dir__ = lambda: sorted(set(vars(module)) | flag_names)  # dir() lists the flags too (PEP 562)
    return module


from wick.backends import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: E402
