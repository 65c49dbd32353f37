"""Packed sequences for the recurrent layers, as torch.nn.utils.rnn.

A batch of B sequences of lengths l_0 >= l_1 >= ... packed time step by time
step: data [sum(l), *] holds step 0 of every sequence, then step 1 of those
that have one, and so on; batch_sizes[t] (an int64 CPU tensor) says how many
sequences have a step t. LSTM, GRU and RNN take a PackedSequence and return
one, computing nothing for the padding.
"""
from collections import namedtuple

import wick

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def invert_permutation(permutation):
    """The permutation q with q[permutation[i]] = i (None for None)."""
    if permutation is None:
        return None
    inverse = wick.empty_like(permutation)
    return inverse.scatter_(0, permutation, wick.arange(permutation.numel(), device=permutation.device))


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of sequences (build it with pack_padded_sequence or
    pack_sequence, not by hand): data [sum of lengths, *], batch_sizes [T]
    (int64, on the CPU), and sorted_indices / unsorted_indices, the
    permutation from the caller's batch order to the order by decreasing
    length and back (None when the sequences came sorted)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            # The legacy form PackedSequence((data, batch_sizes)).
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise TypeError("PackedSequence: expected data and batch_sizes, or a (data, batch_sizes) pair")
            data, batch_sizes = data
        if not isinstance(batch_sizes, wick.Tensor) or batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """data moved and/or cast as Tensor.to; the indices follow data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data.dtype == self.data.dtype and data.device == self.data.device:
            return self  # nothing to do (compared, not `is`: wick's Tensor.to returns a new tensor even then)
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=wick.float64)

    def float(self):
        return self.to(dtype=wick.float32)

    def half(self):
        return self.to(dtype=wick.float16)

    def long(self):
        return self.to(dtype=wick.int64)

    def int(self):
        return self.to(dtype=wick.int32)

    def byte(self):
        return self.to(dtype=wick.uint8)

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    @property
    def is_cuda(self):
        """Whether data is on a CUDA device."""
        return self.data.is_cuda


def _packed_positions(batch_sizes, batch, device):
    """The positions, in a [T, B] time-major padded layout flattened to T * B,
    of the packed elements in order."""
    sizes = batch_sizes.tolist()
    steps = len(sizes)
    grid = wick.arange(steps * batch, device=device).reshape(steps, batch)
    valid = wick.arange(batch).unsqueeze(0) < wick.tensor(sizes, dtype=wick.long).unsqueeze(1)
    return grid.masked_select(valid.to(device))


def _lengths_from_batch_sizes(batch_sizes):
    """Each (sorted) sequence's length: how many steps have it in the batch."""
    sizes = batch_sizes.tolist()
    batch = sizes[0] if sizes else 0
    return [sum(1 for s in sizes if s > b) for b in range(batch)]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs input [T, B, *] ([B, T, *] with batch_first), whose sequence b
    has lengths[b] valid steps, into a PackedSequence. With enforce_sorted
    the lengths must be in decreasing order; otherwise they are sorted here
    and the permutation kept, so that pad_packed_sequence restores the
    caller's order."""
    if isinstance(lengths, wick.Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device.type} {lengths.dtype} tensor")
        lengths = lengths.cpu().long()
    else:
        lengths = wick.tensor(list(lengths), dtype=wick.long)
    if enforce_sorted:
        sorted_indices = None
    else:
        lengths, sorted_indices = wick.sort(lengths, descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    batch = input.size(1)
    values = lengths.tolist()
    if len(values) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
                           f"(batch_size={batch})")
    if values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if any(b > a for a, b in zip(values, values[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You "
                           "can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                           "sidestep this requirement if you do not need ONNX exportability.")
    if values[0] > input.size(0):
        raise RuntimeError(f"lengths[0] ({values[0]}) exceeds the sequence length of the input ({input.size(0)})")
    batch_sizes = wick.tensor([sum(1 for v in values if v > t) for t in range(values[0])], dtype=wick.long)
    flat = input.reshape(input.size(0) * batch, *input.shape[2:])
    data = flat.index_select(0, _packed_positions(batch_sizes, batch, input.device))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded [T, B, *] or [B, T, *] with
    batch_first, lengths [B] as an int64 CPU tensor), in the batch order the
    sequences were packed from. T is the longest length, or total_length."""
    sizes = sequence.batch_sizes.tolist()
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    data = sequence.data
    batch = sizes[0] if sizes else 0
    positions = _packed_positions(sequence.batch_sizes, batch, data.device)
    padded = wick.full((steps * batch, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = padded.index_copy(0, positions, data).reshape(steps, batch, *data.shape[1:])
    lengths = wick.tensor(_lengths_from_batch_sizes(sequence.batch_sizes), dtype=wick.long)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices.cpu())
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences [L_i, *] into [max L, B, *] ([B, max L, *] with
    batch_first), filling with padding_value after each sequence (before it
    with padding_side="left")."""
    if isinstance(sequences, wick.Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = list(sequences)
    except TypeError:
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences).__name__}") from None
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for i, seq in enumerate(sequences):
        if seq.dim() == 0 or tuple(seq.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {list(seq.shape)}, expected [*, "
                               f"{', '.join(str(s) for s in trailing)}] like sequence 0")
    longest = max(seq.size(0) for seq in sequences)
    padded = []
    for seq in sequences:
        missing = longest - seq.size(0)
        if missing:
            fill = wick.full((missing, *trailing), padding_value, dtype=seq.dtype, device=seq.device)
            seq = wick.cat([seq, fill] if padding_side == "right" else [fill, seq])
        padded.append(seq)
    return wick.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of pad_sequence: a list of B tensors [lengths[b], *] cut from
    padded_sequences [T, B, *] ([B, T, *] with batch_first)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = lengths.tolist() if isinstance(lengths, wick.Tensor) else list(lengths)
    if len(lengths) != padded_sequences.size(0):
        raise RuntimeError(f"unpad_sequence: got {len(lengths)} lengths for a batch of {padded_sequences.size(0)}")
    return [seq[:int(length)] for seq, length in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences [L_i, *] (by decreasing length, unless
    enforce_sorted=False) into a PackedSequence.

    Example::

        >>> from wick.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> packed = pack_sequence([wick.tensor([1, 2, 3]), wick.tensor([4, 5])])
        >>> packed.data, packed.batch_sizes
        (tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
        >>> pad_packed_sequence(packed, batch_first=True)
        (tensor([[1, 2, 3],
                [4, 5, 0]]), tensor([3, 2]))
    """
    lengths = wick.tensor([seq.size(0) for seq in sequences], dtype=wick.long)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of pack_sequence: the list of sequences [L_i, *]."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
