"""No Python call, with any arguments, crashes the interpreter.

Every public function of wick (and wick.autograd, wick.utils.dlpack) and every
Tensor method is called with odd arguments: None, strings, huge and negative
ints, NaN, empty and ragged sequences, dtypes and devices where tensors are
expected, tensors of every dtype, zero-size and non-contiguous tensors... Any
Python exception is fine; a crash (a segfault, an abort, a C++ exception
escaping) ends the test run, and pytest's faulthandler names the call.

Set WICK_FUZZ_TRACE=path to append each call to a file before it runs (to
find the one that crashed).
"""
import math
import os
import warnings

import numpy as np
import pytest

import wick
import wick.autograd
import wick.utils.dlpack

# Functions that could not be called safely with arbitrary arguments: none.
# (Global state a call may change is saved and restored around every call.)
SKIP = set()

_TRACE = os.environ.get("WICK_FUZZ_TRACE")


def _tensors():
    return [
        wick.randn(2, 3),
        wick.arange(3),
        wick.tensor([True, False]),
        wick.zeros(0, 3),
        wick.tensor(2.5, dtype=wick.float64),
        wick.ones(2, dtype=wick.uint8),
        wick._C._tensor_from_bytes(bytes(8), wick.bfloat16, (2, 2)),  # zeros (no half fill kernel on the CPU)
        wick._C._tensor_from_bytes(bytes(6), wick.float16, (3,)),
        wick.randn(3, 4).t(),
        wick.randn(2, requires_grad=True),
        wick.arange(6).view(2, 3)[:, ::2],
        wick.ones(1, dtype=wick.int32),
        wick.ones(2, 3, requires_grad=True) * 2,
    ]


def _odd_values():
    return [
        None, "abc", "", "cpu", 2**62, -2**63, 2**64, 10**30, 2**40, -1, -7, 0, 1, 2, 3.5, -0.0,
        math.nan, math.inf, -math.inf, True, (), [], [[1, 2], [3]], [[[]]], (2**40,), (2**31, 2**31, 2**31),
        (-1,), (0, -5), [1.5, "x"], (1, None), [wick.ones(1), 2], object(), wick.float16, wick.int64,
        wick.device("cpu"), slice(None), slice(1, None, -1), Ellipsis, lambda *a, **k: None, {"a": 1},
        b"bytes", complex(1, 2), np.zeros(2), np.array(3, dtype=np.int64), np.ones((2, 2), dtype=np.complex64),
        np.float32(1.5),
    ] + _tensors()


# A smaller set for the second and third argument, so that the pairs stay few.
def _second_values():
    return [None, "abc", 2**62, -2**63, 2**40, -1, 0, 1, 3.5, math.nan, (), [[1, 2], [3]], (2**40, 2), (-1,),
            wick.int64, object(), wick.zeros(0, 3), wick.tensor([True, False]), wick.arange(3),
            wick.randn(2, 3), wick.randn(2, requires_grad=True)]


_KEYWORDS = ["dim", "keepdim", "dtype", "device", "requires_grad", "generator", "alpha", "min", "max", "out", "p",
             "inputs", "gradient", "retain_graph", "create_graph", "rounding_mode", "approximate", "padding_idx",
             "num_classes", "correction", "unbiased", "stream", "memo", "protocol", "force", "weight", "bogus"]


def _public_functions():
    found = {}
    for module, prefix in ((wick, "wick"), (wick.autograd, "wick.autograd"), (wick.utils.dlpack, "wick.utils.dlpack")):
        for name in getattr(module, "__all__", dir(module)):
            obj = getattr(module, name, None)
            if name.startswith("_") or isinstance(obj, type) or not callable(obj):
                continue
            found.setdefault(f"{prefix}.{name}", obj)
    # The private entry points the Python layer calls, which a user can reach too.
    for name in ("_backward", "_grad", "_function_apply", "_tensor_from_bytes", "_to_dlpack"):
        found[f"wick._C.{name}"] = getattr(wick._C, name)
    return sorted((k, v) for k, v in found.items() if k not in SKIP)


def _methods():
    names = []
    for name in dir(wick.Tensor):
        if name in ("__init__", "__new__", "__del__", "__init_subclass__", "__subclasshook__", "__class__"):
            continue
        if callable(getattr(wick.Tensor, name)):
            names.append(name)
    return sorted(n for n in names if f"Tensor.{n}" not in SKIP)


class _GlobalState:
    """What a call may change for everyone: restored after each call (the
    random state is left as it is: tests that need one seed it)."""

    def __enter__(self):
        self.state = (wick.get_default_dtype(), wick.get_num_threads(), wick.is_grad_enabled(),
                      wick.autograd.is_anomaly_enabled())
        return self

    def __exit__(self, *exc):
        dtype, threads, grad, anomaly = self.state
        wick.set_default_dtype(dtype)
        wick.set_num_threads(threads)
        wick._C._set_grad_enabled(grad)
        wick._C._set_anomaly_enabled(anomaly)


def _show(value):
    if isinstance(value, wick.Tensor):
        return f"<{value.dtype} {tuple(value.shape)} stride={value.stride()}>"
    if isinstance(value, (tuple, list)):
        return type(value)(_show(v) for v in value)
    if isinstance(value, dict):
        return {k: _show(v) for k, v in value.items()}
    return repr(value)[:80]


def _call(what, fn, args, kwargs=None):
    if _TRACE:
        with open(_TRACE, "a") as f:
            f.write(f"{what} {_show(args)} {_show(kwargs or {})}\n")
    with _GlobalState():
        try:
            fn(*args, **(kwargs or {}))
        except Exception:
            pass  # any Python exception is an acceptable answer


def _exercise(what, fn, first, second):
    _call(what, fn, ())
    for a in first:
        _call(what, fn, (a,))
    for a in second:
        for b in second:
            _call(what, fn, (a, b))
    for t in (wick.randn(2, 3), wick.zeros(0, 3)):
        for b in second:
            for c in (None, -1, 0, 2**62, wick.arange(2), (2, 2)):
                _call(what, fn, (t, b, c))
        for key in _KEYWORDS:
            for v in (None, -1, "x", 2**62, wick.ones(1)):
                _call(what, fn, (t,), {key: v})


@pytest.fixture(autouse=True)
def _quiet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # wick.save(t, "abc") writes a file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("name, fn", _public_functions(), ids=[n for n, _ in _public_functions()])
def test_functions_survive_odd_arguments(name, fn):
    _exercise(name, fn, _odd_values(), _second_values())


def test_methods_survive_odd_arguments():
    odd, second = _odd_values(), _second_values()[:12]
    tensors = _tensors()
    for name in _methods():
        for i, t in enumerate(tensors):
            method = getattr(t, name)
            what = f"Tensor.{name} on {t.dtype} {tuple(t.shape)}"
            _call(what, method, ())
            for a in odd:
                _call(what, method, (a,))
            if i % 4:  # the pairs and keywords on a few of the tensors, for time
                continue
            for a in second:
                for b in second:
                    _call(what, method, (a, b))
            for key in _KEYWORDS:
                _call(what, method, (), {key: -1})


def test_unbound_methods_survive_wrong_self():
    for name in _methods():
        unbound = getattr(wick.Tensor, name)
        for self_ in (None, 3, "x", np.zeros(2), wick.float32):
            _call(f"Tensor.{name} unbound", unbound, (self_,))
            _call(f"Tensor.{name} unbound", unbound, (self_, wick.ones(2)))


def test_operators_survive_odd_operands():
    import operator

    ops = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod, operator.pow,
           operator.matmul, operator.and_, operator.or_, operator.xor, operator.lt, operator.le, operator.eq,
           operator.ne, operator.gt, operator.ge, operator.iadd, operator.isub, operator.imul, operator.itruediv,
           operator.ipow, operator.getitem, operator.contains, divmod]
    for op in ops:
        for t in _tensors():
            for v in _odd_values():
                _call(f"{op.__name__}", op, (t, v))
                _call(f"{op.__name__} reflected", op, (v, t))
    for t in _tensors():
        for v in _odd_values():
            _call("setitem", t.__setitem__, (v, 1.0))
            _call("setitem", t.__setitem__, ((0, v), v))
        for fn in (len, iter, bool, float, int, abs, hash, repr, str, list, operator.neg, operator.invert,
                   operator.index, np.asarray, np.from_dlpack):
            _call(f"{fn!r}", fn, (t,))


class _Square(wick.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g


def _bound_objects():
    x = wick.ones(2, requires_grad=True)
    y = x * 2
    return [wick.Generator(), wick.Generator().manual_seed(1), (y * 3).grad_fn, y.grad_fn.next_functions[0][0],
            y.register_hook(lambda g: None), wick.float32, wick.device("cpu"), _Square.apply(x).grad_fn,
            wick._C._FunctionBase(), wick.autograd.function.FunctionCtx()]


def test_other_bound_objects_survive_odd_arguments():
    odd = _odd_values()
    for obj in _bound_objects():
        for name in dir(obj):
            if name in ("__init__", "__new__", "__del__", "__init_subclass__", "__subclasshook__", "__class__"):
                continue
            try:
                attr = getattr(obj, name)
            except Exception:
                continue
            if not callable(attr):
                continue
            what = f"{type(obj).__name__}.{name}"
            _call(what, attr, ())
            for a in odd:
                _call(what, attr, (a,))
                _call(what, attr, (a, a))
    classes = [wick.Generator, wick.device, wick.dtype, wick.Tensor, wick._C.Node, wick._C.AccumulateGrad,
               wick._C.RemovableHandle, wick._C._FunctionBase, wick.autograd.Function]
    for cls in classes:
        for a in odd:
            _call(f"{cls.__name__}()", cls, (a,))
            _call(f"{cls.__name__}.__new__", cls.__new__, (cls, a))
        _call(f"{cls.__name__}()", cls, ())


def test_the_process_is_still_healthy():
    # After all of the above, ordinary work still gives the right answers.
    x = wick.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert wick.get_default_dtype() == wick.float32 and wick.is_grad_enabled()
