import wick
from wick import _C
from wick.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as torch.optim.Adadelta (Zeiler, 2012):

    .. math::
        g = \nabla + \lambda \theta, \quad v \leftarrow \rho v + (1 - \rho) g^2, \quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}} g, \quad
        u \leftarrow \rho u + (1 - \rho) \Delta^2, \quad \theta \leftarrow \theta - \gamma \Delta

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): scales the update (default: 1.0)
        rho (float, optional): the running averages' decay (default: 0.9)
        eps (float, optional): added inside both square roots (default: 1e-6)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        capturable, differentiable (bool, optional): must be False

    Example:
        >>> w = wick.nn.Parameter(wick.tensor([1.0, -2.0]))
        >>> opt = wick.optim.Adadelta([w], lr=1.0)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.9968, -1.9968], requires_grad=True)
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False, differentiable=False, capturable=False))

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["square_avg"] = wick.zeros_like(p)
            state["acc_delta"] = wick.zeros_like(p)
        _C._optim.adadelta(p, grad, state["square_avg"], state["acc_delta"], state["step"], lr=group["lr"],
                           rho=group["rho"], eps=group["eps"], weight_decay=group["weight_decay"],
                           maximize=group["maximize"])
