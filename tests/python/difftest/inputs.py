"""The seeded input generator, and inputs built the same way in either library.

A case's inputs are plain descriptions (TensorSpec: NumPy data, a layout, a
dtype, whether it requires grad; or a Python value), drawn from one
np.random.Generator seeded with (seed, index) so that any case can be made
again alone. `build` turns a description into a tensor of one library; the
tensor a leaf of the graph (its base) is kept so that gradients can be read.
"""
import math
import os
from dataclasses import dataclass, field

import numpy as np

FLOATING = ("float32", "float64")
INTEGRAL = ("uint8", "int8", "int16", "int32", "int64")
ALL_DTYPES = FLOATING + INTEGRAL + ("bool",)
NUMBERS = FLOATING + INTEGRAL

# How often each dtype is drawn when an op takes any of them.
_DTYPE_WEIGHTS = {"float32": 8, "float64": 4, "int64": 3, "int32": 1, "int16": 0.3, "int8": 0.3, "uint8": 0.6,
                  "bool": 1.5}

LAYOUTS = ("contiguous", "transposed", "stepped", "offset", "expanded", "overlapping")
_LAYOUT_WEIGHTS = (10, 3, 3, 1.5, 3, 1)

# The device wick's tensors are made on (`python -m difftest --device cuda`; the
# workers inherit it through the environment). PyTorch, the oracle, stays on the CPU.
DEVICE = os.environ.get("DIFFTEST_DEVICE", "cpu")


def device_of(lib):
    """Where `lib`'s inputs live: DEVICE for wick, the CPU for PyTorch."""
    return DEVICE if lib.__name__ == "wick" else "cpu"


SPECIAL_FLOATS = (math.inf, -math.inf, math.nan, 0.0, -0.0, 1e30, -1e30, 3e38, 1e-40, 1e300, -1e-300, 1.0, -1.0,
                  0.5, -2.5)


@dataclass
class TensorSpec:
    """A tensor input: its values (the view's), dtype, how it is laid out and
    whether its leaf requires grad."""
    data: np.ndarray
    dtype: str
    layout: str = "contiguous"
    requires_grad: bool = False
    through_clone: bool = False  # the view is taken of leaf.clone() (an in-place self that requires grad)
    special: bool = False        # holds inf, NaN, huge or tiny values
    expand_dims: tuple = ()      # for "expanded": the dims that are broadcast (size 1 in the base)

    @property
    def shape(self):
        return tuple(self.data.shape)

    def describe(self):
        base = self.base_data()
        text = f"lib.tensor({_literal(base)}, dtype=lib.{self.dtype}"
        text += ", requires_grad=True)" if self.requires_grad else ")"
        if self.through_clone:
            text += ".clone()"
        return text + self.view_code()

    def view_code(self):
        shape = self.shape
        if self.layout == "transposed":
            return ".transpose(-1, -2)"
        if self.layout == "stepped":
            return "[..., ::2]"
        if self.layout == "offset":
            return "[1:]"
        if self.layout == "expanded":
            return f".expand{shape}"
        if self.layout == "overlapping":
            return f".as_strided({shape}, (1, 1))"
        return ""

    def base_data(self):
        """The values of the leaf the view is taken of."""
        d = self.data
        if self.layout == "transposed":
            return np.ascontiguousarray(np.swapaxes(d, -1, -2))
        if self.layout == "stepped":
            base = np.zeros(d.shape[:-1] + (2 * d.shape[-1],), dtype=d.dtype)
            base[..., ::2] = d
            base[..., 1::2] = _fill_for(d.dtype)
            return base
        if self.layout == "offset":
            return np.concatenate([np.full((1,) + d.shape[1:], _fill_for(d.dtype), dtype=d.dtype), d], 0)
        if self.layout == "expanded":
            index = tuple(slice(0, 1) if i in self.expand_dims else slice(None) for i in range(d.ndim))
            return np.ascontiguousarray(d[index])
        if self.layout == "overlapping":
            return np.ascontiguousarray(np.concatenate([d[:, 0], d[-1, 1:]]))  # [i, j] is base[i + j]
        return d


def _fill_for(dtype):
    return True if dtype == np.bool_ else 7


def _literal(a):
    def item(v):
        if isinstance(v, (bool, np.bool_)):
            return "True" if v else "False"
        if isinstance(v, (float, np.floating)):
            if math.isnan(v):
                return "nan"
            if math.isinf(v):
                return "inf" if v > 0 else "-inf"
            return repr(float(v))
        return str(int(v))

    def rec(x):
        if isinstance(x, np.ndarray) and x.ndim > 0:
            return "[" + ", ".join(rec(v) for v in x) + "]"
        return item(x[()] if isinstance(x, np.ndarray) else x)

    if a.size == 0:
        return f"lib.empty{a.shape}.tolist()" if a.ndim != 1 else "[]"
    return rec(a)


def build(lib, spec, leaves):
    """The input `spec` describes, as a `lib` (wick or torch) value; tensors
    whose base is a leaf that requires grad append it to `leaves`."""
    if isinstance(spec, (list, tuple)):
        return type(spec)(build(lib, s, leaves) for s in spec)
    if not isinstance(spec, TensorSpec):
        return spec
    base_data = spec.base_data()
    leaf = lib.tensor(base_data, dtype=getattr(lib, spec.dtype), requires_grad=spec.requires_grad,
                      device=device_of(lib))
    if spec.requires_grad:
        leaves.append(leaf)
    base = leaf.clone() if spec.through_clone else leaf
    if spec.layout == "transposed":
        return base.transpose(-1, -2)
    if spec.layout == "stepped":
        return base[..., ::2]
    if spec.layout == "offset":
        return base[1:]
    if spec.layout == "expanded":
        return base.expand(*spec.shape)
    if spec.layout == "overlapping":
        return base.as_strided(spec.shape, (1, 1))
    return base


def describe(spec):
    if isinstance(spec, TensorSpec):
        return spec.describe()
    if isinstance(spec, (list, tuple)):
        inner = ", ".join(describe(s) for s in spec)
        return f"[{inner}]" if isinstance(spec, list) else f"({inner}{',' if len(spec) == 1 else ''})"
    if isinstance(spec, float):
        if math.isnan(spec):
            return "float('nan')"
        if math.isinf(spec):
            return "float('inf')" if spec > 0 else "float('-inf')"
    if isinstance(spec, str) and spec.startswith("lib."):
        return spec
    return repr(spec)


@dataclass
class Gen:
    """Draws the inputs of one case. Ops' `make` functions call these."""
    rng: np.random.Generator
    specials: float = 0.12  # how often a tensor or scalar holds special values
    notes: list = field(default_factory=list)

    # -- choices
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, options, weights=None):
        options = list(options)
        if weights is None:
            return options[int(self.rng.random() * len(options))]
        total = float(sum(weights))
        r, acc = self.rng.random() * total, 0.0
        for option, w in zip(options, weights):
            acc += w
            if r < acc:
                return option
        return options[-1]

    def integer(self, low, high):
        """An int in [low, high]."""
        return low + int(self.rng.random() * (high - low + 1))

    # -- shapes
    def size(self):
        return self.pick((0, 1, 2, 3, 4, 5), (0.35, 1.5, 2, 2, 1, 1))

    def shape(self, ndim=None, min_ndim=0, max_ndim=4, allow_zero=True):
        if ndim is None:
            ndim = self.pick(range(min_ndim, max_ndim + 1), [(1.0, 2.0, 3.0, 1.5, 0.7)[i] for i in
                                                             range(min_ndim, max_ndim + 1)])
        sizes = tuple(self.size() for _ in range(ndim))
        if not allow_zero:
            sizes = tuple(s or 1 for s in sizes)
        return sizes

    def broadcast(self, shape):
        """A shape that broadcasts to `shape`: leading dims dropped, some dims 1."""
        keep = self.integer(0, len(shape)) if self.chance(0.3) else len(shape)
        out = list(shape[len(shape) - keep:])
        for i in range(len(out)):
            if self.chance(0.25):
                out[i] = 1
        return tuple(out)

    def dim(self, ndim, allow_none=False):
        if allow_none and self.chance(0.25):
            return None
        if ndim == 0:
            return self.pick((0, -1))
        return self.integer(-ndim, ndim - 1)

    def dims(self, ndim):
        """A dim, a tuple of dims, or None."""
        r = self.rng.random()
        if r < 0.2 or ndim == 0:
            return None if self.chance(0.5) or ndim else self.pick((0, -1))
        if r < 0.7:
            return self.integer(-ndim, ndim - 1)
        k = self.integer(1, ndim)
        return tuple(int(d) for d in self.rng.permutation(ndim)[:k])

    # -- dtypes
    def dtype(self, allowed=ALL_DTYPES):
        allowed = [d for d in allowed if d in _DTYPE_WEIGHTS]
        return self.pick(allowed, [_DTYPE_WEIGHTS[d] for d in allowed])

    # -- values
    def values(self, shape, dtype, low=None, high=None, special=None):
        n = int(np.prod(shape)) if shape else 1
        if dtype == "bool":
            return self.rng.random(shape) < 0.5, False
        if dtype in FLOATING:
            if low is not None:
                data = self.rng.uniform(low, high, shape)
            else:
                scale = self.pick((1.0, 3.0, 0.01, 100.0), (6, 2, 0.5, 0.5))
                data = self.rng.standard_normal(shape) * scale
                if self.chance(0.15):
                    data = np.round(data)  # ties, exact zeros and integers
            with np.errstate(over="ignore"):
                data = np.asarray(data, dtype=dtype)
            has_special = False
            if n and (special if special is not None else self.chance(self.specials)):
                flat = data.reshape(-1)
                with np.errstate(over="ignore"):
                    for _ in range(self.integer(1, max(1, n // 2))):
                        flat[self.integer(0, n - 1)] = self.pick(SPECIAL_FLOATS)
                has_special = True
            return data, has_special
        info = np.iinfo(dtype)
        lo, hi = (low, high) if low is not None else (max(info.min, -6), min(info.max, 6))
        data = self.rng.integers(int(lo), int(hi) + 1, shape, dtype=np.int64).astype(dtype)
        has_special = False
        if n and low is None and (special if special is not None else self.chance(self.specials / 2)):
            flat = data.reshape(-1)
            flat[self.integer(0, n - 1)] = self.pick((info.min, info.max, 0, info.max // 3, 2 ** 62 + 1
                                                      if dtype == "int64" else info.max - 1))
            has_special = True
        return np.asarray(data, dtype=dtype), has_special

    def tensor(self, shape=None, dtype=None, *, layout=None, grad=None, low=None, high=None, special=None,
               dtypes=ALL_DTYPES):
        shape = self.shape() if shape is None else tuple(shape)
        dtype = dtype or self.dtype(dtypes)
        data, has_special = self.values(shape, dtype, low, high, special)
        if layout is None:
            layout = self.pick(LAYOUTS, _LAYOUT_WEIGHTS)
        expand_dims = ()
        if layout == "transposed" and len(shape) < 2 or layout in ("stepped", "offset") and len(shape) < 1:
            layout = "contiguous"
        if layout == "expanded":
            candidates = [i for i, s in enumerate(shape) if s > 1]
            if not candidates:
                layout = "contiguous"
            else:
                expand_dims = tuple(i for i in candidates if self.chance(0.6)) or (candidates[0],)
                index = tuple(slice(0, 1) if i in expand_dims else slice(None) for i in range(len(shape)))
                data = np.ascontiguousarray(np.broadcast_to(data[index], shape))
        if layout == "overlapping":
            if len(shape) != 2 or 0 in shape:
                layout = "contiguous"
            else:
                flat = np.concatenate([data[:, 0], data[-1, 1:]])
                data = np.lib.stride_tricks.sliding_window_view(flat, shape[1])[:shape[0]].copy()
        if grad is None:
            grad = dtype in FLOATING and self.chance(0.75)
        return TensorSpec(data, dtype, layout, bool(grad and dtype in FLOATING), special=has_special,
                          expand_dims=expand_dims)

    def scalar(self, kind=None):
        """A Python number: bool, int or float (sometimes a special float)."""
        kind = kind or self.pick(("int", "float", "bool"), (3, 5, 1))
        if kind == "bool":
            return bool(self.chance(0.5))
        if kind == "int":
            return self.pick((0, 1, 2, 3, -1, -2, 5, -7, 2 ** 40), (1, 3, 3, 1, 2, 1, 1, 1, 0.2))
        if self.chance(self.specials):
            return self.pick(SPECIAL_FLOATS)
        return float(np.round(self.rng.standard_normal() * 2, self.pick((0, 1, 6))))

    def tensor_or_scalar(self, shape, dtypes=ALL_DTYPES, p_scalar=0.25):
        if self.chance(p_scalar):
            kinds = [k for k, d in (("bool", "bool"), ("int", "int64"), ("float", "float32")) if d in dtypes]
            return self.scalar(self.pick(kinds)) if kinds else self.scalar()
        if self.chance(0.08):
            return self.tensor((), dtypes=dtypes)  # a 0-d tensor (it does not decide the result dtype)
        return self.tensor(shape, dtypes=dtypes)
