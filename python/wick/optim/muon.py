import math

import wick
from wick.optim.optimizer import Optimizer

__all__ = ["Muon"]

# The quintic Newton-Schulz coefficients of Keller Jordan's Muon, and its stabilizer.
_NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _orthogonalize(update, coefficients, steps, eps):
    """Pushes the singular values of the matrix `update` towards 1 (roughly
    into [0.5, 1.5]) with `steps` iterations of the odd quintic
    X <- a X + (b A + c A^2) X, A = X X^T, after scaling X to a Frobenius
    (hence spectral) norm of at most 1. Works on the wide orientation, so that
    A is the smaller Gram matrix."""
    if steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if update.dim() != 2:
        raise ValueError(f"Muon: expected a 2-D gradient, got shape {tuple(update.shape)}")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = update.size(0) > update.size(1)
    x = update.T if tall else update
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(Optimizer):
    r"""Muon, as torch.optim.Muon (Jordan et al., 2024): SGD with Nesterov
    momentum whose update, for each 2-D parameter, is orthogonalized by a few
    Newton-Schulz iterations, with decoupled weight decay:

    .. math::
        B \leftarrow \mu B + (1 - \mu) g \ (\text{as } \mathrm{lerp}), \quad
        \tilde B = \text{nesterov} ? \mathrm{lerp}(g, B, \mu) : B, \quad
        \theta \leftarrow \theta (1 - \gamma \lambda) - \gamma' \, \mathrm{NS}(\tilde B)

    :math:`\gamma'` is lr adjusted to the shape [A, B]: "original" (the default)
    multiplies it by :math:`\sqrt{\max(1, A / B)}`, "match_rms_adamw" by
    :math:`0.2 \sqrt{\max(A, B)}`. Only 2-D parameters; optimize biases and
    embeddings with e.g. AdamW.

    PyTorch runs the Newton-Schulz iterations in bfloat16; wick runs them in
    the parameter's dtype, so its orthogonalization is the more exact one and
    the two trajectories agree to bfloat16's precision, not bit for bit.

    Args:
        params (iterable): 2-D tensors to optimize or dicts defining parameter groups
        lr (float, optional): learning rate (default: 1e-3)
        weight_decay (float, optional): decoupled weight decay (default: 0.1)
        momentum (float, optional): momentum factor (default: 0.95)
        nesterov (bool, optional): Nesterov momentum (default: True)
        ns_coefficients (Tuple[float, float, float], optional): the quintic's (a, b, c)
            (default: (3.4445, -4.7750, 2.0315))
        eps (float, optional): floor of the norm the update is divided by (default: 1e-7)
        ns_steps (int, optional): Newton-Schulz iterations (default: 5)
        adjust_lr_fn (str, optional): "original" or "match_rms_adamw" (default: None, "original")
        use_addmm (bool, optional): accepted for compatibility
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=_NS_COEFFICIENTS, eps=1e-7, ns_steps=5, adjust_lr_fn=None, use_addmm=False):
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn,
                        use_addmm=use_addmm)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{tuple(p.shape)}")

    @staticmethod
    def _adjusted_lr(lr, adjust_lr_fn, shape):
        rows, cols = shape[:2]
        if adjust_lr_fn is None or adjust_lr_fn == "original":
            return lr * math.sqrt(max(1, rows / cols))
        return lr * 0.2 * math.sqrt(max(rows, cols))

    @classmethod
    def _update(cls, p, grad, state, group):
        if grad.dim() != 2:
            raise ValueError(f"Muon: expected a 2-D gradient, got shape {tuple(grad.shape)}")
        lr, momentum = group["lr"], group["momentum"]
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = wick.zeros_like(grad)
        buf = state["momentum_buffer"]
        buf.lerp_(grad, 1 - momentum)
        update = grad.lerp(buf, momentum) if group["nesterov"] else buf
        update = _orthogonalize(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
        p.mul_(1 - lr * group["weight_decay"])
        p.add_(update, alpha=-cls._adjusted_lr(lr, group["adjust_lr_fn"], p.shape))
