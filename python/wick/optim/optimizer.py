"""The base class of the optimizers: parameter groups, per-parameter state,
zero_grad and state_dict/load_state_dict, as torch.optim.Optimizer (1.13).

A subclass sets ``defaults`` (its options) and implements
``_update(param, grad, state, group)``, the update of one parameter (most are
one fused C++ kernel, wick._C._optim), or ``step`` itself (LBFGS).
"""
import copy
import warnings
from collections import defaultdict
from itertools import chain

import wick

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """The default of an option the caller must give (SGD's lr)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    return "wick.Tensor" if isinstance(obj, wick.Tensor) else type(obj).__qualname__


class Optimizer:
    r"""Base class of all optimizers.

    Args:
        params (iterable): Tensors to optimize, or dicts defining parameter
            groups (a ``'params'`` entry plus options that override ``defaults``).
        defaults (dict): the default options of every group.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, wick.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\nParameter Group {0}\n".format(i)
            for key in sorted(group.keys()):
                if key != "params":
                    text += "    {0}: {1}\n".format(key, group[key])
        return text + ")"

    def state_dict(self):
        r"""The optimizer's state as a dict with two entries:

        * ``state``: per-parameter state (momentum buffers, moments, step
          counts), keyed by the parameter's position across all groups;
        * ``param_groups``: each group's options, with ``params`` listing
          those positions.
        The tensors are the optimizer's own (not copies), as in PyTorch.
        """
        index = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {(index[id(k)] if isinstance(k, wick.Tensor) else k): v for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        r"""Loads a state from :meth:`state_dict` (deep-copied; tensors are
        moved to each parameter's device and, except ``step``, cast to its dtype).

        Args:
            state_dict (dict): an optimizer state, e.g. from :meth:`state_dict`
                or ``wick.load``.
        """
        state_dict = copy.deepcopy(state_dict)
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, key=None):
            if isinstance(value, wick.Tensor):
                if key != "step":
                    if param.is_floating_point():
                        value = value.to(param.dtype)
                    value = value.to(param.device)
                return value
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            # The C++ optimizers write the positions as strings (io dict keys).
            key = int(k) if isinstance(k, str) and k.isdigit() else k
            if key in id_map:
                param = id_map[key]
                state[param] = cast(param, v)
            else:
                state[k] = v

        param_groups = []
        for group, saved in zip(groups, saved_groups):
            new_group = dict(saved)
            new_group["params"] = group["params"]
            for name, default in self.defaults.items():
                new_group.setdefault(name, default)
            if isinstance(new_group.get("betas"), list):
                new_group["betas"] = tuple(new_group["betas"])
            param_groups.append(new_group)
        self.__setstate__({"state": state, "param_groups": param_groups})

    def zero_grad(self, set_to_none=False):
        r"""Sets the gradients of all optimized tensors to zero, or with
        ``set_to_none`` to None (then the next backward allocates them afresh,
        and a step skips parameters that got no gradient)."""
        for group in self.param_groups:
            for p in group["params"]:
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

    def step(self, closure=None):
        r"""Performs one update of the parameters.

        Args:
            closure (callable, optional): re-evaluates the model and returns
                the loss; run with grad enabled before the update.
        """
        if getattr(type(self), "_update", None) is None:
            raise NotImplementedError(f"{type(self).__name__} defines neither step() nor _update()")
        return self._step_each(closure, self._update)

    def add_param_group(self, param_group):
        r"""Adds a parameter group (a dict with ``'params'`` and any options
        that differ from the defaults), e.g. to train layers unfrozen later."""
        if not isinstance(param_group, dict):
            raise TypeError("param group must be a dict")
        params = param_group["params"]
        if isinstance(params, wick.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        for param in param_group["params"]:
            if not isinstance(param, wick.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization parameter " + name)
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(group["params"])
        if not existing.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- helpers for the subclasses -------------------------------------------------------

    def _restore(self, state, later_options, scalar_states=("step",)):
        """A subclass's __setstate__: loads `state`, giving each group the options
        its checkpoint may predate (later_options: name -> default) and turning
        the one-element states kept as numbers by older versions (scalar_states,
        e.g. "step") into tensors, as PyTorch 2 keeps them."""
        Optimizer.__setstate__(self, state)
        for group in self.param_groups:
            for name, default in later_options.items():
                group.setdefault(name, default)
        for s in self.state.values():
            for key in scalar_states:
                if key in s and not isinstance(s[key], wick.Tensor):
                    s[key] = wick.tensor(float(s[key]))

    def _step_each(self, closure, update):
        """What step() does for a subclass that defines ``_update(param, grad,
        state, group)``: runs the closure (with grad enabled), then the update
        of each parameter that has a gradient (state: its dict, empty on its
        first step), without recording; returns the closure's loss."""
        loss = self._run_closure(closure)
        with wick.no_grad():
            for group in self.param_groups:
                for p, grad in self._params_with_grad(group):
                    update(p, grad, self.state[p], group)
        return loss

    @staticmethod
    def _check_unsupported(**flags):
        for name, value in flags.items():
            if value:
                raise NotImplementedError(f"{name}=True is not supported: wick's optimizers update each parameter "
                                          "with one fused kernel, which autograd does not record")

    @staticmethod
    def _run_closure(closure):
        if closure is None:
            return None
        with wick.enable_grad():
            return closure()

    @staticmethod
    def _params_with_grad(group):
        for p in group["params"]:
            grad = p.grad
            if grad is not None:
                yield p, grad

