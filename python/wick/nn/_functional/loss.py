"""The losses and distances of torch.nn.functional beyond the C++ ones in
ops/loss.h, each composed of wick ops (so each runs on every device and has
autograd): kl_div, poisson_nll_loss, gaussian_nll_loss, the margin and
embedding losses, ctc_loss, cosine_similarity, pairwise_distance and pdist.

Arguments, defaults, shapes and error types follow PyTorch 2.x, the
deprecated size_average/reduce included (they override reduction, with
PyTorch's warning).
"""
import math
import warnings

import wick

__all__ = [
    "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss", "multi_margin_loss",
    "multilabel_margin_loss", "soft_margin_loss", "multilabel_soft_margin_loss", "ctc_loss", "cosine_similarity",
    "pairwise_distance", "pdist", "linear_cross_entropy",
]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce):
    """PyTorch's mapping of the deprecated size_average/reduce arguments (None
    meaning True) to a reduction name, with PyTorch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    name = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{name}' instead.")
    return name


def _reduction(size_average, reduce, reduction):
    """The reduction to apply: the legacy arguments when either is given, else reduction (checked)."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise KL divergence target * (log(target) - input), input being
    log-probabilities; with log_target=True, target is given as log-probabilities
    too. reduction "batchmean" divides the sum by the batch size (input.size(0)),
    the KL divergence's definition; "mean" divides by the number of elements and warns.

    >>> p = wick.tensor([[0.25, 0.75]])
    >>> wick.nn.functional.kl_div(p.log(), p, reduction="batchmean")
    tensor(0.)
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.")
        if reduction not in _REDUCTIONS + ("batchmean",):
            raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        terms = target.exp() * (target - input)
    else:
        terms = wick.xlogy(target, target) - target * input  # 0 * log(0) = 0
    if reduction == "batchmean":
        total = terms.sum()
        return total / input.size(0) if input.dim() != 0 else total
    return _reduce(terms, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of target under Poisson(rate): exp(input) - target * input
    when log_input (input is the log-rate), else input - target * log(input + eps).
    full adds Stirling's approximation of log(target!), target * log(target) - target
    + 0.5 * log(2 pi target), where target > 1 (0 elsewhere)."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Evaluated at a safe 1 where target <= 1, so the dropped branch cannot make NaN gradients.
        counted = target > 1
        t = wick.where(counted, target, wick.ones_like(target))
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + wick.where(counted, stirling, wick.zeros_like(stirling))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of target under Normal(input, var):
    0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)), plus
    0.5 * log(2 pi) when full. var has input's shape (heteroscedastic), or that
    shape without (or with 1 as) its last dimension (homoscedastic), or is a
    positive float used for every element. The clamp to eps does not stop var's gradient.

    >>> wick.nn.functional.gaussian_nll_loss(wick.tensor([1.0, 3.0]), wick.tensor([2.0, 3.0]), 1.0)
    tensor(0.2500)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = wick.full_like(input, float(var))
    elif var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)  # one variance per row of the last dimension
        elif not (input.size()[:-1] == var.size()[:-1] and var.size(-1) == 1):
            raise ValueError(f"var is of incorrect size: {tuple(var.shape)} for input of size {tuple(input.shape)}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    # Clamped in value only: the gradient reaches var as if unclamped, as in PyTorch.
    var = var.clone()
    with wick.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin): target 1 asks input1 to rank
    above input2 by margin, -1 below. The three tensors have the same number of dims."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, "
                           f"target: {tuple(target.shape)}")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where target is -1 (input
    usually a distance, target telling similar pairs from dissimilar ones)."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = wick.zeros_like(input)
    hinge = wick.where(target != 1, (margin - input).clamp_min(0), zeros)
    return _reduce(hinge + wick.where(target != -1, input, zeros), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is
    -1; inputs [N, D] with target [N], or [D] with a 0-dim target."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.dim() == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{tuple(input1.shape)} and {tuple(input2.shape)}.")
    elif target.dim() == 0:
        if input1.dim() != 1 or input2.dim() != 1:
            raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with sizes "
                               f"{tuple(input1.shape)} and {tuple(input2.shape)}.")
    else:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    dim = target.dim()
    eps = 1e-12  # PyTorch's, added to each squared norm
    dot = (input1 * input2).sum(dim)
    norms = (((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)).sqrt()
    cos = dot / norms
    zeros = wick.zeros_like(cos)
    loss = wick.where(target == 1, 1 - cos, zeros) + wick.where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(loss, reduction)


def _same_dims(anchor, positive, negative):
    if not anchor.dim() == positive.dim() == negative.dim():
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.dim()}D, positive {positive.dim()}D, and negative "
                           f"{negative.dim()}D inputs")


def _triplet(anchor, positive, negative, distance, margin, swap, reduction):
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:  # the harder of the two negatives' distances (Balntas et al., 2016)
        d_neg = wick.minimum(d_neg, distance(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, d(anchor, positive) - d(anchor, negative) + margin), d the p-norm
    pairwise_distance (with its eps) over the last dim; swap uses
    min(d(anchor, negative), d(positive, negative)) as the negative distance."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _same_dims(anchor, positive, negative)
    return _triplet(anchor, positive, negative, lambda x, y: pairwise_distance(x, y, p, eps), margin, swap,
                    reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """triplet_margin_loss with any distance_function(x, y) -> distances (default
    pairwise_distance)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _same_dims(anchor, positive, negative)
    distance = distance_function if distance_function is not None else pairwise_distance
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction)


def _as_rows(input, name):
    """input [N, C], [C] or a scalar as [N, C] rows; PyTorch's shape check of the multi-class margin losses."""
    ndim = input.dim()
    if not (ndim == 0 or (ndim == 1 and input.size(0) != 0) or (ndim == 2 and input.size(1) != 0)):
        raise RuntimeError(f"{name}: expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{tuple(input.shape)}")
    return input.reshape(-1, input.size(-1) if ndim else 1)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: for each row x with class y, the sum over the other
    classes j of max(0, margin - x[y] + x[j])^p (times weight[y]), divided by the
    number of classes. input [N, C] with target [N], or [C] with one target."""
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    rows = _as_rows(input, "multi_margin_loss")
    n, c = rows.shape
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError(f"multi_margin_loss: inconsistent target size, expected {n} but got {tuple(target.shape)}")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"multi_margin_loss: inconsistent weight size, expected {c} but got {tuple(weight.shape)}")
    labels = target.reshape(n, 1)
    if n and bool(((labels < 0) | (labels >= c)).any()):
        raise RuntimeError(f"multi_margin_loss: target out of range: the classes are 0..{c - 1}")
    hinge = (margin - rows.gather(1, labels) + rows).clamp_min(0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[labels]
    others = wick.arange(c, device=input.device) != labels  # the target's own class adds nothing
    loss = wick.where(others, hinge, wick.zeros_like(hinge)).sum(1) / c
    if reduction == "none":
        return loss if input.dim() == 2 or target.dim() == 1 else loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss. Each row of target holds the row's class indices,
    ended by the first -1; the loss sums max(0, 1 - (x[j] - x[i])) over those
    classes j and the classes i not among them, divided by the number of classes."""
    reduction = _reduction(size_average, reduce, reduction)
    rows = _as_rows(input, "multilabel_margin_loss")
    n, c = rows.shape
    if input.dim() == 2:
        consistent = target.dim() == 2 and tuple(target.shape) == (n, c)
    else:
        consistent = target.dim() <= 1 and target.numel() == c
    if not consistent:
        raise RuntimeError(f"multilabel_margin_loss: inconsistent target size: {tuple(target.shape)} for input of "
                           f"size: {tuple(input.shape)}")
    labels = target.reshape(n, c)
    if n and bool(((labels < -1) | (labels >= c)).any()):
        raise RuntimeError(f"multilabel_margin_loss: target out of range: the classes are 0..{c - 1} (or -1)")
    listed = (labels >= 0).to(wick.int64).cumprod(1).bool()  # the entries before the first -1
    safe = wick.where(listed, labels, wick.zeros_like(labels))
    # is_target[r, k]: class k is among row r's listed classes.
    is_target = wick.zeros(n, c, dtype=wick.int64, device=input.device).scatter_add(1, safe, listed.to(wick.int64)) > 0
    x_target = rows.gather(1, safe)  # [n, c]: x at each listed class
    hinge = (1 - x_target.unsqueeze(2) + rows.unsqueeze(1)).clamp_min(0)  # [n, j, i]
    pairs = listed.unsqueeze(2) & ~is_target.unsqueeze(1)
    loss = wick.where(pairs, hinge, wick.zeros_like(hinge)).sum((1, 2)) / c
    if reduction == "none":
        return loss if input.dim() == 2 else loss.reshape(())
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Two-class logistic loss log(1 + exp(-target * input)), target in {1, -1}
    (computed as -logsigmoid(target * input), which does not overflow)."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -wick.log_sigmoid(input * target)
    if input.is_floating_point() and loss.dtype != input.dtype:
        loss = loss.to(input.dtype)  # PyTorch's kernel writes into a tensor of input's dtype, then reduces
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-class binary cross entropy of logits input [N, C] against 0/1 target,
    optionally weighted per class, averaged over the classes: one loss per row."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * wick.log_sigmoid(input) + (1 - target) * wick.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.dim() - 1) / input.size(-1)
    return _reduce(loss, reduction)


def _lengths(lengths, name):
    """input_lengths/target_lengths (a tensor, list, tuple or int) as a list of ints."""
    if isinstance(lengths, wick.Tensor):
        if lengths.is_floating_point():
            raise RuntimeError(f"ctc_loss: {name} must be integers, got {lengths.dtype}")
        lengths = lengths.reshape(-1).tolist()
    elif isinstance(lengths, int):
        lengths = [lengths]
    return [int(v) for v in lengths]


def _logsumexp(terms, dim):
    """logsumexp along dim that is -inf, with zero gradients, where all terms are
    -inf (wick.logsumexp's gradient is NaN there, which CTC's impossible paths hit)."""
    top = terms.amax(dim, keepdim=True).detach()
    top = wick.where(top.isfinite(), top, wick.zeros_like(top))
    total = (terms - top).exp().sum(dim)
    some = total > 0
    shifted = wick.where(some, total, wick.ones_like(total)).log() + top.squeeze(dim)
    return wick.where(some, shifted, wick.full_like(shifted, -math.inf))


def _ctc_forward(alpha, emit, in_len, in_lens, can_skip):
    """The CTC forward variables alpha [N, states] (log space) from time 0 to each input's end (a
    sample stays frozen past its own end).

    A step is alpha'[s] = emit[t, s] + log(exp(alpha[s]) + exp(alpha[s - 1]) + exp(alpha[s - 2]))
    (the last term only where state s may skip), as elementwise ops on shifted views of alpha: a
    3-term logsumexp, shifted by the terms' maximum (a constant to autograd, 0 where all are -inf).
    Where all three are -inf the sum is 0 and its log -inf; masked_fill gives it a 0 gradient there,
    so impossible paths give no NaN.
    """
    n = alpha.size(0)
    dtype, device = alpha.dtype, alpha.device
    never = wick.full((n, 2), -math.inf, dtype=dtype, device=device)
    skip = wick.where(can_skip, wick.zeros_like(alpha), wick.full_like(alpha, -math.inf))
    shortest = min(in_lens)
    for t in range(1, max(in_lens)):
        padded = wick.cat([never, alpha], 1)
        step, jump = padded[:, 1:-1], padded[:, :-2] + skip
        with wick.no_grad():
            top = wick.maximum(wick.maximum(alpha, step), jump)
            top = top.masked_fill(top == -math.inf, 0)
        total = (alpha - top).exp() + (step - top).exp() + (jump - top).exp()
        with wick.no_grad():
            empty = total <= 0
        advanced = emit[t] + (total.masked_fill(empty, 0).log() + top)
        # frozen past each input's end
        alpha = advanced if t < shortest else wick.where((t < in_len).unsqueeze(1), advanced, alpha)
    return alpha


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss: -log of the total probability
    of all alignments of each target to its input (Graves et al., 2006).

    log_probs: [T, N, C] (or [T, C] unbatched) log-softmax outputs.
    targets: [N, S] padded (each row read up to its length) or the N targets
        concatenated into one 1-D tensor; class indices other than blank.
    input_lengths, target_lengths: N lengths each (tensors, lists or tuples).
    reduction "mean" divides each loss by its target length, then averages.
    zero_infinity: impossible alignments (infinite losses) give 0 and no gradient.

    The forward recursion runs in log space over time with tensor ops; its
    gradient is autograd's through it.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_probs.dim() not in (2, 3):
        raise RuntimeError(f"ctc_loss: log_probs must be [T, N, C] or [T, C], got shape {tuple(log_probs.shape)}")
    if not log_probs.is_floating_point():
        raise RuntimeError(f"ctc_loss: log_probs must be floating point, got {log_probs.dtype}")
    batched = log_probs.dim() == 3
    if not batched:
        log_probs, targets = log_probs.unsqueeze(1), targets.unsqueeze(0)
    steps, n, classes = log_probs.shape
    in_lens, tgt_lens = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    if len(in_lens) != n:
        raise RuntimeError(f"ctc_loss: input_lengths must be of size batch_size {n}, got {len(in_lens)}")
    if len(tgt_lens) != n:
        raise RuntimeError(f"ctc_loss: target_lengths must be of size batch_size {n}, got {len(tgt_lens)}")
    if not 0 <= blank < classes:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {classes}), got {blank}")
    for value in in_lens:
        if value > steps:
            raise RuntimeError(f"ctc_loss: expected input_lengths to have value at most {steps}, but got value {value}")
    if min(in_lens + tgt_lens, default=0) < 0:
        raise RuntimeError(f"ctc_loss: lengths must be non-negative, got input_lengths {in_lens} and "
                           f"target_lengths {tgt_lens}")
    width = max(tgt_lens, default=0)
    device = log_probs.device
    if targets.dim() == 1:  # concatenated: gather each target's entries into padded rows
        if targets.numel() < sum(tgt_lens):
            raise RuntimeError(f"ctc_loss: the concatenated targets hold {targets.numel()} entries, but "
                               f"target_lengths sum to {sum(tgt_lens)}")
        starts = [sum(tgt_lens[:b]) for b in range(n)]
        index = [[starts[b] + min(s, max(tgt_lens[b] - 1, 0)) for s in range(width)] for b in range(n)]
        padded = targets.take(wick.tensor(index, dtype=wick.int64, device=targets.device)) if width else \
            wick.zeros(n, 0, dtype=wick.int64, device=device)
    elif targets.dim() == 2:
        if targets.size(0) != n or targets.size(1) < width:
            raise RuntimeError(f"ctc_loss: padded targets must be [{n}, >= {width}], got {tuple(targets.shape)}")
        padded = targets[:, :width]
    else:
        raise RuntimeError(f"ctc_loss: targets must be 1-D (concatenated) or 2-D (padded), got {targets.dim()}-D")
    padded = padded.to(device=device, dtype=wick.int64)  # targets may live on the CPU, as cuDNN's CTC wants

    # The extended label sequence: blank, l1, blank, l2, ..., blank (2S + 1 states).
    # States past a sample's own 2 * length + 1 hold blank: they never reach the states read at the end.
    states = 2 * width + 1
    tgt_len = wick.tensor(tgt_lens, dtype=wick.int64, device=device)
    in_len = wick.tensor(in_lens, dtype=wick.int64, device=device)
    position = wick.arange(states, device=device)
    real = (position % 2 == 1) & (position < 2 * tgt_len.unsqueeze(1))
    labels = wick.full((n, states), blank, dtype=wick.int64, device=device)
    if width:
        labels[:, 1::2] = padded
    labels = wick.where(real, labels, wick.full_like(labels, blank))
    if bool(((labels < 0) | (labels >= classes)).any()):
        raise RuntimeError(f"ctc_loss: target values must be class indices in [0, {classes})")
    # A state may be entered from two states back when it is a label unlike the previous label.
    before = wick.cat([wick.full((n, 2), blank, dtype=wick.int64, device=device), labels[:, :-2]], 1)[:, :states]
    can_skip = real & (position >= 2) & (labels != before)

    emit = log_probs.gather(2, labels.unsqueeze(0).expand(steps, n, states))  # [T, N, states]
    dtype = log_probs.dtype
    never = wick.full((n, states), -math.inf, dtype=dtype, device=device)
    alpha = wick.where(position < 2, emit[0], never) if steps else never
    if max(in_lens, default=0) > 1:
        alpha = _ctc_forward(alpha, emit, in_len, in_lens, can_skip)
    # Alignments end on the last label or the blank after it.
    last = alpha.gather(1, (2 * tgt_len).unsqueeze(1)).squeeze(1)
    before_last = alpha.gather(1, (2 * tgt_len - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
    before_last = wick.where(tgt_len > 0, before_last, wick.full_like(before_last, -math.inf))
    loss = -_logsumexp(wick.stack([last, before_last]), 0)
    # An empty input aligns only to an empty target.
    empty = wick.where(tgt_len == 0, wick.zeros_like(loss), wick.full_like(loss, math.inf))
    loss = wick.where(in_len == 0, empty, loss)
    if zero_infinity:
        loss = wick.where(loss == math.inf, wick.zeros_like(loss), loss)
    if reduction == "mean":
        return (loss / tgt_len.clamp_min(1).to(dtype)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (max(||x1||, eps) * max(||x2||, eps)) along dim, after
    broadcasting x1 and x2; each input is divided by its own norm first, which
    keeps the result in [-1, 1]. The clamp to eps does not stop the gradient.

    >>> wick.nn.functional.cosine_similarity(wick.tensor([[1.0, 0.0]]), wick.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    if not (x1.is_floating_point() or x2.is_floating_point()):
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {x1.dtype}")
    # An integer input takes the other's floating dtype, as type promotion would.
    x1 = x1 if x1.is_floating_point() else x1.to(x2.dtype)
    x2 = x2 if x2.is_floating_point() else x2.to(x1.dtype)
    x1, x2 = wick.broadcast_tensors(x1, x2)

    def unit(x):
        norm = x.norm(2, dim, keepdim=True).clone()
        with wick.no_grad():
            norm.clamp_min_(eps)
        return x / norm
    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dimension (of the broadcast shape)."""
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)


def pdist(input, p=2):
    """The p-norm distances between the rows of input [N, M], for each pair i < j
    in row-major order: [N * (N - 1) / 2], the upper triangle of cdist(input, input).

    >>> wick.nn.functional.pdist(wick.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
    tensor([ 5., 10.,  5.])
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError(f"pdist only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    first, second = wick.triu_indices(input.size(0), input.size(0), 1, device=input.device)
    return (input.index_select(0, first) - input.index_select(0, second)).norm(p, 1)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, ...), the classes
    (and any extra output dims) leading linear_weight [C, *out_features, in_features].

    With options (an object with a batch_chunk_size, e.g. nn.LinearCrossEntropyOptions)
    and class-index targets, the batch is processed in chunks, each under
    utils.checkpoint, so that the full [N, C] logits are never kept at once (for
    large vocabularies); other cases compute the logits whole, as PyTorch's
    reference path. ignore_index None means -100."""
    ignore_index = -100 if ignore_index is None else ignore_index
    classes, *out_features, in_features = linear_weight.shape
    kwargs = dict(weight=weight, reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)
    chunk = getattr(options, "batch_chunk_size", None) if options is not None else None
    if options is not None and (out_features or target.is_floating_point() or reduction not in _REDUCTIONS):
        warnings.warn("linear_cross_entropy: the chunked path takes class-index targets and a (C,)-shaped bias; "
                      "computing the logits whole", stacklevel=2)
        options = None
    if options is None:
        logits = wick.nn.functional.linear(input, linear_weight.reshape(-1, in_features),
                                           None if linear_bias is None else linear_bias.reshape(-1))
        logits = logits.reshape(*input.shape[:-1], classes, *out_features)
        if logits.dim() > 2 and not out_features:  # classes last: cross_entropy wants them at dim 1
            logits = logits.movedim(-1, 1)
        return wick.nn.functional.cross_entropy(logits, target, **kwargs)
    x, t = input.reshape(-1, in_features), target.reshape(-1)
    chunk = chunk or max(1, (1 << 22) // max(1, classes))  # about 4M logits per chunk

    def piece(xc, tc, w, b):
        return wick.nn.functional.cross_entropy(wick.nn.functional.linear(xc, w, b), tc,
                                                **dict(kwargs, reduction="none" if reduction == "none" else "sum"))

    parts = [wick.utils.checkpoint.checkpoint(piece, x[i:i + chunk], t[i:i + chunk], linear_weight, linear_bias,
                                              use_reentrant=False)
             for i in range(0, x.shape[0], chunk)]
    if reduction == "none":
        return wick.cat(parts).reshape(target.shape)
    total = wick.stack(parts).sum() if parts else x.new_zeros(())
    if reduction == "sum":
        return total
    keep = t != ignore_index
    denominator = (weight[t.clamp(min=0)] * keep).sum() if weight is not None else keep.sum()
    return total / denominator
