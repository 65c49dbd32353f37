"""The chi-squared distribution."""
import wick
from wick.distributions import constraints
from wick.distributions.gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2)."""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        df = wick.as_tensor(df) if not isinstance(df, wick.Tensor) else df
        if not df.is_floating_point():
            df = df.to(wick.get_default_dtype())
        super().__init__(0.5 * df, wick.full_like(df, 0.5), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)

    @property
    def df(self):
        return self.concentration * 2
