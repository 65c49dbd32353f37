"""Normalization, attention and bag-of-embeddings functions of
wick.nn.functional, composed of wick ops (so they run on every device and
differentiate through autograd): instance_norm, local_response_norm,
rms_norm, scaled_dot_product_attention, multi_head_attention_forward and
embedding_bag."""
import math
import warnings

import wick
from wick import _C

__all__ = ["instance_norm", "local_response_norm", "rms_norm", "scaled_dot_product_attention",
           "multi_head_attention_forward", "embedding_bag"]

# Machine epsilon per floating dtype: rms_norm's default eps.
_EPS = {"float16": 0.0009765625, "bfloat16": 0.0078125, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16}


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


# ---------------------------------------------------------------------------------------------------------------
# normalization


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalizes each channel of each sample of input [N, C, *] by its own
    mean and (biased) variance over the spatial dims, then scales by weight
    [C] and shifts by bias [C]. With use_input_stats=False the running
    statistics are used instead; with use_input_stats=True and running
    statistics given, they are updated in place with the average over the
    batch of the per-sample statistics (unbiased variance), as PyTorch does.
    """
    if input.dim() < 2:
        raise ValueError(f"instance_norm: expected an input of at least 2 dims [N, C, *], got {input.dim()}D")
    if use_input_stats:
        spatial = 1
        for size in input.shape[2:]:
            spatial *= size
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    # As one batch_norm over [1, N * C, *]: every (sample, channel) pair is a channel of its own.
    folded = input.reshape(1, n * c, *input.shape[2:])
    mean = running_mean.repeat(n) if running_mean is not None else None
    var = running_var.repeat(n) if running_var is not None else None
    out = _C.batch_norm(folded, mean, var, weight.repeat(n) if weight is not None else None,
                        bias.repeat(n) if bias is not None else None, use_input_stats, momentum, eps)
    if use_input_stats:
        with wick.no_grad():
            if running_mean is not None:
                running_mean.copy_(mean.view(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(var.view(n, c).mean(0))
    return out.view(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """input / (k + alpha * mean(x^2 over a window of `size` channels)) ** beta,
    for input [N, C, *]; the window is centred on each channel (size // 2
    before it, (size - 1) // 2 after it) and zero-padded at the edges."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    squares = (input * input).reshape(n, 1, c, -1)
    squares = _C.pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = _C.avg_pool2d(squares, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k).pow(beta)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """input / sqrt(mean(input^2 over the last len(normalized_shape) dims) + eps),
    times weight (of normalized_shape) when given. eps=None takes the
    machine epsilon of input's dtype. Half-precision inputs are computed in
    float32 and converted back."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    dims = len(normalized_shape)
    if dims == 0 or input.dim() < dims or tuple(input.shape[input.dim() - dims:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size "
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != normalized_shape:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {list(normalized_shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"rms_norm: expected a floating input, got {input.dtype}")
    if eps is None:
        eps = _EPS[_dtype_name(input.dtype)]
    x = input.float() if _dtype_name(input.dtype) in ("float16", "bfloat16") else input
    reduce = tuple(range(input.dim() - dims, input.dim()))
    out = x * (x * x).mean(reduce, keepdim=True).add(eps).rsqrt()
    out = out.to(input.dtype)
    return out * weight if weight is not None else out


# ---------------------------------------------------------------------------------------------------------------
# attention


def _safe_softmax(scores):
    """softmax over the last dim, except that a row whose scores are all -inf
    (every key masked out) gives zeros rather than nan, with a zero gradient:
    what PyTorch's scaled_dot_product_attention gives such rows."""
    empty = scores.isneginf().all(-1, keepdim=True)
    return _C.softmax(scores.masked_fill(empty, 0.0), -1).masked_fill(empty, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + bias) @ value, over query [..., Hq, L, E],
    key [..., H, S, E] and value [..., H, S, Ev] -> [..., Hq, L, Ev].

    attn_mask (broadcast to [..., L, S]): bool, where True marks a key that
    takes part, or floating, added to the scores. is_causal masks the keys
    after each query (top-left aligned; then attn_mask must be None). scale
    defaults to 1 / sqrt(E). dropout_p drops attention weights (always; it
    is the caller's job to pass 0 in eval). enable_gqa lets Hq be a multiple
    of H, each key/value head serving Hq / H query heads. A query whose keys
    are all masked out attends to nothing: its row of the result is zero.

    Computed as matmul + softmax + matmul (no fused kernel).
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value must have at least 2 dims, got "
                           f"{list(query.shape)}, {list(key.shape)} and {list(value.shape)}")
    if query.size(-1) != key.size(-1) or key.size(-2) != value.size(-2):
        raise RuntimeError(f"scaled_dot_product_attention: expected query [..., L, E], key [..., S, E] and value "
                           f"[..., S, Ev], got {list(query.shape)}, {list(key.shape)} and {list(value.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3:
        heads, kv_heads = query.size(-3), key.size(-3)
        if kv_heads == 0 or heads % kv_heads != 0 or value.size(-3) != kv_heads:
            raise RuntimeError(f"scaled_dot_product_attention: with enable_gqa the query heads ({heads}) must be a "
                               f"multiple of the key and value heads ({kv_heads}, {value.size(-3)})")
        if heads != kv_heads:
            key = key.repeat_interleave(heads // kv_heads, dim=-3)
            value = value.repeat_interleave(heads // kv_heads, dim=-3)
    length, source = query.size(-2), key.size(-2)
    if scale is None:
        scale = 1.0 / math.sqrt(query.size(-1)) if query.size(-1) > 0 else 1.0
    scores = wick.matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        allowed = wick.ones(length, source, dtype=wick.bool, device=query.device).tril()
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype == wick.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        elif attn_mask.is_floating_point():
            scores = scores + attn_mask
        else:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask must be bool or floating, got "
                               f"{attn_mask.dtype}")
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _C.dropout(weights, dropout_p, True)
    return wick.matmul(weights, value)


def _canonical_mask(mask, name, dtype):
    """A key padding or attention mask as an additive float mask of `dtype`:
    a bool mask becomes -inf where True (position masked out) and 0 elsewhere."""
    if mask is None:
        return None
    if mask.dtype == wick.bool:
        return wick.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the call is batched (3-D query [L, N, E]) or not (2-D [L, E]),
    with the mask shapes that go with it (PyTorch raises AssertionError)."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                             f"tensor")
    batched = query.dim() == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {query.dim()}-D but found "
                             f"{key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != query.dim() - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or {query.dim() - 1}-D "
                             f"but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{attn_mask.dim()}-D tensor instead")
        expected = (num_heads, query.shape[0], key.shape[0])
        if not batched and attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
            raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}")
    return batched


def _heads_into_batch(x, static, name, batch_heads, head_dim):
    """x [len, N, heads * head_dim] as [N * heads, len, head_dim]; or, given,
    static (the caller's own [N * heads, *, head_dim], named name) in its place."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    if static.size(0) != batch_heads or static.size(2) != head_dim:
        raise AssertionError(f"expecting {name} of shape [{batch_heads}, *, {head_dim}], but got "
                             f"{list(static.shape)}")
    return static


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """The computation of nn.MultiheadAttention: query [L, N, E], key [S, N, kdim]
    and value [S, N, vdim] (or unbatched [L, E], [S, kdim], [S, vdim]) ->
    (output [L, N, E], weights [N, L, S] averaged over heads, [N, heads, L, S]
    with average_attn_weights=False, or None without need_weights).

    key_padding_mask [N, S] and attn_mask [L, S] or [N * heads, L, S]: bool
    (True = masked out) or additive float. is_causal is a hint that attn_mask
    is the causal mask (an attn_mask is still required). A query whose keys
    are all masked out gives nan weights with need_weights, as PyTorch; with
    need_weights=False its output comes from a zero attention row.
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal hint alone drives scaled_dot_product_attention
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer the plain causal one
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")

    # in-projection
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        biases = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
        if query is key and key is value:
            q, k, v = _C.linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            q = _C.linear(query, w_q, biases[0])
            k = _C.linear(key, w_k, biases[1])
            v = _C.linear(value, w_v, biases[2])
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                                 "v_proj_weight is None")
        biases = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
        q = _C.linear(query, q_proj_weight, biases[0])
        k = _C.linear(key, k_proj_weight, biases[1])
        v = _C.linear(value, v_proj_weight, biases[2])

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    # a learned extra key and value
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key and value")
        k = wick.cat([k, bias_k.repeat(1, bsz, 1)])
        v = wick.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _C.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _C.pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")

    # heads into the batch: [N * heads, len, head_dim]
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads_into_batch(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads_into_batch(v, static_v, "static_v", bsz * num_heads, head_dim)

    if add_zero_attn:
        zeros = wick.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k = wick.cat([k, zeros], dim=1)
        v = wick.cat([v, zeros], dim=1)
        if attn_mask is not None:
            attn_mask = _C.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = _C.pad(key_padding_mask, (0, 1))
    src_len = k.size(1)

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        key_padding_mask = key_padding_mask.reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("is_causal needs attn_mask when need_weights is True")
        scores = wick.matmul(q * math.sqrt(1.0 / float(head_dim)), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = _C.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = _C.dropout(weights, dropout_p, True)
        out = wick.matmul(weights, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _C.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _C.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


# ---------------------------------------------------------------------------------------------------------------
# embedding bags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of rows of weight [num_embeddings, dim],
    without materialising the rows of each bag separately.

    input is either [B, L] (B bags of L indices each, offsets None) or 1-D
    with offsets [B] giving where each bag starts (the last one runs to the
    end; with include_last_offset, offsets has B + 1 entries, the last being
    the end). per_sample_weights (input's shape, mode "sum" only) scales
    each row. Indices equal to padding_idx are left out of their bag. An
    empty bag gives zeros. Returns [B, dim].
    """
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding_bag: scale_grad_by_freq and sparse gradients are not supported")
    if weight.dtype == wick.long and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.")
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                         f"then it must have the same shape as the input ({tuple(input.shape)})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.is_floating_point() or input.dtype == wick.bool:
        raise TypeError(f"embedding_bag: expected an integer input of indices, got {input.dtype}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        offsets = wick.arange(0, input.numel(), max(input.size(1), 1), dtype=wick.long, device=input.device)
        if input.size(1) == 0:
            offsets = wick.zeros(input.size(0), dtype=wick.long, device=input.device)
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"the Pytorch GitHub.")
    if padding_idx is not None:
        if not -weight.size(0) <= padding_idx < weight.size(0):
            raise ValueError(f"padding_idx must be within the number of embeddings ({weight.size(0)}), got "
                             f"{padding_idx}")
        padding_idx = padding_idx % weight.size(0)
    if max_norm is not None:
        from wick.nn.functional import _embedding_renorm_
        _embedding_renorm_(weight, input, max_norm, norm_type)

    offsets = offsets.long().to(input.device)
    count = input.numel()
    starts = offsets.tolist()
    if starts and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}")
    if starts and starts[-1] > count:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length ({count}), but got offsets[-1] of "
                           f"{starts[-1]}")
    if any(b < a for a, b in zip(starts, starts[1:])):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {starts}")
    if include_last_offset:
        if not starts:
            raise RuntimeError("embedding_bag: include_last_offset needs at least one offset")
        bags, end = len(starts) - 1, starts[-1]
    else:
        bags, end = len(starts), count

    dim = weight.size(1)
    if padding_idx is None and bags:
        length = (starts[1] if bags > 1 else end) - starts[0]
        if length > 0 and end == bags * length and starts[:bags] == list(range(0, end, length)):
            # Bags of one length: the rows as [bags, length, dim], reduced along the length; sums
            # as (weighted) [1, length] @ [length, dim] matmuls, faster than a strided sum.
            rows = _C.embedding(weight, input[:end]).reshape(bags, length, dim)
            if mode == "max":
                return rows.max(1)[0]
            if per_sample_weights is not None and per_sample_weights.dtype != rows.dtype:
                return (rows * per_sample_weights[:end].reshape(bags, length, 1)).sum(1)
            if per_sample_weights is not None:
                scale = per_sample_weights[:end].reshape(bags, 1, length)
            else:
                scale = wick.ones(1, length, dtype=rows.dtype, device=rows.device)
            out = _C.matmul(scale, rows).reshape(bags, dim)
            return out if mode == "sum" else out / length
        # Every position up to the end counts: each one's bag from the bag sizes.
        sizes = [b - a for a, b in zip(starts[:bags], starts[1:bags] + [end])]
        kept = None
        bag_of = wick.arange(bags, device=input.device).repeat_interleave(
            wick.tensor(sizes, dtype=wick.long, device=input.device))
        indices = input[:end]
    else:
        kept, bag_of, indices = _bag_positions(input, offsets, bags, end, padding_idx)
    rows = _C.embedding(weight, indices)
    if mode == "max":
        return _bag_max(rows, bag_of, bags, dim, weight)
    if per_sample_weights is not None:
        rows = rows * (per_sample_weights[:end] if kept is None else per_sample_weights.index_select(0, kept)
                       ).unsqueeze(1)
    out = wick.zeros(bags, dim, dtype=weight.dtype, device=weight.device).index_add(0, bag_of, rows)
    if mode == "mean":
        if kept is None:
            sizes = wick.tensor(sizes, dtype=weight.dtype, device=weight.device)
        else:
            sizes = wick.zeros(bags, dtype=weight.dtype, device=weight.device).index_add(
                0, bag_of, wick.ones(bag_of.numel(), dtype=weight.dtype, device=weight.device))
        out = out / sizes.clamp_min(1).unsqueeze(1)
    return out


def _bag_positions(input, offsets, bags, end, padding_idx):
    """The positions of input that count (before end, in a bag, not padding_idx), their bags and indices."""
    count = input.numel()
    # Each position's bag (-1 past the end), and whether it counts.
    positions = wick.arange(count, device=input.device)
    bag_of = wick.searchsorted(offsets[:bags].contiguous(), positions, right=True) - 1 if bags else positions * 0 - 1
    keep = (positions < end) & (bag_of >= 0)
    if padding_idx is not None:
        keep = keep & (input != padding_idx)
    kept = keep.nonzero().reshape(-1)
    return kept, bag_of.index_select(0, kept), input.index_select(0, kept)


def _bag_max(rows, bag_of, bags, dim, weight):
    """The elementwise maximum of the rows [m, dim] in each of `bags` bags
    (bag_of [m], non-decreasing); an empty bag gives zeros. The gradient goes
    to the row holding each maximum."""
    sizes = wick.bincount(bag_of, minlength=bags) if bag_of.numel() else wick.zeros(bags, dtype=wick.long,
                                                                                     device=rows.device)
    longest = int(sizes.max()) if bags else 0
    if bags == 0 or longest == 0:
        return wick.zeros(bags, dim, dtype=weight.dtype, device=weight.device)
    # Lay the rows out as [bags, longest, dim] padded with -inf, then reduce.
    first = sizes.cumsum(0) - sizes
    rank = wick.arange(bag_of.numel(), device=rows.device) - first.index_select(0, bag_of)
    slots = bag_of * longest + rank
    padded = wick.full((bags * longest, dim), float("-inf"), dtype=weight.dtype, device=weight.device)
    padded = padded.index_copy(0, slots, rows).reshape(bags, longest, dim)
    out = padded.max(1)[0]
    return out.masked_fill((sizes == 0).unsqueeze(1), 0.0)
