import wick
from wick import _C
from wick.optim.adam import _check_adam_args
from wick.optim.optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, as torch.optim.RAdam: Adam whose adaptive step is switched on,
    and rectified, only once the variance of its estimate is tractable
    (Liu et al., 2019). With :math:`\rho_\infty = 2 / (1 - \beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)`:

    .. math::
        \theta \leftarrow \theta - \gamma \frac{m}{1 - \beta_1^t} \cdot
        \begin{cases} \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v} + \epsilon} r_t & \rho_t > 5 \\ 1 & \text{else}
        \end{cases}, \quad
        r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-3)
        betas (Tuple[float, float], optional): coefficients of the running averages (default: (0.9, 0.999))
        eps (float, optional): added to the denominator (default: 1e-8)
        weight_decay (float, optional): weight decay (default: 0)
        decoupled_weight_decay (bool, optional): decay the weights as AdamW does (RAdamW) instead of
            adding the L2 term to the gradient (default: False)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        capturable, differentiable (bool, optional): must be False
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False, differentiable=False, decoupled_weight_decay=False,
                                  capturable=False))

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["exp_avg"] = wick.zeros_like(p)
            state["exp_avg_sq"] = wick.zeros_like(p)
        beta1, beta2 = group["betas"]
        _C._optim.radam(p, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], lr=group["lr"], beta1=beta1,
                        beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                        decoupled_weight_decay=group["decoupled_weight_decay"], maximize=group["maximize"])
