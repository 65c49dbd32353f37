import wick
from wick import _C
from wick.optim.optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation, as torch.optim.Rprop (Riedmiller & Braun,
    1993): each element moves by its own step size against the sign of its
    gradient. The step size grows by etaplus while the gradient keeps its
    sign; when the sign flips it shrinks by etaminus and the element skips
    that step. Step sizes stay within step_sizes and start at lr.

    Args:
        params (iterable): tensors to optimize or dicts defining parameter groups
        lr (float, optional): the initial step size (default: 1e-2)
        etas (Tuple[float, float], optional): (etaminus, etaplus), with 0 < etaminus < 1 < etaplus
            (default: (0.5, 1.2))
        step_sizes (Tuple[float, float], optional): the least and greatest step size (default: (1e-6, 50))
        foreach (bool, optional): accepted for compatibility; every update is fused
        maximize (bool, optional): maximize the objective instead (default: False)
        capturable, differentiable (bool, optional): must be False
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        self._check_unsupported(capturable=capturable, differentiable=differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._restore(state, dict(foreach=None, maximize=False, differentiable=False, capturable=False))
        for group in self.param_groups:
            for key in ("etas", "step_sizes"):
                if isinstance(group.get(key), list):
                    group[key] = tuple(group[key])

    @staticmethod
    def _update(p, grad, state, group):
        if len(state) == 0:
            state["step"] = wick.tensor(0.0)
            state["prev"] = wick.zeros_like(p)
            state["step_size"] = wick.full_like(p, group["lr"])
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        _C._optim.rprop(p, grad, state["prev"], state["step_size"], state["step"], etaminus=etaminus,
                        etaplus=etaplus, step_size_min=step_size_min, step_size_max=step_size_max,
                        maximize=group["maximize"])
