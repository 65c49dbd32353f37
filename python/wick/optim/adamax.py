import wick
from wick import _C
from wick.optim.adam import _check_adam_args
from wick.optim.optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, as torch.optim.Adamax: Adam with the infinity norm in place of
    the second moment (Kingma & Ba, 2014, section 7):

    .. math::
        g = \nabla + \lambda \theta, \quad m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad
        u \leftarrow \max(\beta_2 u, |g| + \epsilon), \quad
        \theta \leftarrow \theta - \frac{\gamma}{1 - \beta_1^t} \frac{m}{u}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 2e-3)
        betas (Tuple[float, float], optional): decay of the moment and of the norm (default: (0.9, 0.999))
        eps (float, optional): added to |g| (default: 1e-8)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        differentiable, capturable (bool, optional): must be False
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False, differentiable=False, capturable=False))

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["exp_avg"] = wick.zeros_like(p)
            state["exp_inf"] = wick.zeros_like(p)
        beta1, beta2 = group["betas"]
        _C._optim.adamax(p, grad, state["exp_avg"], state["exp_inf"], state["step"], lr=group["lr"], beta1=beta1,
                         beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"])
