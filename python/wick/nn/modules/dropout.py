from wick.nn import functional as F
from wick.nn.modules.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """What the dropouts share: the probability p (checked to lie in [0, 1]) and the inplace flag. Each
    draws from the global generator (wick.manual_seed makes it repeatable) in training mode only; in eval
    mode each is the identity."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zeroes each element with probability p and scales the rest by 1 / (1 - p)."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """In training mode, zeroes whole channels (input[n, c], a 1-D signal) with probability p and scales
    the rest by 1 / (1 - p); input [N, C, L] or [C, L]."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training mode, zeroes whole channels (input[n, c], a 2-D map) with probability p and scales the
    rest by 1 / (1 - p); input [N, C, H, W]. A 3-D input is read as [N, C, L], with PyTorch's warning."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training mode, zeroes whole channels (input[n, c], a 3-D volume) with probability p and scales
    the rest by 1 / (1 - p); input [N, C, D, H, W] or [C, D, H, W]."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: in training mode, sets each element with probability p to SELU's negative
    saturation and scales and shifts all so the mean and variance are kept. As PyTorch's, it never works
    in place (``inplace`` is only recorded)."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout with one draw per channel (input[n, c] whole). As PyTorch's, it never works in place
    (``inplace`` is only recorded)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
