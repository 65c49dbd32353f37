"""wick.lstm / wick.gru / wick.lstm_cell / wick.gru_cell against PyTorch with the
same weights (copied through NumPy): outputs, final states, and the gradients
of the input, the initial states and every weight, in float32 and float64."""
import numpy as np
import pytest
import torch

import wick
from helpers import assert_same

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}  # (rtol, atol)
T, B, I, H = 5, 3, 4, 6


def leaves(arrays, device="cpu"):
    """The same arrays as wick (on `device`) and torch (on the CPU) leaves that require grad (None stays None)."""
    w = [None if a is None else wick.tensor(a, device=device, requires_grad=True) for a in arrays]
    t = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    return w, t


def torch_weights(mode, input_size, hidden, layers, bidirectional, bias, dtype, seed=0):
    torch.manual_seed(seed)
    m = getattr(torch.nn, mode)(input_size, hidden, num_layers=layers, bias=bias, bidirectional=bidirectional)
    return [p.detach().numpy().astype(dtype) for p in m._flat_weights]


def backward_both(w_outs, t_outs, rng, device="cpu"):
    """Differentiates sum(out_i * g_i) over all outputs with the same random g_i in both libraries."""
    w_loss, t_loss = 0, 0
    for wo, to in zip(w_outs, t_outs):
        g = rng.standard_normal(tuple(to.shape)).astype(str(to.dtype).split(".")[-1])
        w_loss = w_loss + (wo * wick.tensor(g, device=device)).sum()
        t_loss = t_loss + (to * torch.tensor(g)).sum()
    w_loss.backward()
    t_loss.backward()


def compare_grads(w_leaves, t_leaves, dtype, names):
    rtol, atol = TOL[dtype]
    for name, wl, tl in zip(names, w_leaves, t_leaves):
        if tl is None:
            continue
        assert wl.grad is not None, f"{name}: wick computed no gradient"
        assert_same(wl.grad, tl.grad, rtol, atol, f"grad of {name}")


CONFIGS = [  # (num_layers, bidirectional, batch_first, bias, initial states)
    (1, False, False, True, True),
    (1, False, True, False, False),
    (1, True, False, True, False),
    (2, False, False, True, False),
    (2, True, True, True, True),
    (2, True, False, False, True),
]


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "L{}-bi{:d}-bf{:d}-bias{:d}-h{:d}".format(*c))
def test_layers_match_torch(mode, dtype, config, device):
    layers, bidirectional, batch_first, bias, states = config
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I)).astype(dtype)
    h0 = rng.standard_normal((layers * D, B, H)).astype(dtype) if states else None
    c0 = rng.standard_normal((layers * D, B, H)).astype(dtype) if states and mode == "LSTM" else None
    weights = torch_weights(mode, I, H, layers, bidirectional, bias, dtype)
    (wx, wh, wc, *wp), (tx, th, tc, *tp) = leaves([x, h0, c0] + weights, device)

    # torch through nn.LSTM / nn.GRU with the copied weights, wick through the function.
    module = getattr(torch.nn, mode)(I, H, num_layers=layers, bias=bias, batch_first=batch_first,
                                     bidirectional=bidirectional).to(getattr(torch, dtype))
    with torch.no_grad():
        for p, a in zip(module._flat_weights, weights):
            p.copy_(torch.from_numpy(a))
    if mode == "LSTM":
        t_out = module(tx, (th, tc) if states else None)
        t_outs = [t_out[0], *t_out[1]]
        w_outs = list(wick.lstm(wx, (wh, wc), wp, bias, layers, 0.0, True, bidirectional, batch_first))
    else:
        t_outs = list(module(tx, th))
        w_outs = list(wick.gru(wx, wh, wp, bias, layers, 0.0, True, bidirectional, batch_first))
    rtol, atol = TOL[dtype]
    assert_same(w_outs, t_outs, rtol, atol, "forward")

    rng = np.random.default_rng(2)
    backward_both(w_outs, t_outs, rng, device)
    compare_grads([wx, wh, wc], [tx, th, tc], dtype, ["input", "h0", "c0"])
    for p, a in zip(module._flat_weights, tp):
        a.grad = p.grad  # the module's parameters received torch's weight gradients
    names = [n for n in module._flat_weights_names]
    compare_grads(wp, tp, dtype, names)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_functions_match_torch_functions(mode, device):
    # torch.lstm / torch.gru called directly, with non-contiguous input and weights.
    dtype = "float64"
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, I, B)).astype(dtype)  # transposed below
    h0 = rng.standard_normal((2, B, H)).astype(dtype)
    c0 = rng.standard_normal((2, B, H)).astype(dtype)
    weights = torch_weights(mode.upper(), I, H, 2, False, True, dtype)
    weights_t = [np.ascontiguousarray(w.T) if w.ndim == 2 else w for w in weights]
    (wx, wh, wc, *wp), (tx, th, tc, *tp) = leaves([x, h0, c0] + weights_t, device)
    view = lambda ps: [p.t() if p.dim() == 2 else p for p in ps]  # noqa: E731
    if mode == "lstm":
        t_outs = list(torch.lstm(tx.transpose(1, 2), (th, tc), view(tp), True, 2, 0.0, True, False, False))
        w_outs = list(wick.lstm(wx.transpose(1, 2), (wh, wc), view(wp), True, 2, 0.0, True, False, False))
    else:
        t_outs = list(torch.gru(tx.transpose(1, 2), th, view(tp), True, 2, 0.0, True, False, False))
        w_outs = list(wick.gru(wx.transpose(1, 2), wh, view(wp), True, 2, 0.0, True, False, False))
    assert_same(w_outs, t_outs, *TOL[dtype], "forward")
    backward_both(w_outs, t_outs, np.random.default_rng(4), device)
    compare_grads([wx, wh, wc] + wp, [tx, th, tc if mode == "lstm" else None] + tp, dtype,
                  ["input", "h0", "c0"] + [f"param {i}" for i in range(len(wp))])


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_unbatched_matches_torch(mode, device):
    dtype = "float32"
    rng = np.random.default_rng(5)
    x = rng.standard_normal((T, I)).astype(dtype)
    h0 = rng.standard_normal((2, H)).astype(dtype)
    weights = torch_weights(mode, I, H, 1, True, True, dtype)
    (wx, wh, *wp), (tx, th, *tp) = leaves([x, h0] + weights, device)
    module = getattr(torch.nn, mode)(I, H, bidirectional=True)
    with torch.no_grad():
        for p, a in zip(module._flat_weights, weights):
            p.copy_(torch.from_numpy(a))
    if mode == "LSTM":
        c0 = np.zeros_like(h0)
        t_out, (t_h, t_c) = module(tx, (th, torch.tensor(c0)))
        w_out, w_h, w_c = wick.lstm(wx, (wh, None), wp, True, 1, 0.0, False, True, False)
        t_outs, w_outs = [t_out, t_h, t_c], [w_out, w_h, w_c]
    else:
        t_outs = list(module(tx, th))
        w_outs = list(wick.gru(wx, wh, wp, True, 1, 0.0, False, True, False))
    assert_same(w_outs, t_outs, *TOL[dtype], "forward")
    assert tuple(w_outs[0].shape) == (T, 2 * H)
    backward_both(w_outs, t_outs, np.random.default_rng(6), device)
    compare_grads([wx, wh], [tx, th], dtype, ["input", "h0"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(dtype, bias, batched, device):
    rng = np.random.default_rng(7)
    shape = (B,) if batched else ()
    x = rng.standard_normal(shape + (I,)).astype(dtype)
    h = rng.standard_normal(shape + (H,)).astype(dtype)
    c = rng.standard_normal(shape + (H,)).astype(dtype)
    for mode, gates in (("lstm_cell", 4), ("gru_cell", 3)):
        ws = [rng.uniform(-0.5, 0.5, s).astype(dtype) for s in [(gates * H, I), (gates * H, H), (gates * H,),
                                                                  (gates * H,)]]
        if not bias:
            ws = ws[:2]
        (wx, wh, wc, *wp), (tx, th, tc, *tp) = leaves([x, h, c] + ws, device)
        if mode == "lstm_cell":
            # torch.lstm_cell wants batched input (its modules unsqueeze); wick takes both.
            t_args = [tx, th, tc] if batched else [tx[None], th[None], tc[None]]
            t_outs = list(torch.lstm_cell(t_args[0], (t_args[1], t_args[2]), *tp))
            t_outs = t_outs if batched else [o[0] for o in t_outs]
            w_outs = list(wick.lstm_cell(wx, (wh, wc), *wp))
        else:
            t_outs = [torch.gru_cell(tx if batched else tx[None], th if batched else th[None], *tp)]
            t_outs = t_outs if batched else [t_outs[0][0]]
            w_outs = [wick.gru_cell(wx, wh, *wp)]
        assert_same(w_outs, t_outs, *TOL[dtype], f"{mode} forward")
        if batched:
            node = "ThnnFusedLstmCellBackward0" if mode == "lstm_cell" else "ThnnFusedGruCellBackward0"
            assert w_outs[0].grad_fn.name() == node
        backward_both(w_outs, t_outs, np.random.default_rng(8), device)
        compare_grads([wx, wh, wc if mode == "lstm_cell" else None] + wp,
                      [tx, th, tc if mode == "lstm_cell" else None] + tp, dtype,
                      ["input", "hx", "cx"] + [f"{mode} param {i}" for i in range(len(wp))])


def test_char_lstm_shapes_match_torch(device):
    # The char-LSTM's shape of problem: Embedding output into a 2-layer LSTM, batch_first, float32.
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 40, 16)).astype("float32")
    weights = torch_weights("LSTM", 16, 32, 2, False, True, "float32")
    (wx, *wp), (tx, *tp) = leaves([x] + weights, device)
    t_outs = list(torch.lstm(tx, (torch.zeros(2, 4, 32), torch.zeros(2, 4, 32)), tp, True, 2, 0.0, True, False,
                             True))
    w_outs = list(wick.lstm(wx, None, wp, True, 2, 0.0, True, False, True))
    assert_same(w_outs, t_outs, 2e-4, 2e-5, "forward")
    backward_both(w_outs[:1], t_outs[:1], np.random.default_rng(10), device)
    compare_grads([wx] + wp, [tx] + tp, "float32", ["input"] + [f"param {i}" for i in range(len(wp))])


def test_dropout_between_layers_is_seeded():
    x = wick.randn(6, 2, 3)
    params = [wick.tensor(a) for a in torch_weights("LSTM", 3, 5, 3, False, True, "float32")]

    def run(p, train):
        return wick.lstm(x, None, params, True, 3, p, train, False, False)[0]

    wick.manual_seed(11)
    a = run(0.4, True)
    wick.manual_seed(11)
    b = run(0.4, True)
    assert wick.equal(a, b)
    assert not wick.equal(a, run(0.4, True))
    assert not wick.equal(a, run(0.0, True))
    assert wick.equal(run(0.4, False), run(0.0, True))


def test_graph_is_one_node_per_layer(device):
    x = wick.randn(8, 2, 3, device=device, requires_grad=True)
    params = [wick.tensor(a, device=device, requires_grad=True) for a in torch_weights("LSTM", 3, 5, 1, False, True, "float32")]
    out, h, c = wick.lstm(x, None, params, True, 1, 0.0, True, False, False)
    assert out.grad_fn.name() == "LstmLayerBackward0"
    assert h.grad_fn.name() == "LstmLayerBackward0"
    assert [f.name() if f is not None else None for f, _ in out.grad_fn.next_functions] == [
        "AccumulateGrad", None, None, "AccumulateGrad", "AccumulateGrad", "AccumulateGrad", "AccumulateGrad"]
    with pytest.raises(NotImplementedError, match="double backward"):
        wick.autograd.grad(out.sum(), x, create_graph=True)


def test_errors():
    x = wick.randn(5, 2, 3)
    params = [wick.tensor(a) for a in torch_weights("LSTM", 3, 4, 1, False, True, "float32")]
    with pytest.raises(ValueError, match=r"input has inconsistent input_size: got 2, expected 3"):
        wick.lstm(wick.randn(5, 2, 2), None, params, True, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match=r"expected h0 of shape \[1, 2, 4\].*but got \[1, 3, 4\]"):
        wick.lstm(x, (wick.zeros(1, 3, 4), wick.zeros(1, 2, 4)), params, True, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match="lstm expects two hidden states"):
        wick.lstm(x, (wick.zeros(1, 2, 4),), params, True, 1, 0.0, False, False, False)
    with pytest.raises(TypeError, match="must be a tuple of two Tensors"):
        wick.lstm(x, wick.zeros(1, 2, 4), params, True, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match="incorrect number of RNN parameters"):
        wick.gru(x, None, params[:3], True, 1, 0.0, False, False, False)
    with pytest.raises(TypeError, match="dtype"):
        wick.lstm(x.double(), None, params, True, 1, 0.0, False, False, False)
    with pytest.raises(ValueError, match="batch size 2 doesn't match hx batch size 3"):
        wick.lstm_cell(wick.randn(2, 3), (wick.zeros(3, 4), wick.zeros(3, 4)), params[0], params[1])
    with pytest.raises(ValueError, match="dropout probability"):
        wick.lstm(x, None, params, True, 1, -0.1, True, False, False)
