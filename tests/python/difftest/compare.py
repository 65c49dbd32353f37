"""One case: its call made in each library, and everything that came back compared.

`run_case(case, lib_a, lib_b)` returns the list of differences (a class and a
message each); lib_a is the library under test (wick), lib_b the oracle
(torch). With lib_a = torch the tester checks itself: it must find nothing.

Where the two disagree on float32 values or gradients, a referee decides: the
oracle again on the inputs made float64. wick passes when it is within the
tolerance of the float64 answer, or closer to it than the oracle is (PyTorch
is not always right: Note [The float64 referee] in RESULTS.md).
"""
import math
import operator
import re
import warnings

import numpy as np

from .inputs import FLOATING, TensorSpec, build, describe, device_of

TOLERANCE = {"float32": (2e-5, 1e-5), "float64": (1e-10, 1e-12)}  # (rtol, atol); atol as torch.testing's for float32

# Messages that mean a C++ library's words reached the user instead of wick's own.
_LEAKS = ("std::", "basic_string", "vector::", "bad_alloc", "bad_function_call", "what():", "out_of_range",
          "pybind11::", "Unable to cast", "unordered_map", "incompatible function arguments. The following")

def _setitem(x, key, value):
    x[key] = value
    return x


OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
             "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
             ">=": operator.ge, "&": operator.and_, "|": operator.or_, "^": operator.xor, "<<": operator.lshift,
             ">>": operator.rshift, "neg": operator.neg, "pos": operator.pos, "~": operator.invert,
             "abs": operator.abs,
             "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
             "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "&=": operator.iand,
             "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift,
             "@=": operator.imatmul, "getitem": operator.getitem, "setitem": _setitem}


def namespace(lib, ns):
    for part in ns.split(".")[1:]:
        lib = getattr(lib, part)
    return lib


def form_callable(lib, op, form, first=None):
    """What the form calls in `lib`, or None where lib lacks it."""
    if form in ("function", "out"):
        return getattr(namespace(lib, op.ns), op.name, None)
    if form == "method":
        return getattr(lib.Tensor, op.name, None)
    if form == "inplace":
        return getattr(lib.Tensor, op.name + "_", None)
    return OPERATORS[form.split(":", 1)[1]]


def call(lib, case, args, kwargs, out=None):
    op, form = case.op, case.form
    if form == "function":
        return form_callable(lib, op, form)(*args, **kwargs)
    if form == "out":
        form_callable(lib, op, form)(*args, **kwargs, out=out)
        return out
    if form == "method":
        return getattr(args[0], op.name)(*args[1:], **kwargs)
    if form == "inplace":
        return getattr(args[0], op.name + "_")(*args[1:], **kwargs)
    fn = OPERATORS[form.split(":", 1)[1]]
    return fn(*args)


class Outcome:
    """What one library did with the case."""

    def __init__(self, lib, case, out_dtype=None):
        self.lib = lib
        self.leaves, self.made = [], []
        self.error, self.result, self.input_error = None, None, None
        try:
            self.args = [self._build(s) for s in case.args]
            self.kwargs = {k: self._build(v) for k, v in case.kwargs.items()}
        except Exception as e:  # noqa: BLE001 (the library cannot make the inputs, e.g. a view's gradient)
            self.input_error = e
            return
        self.out = None
        if case.form == "out":
            self.out = lib.empty(0, dtype=getattr(lib, out_dtype or "float32"), device=device_of(lib))
        self.before = [_numpy(v) for _, v in self.made]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self.result = call(lib, case, self.args, self.kwargs, self.out)
            except Exception as e:  # noqa: BLE001 (any Python exception is an answer)
                self.error = e

    def _build(self, spec):
        lib = self.lib

        def one(s):
            if isinstance(s, TensorSpec):
                view = build(lib, s, self.leaves)
                self.made.append((s, view))
                return view
            if isinstance(s, (list, tuple)):
                return type(s)(one(x) for x in s)
            if isinstance(s, str) and s.startswith("lib."):
                return getattr(lib, s[4:])
            return s

        return one(spec)


def _numpy(t):
    if t is None:
        return None
    t = t.detach()
    return t.cpu().numpy().copy()


def _is_tensor(x, lib):
    return isinstance(x, lib.Tensor)


def _flatten(x):
    """A result as a list of leaves (tensors and plain values), with its structure as text."""
    if isinstance(x, (tuple, list)):
        items, kinds = [], []
        for v in x:
            i, k = _flatten(v)
            items += i
            kinds.append(k)
        named = hasattr(x, "_fields") or hasattr(x, "n_fields")  # a namedtuple (wick) or a structseq (torch)
        return items, f"{'namedtuple' if named else type(x).__name__}({','.join(kinds)})"
    return [x], "tensor" if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.ndarray) else \
        type(x).__name__


def dtype_name(dtype):
    return str(dtype).split(".")[-1]


def mismatch(a, b, dtype):
    """Where a (the library under test) and b (the oracle) differ, as a bool array."""
    if dtype in FLOATING or dtype in ("float16", "bfloat16"):
        rtol, atol = TOLERANCE.get(dtype, (1e-3, 1e-5))
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        both_nan = np.isnan(a64) & np.isnan(b64)
        with np.errstate(invalid="ignore", over="ignore"):
            close = (a64 == b64) | (np.abs(a64 - b64) <= atol + rtol * np.abs(b64))
        return ~(close | both_nan)
    return a != b


def refereed(a, b, ref):
    """The elements where `a` still differs once the float64 answer `ref` referees:
    a passes where it is close to ref or no farther from it than b."""
    a64, b64, r64 = (np.asarray(x, dtype=np.float64) for x in (a, b, ref))
    rtol, atol = TOLERANCE["float32"]
    with np.errstate(invalid="ignore", over="ignore"):
        r32 = r64.astype(np.float32).astype(np.float64)
        ok = (np.abs(a64 - r64) <= atol + rtol * np.abs(r64)) | (np.abs(a64 - r64) <= np.abs(b64 - r64) * (1 + 1e-6))
        ok |= (a64 == r32) | (np.isnan(a64) & np.isnan(r64))
    return ~ok


def _clean(e):
    return f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"


class Differences:
    def __init__(self, case):
        self.case = case
        self.found = []

    def add(self, kind, message):
        special = self.case.special and kind in ("value", "grad", "missing-grad", "extra-grad", "dtype",
                                                 "input-changed")
        self.found.append(("special-" + kind if special else kind, message))


def compare_values(diff, what, w, t, lib_w, lib_t, ref=None, kind="value"):
    """Compares one result leaf; ref is the float64 referee's leaf (or None)."""
    w_is, t_is = _is_tensor(w, lib_w), _is_tensor(t, lib_t)
    if w_is != t_is:
        diff.add("type", f"{what}: {type(w).__name__} vs {type(t).__name__}")
        return
    if not t_is:
        if isinstance(t, float) and isinstance(w, float) and (math.isnan(t) and math.isnan(w)):
            return
        if type(w) is not type(t) and not (isinstance(w, (int, float)) and isinstance(t, (int, float))):
            diff.add("type", f"{what}: {w!r} vs {t!r}")
        elif isinstance(t, float) and not math.isclose(w, t, rel_tol=1e-5, abs_tol=1e-8) or \
                not isinstance(t, float) and w != t:
            diff.add(kind, f"{what}: {w!r} vs {t!r}")
        return
    if tuple(w.shape) != tuple(t.shape):
        diff.add("shape", f"{what}: shape {tuple(w.shape)} vs {tuple(t.shape)}")
        return
    wd, td = dtype_name(w.dtype), dtype_name(t.dtype)
    if wd != td:
        diff.add("dtype", f"{what}: dtype {wd} vs {td}")
        return
    if kind == "value" and w.requires_grad != t.requires_grad:
        diff.add("requires-grad", f"{what}: requires_grad {w.requires_grad} vs {t.requires_grad}")
    a, b = _numpy(w), _numpy(t)
    bad = mismatch(a, b, td)
    if bad.any() and ref is not None and ref.shape == b.shape:
        bad = bad & refereed(a, b, ref)
    if bad.any():
        i = tuple(int(x) for x in np.argwhere(bad)[0]) if bad.ndim else ()
        diff.add(kind, f"{what}: {int(bad.sum())} of {bad.size} differ, at {list(i)}: {a[i]!r} vs {b[i]!r}")


def run_case(case, lib_w, lib_t, backward=True):
    """Runs `case` in lib_w (under test) and lib_t (oracle); the differences.

    Where values differ, the oracle runs the case again: where it disagrees
    with itself (PyTorch 1.13 reads uninitialized memory in a few ops, e.g.
    nanmedian of an expanded tensor), the case is "oracle-unstable" instead."""
    found = _run_case(case, lib_w, lib_t, backward)
    if any(kind.endswith(("value", "grad")) for kind, _ in found) and _run_case(case, lib_t, lib_t, backward):
        return [("oracle-unstable", "PyTorch gives different answers on the same inputs: " + found[0][1])]
    return found


def _run_case(case, lib_w, lib_t, backward):
    diff = Differences(case)
    out_dtype = None
    if case.form == "out":
        probe = Outcome(lib_t, case.with_form("function"))
        out_dtype = case.out_dtype or (dtype_name(probe.result.dtype) if probe.error is None and
                                       _is_tensor(probe.result, lib_t) else "float32")
    t = Outcome(lib_t, case, out_dtype)
    w = Outcome(lib_w, case, out_dtype)
    if t.input_error is not None:
        raise RuntimeError(f"the oracle cannot make the inputs: {_clean(t.input_error)}")
    if w.input_error is not None:
        diff.add("input-refused", f"making the inputs: {_clean(w.input_error)}")
        return diff.found
    if w.error is not None:
        text = str(w.error)
        if any(s in text for s in _LEAKS) or not text.strip():
            diff.add("unclear-error", f"{_clean(w.error)} (torch: {_clean(t.error) if t.error else 'ok'})")
    if t.error is not None and w.error is None:
        # PyTorch 1.13 takes only a tensor as `other` of some binary ops (maximum, hypot, logical_and...);
        # wick takes a Python number there too, as it does for add or mul: a class of its own.
        number = isinstance(t.error, TypeError) and re.search(r"must be Tensor, not (int|float|bool)", str(t.error))
        diff.add("accepted-number" if number else "accepted",
                 f"torch refuses ({_clean(t.error)}); wick returns {_summary(w.result)}")
        return diff.found
    if w.error is not None and t.error is None:
        diff.add("refused", f"{_clean(w.error)}; torch returns {_summary(t.result)}")
        return diff.found
    # In-place ops on an overlapped view are undefined (torch.as_strided's documentation: "the behavior of
    # inplace operations on this view is undefined"): whether an element reads another's new value, which
    # aliased write lands last, what autograd records, are the implementation's (4:41965, pow_ of such a
    # view: gradients 7.1977406 vs -9.596988; 5:23554, remainder_ computed in float64 before the write back,
    # as PyTorch's TensorIterator does for a non-overlapping self). Only accepting or refusing compares.
    if _writes_self(case) and isinstance(case.args[0], TensorSpec) and case.args[0].layout == "overlapping":
        return diff.found
    # The inputs after the call: unchanged, or changed as in the oracle.
    for i, ((spec, wv), (_, tv), wb) in enumerate(zip(w.made, t.made, w.before)):
        a, b = _numpy(wv), _numpy(tv)
        if a.shape != b.shape or mismatch(a, b, spec.dtype).any():
            changed = "changed" if a.shape != wb.shape or mismatch(a, wb, spec.dtype).any() else "unchanged"
            diff.add("input-changed", f"input {i} ({spec.layout}) after the call differs from torch's "
                                      f"(wick's is {changed})")
    if t.error is not None:
        return diff.found
    w_items, w_kind = _flatten(w.result)
    t_items, t_kind = _flatten(t.result)
    if w_kind != t_kind:
        diff.add("type", f"result {w_kind} vs {t_kind}")
        return diff.found
    ref = None
    needs_referee = any(_is_tensor(x, lib_t) and dtype_name(x.dtype) == "float32" for x in t_items)
    if needs_referee and case.upcast() is not None:
        r = Outcome(lib_t, case.upcast(), out_dtype="float64" if out_dtype == "float32" else out_dtype)
        if r.error is None:
            ref = _flatten(r.result)[0]
            ref = [_numpy(x) if _is_tensor(x, lib_t) else None for x in ref]
    tie_positions = _tie_positions(case, w, w_items, t_items, lib_w)
    for i, (wi, ti) in enumerate(zip(w_items, t_items)):
        if i == 1 and tie_positions is not None:  # the positions, checked by what they point at
            compare_values(diff, "result[1] (the input at wick's positions)", tie_positions, t_items[0], lib_w, lib_t)
            continue
        compare_values(diff, f"result[{i}]", wi, ti, lib_w, lib_t, ref[i] if ref else None)
    if _writes_self(case):
        if (w.result is w.args[0]) != (t.result is t.args[0]):
            diff.add("inplace-identity", f"the in-place result is {'' if w.result is w.args[0] else 'not '}self "
                                         f"(torch: {'' if t.result is t.args[0] else 'not '}self)")
    if case.form == "out" and (w.result is not w.out):
        diff.add("inplace-identity", "the out= call did not return `out`")
    if backward and not diff.found:
        _compare_gradients(diff, case, w, t, w_items, t_items, lib_w, lib_t)
    return diff.found


# Ops returning (values, indices) whose positions among equal values PyTorch leaves unspecified (its CPU
# kernels use partial sorts and nth_element, and change their pick with the input's strides): wick's positions
# are checked by the input values they point at, which must be torch's values.
_TIE_POSITIONS = {"torch.topk", "torch.kthvalue", "torch.median", "torch.nanmedian"}


def _tie_positions(case, w, w_items, t_items, lib_w):
    """For an op of _TIE_POSITIONS along a dim: wick's input gathered at wick's positions; else None."""
    op = case.op.key
    if op not in _TIE_POSITIONS or len(w_items) != 2 or len(t_items) != 2 or not w.args:
        return None
    x, idx = w.args[0], w_items[1]
    if not _is_tensor(x, lib_w) or not _is_tensor(idx, lib_w) or x.dim() == 0:
        return None
    dim = w.kwargs.get("dim", w.args[2] if op in ("torch.topk", "torch.kthvalue") and len(w.args) > 2 else
                       w.args[1] if op in ("torch.median", "torch.nanmedian") and len(w.args) > 1 else -1)
    keepdim = w.kwargs.get("keepdim", False)
    with lib_w.no_grad():
        at = idx if op == "torch.topk" or keepdim else idx.unsqueeze(dim)
        picked = x.detach().gather(dim, at)
        return picked if op == "torch.topk" or keepdim else picked.squeeze(dim)


def _writes_self(case):
    """Whether the call writes into its first argument (x.op_(...), x += y)."""
    return case.form == "inplace" or case.form.startswith("operator:") and case.form.endswith("=") and \
        case.form not in ("operator:==", "operator:!=", "operator:<=", "operator:>=")


def _summary(x):
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return f"a tensor of shape {tuple(x.shape)}, {dtype_name(x.dtype)}"
    return repr(x)[:80]


def _backward(lib, outs, cotangents):
    lib.autograd.backward(outs, cotangents)


def _compare_gradients(diff, case, w, t, w_items, t_items, lib_w, lib_t):
    rng = np.random.default_rng([case.seed, case.index, 1])
    w_outs, t_outs, w_cots, t_cots = [], [], [], []
    for wi, ti in zip(w_items, t_items):
        if _is_tensor(ti, lib_t) and ti.requires_grad and ti.dtype.is_floating_point:
            g = rng.standard_normal(tuple(ti.shape)).astype(dtype_name(ti.dtype))
            w_outs.append(wi)
            t_outs.append(ti)
            w_cots.append(lib_w.tensor(g, device=device_of(lib_w)))
            t_cots.append(lib_t.tensor(g))
    if not t_outs or not t.leaves:
        return
    t_err = w_err = None
    try:
        _backward(lib_t, t_outs, t_cots)
    except Exception as e:  # noqa: BLE001
        t_err = e
    try:
        _backward(lib_w, w_outs, w_cots)
    except Exception as e:  # noqa: BLE001
        w_err = e
    if (t_err is None) != (w_err is None):
        diff.add("grad-refused" if w_err else "grad-accepted",
                 f"backward: wick {_clean(w_err) if w_err else 'ok'}, torch {_clean(t_err) if t_err else 'ok'}")
        return
    if t_err is not None:
        return
    ref = None
    for i, (wl, tl) in enumerate(zip(w.leaves, t.leaves)):
        if tl.grad is None:
            if wl.grad is not None and _numpy(wl.grad).any():
                diff.add("extra-grad", f"input leaf {i}: wick has a gradient, torch none")
            continue
        if wl.grad is None:
            diff.add("missing-grad", f"input leaf {i}: wick computed no gradient")
            continue
        r = None
        # Any float32 input may have made the computation float32's (a float64 leaf of a float32 result).
        tdt = dtype_name(tl.dtype)
        if case.upcast() is not None and mismatch(_numpy(wl.grad), _numpy(tl.grad), tdt).any():
            if ref is None:
                ref = _referee_gradients(case, lib_t)
            r = ref[i] if ref and i < len(ref) else None
        compare_values(diff, f"grad of leaf {i}", wl.grad, tl.grad, lib_w, lib_t, r, kind="grad")


def _referee_gradients(case, lib_t):
    up = case.upcast()
    if up is None:
        return []
    r = Outcome(lib_t, up)
    if r.error is not None:
        return []
    items, _ = _flatten(r.result)
    rng = np.random.default_rng([case.seed, case.index, 1])
    outs, cots = [], []
    for x in items:
        if _is_tensor(x, lib_t) and x.requires_grad and x.dtype.is_floating_point:
            # The same cotangent values as the float32 run (drawn as float32, used as float64).
            g = rng.standard_normal(tuple(x.shape)).astype("float32").astype("float64")
            outs.append(x)
            cots.append(lib_t.tensor(g))
    try:
        _backward(lib_t, outs, cots)
    except Exception:  # noqa: BLE001
        return []
    return [None if leaf.grad is None else _numpy(leaf.grad) for leaf in r.leaves]


def case_code(case):
    """The case as a line of Python (with `lib` for wick or torch)."""
    args = [describe(a) for a in case.args]
    kwargs = [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
    op, form = case.op, case.form
    if form in ("function", "out"):
        extra = [f"out=lib.empty(0, dtype=lib.{case.out_dtype or 'RESULT_DTYPE'})"] if form == "out" else []
        return f"{op.ns.replace('torch', 'lib')}.{op.name}({', '.join(args + kwargs + extra)})"
    if form in ("method", "inplace"):
        name = op.name + ("_" if form == "inplace" else "")
        return f"({args[0]}).{name}({', '.join(args[1:] + kwargs)})"
    sym = form.split(":", 1)[1]
    if len(args) == 1:
        return f"{sym}({args[0]})" if sym not in ("neg", "pos") else f"{'-' if sym == 'neg' else '+'}({args[0]})"
    if sym.endswith("=") and sym not in ("==", "!=", "<=", ">="):
        return f"x = {args[0]}; x {sym} {args[1]}"
    return f"({args[0]}) {sym} ({args[1]})"
