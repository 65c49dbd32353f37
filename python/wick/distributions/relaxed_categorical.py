"""The relaxed (Concrete / Gumbel-softmax) one-hot categorical distribution."""
import wick
from wick.distributions import constraints
from wick.distributions._probs_or_logits import _CategoricalParams, _RelaxedParams
from wick.distributions.categorical import Categorical
from wick.distributions.distribution import Distribution
from wick.distributions.transformed_distribution import TransformedDistribution
from wick.distributions.transforms import ExpTransform
from wick.distributions.utils import clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_CategoricalParams, Distribution):
    """The log of a RelaxedOneHotCategorical sample (Maddison et al., 2017):
    log_softmax((logits + G) / temperature), G standard Gumbel noise."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(ExpRelaxedCategorical, batch_shape, _instance, ("_categorical",),
                                   shared=("temperature",))

    def rsample(self, sample_shape=wick.Size()):
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(wick.rand(shape, dtype=self.logits.dtype, device=self.logits.device))
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = wick.broadcast_tensors(self.logits, value)
        temperature = wick.as_tensor(self.temperature, dtype=logits.dtype, device=logits.device)
        # log((K - 1)!) + (K - 1) log(temperature)
        log_scale = wick.lgamma(wick.full_like(temperature, float(K))) + (K - 1) * temperature.log()
        score = logits - value * temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_RelaxedParams, TransformedDistribution):
    """A continuous relaxation of OneHotCategorical on the simplex with
    ``temperature``: softmax((logits + G) / temperature), G standard Gumbel
    noise. rsample is reparameterized."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)
