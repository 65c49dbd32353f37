from wick import _C
from wick.optim.optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as torch.optim.SGD:

    .. math::
        g = \nabla + \lambda \theta, \quad
        b \leftarrow \mu b + (1 - \tau) g \ (b = g \text{ on the first step}), \quad
        \theta \leftarrow \theta - \gamma (\text{nesterov} ? g + \mu b : b)

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float): learning rate
        momentum (float, optional): momentum factor (default: 0)
        dampening (float, optional): dampening for momentum (default: 0)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        nesterov (bool, optional): enables Nesterov momentum (default: False)
        maximize (bool, optional): maximize the objective instead (default: False)
        foreach (bool, optional): accepted for compatibility; every update is fused
        differentiable (bool, optional): must be False

    Example:
        >>> model = wick.nn.Linear(3, 1)
        >>> optimizer = wick.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> wick.nn.functional.mse_loss(model(wick.ones(4, 3)), wick.zeros(4, 1)).backward()
        >>> optimizer.step()
    """

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False):
        if lr is not required and lr < 0.0:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if momentum < 0.0:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self._check_unsupported(differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        # SGD keeps no step count.
        self._restore(state, dict(nesterov=False, maximize=False, foreach=None, differentiable=False),
                      scalar_states=())

    @staticmethod
    def _update(p, grad, state, group):
        state["momentum_buffer"] = _C._optim.sgd(
            p, grad, state.get("momentum_buffer"), lr=group["lr"], momentum=group["momentum"],
            dampening=group["dampening"], weight_decay=group["weight_decay"], nesterov=group["nesterov"],
            maximize=group["maximize"])
