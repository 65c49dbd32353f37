"""wick.nn against torch.nn: each layer's output and the gradients of its input
and parameters with the same weights (copied from torch through state_dict
and NumPy), Module subclassing and registration, repr, state_dict keys and
loading, modes and conversion, nn.init, and small training loops."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.nn as nn
import wick.nn.functional as F
from helpers import assert_same

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}  # (rtol, atol)


def to_wick_state(torch_module):
    """torch's state_dict as wick tensors, through NumPy."""
    return {k: wick.tensor(v.detach().cpu().numpy()) for k, v in torch_module.state_dict().items()}


def build(spec, lib):
    """spec(nn) -> module, with lib's nn."""
    return spec(lib.nn)


def paired(spec, dtype="float32"):
    """The same layer in both libraries, with torch's weights copied into wick."""
    torch.manual_seed(0)
    t = build(spec, torch)
    w = build(spec, wick)
    if dtype == "float64":
        t = t.double()
        w = w.double()
    result = w.load_state_dict(to_wick_state(t))
    assert result.missing_keys == [] and result.unexpected_keys == []
    return w, t


def inputs(shapes, dtype, rng, requires_grad=True, device="cpu"):
    """Random float leaves (or int64 indices for shapes given as ("int", high, shape));
    wick's on `device`, torch's on the CPU."""
    w, t = [], []
    for shape in shapes:
        if isinstance(shape, tuple) and shape and shape[0] == "int":
            data = rng.integers(0, shape[1], shape[2])
            w.append(wick.tensor(data, device=device))
            t.append(torch.tensor(data))
            continue
        data = rng.standard_normal(shape).astype(dtype)
        w.append(wick.tensor(data, requires_grad=requires_grad, device=device))
        t.append(torch.tensor(data, requires_grad=requires_grad))
    return w, t


def flat_outputs(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat_outputs(o)]
    return [out]


def compare_layer(spec, shapes, dtype="float32", train=True, rtol=None, atol=None, call=None, device="cpu"):
    """Forward and backward of the same layer in both libraries: outputs,
    input gradients and parameter gradients (by name). wick's module is moved
    to `device` with Module.to, its inputs made there; torch's stay on the CPU."""
    r, a = TOL[dtype]
    r, a = rtol or r, atol or a
    rng = np.random.default_rng(1)
    w_mod, t_mod = paired(spec, dtype)
    assert w_mod.to(device) is w_mod
    assert all(p.device.type == device for p in w_mod.parameters())
    w_mod.train(train)
    t_mod.train(train)
    w_in, t_in = inputs(shapes, dtype, rng, device=device)
    call = call or (lambda m, xs: m(*xs))
    w_out, t_out = call(w_mod, w_in), call(t_mod, t_in)
    assert_same(w_out, t_out, r, a, f"{type(t_mod).__name__} output")
    w_loss, t_loss = 0, 0
    for wo, to in zip(flat_outputs(w_out), flat_outputs(t_out)):
        if not to.requires_grad:
            continue
        g = rng.standard_normal(tuple(to.shape)).astype(dtype)
        w_loss = w_loss + (wo * wick.tensor(g, device=device)).sum()
        t_loss = t_loss + (to * torch.tensor(g)).sum()
    if isinstance(t_loss, int):
        return w_mod, t_mod
    w_loss.backward()
    t_loss.backward()
    for i, (wi, ti) in enumerate(zip(w_in, t_in)):
        if ti.grad is not None:
            assert_same(wi.grad, ti.grad, r, a, f"{type(t_mod).__name__} grad of input {i}")
    w_params = dict(w_mod.named_parameters())
    t_params = dict(t_mod.named_parameters())
    assert list(w_params) == list(t_params)
    for name, tp in t_params.items():
        if tp.grad is None:
            assert w_params[name].grad is None, name
        else:
            assert w_params[name].grad.device.type == device, name
            assert_same(w_params[name].grad, tp.grad, r, a, f"{type(t_mod).__name__} grad of {name}")
    # Buffers (BatchNorm's running statistics) moved the same way.
    for (wn, wb), (tn, tb) in zip(w_mod.named_buffers(), t_mod.named_buffers()):
        assert wn == tn
        assert_same(wb, tb, r, a, f"buffer {wn}")
    return w_mod, t_mod


# ---- each layer against torch.nn --------------------------------------------------------------

LAYERS = [
    ("linear", lambda nn: nn.Linear(5, 3), [(4, 5)]),
    ("linear_3d_nobias", lambda nn: nn.Linear(5, 3, bias=False), [(2, 4, 5)]),
    ("bilinear", lambda nn: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    ("conv1d", lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), [(2, 4, 9)]),
    ("conv1d_same_reflect", lambda nn: nn.Conv1d(3, 2, 4, padding="same", padding_mode="reflect"), [(2, 3, 7)]),
    ("conv2d", lambda nn: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2)), [(2, 3, 7, 8)]),
    ("conv2d_same", lambda nn: nn.Conv2d(2, 3, 3, padding="same", bias=False), [(1, 2, 5, 6)]),
    ("conv2d_valid", lambda nn: nn.Conv2d(2, 3, 3, padding="valid"), [(1, 2, 5, 6)]),
    ("conv2d_circular", lambda nn: nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), [(1, 2, 5, 5)]),
    ("conv2d_replicate", lambda nn: nn.Conv2d(2, 2, 3, padding=(1, 2), padding_mode="replicate"), [(1, 2, 4, 5)]),
    ("conv2d_unbatched", lambda nn: nn.Conv2d(2, 3, 2), [(2, 4, 4)]),
    ("conv_transpose2d", lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
     [(2, 4, 3, 3)]),
    ("conv_transpose2d_groups", lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), groups=2, bias=False), [(1, 4, 3, 3)]),
    ("maxpool2d", lambda nn: nn.MaxPool2d(2), [(2, 3, 6, 7)]),
    ("maxpool2d_args", lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [(2, 3, 6, 7)]),
    ("avgpool2d", lambda nn: nn.AvgPool2d((2, 3), stride=1, padding=1, count_include_pad=False), [(2, 3, 6, 7)]),
    ("adaptive_avgpool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 2)), [(2, 3, 7, 5)]),
    ("adaptive_avgpool2d_none", lambda nn: nn.AdaptiveAvgPool2d((None, 1)), [(2, 3, 7, 5)]),
    ("batchnorm1d", lambda nn: nn.BatchNorm1d(4), [(8, 4)]),
    ("batchnorm1d_3d", lambda nn: nn.BatchNorm1d(4, momentum=None), [(8, 4, 3)]),
    ("batchnorm2d", lambda nn: nn.BatchNorm2d(3, eps=1e-3, momentum=0.3), [(4, 3, 5, 5)]),
    ("batchnorm2d_untracked", lambda nn: nn.BatchNorm2d(3, affine=False, track_running_stats=False),
     [(4, 3, 2, 2)]),
    ("layernorm", lambda nn: nn.LayerNorm(6), [(3, 4, 6)]),
    ("layernorm_2d", lambda nn: nn.LayerNorm([4, 6], elementwise_affine=False), [(3, 4, 6)]),
    ("groupnorm", lambda nn: nn.GroupNorm(2, 6), [(3, 6, 4)]),
    ("dropout_p0", lambda nn: nn.Dropout(0.0), [(4, 5)]),
    ("embedding", lambda nn: nn.Embedding(10, 4, padding_idx=2), [("int", 10, (3, 5))]),
    ("embedding_max_norm", lambda nn: nn.Embedding(10, 4, max_norm=1.5, norm_type=1.0), [("int", 10, (3, 5))]),
    ("flatten", lambda nn: nn.Flatten(), [(2, 3, 4)]),
    ("unflatten", lambda nn: nn.Unflatten(1, (2, 6)), [(3, 12)]),
    ("identity", lambda nn: nn.Identity(54, unused="x"), [(3, 2)]),
    ("relu", lambda nn: nn.ReLU(), [(4, 5)]),
    ("leaky_relu", lambda nn: nn.LeakyReLU(0.2), [(4, 5)]),
    ("gelu", lambda nn: nn.GELU(), [(4, 5)]),
    ("gelu_tanh", lambda nn: nn.GELU("tanh"), [(4, 5)]),
    ("silu", lambda nn: nn.SiLU(), [(4, 5)]),
    ("tanh", lambda nn: nn.Tanh(), [(4, 5)]),
    ("sigmoid", lambda nn: nn.Sigmoid(), [(4, 5)]),
    ("softmax", lambda nn: nn.Softmax(dim=1), [(4, 5)]),
    ("log_softmax", lambda nn: nn.LogSoftmax(dim=-1), [(2, 4, 5)]),
    ("sequential", lambda nn: nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2), nn.LogSoftmax(1)),
     [(5, 6)]),
    ("lstm", lambda nn: nn.LSTM(4, 5), [(6, 3, 4)]),
    ("lstm_deep", lambda nn: nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True), [(3, 6, 4)]),
    ("lstm_unbatched", lambda nn: nn.LSTM(4, 3, bias=False), [(6, 4)]),
    ("gru", lambda nn: nn.GRU(4, 5, num_layers=2), [(6, 3, 4)]),
    ("gru_bidirectional", lambda nn: nn.GRU(4, 3, bidirectional=True, batch_first=True), [(2, 5, 4)]),
    ("lstm_cell", lambda nn: nn.LSTMCell(4, 5), [(3, 4)]),
    ("gru_cell", lambda nn: nn.GRUCell(4, 5, bias=False), [(3, 4)]),
    ("gru_cell_unbatched", lambda nn: nn.GRUCell(4, 5), [(4,)]),
]


@pytest.mark.parametrize("name,spec,shapes", LAYERS, ids=[layer[0] for layer in LAYERS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_matches_torch(name, spec, shapes, dtype):
    compare_layer(spec, shapes, dtype)


@pytest.mark.parametrize("name,spec,shapes",
                         [layer for layer in LAYERS if "batchnorm" in layer[0] or "dropout" in layer[0]],
                         ids=lambda x: x if isinstance(x, str) else "")
def test_layer_in_eval_mode_matches_torch(name, spec, shapes):
    compare_layer(spec, shapes, "float32", train=False)


def test_batchnorm_running_stats_follow_torch_over_steps():
    w, t = paired(lambda nn: nn.BatchNorm2d(3, momentum=None))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 2)).astype("float32") * 2 + 1
        w(wick.tensor(x))
        t(torch.tensor(x))
    assert int(w.num_batches_tracked) == 3
    for name in ("running_mean", "running_var"):
        assert_same(getattr(w, name), getattr(t, name), 1e-5, 1e-6, name)
    w.eval()
    t.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype("float32")
    assert_same(w(wick.tensor(x)), t(torch.tensor(x)), 1e-5, 1e-6)


def test_recurrent_layers_with_initial_state():
    rng = np.random.default_rng(2)
    h0 = rng.standard_normal((4, 3, 5)).astype("float32")
    c0 = rng.standard_normal((4, 3, 5)).astype("float32")

    def with_state(m, xs):
        if isinstance(m, torch.nn.Module):
            return m(xs[0], (torch.tensor(h0), torch.tensor(c0)))
        return m(xs[0], (wick.tensor(h0), wick.tensor(c0)))

    compare_layer(lambda nn: nn.LSTM(4, 5, num_layers=2, bidirectional=True), [(6, 3, 4)], call=with_state)

    def gru_state(m, xs):
        return m(xs[0], xs[1])

    compare_layer(lambda nn: nn.GRU(4, 5), [(6, 3, 4), (1, 3, 5)], call=gru_state)
    compare_layer(lambda nn: nn.LSTMCell(4, 5), [(3, 4), (3, 5), (3, 5)], call=lambda m, xs: m(xs[0], (xs[1], xs[2])))
    compare_layer(lambda nn: nn.GRUCell(4, 5), [(4,), (5,)], call=lambda m, xs: m(xs[0], xs[1]))


RECURRENT_LAYERS = [layer for layer in LAYERS if "lstm" in layer[0] or "gru" in layer[0]]


@pytest.mark.parametrize("name,spec,shapes", RECURRENT_LAYERS, ids=[layer[0] for layer in RECURRENT_LAYERS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_recurrent_layers_on_each_device(name, spec, shapes, dtype, device):
    # Module.to(device) moves the weights; the fused cells run on that device.
    compare_layer(spec, shapes, dtype, device=device)


def test_recurrent_layers_with_initial_state_on_each_device(device):
    rng = np.random.default_rng(3)
    h0 = rng.standard_normal((2, 3, 5)).astype("float64")
    c0 = rng.standard_normal((2, 3, 5)).astype("float64")

    def with_state(m, xs):
        if isinstance(m, torch.nn.Module):
            return m(xs[0], (torch.tensor(h0), torch.tensor(c0)))
        return m(xs[0], (wick.tensor(h0, device=device), wick.tensor(c0, device=device)))

    compare_layer(lambda nn: nn.LSTM(4, 5, num_layers=2), [(6, 3, 4)], "float64", call=with_state, device=device)
    compare_layer(lambda nn: nn.GRU(4, 5), [(6, 3, 4), (1, 3, 5)], "float64", call=lambda m, xs: m(xs[0], xs[1]),
                  device=device)
    compare_layer(lambda nn: nn.LSTMCell(4, 5), [(3, 4), (3, 5), (3, 5)], "float64",
                  call=lambda m, xs: m(xs[0], (xs[1], xs[2])), device=device)
    compare_layer(lambda nn: nn.GRUCell(4, 5), [(3, 4), (3, 5)], "float64", call=lambda m, xs: m(xs[0], xs[1]),
                  device=device)


def test_conv_transpose_output_size_and_maxpool_indices():
    compare_layer(lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), [(1, 3, 4, 4)],
                  call=lambda m, xs: m(xs[0], output_size=[8, 8]))
    compare_layer(lambda nn: nn.MaxPool2d(2, return_indices=True), [(2, 2, 4, 6)])


LOSSES = [
    ("cross_entropy", lambda nn: nn.CrossEntropyLoss(), [(6, 4), ("int", 4, (6,))]),
    ("cross_entropy_options", lambda nn: nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.2,
                                                             reduction="sum"), [(6, 4), ("int", 4, (6,))]),
    ("nll", lambda nn: nn.NLLLoss(reduction="none"), [(6, 4), ("int", 4, (6,))]),
    ("mse", lambda nn: nn.MSELoss(), [(3, 4), (3, 4)]),
    ("l1", lambda nn: nn.L1Loss(reduction="sum"), [(3, 4), (3, 4)]),
    ("smooth_l1", lambda nn: nn.SmoothL1Loss(beta=0.5), [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("name,spec,shapes", LOSSES, ids=[loss[0] for loss in LOSSES])
def test_loss_modules_match_torch(name, spec, shapes):
    compare_layer(spec, shapes)


def test_weighted_and_binary_losses_match_torch():
    rng = np.random.default_rng(3)
    weight = rng.uniform(0.5, 2, 4).astype("float32")
    for make in (lambda lib, wt: lib.nn.CrossEntropyLoss(weight=wt), lambda lib, wt: lib.nn.NLLLoss(weight=wt)):
        w_loss, t_loss = make(wick, wick.tensor(weight)), make(torch, torch.tensor(weight))
        assert list(w_loss.state_dict()) == list(t_loss.state_dict()) == ["weight"]
        x = rng.standard_normal((5, 4)).astype("float32")
        y = rng.integers(0, 4, 5)
        assert_same(w_loss(wick.tensor(x), wick.tensor(y)), t_loss(torch.tensor(x), torch.tensor(y)), 1e-5, 1e-6)
    p = rng.uniform(0.05, 0.95, (3, 4)).astype("float32")
    q = rng.uniform(0, 1, (3, 4)).astype("float32")
    assert_same(nn.BCELoss()(wick.tensor(p), wick.tensor(q)), torch.nn.BCELoss()(torch.tensor(p), torch.tensor(q)),
                1e-5, 1e-6)
    pos = rng.uniform(0.5, 2, 4).astype("float32")
    w_bce = nn.BCEWithLogitsLoss(pos_weight=wick.tensor(pos))
    t_bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos))
    assert list(w_bce.state_dict()) == list(t_bce.state_dict()) == ["pos_weight"]
    assert_same(w_bce(wick.tensor(p), wick.tensor(q)), t_bce(torch.tensor(p), torch.tensor(q)), 1e-5, 1e-6)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_dropout_in_training_zeroes_and_scales():
    wick.manual_seed(0)
    d = nn.Dropout(0.25)
    y = d(wick.ones(2000))
    kept = y != 0
    assert 0.7 < float(kept.float().mean()) < 0.8
    assert np.allclose(y[kept].numpy(), 1 / 0.75)
    d.eval()
    assert d(wick.ones(5)).tolist() == [1.0] * 5
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(-0.1)


# ---- Parameter ------------------------------------------------------------------------------------

def test_parameter_shares_data_and_keeps_its_class():
    data = wick.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, wick.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and not data.requires_grad
    assert p.data_ptr() == data.data_ptr()
    data[0] = 5.0
    assert p.tolist() == [5.0, 2.0]
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([5.0, 2.0])))
    assert repr(nn.Parameter(wick.zeros(2), requires_grad=False)) == \
        repr(torch.nn.Parameter(torch.zeros(2), requires_grad=False))
    # In-place ops and .data assignment keep the object and its class.
    with wick.no_grad():
        assert p.mul_(2) is p
    assert type(p) is nn.Parameter and p.tolist() == [10.0, 4.0]
    p.data = wick.tensor([7.0, 8.0, 9.0], dtype=wick.float64)
    assert type(p) is nn.Parameter and p.requires_grad and p.is_leaf
    assert p.tolist() == [7.0, 8.0, 9.0] and p.dtype == wick.float64
    assert type(p.data) is wick.Tensor and not p.data.requires_grad
    p.data.add_(1)  # an alias of the same memory
    assert p.tolist() == [8.0, 9.0, 10.0]
    # Results of ops are plain tensors.
    assert type(p * 2) is wick.Tensor
    # Copies keep the class.
    q = copy.deepcopy(p)
    assert type(q) is nn.Parameter and q.requires_grad and q.tolist() == p.tolist()
    assert q.data_ptr() != p.data_ptr()
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is nn.Parameter and r.requires_grad and r.tolist() == p.tolist()
    assert nn.Parameter().shape == (0,)


def test_parameter_gradients_accumulate():
    p = nn.Parameter(wick.tensor([1.0, -2.0]))
    (p * p).sum().backward()
    assert p.grad.tolist() == [2.0, -4.0]
    assert type(p.grad) is wick.Tensor


# ---- Module: registration, traversal, subclassing -------------------------------------------------

def make_net(nn):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.body = nn.Sequential(nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
            self.head = nn.Linear(8, 3, bias=False)
            self.scale = nn.Parameter(torch.ones(3) if nn is torch.nn else wick.ones(3))
            self.register_buffer("step", (torch if nn is torch.nn else wick).zeros((), dtype=torch.long
                                                                                  if nn is torch.nn else wick.long))
            self.register_buffer("cache", (torch if nn is torch.nn else wick).zeros(2), persistent=False)
            self.blocks = nn.ModuleList([nn.Conv1d(1, 2, 3), nn.Tanh()])
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.Identity()})

        def forward(self, x):
            return self.head(self.body(self.fc1(x))) * self.scale

    return Net()


def test_subclass_registers_attributes_like_torch():
    w, t = make_net(nn), make_net(torch.nn)
    assert [n for n, _ in w.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in w.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in w.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in w.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in w.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert list(w.state_dict()) == list(t.state_dict())
    assert len(list(w.parameters())) == len(list(t.parameters()))
    assert len(list(w.modules())) == len(list(t.modules()))
    assert isinstance(w.fc1.weight, nn.Parameter)
    assert w.get_submodule("body.0") is w.body[0]
    assert w.get_parameter("fc1.bias") is w.fc1.bias
    assert "fc1" in dir(w) and "scale" in dir(w)
    # The forward runs through __call__, and all parameters get gradients.
    x = wick.randn(5, 4)
    w(x).sum().backward()
    for name, p in w.named_parameters():
        if name.startswith(("blocks", "heads")):
            assert p.grad is None, name
        else:
            assert p.grad is not None and p.grad.shape == p.shape, name


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(wick.zeros(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = wick.zeros(2)
    m.w = None  # an empty slot
    assert m.w is None and list(m.parameters()) == []
    m.register_buffer("b", wick.zeros(1))
    m.b = wick.ones(1)
    assert m._buffers["b"].tolist() == [1.0]
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'b'"):
        m.b = 3
    m.sub = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'sub'"):
        m.sub = 3
    # Assigning a Parameter over a buffer or module name moves it.
    m.b = nn.Parameter(wick.zeros(1))
    assert "b" in m._parameters and "b" not in m._buffers
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'sub'"):
        m.sub
    with pytest.raises(KeyError, match="attribute 'b' already exists"):
        m.register_buffer("b", wick.zeros(1))
    with pytest.raises(KeyError, match="name can.+t contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'x'"):
        m.register_parameter("x", wick.zeros(1))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'y'"):
        m.register_parameter("y", _non_leaf_parameter())
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        m(wick.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        Early()


def _non_leaf_parameter():
    # A Parameter object whose tensor has a grad_fn cannot be made through the
    # public API; rebinding one to a computed tensor produces it.
    p = nn.Parameter(wick.zeros(1))
    wick.Tensor.__init__(p, wick.ones(1, requires_grad=True) * 2)
    return p


def test_forward_hooks():
    m = nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, inp: (inp[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, inp, out: seen.append(out.shape) or out + 1)
    y = m(wick.ones(3, 2))
    assert seen == [(3, 2)]
    assert np.allclose(y.detach().numpy(), (m.bias + 1).detach().numpy())
    h1.remove()
    h2.remove()
    assert np.allclose(m(wick.ones(1, 2)).detach().numpy(), (m.weight.sum(1) + m.bias).detach().numpy())


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    seq.append(nn.Sigmoid())
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert named.act is named[1]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Tanh())
    ml += [nn.ReLU()]
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "Tanh", "ReLU"]
    assert list(ml.state_dict()) == ["1.weight", "1.bias"]
    del ml[0]
    assert list(ml.state_dict()) == ["0.weight", "0.bias"]
    md = nn.ModuleDict({"b": nn.Linear(1, 1)})
    md["a"] = nn.ReLU()
    md.update([("c", nn.Tanh())])
    assert list(md.keys()) == ["b", "a", "c"] and "a" in md and len(md) == 3
    assert md.pop("a").__class__ is nn.ReLU and list(md) == ["b", "c"]


# ---- printing -------------------------------------------------------------------------------------

def zoo(nn):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.Conv2d(8, 8, (3, 5), stride=2, dilation=(1, 2), groups=4, bias=False,
                                                 padding_mode="reflect"),
        nn.Conv1d(2, 4, 5, padding="same"), nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
        nn.BatchNorm2d(8), nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False),
        nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(0.2), nn.LeakyReLU(inplace=True), nn.GELU(),
        nn.GELU(approximate="tanh"), nn.SiLU(), nn.Tanh(), nn.Sigmoid(), nn.Softmax(dim=1), nn.LogSoftmax(),
        nn.MaxPool2d(2), nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=2, ceil_mode=True),
        nn.AvgPool2d(2), nn.AvgPool2d((2, 3), stride=(1, 2), padding=1), nn.AdaptiveAvgPool2d(1),
        nn.AdaptiveAvgPool2d((None, 7)), nn.Flatten(), nn.Flatten(0, 2), nn.Unflatten(1, (2, 5)),
        nn.Linear(392, 10), nn.Linear(3, 2, bias=False), nn.Bilinear(2, 3, 4), nn.Dropout(0.25),
        nn.Dropout(p=0.1, inplace=True), nn.Embedding(10, 3), nn.Embedding(10, 3, padding_idx=-1),
        nn.Embedding(10, 3, max_norm=2.0, norm_type=1.0),
        nn.LayerNorm(6), nn.LayerNorm([2, 3], eps=1e-6, elementwise_affine=False), nn.GroupNorm(2, 4),
        nn.LSTM(3, 4), nn.LSTM(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True),
        nn.GRU(3, 4, dropout=0.0), nn.LSTMCell(3, 4), nn.GRUCell(3, 4, bias=False), nn.Identity(),
        nn.ModuleList([nn.Linear(1, 1), nn.ModuleDict({"x": nn.Tanh(), "y": nn.Sequential()})]),
        nn.CrossEntropyLoss(), nn.NLLLoss(), nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.BCELoss(),
        nn.BCEWithLogitsLoss())


def test_repr_equals_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w, t = zoo(nn), zoo(torch.nn)
    assert repr(w) == repr(t)
    assert str(make_net(nn)).replace("wick", "torch") == str(make_net(torch.nn))
    # A module's extra_repr with several lines, as PyTorch prints it.

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    class TMulti(torch.nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    Multi.__name__ = TMulti.__name__ = "Multi"
    assert repr(Multi()) == repr(TMulti())


# ---- state dicts ----------------------------------------------------------------------------------

def test_state_dict_keys_values_and_sharing():
    w, t = make_net(nn), make_net(torch.nn)
    sd = w.state_dict()
    assert list(sd) == list(t.state_dict())
    assert sd["body.0.num_batches_tracked"].dtype == wick.int64 and sd["body.0.num_batches_tracked"].dim() == 0
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"].data_ptr() == w.fc1.weight.data_ptr()
    kept = w.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is w.fc1.weight
    # Shared modules appear under every path, as in torch.
    lin = nn.Linear(2, 2)
    tl = torch.nn.Linear(2, 2)
    assert list(nn.Sequential(lin, lin).state_dict()) == list(torch.nn.Sequential(tl, tl).state_dict())
    assert len(list(nn.Sequential(lin, lin).parameters())) == 2


def test_load_torch_state_dict_gives_torch_outputs():
    torch.manual_seed(0)
    t = make_net(torch.nn)
    t.body[0].running_mean.uniform_(-1, 1)
    t.body[0].running_var.uniform_(0.5, 2)
    w = make_net(nn)
    result = w.load_state_dict(to_wick_state(t))
    assert repr(result) == "<All keys matched successfully>"
    w.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")
    assert_same(w(wick.tensor(x)), t(torch.tensor(x)), 1e-5, 1e-6)
    # And back: wick's state dict loads into torch.
    t2 = make_net(torch.nn).eval()
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in w.state_dict().items()})
    assert_same(w(wick.tensor(x)), t2(torch.tensor(x)), 1e-5, 1e-6)


def test_load_state_dict_errors_like_torch():
    w, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    state_w = {"weight": wick.zeros(2, 3), "extra": wick.zeros(1)}
    state_t = {"weight": torch.zeros(2, 3), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as we:
        w.load_state_dict(state_w)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(state_t)
    assert str(we.value) == str(te.value)
    assert str(we.value) == ('Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". '
                             '\n\tUnexpected key(s) in state_dict: "extra". ')
    rw, rt = w.load_state_dict(state_w, strict=False), t.load_state_dict(state_t, strict=False)
    assert (rw.missing_keys, rw.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys) == (["bias"], ["extra"])
    assert w.weight.abs().sum().item() == 0
    # Size mismatches raise even when not strict.
    with pytest.raises(RuntimeError) as we:
        w.load_state_dict({"weight": wick.zeros(3, 3), "bias": wick.zeros(2)}, strict=False)
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict({"weight": torch.zeros(3, 3), "bias": torch.zeros(2)}, strict=False)
    assert str(we.value) == str(te.value).replace("torch.Size", "wick.Size")
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        w.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match="expected wick.Tensor"):
        w.load_state_dict({"weight": np.zeros((2, 3)), "bias": wick.zeros(2)})


def test_state_dict_save_load_round_trip(tmp_path):
    w = make_net(nn)
    path = tmp_path / "net.wick"
    wick.save(w.state_dict(), path)
    w2 = make_net(nn)
    w2.load_state_dict(wick.load(path))
    for (n1, a), (n2, b) in zip(w.state_dict().items(), w2.state_dict().items()):
        assert n1 == n2 and a.tolist() == b.tolist()


# ---- modes, gradients, conversion -----------------------------------------------------------------

def test_train_eval_zero_grad_apply():
    net = make_net(nn)
    assert net.training and net.body[2].training
    assert net.eval() is net
    assert not net.training and not net.body[2].training and not net.heads["a"].training
    net.train()
    assert net.body[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    net(wick.randn(5, 4)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert net.fc1.weight.grad.abs().sum().item() == 0
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    names = []
    net.apply(lambda m: names.append(type(m).__name__))
    assert names[-1] == "Net" and names[0] == "Linear"
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_converts_in_place():
    net = make_net(nn)
    weight = net.fc1.weight
    before = weight.tolist()
    net(wick.randn(5, 4)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is weight and type(weight) is nn.Parameter
    assert weight.dtype == wick.float64 and weight.grad.dtype == wick.float64 and weight.requires_grad
    assert np.allclose(weight.tolist(), before)
    assert net.body[0].running_mean.dtype == wick.float64
    assert net.body[0].num_batches_tracked.dtype == wick.int64
    out = net(wick.randn(5, 4, dtype=wick.float64))
    assert out.dtype == wick.float64
    net.to(wick.float32)
    assert weight.dtype == wick.float32
    net.to("cpu")
    net.to(wick.device("cpu"), wick.float64)
    assert weight.dtype == wick.float64
    net.to(wick.zeros(1))
    assert weight.dtype == wick.float32
    net.float().cpu()
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(wick.int32)


# ---- nn.init --------------------------------------------------------------------------------------

def test_init_gains_and_fans_equal_torch():
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("softplus")
    for shape in [(5, 7), (8, 4, 3, 3), (2, 3, 5)]:
        assert nn.init._calculate_fan_in_and_fan_out(wick.empty(shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(wick.empty(3))


def test_init_statistics():
    wick.manual_seed(0)
    w = nn.Parameter(wick.empty(256, 512))
    assert nn.init.kaiming_uniform_(w, a=math.sqrt(5)) is w and w.is_leaf
    bound = 1 / math.sqrt(512)
    assert w.abs().max().item() <= bound and abs(w.std().item() - bound / math.sqrt(3)) < 0.01 * bound
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.std().item() - math.sqrt(2 / 256)) < 0.01 * math.sqrt(2 / 256)
    nn.init.xavier_uniform_(w, gain=2)
    a = 2 * math.sqrt(6 / 768)
    assert w.abs().max().item() <= a and abs(w.std().item() - a / math.sqrt(3)) < 0.01 * a
    nn.init.xavier_normal_(w)
    assert abs(w.std().item() - math.sqrt(2 / 768)) < 0.01 * math.sqrt(2 / 768)
    nn.init.normal_(w, 2, 0.5)
    assert abs(w.mean().item() - 2) < 0.01 and abs(w.std().item() - 0.5) < 0.01
    nn.init.uniform_(w, -3, -1)
    assert -3 <= w.min().item() and w.max().item() <= -1
    nn.init.trunc_normal_(w, std=1, a=-0.5, b=1)
    assert -0.5 <= w.min().item() and w.max().item() <= 1 and abs(w.mean().item() - 0.2066) < 0.01
    nn.init.constant_(w, 0.3)
    assert np.allclose(w.detach().numpy(), 0.3)
    nn.init.zeros_(w)
    nn.init.ones_(w)
    assert w.sum().item() == 256 * 512
    e = nn.init.eye_(wick.empty(3, 4))
    assert e.tolist() == torch.eye(3, 4).tolist()
    d = nn.init.dirac_(wick.empty(4, 2, 3, 3), groups=2)
    assert d.tolist() == torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2).tolist()
    q = nn.init.orthogonal_(wick.empty(4, 3, 3), gain=2)
    flat = q.reshape(4, 9)
    assert np.allclose((flat @ flat.t()).numpy(), 4 * np.eye(4), atol=1e-5)
    tall = nn.init.orthogonal_(wick.empty(9, 4, dtype=wick.float64))
    assert np.allclose((tall.t() @ tall).numpy(), np.eye(4), atol=1e-12)
    s = nn.init.sparse_(wick.empty(200, 30), sparsity=0.25, std=0.1)
    zeros = (s == 0).sum(0)
    assert (zeros == 50).all() and abs(s[s != 0].std().item() - 0.1) < 0.01
    assert len({tuple(np.flatnonzero(c)) for c in (s == 0).numpy().T}) > 1  # rows chosen per column
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(wick.empty(3, 4, 5), 0.5)


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                                  "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_init_deprecated_names_warn_and_fill(name):
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(name, ())
    t = wick.zeros(4, 4, 1, 1) if name == "dirac" else wick.zeros(4, 4)
    with pytest.warns(FutureWarning, match=f"nn.init.{name}_"):
        assert getattr(nn.init, name)(t, *args) is t
    assert t.abs().sum().item() > 0


def test_default_initialisation_like_torch():
    # PyTorch's schemes: (spec, {parameter: ("uniform", bound) or ("normal", std)}). wick's
    # random numbers differ from torch's; the distributions are the same.
    cases = [
        (lambda nn: nn.Linear(300, 200), {"weight": ("uniform", 300 ** -0.5), "bias": ("uniform", 300 ** -0.5)}),
        (lambda nn: nn.Conv2d(16, 32, 5), {"weight": ("uniform", 400 ** -0.5), "bias": ("uniform", 400 ** -0.5)}),
        (lambda nn: nn.Conv1d(8, 4, 3), {"weight": ("uniform", 24 ** -0.5), "bias": ("uniform", 24 ** -0.5)}),
        # Transposed: fan_in from weight.size(1) = out_channels / groups.
        (lambda nn: nn.ConvTranspose2d(8, 6, 3), {"weight": ("uniform", 54 ** -0.5), "bias": ("uniform", 54 ** -0.5)}),
        (lambda nn: nn.Bilinear(20, 10, 30), {"weight": ("uniform", 20 ** -0.5), "bias": ("uniform", 20 ** -0.5)}),
        (lambda nn: nn.LSTM(10, 64), {n: ("uniform", 1 / 8) for n in ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                                                        "bias_hh_l0"]}),
        (lambda nn: nn.GRUCell(10, 16), {n: ("uniform", 1 / 4) for n in ["weight_ih", "weight_hh", "bias_ih",
                                                                           "bias_hh"]}),
        (lambda nn: nn.Embedding(500, 40), {"weight": ("normal", 1.0)}),
    ]
    wick.manual_seed(0)
    torch.manual_seed(0)
    for spec, expected in cases:
        w, t = spec(nn), spec(torch.nn)
        assert [n for n, _ in w.named_parameters()] == [n for n, _ in t.named_parameters()] == list(expected)
        for (name, wp), (_, tp) in zip(w.named_parameters(), t.named_parameters()):
            kind, scale = expected[name]
            for values in (wp.detach().numpy(), tp.detach().numpy()):  # torch's too: the table is right
                std = scale / math.sqrt(3) if kind == "uniform" else scale
                if kind == "uniform":
                    assert np.abs(values).max() <= scale, (type(t).__name__, name)
                if values.size >= 2000:
                    assert abs(values.std() - std) < 0.05 * std, (type(t).__name__, name)
                    assert abs(values.mean()) < 0.05 * std, (type(t).__name__, name)
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert emb.weight[1].tolist() == [0.0, 0.0, 0.0]
    bn = nn.BatchNorm1d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_var.tolist() == [1.0] * 3 and int(bn.num_batches_tracked) == 0


# ---- functional -----------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:nn.functional.(tanh|sigmoid) is deprecated")
@pytest.mark.parametrize("name,kwargs", [
    ("relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("elu", {"alpha": 0.7}), ("softplus", {"beta": 2, "threshold": 5}), ("hardtanh", {"min_val": -0.5}),
    ("relu6", {}), ("logsigmoid", {}), ("softsign", {}), ("tanh", {}), ("sigmoid", {}),
    ("softmin", {"dim": 1}), ("normalize", {"p": 1.0, "dim": 0}),
])
def test_functional_activations_match_torch(name, kwargs):
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((4, 5)) * 4).astype("float64")
    w_x, t_x = wick.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w_y = getattr(F, name)(w_x, **kwargs)
    t_y = getattr(torch.nn.functional, name)(t_x, **kwargs)
    assert_same(w_y, t_y, 1e-9, 1e-11)
    g = rng.standard_normal((4, 5))
    (w_y * wick.tensor(g)).sum().backward()
    (t_y * torch.tensor(g)).sum().backward()
    assert_same(w_x.grad, t_x.grad, 1e-9, 1e-11)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "silu", "elu", "hardtanh"])
def test_functional_inplace_matches_torch(name):
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 4)).astype("float64")
    w_x, t_x = wick.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    w_h, t_h = w_x * 1, t_x * 1
    w_y = getattr(F, name)(w_h, inplace=True)
    t_y = getattr(torch.nn.functional, name)(t_h, inplace=True)
    assert w_y is w_h
    assert_same(w_h, t_h, 1e-12, 1e-12)
    w_y.sum().backward()
    t_y.sum().backward()
    assert_same(w_x.grad, t_x.grad, 1e-12, 1e-12)


def test_functional_names_and_embedding():
    for name in ["conv1d", "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                 "batch_norm", "layer_norm", "group_norm", "linear", "bilinear", "softmax", "log_softmax",
                 "dropout", "one_hot", "embedding", "pad", "interpolate", "cross_entropy", "nll_loss", "mse_loss",
                 "l1_loss", "smooth_l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]:
        assert callable(getattr(F, name)), name
    weight = np.random.default_rng(0).standard_normal((6, 3)).astype("float32")
    idx = np.array([[0, 5], [2, 5]])
    w_w, t_w = wick.tensor(weight, requires_grad=True), torch.tensor(weight, requires_grad=True)
    w_y = F.embedding(wick.tensor(idx), w_w, padding_idx=-1)
    t_y = torch.nn.functional.embedding(torch.tensor(idx), t_w, padding_idx=-1)
    assert_same(w_y, t_y, 0, 0)
    w_y.sum().backward()
    t_y.sum().backward()
    assert_same(w_w.grad, t_w.grad, 0, 0)
    assert F.dropout(wick.ones(3), 0.5, training=False).tolist() == [1.0] * 3
    assert_same(F.huber_loss(wick.tensor([0.0, 3.0]), wick.tensor([0.5, 0.0]), delta=2.0),
                torch.nn.functional.huber_loss(torch.tensor([0.0, 3.0]), torch.tensor([0.5, 0.0]), delta=2.0),
                1e-6, 1e-7)


def test_public_api_is_documented():
    import inspect
    for name in nn.__all__:
        obj = getattr(nn, name)
        if inspect.isclass(obj):
            assert obj.__doc__ and obj.__doc__.strip(), f"wick.nn.{name} has no docstring"
    for name, member in inspect.getmembers(nn.Module, inspect.isfunction):
        if not name.startswith("_"):
            assert member.__doc__, f"wick.nn.Module.{name} has no docstring"
    for module in (F, nn.init):
        for name in module.__all__:
            fn = getattr(module, name)
            if inspect.isfunction(fn):  # the C++ functions are documented where they are bound
                assert fn.__doc__, f"{module.__name__}.{name} has no docstring"


# ---- training -------------------------------------------------------------------------------------

def test_mlp_learns_a_line_with_plain_gradient_descent():
    # seeds 000: y = 2x + 1 + noise (std 0.1) over 100 points; the loss
    # decreases to about the noise variance, 0.01.
    wick.manual_seed(42)
    x = wick.randn(100, 1)
    y = 2 * x + 1 + 0.1 * wick.randn(100, 1)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(1, 16)
            self.out = nn.Linear(16, 1)

        def forward(self, x):
            return self.out(wick.tanh(self.hidden(x)))

    model = MLP()
    criterion = nn.MSELoss()
    losses = []
    for _ in range(1000):
        loss = criterion(model(x), y)
        model.zero_grad()
        loss.backward()
        with wick.no_grad():
            for p in model.parameters():
                p -= 0.05 * p.grad
        losses.append(loss.item())
    assert losses[0] > 1.0
    assert all(losses[i] < losses[i - 100] for i in range(100, 1000, 100))
    assert losses[-1] < 0.015
    with wick.no_grad():
        f0, f1 = model(wick.tensor([[0.0], [1.0]])).flatten().tolist()
    assert abs(f0 - 1) < 0.05 and abs(f1 - f0 - 2) < 0.1


def test_linear_regression_with_data_updates():
    # The same with the seed's single Dense(1) unit, updating through .data.
    wick.manual_seed(7)
    x = wick.randn(100, 1)
    y = 2 * x + 1 + 0.1 * wick.randn(100, 1)
    model = nn.Linear(1, 1)
    for _ in range(300):
        loss = F.mse_loss(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data = p.data - 0.1 * p.grad
    assert abs(model.weight.item() - 2) < 0.03 and abs(model.bias.item() - 1) < 0.03
    assert isinstance(model.weight, nn.Parameter) and model.weight.requires_grad


def test_minimise_a_parabola():
    # seeds 000: x starts at 5 and gradient descent with lr 0.1 on (x - 2)^2 brings it to 2.
    x = nn.Parameter(wick.tensor(5.0))
    for step in range(100):
        loss = (x - 2) ** 2
        x.grad = None
        loss.backward()
        with wick.no_grad():
            x -= 0.1 * x.grad
    assert abs(x.item() - 2) < 1e-6 and loss.item() < 1e-10


def test_assert_int_or_pair():
    F = wick.nn.functional
    F.assert_int_or_pair(3, "kernel_size", "{} must be int or pair")
    F.assert_int_or_pair((1, 2), "kernel_size", "{} must be int or pair")
    with pytest.raises(AssertionError, match="stride must be int or pair"):
        F.assert_int_or_pair((1, 2, 3), "stride", "{} must be int or pair")
