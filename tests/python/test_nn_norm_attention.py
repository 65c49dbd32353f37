"""Normalization, attention, Transformer, RNN and EmbeddingBag against PyTorch:
the functions (and their gradients) on random inputs, and the modules with
PyTorch's weights copied in (outputs, gradients, state_dict keys, repr).
Where PyTorch 2.15 differs from the 1.13 oracle (scaled_dot_product_attention
and rms_norm are new; fully masked attention rows give zeros), the reference
is written out here from the documented formula."""
import math

import numpy as np
import pytest
import torch

import wick
import wick.nn.functional as F
from helpers import assert_same, check

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}


def copy_weights(t_module, w_module, device="cpu"):
    """Loads t_module's state (through NumPy) into w_module; their keys must match."""
    state = t_module.state_dict()
    assert list(state) == list(w_module.state_dict())
    w_module.load_state_dict({k: wick.tensor(v.detach().numpy(), device=device) for k, v in state.items()})


def pair(rng, shape, dtype="float64", device="cpu"):
    """The same random array as a wick leaf (on device) and a torch leaf, both requiring grad."""
    a = rng.standard_normal(shape).astype(dtype)
    return wick.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)


def backward_both(w_out, t_out, rng):
    g = rng.standard_normal(tuple(t_out.shape)).astype(str(t_out.dtype).split(".")[-1])
    (w_out * wick.tensor(g, device=w_out.device)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()


def compare_grads(w_params, t_params, dtype="float64"):
    rtol, atol = TOL[dtype]
    for (name, wp), (tname, tp) in zip(w_params, t_params):
        assert name == tname
        assert_same(wp.grad, tp.grad, rtol, atol, f"grad of {name}")


# ---------------------------------------------------------------------------------------------------------------
# functional normalization


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3), (2, 2, 3, 2, 2), (1, 3, 2)])
def test_instance_norm_matches_torch(shape, device):
    c = shape[1]
    check(lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b), [shape, (c,), (c,)], module=True,
          device=device)
    check(lambda m, x: m.nn.functional.instance_norm(x, eps=1e-3), [shape], module=True, device=device)


def test_instance_norm_empty_batch(device):
    # PyTorch 1.13 fails on an empty batch; wick gives the empty result.
    x = wick.randn(0, 3, 4, device=device, requires_grad=True)
    weight = wick.ones(3, device=device, requires_grad=True)
    out = F.instance_norm(x, weight=weight, bias=wick.zeros(3, device=device))
    assert tuple(out.shape) == (0, 3, 4)
    out.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 4)


def test_instance_norm_running_stats(device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 6))
    stats = [rng.random(3), rng.random(3) + 0.5]
    w_stats = [wick.tensor(s, device=device) for s in stats]
    t_stats = [torch.tensor(s) for s in stats]
    for use_input_stats in (True, False):
        w_out = F.instance_norm(wick.tensor(x, device=device), *w_stats, use_input_stats=use_input_stats,
                                momentum=0.3)
        t_out = torch.nn.functional.instance_norm(torch.tensor(x), *t_stats, use_input_stats=use_input_stats,
                                                  momentum=0.3)
        assert_same(w_out, t_out, 1e-9, 1e-11)
        assert_same(w_stats[0], t_stats[0], 1e-9, 1e-11, "running_mean")
        assert_same(w_stats[1], t_stats[1], 1e-9, 1e-11, "running_var")
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(wick.ones(2, 3, 1, device=device))


@pytest.mark.parametrize("shape,size", [((2, 5, 4), 3), ((2, 6, 3, 2), 2), ((1, 4, 2, 2, 3), 5), ((2, 3, 4), 1)])
def test_local_response_norm_matches_torch(shape, size, device):
    # (PyTorch views a 5-D input, which fails on the non-contiguous layouts.)
    layouts = ("contiguous",) if len(shape) == 5 else ("contiguous", "transposed", "stepped")
    check(lambda m, x: m.nn.functional.local_response_norm(x, size, alpha=0.3, beta=0.6, k=1.5), [shape],
          module=True, device=device, layouts=layouts)
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(wick.ones(2, 3, device=device), 2)


def torch_rms_norm(x, shape, weight=None, eps=None):
    """PyTorch 2.15's rms_norm written out (1.13 has none)."""
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    dims = tuple(range(x.dim() - len(shape), x.dim()))
    out = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    return out * weight if weight is not None else out


@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((0, 5), (5,)), ((6,), (6,))])
def test_rms_norm_matches_formula(shape, normalized, device):
    check(lambda x, w: F.rms_norm(x, normalized, w), [shape, normalized], device=device,
          torch_fn=lambda x, w: torch_rms_norm(x, normalized, w))
    check(lambda x: F.rms_norm(x, normalized, eps=0.5), [shape], device=device,
          torch_fn=lambda x: torch_rms_norm(x, normalized, eps=0.5))
    # eps=None is the machine epsilon of the dtype, which shows on a tiny input.
    tiny = wick.full((2, 4), 1e-5, device=device)
    expected = 1e-5 / math.sqrt(1e-10 + torch.finfo(torch.float32).eps)
    np.testing.assert_allclose(F.rms_norm(tiny, (4,)).cpu().numpy(), expected, rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[3\].*input of size \[2, 4\]"):
        F.rms_norm(wick.ones(2, 4, device=device), (3,))


# ---------------------------------------------------------------------------------------------------------------
# scaled dot product attention


def torch_sdpa(q, k, v, attn_mask=None, is_causal=False, scale=None, gqa=False):
    """scaled_dot_product_attention as PyTorch 2.15 documents it, fully masked rows giving zeros."""
    if gqa:
        k = k.repeat_interleave(q.size(-3) // k.size(-3), dim=-3)
        v = v.repeat_interleave(q.size(-3) // v.size(-3), dim=-3)
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if is_causal:
        causal = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    empty = torch.isneginf(scores).all(-1, keepdim=True)
    weights = torch.softmax(scores.masked_fill(empty, 0), -1).masked_fill(empty, 0)
    return weights @ v


SDPA_SHAPES = [  # query, key, value
    [(4, 3), (5, 3), (5, 2)],
    [(2, 4, 3), (2, 6, 3), (2, 6, 4)],
    [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)],
    [(2, 2, 0, 4), (2, 2, 5, 4), (2, 2, 5, 4)],
]


@pytest.mark.parametrize("shapes", SDPA_SHAPES)
def test_sdpa_matches_formula(shapes, device):
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), shapes, torch_fn=torch_sdpa, device=device)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=0.7), shapes,
          torch_fn=lambda q, k, v: torch_sdpa(q, k, v, scale=0.7), device=device, layouts=("contiguous",))
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), shapes,
          torch_fn=lambda q, k, v: torch_sdpa(q, k, v, is_causal=True), device=device, layouts=("contiguous",))


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_masks_broadcast(kind, device):
    rng = np.random.default_rng(1)
    shapes = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4)]
    for mask_shape in [(3, 5), (2, 1, 3, 5), (1, 5)]:
        mask = rng.random(mask_shape) < 0.6 if kind == "bool" else rng.standard_normal(mask_shape)
        if kind == "bool":
            mask[..., 0] = True  # every query keeps a key
        check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, wick.tensor(mask, device=device).to(
            q.dtype) if kind == "float" else wick.tensor(mask, device=device)), shapes,
            torch_fn=lambda q, k, v: torch_sdpa(q, k, v, torch.tensor(mask).to(q.dtype) if kind == "float"
                                                else torch.tensor(mask)),
            device=device, layouts=("contiguous", "transposed"))


def test_sdpa_fully_masked_rows_give_zeros(device):
    rng = np.random.default_rng(2)
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    wq, tq = pair(rng, (2, 3, 5), device=device)
    wk, tk = pair(rng, (2, 4, 5), device=device)
    wv, tv = pair(rng, (2, 4, 5), device=device)
    w_out = F.scaled_dot_product_attention(wq, wk, wv, wick.tensor(mask, device=device))
    t_out = torch_sdpa(tq, tk, tv, torch.tensor(mask))
    assert_same(w_out, t_out, 1e-9, 1e-11)
    assert not w_out[:, 1].detach().cpu().numpy().any() and np.isfinite(w_out.detach().cpu().numpy()).all()
    backward_both(w_out, t_out, rng)
    for w, t in ((wq, tq), (wk, tk), (wv, tv)):
        assert np.isfinite(w.grad.cpu().numpy()).all()
        assert_same(w.grad, t.grad, 1e-9, 1e-11)
    assert not wq.grad[:, 1].cpu().numpy().any()  # the masked query gets no gradient


def test_sdpa_grouped_query_attention(device):
    shapes = [(2, 6, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)]
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), shapes,
          torch_fn=lambda q, k, v: torch_sdpa(q, k, v, gqa=True), device=device, layouts=("contiguous",))
    with pytest.raises(RuntimeError, match="multiple"):
        F.scaled_dot_product_attention(wick.ones(1, 3, 2, 4), wick.ones(1, 2, 2, 4), wick.ones(1, 2, 2, 4),
                                       enable_gqa=True)


def test_sdpa_dropout_and_errors(device):
    wick.manual_seed(0)
    source, p = 400, 0.25
    q, k = wick.zeros(1, 2, 3, device=device), wick.zeros(1, source, 3, device=device)
    v = wick.eye(source, device=device).unsqueeze(0)  # the output rows are the attention weights themselves
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=p).cpu().numpy()
    kept = 1 / source / (1 - p)
    assert np.all(np.isclose(out, 0) | np.isclose(out, kept))
    assert 0.18 < np.isclose(out, 0).mean() < 0.32
    assert not F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).cpu().numpy().any()
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, wick.ones(2, source, dtype=wick.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="query"):
        F.scaled_dot_product_attention(wick.ones(2, 3), wick.ones(4, 2), wick.ones(4, 2))
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(wick.ones(2, 3), wick.ones(4, 3).double(), wick.ones(4, 2))


# ---------------------------------------------------------------------------------------------------------------
# multi-head attention


MHA_CONFIGS = [
    {},
    {"kdim": 3, "vdim": 5},
    {"add_bias_kv": True, "add_zero_attn": True},
    {"bias": False, "batch_first": True},
    {"batch_first": True, "kdim": 4, "add_zero_attn": True},
]


@pytest.mark.parametrize("config", MHA_CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multihead_attention_matches_torch(config, dtype, device):
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    E, heads, L, S, N = 8, 2, 4, 6, 3
    t_mha = torch.nn.MultiheadAttention(E, heads, **config).to(getattr(torch, dtype))
    w_mha = wick.nn.MultiheadAttention(E, heads, **config).to(device=device, dtype=getattr(wick, dtype))
    copy_weights(t_mha, w_mha, device)
    assert repr(w_mha) == repr(t_mha)
    bf = config.get("batch_first", False)
    shape = lambda length, dim: (N, length, dim) if bf else (length, N, dim)
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 0] = False
    masks = [
        {},
        {"key_padding_mask": kpm},
        {"attn_mask": rng.standard_normal((L, S)).astype(dtype)},
        {"attn_mask": rng.random((N * heads, L, S)) < 0.3, "key_padding_mask": kpm},
        {"attn_mask": np.triu(np.ones((L, S), dtype=bool), 1)},
    ]
    for mask in masks:
        for need_weights, average in ((True, True), (True, False), (False, True)):
            wq, tq = pair(rng, shape(L, E), dtype, device)
            wk, tk = pair(rng, shape(S, config.get("kdim", E)), dtype, device)
            wv, tv = pair(rng, shape(S, config.get("vdim", E)), dtype, device)
            kwargs = dict(need_weights=need_weights, average_attn_weights=average)
            w_out = w_mha(wq, wk, wv, **{k: wick.tensor(m, device=device) for k, m in mask.items()}, **kwargs)
            t_out = t_mha(tq, tk, tv, **{k: torch.tensor(m) for k, m in mask.items()}, **kwargs)
            rtol, atol = TOL[dtype]
            assert_same(w_out[0], t_out[0], rtol, atol, f"output {mask.keys()}")
            if need_weights:
                assert_same(w_out[1], t_out[1], rtol, atol, "weights")
            else:
                assert w_out[1] is None
            w_mha.zero_grad()
            t_mha.zero_grad()
            backward_both(w_out[0], t_out[0], rng)
            for w, t in ((wq, tq), (wk, tk), (wv, tv)):
                assert_same(w.grad, t.grad, rtol, atol, "input grad")
            compare_grads(w_mha.named_parameters(), t_mha.named_parameters(), dtype)


def test_multihead_attention_self_attention_and_unbatched(device):
    rng = np.random.default_rng(4)
    t_mha = torch.nn.MultiheadAttention(6, 3).double()
    w_mha = wick.nn.MultiheadAttention(6, 3).double().to(device)
    copy_weights(t_mha, w_mha, device)
    wx, tx = pair(rng, (5, 2, 6), device=device)
    assert_same(w_mha(wx, wx, wx)[0], t_mha(tx, tx, tx)[0], 1e-9, 1e-11)
    wx, tx = pair(rng, (5, 6), device=device)
    kpm = np.array([False, True, False, False, True])
    w_out = w_mha(wx, wx, wx, key_padding_mask=wick.tensor(kpm, device=device))
    t_out = t_mha(tx, tx, tx, key_padding_mask=torch.tensor(kpm))
    assert_same(w_out, t_out, 1e-9, 1e-11)


def test_multihead_attention_fully_masked_rows(device):
    mha = wick.nn.MultiheadAttention(4, 2).to(device)
    x = wick.randn(3, 2, 4, device=device)
    kpm = wick.tensor([[True, True, True], [False, True, False]], device=device)
    # need_weights=False goes through scaled_dot_product_attention: the masked sample's attention is zero,
    # leaving out_proj's bias (PyTorch 2.15); with need_weights its weights are nan, as in PyTorch.
    out, _ = mha(x, x, x, key_padding_mask=kpm, need_weights=False)
    np.testing.assert_allclose(out[:, 0].detach().cpu().numpy(),
                               mha.out_proj.bias.detach().cpu().numpy()[None].repeat(3, 0), atol=1e-6)
    assert np.isfinite(out.detach().cpu().numpy()).all()
    out, weights = mha(x, x, x, key_padding_mask=kpm)
    assert np.isnan(weights[0].detach().cpu().numpy()).all()
    assert np.isfinite(weights[1].detach().cpu().numpy()).all()


def test_multihead_attention_merge_masks():
    mha = wick.nn.MultiheadAttention(4, 2)
    query = wick.zeros(2, 3, 4)
    attn = wick.tensor([[0.0, -1.0, -2.0], [1.0, 0.0, 3.0], [2.0, 5.0, 0.0]])
    padding = wick.tensor([[0.0, 0.0, -10.0], [-10.0, 0.0, 0.0]])
    assert mha.merge_masks(None, None, query) == (None, None)
    merged, kind = mha.merge_masks(None, padding, query)
    assert kind == 1 and merged is padding
    merged, kind = mha.merge_masks(attn, padding, query)
    assert kind == 2 and tuple(merged.shape) == (2, 2, 3, 3)
    expected = attn.numpy()[None, None] + padding.numpy()[:, None, None, :]
    np.testing.assert_array_equal(merged.numpy(), np.broadcast_to(expected, (2, 2, 3, 3)))
    merged, kind = mha.merge_masks(wick.zeros(4, 3, 3), None, query)
    assert kind == 2 and tuple(merged.shape) == (2, 2, 3, 3)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="greater than 0"):
        wick.nn.MultiheadAttention(0, 2)
    with pytest.raises(ValueError, match="divisible"):
        wick.nn.MultiheadAttention(5, 2)
    mha = wick.nn.MultiheadAttention(4, 2)
    x = wick.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(2, 2\)"):
        mha(x, x, x, attn_mask=wick.zeros(2, 2))
    with pytest.raises(AssertionError, match="only bool and floating"):
        mha(x, x, x, key_padding_mask=wick.zeros(2, 3, dtype=wick.long))
    with pytest.raises(AssertionError, match="unbatched 2D or batched 3D"):
        mha(wick.randn(4), wick.randn(4), wick.randn(4))


# ---------------------------------------------------------------------------------------------------------------
# transformer


def transformer_pair(cls_name, *args, **kwargs):
    torch.manual_seed(0)
    t_module = getattr(torch.nn, cls_name)(*args, **kwargs).double().eval()
    w_module = getattr(wick.nn, cls_name)(*args, **kwargs).double().eval()
    copy_weights(t_module, w_module)
    return w_module, t_module


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
def test_encoder_decoder_layers_match_torch(norm_first, activation, device):
    rng = np.random.default_rng(5)
    act = {"relu": "relu", "gelu": "gelu"}.get(activation)
    kw = dict(dim_feedforward=12, dropout=0.1, norm_first=norm_first)
    for batch_first in (False, True):
        torch.manual_seed(0)
        t_enc = torch.nn.TransformerEncoderLayer(8, 2, activation=act or torch.tanh, batch_first=batch_first,
                                                 **kw).double().eval()
        w_enc = wick.nn.TransformerEncoderLayer(8, 2, activation=act or wick.tanh, batch_first=batch_first,
                                                **kw).double().eval().to(device)
        copy_weights(t_enc, w_enc, device)
        t_dec = torch.nn.TransformerDecoderLayer(8, 2, activation=act or torch.tanh, batch_first=batch_first,
                                                 **kw).double().eval()
        w_dec = wick.nn.TransformerDecoderLayer(8, 2, activation=act or wick.tanh, batch_first=batch_first,
                                                **kw).double().eval().to(device)
        copy_weights(t_dec, w_dec, device)
        shape = (lambda s: (3, s, 8)) if batch_first else (lambda s: (s, 3, 8))
        w_src, t_src = pair(rng, shape(5), device=device)
        w_tgt, t_tgt = pair(rng, shape(4), device=device)
        kpm = rng.random((3, 5)) < 0.3
        kpm[:, 0] = False
        causal = torch.nn.Transformer.generate_square_subsequent_mask(4).double()
        w_mem = w_enc(w_src, src_key_padding_mask=wick.tensor(kpm, device=device))
        t_mem = t_enc(t_src, src_key_padding_mask=torch.tensor(kpm))
        assert_same(w_mem, t_mem, 1e-9, 1e-11, "encoder layer")
        w_out = w_dec(w_tgt, w_mem, tgt_mask=wick.tensor(causal.numpy(), device=device),
                      memory_key_padding_mask=wick.tensor(kpm, device=device))
        t_out = t_dec(t_tgt, t_mem, tgt_mask=causal, memory_key_padding_mask=torch.tensor(kpm))
        assert_same(w_out, t_out, 1e-9, 1e-11, "decoder layer")
        backward_both(w_out, t_out, rng)
        assert_same(w_src.grad, t_src.grad, 1e-9, 1e-11)
        assert_same(w_tgt.grad, t_tgt.grad, 1e-9, 1e-11)
        compare_grads(w_enc.named_parameters(), t_enc.named_parameters())
        compare_grads(w_dec.named_parameters(), t_dec.named_parameters())


def test_transformer_matches_torch(device):
    rng = np.random.default_rng(6)
    w_model, t_model = transformer_pair("Transformer", d_model=8, nhead=2, num_encoder_layers=2,
                                        num_decoder_layers=2, dim_feedforward=16)
    w_model.to(device)
    assert repr(w_model).replace("wick", "torch") == repr(t_model)
    w_src, t_src = pair(rng, (5, 2, 8), device=device)
    w_tgt, t_tgt = pair(rng, (4, 2, 8), device=device)
    mask = wick.nn.Transformer.generate_square_subsequent_mask(4, dtype=wick.float64)
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(4).double()
    assert_same(mask, t_mask, 0, 0)
    assert wick.nn.Transformer.generate_square_subsequent_mask(3).dtype == wick.float32
    w_out = w_model(w_src, w_tgt, tgt_mask=mask.to(device))
    t_out = t_model(t_src, t_tgt, tgt_mask=t_mask)
    assert_same(w_out, t_out, 1e-9, 1e-11)
    backward_both(w_out, t_out, rng)
    compare_grads(w_model.named_parameters(), t_model.named_parameters())
    assert_same(w_src.grad, t_src.grad, 1e-9, 1e-11)
    # unbatched, and a stack of encoder layers with a final norm
    w_out = w_model(w_src[:, 0].detach(), w_tgt[:, 0].detach())
    assert_same(w_out, t_model(t_src[:, 0].detach(), t_tgt[:, 0].detach()), 1e-9, 1e-11)
    with pytest.raises(RuntimeError, match="batch number"):
        w_model(wick.randn(5, 2, 8), wick.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        w_model(wick.randn(5, 2, 6), wick.randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        wick.nn.TransformerEncoderLayer(8, 2, activation="swish")


def test_transformer_encoder_stack_and_causal_detection(device):
    torch.manual_seed(0)
    t_layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    t_enc = torch.nn.TransformerEncoder(t_layer, 3, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).eval()
    w_enc = wick.nn.TransformerEncoder(wick.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 3,
                                       norm=wick.nn.LayerNorm(8)).eval().to(device)
    copy_weights(t_enc, w_enc, device)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 2, 8)).astype("float32")
    causal = wick.nn.Transformer.generate_square_subsequent_mask(6)
    assert_same(w_enc(wick.tensor(x, device=device), mask=causal.to(device)),
                t_enc(torch.tensor(x), mask=torch.nn.Transformer.generate_square_subsequent_mask(6)), 2e-4, 2e-5)
    from wick.nn.modules.transformer import _detect_is_causal_mask
    assert _detect_is_causal_mask(causal) is True
    assert _detect_is_causal_mask(wick.zeros(6, 6)) is False
    assert _detect_is_causal_mask(None, True) is True
    assert len(w_enc.layers) == 3 and w_enc.layers[0] is not w_enc.layers[1]
    # the copies are independent
    w_enc.layers[0].linear1.weight.data.fill_(0)
    assert w_enc.layers[1].linear1.weight.abs().sum().item() > 0


# ---------------------------------------------------------------------------------------------------------------
# normalization modules


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d", (2, 4, 3, 3)),
                                       ("InstanceNorm3d", (2, 4, 2, 3, 2)), ("InstanceNorm1d", (4, 5)),
                                       ("InstanceNorm2d", (4, 3, 3))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True), (False, True)])
def test_instance_norm_modules_match_torch(cls, shape, affine, track, device):
    rng = np.random.default_rng(8)
    t_mod = getattr(torch.nn, cls)(4, affine=affine, track_running_stats=track, momentum=0.2).double()
    w_mod = getattr(wick.nn, cls)(4, affine=affine, track_running_stats=track, momentum=0.2).double().to(device)
    if affine:
        with torch.no_grad():
            t_mod.weight.uniform_(0.5, 1.5)
            t_mod.bias.uniform_(-1, 1)
    copy_weights(t_mod, w_mod, device)
    assert repr(w_mod) == repr(t_mod)
    for train in (True, False):
        t_mod.train(train)
        w_mod.train(train)
        wx, tx = pair(rng, shape, device=device)
        w_out, t_out = w_mod(wx), t_mod(tx)
        assert_same(w_out, t_out, 1e-9, 1e-11)
        backward_both(w_out, t_out, rng)
        assert_same(wx.grad, tx.grad, 1e-9, 1e-11)
        for name, t_buf in t_mod.state_dict().items():
            assert_same(w_mod.state_dict()[name], t_buf, 1e-9, 1e-11, name)
        if affine:
            compare_grads(w_mod.named_parameters(), t_mod.named_parameters())
            w_mod.zero_grad()
            t_mod.zero_grad()


def test_instance_norm_module_checks():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        wick.nn.InstanceNorm1d(3)(wick.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="match num_features"):
        wick.nn.InstanceNorm2d(3, affine=True)(wick.randn(2, 4, 3, 3))
    with pytest.warns(UserWarning, match="does not match num_features"):
        wick.nn.InstanceNorm2d(3)(wick.randn(2, 4, 3, 3))


def test_batchnorm3d_and_sync_batchnorm_match_torch(device):
    # In one process PyTorch 2.15's SyncBatchNorm is batch_norm on any device (1.13 wanted a GPU): the oracle is
    # BatchNorm.
    rng = np.random.default_rng(9)
    for cls, t_cls, shape in (("BatchNorm3d", "BatchNorm3d", (3, 4, 2, 3, 2)),
                              ("SyncBatchNorm", "BatchNorm1d", (3, 4, 5)), ("SyncBatchNorm", "BatchNorm1d", (5, 4)),
                              ("SyncBatchNorm", "BatchNorm2d", (2, 4, 3, 2))):
        t_mod = getattr(torch.nn, t_cls)(4, momentum=0.3).double()
        w_mod = getattr(wick.nn, cls)(4, momentum=0.3).double().to(device)
        copy_weights(t_mod, w_mod, device)
        assert repr(w_mod) == repr(t_mod).replace(t_cls, cls)
        for train in (True, False):
            t_mod.train(train)
            w_mod.train(train)
            wx, tx = pair(rng, shape, device=device)
            w_out, t_out = w_mod(wx), t_mod(tx)
            assert_same(w_out, t_out, 1e-9, 1e-11)
            backward_both(w_out, t_out, rng)
            assert_same(wx.grad, tx.grad, 1e-9, 1e-11)
            for name, t_buf in t_mod.state_dict().items():
                assert_same(w_mod.state_dict()[name], t_buf, 1e-9, 1e-11, name)
    with pytest.raises(ValueError, match="expected 5D input"):
        wick.nn.BatchNorm3d(3)(wick.randn(2, 3, 4))
    with pytest.raises(ValueError, match="at least 2D"):
        wick.nn.SyncBatchNorm(3)(wick.randn(3))


def test_convert_sync_batchnorm():
    model = wick.nn.Sequential(wick.nn.Conv2d(3, 4, 1), wick.nn.BatchNorm2d(4),
                               wick.nn.Sequential(wick.nn.BatchNorm1d(2, affine=False)))
    model.eval()
    weight = model[1].weight
    model[1].running_mean.fill_(0.5)
    converted = wick.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is wick.nn.SyncBatchNorm and type(converted[2][0]) is wick.nn.SyncBatchNorm
    assert converted[1].weight is weight and converted[1].running_mean.tolist() == [0.5] * 4
    assert not converted[1].training and converted[2][0].weight is None
    assert type(converted[0]) is wick.nn.Conv2d
    single = wick.nn.SyncBatchNorm.convert_sync_batchnorm(wick.nn.BatchNorm1d(3))
    assert type(single) is wick.nn.SyncBatchNorm


@pytest.mark.parametrize("cls,shape,dim", [("LazyBatchNorm1d", (4, 3), 1), ("LazyBatchNorm2d", (2, 3, 2, 2), 1),
                                           ("LazyBatchNorm3d", (2, 3, 2, 2, 2), 1),
                                           ("LazyInstanceNorm1d", (3, 5), 0),
                                           ("LazyInstanceNorm2d", (2, 3, 2, 2), 1),
                                           ("LazyInstanceNorm3d", (2, 3, 2, 2, 2), 1)])
def test_lazy_norms(cls, shape, dim, device):
    instance = "Instance" in cls
    kwargs = {"affine": True, "track_running_stats": True} if instance else {}
    w_mod = getattr(wick.nn, cls)(**kwargs).to(device)
    t_mod = getattr(torch.nn, cls)(**kwargs)
    assert repr(w_mod) == repr(t_mod)
    assert w_mod.has_uninitialized_params()
    weight = w_mod.weight
    x = np.random.default_rng(10).standard_normal(shape).astype("float32")
    w_out = w_mod(wick.tensor(x, device=device))
    # PyTorch's LazyInstanceNorm reads num_features from dim 1 even unbatched; compare batched inputs only.
    if dim == 1:
        t_out = t_mod(torch.tensor(x))
        assert_same(w_out, t_out, 2e-4, 2e-5)
        assert repr(w_mod) == repr(t_mod)
        assert list(w_mod.state_dict()) == list(t_mod.state_dict())
    assert type(w_mod).__name__ == cls.replace("Lazy", "")
    assert w_mod.num_features == shape[dim] and w_mod.weight is weight and tuple(weight.shape) == (shape[dim],)
    # A lazy module takes its size from a state dict too; as in PyTorch, it becomes the
    # non-lazy class at its first forward.
    fresh = getattr(wick.nn, cls)(**kwargs)
    fresh.load_state_dict({k: v.cpu() for k, v in w_mod.state_dict().items()})
    assert fresh.num_features == shape[dim] and not fresh.has_uninitialized_params()
    assert type(fresh).__name__ == cls
    fresh(wick.tensor(x))
    assert type(fresh).__name__ == cls.replace("Lazy", "")


def test_local_response_norm_and_cross_map_lrn_match_torch(device):
    rng = np.random.default_rng(11)
    for cls, args, shape in (("LocalResponseNorm", (3, 0.2, 0.6, 1.5), (2, 5, 3, 4)),
                             ("LocalResponseNorm", (2,), (2, 4, 6)),
                             ("CrossMapLRN2d", (5, 0.5, 0.75, 2), (2, 7, 3, 4)),
                             ("CrossMapLRN2d", (4, 0.1, 0.5, 1), (2, 6, 2, 3)),
                             ("CrossMapLRN2d", (3,), (1, 2, 3, 3))):
        t_mod, w_mod = getattr(torch.nn, cls)(*args), getattr(wick.nn, cls)(*args)
        assert repr(w_mod) == repr(t_mod)
        for dtype in ("float32", "float64"):
            wx, tx = pair(rng, shape, dtype, device)
            w_out, t_out = w_mod(wx), t_mod(tx)
            assert_same(w_out, t_out, *TOL[dtype])
            backward_both(w_out, t_out, rng)
            assert_same(wx.grad, tx.grad, *TOL[dtype])
    with pytest.raises(ValueError, match="4D"):
        wick.nn.CrossMapLRN2d(3)(wick.randn(2, 3, 4))


def test_rms_norm_and_layer_norm_modules(device):
    rng = np.random.default_rng(12)
    norm = wick.nn.RMSNorm([3, 4], eps=1e-6).double().to(device)
    assert repr(norm) == "RMSNorm((3, 4), eps=1e-06, elementwise_affine=True)"
    assert list(norm.state_dict()) == ["weight"] and tuple(norm.weight.shape) == (3, 4)
    with wick.no_grad():
        norm.weight.copy_(wick.tensor(rng.standard_normal((3, 4)), device=device))
    wx, tx = pair(rng, (2, 3, 4), device=device)
    t_weight = torch.tensor(norm.weight.detach().cpu().numpy(), requires_grad=True)
    w_out, t_out = norm(wx), torch_rms_norm(tx, (3, 4), t_weight, 1e-6)
    assert_same(w_out, t_out, 1e-9, 1e-11)
    backward_both(w_out, t_out, rng)
    assert_same(wx.grad, tx.grad, 1e-9, 1e-11)
    assert_same(norm.weight.grad, t_weight.grad, 1e-9, 1e-11)
    assert list(wick.nn.RMSNorm(4, elementwise_affine=False).state_dict()) == []
    # LayerNorm(bias=False): PyTorch 2.15's argument, a weight only
    layer = wick.nn.LayerNorm(4, bias=False)
    assert list(layer.state_dict()) == ["weight"]
    x = wick.randn(3, 4)
    assert_same(layer(x), torch.nn.functional.layer_norm(torch.tensor(x.numpy()), (4,)), 1e-5, 1e-6)


# ---------------------------------------------------------------------------------------------------------------
# RNN, RNNCell


RNN_CONFIGS = [
    dict(),
    dict(nonlinearity="relu", num_layers=2, bidirectional=True),
    dict(bias=False, batch_first=True),
    dict(num_layers=3, batch_first=True, bidirectional=True, nonlinearity="relu"),
]


@pytest.mark.parametrize("config", RNN_CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rnn_matches_torch(config, dtype, device):
    rng = np.random.default_rng(13)
    torch.manual_seed(0)
    t_rnn = torch.nn.RNN(3, 5, **config).to(getattr(torch, dtype))
    w_rnn = wick.nn.RNN(3, 5, **config).to(device=device, dtype=getattr(wick, dtype))
    copy_weights(t_rnn, w_rnn, device)
    assert repr(w_rnn) == repr(t_rnn)
    D = 2 if config.get("bidirectional") else 1
    L = config.get("num_layers", 1)
    shape = (2, 4, 3) if config.get("batch_first") else (4, 2, 3)
    for with_state in (False, True):
        wx, tx = pair(rng, shape, dtype, device)
        wh, th = pair(rng, (L * D, 2, 5), dtype, device)
        w_out, w_h = w_rnn(wx, wh if with_state else None)
        t_out, t_h = t_rnn(tx, th if with_state else None)
        assert_same(w_out, t_out, *TOL[dtype])
        assert_same(w_h, t_h, *TOL[dtype])
        w_rnn.zero_grad()
        t_rnn.zero_grad()
        backward_both(w_out + 0, t_out + 0, rng)
        assert_same(wx.grad, tx.grad, *TOL[dtype])
        if with_state:
            assert_same(wh.grad, th.grad, *TOL[dtype])
        compare_grads(w_rnn.named_parameters(), t_rnn.named_parameters(), dtype)
    # unbatched
    wx, tx = pair(rng, (4, 3), dtype, device)
    assert_same(w_rnn(wx), t_rnn(tx), *TOL[dtype])


def test_rnn_positional_nonlinearity_dropout_and_errors(device):
    rnn = wick.nn.RNN(3, 4, 2, "relu", False)
    assert rnn.nonlinearity == "relu" and rnn.bias is False and rnn.num_layers == 2
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        wick.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size"):
        wick.nn.RNN(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        wick.nn.RNN(3, 4)(wick.randn(5, 2, 3), wick.randn(1, 3, 4))
    with pytest.raises(RuntimeError, match="input_size"):
        wick.nn.RNN(3, 4)(wick.randn(5, 2, 2))
    # dropout between layers in training, none in eval
    rnn = wick.nn.RNN(3, 4, num_layers=2, dropout=0.5).to(device)
    x = wick.randn(6, 2, 3, device=device)
    wick.manual_seed(0)
    a = rnn(x)[0]
    wick.manual_seed(1)
    b = rnn(x)[0]
    assert not np.allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy())
    rnn.eval()
    assert_same(rnn(x)[0], torch.tensor(rnn(x)[0].detach().cpu().numpy()), 0, 0)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_cell_matches_torch(nonlinearity, bias, device):
    rng = np.random.default_rng(14)
    t_cell = torch.nn.RNNCell(3, 4, bias=bias, nonlinearity=nonlinearity).double()
    w_cell = wick.nn.RNNCell(3, 4, bias=bias, nonlinearity=nonlinearity).double().to(device)
    copy_weights(t_cell, w_cell, device)
    assert repr(w_cell) == repr(t_cell)
    for shape, hshape in (((2, 3), (2, 4)), ((3,), (4,)), ((0, 3), (0, 4))):
        wx, tx = pair(rng, shape, device=device)
        wh, th = pair(rng, hshape, device=device)
        for state in (False, True):
            w_out = w_cell(wx, wh if state else None)
            t_out = t_cell(tx, th if state else None)
            assert_same(w_out, t_out, 1e-9, 1e-11)
        backward_both(w_out, t_out, rng)
        assert_same(wx.grad, tx.grad, 1e-9, 1e-11)
        assert_same(wh.grad, th.grad, 1e-9, 1e-11)
    with pytest.raises(RuntimeError, match="inconsistent input_size"):
        w_cell(wick.randn(2, 5, device=device).double())
    with pytest.raises(RuntimeError, match="Unknown nonlinearity"):
        wick.nn.RNNCell(3, 4, nonlinearity="gelu")(wick.randn(2, 3))


# ---------------------------------------------------------------------------------------------------------------
# embedding bags


BAG_CASES = [  # input, offsets
    ([1, 2, 4, 5, 4, 3, 2, 9, 0, 0], [0, 2, 2, 5]),  # an empty bag
    ([3, 3, 3], [0]),
    ([1, 0, 7], [0, 1, 1, 3]),  # a trailing empty bag
    ([4, 1, 1, 7, 0, 9, 2, 2], [0, 2, 4, 6]),  # bags of one length (the [bags, length, dim] path)
    ([4, 1, 8, 7, 0, 9, 2], [0, 2, 4, 6]),  # ragged by one at the end
]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 0, -1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_bag_matches_torch(mode, padding_idx, dtype, device):
    rng = np.random.default_rng(15)
    for indices, offsets in BAG_CASES:
        for include_last in (False, True):
            if include_last:  # then the offsets end with the input's length
                offsets = offsets + [len(indices)]
            ww, tw = pair(rng, (10, 3), dtype, device)
            w_kwargs = dict(mode=mode, padding_idx=padding_idx, include_last_offset=include_last)
            t_kwargs = dict(w_kwargs, padding_idx=None if padding_idx is None else padding_idx % 10)
            w_out = F.embedding_bag(wick.tensor(indices, device=device), ww, wick.tensor(offsets, device=device),
                                    **w_kwargs)
            t_out = torch.nn.functional.embedding_bag(torch.tensor(indices), tw, torch.tensor(offsets), **t_kwargs)
            assert_same(w_out, t_out, *TOL[dtype])
            backward_both(w_out, t_out, rng)
            assert_same(ww.grad, tw.grad, *TOL[dtype])
    # 2-D input: fixed-size bags
    ww, tw = pair(rng, (10, 3), dtype, device)
    idx = rng.integers(0, 10, (4, 3))
    w_out = F.embedding_bag(wick.tensor(idx, device=device), ww, mode=mode, padding_idx=padding_idx)
    t_out = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, mode=mode,
                                              padding_idx=None if padding_idx is None else padding_idx % 10)
    assert_same(w_out, t_out, *TOL[dtype])
    backward_both(w_out, t_out, rng)
    assert_same(ww.grad, tw.grad, *TOL[dtype])


def test_embedding_bag_per_sample_weights(device):
    rng = np.random.default_rng(16)
    ww, tw = pair(rng, (6, 4), device=device)
    wp, tp = pair(rng, (7,), device=device)
    idx, offsets = [0, 5, 2, 2, 1, 3, 4], [0, 3, 3, 6]
    w_out = F.embedding_bag(wick.tensor(idx, device=device), ww, wick.tensor(offsets, device=device), mode="sum",
                            per_sample_weights=wp, padding_idx=2)
    t_out = torch.nn.functional.embedding_bag(torch.tensor(idx), tw, torch.tensor(offsets), mode="sum",
                                              per_sample_weights=tp, padding_idx=2)
    assert_same(w_out, t_out, 1e-9, 1e-11)
    backward_both(w_out, t_out, rng)
    assert_same(ww.grad, tw.grad, 1e-9, 1e-11)
    assert_same(wp.grad, tp.grad, 1e-9, 1e-11)


@pytest.mark.parametrize("include_last", [False, True])
def test_embedding_bag_uniform_bags(include_last, device):
    """Bags of one length (the rows reduced as [bags, length, dim]), weighted or not, with and
    without include_last_offset."""
    rng = np.random.default_rng(17)
    idx = rng.integers(0, 6, 9).tolist()
    offsets = [0, 3, 6] if not include_last else [0, 2, 4, 6]
    for mode, weighted in (("sum", True), ("sum", False), ("mean", False), ("max", False)):
        # (PyTorch 1.13's backward crashes on last offsets that end before the input.)
        used = idx[:6] if include_last else idx
        ww, tw = pair(rng, (6, 4), device=device)
        wp, tp = pair(rng, (len(used),), device=device) if weighted else (None, None)
        kwargs = dict(mode=mode, include_last_offset=include_last)
        w_out = F.embedding_bag(wick.tensor(used, device=device), ww, wick.tensor(offsets, device=device),
                                per_sample_weights=wp, **kwargs)
        t_out = torch.nn.functional.embedding_bag(torch.tensor(used), tw, torch.tensor(offsets),
                                                  per_sample_weights=tp, **kwargs)
        assert_same(w_out, t_out, 1e-9, 1e-11)
        backward_both(w_out, t_out, rng)
        assert_same(ww.grad, tw.grad, 1e-9, 1e-11)
        if weighted:
            assert_same(wp.grad, tp.grad, 1e-9, 1e-11)


def test_embedding_bag_errors():
    w = wick.randn(5, 2)
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(wick.tensor([[1, 2]]), w, wick.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(wick.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="input has to be 1D or 2D"):
        F.embedding_bag(wick.zeros(1, 1, 1, dtype=wick.long), w)
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(wick.tensor([1]), w, wick.tensor([0]), mode="median")
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(wick.tensor([1]), w, wick.tensor([0]), per_sample_weights=wick.ones(1))
    with pytest.raises(ValueError, match="same shape as the input"):
        F.embedding_bag(wick.tensor([1]), w, wick.tensor([0]), mode="sum", per_sample_weights=wick.ones(2))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(wick.tensor([1, 2]), w, wick.tensor([1]))
    with pytest.raises(ValueError, match="weight has to be a 2D"):
        F.embedding_bag(wick.tensor([1]), wick.randn(5), wick.tensor([0]))


def test_embedding_bag_module(device):
    rng = np.random.default_rng(17)
    for kwargs in (dict(), dict(mode="max", padding_idx=1), dict(mode="sum", include_last_offset=True),
                   dict(max_norm=1.0, norm_type=1.5)):
        torch.manual_seed(0)
        t_bag = torch.nn.EmbeddingBag(8, 3, **kwargs).double()
        w_bag = wick.nn.EmbeddingBag(8, 3, **kwargs).double().to(device)
        copy_weights(t_bag, w_bag, device)
        assert repr(w_bag) == repr(t_bag)
        idx, offsets = rng.integers(0, 8, 9), [0, 4, 6] + ([9] if kwargs.get("include_last_offset") else [])
        w_out = w_bag(wick.tensor(idx, device=device), wick.tensor(offsets, device=device))
        t_out = t_bag(torch.tensor(idx), torch.tensor(offsets))
        assert_same(w_out, t_out, 1e-9, 1e-11)
        backward_both(w_out, t_out, rng)
        assert_same(w_bag.weight.grad, t_bag.weight.grad, 1e-9, 1e-11)
        assert_same(w_bag.weight, t_bag.weight, 1e-9, 1e-11)  # max_norm renormalises in place in both
    bag = wick.nn.EmbeddingBag(5, 2, padding_idx=3)
    assert not bag.weight[3].detach().numpy().any()
    pretrained = wick.nn.EmbeddingBag.from_pretrained(wick.ones(4, 2), mode="sum")
    assert pretrained(wick.tensor([[0, 1]])).tolist() == [[2.0, 2.0]]
    assert not pretrained.weight.requires_grad
    with pytest.raises(ValueError, match="mode has to be one of"):
        wick.nn.EmbeddingBag(5, 2, mode="min")
