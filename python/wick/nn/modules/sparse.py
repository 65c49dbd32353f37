import wick
from wick.nn import functional as F
from wick.nn import init
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter

__all__ = ["Embedding", "EmbeddingBag"]


def _row_index(padding_idx, num_embeddings, name):
    """padding_idx as a row of the table (a negative one counts from the end); None stays None."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num_embeddings:
                raise ValueError(f"{name} must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num_embeddings:
                raise ValueError(f"{name} must be within num_embeddings")
            padding_idx = num_embeddings + padding_idx
    return padding_idx


class _EmbeddingTable(Module):
    """What Embedding and EmbeddingBag share: the weight, a table of
    num_embeddings rows of embedding_dim (given, or initialised N(0, 1) with
    the padding_idx row zero), and from_pretrained."""

    def _init_weight(self, _weight, device, dtype):
        if _weight is None:
            self.weight = Parameter(wick.empty((self.num_embeddings, self.embedding_dim), device=device,
                                               dtype=dtype))
            self.reset_parameters()
        else:
            if list(_weight.shape) != [self.num_embeddings, self.embedding_dim]:
                raise ValueError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with wick.no_grad():
                self.weight[self.padding_idx].fill_(0)

    @classmethod
    def _from_pretrained(cls, embeddings, freeze, **kwargs):
        if embeddings.dim() != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        table = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, **kwargs)
        table.weight.requires_grad = not freeze
        return table


class Embedding(_EmbeddingTable):
    """A table of num_embeddings vectors of embedding_dim, initialised N(0, 1);
    the row at padding_idx is zero and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, device=None, dtype=None):
        super().__init__()
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: scale_grad_by_freq and sparse gradients are not supported")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _row_index(padding_idx, num_embeddings, "Padding_idx")
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        self._init_weight(_weight, device, dtype)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding holding `embeddings` [num, dim] (shared, not copied);
        frozen (no gradient) unless freeze=False."""
        return cls._from_pretrained(embeddings, freeze, padding_idx=padding_idx, max_norm=max_norm,
                                    norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(_EmbeddingTable):
    """A table of num_embeddings vectors of embedding_dim (initialised N(0, 1))
    read in bags (F.embedding_bag): forward(input, offsets=None,
    per_sample_weights=None) -> [bags, embedding_dim], the sum, mean (the
    default) or max of each bag's rows. Indices equal to padding_idx are left
    out of their bag, and its row is zero."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("EmbeddingBag: scale_grad_by_freq and sparse gradients are not supported")
        if mode not in ("sum", "mean", "max"):
            raise ValueError("mode has to be one of sum, mean or max")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _row_index(padding_idx, num_embeddings, "padding_idx")
        self._init_weight(_weight, device, dtype)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag holding `embeddings` [num, dim] (shared, not copied);
        frozen (no gradient) unless freeze=False."""
        return cls._from_pretrained(embeddings, freeze, max_norm=max_norm, norm_type=norm_type,
                                    scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                                    include_last_offset=include_last_offset, padding_idx=padding_idx)
