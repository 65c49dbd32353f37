"""check(): runs the same function through wick and PyTorch on the same
random inputs and compares outputs and gradients (after tinygrad's helper).

    check(lambda x, y: x * y + 1, [(2, 3), (3,)])                # broadcasting
    check(lambda m, x: m.cat([x, x], 1), [(2, 3)], module=True)   # m is wick or torch

Each case runs for every dtype in `dtypes` and every input layout in
`layouts`: "contiguous"; "transposed", inputs made as .transpose(-1, -2)
views (for inputs of 2 or more dims); "stepped", inputs made as [..., ::2]
views (for inputs of 1 or more dims). Floating inputs are leaves that
require grad (unless grad=False); the outputs are then multiplied by one
random cotangent each, summed and differentiated, and the leaves' gradients
compared.
"""
import contextlib
import signal

import numpy as np
import torch

import wick

TOLERANCES = {"float32": (1e-4, 1e-5), "float64": (1e-8, 1e-10)}  # (rtol, atol)


def _name(dtype):
    return str(dtype).split(".")[-1]


def to_numpy(t):
    return t.detach().cpu().numpy() if isinstance(t, (wick.Tensor, torch.Tensor)) else np.asarray(t)


def assert_same(w, t, rtol, atol, what="output"):
    """Equal type, shape, dtype and values (within rtol/atol) of a wick and a torch result."""
    if isinstance(t, (tuple, list)):
        assert isinstance(w, (tuple, list)) and len(w) == len(t), f"{what}: {w!r} vs {t!r}"
        for i, (wi, ti) in enumerate(zip(w, t)):
            assert_same(wi, ti, rtol, atol, f"{what}[{i}]")
        return
    if not isinstance(t, torch.Tensor):
        assert not isinstance(w, wick.Tensor), f"{what}: wick gave a tensor, torch a {type(t).__name__}"
        assert w == t, f"{what}: {w!r} != {t!r}"
        return
    assert isinstance(w, wick.Tensor), f"{what}: expected a wick.Tensor, got {type(w).__name__}"
    assert tuple(w.shape) == tuple(t.shape), f"{what}: shape {tuple(w.shape)} != {tuple(t.shape)}"
    assert _name(w.dtype) == _name(t.dtype), f"{what}: dtype {w.dtype} != {t.dtype}"
    np.testing.assert_allclose(to_numpy(w), to_numpy(t), rtol=rtol, atol=atol, err_msg=what)


def _make_inputs(rng, shapes, dtype, layout, low, high, requires_grad, device="cpu"):
    """Random leaves for both libraries (wick's on `device`, PyTorch's on the CPU)
    and the (possibly strided) views fn gets."""
    w_leaves, t_leaves, w_args, t_args = [], [], [], []
    for shape in shapes:
        shape = tuple(shape)
        if layout == "transposed" and len(shape) >= 2:
            base = shape[:-2] + (shape[-1], shape[-2])
            view = lambda x: x.transpose(-1, -2)
        elif layout == "stepped" and len(shape) >= 1:
            base = shape[:-1] + (2 * shape[-1],)
            view = lambda x: x[..., ::2]
        else:
            base, view = shape, lambda x: x
        if dtype in ("float32", "float64"):
            data = rng.uniform(low, high, base).astype(dtype)
        elif dtype == "bool":
            data = rng.uniform(0, 1, base) < 0.5
        else:
            data = rng.integers(int(low), int(high) + 1, base).astype(dtype)
        floating = dtype in ("float32", "float64")
        w = wick.tensor(data, device=device, requires_grad=requires_grad and floating)
        t = torch.tensor(data, requires_grad=requires_grad and floating)
        w_leaves.append(w)
        t_leaves.append(t)
        w_args.append(view(w))
        t_args.append(view(t))
    return w_leaves, t_leaves, w_args, t_args


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def check(fn, shapes, *, torch_fn=None, module=False, dtypes=("float32", "float64"), grad=True,
          layouts=("contiguous", "transposed", "stepped"), low=-2.0, high=2.0, rtol=None, atol=None, seed=0,
          device="cpu"):
    """Compares fn(*inputs) (and its gradients) in wick and in PyTorch.

    fn: the function, called with wick tensors and then (or torch_fn, when
        given) with torch tensors; with module=True its first argument is
        the library (wick or torch).
    shapes: one shape per input.
    device: where wick's inputs live (PyTorch, the oracle, runs on the CPU);
        results and gradients must come back on that device.
    """
    torch_fn = torch_fn or fn
    for dtype in dtypes:
        r, a = TOLERANCES.get(dtype, (0, 0))
        r, a = (rtol if rtol is not None else r), (atol if atol is not None else a)
        for layout in layouts:
            if layout == "transposed" and all(len(s) < 2 for s in shapes):
                continue
            if layout == "stepped" and all(len(s) < 1 for s in shapes):
                continue
            rng = np.random.default_rng(seed)
            w_leaves, t_leaves, w_args, t_args = _make_inputs(rng, shapes, dtype, layout, low, high, grad, device)
            what = f"dtype={dtype} layout={layout} shapes={shapes} device={device}"
            w_out = fn(wick, *w_args) if module else fn(*w_args)
            t_out = torch_fn(torch, *t_args) if module else torch_fn(*t_args)
            assert_same(w_out, t_out, r, a, f"forward ({what})")
            for o in _outputs(w_out):
                if isinstance(o, wick.Tensor):
                    assert o.device.type == device, f"forward ({what}): result on {o.device}"
            if not grad or dtype not in ("float32", "float64"):
                continue
            w_loss, t_loss = None, None
            for wo, to in zip(_outputs(w_out), _outputs(t_out)):
                if not isinstance(to, torch.Tensor) or not to.requires_grad:
                    continue
                g = rng.standard_normal(tuple(to.shape)).astype(_name(to.dtype))
                wl, tl = (wo * wick.tensor(g, device=device)).sum(), (to * torch.tensor(g)).sum()
                w_loss = wl if w_loss is None else w_loss + wl
                t_loss = tl if t_loss is None else t_loss + tl
            if t_loss is None:
                continue
            w_loss.backward()
            t_loss.backward()
            for i, (wl, tl) in enumerate(zip(w_leaves, t_leaves)):
                if tl.grad is None:
                    assert wl.grad is None or not wl.grad.cpu().numpy().any(), f"grad {i} ({what}): torch has none"
                    continue
                assert wl.grad is not None, f"grad {i} ({what}): wick computed no gradient"
                assert wl.grad.device.type == device, f"grad {i} ({what}): on {wl.grad.device}"
                assert_same(wl.grad, tl.grad, r, a, f"grad of input {i} ({what})")


@contextlib.contextmanager
def fail_after(seconds):
    """Fails what runs inside after `seconds` instead of letting it hang the suite (a lost worker process,
    a message never sent): SIGALRM interrupts the blocked main thread with TimeoutError."""
    def expired(signum, frame):
        raise TimeoutError(f"test did not finish within {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
