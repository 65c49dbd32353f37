from wick import _C
from wick.optim.adam import _adam_like_update, _check_adam_args
from wick.optim.optimizer import Optimizer

__all__ = ["AdamW"]


class AdamW(Optimizer):
    r"""Adam with decoupled weight decay, as torch.optim.AdamW (Loshchilov & Hutter, 2017):
    each step first scales the parameters by :math:`1 - \gamma \lambda`, then takes
    Adam's step without an L2 term.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-3)
        betas (Tuple[float, float], optional): coefficients of the running averages of
            the gradient and its square (default: (0.9, 0.999))
        eps (float, optional): added to the denominator (default: 1e-8)
        weight_decay (float, optional): decoupled weight decay coefficient (default: 1e-2)
        amsgrad (bool, optional): use the maximum of the past squared-gradient averages (default: False)
        maximize (bool, optional): maximize the objective instead (default: False)
        foreach (bool, optional): accepted for compatibility; every update is fused
        capturable (bool, optional): must be False
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        self._check_unsupported(capturable=capturable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, foreach=foreach,
                        maximize=maximize, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(amsgrad=False, maximize=False, foreach=None, capturable=False))

    _update = _adam_like_update(_C._optim.adamw)
