"""The op descriptions: one per op family.

An Op names a public op (its namespace and name), the forms it is called in
(function, method, in-place, out=, operators) and `make`, which draws one
call's inputs (positional and keyword) from a Gen. A family is a list of
names that share one `make`. Forms that PyTorch does not have for an op are
dropped when the tester starts (e.g. there is no Tensor.isnan_).

Adding an op to wick: add its name to its family here (or a family of its
own) the day it lands.
"""
import copy
from dataclasses import dataclass, field, replace

from .inputs import ALL_DTYPES, FLOATING, INTEGRAL, NUMBERS, TensorSpec

POINTWISE_FORMS = ("function", "method", "inplace", "out")


@dataclass(frozen=True)
class Op:
    name: str
    family: str
    make: callable = field(compare=False, repr=False)
    forms: tuple = ("function",)
    ns: str = "torch"

    @property
    def key(self):
        return f"{self.ns}.{self.name}"


@dataclass
class Case:
    seed: int
    index: int
    op: Op
    form: str
    args: list
    kwargs: dict
    out_dtype: str = None

    @property
    def id(self):
        return f"{self.seed}:{self.index}"

    def tensor_specs(self):
        """Every TensorSpec among the inputs, nested lists included."""
        return _specs(self.args + list(self.kwargs.values()))

    @property
    def special(self):
        return any(s.special for s in self.tensor_specs()) or any(
            isinstance(v, float) and (v != v or abs(v) in (float("inf"), 1e30, 3e38, 1e300) or 0 < abs(v) < 1e-30)
            for v in _plain(self.args + list(self.kwargs.values())))

    def with_form(self, form):
        return replace(self, form=form)

    def upcast(self):
        """The case with every float32 input and dtype= argument made float64 (None when there is none)."""
        found = []

        def up(x):
            if isinstance(x, TensorSpec) and x.dtype == "float32":
                found.append(x)
                y = copy.copy(x)
                y.data, y.dtype = x.data.astype("float64"), "float64"
                return y
            if isinstance(x, (list, tuple)):
                return type(x)(up(v) for v in x)
            if x == "lib.float32":  # dtype=float32: a float32 computation of float64 inputs
                found.append(x)
                return "lib.float64"
            return x

        args = [up(a) for a in self.args]
        kwargs = {k: up(v) for k, v in self.kwargs.items()}
        if not found:
            return None
        out_dtype = "float64" if self.out_dtype == "float32" else self.out_dtype
        return replace(self, args=args, kwargs=kwargs, out_dtype=out_dtype)


def _specs(values):
    for v in values:
        if isinstance(v, TensorSpec):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _specs(v)


def _plain(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            yield from _plain(v)
        elif not isinstance(v, TensorSpec):
            yield v


# ---------------------------------------------------------------- pointwise

def unary(g):
    return [g.tensor()], {}


def unary_float(g):
    return [g.tensor(dtypes=FLOATING)], {}


def binary(g, dtypes=ALL_DTYPES, scalar=0.25):
    shape = g.shape()
    x = g.tensor(shape, dtypes=dtypes)
    y = g.tensor_or_scalar(g.broadcast(shape), dtypes=dtypes, p_scalar=scalar)
    if g.chance(0.2) and isinstance(y, TensorSpec):
        x, y = y, x
    return [x, y], {}


def add_sub(g):
    args, kwargs = binary(g)
    if g.chance(0.3):
        kwargs["alpha"] = g.scalar()
    return args, kwargs


def div(g):
    args, kwargs = binary(g)
    if g.chance(0.5):
        kwargs["rounding_mode"] = g.pick((None, "trunc", "floor"))
    return args, kwargs


def ternary(g, dtypes=ALL_DTYPES):
    shape = g.shape()
    return [g.tensor(shape, dtypes=dtypes), g.tensor(g.broadcast(shape), dtypes=dtypes),
            g.tensor(g.broadcast(shape), dtypes=dtypes)], {}


def addcmul(g):
    args, kwargs = ternary(g, NUMBERS)
    if g.chance(0.5):
        kwargs["value"] = g.scalar()
    return args, kwargs


def lerp(g):
    shape = g.shape()
    x, y = g.tensor(shape, dtypes=FLOATING), g.tensor(g.broadcast(shape), dtypes=FLOATING)
    w = g.scalar("float") if g.chance(0.5) else g.tensor(g.broadcast(shape), dtypes=FLOATING)
    return [x, y, w], {}


def where(g):
    shape = g.shape()
    cond = g.tensor(g.broadcast(shape), "bool") if g.chance(0.9) else g.tensor(g.broadcast(shape))
    return [cond, g.tensor_or_scalar(shape), g.tensor_or_scalar(g.broadcast(shape))], {}


def clamp(g):
    shape = g.shape()
    x = g.tensor(shape)
    bound = (lambda: g.tensor_or_scalar(g.broadcast(shape), dtypes=NUMBERS, p_scalar=0.7))
    kwargs = {}
    r = g.rng.random()
    if r < 0.35:
        kwargs["min"] = bound()
    elif r < 0.7:
        kwargs["max"] = bound()
    elif r < 0.97:
        kwargs["min"], kwargs["max"] = bound(), bound()
    return [x], kwargs


def clamp_one(g):
    shape = g.shape()
    return [g.tensor(shape), g.tensor_or_scalar(g.broadcast(shape), dtypes=NUMBERS, p_scalar=0.7)], {}


def nan_to_num(g):
    kwargs = {}
    for k in ("nan", "posinf", "neginf"):
        if g.chance(0.3):
            kwargs[k] = g.scalar("float")
    return [g.tensor(special=g.chance(0.6))], kwargs


def round_(g):
    kwargs = {"decimals": g.integer(-2, 3)} if g.chance(0.4) else {}
    return [g.tensor()], kwargs


# ---------------------------------------------------------------- reductions

def reduce_dims(g, with_dtype=False, dtypes=ALL_DTYPES):
    x = g.tensor(dtypes=dtypes)
    kwargs = {}
    d = g.dims(x.data.ndim)
    if d is not None:
        kwargs["dim"] = d
        if g.chance(0.5):
            kwargs["keepdim"] = g.chance(0.5)
    if with_dtype and g.chance(0.25):
        kwargs["dtype"] = "lib." + g.pick(("float32", "float64", "int64"))
    return [x], kwargs


def reduce_sum(g):
    return reduce_dims(g, with_dtype=True)


def reduce_one_dim(g, dtypes=ALL_DTYPES):
    """max/min/argmax/median...: no dim, or one int dim (and keepdim)."""
    x = g.tensor(dtypes=dtypes)
    kwargs = {}
    if g.chance(0.7):
        kwargs["dim"] = g.dim(x.data.ndim)
        if g.chance(0.5):
            kwargs["keepdim"] = g.chance(0.5)
    return [x], kwargs


def max_min(g):
    if g.chance(0.25):
        return binary(g, scalar=0)
    return reduce_one_dim(g)


def std_var(g):
    args, kwargs = reduce_dims(g, dtypes=ALL_DTYPES)
    r = g.rng.random()
    if r < 0.3:
        kwargs["unbiased"] = g.chance(0.5)
    elif r < 0.5:
        kwargs["correction"] = g.integer(0, 2)
    return args, kwargs


def logsumexp(g):
    x = g.tensor()
    return [x, g.dims(x.data.ndim) if x.data.ndim else 0], ({"keepdim": g.chance(0.5)} if g.chance(0.4) else {})


def norm(g):
    x = g.tensor(dtypes=FLOATING)
    kwargs = {}
    if g.chance(0.6):
        kwargs["p"] = g.pick((1, 2, 3, 0.5, float("inf"), float("-inf"), 0, "fro"))
    if g.chance(0.5) and x.data.ndim:
        kwargs["dim"] = g.dim(x.data.ndim)
        kwargs["keepdim"] = g.chance(0.5)
    return [x], kwargs


def scan(g):
    x = g.tensor()
    kwargs = {"dim": g.dim(x.data.ndim)}
    if g.chance(0.2):
        kwargs["dtype"] = "lib." + g.pick(("float32", "float64", "int64"))
    return [x], kwargs


def softmax(g):
    x = g.tensor(dtypes=FLOATING if g.chance(0.9) else ALL_DTYPES)
    kwargs = {"dim": g.dim(x.data.ndim)}
    if g.chance(0.15):
        kwargs["dtype"] = "lib." + g.pick(("float32", "float64"))
    return [x], kwargs


def sort(g):
    x = g.tensor(dtypes=NUMBERS)
    kwargs = {}
    if g.chance(0.7):
        kwargs["dim"] = g.dim(x.data.ndim)
    if g.chance(0.4):
        kwargs["descending"] = g.chance(0.5)
    return [x], kwargs


def topk(g):
    x = g.tensor(dtypes=NUMBERS)
    d = g.dim(x.data.ndim)
    n = x.shape[d] if x.data.ndim else 1
    kwargs = {"dim": d}
    if g.chance(0.5):
        kwargs["largest"] = g.chance(0.5)
    return [x, g.integer(0, n) if g.chance(0.95) else n + 1], kwargs


# ---------------------------------------------------------------- shapes and views

def _factor_shape(g, n):
    """A random shape with n elements (sometimes with a -1)."""
    dims = []
    rest = n
    for p in (2, 3, 5):
        while rest and rest % p == 0 and g.chance(0.6):
            dims.append(p)
            rest //= p
    dims.append(rest)
    g.rng.shuffle(dims)
    if g.chance(0.3) and n:
        dims[g.integer(0, len(dims) - 1)] = -1
    if g.chance(0.05):
        dims.append(7)  # impossible
    return tuple(int(d) for d in dims)


def reshape(g):
    x = g.tensor()
    return [x, _factor_shape(g, x.data.size)], {}


def flatten(g):
    x = g.tensor()
    kwargs = {}
    if x.data.ndim and g.chance(0.7):
        a, b = sorted((g.dim(x.data.ndim), g.dim(x.data.ndim)), key=lambda d: d % x.data.ndim)
        kwargs = {"start_dim": a, "end_dim": b}
    return [x], kwargs


def one_dim(g):
    x = g.tensor()
    return [x, g.dim(x.data.ndim)], {}


def squeeze(g):
    x = g.tensor()
    return ([x, g.dim(x.data.ndim)] if g.chance(0.6) else [x]), {}


def unsqueeze(g):
    x = g.tensor()
    return [x, g.integer(-x.data.ndim - 1, x.data.ndim)], {}


def transpose(g):
    x = g.tensor()
    return [x, g.dim(x.data.ndim), g.dim(x.data.ndim)], {}


def permute(g):
    x = g.tensor()
    perm = [int(d) for d in g.rng.permutation(x.data.ndim)]
    if g.chance(0.05) and perm:
        perm[0] = perm[-1]
    return [x, tuple(perm)], {}


def t(g):
    return [g.tensor(g.shape(max_ndim=2))], {}


def expand(g):
    shape = g.shape()
    x = g.tensor(g.broadcast(shape))
    target = list(shape)
    if target and g.chance(0.2):
        target[g.integer(0, len(target) - 1)] = -1
    return [x, tuple(target)], {}


def repeat(g):
    x = g.tensor(g.shape(max_ndim=3))
    reps = tuple(g.integer(0, 3) for _ in range(x.data.ndim + g.integer(0, 1)))
    return [x, reps], {}


def cat(g):
    shape = g.shape(min_ndim=1)
    d = g.dim(len(shape))
    tensors = []
    for _ in range(g.integer(1, 3)):
        s = list(shape)
        s[d] = g.size()
        tensors.append(g.tensor(tuple(s), dtypes=NUMBERS if g.chance(0.9) else ALL_DTYPES))
    return [tensors], ({"dim": d} if g.chance(0.9) else {})


def stack(g):
    shape = g.shape(max_ndim=3)
    tensors = [g.tensor(shape) for _ in range(g.integer(1, 3))]
    return [tensors], {"dim": g.integer(-len(shape) - 1, len(shape))}


def split(g):
    x = g.tensor(g.shape(min_ndim=1))
    d = g.dim(x.data.ndim)
    n = x.shape[d]
    if g.chance(0.5) or n == 0:
        return [x, g.integer(1, 3)], {"dim": d}
    sizes, rest = [], n
    while rest:
        k = g.integer(0, rest)
        sizes.append(k)
        rest -= k
    return [x, sizes], {"dim": d}


def chunk(g):
    x = g.tensor(g.shape(min_ndim=1))
    return [x, g.integer(1, 4)], {"dim": g.dim(x.data.ndim)}


def narrow(g):
    x = g.tensor(g.shape(min_ndim=1))
    d = g.dim(x.data.ndim)
    n = x.shape[d]
    start = g.integer(0, n)
    return [x, d, start, g.integer(0, n - start)], {}


def flip(g):
    x = g.tensor()
    return [x, tuple({g.dim(x.data.ndim) for _ in range(g.integer(0, 2))})], {}


def roll(g):
    x = g.tensor()
    if g.chance(0.3) or not x.data.ndim:
        return [x, g.integer(-3, 3)], {}
    return [x, g.integer(-3, 3)], {"dims": g.dim(x.data.ndim)}


def tril(g):
    return [g.tensor(g.shape(min_ndim=2 if g.chance(0.95) else 0))], (
        {"diagonal": g.integer(-2, 2)} if g.chance(0.5) else {})


def movedim(g):
    x = g.tensor(g.shape(min_ndim=1))
    return [x, g.dim(x.data.ndim), g.dim(x.data.ndim)], {}


# ---------------------------------------------------------------- indexing

def _index(g, n, shape, low=0):
    """An int64 index tensor with values in [low - n, n - 1] (sometimes one out of range)."""
    if n == 0:  # no valid index: an index into an empty dim (valid only where the index is empty too)
        return g.tensor(shape, "int64", low=0, high=0, grad=False, layout="contiguous")
    lo = -n if g.chance(0.2) else 0
    hi = n - 1 if g.chance(0.97) else n
    return g.tensor(shape, "int64", low=lo, high=hi, grad=False, layout="contiguous")


def index_select(g):
    x = g.tensor(g.shape(min_ndim=1))
    d = g.dim(x.data.ndim)
    return [x, d, _index(g, x.shape[d], (g.size(),))], {}


def gather(g):
    x = g.tensor(g.shape(min_ndim=1))
    d = g.dim(x.data.ndim)
    shape = tuple(min(s, g.integer(0, s)) if i != d % x.data.ndim else g.size() for i, s in enumerate(x.shape))
    return [x, d, _index(g, x.shape[d], shape)], {}


def scatter(g):
    x = g.tensor(g.shape(min_ndim=1), layout="contiguous")
    d = g.dim(x.data.ndim)
    shape = tuple(g.integer(0, s) for s in x.shape)
    src = g.tensor(shape, x.dtype) if g.chance(0.7) else g.scalar()
    kwargs = {"reduce": g.pick(("add", "multiply"))} if g.chance(0.2) and isinstance(src, TensorSpec) else {}
    return [x, d, _index(g, x.shape[d], shape), src], kwargs


def scatter_add(g):
    args, _ = scatter(g)
    if not isinstance(args[3], TensorSpec):
        args[3] = g.tensor(args[2].shape, args[0].dtype)
    return args, {}


def index_add(g):
    x = g.tensor(g.shape(min_ndim=1), layout="contiguous")
    d = g.dim(x.data.ndim)
    k = g.size()
    idx = _index(g, x.shape[d], (k,))
    shape = list(x.shape)
    shape[d] = k
    kwargs = {"alpha": g.scalar()} if g.chance(0.3) else {}
    return [x, d, idx, g.tensor(tuple(shape), x.dtype)], kwargs


def masked_fill(g):
    shape = g.shape()
    x = g.tensor(shape)
    mask = g.tensor(g.broadcast(shape), "bool")
    value = g.scalar() if g.chance(0.8) else g.tensor((), dtypes=NUMBERS)
    return [x, mask, value], {}


def masked_select(g):
    shape = g.shape()
    return [g.tensor(shape), g.tensor(g.broadcast(shape), "bool")], {}


def take(g):
    x = g.tensor()
    return [x, _index(g, x.data.size, g.shape(max_ndim=2))], {}


def getitem(g):
    x = g.tensor(g.shape(min_ndim=1))
    return [x, _subscript(g, x)], {}


def setitem(g):
    x = g.tensor(g.shape(min_ndim=1), grad=False, layout=g.pick(("contiguous", "transposed", "stepped")))
    key = _subscript(g, x)
    value = g.scalar() if g.chance(0.5) else g.tensor((), x.dtype, grad=False)
    return [x, key, value], {}


def _subscript(g, x):
    kind = g.pick(("int", "slice", "mask", "index", "tuple", "ellipsis"))
    n = x.shape[0]
    if kind == "int":
        return g.integer(-n, n - 1) if n else 0
    if kind == "slice":
        return slice(g.pick((None, 0, 1, -1)), g.pick((None, 2, -1, 5)), g.pick((None, 1, 2, 3)))
    if kind == "mask":
        k = g.integer(1, x.data.ndim)
        return g.tensor(x.shape[:k], "bool", grad=False, layout="contiguous")
    if kind == "index":
        return _index(g, n, (g.size(),))
    if kind == "ellipsis":
        return (Ellipsis, g.integer(-x.shape[-1], x.shape[-1] - 1) if x.shape[-1] else slice(None))
    return tuple(slice(None, None, g.pick((1, 2))) for _ in range(x.data.ndim)) + ((None,) if g.chance(0.3) else ())


# ---------------------------------------------------------------- linear algebra

def matmul(g):
    m, k, n = g.size(), g.size(), g.size()
    batch = g.shape(max_ndim=2)
    a_nd, b_nd = g.pick((1, 2, 3)), g.pick((1, 2, 3))
    a = (k,) if a_nd == 1 else (batch[-1:] if a_nd == 3 else ()) + (m, k)
    b = (k if g.chance(0.97) else k + 1,) if b_nd == 1 else (g.broadcast(batch[-1:]) if b_nd == 3 else ()) + (k, n)
    return [g.tensor(a, dtypes=NUMBERS), g.tensor(b, dtypes=NUMBERS)], {}


def mm(g):
    m, k, n = g.size(), g.size(), g.size()
    return [g.tensor((m, k), dtypes=FLOATING), g.tensor((k, n), dtypes=FLOATING)], {}


def bmm(g):
    b, m, k, n = g.size(), g.size(), g.size(), g.size()
    return [g.tensor((b, m, k), dtypes=FLOATING), g.tensor((b, k, n), dtypes=FLOATING)], {}


def mv(g):
    m, k = g.size(), g.size()
    return [g.tensor((m, k), dtypes=FLOATING), g.tensor((k,), dtypes=FLOATING)], {}


def dot(g):
    k = g.size()
    return [g.tensor((k,), dtypes=NUMBERS), g.tensor((k,), dtypes=NUMBERS)], {}


def outer(g):
    return [g.tensor((g.size(),), dtypes=NUMBERS), g.tensor((g.size(),), dtypes=NUMBERS)], {}


def addmm(g):
    m, k, n = g.size(), g.size(), g.size()
    kwargs = {}
    if g.chance(0.3):
        kwargs["beta"] = g.scalar("float")
    if g.chance(0.3):
        kwargs["alpha"] = g.scalar("float")
    return [g.tensor(g.broadcast((m, n)), dtypes=FLOATING), g.tensor((m, k), dtypes=FLOATING),
            g.tensor((k, n), dtypes=FLOATING)], kwargs


def linear(g):
    n, i, o = g.size(), g.size(), g.size()
    x = g.tensor(g.shape(max_ndim=2) + (i,), dtypes=FLOATING)
    w = g.tensor((o, i) if g.chance(0.9) else (i,), dtypes=FLOATING)
    args = [x, w]
    if g.chance(0.6):
        args.append(g.tensor((o,) if len(w.shape) == 2 else (), dtypes=FLOATING))
    return args, {}


# ---------------------------------------------------------------- nn.functional

def activation(g, **params):
    x = g.tensor(dtypes=FLOATING if g.chance(0.9) else ALL_DTYPES)
    kwargs = {k: f(g) for k, f in params.items() if g.chance(0.5)}
    return [x], kwargs


def _float_param(*choices):
    return lambda g: g.pick(choices)


ACT_PARAMS = {
    "leaky_relu": {"negative_slope": _float_param(0.01, 0.2, -0.5, 0.0)},
    "elu": {"alpha": _float_param(1.0, 0.5, 2.0)},
    "celu": {"alpha": _float_param(1.0, 0.5, 2.0)},
    "softplus": {"beta": _float_param(1, 2, 0.5), "threshold": _float_param(20, 1, 5)},
    "hardtanh": {"min_val": _float_param(-1.0, -2.0, 0.0), "max_val": _float_param(1.0, 2.0, 0.5)},
    "gelu": {"approximate": _float_param("none", "tanh")},
    "softshrink": {"lambd": _float_param(0.5, 1.0, 0.0)},
    "hardshrink": {"lambd": _float_param(0.5, 1.0, 0.0)},
}


def threshold(g):
    return [g.tensor(dtypes=FLOATING), g.pick((0.0, 0.5, -1.0)), g.pick((0.0, 2.0, -3.0))], {}


def f_softmax(g):
    x = g.tensor(dtypes=FLOATING)
    return [x], {"dim": g.dim(x.data.ndim)}


def normalize(g):
    x = g.tensor(dtypes=FLOATING)
    kwargs = {}
    if g.chance(0.5):
        kwargs["p"] = g.pick((1.0, 2.0, 3.0))
    if x.data.ndim:
        kwargs["dim"] = g.dim(x.data.ndim)
    return [x], kwargs


def _reduction(g, kwargs):
    if g.chance(0.6):
        kwargs["reduction"] = g.pick(("mean", "sum", "none"))
    return kwargs


def pointwise_loss(g, **params):
    shape = g.shape()
    x = g.tensor(shape, dtypes=FLOATING)
    y = g.tensor(shape if g.chance(0.9) else g.broadcast(shape), dtypes=FLOATING)
    kwargs = {k: f(g) for k, f in params.items() if g.chance(0.5)}
    return [x, y], _reduction(g, kwargs)


def bce(g):
    shape = g.shape()
    x = g.tensor(shape, dtypes=FLOATING, low=0.0, high=1.0)
    y = g.tensor(shape, x.dtype, low=0.0, high=1.0)
    kwargs = {"weight": g.tensor(g.broadcast(shape), x.dtype, grad=False)} if g.chance(0.2) else {}
    return [x, y], _reduction(g, kwargs)


def bce_logits(g):
    shape = g.shape()
    x = g.tensor(shape, dtypes=FLOATING)
    y = g.tensor(shape, x.dtype, low=0.0, high=1.0)
    kwargs = {}
    if g.chance(0.2) and shape:
        kwargs["pos_weight"] = g.tensor(shape[-1:], x.dtype, low=0.1, high=3.0, grad=False)
    return [x, y], _reduction(g, kwargs)


def nll(g, logits=False):
    n, c = g.size(), g.size() or 1
    extra = g.shape(max_ndim=2) if g.chance(0.2) else ()
    x = g.tensor(((n, c) if g.chance(0.85) else (c,)) + extra if not extra else (n, c) + extra, dtypes=FLOATING)
    target_shape = (x.shape[0],) + extra if len(x.shape) > 1 else ()
    target = _index(g, c, target_shape)
    kwargs = {}
    if g.chance(0.2):
        kwargs["weight"] = g.tensor((c,), x.dtype, low=0.1, high=2.0, grad=False)
    if g.chance(0.2):
        kwargs["ignore_index"] = g.integer(0, c - 1)
    if logits and g.chance(0.2):
        kwargs["label_smoothing"] = g.pick((0.1, 0.5))
    if logits and g.chance(0.15):
        target = g.tensor(x.shape, x.dtype, low=0.0, high=1.0, grad=False)  # class probabilities
    return [x, target], _reduction(g, kwargs)


def kl_div(g):
    shape = g.shape()
    x = g.tensor(shape, dtypes=FLOATING)
    log_target = g.chance(0.5)
    y = g.tensor(shape, x.dtype, low=(-3.0 if log_target else 0.0), high=(0.0 if log_target else 1.0))
    kwargs = {"log_target": log_target}
    if g.chance(0.6):
        kwargs["reduction"] = g.pick(("mean", "sum", "none", "batchmean"))
    return [x, y], kwargs


def cosine_similarity(g):
    shape = g.shape(min_ndim=1)
    kwargs = {"dim": g.dim(len(shape))} if g.chance(0.5) else {}
    return [g.tensor(shape, dtypes=FLOATING), g.tensor(g.broadcast(shape), dtypes=FLOATING)], kwargs


def max_pool(g, nd):
    n, c = g.size(), g.size() or 1
    spatial = tuple(g.integer(1, 7) for _ in range(nd))
    x = g.tensor((n, c) + spatial if g.chance(0.8) else (c,) + spatial, dtypes=FLOATING)
    k = g.integer(1, 3)
    kwargs = {"kernel_size": k}
    if g.chance(0.5):
        kwargs["stride"] = g.integer(1, 3)
    if g.chance(0.5):
        kwargs["padding"] = g.integer(0, k // 2)
    if g.chance(0.4):
        kwargs["dilation"] = g.integer(1, 3)
    if g.chance(0.3):
        kwargs["ceil_mode"] = True
    if _a_window_in_the_padding(x.shape[-nd:], kwargs):
        # PyTorch 1.13 writes such a window's gradient outside its buffer (heap corruption, so no oracle);
        # wick's answer is tested in test_correctness_inplace.py (Note [Max pooling windows in the padding]).
        kwargs.pop("dilation", None)
    return [x], kwargs


def _a_window_in_the_padding(spatial, kwargs):
    """Whether some max-pooling window holds no element of the input."""
    k, pad, dil = kwargs["kernel_size"], kwargs.get("padding", 0), kwargs.get("dilation", 1)
    stride = kwargs.get("stride", k)
    for n in spatial:
        span = n + 2 * pad - dil * (k - 1) - 1
        out = (-(-span // stride) if kwargs.get("ceil_mode") else span // stride) + 1
        if kwargs.get("ceil_mode") and (out - 1) * stride >= n + pad:
            out -= 1
        for o in range(out):
            if not any(0 <= o * stride - pad + j * dil < n for j in range(k)):
                return True
    return False


def avg_pool(g, nd):
    args, kwargs = max_pool(g, nd)
    kwargs.pop("dilation", None)
    if g.chance(0.3):
        kwargs["count_include_pad"] = g.chance(0.5)
    return args, kwargs


def adaptive_pool(g, nd):
    n, c = g.size(), g.size() or 1
    x = g.tensor((n, c) + tuple(g.integer(1, 7) for _ in range(nd)), dtypes=FLOATING)
    return [x, tuple(g.integer(1, 4) for _ in range(nd)) if nd > 1 else g.integer(1, 4)], {}


def conv(g, nd):
    n, c, o = g.size() or 1, g.integer(1, 4), g.integer(1, 4)
    groups = g.pick((1, 1, 1, 2))
    c, o = c * groups, o * groups
    k = tuple(g.integer(1, 3) for _ in range(nd))
    spatial = tuple(g.integer(1, 6) for _ in range(nd))
    x = g.tensor((n, c) + spatial, dtypes=FLOATING)
    w = g.tensor((o, c // groups) + k, x.dtype)
    args = [x, w, g.tensor((o,), x.dtype) if g.chance(0.6) else None]
    kwargs = {"groups": groups}
    if g.chance(0.4):
        kwargs["stride"] = g.integer(1, 2)
    if g.chance(0.4):
        kwargs["padding"] = g.integer(0, 2)
    if g.chance(0.3):
        kwargs["dilation"] = g.integer(1, 2)
    return args, kwargs


def batch_norm(g):
    n, c = g.integer(1, 4), g.integer(1, 3)
    x = g.tensor((n, c) + g.shape(max_ndim=2, allow_zero=False), dtypes=FLOATING)
    mean = g.tensor((c,), x.dtype, grad=False, layout="contiguous")
    var = g.tensor((c,), x.dtype, low=0.1, high=2.0, grad=False, layout="contiguous")
    args = [x, mean, var]
    kwargs = {"training": g.chance(0.5)}
    if g.chance(0.6):
        kwargs["weight"] = g.tensor((c,), x.dtype)
        kwargs["bias"] = g.tensor((c,), x.dtype)
    return args, kwargs


def layer_norm(g):
    shape = g.shape(min_ndim=1, allow_zero=g.chance(0.2))
    k = g.integer(1, len(shape))
    x = g.tensor(shape, dtypes=FLOATING)
    args = [x, shape[len(shape) - k:]]
    if g.chance(0.6):
        args += [g.tensor(shape[len(shape) - k:], x.dtype), g.tensor(shape[len(shape) - k:], x.dtype)]
    return args, {}


def group_norm(g):
    groups = g.integer(1, 3)
    n, c = g.integer(1, 3), groups * g.integer(1, 2)
    x = g.tensor((n, c) + g.shape(max_ndim=2, allow_zero=False), dtypes=FLOATING)
    args = [x, groups]
    if g.chance(0.5):
        args += [g.tensor((c,), x.dtype), g.tensor((c,), x.dtype)]
    return args, {}


def embedding(g):
    v, d = g.integer(1, 6), g.size()
    idx = _index(g, v, g.shape(max_ndim=2))
    kwargs = {"padding_idx": g.integer(0, v - 1)} if g.chance(0.3) else {}
    return [idx, g.tensor((v, d), dtypes=FLOATING)], kwargs


def pad(g):
    x = g.tensor(g.shape(min_ndim=1), dtypes=FLOATING)
    n = g.integer(1, min(x.data.ndim, 3))
    padding = tuple(g.integer(-1, 2) for _ in range(2 * n))
    kwargs = {"value": g.scalar("float")} if g.chance(0.3) else {}
    return [x, padding], kwargs


def one_hot(g):
    c = g.integer(1, 5)
    return [_index(g, c, g.shape(max_ndim=2))], ({"num_classes": g.pick((-1, c, c + 2))} if g.chance(0.5) else {})


def like(g):
    return [g.tensor()], {}


def full_like(g):
    return [g.tensor(), g.scalar()], {}


# ---------------------------------------------------------------- the families

def _family(family, names, make, forms=("function",), ns="torch"):
    return [Op(n, family, make, forms, ns) for n in names]


UNARY_ANY = ["abs", "absolute", "neg", "negative", "sign", "sgn", "square", "ceil", "floor", "trunc", "fix", "frac",
             "relu", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit",
             "positive", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos",
             "tan", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh",
             "atanh", "sigmoid", "reciprocal", "erf", "erfc", "erfinv", "lgamma", "digamma", "deg2rad", "rad2deg",
             "sinc", "logit", "i0"]
BINARY = ["mul", "multiply", "true_divide", "pow", "float_power", "atan2", "arctan2", "maximum", "minimum", "fmax",
          "fmin", "fmod", "remainder", "hypot", "logaddexp", "logaddexp2", "floor_divide", "eq", "ne", "lt", "le",
          "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal", "logical_and", "logical_or",
          "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "copysign", "xlogy", "heaviside",
          "nextafter", "ldexp"]
OPERATOR_FORMS = tuple("operator:" + s for s in ("+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">",
                                                  ">=", "&", "|", "^", "+=", "-=", "*=", "/=", "//=", "%=", "**=",
                                                  "&=", "|=", "^="))
ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus",
               "logsigmoid", "hardtanh", "hardsigmoid", "hardswish", "tanhshrink", "softsign", "softshrink",
               "hardshrink", "sigmoid", "tanh"]

OPS = (
    _family("unary", UNARY_ANY, unary, POINTWISE_FORMS)
    + _family("unary", ["round"], round_, POINTWISE_FORMS)
    + _family("unary", ["nan_to_num"], nan_to_num, POINTWISE_FORMS)
    + [Op("unary-operator", "operators", unary, ("operator:neg", "operator:pos", "operator:~", "operator:abs"))]
    + _family("binary", BINARY, binary, POINTWISE_FORMS)
    + _family("binary", ["add", "sub", "subtract"], add_sub, POINTWISE_FORMS)
    + _family("binary", ["div", "divide"], div, POINTWISE_FORMS)
    + [Op("binary-operator", "operators", binary, OPERATOR_FORMS)]
    + _family("ternary", ["addcmul", "addcdiv"], addcmul, POINTWISE_FORMS)
    + _family("ternary", ["lerp"], lerp, POINTWISE_FORMS)
    + _family("ternary", ["where"], where, ("function", "out"))
    + _family("clamp", ["clamp", "clip"], clamp, POINTWISE_FORMS)
    + _family("clamp", ["clamp_min", "clamp_max"], clamp_one, POINTWISE_FORMS)
    + _family("reduce", ["sum", "nansum", "mean", "nanmean", "prod"], reduce_sum, ("function", "method", "out"))
    + _family("reduce", ["amax", "amin", "all", "any", "count_nonzero", "std_mean", "var_mean"], reduce_dims,
              ("function", "method", "out"))
    + _family("reduce", ["std", "var"], std_var, ("function", "method", "out"))
    + _family("reduce", ["max", "min"], max_min, ("function", "method"))
    + _family("reduce", ["argmax", "argmin", "median", "nanmedian", "mode"], reduce_one_dim, ("function", "method"))
    + _family("reduce", ["logsumexp"], logsumexp, ("function", "method", "out"))
    + _family("reduce", ["norm"], norm, ("function", "method"))
    + _family("scan", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"], scan, ("function", "method"))
    + _family("scan", ["softmax", "log_softmax"], softmax, ("function", "method"))
    + _family("sort", ["sort", "argsort"], sort, ("function", "method"))
    + _family("sort", ["topk"], topk, ("function", "method"))
    + _family("shape", ["reshape"], reshape, ("function", "method"))
    + _family("shape", ["view"], reshape, ("method",))
    + _family("shape", ["flatten"], flatten, ("function", "method"))
    + _family("shape", ["squeeze"], squeeze, ("function", "method", "inplace"))
    + _family("shape", ["unsqueeze"], unsqueeze, ("function", "method", "inplace"))
    + _family("shape", ["transpose", "swapaxes"], transpose, ("function", "method", "inplace"))
    + _family("shape", ["permute"], permute, ("function", "method"))
    + _family("shape", ["t"], t, ("function", "method", "inplace"))
    + _family("shape", ["expand"], expand, ("method",))
    + _family("shape", ["repeat", "tile"], repeat, ("method",))
    + _family("shape", ["cat", "concat", "concatenate"], cat, ("function", "out"))
    + _family("shape", ["stack", "hstack", "vstack"], stack, ("function", "out"))
    + _family("shape", ["split", "tensor_split"], split, ("function", "method"))
    + _family("shape", ["chunk"], chunk, ("function", "method"))
    + _family("shape", ["narrow"], narrow, ("function", "method"))
    + _family("shape", ["flip"], flip, ("function", "method"))
    + _family("shape", ["roll"], roll, ("function", "method"))
    + _family("shape", ["tril", "triu"], tril, ("function", "method", "inplace"))
    + _family("shape", ["movedim"], movedim, ("function", "method"))
    + _family("shape", ["unbind"], one_dim, ("function", "method"))
    + _family("shape", ["contiguous"], unary, ("method",))
    + _family("shape", ["clone"], unary, ("function", "method"))
    + _family("shape", ["zeros_like", "ones_like"], like, ("function",))
    + _family("shape", ["full_like"], full_like, ("function",))
    + _family("index", ["index_select"], index_select, ("function", "method", "out"))
    + _family("index", ["gather"], gather, ("function", "method", "out"))
    + _family("index", ["scatter"], scatter, ("function", "method", "inplace"))
    + _family("index", ["scatter_add"], scatter_add, ("function", "method", "inplace"))
    + _family("index", ["index_add"], index_add, ("function", "method", "inplace"))
    + _family("index", ["masked_fill"], masked_fill, ("function", "method", "inplace"))
    + _family("index", ["masked_select"], masked_select, ("function", "method", "out"))
    + _family("index", ["take"], take, ("function", "method"))
    + [Op("getitem", "index", getitem, ("operator:getitem",)), Op("setitem", "index", setitem, ("operator:setitem",))]
    + _family("linalg", ["matmul"], matmul, ("function", "method", "out", "operator:@"))
    + _family("linalg", ["mm"], mm, ("function", "method", "out"))
    + _family("linalg", ["bmm"], bmm, ("function", "method", "out"))
    + _family("linalg", ["mv"], mv, ("function", "method", "out"))
    + _family("linalg", ["dot", "inner"], dot, ("function", "method"))
    + _family("linalg", ["outer", "ger"], outer, ("function", "method"))
    + _family("linalg", ["addmm"], addmm, ("function", "method", "inplace"))
    + _family("nn", ["linear"], linear, ns="torch.nn.functional")
    + [Op(n, "nn-activation", (lambda g, p=ACT_PARAMS.get(n, {}): activation(g, **p)), ns="torch.nn.functional")
       for n in ACTIVATIONS]
    + _family("nn-activation", ["threshold"], threshold, ns="torch.nn.functional")
    + _family("nn-activation", ["softmax", "log_softmax", "softmin"], f_softmax, ns="torch.nn.functional")
    + _family("nn-activation", ["normalize"], normalize, ns="torch.nn.functional")
    + _family("nn-loss", ["mse_loss", "l1_loss", "soft_margin_loss"], pointwise_loss, ns="torch.nn.functional")
    + [Op("smooth_l1_loss", "nn-loss", lambda g: pointwise_loss(g, beta=_float_param(1.0, 0.5, 0.0)),
          ns="torch.nn.functional"),
       Op("huber_loss", "nn-loss", lambda g: pointwise_loss(g, delta=_float_param(1.0, 0.5, 2.0)),
          ns="torch.nn.functional")]
    + _family("nn-loss", ["binary_cross_entropy"], bce, ns="torch.nn.functional")
    + _family("nn-loss", ["binary_cross_entropy_with_logits"], bce_logits, ns="torch.nn.functional")
    + _family("nn-loss", ["nll_loss"], nll, ns="torch.nn.functional")
    + _family("nn-loss", ["cross_entropy"], lambda g: nll(g, logits=True), ns="torch.nn.functional")
    + _family("nn-loss", ["kl_div"], kl_div, ns="torch.nn.functional")
    + _family("nn-loss", ["cosine_similarity", "pairwise_distance"], cosine_similarity, ns="torch.nn.functional")
    + _family("nn-pool", ["max_pool1d"], lambda g: max_pool(g, 1), ns="torch.nn.functional")
    + _family("nn-pool", ["max_pool2d"], lambda g: max_pool(g, 2), ns="torch.nn.functional")
    + _family("nn-pool", ["avg_pool1d"], lambda g: avg_pool(g, 1), ns="torch.nn.functional")
    + _family("nn-pool", ["avg_pool2d"], lambda g: avg_pool(g, 2), ns="torch.nn.functional")
    + _family("nn-pool", ["adaptive_avg_pool1d", "adaptive_max_pool1d"], lambda g: adaptive_pool(g, 1),
              ns="torch.nn.functional")
    + _family("nn-pool", ["adaptive_avg_pool2d", "adaptive_max_pool2d"], lambda g: adaptive_pool(g, 2),
              ns="torch.nn.functional")
    + _family("nn-conv", ["conv1d"], lambda g: conv(g, 1), ns="torch.nn.functional")
    + _family("nn-conv", ["conv2d"], lambda g: conv(g, 2), ns="torch.nn.functional")
    + _family("nn-norm", ["batch_norm"], batch_norm, ns="torch.nn.functional")
    + _family("nn-norm", ["layer_norm"], layer_norm, ns="torch.nn.functional")
    + _family("nn-norm", ["group_norm"], group_norm, ns="torch.nn.functional")
    + _family("nn", ["embedding"], embedding, ns="torch.nn.functional")
    + _family("nn", ["pad"], pad, ns="torch.nn.functional")
    + _family("nn", ["one_hot"], one_hot, ns="torch.nn.functional")
)
