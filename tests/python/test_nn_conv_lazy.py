"""3-D and transposed convolutions (functional and layers), lazy layers,
ParameterList / ParameterDict / Container, the module hooks (full backward
hooks, forward hooks with kwargs and always_call) and DataParallel, against
PyTorch."""
import warnings

import numpy as np
import pytest
import torch

import wick
import wick.nn as nn
import wick.nn.functional as F
from helpers import assert_same, check

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}


# ---- functional ---------------------------------------------------------------------------------

CONV3D_CASES = [
    ({}, (2, 4, 5, 6, 5), (6, 4, 3, 2, 3)),
    ({"stride": 2, "padding": 1}, (1, 4, 5, 6, 7), (3, 4, 3, 3, 3)),
    ({"stride": (1, 2, 3), "padding": (0, 1, 2), "dilation": (2, 1, 2), "groups": 2}, (2, 4, 7, 6, 8),
     (6, 2, 2, 3, 2)),
    ({"padding": "same", "dilation": (1, 2, 1)}, (1, 2, 4, 5, 6), (3, 2, 2, 3, 2)),
    ({"padding": "valid"}, (1, 2, 4, 4, 4), (3, 2, 2, 2, 2)),
    ({"padding": 1}, (2, 4, 4, 5), (3, 2, 3, 3, 3)),  # unbatched
    # Depth planes stacked as channels: depthwise groups, a depth stride past the kernel,
    # a kernel depth of one, asymmetric "same" padding in depth and width.
    ({"padding": (1, 0, 1), "groups": 4}, (2, 4, 5, 4, 4), (8, 1, 3, 2, 2)),
    ({"stride": (3, 1, 2), "dilation": (2, 1, 1)}, (1, 3, 9, 5, 6), (2, 3, 2, 3, 3)),
    ({"stride": 2}, (2, 3, 4, 5, 5), (5, 3, 1, 3, 2)),
    ({"padding": "same", "dilation": 3}, (1, 2, 5, 6, 7), (2, 2, 2, 3, 2)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs,x_shape,w_shape", CONV3D_CASES)
def test_conv3d_matches_torch(kwargs, x_shape, w_shape, device):
    c_out = w_shape[0]
    check(lambda m, x, w, b: m.nn.functional.conv3d(x, w, b, **kwargs), [x_shape, w_shape, (c_out,)],
          module=True, device=device)
    check(lambda m, x, w: m.nn.functional.conv3d(x, w, None, **kwargs), [x_shape, w_shape], module=True,
          dtypes=("float64",), layouts=("contiguous",), device=device)


def test_conv3d_many_channels(device):
    """Many input channels stacked with the kernel depth (24 * 3 planes into one conv2d): sums of 648
    products, so float32 is compared with a tolerance to match."""
    check(lambda m, x, w, b: m.nn.functional.conv3d(x, w, b, padding=1), [(1, 24, 3, 5, 4), (16, 24, 3, 3, 3), (16,)],
          module=True, device=device, rtol=1e-4, atol=5e-4)


CONV_T3D_CASES = [
    ({}, (2, 4, 3, 4, 3), (4, 3, 3, 2, 3)),
    ({"stride": 2, "padding": 1, "output_padding": 1}, (1, 4, 3, 3, 2), (4, 2, 3, 3, 3)),
    ({"stride": (1, 2, 3), "padding": (0, 1, 2), "output_padding": (0, 1, 2), "dilation": (2, 1, 2), "groups": 2},
     (2, 4, 3, 4, 3), (4, 3, 3, 2, 3)),
    ({"stride": 3, "padding": 3, "output_padding": 2}, (1, 2, 3, 2, 3), (2, 2, 2, 2, 2)),  # crops the padding
    ({"stride": 2}, (4, 2, 3, 2), (4, 3, 2, 2, 2)),  # unbatched
    ({"stride": (2, 1, 1), "padding": (1, 0, 1), "groups": 3}, (1, 6, 3, 4, 3), (6, 2, 3, 2, 2)),
]


@pytest.mark.parametrize("kwargs,x_shape,w_shape", CONV_T3D_CASES)
def test_conv_transpose3d_matches_torch(kwargs, x_shape, w_shape, device):
    c_out = w_shape[1] * kwargs.get("groups", 1)
    check(lambda m, x, w, b: m.nn.functional.conv_transpose3d(x, w, b, **kwargs), [x_shape, w_shape, (c_out,)],
          module=True, device=device)


@pytest.mark.parametrize("kwargs,x_shape,w_shape", [
    ({}, (2, 4, 5), (4, 3, 3)),
    ({"stride": 2, "padding": 1, "output_padding": 1}, (2, 4, 5), (4, 3, 3)),
    ({"stride": 3, "dilation": 2, "groups": 2, "padding": 2}, (1, 4, 6), (4, 2, 3)),
    ({"stride": 2}, (4, 5), (4, 3, 2)),  # unbatched
])
def test_conv_transpose1d_matches_torch(kwargs, x_shape, w_shape, device):
    c_out = w_shape[1] * kwargs.get("groups", 1)
    check(lambda m, x, w, b: m.nn.functional.conv_transpose1d(x, w, b, **kwargs), [x_shape, w_shape, (c_out,)],
          module=True, device=device)


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv_tbc_matches_torch(pad, device):
    # torch.conv_tbc itself takes contiguous tensors only.
    check(lambda x, w, b: F.conv_tbc(x, w, b, pad), [(7, 2, 3), (3, 3, 5), (5,)],
          torch_fn=lambda x, w, b: torch.conv_tbc(x.contiguous(), w.contiguous(), b.contiguous(), pad),
          device=device)


def test_zero_size_batches(device):
    for fn, x_shape, w_shape in ((F.conv3d, (0, 2, 3, 3, 3), (4, 2, 2, 2, 2)),
                                 (F.conv_transpose3d, (0, 2, 3, 3, 3), (2, 4, 2, 2, 2))):
        x = wick.zeros(x_shape, device=device, requires_grad=True)
        w = wick.randn(w_shape, device=device, requires_grad=True)
        out = fn(x, w)
        t_out = getattr(torch.nn.functional, fn.__name__)(torch.zeros(x_shape), torch.randn(w_shape))
        assert tuple(out.shape) == tuple(t_out.shape)
        out.sum().backward()
        assert tuple(x.grad.shape) == x_shape and not w.grad.abs().sum().item()


def test_conv_argument_errors():
    x, w = wick.randn(1, 2, 4, 4, 4), wick.randn(3, 2, 2, 2, 2)
    with pytest.raises(ValueError, match="channels"):
        F.conv3d(wick.randn(1, 3, 4, 4, 4), w)
    with pytest.raises(ValueError, match="5-dimensional weight"):
        F.conv3d(x, wick.randn(3, 2, 2, 2))
    with pytest.raises(ValueError, match="4D \\(unbatched\\) or 5D"):
        F.conv3d(wick.randn(2, 4, 4), w)
    with pytest.raises(ValueError, match="Kernel size can't be greater"):
        F.conv3d(wick.randn(1, 2, 1, 4, 4), w)
    with pytest.raises(ValueError, match="strided"):
        F.conv3d(x, w, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding string"):
        F.conv3d(x, w, padding="full")
    with pytest.raises(ValueError, match="bias"):
        F.conv3d(x, w, wick.randn(4))
    with pytest.raises(ValueError, match="divisible"):
        F.conv3d(wick.randn(1, 4, 4, 4, 4), wick.randn(3, 2, 2, 2, 2), groups=2)
    with pytest.raises(ValueError, match="3 integers"):
        F.conv3d(x, w, stride=(1, 2))
    with pytest.raises(TypeError, match="should be the same"):
        F.conv3d(x.double(), w)
    with pytest.raises(TypeError, match="floating point"):
        F.conv_transpose3d(wick.ones(1, 3, 2, 2, 2, dtype=wick.int64), wick.ones(3, 2, 2, 2, 2, dtype=wick.int64))
    with pytest.raises(ValueError, match="output padding must be smaller"):
        F.conv_transpose3d(wick.randn(1, 3, 2, 2, 2), w, output_padding=1)
    with pytest.raises(ValueError, match="channels"):
        F.conv_transpose3d(x, w)
    with pytest.raises(ValueError, match="3 dims"):
        F.conv_tbc(wick.randn(3, 4), wick.randn(2, 4, 5), wick.randn(5))


# ---- layers -------------------------------------------------------------------------------------

def paired(make, dtype):
    torch.manual_seed(0)
    t = make(torch.nn)
    w = make(nn)
    if dtype == "float64":
        t, w = t.double(), w.double()
    w.load_state_dict({k: wick.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return w, t


def compare(w_mod, t_mod, shape, dtype, device="cpu", **call_kwargs):
    """Output, input gradient and parameter gradients of the two modules on one random input."""
    r, a = TOL[dtype]
    rng = np.random.default_rng(1)
    data = rng.standard_normal(shape).astype(dtype)
    w_mod.to(device)
    xw = wick.tensor(data, device=device, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    w_out, t_out = w_mod(xw, **call_kwargs), t_mod(xt, **call_kwargs)
    assert_same(w_out, t_out, r, a)
    g = rng.standard_normal(tuple(t_out.shape)).astype(dtype)
    (w_out * wick.tensor(g, device=device)).sum().backward()
    (t_out * torch.tensor(g)).sum().backward()
    assert_same(xw.grad, xt.grad, r, a, "input grad")
    for (wn, wp), (tn, tp) in zip(w_mod.named_parameters(), t_mod.named_parameters()):
        assert wn == tn
        assert_same(wp.grad, tp.grad, r, a, f"grad of {wn}")


LAYERS = [
    (lambda nn: nn.Conv3d(4, 6, 3, stride=2, padding=1), (2, 4, 5, 6, 5)),
    (lambda nn: nn.Conv3d(4, 6, (3, 2, 3), groups=2, bias=False, dilation=(1, 2, 1)), (1, 4, 5, 6, 5)),
    (lambda nn: nn.Conv3d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 4, 4, 4)),
    (lambda nn: nn.Conv3d(2, 3, 3, padding=(1, 2, 1), padding_mode="circular"), (1, 2, 4, 4, 4)),
    (lambda nn: nn.Conv3d(2, 3, 2, padding="same", padding_mode="replicate"), (2, 4, 4, 5)),
    (lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5)),
    (lambda nn: nn.ConvTranspose1d(4, 3, 2, bias=False, dilation=2), (4, 5)),
    (lambda nn: nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, output_padding=1), (1, 4, 3, 2, 3)),
    (lambda nn: nn.ConvTranspose3d(4, 6, (2, 3, 2), groups=2, dilation=(1, 2, 1)), (2, 4, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_layers_match_torch(index, dtype, device):
    make, shape = LAYERS[index]
    w, t = paired(make, dtype)
    assert repr(w) == repr(t)
    assert list(w.state_dict()) == list(t.state_dict())
    compare(w, t, shape, dtype, device)


def test_conv_transpose_output_size(device):
    for make, shape, size in ((lambda lib: lib.ConvTranspose1d(2, 3, 3, stride=3), (1, 2, 4), [13]),
                              (lambda lib: lib.ConvTranspose3d(2, 3, 3, stride=2), (1, 2, 3, 3, 2), [8, 7, 6])):
        w, t = paired(make, "float64")
        compare(w, t, shape, "float64", device, output_size=size)
        with pytest.raises(ValueError, match="valid sizes range"):
            w(wick.randn(shape, dtype=wick.float64, device=device), output_size=[s + 5 for s in size])


def test_layer_argument_errors():
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv3d(2, 2, 3, padding_mode="edge")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv3d(3, 2, 3, groups=2)


def test_default_initialisation_bounds():
    torch.manual_seed(0)
    for m in (nn.Conv3d(4, 8, 3), nn.ConvTranspose3d(4, 8, 3), nn.ConvTranspose1d(6, 4, 5)):
        fan_in = m.weight.shape[1] * int(np.prod(m.weight.shape[2:]))
        bound = 1 / np.sqrt(fan_in)
        assert m.weight.abs().max().item() <= bound + 1e-6  # kaiming_uniform(a=sqrt(5)): 1 / sqrt(fan_in)
        assert m.weight.std().item() > bound / 3
        assert m.bias.abs().max().item() <= bound + 1e-6


# ---- lazy layers --------------------------------------------------------------------------------

LAZY = [
    ("LazyLinear", (5,), "Linear", (5, 5), (3, 7)),
    ("LazyConv1d", (4, 3), "Conv1d", (2, 4, 3), (2, 3, 8)),
    ("LazyConv2d", (4, 3), "Conv2d", (2, 4, 3), (3, 6, 6)),  # unbatched
    ("LazyConv3d", (4, 2), "Conv3d", (2, 4, 2), (1, 2, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), "ConvTranspose1d", (3, 4, 3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), "ConvTranspose2d", (2, 4, 3), (1, 2, 4, 4)),
    ("LazyConvTranspose3d", (4, 2), "ConvTranspose3d", (2, 4, 2), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("lazy_name,args,name,full_args,shape", LAZY)
def test_lazy_layers_infer_their_input_size(lazy_name, args, name, full_args, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = getattr(nn, lazy_name)(*args)
        t = getattr(torch.nn, lazy_name)(*args)
    assert repr(w) == repr(t)
    assert isinstance(w.weight, nn.UninitializedParameter) and repr(w.weight) == "<UninitializedParameter>"
    assert w.has_uninitialized_params()
    x = wick.randn(shape)
    w(x)
    t(torch.randn(shape))
    assert type(w) is getattr(nn, name) and type(w.weight) is nn.Parameter and w.weight.requires_grad
    assert repr(w) == repr(t)
    assert tuple(w.weight.shape) == tuple(t.weight.shape) and tuple(w.bias.shape) == tuple(t.bias.shape)
    assert list(w.state_dict()) == list(t.state_dict())
    assert not w._forward_pre_hooks
    # Then it is the ordinary layer: same output as torch's with the same weights.
    w.load_state_dict({k: wick.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    compare(w, t, shape, "float32")
    # Initialised as the layer: within its kaiming bound.
    fan_in = int(np.prod(w.weight.shape[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = getattr(nn, lazy_name)(*args)
    fresh(x)
    assert fresh.weight.abs().max().item() <= 1 / np.sqrt(fan_in) + 1e-6 and fresh.weight.abs().sum().item() > 0


def test_lazy_layers_on_each_device(device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m, x in ((nn.LazyLinear(3, device=device), wick.randn(2, 4, device=device)),
                     (nn.LazyConvTranspose3d(2, 2, device=device), wick.randn(1, 3, 2, 2, 2, device=device))):
            assert m.weight.device.type == device
            out = m(x)
            assert m.weight.device.type == device and m.bias.device.type == device
            assert out.device.type == device
            out.sum().backward()
            assert m.weight.grad.device.type == device


def test_lazy_layer_options_dtype_and_loading():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.LazyLinear(3, bias=False, dtype=wick.float64)
        m(wick.randn(2, 4, dtype=wick.float64))
        assert m.bias is None and m.weight.dtype == wick.float64 and tuple(m.weight.shape) == (3, 4)
        # to() before the first call is kept for the materialised parameters.
        m = nn.LazyConv2d(2, 3).double()
        m(wick.randn(1, 5, 4, 4, dtype=wick.float64))
        assert m.weight.dtype == wick.float64 and m.in_channels == 5
        # load_state_dict gives the shapes.
        full = nn.Linear(6, 3)
        lazy = nn.LazyLinear(3)
        state = lazy.state_dict()
        assert isinstance(state["weight"], nn.UninitializedParameter)
        lazy.load_state_dict(full.state_dict())
        assert not lazy.has_uninitialized_params()
        assert lazy.weight.equal(full.weight) and lazy.bias.equal(full.bias)
        out = lazy(wick.randn(2, 6))
        assert type(lazy) is nn.Linear and tuple(out.shape) == (2, 3)
        with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
            nn.LazyConv2d(2, 3)(wick.randn(4, 4))
        with pytest.raises(ValueError, match="divisible by groups"):
            nn.LazyConv1d(4, 3, groups=2)(wick.randn(1, 3, 8))
    p = nn.UninitializedParameter(requires_grad=False, dtype=wick.float64)
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.dtype == wick.float64
    assert not p.requires_grad


# ---- containers ---------------------------------------------------------------------------------

def test_parameter_list_like_torch():
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype("float32") for s in ((2, 3), (4,), (1, 2, 2))]
    w = nn.ParameterList([wick.tensor(data[0]), nn.Parameter(wick.tensor(data[1]))])
    t = torch.nn.ParameterList([torch.tensor(data[0]), torch.nn.Parameter(torch.tensor(data[1]))])
    w.append(wick.tensor(data[2]))
    t.append(torch.tensor(data[2]))
    w.append("not a tensor")
    t.append("not a tensor")
    assert repr(w) == repr(t).replace("torch.", "wick.")
    assert list(w.state_dict()) == list(t.state_dict()) == ["0", "1", "2"]
    assert len(w) == 4 and w[-1] == "not a tensor" and all(type(p) is nn.Parameter for p in list(w)[:3])
    assert len(list(w.parameters())) == 3
    assert isinstance(w[1:3], nn.ParameterList) and len(w[1:3]) == 2 and w[1:3][0] is w[1]
    w[0] = wick.zeros(5)
    assert type(w[0]) is nn.Parameter and tuple(w[0].shape) == (5,)
    w += [wick.ones(1)]
    assert len(w) == 5
    with pytest.raises(IndexError):
        w[7]
    with pytest.raises(TypeError, match="iterable"):
        w.extend(3)
    with pytest.raises(RuntimeError, match="should not be called"):
        w(1)
    # The parameters train through a module that holds the list.
    p = nn.ParameterList([wick.ones(2), wick.ones(2)])
    (p[0] * 3 + p[1]).sum().backward()
    assert p[0].grad.tolist() == [3.0, 3.0] and p[1].grad.tolist() == [1.0, 1.0]


def test_parameter_dict_like_torch():
    rng = np.random.default_rng(0)
    data = {k: rng.standard_normal(s).astype("float32") for k, s in (("b", (2,)), ("a", (3, 1)), ("c", (1,)))}
    w = nn.ParameterDict({k: wick.tensor(v) for k, v in data.items()})
    t = torch.nn.ParameterDict({k: torch.tensor(v) for k, v in data.items()})
    assert list(w.keys()) == list(t.keys())  # a plain dict: sorted, as PyTorch
    assert repr(w) == repr(t).replace("torch.", "wick.")
    assert list(w.state_dict()) == list(t.state_dict())
    w["z"] = wick.zeros(2)
    assert type(w["z"]) is nn.Parameter and "z" in w and len(w) == 4
    assert w.get("missing", 5) == 5 and w.setdefault("y", wick.ones(1)) is w["y"]
    assert w.pop("y").tolist() == [1.0] and "y" not in w
    key, value = w.popitem()
    assert key == "z" and tuple(value.shape) == (2,)
    w.update([("q", wick.ones(3))])
    assert list(w) == ["a", "b", "c", "q"]
    merged = w | {"r": wick.ones(1)}
    assert list(merged) == ["a", "b", "c", "q", "r"] and list(w) == ["a", "b", "c", "q"]
    copy = w.copy()
    assert copy["a"] is w["a"]
    assert list(reversed(w)) == ["q", "c", "b", "a"]
    del w["q"]
    assert list(w.state_dict()) == ["a", "b", "c"]
    w.clear()
    assert len(w) == 0 and not list(w.parameters())
    with pytest.raises(TypeError, match="not a string"):
        w[1] = wick.ones(1)
    with pytest.raises(ValueError, match="has length 3"):
        w.update([("a", wick.ones(1), 3)])
    with pytest.raises(RuntimeError, match="should not be called"):
        w()


def test_container_is_deprecated_module():
    with pytest.warns(UserWarning, match="deprecated"):
        c = nn.Container(fc=nn.Linear(2, 3))
    assert list(c.state_dict()) == ["fc.weight", "fc.bias"] and isinstance(c, nn.Module)


# ---- hooks --------------------------------------------------------------------------------------

class Mul(object):
    """A module factory: y = (a * w, b + w) for a Parameter w, in either library."""

    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.tensor([2.0, 3.0]))

            def forward(self, a, scale, b):
                return a * self.w * scale, b + self.w
        return M()


def run_backward_hooks(lib, replace_input=False, b_requires_grad=True, pre_hook=None):
    m = Mul.make(lib)
    seen = []

    def hook(module, grad_input, grad_output):
        seen.append(("full", [None if g is None else g.tolist() for g in grad_input],
                     [None if g is None else g.tolist() for g in grad_output]))
        if replace_input:
            return tuple(None if g is None else g + 100 for g in grad_input)

    if pre_hook is not None:
        m.register_full_backward_pre_hook(pre_hook)
    m.register_full_backward_hook(hook)
    a = lib.tensor([1.0, -1.0], requires_grad=True)
    b = lib.tensor([0.5, 0.5], requires_grad=b_requires_grad)
    y, z = m(a, 3.0, b)
    (y * lib.tensor([1.0, 2.0])).sum().backward()
    grads = (a.grad.tolist(), None if b.grad is None else b.grad.tolist(), m.w.grad.tolist())
    return seen, grads


@pytest.mark.parametrize("options", [{}, {"replace_input": True}, {"b_requires_grad": False}])
def test_full_backward_hooks_like_torch(options):
    assert run_backward_hooks(wick, **options) == run_backward_hooks(torch, **options)


def test_full_backward_pre_hook_replaces_grad_output():
    # PyTorch 1.13 has no backward pre-hooks: the values are computed by hand.
    # y = a * w * 3 with w = [2, 3], a = [1, -1]; grad_output of y = [1, 2], of z (unused) None.
    seen = []

    def pre_hook(module, grad_output):
        seen.append(("pre", [None if g is None else g.tolist() for g in grad_output]))
        return (grad_output[0] * 10, None)

    hooks, grads = run_backward_hooks(wick, pre_hook=pre_hook)
    assert seen == [("pre", [[1.0, 2.0], None])]
    # grad_output becomes [10, 20]: a.grad = [10, 20] * w * 3, w.grad = [10, 20] * a * 3.
    # grad_input: None for the float argument, zeros for b (its output z is unused), as PyTorch's full hooks.
    assert hooks == [("full", [[60.0, 180.0], None, [0.0, 0.0]], [[10.0, 20.0], None])]
    assert grads == ([60.0, 180.0], [0.0, 0.0], [30.0, -60.0])  # b gets those zeros, as in PyTorch
    with pytest.raises(RuntimeError, match="invalid number of grad_output"):
        run_backward_hooks(wick, pre_hook=lambda module, grad_output: (grad_output[0],))


def test_full_backward_hook_when_no_input_requires_grad():
    results = []
    for lib in (wick, torch):
        m = lib.nn.Linear(2, 2)
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, tuple(g.shape for g in go))))
        m(lib.ones(3, 2)).sum().backward()
        results.append([(gi, tuple(tuple(s) for s in shapes)) for gi, shapes in seen])
        m2 = lib.nn.Linear(2, 2)
        m2.register_full_backward_hook(lambda mod, gi, go: (lib.ones(3, 2),))
        with pytest.raises(RuntimeError, match="no input requires gradient"):
            m2(lib.ones(3, 2)).sum().backward()
    assert results[0] == results[1] == [((None,), ((3, 2),))]


def test_backward_hook_errors_and_removal():
    m = nn.Linear(2, 2)
    handle = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input"):
        m(wick.ones(1, 2, requires_grad=True)).sum().backward()
    handle.remove()
    calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("second"))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("first"), prepend=True)
    m.register_full_backward_pre_hook(lambda mod, go: calls.append("pre"))
    x = wick.ones(1, 2, requires_grad=True)
    m(x).sum().backward()
    assert calls == ["pre", "first", "second"]
    with wick.no_grad():
        m(x)  # no graph, no hooks to set up
    assert calls == ["pre", "first", "second"]


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    # PyTorch 1.13 has no prepend, with_kwargs or always_call: the expected values are by hand.
    for lib in (wick,):
        class Scale(lib.nn.Module):
            def forward(self, x, *, scale=1.0, fail=False):
                if fail:
                    raise ValueError("forward failed")
                return x * scale

        m = Scale()
        order = []
        m.register_forward_pre_hook(lambda mod, args: order.append("pre"))
        m.register_forward_pre_hook(lambda mod, args, kwargs: (order.append("pre kw first"), None)[1],
                                    prepend=True, with_kwargs=True)
        m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), {**kwargs, "scale": 10.0}),
                                    with_kwargs=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: (order.append(("kw", kwargs["scale"])), out * 2)[1],
                                with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: order.append(("always", out is None)), always_call=True)
        out = m(lib.tensor([1.0]), scale=3.0)
        assert out.tolist() == [40.0]
        assert order == ["pre kw first", "pre", ("kw", 10.0), ("always", False)]
        order.clear()
        with pytest.raises(ValueError, match="forward failed"):
            m(lib.tensor([1.0]), fail=True)
        assert order == ["pre kw first", "pre", ("always", True)]
        bad = m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
        with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
            m(lib.tensor([1.0]))
        bad.remove()


def test_unpickled_old_module_gets_the_hook_tables():
    import pickle
    m = nn.Linear(2, 2)
    for name in ("_backward_hooks", "_backward_pre_hooks", "_forward_hooks_with_kwargs"):
        del m.__dict__[name]  # as a module pickled before these existed
    loaded = pickle.loads(pickle.dumps(m))
    calls = []
    loaded.register_full_backward_hook(lambda mod, gi, go: calls.append(1))
    loaded(wick.ones(1, 2, requires_grad=True)).sum().backward()
    assert calls == [1]


def test_module_global_hooks():
    from wick.nn.modules import module as module_mod
    seen = []
    h1 = module_mod.register_module_forward_hook(lambda m, args, out: seen.append(type(m).__name__))
    h2 = module_mod.register_module_full_backward_hook(lambda m, gi, go: seen.append("bw " + type(m).__name__))
    try:
        net = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
        net(wick.ones(1, 2, requires_grad=True)).sum().backward()
    finally:
        h1.remove()
        h2.remove()
    # A module's backward hook runs when the gradient of its input is known: the outer one last.
    assert seen == ["Linear", "Tanh", "Sequential", "bw Tanh", "bw Linear", "bw Sequential"]
    nn.Linear(2, 2)(wick.ones(1, 2))
    assert len(seen) == 6


# ---- DataParallel -------------------------------------------------------------------------------

def test_data_parallel_passes_through(device):
    torch.manual_seed(0)
    t_inner = torch.nn.Linear(3, 2)
    w_inner = nn.Linear(3, 2)
    w_inner.load_state_dict({k: wick.tensor(v.detach().numpy()) for k, v in t_inner.state_dict().items()})
    w_inner.to(device)
    w = nn.DataParallel(w_inner)
    t = torch.nn.DataParallel(t_inner)
    assert w.module is w_inner and repr(w) == repr(t)
    assert list(w.state_dict()) == list(t.state_dict()) == ["module.weight", "module.bias"]
    x = np.arange(6, dtype="float32").reshape(2, 3)
    out = w(wick.tensor(x, device=device))
    assert_same(out, t(torch.tensor(x)), 1e-5, 1e-6)
    out.sum().backward()
    assert w_inner.weight.grad is not None
    out = nn.parallel.data_parallel(w_inner, wick.tensor(x, device=device))
    assert_same(out, t_inner(torch.tensor(x)), 1e-5, 1e-6)
    # A checkpoint of the wrapper loads into the wrapper, with its prefix.
    other = nn.DataParallel(nn.Linear(3, 2).to(device))
    other.load_state_dict(w.state_dict())
    assert other.module.weight.equal(w_inner.weight)
    with pytest.raises(TypeError, match="Module"):
        nn.DataParallel(lambda x: x)
