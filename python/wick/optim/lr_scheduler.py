"""Learning-rate schedulers, as torch.optim.lr_scheduler (PyTorch 2.15).

Each scheduler computes the lr the way PyTorch's step() does: the
"chainable" ones (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
PolynomialLR, CosineAnnealingLR, MultiplicativeLR) from the groups' current
lrs, so a hand-made change of the lr, or another scheduler stepping the same
optimizer (ChainedScheduler), carries on; LambdaLR, CyclicLR, OneCycleLR and
CosineAnnealingWarmRestarts in closed form. ``step(epoch)`` (deprecated in
PyTorch) uses the closed forms. The sequences therefore agree with PyTorch's
exactly.
"""
import functools
import math
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter

from wick.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use "
    "`scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the closed "
    "form is used instead of the new chainable form, where available.")


def _count_optimizer_steps(optimizer):
    """Wraps optimizer.step so that optimizer._step_count counts its calls
    (the scheduler warns when it is stepped before the optimizer)."""
    step = optimizer.step
    if getattr(step, "_with_counter", False):
        return
    func = step.__func__
    owner = weakref.ref(optimizer)  # no cycle through the instance attribute

    @functools.wraps(func)
    def counted(*args, **kwargs):
        opt = owner()
        opt._step_count += 1
        return func(opt, *args, **kwargs)

    counted._with_counter = True
    optimizer.step = counted


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError("{} is not an Optimizer".format(type(optimizer).__name__))


def _epoch_str(epoch):
    """The epoch as the verbose messages print it."""
    return ("%.2f" if isinstance(epoch, float) else "%.5d") % epoch


def _format_param(name, optimizer, value, mismatch="expected {expected} values for {name}, got {got}"):
    """One value per param group: the one given for all, or a list (or tuple)
    of them; ``mismatch`` is the error when the list's length is off."""
    n_groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(mismatch.format(expected=n_groups, name=name, got=len(value)))
        return list(value)
    return [value] * n_groups


def _lr_lambdas(optimizer, lr_lambda):
    """One lr function per param group: the one given for all, or a list of them."""
    return _format_param("lr_lambda", optimizer, lr_lambda, "Expected {expected} lr_lambdas, but got {got}")


def _callable_state(fn):
    """What a state_dict keeps of a user's function: a callable object's
    ``__dict__`` (a copy), never a function (None)."""
    return None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()


def _load_callable_state(fn, saved):
    """Puts back what :func:`_callable_state` kept of fn."""
    if saved is not None:
        fn.__dict__.update(saved)


def _cosine_annealed(eta_min, base_lr, t, period):
    """The cosine from base_lr (t = 0) down to eta_min (t = period)."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class LRScheduler:
    """The base of the epoch-driven schedulers: ``step()`` advances
    ``last_epoch`` and sets each group's ``'lr'`` from :meth:`get_lr`.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        last_epoch (int): the index of the last epoch when resuming (default: -1,
            a fresh start; then each group's ``'initial_lr'`` is its lr).
        verbose (bool): print each lr update (default: False).
    """

    # True only during the step the constructor makes: a scheduler resumed
    # with last_epoch >= 0 then keeps the lrs it was given instead of moving
    # them one step further. A class attribute, so that state_dict() does not
    # hold it.
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1, verbose=False):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError("param 'initial_lr' is not specified in param_groups[{}] when resuming an "
                                   "optimizer".format(i))
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        _count_optimizer_steps(optimizer)
        self.verbose = verbose
        self._initial_step()

    def _initial_step(self):
        self.optimizer._step_count = 0
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            del self._is_initial

    def state_dict(self):
        """The scheduler's attributes except the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """The lrs the last step set, one per group."""
        return self._last_lr

    def get_lr(self):
        raise NotImplementedError

    def _warn_outside_step(self):
        if not getattr(self, "_get_lr_called_within_step", False):
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning)

    def print_lr(self, is_verbose, group, lr, epoch=None):
        if is_verbose:
            if epoch is None:
                print("Adjusting learning rate of group {} to {:.4e}.".format(group, lr))
            else:
                print("Epoch {}: adjusting learning rate of group {} to {:.4e}.".format(_epoch_str(epoch), group, lr))

    def step(self, epoch=None):
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_with_counter"):
                warnings.warn("Seems like `optimizer.step()` has been overridden after learning rate scheduler "
                              "initialization. Please, make sure to call `optimizer.step()` before "
                              "`lr_scheduler.step()`.", UserWarning)
            elif self.optimizer._step_count < 1:
                warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 "
                              "and later, you should call them in the opposite order: `optimizer.step()` before "
                              "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
                              "value of the learning rate schedule.", UserWarning)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        """Advances last_epoch by one (or sets it to ``epoch``, then with the
        closed form where there is one) and writes the new lrs."""
        if epoch is None:
            self.last_epoch += 1
        else:
            self.last_epoch = epoch
        self._set_lrs(self._lrs_within_step(closed_form=epoch is not None), epoch)

    def _lrs_within_step(self, closed_form=False):
        """get_lr() (with closed_form, the closed form where the class has
        one), called as step() calls it: without the warning."""
        self._get_lr_called_within_step = True
        try:
            if closed_form and hasattr(self, "_get_closed_form_lr"):
                return self._get_closed_form_lr()
            return self.get_lr()
        finally:
            self._get_lr_called_within_step = False

    def _set_lrs(self, values, epoch=None):
        for i, (group, lr) in enumerate(zip(self.optimizer.param_groups, values)):
            group["lr"] = lr
            self.print_lr(self.verbose, i, lr, epoch)
        self._last_lr = self._current_lrs()

    def _current_lrs(self):
        """Each group's lr as it stands (a chainable step that keeps it)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def _scaled_lrs(self, factor):
        """Each group's lr times factor (a chainable step)."""
        return [group["lr"] * factor for group in self.optimizer.param_groups]


_LRScheduler = LRScheduler  # PyTorch 1.13's name


class LambdaLR(LRScheduler):
    """lr = initial lr * lr_lambda(epoch), one function or one per group.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        lr_lambda (function or list): the factor as a function of the epoch.
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1, verbose=False):
        self.optimizer = optimizer
        self.lr_lambdas = _lr_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, verbose)

    # Also MultiplicativeLR's, hence LRScheduler's methods named rather than super().
    def state_dict(self):
        """As the base's, but a lambda is saved only when it is a callable
        object (its __dict__), never a function."""
        state = LRScheduler.state_dict(self)
        state["lr_lambdas"] = [_callable_state(fn) for fn in state.pop("lr_lambdas")]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        LRScheduler.load_state_dict(self, state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            _load_callable_state(fn, saved)

    def get_lr(self):
        self._warn_outside_step()
        return [base_lr * lmbda(self.last_epoch) for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(LRScheduler):
    """Multiplies each group's lr by gamma every step_size epochs.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        step_size (int): the period of the decay, in epochs.
        gamma (float): the factor (default: 0.1).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1, verbose=False):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return self._scaled_lrs(self.gamma)

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiplies each group's lr by gamma at each milestone epoch.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        milestones (list): epoch indices (a repeated one applies gamma again).
        gamma (float): the factor (default: 0.1).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1, verbose=False):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return self._scaled_lrs(self.gamma ** self.milestones[self.last_epoch])

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiplies each group's lr by gamma every epoch.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        gamma (float): the factor.
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, gamma, last_epoch=-1, verbose=False):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return self._scaled_lrs(self.gamma)

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial lr to eta_min over T_max epochs (SGDR
    without restarts; past T_max the cosine turns back up):

    .. math::
        \eta_t = \eta_{min} + \frac{1}{2}(\eta_{max} - \eta_{min})\left(1 + \cos\frac{t \pi}{T_{max}}\right)

    computed recursively from the previous lr, as PyTorch does.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        T_max (int): the number of epochs of a half period.
        eta_min (float): the minimum lr (default: 0).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1, verbose=False):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and self.last_epoch > 0:  # resuming: closed form
            return self._get_closed_form_lr()
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * self.last_epoch / self.T_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
                * (group["lr"] - self.eta_min) + self.eta_min for group in groups]

    def _get_closed_form_lr(self):
        return [_cosine_annealed(self.eta_min, base_lr, self.last_epoch, self.T_max) for base_lr in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Reduces the lr by `factor` once a metric has stopped improving for more
    than `patience` epochs (then waits `cooldown` epochs). An LRScheduler, as
    in PyTorch 2.x, though its step takes the metric.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        mode (str): 'min' (the metric should fall) or 'max' (default: 'min').
        factor (float): new_lr = lr * factor (default: 0.1).
        patience (int): epochs without improvement to tolerate (default: 10).
        threshold (float): the least change that counts as improvement (default: 1e-4).
        threshold_mode (str): 'rel' (best * (1 -+ threshold)) or 'abs' (best -+ threshold) (default: 'rel').
        cooldown (int): epochs to wait after a reduction (default: 0).
        min_lr (float or list): a lower bound on the lr, one or per group (default: 0).
        eps (float): reductions smaller than this are skipped (default: 1e-8).
        verbose (bool): print each reduction (default: False).
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8, verbose=False):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.min_lrs = _format_param("min_lr", optimizer, min_lr, "expected {expected} min_lrs, got {got}")
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.best = None
        self.num_bad_epochs = None
        self.mode_worse = None
        self.eps = eps
        self.last_epoch = 0
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()
        self._last_lr = self._current_lrs()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None):
        current = float(metrics)  # also a 0-dim tensor
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self, epoch):
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
                if self.verbose:
                    print("Epoch {}: reducing learning rate of group {} to {:.4e}."
                          .format(_epoch_str(epoch), i, new_lr))

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017): the lr rises from
    max_lr / div_factor to max_lr over the first pct_start of the steps, then
    anneals to initial_lr / final_div_factor; with cycle_momentum the momentum
    (Adam's beta1) moves inversely between max_momentum and base_momentum.
    Step it after every batch.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        max_lr (float or list): the peak lr, one or per group.
        total_steps (int): the number of steps; else epochs * steps_per_epoch.
        epochs (int), steps_per_epoch (int): used when total_steps is None.
        pct_start (float): the fraction of the steps spent rising (default: 0.3).
        anneal_strategy (str): 'cos' or 'linear' (default: 'cos').
        cycle_momentum (bool): cycle the momentum too (default: True).
        base_momentum (float or list): the lower momentum (default: 0.85).
        max_momentum (float or list): the upper momentum (default: 0.95).
        div_factor (float): initial_lr = max_lr / div_factor (default: 25).
        final_div_factor (float): min_lr = initial_lr / final_div_factor (default: 1e4).
        three_phase (bool): come back down to initial_lr before the final
            annealing, symmetric to the rise (default: False).
        last_epoch (int): the index of the last batch (default: -1).
        verbose (bool): print each lr update (default: False).
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1, verbose=False):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if total_steps is None and epochs is None and steps_per_epoch is None:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        elif total_steps is not None:
            _check_positive_int("total_steps", total_steps)
            self.total_steps = total_steps
        else:
            _check_positive_int("epochs", epochs)
            _check_positive_int("steps_per_epoch", steps_per_epoch)
            self.total_steps = epochs * steps_per_epoch

        # Each phase anneals between two of a group's named values.
        rise = {"end_step": float(pct_start * self.total_steps) - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                "start_momentum": "max_momentum", "end_momentum": "base_momentum"}
        if three_phase:
            self._schedule_phases = [
                rise,
                {"end_step": float(2 * pct_start * self.total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                rise,
                {"end_step": self.total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]

        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError("Expected float between 0 and 1 pct_start, but got {}".format(pct_start))
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must by one of 'cos' or 'linear', instead got {}".format(
                anneal_strategy))
        # A string, not a bound method, so that state_dict() stays plain data.
        self._anneal_func_type = anneal_strategy

        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for idx, group in enumerate(optimizer.param_groups):
                group["initial_lr"] = max_lrs[idx] / div_factor
                group["max_lr"] = max_lrs[idx]
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if self.cycle_momentum:
            self.use_beta1, _, _ = _init_momentum(optimizer, base_momentum, max_momentum, last_epoch,
                                                  "optimizer must support momentum with `cycle_momentum` option "
                                                  "enabled")

        super().__init__(optimizer, last_epoch, verbose)

    @staticmethod
    def _annealing_cos(start, end, pct):
        """Cosine anneal from start to end as pct goes from 0.0 to 1.0."""
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start, end, pct):
        """Linear anneal from start to end as pct goes from 0.0 to 1.0."""
        return (end - start) * pct + start

    def anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    def get_lr(self):
        self._warn_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError("Tried to step {} times. The specified number of total steps is {}".format(
                step_num + 1, self.total_steps))
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    computed_lr = self.anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        computed_momentum = self.anneal_func(group[phase["start_momentum"]],
                                                             group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(computed_lr)
            if self.cycle_momentum:
                _set_momentum(group, computed_momentum, self.use_beta1)
        return lrs


class MultiplicativeLR(LRScheduler):
    """Multiplies each group's lr by ``lr_lambda(epoch)`` every epoch (one
    function or one per group); chainable, unlike LambdaLR.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        lr_lambda (function or list): the factor as a function of the epoch.
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = wick.optim.lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
        >>> for _ in range(2):
        ...     opt.step()
        ...     sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1, verbose=False):
        self.optimizer = optimizer
        self.lr_lambdas = _lr_lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError("lr_lambda should be a function, but got {}".format(type(fn).__name__))
        super().__init__(optimizer, last_epoch, verbose)

    state_dict = LambdaLR.state_dict
    load_state_dict = LambdaLR.load_state_dict

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial:
            return self._current_lrs()
        groups = self.optimizer.param_groups
        return [group["lr"] * lmbda(self.last_epoch) for lmbda, group in zip(self.lr_lambdas, groups)]


class ConstantLR(LRScheduler):
    """Multiplies each group's lr by ``factor`` for the first total_iters
    epochs, then restores it.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        factor (float): the factor, in [0, 1] (default: 1/3).
        total_iters (int): the number of epochs it lasts (default: 5).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = wick.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = []
        >>> for _ in range(3):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.5, 0.5, 1.0]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1, verbose=False):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1, but got {}".format(factor))
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0:
            return self._scaled_lrs(self.factor)
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return self._scaled_lrs(1.0 / self.factor)

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Multiplies each group's lr by a factor that moves linearly from
    start_factor to end_factor over total_iters epochs (a warm-up, usually).

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        start_factor (float): the factor at epoch 0, in (0, 1] (default: 1/3).
        end_factor (float): the factor from epoch total_iters on, in [0, 1] (default: 1).
        total_iters (int): the number of epochs of the ramp (default: 5).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = wick.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1, verbose=False):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1, "
                             "but got {}".format(start_factor))
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1, but got {}"
                             .format(end_factor))
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self.last_epoch == 0:
            return self._scaled_lrs(self.start_factor)
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # factor(t) / factor(t - 1), so that an lr changed by hand carries on.
        slope = self.end_factor - self.start_factor
        return self._scaled_lrs(1.0 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope))

    def _get_closed_form_lr(self):
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decays each group's lr as (1 - epoch / total_iters) ** power, reaching 0
    at total_iters.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        total_iters (int): the number of epochs of the decay (default: 5).
        power (float): the power of the polynomial (default: 1).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = wick.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [1.0, 0.5625, 0.25, 0.0625, 0.0]
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1, verbose=False):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        if self._is_initial or self.last_epoch == 0 or self.last_epoch > self.total_iters:
            return self._current_lrs()
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return self._scaled_lrs(decay)

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base_lr in self.base_lrs]


class _SchedulerList(LRScheduler):
    """What SequentialLR and ChainedScheduler share: the checks of the
    wrapped schedulers, and a state_dict that holds theirs."""

    def _check_schedulers(self, optimizer, schedulers):
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError("{} expects at least one scheduler, but got none.".format(name))
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError("{}: the scheduler at index {} should have `optimizer` as its attribute."
                                .format(name, i))
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError("{} does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs "
                                 "to be specified when calling `step`, but got one at index {} in the given "
                                 "schedulers sequence.".format(name, i))
            if scheduler.optimizer is not optimizer:
                raise ValueError("{} expects all schedulers to belong to the same optimizer, but the scheduler {} at "
                                 "index {} has another one.".format(name, type(scheduler).__name__, i))

    def state_dict(self):
        """The scheduler's attributes except the optimizer, with the wrapped
        schedulers' state_dicts under ``'_schedulers'``."""
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in state.pop("_schedulers")]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("_schedulers")
        super().load_state_dict(state_dict)
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)


class SequentialLR(_SchedulerList):
    """Runs one scheduler after another: ``schedulers[i]`` drives the lr from
    epoch ``milestones[i - 1]`` on, starting there from epoch 0 (e.g. a
    LinearLR warm-up, then a CosineAnnealingLR).

    Args:
        optimizer (Optimizer): the wrapped optimizer, that of every scheduler.
        schedulers (list): the schedulers, in order.
        milestones (list): the epochs at which the next one takes over, one
            fewer than the schedulers.
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): accepted for compatibility; the wrapped schedulers print.

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = wick.optim.lr_scheduler
        >>> sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.1, total_iters=2),
        ...                              S.ExponentialLR(opt, gamma=0.5)], milestones=[2])
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1, verbose=False):
        _check_optimizer(optimizer)
        self._check_schedulers(optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             "number of milestone points, but got number of schedulers {} and the number of "
                             "milestones to be equal to {}".format(len(schedulers), len(milestones)))
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Each scheduler's constructor already took a step: go back to the
        # initial lrs and epochs, then start the first one alone.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        self._schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    @classmethod
    def _undo_initial_steps(cls, scheduler):
        for s in scheduler._schedulers:
            if hasattr(s, "_schedulers"):
                cls._undo_initial_steps(s)
            elif hasattr(s, "last_epoch"):
                s.last_epoch -= 1

    def step(self):
        """Steps the scheduler in charge of the next epoch (one starting
        there is set to its epoch 0)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_SchedulerList):
    """Steps several chainable schedulers of one optimizer together: each
    step applies every scheduler's change in turn (their factors multiply).

    Args:
        schedulers (sequence): the schedulers.
        optimizer (Optimizer, optional): their optimizer (default: that of the
            first scheduler).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> S = wick.optim.lr_scheduler
        >>> sched = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=2),
        ...                             S.ExponentialLR(opt, gamma=0.5)])
        >>> lrs = []
        >>> for _ in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained, but got none.")
        if optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        self._check_schedulers(optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self):
        """Steps every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._current_lrs()


class CyclicLR(LRScheduler):
    """The cyclical learning rate policy (Smith, 2017): each group's lr goes
    linearly from base_lr up to max_lr in step_size_up steps and back down
    in step_size_down, the amplitude scaled per cycle or per iteration; with
    cycle_momentum the momentum (Adam's beta1) moves the other way between
    max_momentum and base_momentum. Step it after every batch.

    Policies: 'triangular' (constant amplitude), 'triangular2' (halved every
    cycle), 'exp_range' (times gamma ** iteration); or a custom ``scale_fn``
    of the cycle number (scale_mode='cycle') or of the iteration
    ('iterations'), with values in [0, 1].

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        base_lr (float or list): the lower lr, one or per group (sets the lrs).
        max_lr (float or list): the upper lr, one or per group.
        step_size_up (int): iterations of the rise (default: 2000).
        step_size_down (int): iterations of the fall (default: step_size_up).
        mode (str): 'triangular', 'triangular2' or 'exp_range' (default:
            'triangular'); ignored when scale_fn is given.
        gamma (float): the base of 'exp_range' (default: 1).
        scale_fn (function): a custom amplitude scale (default: None).
        scale_mode (str): 'cycle' or 'iterations', the argument of scale_fn
            (default: 'cycle').
        cycle_momentum (bool): cycle the momentum too (default: True).
        base_momentum (float or list): the momentum at the peak lr (default: 0.8).
        max_momentum (float or list): the momentum at base_lr (default: 0.9).
        last_epoch (int): the index of the last batch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
        >>> sched = wick.optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1, verbose=False):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)

        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        if step_size_up <= 0 or step_size_down < 0:
            raise ValueError("CyclicLR expects step_size_up > 0 and step_size_down >= 0, but got {} and {}"
                             .format(step_size_up, step_size_down))
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size

        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        if scale_fn is not None and scale_mode not in ("cycle", "iterations"):
            raise ValueError("scale_mode must be 'cycle' or 'iterations', but got {!r}".format(scale_mode))
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_mode()

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _init_momentum(
                optimizer, base_momentum, max_momentum, last_epoch,
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled")

        super().__init__(optimizer, last_epoch, verbose)
        self.base_lrs = base_lrs

    def _init_scale_mode(self):
        # The built-in policies fix the argument of their scale function.
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude's scale at cycle (or iteration) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        self._warn_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # the position in the cycle, in [0, 1)
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, base_m, max_m in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, max_m - (max_m - base_m) * scale_factor * scale, self.use_beta1)
        return lrs

    def state_dict(self):
        """As the base's; a custom scale_fn is saved only when it is a callable
        object (its __dict__), never a function."""
        state = super().state_dict()
        state["_scale_fn_custom"] = _callable_state(state.pop("_scale_fn_custom"))
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved_fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        _load_callable_state(self._scale_fn_custom, saved_fn)
        self._init_scale_mode()


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR: cosine annealing from the initial lr down to eta_min over T_i
    epochs, then a restart at the initial lr, with T_i = T_0 * T_mult^i:

    .. math::
        \eta_t = \eta_{min} + \frac{1}{2}(\eta_{max} - \eta_{min})\left(1 + \cos\frac{T_{cur} \pi}{T_i}\right)

    ``step(epoch)`` takes a fractional epoch too (``epoch + i / iters`` to
    anneal within an epoch) and may be mixed with plain ``step()``.

    Args:
        optimizer (Optimizer): the wrapped optimizer.
        T_0 (int): the epochs until the first restart.
        T_mult (int): the factor by which each period grows (default: 1).
        eta_min (float): the minimum lr (default: 0).
        last_epoch (int): the index of the last epoch (default: -1).
        verbose (bool): print each lr update (default: False).

    Example:
        >>> opt = wick.optim.SGD([wick.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = wick.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [1.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 1.0]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1, verbose=False):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError("Expected positive integer T_0, but got {}".format(T_0))
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError("Expected integer T_mult >= 1, but got {}".format(T_mult))
        if not isinstance(eta_min, (float, int)):
            raise ValueError("Expected float or int eta_min, but got {} of type {}".format(eta_min, type(eta_min)))
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        self._warn_outside_step()
        return [_cosine_annealed(self.eta_min, base_lr, self.T_cur, self.T_i) for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advances one epoch, or goes to ``epoch`` (a float is fine: call
        ``step(epoch + i / iters)`` after each of an epoch's iters batches)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError("Expected non-negative epoch, but got {}".format(epoch))
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # The index n of the period holding epoch: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch.
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self._lrs_within_step(), epoch)


def _check_positive_int(name, value):
    if value <= 0 or not isinstance(value, int):
        raise ValueError("Expected positive integer {}, but got {}".format(name, value))


def _init_momentum(optimizer, base_momentum, max_momentum, last_epoch, unsupported):
    """The momentum that CyclicLR and OneCycleLR cycle: (whether it is Adam's
    beta1, the base momentums, the max momentums), one per group. A fresh
    start (last_epoch -1) sets each group's momentum to its max and keeps
    both bounds in the group. ``unsupported``: the error for an optimizer
    without a momentum."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(unsupported)
    use_beta1 = "betas" in optimizer.defaults
    base_momentums = _format_param("base_momentum", optimizer, base_momentum)
    max_momentums = _format_param("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for m_momentum, b_momentum, group in zip(max_momentums, base_momentums, optimizer.param_groups):
            _set_momentum(group, m_momentum, use_beta1)
            group["max_momentum"] = m_momentum
            group["base_momentum"] = b_momentum
    return use_beta1, base_momentums, max_momentums


def _set_momentum(group, momentum, use_beta1):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum
