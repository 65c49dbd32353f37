"""Packed sequences for the recurrent layers, as torch.nn.utils.rnn."""
__all__ = []
