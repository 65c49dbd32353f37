"""Distribution: the base class of every probability distribution."""
import warnings

import wick
from wick.distributions import constraints
from wick.distributions.utils import lazy_property

__all__ = ["Distribution"]


class Distribution:
    """Base class of probability distributions.

    A distribution has a ``batch_shape`` (independent, not necessarily
    identical distributions computed together) and an ``event_shape`` (the
    shape of one sample of one of them); ``sample(sample_shape)`` returns a
    tensor of shape ``sample_shape + batch_shape + event_shape`` and
    ``log_prob(value)`` one of shape ``sample_shape + batch_shape``.

    Subclasses declare ``arg_constraints`` (parameter name -> Constraint) and
    ``support``; with ``validate_args`` (default: on, see
    set_default_validate_args) the parameters and the values given to log_prob
    are checked against them.
    """
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """Turns argument validation on or off for distributions created
        afterwards without an explicit validate_args."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = wick.Size(batch_shape)
        self._event_shape = wick.Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            try:
                arg_constraints = self.arg_constraints
            except NotImplementedError:
                arg_constraints = {}
                warnings.warn(f"{self.__class__} does not define `arg_constraints`. Please set `arg_constraints = {{}}`"
                              f" or initialize the distribution with `validate_args=False` to turn off validation.")
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue  # skip constraints that cannot be checked
                if param not in self.__dict__ and isinstance(getattr(type(self), param), lazy_property):
                    continue  # skip checking lazily-constructed args
                value = getattr(self, param)
                valid = constraint.check(value)
                if not bool(valid.all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                        f"distribution {self!r} to satisfy the constraint {constraint!r}, but found invalid "
                        f"values:\n{value}")
        super().__init__()

    def expand(self, batch_shape, _instance=None):
        """A new distribution (sharing parameters' memory) with its batch
        dimensions expanded to batch_shape, as Tensor.expand."""
        raise NotImplementedError

    @property
    def batch_shape(self):
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self):
        """Parameter name -> the Constraint it must satisfy."""
        raise NotImplementedError

    @property
    def support(self):
        """The Constraint the samples satisfy."""
        raise NotImplementedError

    @property
    def mean(self):
        """The mean of the distribution."""
        raise NotImplementedError(f"{self.__class__} does not implement mean")

    @property
    def mode(self):
        """The mode of the distribution."""
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        """The variance of the distribution."""
        raise NotImplementedError(f"{self.__class__} does not implement variance")

    @property
    def stddev(self):
        """The standard deviation of the distribution."""
        return self.variance.sqrt()

    def sample(self, sample_shape=wick.Size()):
        """A sample of shape sample_shape + batch_shape + event_shape (or a
        batch of them); no gradient flows through it."""
        with wick.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=wick.Size()):
        """A reparameterized sample: gradients flow from it to the parameters."""
        raise NotImplementedError

    def sample_n(self, n):
        """Deprecated: sample((n,))."""
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning)
        return self.sample(wick.Size((n,)))

    def log_prob(self, value):
        """The log of the probability density (or mass) at value."""
        raise NotImplementedError

    def cdf(self, value):
        """The cumulative distribution function at value."""
        raise NotImplementedError

    def icdf(self, value):
        """The inverse of the cumulative distribution function at value."""
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """Every value of a discrete support, along a new leading dimension
        (expanded over the batch shape when expand=True)."""
        raise NotImplementedError

    def entropy(self):
        """The entropy, of shape batch_shape."""
        raise NotImplementedError

    def perplexity(self):
        """exp(entropy)."""
        return wick.exp(self.entropy())

    def _extended_shape(self, sample_shape=wick.Size()):
        """sample_shape + batch_shape + event_shape."""
        if not isinstance(sample_shape, wick.Size):
            sample_shape = wick.Size(sample_shape)
        return wick.Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """Checks that value is a tensor whose shape broadcasts with the
        distribution's and that lies in its support."""
        if not isinstance(value, wick.Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = value.dim() - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {tuple(value.shape)} vs "
                             f"{tuple(self._event_shape)}.")
        actual_shape = tuple(value.shape)
        expected_shape = tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual_shape), reversed(expected_shape)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {actual_shape} vs "
                                 f"{expected_shape}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(f"{self.__class__} does not define `support` to enable sample validation. Please "
                          f"initialize the distribution with `validate_args=False` to turn off validation.")
            return
        valid = support.check(value)
        if not bool(valid.all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {tuple(value.shape)}) to be "
                             f"within the support ({support!r}) of the distribution {self!r}, but found invalid "
                             f"values:\n{value}")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                                      f"__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _expand_params(self, cls, batch_shape, _instance, params, shared=()):
        """The body of ``expand`` for a ``cls`` whose tensor parameters and
        component distributions named in ``params`` lead with its batch shape:
        a new ``cls`` (``_instance`` if given) of ``batch_shape`` holding each
        of them expanded to it, their other dims kept, and the attributes named
        in ``shared`` as they are. A lazy_property not computed yet is left for
        the new instance to compute."""
        new = self._get_checked_instance(cls, _instance)
        batch_shape = wick.Size(batch_shape)
        batch_dims = len(self._batch_shape)
        for name in params:
            if name in self.__dict__:
                part = self.__dict__[name]
                part_shape = part.batch_shape if isinstance(part, Distribution) else part.shape
                setattr(new, name, part.expand(batch_shape + part_shape[batch_dims:]))
        for name in shared:
            setattr(new, name, getattr(self, name))
        super(cls, new).__init__(batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _enumerate_over_batch(self, values, expand):
        """The support values (along dim 0, each of event_shape) for
        enumerate_support: with a size-1 dim for each batch dim, or expanded
        over the batch shape when expand is true."""
        values = values.view((-1,) + (1,) * len(self._batch_shape) + tuple(self._event_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape) + tuple(self._event_shape))
        return values

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
                         for p in names)
        return self.__class__.__name__ + "(" + args + ")"
