import wick
from wick import _C
from wick.optim.adam import _check_adam_args
from wick.optim.optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as torch.optim.NAdam: Adam with Nesterov momentum (Dozat, 2016),
    the momentum warmed up by the schedule
    :math:`\mu_t = \beta_1 (1 - \frac{1}{2} 0.96^{t \psi})`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad
        \theta \leftarrow \theta - \gamma \left(\frac{1 - \mu_t}{1 - \prod_{i \le t} \mu_i} g +
        \frac{\mu_{t+1}}{1 - \prod_{i \le t+1} \mu_i} m\right) \Big/ \left(\sqrt{v / (1 - \beta_2^t)} + \epsilon\right)

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 2e-3)
        betas (Tuple[float, float], optional): coefficients of the running averages (default: (0.9, 0.999))
        eps (float, optional): added to the denominator (default: 1e-8)
        weight_decay (float, optional): weight decay (default: 0)
        momentum_decay (float, optional): :math:`\psi` (default: 4e-3)
        decoupled_weight_decay (bool, optional): decay the weights as AdamW does (NAdamW) instead of
            adding the L2 term to the gradient (default: False)
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        capturable, differentiable (bool, optional): must be False
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(maximize=False, foreach=None, capturable=False, differentiable=False,
                                  decoupled_weight_decay=False), scalar_states=("step", "mu_product"))

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["mu_product"] = wick.tensor(1.0)
            state["exp_avg"] = wick.zeros_like(p)
            state["exp_avg_sq"] = wick.zeros_like(p)
        beta1, beta2 = group["betas"]
        _C._optim.nadam(p, grad, state["exp_avg"], state["exp_avg_sq"], state["mu_product"], state["step"],
                        lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                        momentum_decay=group["momentum_decay"], decoupled_weight_decay=group["decoupled_weight_decay"],
                        maximize=group["maximize"])
