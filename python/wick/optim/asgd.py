import wick
from wick import _C
from wick.optim.optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, as torch.optim.ASGD (Polyak &
    Juditsky, 1992): an SGD step with a decaying step size :math:`\eta_t`, and
    the running average of the iterates, kept as the state ``ax``:

    .. math::
        \theta \leftarrow \theta (1 - \lambda \eta_t) - \eta_t g, \quad
        \bar\theta \leftarrow \bar\theta + \mu_t (\theta - \bar\theta), \quad
        \eta_{t+1} = \frac{\gamma}{(1 + \lambda \gamma t)^\alpha}, \quad \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-2)
        lambd (float, optional): decay term (default: 1e-4)
        alpha (float, optional): power of the eta update (default: 0.75)
        t0 (float, optional): the step at which averaging starts (default: 1e6)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        differentiable, capturable (bool, optional): must be False
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False, differentiable=False, capturable=False),
                      scalar_states=("step", "eta", "mu"))

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["eta"] = wick.tensor(float(group["lr"]))
            state["mu"] = wick.tensor(1.0)
            state["ax"] = wick.zeros_like(p)
        _C._optim.asgd(p, grad, state["ax"], state["eta"], state["mu"], state["step"], lr=group["lr"],
                       lambd=group["lambd"], alpha=group["alpha"], t0=group["t0"], weight_decay=group["weight_decay"],
                       maximize=group["maximize"])
