import wick
from wick import _C
from wick.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as torch.optim.RMSprop:

    .. math::
        g = \nabla + \lambda \theta, \quad s \leftarrow \alpha s + (1 - \alpha) g^2, \quad
        \bar g \leftarrow \alpha \bar g + (1 - \alpha) g \ (\text{centered}), \quad
        a = \sqrt{s - \bar g^2} + \epsilon \ (\text{centered; else } \sqrt{s} + \epsilon)

    then :math:`b \leftarrow \mu b + g / a,\ \theta \leftarrow \theta - \gamma b` with momentum,
    else :math:`\theta \leftarrow \theta - \gamma g / a`.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-2)
        alpha (float, optional): smoothing constant (default: 0.99)
        eps (float, optional): added to the denominator (default: 1e-8)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        momentum (float, optional): momentum factor (default: 0)
        centered (bool, optional): normalize by an estimate of the gradient's variance (default: False)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        differentiable (bool, optional): must be False
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        if not 0.0 <= momentum:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if not 0.0 <= alpha:
            raise ValueError("Invalid alpha value: {}".format(alpha))
        self._check_unsupported(differentiable=differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        # PyTorch 1.13's RMSprop keeps its step count as a number, and so does wick's.
        self._restore(state, dict(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False),
                      scalar_states=())

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = 0
            state["square_avg"] = wick.zeros_like(p)
        # Buffers also appear when momentum or centered is switched on later.
        if group["momentum"] > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = wick.zeros_like(p)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = wick.zeros_like(p)
        state["step"] += 1
        _C._optim.rmsprop(p, grad, state["square_avg"], state.get("momentum_buffer"), state.get("grad_avg"),
                          lr=group["lr"], alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                          momentum=group["momentum"], centered=group["centered"], maximize=group["maximize"])
