import wick
from wick import _C
from wick.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as torch.optim.Adagrad (Duchi et al., 2011):

    .. math::
        \tilde\gamma = \frac{\gamma}{1 + (t - 1) \eta}, \quad g = \nabla + \lambda \theta, \quad
        s \leftarrow s + g^2, \quad \theta \leftarrow \theta - \tilde\gamma \frac{g}{\sqrt{s} + \epsilon}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-2)
        lr_decay (float, optional): learning rate decay (default: 0)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        initial_accumulator_value (float, optional): the accumulator's start (default: 0)
        eps (float, optional): added to the denominator (default: 1e-10)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= lr_decay:
            raise ValueError("Invalid lr_decay value: {}".format(lr_decay))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: {}".format(initial_accumulator_value))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)
        # As in PyTorch, the state of the initial parameters exists from the start.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group, self.state[p])

    @staticmethod
    def _init_state(p, group, state):
        state["step"] = wick.tensor(0.0)
        state["sum"] = wick.full_like(p, group["initial_accumulator_value"])

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False))

    @staticmethod
    def _update(p, grad, state, group):
        if "sum" not in state:  # a group added after construction
            Adagrad._init_state(p, group, state)
        _C._optim.adagrad(p, grad, state["sum"], state["step"], lr=group["lr"], lr_decay=group["lr_decay"],
                          weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"])
