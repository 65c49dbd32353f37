"""The continuous Bernoulli distribution."""
import math

import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _ProbsOrLogits
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_ProbsOrLogits, ExponentialFamily):
    """The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem and
    Cunningham, 2019): density C(lambda) lambda^x (1 - lambda)^(1 - x), with
    lambda = ``probs`` (or sigmoid(``logits``)). Near lambda = 1/2, where the
    closed forms lose precision, a Taylor expansion is used (inside ``lims``)."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        self._init_probs_or_logits(probs, logits)
        if probs is not None:
            # Validate 'probs' here; it is clamped for numerical stability next.
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs).all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(ContinuousBernoulli, batch_shape, _instance, shared=("_lims",))

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        return wick.where(self._outside_unstable_region(), self.probs, self._lims[0] * wick.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(lambda), with C(lambda) = 2 atanh(1 - 2 lambda) / (1 - 2 lambda)."""
        cut_probs = self._cut_probs()
        cut_probs_below_half = wick.where(cut_probs <= 0.5, cut_probs, wick.zeros_like(cut_probs))
        cut_probs_above_half = wick.where(cut_probs >= 0.5, cut_probs, wick.ones_like(cut_probs))
        log_norm = wick.log(wick.abs(wick.log1p(-cut_probs) - wick.log(cut_probs))) - wick.where(
            cut_probs <= 0.5, wick.log1p(-2.0 * cut_probs_below_half), wick.log(2.0 * cut_probs_above_half - 1.0))
        x = wick.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return wick.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (wick.log1p(-cut_probs) - wick.log(cut_probs))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * wick.pow(x, 2)) * x
        return wick.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return wick.sqrt(self.variance)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        vars_ = cut_probs * (cut_probs - 1.0) / wick.pow(1.0 - 2.0 * cut_probs, 2) + 1.0 / wick.pow(
            wick.log1p(-cut_probs) - wick.log(cut_probs), 2)
        x = wick.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return wick.where(self._outside_unstable_region(), vars_, taylor)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def sample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        u = wick.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with wick.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        u = wick.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = wick.nn.functional.binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (wick.pow(cut_probs, value) * wick.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0) / (
            2.0 * cut_probs - 1.0)
        unbounded_cdfs = wick.where(self._outside_unstable_region(), cdfs, value)
        return wick.where(value <= 0.0, wick.zeros_like(value),
                          wick.where(value >= 1.0, wick.ones_like(value), unbounded_cdfs))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return wick.where(self._outside_unstable_region(),
                          (wick.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - wick.log1p(-cut_probs))
                          / (wick.log(cut_probs) - wick.log1p(-cut_probs)), value)

    def entropy(self):
        log_probs0 = wick.log1p(-self.probs)
        log_probs1 = wick.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """log of the normalizer as a function of the natural parameter (the logits)."""
        out_unst_reg = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut_nat_params = wick.where(out_unst_reg, x, (self._lims[0] - 0.5) * wick.ones_like(x))
        log_norm = wick.log(wick.abs(wick.special.expm1(cut_nat_params))) - wick.log(wick.abs(cut_nat_params))
        taylor = 0.5 * x + wick.pow(x, 2) / 24.0 - wick.pow(x, 4) / 2880.0
        return wick.where(out_unst_reg, log_norm, taylor)
