"""wick.distributions: probability distributions with sampling, log_prob and
entropy, as torch.distributions.

Each distribution has a ``batch_shape`` and an ``event_shape``; ``sample``
and (where reparameterizable) ``rsample`` draw values, ``log_prob``,
``cdf``, ``icdf`` and ``entropy`` evaluate them, and ``kl_divergence(p, q)``
gives closed-form KL divergences. ``transforms`` and ``constraints`` hold
the bijections and supports; ``TransformedDistribution`` combines them.
"""
from wick.distributions import constraints, transforms
from wick.distributions.bernoulli import Bernoulli
from wick.distributions.beta import Beta
from wick.distributions.binomial import Binomial
from wick.distributions.categorical import Categorical
from wick.distributions.cauchy import Cauchy
from wick.distributions.chi2 import Chi2
from wick.distributions.constraint_registry import biject_to, transform_to
from wick.distributions.continuous_bernoulli import ContinuousBernoulli
from wick.distributions.dirichlet import Dirichlet
from wick.distributions.distribution import Distribution
from wick.distributions.exp_family import ExponentialFamily
from wick.distributions.exponential import Exponential
from wick.distributions.fishersnedecor import FisherSnedecor
from wick.distributions.gamma import Gamma
from wick.distributions.generalized_pareto import GeneralizedPareto
from wick.distributions.geometric import Geometric
from wick.distributions.gumbel import Gumbel
from wick.distributions.half_cauchy import HalfCauchy
from wick.distributions.half_normal import HalfNormal
from wick.distributions.independent import Independent
from wick.distributions.inverse_gamma import InverseGamma
from wick.distributions.kl import kl_divergence, register_kl
from wick.distributions.kumaraswamy import Kumaraswamy
from wick.distributions.laplace import Laplace
from wick.distributions.lkj_cholesky import LKJCholesky
from wick.distributions.log_normal import LogNormal
from wick.distributions.logistic_normal import LogisticNormal
from wick.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from wick.distributions.mixture_same_family import MixtureSameFamily
from wick.distributions.multinomial import Multinomial
from wick.distributions.multivariate_normal import MultivariateNormal
from wick.distributions.negative_binomial import NegativeBinomial
from wick.distributions.normal import Normal
from wick.distributions.one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from wick.distributions.pareto import Pareto
from wick.distributions.poisson import Poisson
from wick.distributions.relaxed_bernoulli import RelaxedBernoulli
from wick.distributions.relaxed_categorical import RelaxedOneHotCategorical
from wick.distributions.studentT import StudentT
from wick.distributions.transformed_distribution import TransformedDistribution
from wick.distributions.transforms import *  # noqa: F401,F403
from wick.distributions.uniform import Uniform
from wick.distributions.von_mises import VonMises
from wick.distributions.weibull import Weibull
from wick.distributions.wishart import Wishart

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet",
           "Distribution", "Exponential", "ExponentialFamily", "FisherSnedecor", "Gamma", "GeneralizedPareto",
           "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy",
           "LKJCholesky", "Laplace", "LogNormal", "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily",
           "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "StudentT", "TransformedDistribution", "Uniform", "VonMises", "Weibull", "Wishart", "biject_to",
           "constraints", "kl_divergence", "register_kl", "transform_to", "transforms"]
__all__.extend(transforms.__all__)
