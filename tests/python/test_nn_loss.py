"""The losses and distances of wick/nn/_functional/loss.py and their modules in
wick/nn/modules/loss.py, against PyTorch (the oracle, on the CPU): values and
gradients on random inputs of several shapes and layouts, float32 and
float64, the reductions and deprecated size_average/reduce, module repr and
state_dict, and the errors of bad arguments. Where PyTorch 2.x differs from
the oracle (1.13), the test computes the expected value by hand."""
import math

import numpy as np
import pytest
import torch

import wick
import wick.nn.functional as F
from helpers import assert_same, check

REDUCTIONS = ["none", "mean", "sum"]
quiet = pytest.mark.filterwarnings("ignore::UserWarning")


def const(x, values, dtype=None):
    """values as a tensor of x's library, device and (unless given) dtype: a
    target that is not a random leaf, so neither library differentiates it."""
    t = x.new_tensor(np.asarray(values))
    return t if dtype is None else t.to(dtype)


def signs(n, seed=0):
    return np.where(np.random.default_rng(seed).uniform(size=n) < 0.5, -1.0, 1.0)


def classes(n, c, seed=0):
    return np.random.default_rng(seed).integers(0, c, n)


# --- kl_div, poisson_nll_loss, gaussian_nll_loss ---------------------------------------------

@quiet
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(device, reduction, log_target):
    for shapes in ([(3, 4), (3, 4)], [(2, 3, 4), (4,)], [(0, 4), (0, 4)], [(), ()]):
        check(lambda m, x, t: m.nn.functional.kl_div(x, t, reduction=reduction, log_target=log_target), shapes,
              module=True, low=0.05, high=2.0, device=device)


def test_kl_div_mean_warns_and_legacy_arguments():
    x, t = wick.tensor([[-1.0, -0.5]]), wick.tensor([[0.3, 0.7]])
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        total = F.kl_div(x, t, size_average=False)
    assert_same(total, torch.nn.functional.kl_div(torch.tensor([[-1.0, -0.5]]), torch.tensor([[0.3, 0.7]]),
                                                  reduction="sum"), 1e-6, 1e-7)
    with pytest.raises(ValueError, match="mea is not a valid value for reduction"):
        F.kl_div(x, t, reduction="mea")


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(device, log_input, full):
    for reduction in REDUCTIONS:
        for shapes in ([(3, 4), (3, 4)], [(2, 3), (3,)], [(0, 2), (0, 2)]):
            check(lambda m, x, t: m.nn.functional.poisson_nll_loss(x, t, log_input, full, eps=1e-6,
                                                                   reduction=reduction),
                  shapes, module=True, low=0.1, high=3.0, device=device)


def test_poisson_nll_loss_full_has_no_nan_gradient_at_zero_counts():
    # The Stirling term is dropped where target <= 1; its gradient stays finite there.
    x = wick.tensor([0.5, 1.0, 2.0], requires_grad=True)
    t = wick.tensor([0.0, 1.0, 4.0], requires_grad=True)
    loss = F.poisson_nll_loss(x, t, full=True, reduction="sum")
    expected = sum(math.exp(a) - b * a for a, b in zip([0.5, 1.0, 2.0], [0.0, 1.0, 4.0]))
    expected += 4 * math.log(4) - 4 + 0.5 * math.log(2 * math.pi * 4)
    assert abs(loss.item() - expected) < 1e-5
    loss.backward()
    assert bool(t.grad.isfinite().all())
    assert abs(t.grad[2].item() - (-2.0 + math.log(4) + 1 / 8)) < 1e-5


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(device, reduction):
    for shapes in ([(3, 4), (3, 4), (3, 4)],     # one variance per element
                   [(3, 4), (3, 4), (3,)],       # one per row, one dimension short
                   [(3, 4), (3, 4), (3, 1)],     # one per row, last dimension 1
                   [(0, 4), (0, 4), (0, 4)]):
        for full in (False, True):
            check(lambda m, x, t, v: m.nn.functional.gaussian_nll_loss(x, t, v, full=full, reduction=reduction),
                  shapes, module=True, low=0.1, high=2.0, device=device)


def test_gaussian_nll_loss_by_hand():
    x, t = wick.tensor([1.0, 3.0]), wick.tensor([2.0, 3.0])
    # A float variance (PyTorch 2.x), used for every element.
    assert abs(F.gaussian_nll_loss(x, t, 2.0, reduction="sum").item() - (math.log(2.0) + 0.25)) < 1e-6
    # A variance below eps is clamped in value, but its gradient is the unclamped one.
    v = wick.tensor([1e-8, 1.0], requires_grad=True)
    loss = F.gaussian_nll_loss(x, t, v, eps=1e-4, reduction="none")
    assert abs(loss[0].item() - 0.5 * (math.log(1e-4) + 1e4)) < 1e-1
    loss.sum().backward()
    assert abs(v.grad[0].item() - 0.5 * (1 / 1e-4 - 1 / 1e-8)) / 1e12 < 1e-3
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, t, wick.tensor([-1.0, 1.0]))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, t, -1.0)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(wick.zeros(3, 4), wick.zeros(3, 4), wick.ones(4, 3))
    with pytest.raises(ValueError, match="not a valid value"):
        F.gaussian_nll_loss(x, t, wick.ones(2), reduction="avg")


# --- margin and embedding losses ------------------------------------------------------------------

@quiet
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(device, reduction):
    for shape in [(5,), (2, 3), (0,)]:
        y = signs(int(np.prod(shape))).reshape(shape)
        check(lambda m, a, b: m.nn.functional.margin_ranking_loss(a, b, const(a, y), margin=0.3, reduction=reduction),
              [shape, shape], module=True, device=device)
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(wick.zeros(3), wick.zeros(3), wick.ones(1, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(device, reduction):
    for shape in [(6,), (3, 4), (0, 2)]:
        y = signs(int(np.prod(shape))).reshape(shape)
        check(lambda m, x: m.nn.functional.hinge_embedding_loss(x, const(x, y), margin=0.5, reduction=reduction),
              [shape], module=True, device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(device, reduction):
    y = signs(4)
    check(lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, const(a, y), margin=0.2, reduction=reduction),
          [(4, 5), (4, 5)], module=True, device=device)
    check(lambda m, a, b: m.nn.functional.cosine_embedding_loss(a, b, const(a, -1.0), margin=-0.5,
                                                                reduction=reduction),
          [(5,), (5,)], module=True, device=device)
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        F.cosine_embedding_loss(wick.zeros(4), wick.zeros(4), wick.ones(4))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        F.cosine_embedding_loss(wick.zeros(2, 4), wick.zeros(2, 4), wick.tensor(1.0))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        F.cosine_embedding_loss(wick.zeros(2, 4), wick.zeros(2, 4), wick.ones(2, 1))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(device, swap):
    for p, shapes in [(2, [(4, 5)] * 3), (1, [(4, 5), (1, 5), (4, 5)]), (3.5, [(5,)] * 3), (2, [(0, 3)] * 3)]:
        for reduction in REDUCTIONS:
            check(lambda m, a, b, c: m.nn.functional.triplet_margin_loss(a, b, c, margin=0.7, p=p, swap=swap,
                                                                         reduction=reduction),
                  shapes, module=True, device=device, dtypes=("float64",) if p == 3.5 else ("float32", "float64"))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(wick.zeros(2, 3), wick.zeros(2, 3), wick.zeros(2, 3), margin=0)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_loss(wick.zeros(2, 3), wick.zeros(3), wick.zeros(2, 3))


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(device, swap):
    def run(m, a, b, c, reduction):
        cos = lambda x, y: 1 - m.nn.functional.cosine_similarity(x, y)
        return (m.nn.functional.triplet_margin_with_distance_loss(a, b, c, swap=swap, reduction=reduction),
                m.nn.functional.triplet_margin_with_distance_loss(a, b, c, distance_function=cos, margin=0.4,
                                                                  swap=swap, reduction=reduction))
    for reduction in REDUCTIONS:
        check(lambda m, a, b, c: run(m, a, b, c, reduction), [(4, 5)] * 3, module=True, device=device)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(wick.zeros(2, 3), wick.zeros(2, 3), wick.zeros(2, 3), margin=-1.0)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(wick.zeros(2, 3), wick.zeros(2, 3), wick.zeros(2, 3), reduction="x")


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(device, p, reduction):
    y, weight = classes(4, 5), np.random.default_rng(1).uniform(0.5, 2.0, 5)
    check(lambda m, x: m.nn.functional.multi_margin_loss(x, const(x, y, m.int64), p=p, margin=0.7,
                                                         weight=const(x, weight), reduction=reduction),
          [(4, 5)], module=True, device=device)
    check(lambda m, x: (m.nn.functional.multi_margin_loss(x, const(x, y[:1], m.int64), p=p, reduction=reduction),
                        m.nn.functional.multi_margin_loss(x, const(x, y[0], m.int64), p=p, reduction=reduction)),
          [(5,)], module=True, device=device)


def test_multi_margin_loss_errors():
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(wick.zeros(2, 3), wick.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="one-dimensional"):
        F.multi_margin_loss(wick.zeros(2, 3), wick.tensor([0, 1]), weight=wick.ones(1, 3))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multi_margin_loss(wick.zeros(2, 3), wick.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="inconsistent weight size"):
        F.multi_margin_loss(wick.zeros(2, 3), wick.tensor([0, 1]), weight=wick.ones(4))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(wick.zeros(2, 3), wick.tensor([0, 3]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(device, reduction):
    # Rows end at their first -1; a repeated class counts twice, as in PyTorch.
    y = np.array([[3, 0, -1, 1, 2], [1, 1, 4, -1, -1], [-1, 2, 3, 0, 0], [0, 1, 2, 3, 4]])
    check(lambda m, x: m.nn.functional.multilabel_margin_loss(x, const(x, y, m.int64), reduction=reduction),
          [(4, 5)], module=True, device=device)
    check(lambda m, x: m.nn.functional.multilabel_margin_loss(x, const(x, y[0], m.int64), reduction=reduction),
          [(5,)], module=True, device=device)
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(wick.zeros(2, 3), wick.tensor([0, 1, -1]))
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multilabel_margin_loss(wick.zeros(3), wick.tensor([0, 3, -1]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_losses(device, reduction):
    y = signs(12).reshape(3, 4)
    check(lambda m, x: m.nn.functional.soft_margin_loss(x, const(x, y), reduction=reduction), [(3, 4)], module=True,
          device=device, low=-30.0, high=30.0)
    labels, weight = (y > 0).astype(float), np.random.default_rng(2).uniform(0.5, 2.0, 4)
    check(lambda m, x: (m.nn.functional.multilabel_soft_margin_loss(x, const(x, labels), reduction=reduction),
                        m.nn.functional.multilabel_soft_margin_loss(x, const(x, labels), weight=const(x, weight),
                                                                    reduction=reduction)),
          [(3, 4)], module=True, device=device)


def test_legacy_reduction_arguments():
    x, y = wick.tensor([[0.5, -1.0], [2.0, 0.1]]), wick.tensor([[1.0, -1.0], [-1.0, 1.0]])
    for size_average, reduce, expected in [(False, None, "sum"), (None, False, "none"), (True, True, "mean")]:
        with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
            got = F.soft_margin_loss(x, y, size_average=size_average, reduce=reduce, reduction="junk")
        want = F.soft_margin_loss(x, y, reduction=expected)
        assert got.shape == want.shape and got.tolist() == want.tolist()
    with pytest.raises(ValueError, match="junk is not a valid value for reduction"):
        F.hinge_embedding_loss(x, y, reduction="junk")


# --- distances -------------------------------------------------------------------------------------

def test_cosine_similarity(device):
    for dim, shapes in [(1, [(4, 5), (4, 5)]), (0, [(4, 5), (1, 5)]), (-1, [(2, 3, 4), (4,)]), (1, [(0, 3), (0, 3)])]:
        check(lambda m, a, b: m.nn.functional.cosine_similarity(a, b, dim=dim), shapes, module=True, device=device)


def test_cosine_similarity_clamps_each_norm():
    # PyTorch 2.x divides each input by max(its norm, eps); 1.13 clamped the product of the norms.
    x1, x2 = wick.tensor([[3e-9, 4e-9]], requires_grad=True), wick.tensor([[3.0, 4.0]])
    out = F.cosine_similarity(x1, x2, eps=1e-8)
    assert abs(out.item() - (5e-9 / 1e-8)) < 1e-6
    assert F.cosine_similarity(wick.zeros(1, 3), wick.ones(1, 3)).item() == 0
    with pytest.raises(RuntimeError, match="floating point"):
        F.cosine_similarity(wick.tensor([[1, 2]]), wick.tensor([[3, 4]]))
    mixed = F.cosine_similarity(wick.tensor([[1, 2]]), wick.tensor([[3.0, 4.0]], dtype=wick.float64))
    assert mixed.dtype == wick.float64 and abs(mixed.item() - 11 / (5 * math.sqrt(5))) < 1e-12


def test_pairwise_distance(device):
    for p in [1, 2, 3.0, float("inf")]:
        for shapes in ([(4, 5), (4, 5)], [(4, 5), (5,)], [(5,), (5,)], [(0, 3), (0, 3)]):
            for keepdim in (False, True):
                check(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, p=p, eps=1e-3, keepdim=keepdim),
                      shapes, module=True, device=device)


def test_pdist(device):
    for p in [0, 1, 2, 2.5, float("inf")]:
        for shape in [(5, 3), (1, 4), (0, 2)]:
            # torch 1.13's pdist backward crashes on an empty result: only the forward is compared there.
            check(lambda m, x: m.nn.functional.pdist(x, p), [shape], module=True, device=device,
                  grad=p != 0 and shape[0] > 1)
    with pytest.raises(RuntimeError, match="2D tensors, got: 3D"):
        F.pdist(wick.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="non-negative p"):
        F.pdist(wick.zeros(2, 3), -1)
    with pytest.raises(RuntimeError, match="floating-point"):
        F.pdist(wick.zeros(2, 3, dtype=wick.int64))


# --- ctc_loss ---------------------------------------------------------------------------------------

CTC_TARGETS = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 1, 0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss(device, reduction, blank):
    targets = np.where(CTC_TARGETS == blank, 1 if blank != 1 else 3, CTC_TARGETS)
    target_lengths = [4, 2, 3]
    concatenated = np.concatenate([row[:n] for row, n in zip(targets, target_lengths)])

    def run(m, x, padded, lengths_as):
        log_probs = x.log_softmax(2)
        y = const(x, targets if padded else concatenated, m.int64)
        input_lengths = [12, 9, 10]
        if lengths_as == "tensor":
            lengths = (const(x, input_lengths, m.int64), const(x, target_lengths, m.int64))
        else:
            lengths = (input_lengths, tuple(target_lengths))
        return m.nn.functional.ctc_loss(log_probs, y, *lengths, blank=blank, reduction=reduction)
    for padded, lengths_as in [(True, "list"), (False, "tensor")]:
        check(lambda m, x: run(m, x, padded, lengths_as), [(12, 3, 5)], module=True, device=device,
              layouts=("contiguous", "stepped"))


def test_ctc_loss_equal_lengths_and_impossible(device):
    """Inputs all of one length (no state frozen past an end), a target too long for its input,
    whose impossible paths must give an infinite loss and no NaN in the others' gradients, and
    targets all empty (a single blank state)."""
    targets = np.array([[1, 2, 2, 3, 1], [4, 1, 1, 1, 1], [3, 3, 3, 3, 3]])
    for input_lengths, target_lengths in (([8, 8, 8], [5, 2, 4]), ([8, 7, 8], [5, 1, 5]), ([8, 3, 8], [0, 0, 0])):
        for zero_infinity in (False, True):
            def run(m, x):
                return m.nn.functional.ctc_loss(x.log_softmax(2), const(x, targets, m.int64), input_lengths,
                                                target_lengths, reduction="none", zero_infinity=zero_infinity)
            check(run, [(8, 3, 5)], module=True, device=device, layouts=("contiguous",), grad=zero_infinity)


def test_ctc_loss_unbatched_and_zero_infinity(device):
    check(lambda m, x: m.nn.functional.ctc_loss(x.log_softmax(1), const(x, [1, 2, 2], m.int64),
                                                const(x, 7, m.int64), const(x, 3, m.int64), reduction="none"),
          [(7, 4)], module=True, device=device, layouts=("contiguous",))
    # The second sample cannot align (3 labels, 2 steps): infinite, or 0 with no gradient under zero_infinity.
    for zero_infinity in (False, True):
        check(lambda m, x: m.nn.functional.ctc_loss(x.log_softmax(2), const(x, CTC_TARGETS[:2, :3], m.int64),
                                                    [6, 2], [3, 3], reduction="none", zero_infinity=zero_infinity),
              [(6, 2, 5)], module=True, device=device, layouts=("contiguous",), grad=zero_infinity)


def test_ctc_loss_by_hand():
    # T = 2, one label: the alignments of [1] are (1, 1), (0, 1), (1, 0).
    probs = np.array([[0.6, 0.4], [0.3, 0.7]])
    log_probs = wick.tensor(np.log(probs)).unsqueeze(1)
    loss = F.ctc_loss(log_probs, wick.tensor([[1]]), [2], [1], reduction="sum")
    expected = -math.log(0.4 * 0.7 + 0.6 * 0.7 + 0.4 * 0.3)
    assert abs(loss.item() - expected) < 1e-12
    # An empty input aligns only to an empty target.
    empty = F.ctc_loss(log_probs.expand(2, 2, 2), wick.tensor([[1], [1]]), [0, 0], [0, 1], reduction="none")
    assert empty.tolist() == [0.0, math.inf]


def test_ctc_loss_errors():
    log_probs = wick.zeros(5, 2, 4)
    targets = wick.tensor([[1, 2], [1, 1]])
    with pytest.raises(RuntimeError, match="at most 5, but got value 6"):
        F.ctc_loss(log_probs, targets, [6, 5], [2, 2])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(log_probs, targets, [5, 5], [2, 2], blank=4)
    with pytest.raises(RuntimeError, match="batch_size"):
        F.ctc_loss(log_probs, targets, [5, 5, 5], [2, 2])
    with pytest.raises(RuntimeError, match=r"\[2, >= 3\]"):
        F.ctc_loss(log_probs, targets, [5, 5], [3, 2])
    with pytest.raises(RuntimeError, match="target_lengths sum to 4"):
        F.ctc_loss(log_probs, wick.tensor([1, 2, 3]), [5, 5], [2, 2])
    with pytest.raises(RuntimeError, match="class indices"):
        F.ctc_loss(log_probs, wick.tensor([[1, 7], [1, 1]]), [5, 5], [2, 2])
    with pytest.raises(RuntimeError, match="non-negative"):
        F.ctc_loss(log_probs, targets, [5, -1], [2, 2])
    with pytest.raises(ValueError, match="not a valid value"):
        F.ctc_loss(log_probs, targets, [5, 5], [2, 2], reduction="avg")


# --- modules ----------------------------------------------------------------------------------------

def _sign_target(m, x):
    return const(x, signs(x.numel()).reshape(tuple(x.shape)))


# (name, constructor given nn, input shapes, call given (module, library, inputs))
MODULES = [
    ("HuberLoss", lambda nn: nn.HuberLoss(reduction="sum", delta=0.5), [(3, 4), (3, 4)], None),
    ("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean", log_target=True), [(3, 4), (3, 4)], None),
    ("PoissonNLLLoss", lambda nn: nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-4), [(3, 4), (3, 4)], None),
    ("GaussianNLLLoss", lambda nn: nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="none"),
     [(3, 4), (3, 4), (3, 1)], None),
    ("MarginRankingLoss", lambda nn: nn.MarginRankingLoss(margin=0.2), [(5,), (5,)],
     lambda mod, m, a, b: mod(a, b, _sign_target(m, a))),
    ("HingeEmbeddingLoss", lambda nn: nn.HingeEmbeddingLoss(margin=0.8, reduction="none"), [(3, 4)],
     lambda mod, m, x: mod(x, _sign_target(m, x))),
    ("CosineEmbeddingLoss", lambda nn: nn.CosineEmbeddingLoss(margin=0.1, reduction="sum"), [(4, 3), (4, 3)],
     lambda mod, m, a, b: mod(a, b, const(a, signs(4)))),
    ("TripletMarginLoss", lambda nn: nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True), [(4, 3)] * 3, None),
    ("TripletMarginWithDistanceLoss", lambda nn: nn.TripletMarginWithDistanceLoss(
        distance_function=nn.PairwiseDistance(p=1.0), margin=2.0, swap=True, reduction="none"), [(4, 3)] * 3, None),
    ("MultiMarginLoss", lambda nn: nn.MultiMarginLoss(p=2, margin=0.5, reduction="none"), [(4, 5)],
     lambda mod, m, x: mod(x, const(x, classes(4, 5), m.int64))),
    ("MultiLabelMarginLoss", lambda nn: nn.MultiLabelMarginLoss(), [(2, 4)],
     lambda mod, m, x: mod(x, const(x, [[2, 1, -1, 0], [3, -1, 1, 1]], m.int64))),
    ("SoftMarginLoss", lambda nn: nn.SoftMarginLoss(reduction="sum"), [(3, 4)],
     lambda mod, m, x: mod(x, _sign_target(m, x))),
    ("MultiLabelSoftMarginLoss", lambda nn: nn.MultiLabelSoftMarginLoss(), [(3, 4)],
     lambda mod, m, x: mod(x, const(x, signs(12).reshape(3, 4) > 0, x.dtype))),
    ("CTCLoss", lambda nn: nn.CTCLoss(blank=1, zero_infinity=True), [(6, 2, 4)],
     lambda mod, m, x: mod(x.log_softmax(2), const(x, [[2, 3, 3], [0, 2, 0]], m.int64), [6, 5], [3, 2])),
    ("NLLLoss2d", lambda nn: nn.NLLLoss2d(), [(2, 3, 2, 2)],
     lambda mod, m, x: mod(x.log_softmax(1), const(x, classes(8, 3).reshape(2, 2, 2), m.int64))),
    ("CosineSimilarity", lambda nn: nn.CosineSimilarity(dim=0, eps=1e-6), [(3, 4), (3, 4)], None),
    ("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=3.0, keepdim=True), [(3, 4), (3, 4)], None),
]


@quiet
@pytest.mark.parametrize("name,make,shapes,call", MODULES, ids=[spec[0] for spec in MODULES])
def test_loss_modules_match_torch(device, name, make, shapes, call):
    w_mod, t_mod = make(wick.nn), make(torch.nn)
    assert type(w_mod).__name__ == name
    assert repr(w_mod) == repr(t_mod)
    assert list(w_mod.state_dict()) == list(t_mod.state_dict())
    call = call or (lambda mod, m, *xs: mod(*xs))
    low = 0.1 if name in ("KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss") else -2.0
    check(lambda m, *xs: call(w_mod if m is wick else t_mod, m, *xs), shapes, module=True, device=device, low=low,
          layouts=("contiguous", "transposed"))


def test_weighted_loss_modules_keep_weight_buffer():
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    x = np.random.default_rng(3).standard_normal((3, 4))
    y = classes(3, 4)
    for make in (lambda m, w: m.nn.MultiMarginLoss(weight=w), lambda m, w: m.nn.MultiLabelSoftMarginLoss(weight=w)):
        w_mod, t_mod = make(wick, wick.tensor(weight)), make(torch, torch.tensor(weight))
        assert list(w_mod.state_dict()) == list(t_mod.state_dict()) == ["weight"]
        target = y if isinstance(t_mod, torch.nn.MultiMarginLoss) else (x > 0).astype(float)
        assert_same(w_mod(wick.tensor(x), wick.tensor(target)), t_mod(torch.tensor(x), torch.tensor(target)),
                    1e-10, 1e-12)


def test_loss_module_arguments():
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        wick.nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
        wick.nn.TripletMarginWithDistanceLoss(margin=-1)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        wick.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="1D tensor"):
        wick.nn.MultiMarginLoss(weight=wick.ones(2, 2))
    with pytest.warns(UserWarning, match="NLLLoss2d has been deprecated"):
        wick.nn.NLLLoss2d()
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert wick.nn.SoftMarginLoss(reduce=False).reduction == "none"
    assert wick.nn.TripletMarginWithDistanceLoss().distance_function is F.pairwise_distance
    with pytest.raises(TypeError):
        wick.nn.GaussianNLLLoss(True)  # keyword-only, as in PyTorch


# --- AdaptiveLogSoftmaxWithLoss ---------------------------------------------------------------------

def _adaptive_pair(dtype, **kwargs):
    args = dict(in_features=16, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0)
    args.update(kwargs)
    t_mod = torch.nn.AdaptiveLogSoftmaxWithLoss(**args).to(getattr(torch, dtype))
    w_mod = wick.nn.AdaptiveLogSoftmaxWithLoss(**args).to(getattr(wick, dtype))
    assert list(w_mod.state_dict()) == list(t_mod.state_dict())
    w_mod.load_state_dict({k: wick.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    return w_mod, t_mod


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adaptive_log_softmax(device, dtype):
    rtol, atol = (1e-4, 1e-5) if dtype == "float32" else (1e-10, 1e-12)
    w_mod, t_mod = _adaptive_pair(dtype, head_bias=True)
    assert repr(w_mod) == repr(t_mod)
    w_mod.to(device)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 16)).astype(dtype)
    y = np.array([0, 3, 4, 9, 10, 14, 15, 19, 2])  # every cluster, both ends of each
    w_x, t_x = wick.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    w_out, t_out = w_mod(w_x, wick.tensor(y, device=device)), t_mod(t_x, torch.tensor(y))
    assert w_out._fields == t_out._fields == ("output", "loss")
    assert_same(tuple(w_out), tuple(t_out), rtol, atol)
    (w_out.output.sum() + 3 * w_out.loss).backward()
    (t_out.output.sum() + 3 * t_out.loss).backward()
    assert_same(w_x.grad, t_x.grad, rtol, atol, "input grad")
    t_grads = {k: p.grad for k, p in t_mod.named_parameters()}
    for k, p in w_mod.named_parameters():
        assert_same(p.grad, t_grads[k], rtol, atol, f"grad of {k}")
    with torch.no_grad(), wick.no_grad():
        assert_same(w_mod.log_prob(w_x), t_mod.log_prob(t_x), rtol, atol, "log_prob")
        assert_same(w_mod.predict(w_x), t_mod.predict(t_x), 0, 0, "predict")
        # Unbatched: a [in_features] input with a 0-dim target.
        one_w, one_t = w_mod(w_x[3], wick.tensor(y[3], device=device)), t_mod(t_x[3], torch.tensor(y[3]))
        assert_same(tuple(one_w), tuple(one_t), rtol, atol, "unbatched")


def test_adaptive_log_softmax_predict_paths():
    w_mod, t_mod = _adaptive_pair("float64", cutoffs=[2], n_classes=6, in_features=4, div_value=1.0)
    x = np.random.default_rng(5).standard_normal((40, 4)) * 5
    for bias in (-50.0, 0.0, 50.0):  # the head picks the cluster never, sometimes, always
        with torch.no_grad(), wick.no_grad():
            t_mod.head.weight[2] = 0.0
            w_mod.head.weight[2] = 0.0
            t_mod.head.weight[2, 0] = bias / 5
            w_mod.head.weight[2, 0] = bias / 5
        assert_same(w_mod.predict(wick.tensor(x)), t_mod.predict(torch.tensor(x)), 0, 0, f"predict ({bias})")


def test_adaptive_log_softmax_errors():
    for cutoffs in ([0, 5], [5, 3], [4, 4], [20], []):
        with pytest.raises(ValueError, match="cutoffs should be a sequence"):
            wick.nn.AdaptiveLogSoftmaxWithLoss(8, 20, cutoffs)
    mod = wick.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5])
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        mod(wick.zeros(3, 8), wick.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="0D target tensor expects 1D input"):
        mod(wick.zeros(3, 8), wick.tensor(1))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        mod(wick.zeros(3, 8), wick.zeros(3, 1, dtype=wick.int64))
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 19\]"):
        mod(wick.zeros(2, 8), wick.tensor([3, 20]))


def test_functional_names_exported():
    from wick.nn._functional import loss
    for name in loss.__all__:
        assert name in F.__all__ and getattr(F, name) is getattr(loss, name)
    for name in wick.nn.modules.loss.__all__:
        assert getattr(wick.nn, name) is getattr(wick.nn.modules.loss, name)


# ---- linear_cross_entropy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("reduction,label_smoothing,weighted", [("mean", 0.0, False), ("mean", 0.1, True),
                                                                 ("sum", 0.0, True), ("none", 0.2, False)])
def test_linear_cross_entropy_is_linear_then_cross_entropy(chunked, reduction, label_smoothing, weighted, device):
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(3, 13, 6)), rng.normal(size=(9, 6)), rng.normal(size=9)
    target = rng.integers(0, 9, size=(3, 13))
    target[0, ::4] = -100
    class_weight = rng.uniform(0.5, 2, 9) if weighted else None
    options = wick.nn.LinearCrossEntropyOptions(batch_chunk_size=5) if chunked else None
    outs, grads = {}, {}
    for lib in (wick, torch):
        dev = {"device": device} if lib is wick else {}
        xs, ws, bs = (lib.tensor(a, requires_grad=True, **dev) for a in (x, w, b))
        kwargs = dict(reduction=reduction, label_smoothing=label_smoothing,
                      weight=None if class_weight is None else lib.tensor(class_weight, **dev))
        if lib is wick:
            out = wick.nn.functional.linear_cross_entropy(xs, ws, wick.tensor(target, device=device), linear_bias=bs,
                                                          options=options, **kwargs)
        else:  # the reference definition
            out = torch.nn.functional.cross_entropy(torch.nn.functional.linear(xs, ws, bs).movedim(-1, 1),
                                                    torch.tensor(target), **kwargs)
        out.sum().backward()
        outs[lib], grads[lib] = out, [xs.grad, ws.grad, bs.grad]
    assert_same(outs[wick], outs[torch], 1e-10, 1e-12)
    assert_same(grads[wick], grads[torch], 1e-10, 1e-12)


def test_linear_cross_entropy_loss_module():
    torch.manual_seed(0)
    loss = wick.nn.LinearCrossEntropyLoss(6, 5, bias=True, label_smoothing=0.1)
    assert list(loss.state_dict()) == ["linear.weight", "linear.bias"]
    x, t = wick.randn(4, 6), wick.tensor([0, 4, 2, 1])
    expected = wick.nn.functional.cross_entropy(loss.linear(x), t, label_smoothing=0.1)
    np.testing.assert_allclose(loss(x, t).item(), expected.item(), rtol=1e-6)
    chunked = wick.nn.LinearCrossEntropyLoss(6, 5, bias=True, label_smoothing=0.1,
                                             options=wick.nn.LinearCrossEntropyOptions(batch_chunk_size=3))
    chunked.load_state_dict(loss.state_dict())
    np.testing.assert_allclose(chunked(x, t).item(), expected.item(), rtol=1e-6)
    with pytest.raises(ValueError, match="batch_chunk_size"):
        wick.nn.LinearCrossEntropyOptions(batch_chunk_size=0)
