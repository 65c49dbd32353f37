"""wick.nn.utils.rnn (packed and padded sequences) against torch.nn.utils.rnn,
and RNN / LSTM / GRU over PackedSequences: packed outputs, final states (each
at its sequence's own end) and the gradients of inputs, states and weights."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import wick
from helpers import assert_same
from wick.nn.utils import rnn as wrnn

TOL = {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)}


def leaves(rng, shape, dtype="float64", device="cpu"):
    a = rng.standard_normal(shape).astype(dtype)
    return wick.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)


def backward_both(w_outs, t_outs, rng, device="cpu"):
    w_loss, t_loss = 0, 0
    for wo, to in zip(w_outs, t_outs):
        g = rng.standard_normal(tuple(to.shape)).astype(str(to.dtype).split(".")[-1])
        w_loss = w_loss + (wo * wick.tensor(g, device=device)).sum()
        t_loss = t_loss + (to * torch.tensor(g)).sum()
    w_loss.backward()
    t_loss.backward()


def assert_packed_same(w, t, rtol=0, atol=0):
    assert isinstance(w, wrnn.PackedSequence)
    assert_same(w.data, t.data, rtol, atol, "data")
    assert_same(w.batch_sizes, t.batch_sizes, 0, 0, "batch_sizes")
    assert w.batch_sizes.device.type == "cpu"
    for name in ("sorted_indices", "unsorted_indices"):
        wi, ti = getattr(w, name), getattr(t, name)
        assert (wi is None) == (ti is None), name
        if ti is not None:
            assert_same(wi, ti, 0, 0, name)


@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 4, 1], [3], [1, 1]])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_matches_torch(lengths, batch_first, device):
    rng = np.random.default_rng(0)
    T, B = max(lengths) + 1, len(lengths)
    shape = (B, T, 2, 3) if batch_first else (T, B, 2, 3)
    enforce = lengths == sorted(lengths, reverse=True)
    for layout in ("contiguous", "transposed"):
        wx, tx = leaves(rng, shape, device=device)
        w_in = wx.transpose(-1, -2).transpose(-1, -2) if layout == "contiguous" else wx.transpose(2, 3)
        t_in = tx.transpose(-1, -2).transpose(-1, -2) if layout == "contiguous" else tx.transpose(2, 3)
        for lens in (lengths, torch.tensor(lengths)):
            w_lens = lens if isinstance(lens, list) else wick.tensor(lens.numpy())
            w_packed = wrnn.pack_padded_sequence(w_in, w_lens, batch_first, enforce_sorted=enforce)
            t_packed = trnn.pack_padded_sequence(t_in, lens, batch_first, enforce_sorted=enforce)
            assert_packed_same(w_packed, t_packed)
        for total in (None, T + 2):
            w_pad, w_len = wrnn.pad_packed_sequence(w_packed, batch_first, padding_value=-1.5, total_length=total)
            t_pad, t_len = trnn.pad_packed_sequence(t_packed, batch_first, padding_value=-1.5, total_length=total)
            assert_same(w_pad, t_pad, 0, 0, "padded")
            assert_same(w_len, t_len, 0, 0, "lengths")
            assert w_len.device.type == "cpu"
        backward_both([w_pad], [t_pad], rng, device)
        assert_same(wx.grad, tx.grad, 0, 0, "grad")


def test_pad_sequence_and_unpad_match_torch(device):
    rng = np.random.default_rng(1)
    pairs = [leaves(rng, (n, 2), device=device) for n in (3, 5, 1)]
    w_seqs, t_seqs = [p[0] for p in pairs], [p[1] for p in pairs]
    for batch_first in (False, True):
        for value in (0.0, 7.0):
            w_out = wrnn.pad_sequence(w_seqs, batch_first, value)
            t_out = trnn.pad_sequence(t_seqs, batch_first, value)
            assert_same(w_out, t_out, 0, 0)
    backward_both([w_out], [t_out], rng, device)
    for w, t in pairs:
        assert_same(w.grad, t.grad, 0, 0)
    # padding_side="left" (PyTorch 2.15): the padding goes before each sequence
    left = wrnn.pad_sequence([wick.tensor([1, 2, 3]), wick.tensor([4])], batch_first=True, padding_side="left")
    assert left.tolist() == [[1, 2, 3], [0, 0, 4]]
    # unpad_sequence inverts pad_sequence
    lengths = wick.tensor([3, 5, 1])
    for batch_first in (False, True):
        padded = wrnn.pad_sequence(w_seqs, batch_first)
        for original, back in zip(w_seqs, wrnn.unpad_sequence(padded, lengths, batch_first)):
            assert_same(back, torch.tensor(original.detach().cpu().numpy()), 0, 0)
    # zero-size trailing dims and integer sequences
    assert tuple(wrnn.pad_sequence([wick.zeros(2, 0), wick.zeros(4, 0)]).shape) == (4, 2, 0)
    with pytest.raises(RuntimeError, match="empty list"):
        wrnn.pad_sequence([])
    with pytest.raises(ValueError, match="padding_side"):
        wrnn.pad_sequence([wick.ones(2)], padding_side="middle")
    with pytest.raises(RuntimeError, match="shape"):
        wrnn.pad_sequence([wick.ones(2, 3), wick.ones(2, 4)])


def test_pack_sequence_and_unpack_match_torch(device):
    rng = np.random.default_rng(2)
    pairs = [leaves(rng, (n, 3), device=device) for n in (2, 4, 3)]
    w_seqs, t_seqs = [p[0] for p in pairs], [p[1] for p in pairs]
    w_packed = wrnn.pack_sequence(w_seqs, enforce_sorted=False)
    t_packed = trnn.pack_sequence(t_seqs, enforce_sorted=False)
    assert_packed_same(w_packed, t_packed)
    w_back, t_back = wrnn.unpack_sequence(w_packed), trnn.unpack_sequence(t_packed)
    assert_same(w_back, t_back, 0, 0)
    backward_both([w_packed.data], [t_packed.data], rng, device)
    for w, t in pairs:
        assert_same(w.grad, t.grad, 0, 0)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        wrnn.pack_sequence(w_seqs)


def test_packed_sequence_methods_and_errors():
    packed = wrnn.pack_sequence([wick.tensor([1.0, 2.0]), wick.tensor([3.0])])
    assert isinstance(packed, tuple) and packed._fields == ("data", "batch_sizes", "sorted_indices",
                                                            "unsorted_indices")
    assert packed.double().data.dtype == wick.float64 and packed.long().data.dtype == wick.int64
    assert packed.to(wick.float32) is packed and not packed.is_cuda and packed.cpu() is packed
    data, batch_sizes, _, _ = packed
    assert batch_sizes.tolist() == [2, 1] and data.tolist() == [1.0, 3.0, 2.0]
    rebuilt = wrnn.PackedSequence(data, batch_sizes, wick.tensor([1, 0]))
    assert rebuilt.unsorted_indices.tolist() == [1, 0]
    assert wrnn.invert_permutation(wick.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert wrnn.invert_permutation(None) is None
    with pytest.raises(RuntimeError, match="greater than 0"):
        wrnn.pack_padded_sequence(wick.ones(3, 2), [2, 0])
    with pytest.raises(RuntimeError, match="batch_size"):
        wrnn.pack_padded_sequence(wick.ones(3, 2), [2, 1, 1])
    with pytest.raises(RuntimeError, match="empty"):
        wrnn.pack_padded_sequence(wick.ones(0, 2), [])
    with pytest.raises(ValueError, match="total_length"):
        wrnn.pad_packed_sequence(packed, total_length=1)


CONFIGS = [  # mode, kwargs
    ("LSTM", dict()),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(bidirectional=True, bias=False)),
    ("GRU", dict(num_layers=2, batch_first=True)),
    ("RNN", dict(nonlinearity="relu", bidirectional=True, num_layers=2)),
    ("RNN", dict(batch_first=True)),
]


@pytest.mark.parametrize("mode,config", CONFIGS, ids=lambda c: c if isinstance(c, str) else
                         "-".join(f"{k}={v}" for k, v in c.items()) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sorted_lengths", [True, False])
def test_recurrent_layers_over_packed_sequences(mode, config, dtype, sorted_lengths, device):
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    t_mod = getattr(torch.nn, mode)(3, 4, **config).to(getattr(torch, dtype))
    w_mod = getattr(wick.nn, mode)(3, 4, **config).to(device=device, dtype=getattr(wick, dtype))
    t_state = t_mod.state_dict()
    w_mod.load_state_dict({k: wick.tensor(v.numpy(), device=device) for k, v in t_state.items()})
    lengths = [5, 3, 3, 1] if sorted_lengths else [2, 5, 1, 3]
    bf = config.get("batch_first", False)
    B, T = len(lengths), max(lengths)
    D = 2 if config.get("bidirectional") else 1
    L = config.get("num_layers", 1)
    wx, tx = leaves(rng, (B, T, 3) if bf else (T, B, 3), dtype, device)
    wh, th = leaves(rng, (L * D, B, 4), dtype, device)
    wc, tc = leaves(rng, (L * D, B, 4), dtype, device)
    for with_state in (True, False):
        w_packed = wrnn.pack_padded_sequence(wx, lengths, bf, enforce_sorted=sorted_lengths)
        t_packed = trnn.pack_padded_sequence(tx, lengths, bf, enforce_sorted=sorted_lengths)
        w_hx = ((wh, wc) if mode == "LSTM" else wh) if with_state else None
        t_hx = ((th, tc) if mode == "LSTM" else th) if with_state else None
        w_out, w_final = w_mod(w_packed, w_hx)
        t_out, t_final = t_mod(t_packed, t_hx)
        rtol, atol = TOL[dtype]
        assert_packed_same(w_out, t_out, rtol, atol)
        w_final = list(w_final) if mode == "LSTM" else [w_final]
        t_final = list(t_final) if mode == "LSTM" else [t_final]
        assert_same(w_final, t_final, rtol, atol, "final states")
        w_mod.zero_grad()
        t_mod.zero_grad()
        backward_both([w_out.data] + w_final, [t_out.data] + t_final, rng, device)
        assert_same(wx.grad, tx.grad, rtol, atol, "input grad")
        if with_state:
            assert_same(wh.grad, th.grad, rtol, atol, "h_0 grad")
        for (name, wp), (_, tp) in zip(w_mod.named_parameters(), t_mod.named_parameters()):
            assert_same(wp.grad, tp.grad, rtol, atol, f"grad of {name}")
        for leaf in (wx, wh, wc, tx, th, tc):
            leaf.grad = None
    # padded back, the output (from zero states) equals running each sequence alone
    padded, _ = wrnn.pad_packed_sequence(w_out, batch_first=True)
    b = 1
    alone = wx[b, :lengths[b]] if bf else wx[:lengths[b], b]
    w_mod.eval()
    out_alone = w_mod(alone.unsqueeze(0 if bf else 1))[0]
    assert_same(padded[b, :lengths[b]], torch.tensor(out_alone.squeeze(0 if bf else 1).detach().cpu().numpy()),
                *TOL[dtype])


def test_packed_hidden_state_errors():
    packed = wrnn.pack_sequence([wick.randn(3, 2), wick.randn(2, 2)])
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        wick.nn.GRU(2, 4)(packed, wick.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="input_size"):
        wick.nn.LSTM(3, 4)(packed)
    with pytest.raises(RuntimeError, match="tuple"):
        wick.nn.LSTM(2, 4)(packed, wick.zeros(1, 2, 4))
