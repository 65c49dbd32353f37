"""Lazy modules: layers whose input size (in_features, in_channels) is read
from the first input instead of given, as torch.nn's LazyLinear and LazyConv*.

    fc = nn.LazyLinear(10)        # fc.weight is an UninitializedParameter
    fc(wick.randn(4, 784))        # now fc.weight is [10, 784], and fc is an nn.Linear

A lazy module holds UninitializedParameters (Parameters of no elements that
remember their device and dtype) and a forward pre-hook. On the first call the
hook has the module's ``initialize_parameters(*input)`` give each one its
shape (``materialize``) and initialise it; then the hook removes itself and
the module becomes its ``cls_to_become`` (LazyLinear -> Linear).
load_state_dict materialises them from the state's shapes too.
"""
import warnings

import wick
from wick.nn.parameter import UninitializedParameter, is_lazy

__all__ = ["UninitializedParameter"]


class LazyModuleMixin:
    r"""The mechanism of the lazy modules (put it before the module class in the
    bases): a forward pre-hook that calls ``initialize_parameters(*input,
    **kwargs)`` on the first call, then removes itself and turns the module into
    ``cls_to_become``. A subclass creates its lazy parameters as
    :class:`UninitializedParameter`\ s and writes ``initialize_parameters``,
    which materialises them from the input and initialises them."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)
        warnings.warn("Lazy modules are a new feature under heavy development so changes to the API or "
                      "functionality can happen at any moment.")

    def has_uninitialized_params(self):
        """Whether any parameter of this module (not of its children) is still uninitialised."""
        return any(is_lazy(p) for p in self._parameters.values())

    def initialize_parameters(self, *args, **kwargs):
        """Gives the uninitialised parameters their shapes from the first input, and initialises them."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # An uninitialised parameter is saved as itself: detach() would lose what it is.
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars or is_lazy(param) else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # A state's tensor gives its shape to the uninitialised parameter it is for; then it is loaded as usual.
        for name, param in self._parameters.items():
            key = prefix + name
            if is_lazy(param) and key in state_dict:
                value = state_dict[key]
                if not is_lazy(value) and isinstance(value, wick.Tensor):
                    param.materialize(value.shape)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)
