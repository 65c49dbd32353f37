import math

import wick
from wick.optim.optimizer import Optimizer

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor, as torch.optim.Adafactor (Shazeer & Stern, 2018): Adam-like
    scaling by the second moment, which for a matrix (or a batch of them: the
    last two dims) is kept factored as a row and a column average, so its
    memory is O(n + m) instead of O(nm). With :math:`\hat\beta_{2,t} = 1 - t^\tau`,
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta)) \rho_t`:

    .. math::
        R \leftarrow \hat\beta_{2,t} R + (1 - \hat\beta_{2,t}) \overline{G^2}^{\,\text{row}}, \quad
        C \leftarrow \hat\beta_{2,t} C + (1 - \hat\beta_{2,t}) \overline{G^2}^{\,\text{col}}, \quad
        \hat V = \frac{R C}{\max(\bar R, \epsilon_1)}, \\
        U = \frac{G}{\max(\sqrt{\hat V}, \epsilon_1)}, \quad
        \theta \leftarrow \theta (1 - \gamma \lambda) - \frac{\alpha_t U}{\max(1, \mathrm{RMS}(U) / d)}

    (a vector keeps the whole :math:`V`, as Adam). As in PyTorch, lr caps the
    relative step size and scales the decoupled weight decay.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): the cap of the relative step size (default: 1e-2)
        beta2_decay (float, optional): :math:`\tau`, at most 0 (default: -0.8)
        eps (Tuple[float or None, float], optional): :math:`\epsilon_1` (None: the dtype's
            machine epsilon) and :math:`\epsilon_2` (default: (None, 1e-3))
        d (float, optional): the clipping threshold of the update's RMS, at least 1 (default: 1.0)
        weight_decay (float, optional): decoupled weight decay (default: 0.0)
        foreach (bool, optional): accepted for compatibility
        maximize (bool, optional): maximize the objective instead (default: False)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None))
        for group in self.param_groups:
            if isinstance(group.get("eps"), list):
                group["eps"] = tuple(group["eps"])

    @staticmethod
    def _init_state(state, grad):
        state["step"] = wick.tensor(0.0)
        if grad.dim() > 1:
            # The row factor averages over the last dim, the column factor over the one before.
            state["row_var"] = wick.zeros(*grad.shape[:-1], 1, dtype=grad.dtype, device=grad.device)
            state["col_var"] = wick.zeros(*grad.shape[:-2], 1, grad.shape[-1], dtype=grad.dtype, device=grad.device)
        else:
            state["variance"] = wick.zeros_like(grad)

    @classmethod
    def _update(cls, p, grad, state, group):
        lr, d, weight_decay = group["lr"], group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if group["maximize"]:
            grad = -grad
        if len(state) == 0:
            cls._init_state(state, grad)
        e1 = wick.finfo(p.dtype).eps if eps1 is None else eps1
        state["step"] += 1
        t = state["step"].item()
        one_minus_beta2 = t ** group["beta2_decay"]
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(eps2, p.norm(2).item() / math.sqrt(p.numel())) * rho
        if weight_decay != 0:
            p.mul_(1 - lr * weight_decay)
        if grad.dim() > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_var.lerp_(grad.square().mean(dim=-1, keepdim=True), one_minus_beta2)
            col_var.lerp_(grad.square().mean(dim=-2, keepdim=True), one_minus_beta2)
            var_estimate = (row_var @ col_var).div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=e1))
        else:
            variance = state["variance"]
            variance.lerp_(grad * grad, one_minus_beta2)
            var_estimate = variance.clone()
        # eps1 squared inside the square root keeps eps1's magnitude.
        update = var_estimate.clamp_(min=e1 * e1).rsqrt_().mul_(grad)
        clip = max(1.0, update.norm(2).item() / (math.sqrt(update.numel()) * d))
        p.add_(update, alpha=-alpha / clip)
