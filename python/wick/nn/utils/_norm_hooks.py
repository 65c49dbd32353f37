"""What the hook-based spectral_norm and weight_norm share: their hook (a
forward pre-hook with a ``name`` and a ``remove(module)``) on one parameter
of a module, and the checks before it takes the parameter over."""
from wick.nn.modules.lazy import UninitializedParameter


def check_no_hook(module, hook_type, name, fn_name):
    """Raises if module already has a hook_type hook on the parameter ``name``."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, hook_type) and hook.name == name:
            raise RuntimeError(f"Cannot register two {fn_name} hooks on the same parameter {name}")


def check_initialized(weight, hook_type, normalization):
    """Raises for a lazy module's parameter, which has no value to normalise yet."""
    if isinstance(weight, UninitializedParameter):
        raise ValueError(f"The module passed to `{hook_type.__name__}` can't have uninitialized parameters. Make "
                         f"sure to run the dummy forward before applying {normalization}")


def remove_hook(module, hook_type, name, fn_name):
    """Takes the hook_type hook on the parameter ``name`` off module (its
    ``remove`` makes the parameter plain again); returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{fn_name} of '{name}' not found in {module}")
