"""wick.distributions: probability distributions with sampling, log_prob and
entropy, as torch.distributions."""
__all__ = []
