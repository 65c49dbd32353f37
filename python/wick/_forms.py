"""Forms of wick's C++ ops that need no kernel or node of their own:

- PyTorch's aliases (greater for gt, less_equal for le ...);
- the function forms of in-place methods (``wick.relu_(x)`` is ``x.relu_()``);
- in-place methods made of an op and ``copy_`` (``x.eq_(y)``, ``x.addmm_(a, b)``), recorded by autograd as the
  op followed by the write (the op reads a copy of self when autograd records, so the write does not change
  what the op's node saved: Note [In-place forms through copy_] in ops/unary.cpp);
- the random fills that transform uniform or normal numbers (``exponential_``, ``geometric_``, ``cauchy_``,
  ``log_normal_``, ``random_``, ``bernoulli_``), and ``normal``, ``randint_like``.

install(module) adds them to wick and wick.Tensor, each only where the C++ extension has no such name.
"""
import math

_ALIASES = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne"}

# In-place methods: name -> the out-of-place method it writes back. (Not the comparisons and logical ops:
# PyTorch's eq_ and kin keep self's autograd history in ways of their own.)
_INPLACE = {"clamp_min_": "clamp_min", "clamp_max_": "clamp_max", "index_add_": "index_add", "addmm_": "addmm",
            "addmv_": "addmv", "addbmm_": "addbmm", "baddbmm_": "baddbmm", "addr_": "addr"}

# PyTorch's function forms of in-place methods (torch.relu_(x) ...).
_FUNCTION_FORMS = ["abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
                   "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_",
                   "clip_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_",
                   "fill_", "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_",
                   "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
                   "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
                   "xlogy_", "zero_"]


def _recording(wick, self, args):
    """Whether autograd records an op on self and args (so self must be read from a copy)."""
    if not wick.is_grad_enabled():
        return False
    return self.requires_grad or any(isinstance(a, wick.Tensor) and a.requires_grad for a in args)


def _inplace_form(wick, name, op):
    def method(self, *args, **kwargs):
        src = self.clone() if _recording(wick, self, args) else self
        result = getattr(src, op)(*args, **kwargs)
        # As every in-place op: the result must keep self's kind (no float into an integer tensor).
        if (result.is_floating_point() and not self.is_floating_point()) or \
                (self.dtype == wick.bool and result.dtype != wick.bool):
            raise TypeError(f"{name}: result type {result.dtype} can't be cast to the desired output type {self.dtype}")
        return self.copy_(result)

    method.__name__ = name
    method.__doc__ = f"{name}(...) -> Tensor\n\nIn-place {op}: self = self.{op}(...); returns self. See wick.{op}."
    return method


def _function_form(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"{name}(input, ...) -> Tensor\n\ninput.{name}(...): see wick.Tensor.{name}."
    return function


def _random_fills(wick):
    """The in-place random fills, each a transform of uniform (or normal) numbers written into self."""

    def uniform_in(self, generator):
        u = wick.empty(self.shape, dtype=self.dtype if self.is_floating_point() else wick.float64, device=self.device)
        return u.uniform_(0.0, 1.0, generator=generator) if generator is not None else u.uniform_(0.0, 1.0)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fills self with Exp(lambd) samples: -log(1 - u) / lambd for uniform u."""
        if not lambd > 0:
            raise ValueError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        with wick.no_grad():
            return self.copy_(wick.log1p(-uniform_in(self, generator)) / -lambd)

    def geometric_(self, p, *, generator=None):
        """Fills self with Geometric(p) samples (trials until the first success: 1, 2, ...)."""
        if not 0 < p < 1:
            raise ValueError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        with wick.no_grad():
            u = uniform_in(self, generator)
            return self.copy_(wick.ceil(wick.log1p(-u) / math.log1p(-p)).clamp(min=1))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fills self with Cauchy(median, sigma) samples: median + sigma * tan(pi * (u - 1/2))."""
        with wick.no_grad():
            return self.copy_(median + sigma * wick.tan(math.pi * (uniform_in(self, generator) - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fills self with exp(N(mean, std)) samples."""
        with wick.no_grad():
            n = wick.empty(self.shape, dtype=self.dtype, device=self.device)
            n = n.normal_(mean, std, generator=generator) if generator is not None else n.normal_(mean, std)
            return self.copy_(n.exp())

    def random_(self, from_=0, to=None, *, generator=None):
        """Fills self with integers uniform in [from, to - 1] (to: by default the largest the dtype holds
        exactly, 2**24 for float32, 2**53 for float64, the dtype's maximum for integers)."""
        if to is None:
            limits = {wick.float32: 2 ** 24, wick.float64: 2 ** 53, wick.float16: 2 ** 11, wick.int32: 2 ** 31 - 1,
                      wick.int64: 2 ** 63 - 1, wick.uint8: 2 ** 8, wick.bool: 2}
            from_, to = (0, from_) if from_ else (0, limits.get(self.dtype, 2 ** 24))
        if to <= from_:
            raise ValueError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
        with wick.no_grad():
            kw = {"generator": generator} if generator is not None else {}
            return self.copy_(wick.randint(from_, to, tuple(self.shape), device=self.device, **kw))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fills self with 1 with probability p (a number or a tensor that broadcasts to self), else 0."""
        with wick.no_grad():
            probs = p if isinstance(p, wick.Tensor) else wick.full(tuple(self.shape), float(p), device=self.device)
            probs = probs.to(self.device, wick.float64).expand(self.shape)
            kw = {"generator": generator} if generator is not None else {}
            return self.copy_(wick.bernoulli(probs, **kw))

    return [exponential_, geometric_, cauchy_, log_normal_, random_, bernoulli_]


def _creation(wick):
    def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
        """normal(mean, std, size=None) -> Tensor

        Samples of N(mean, std): mean and std numbers (then size is required) or tensors that broadcast together.
        """
        kw = {"generator": generator} if generator is not None else {}
        tensors = [t for t in (mean, std) if isinstance(t, wick.Tensor)]
        if tensors:
            shape = wick.broadcast_shapes(*(t.shape for t in tensors))
            ref = tensors[0]
            with wick.no_grad():
                z = wick.randn(tuple(shape), dtype=ref.dtype, device=ref.device, **kw)
                return z * std + mean
        if size is None:
            raise TypeError("normal() with numbers for mean and std needs a size")
        out = wick.randn(tuple(size), dtype=dtype, device=device, **kw) * std + mean
        return out.requires_grad_(requires_grad)

    def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
        """randint_like(input, low=0, high) -> Tensor

        Random integers in [low, high) in input's shape, dtype and device (one number given: high, with low 0).
        """
        if high is None:
            low, high = 0, low
        return wick.randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                            device=device or input.device).requires_grad_(requires_grad)

    def multinomial(input, num_samples, replacement=False, *, generator=None):
        """multinomial(input, num_samples, replacement=False) -> Tensor

        num_samples category indices per row of input (1-D or 2-D non-negative weights, not necessarily
        summing to 1). With replacement: inverse-CDF sampling (a uniform number looked up in the running sum
        of the weights). Without: the num_samples largest of log(weight) + Gumbel noise, which draws
        categories one after another in proportion to the weights left (a category of weight 0 is never drawn).
        """
        if input.dim() not in (1, 2):
            raise ValueError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {tuple(input.shape)}")
        if not input.is_floating_point():
            raise TypeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype}")
        rows = input if input.dim() == 2 else input.unsqueeze(0)
        n = rows.shape[1]
        if num_samples <= 0:
            raise ValueError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
        if not replacement and num_samples > n:
            raise ValueError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                             f"({num_samples} > {n})")
        kw = {"generator": generator} if generator is not None else {}
        with wick.no_grad():
            w = rows.double()
            if bool((w < 0).any()) or not bool(wick.isfinite(w).all()):
                raise ValueError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
            positive = (w > 0).sum(1)
            if bool((positive == 0).any()):
                raise ValueError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
            if not replacement and bool((positive < num_samples).any()):
                raise ValueError("multinomial: invalid multinomial distribution (with replacement=False, not enough "
                                 "non-negative category to sample)")
            if replacement:
                cdf = w.cumsum(1)
                u = wick.rand((rows.shape[0], num_samples), dtype=wick.float64, device=input.device, **kw)
                picks = wick.searchsorted(cdf, u * cdf[:, -1:], right=True)
                # Rounding may carry u * total up to total: stay within the categories of weight > 0.
                last = n - 1 - (w.flip(1) > 0).to(wick.int64).argmax(1, keepdim=True)
                picks = wick.minimum(picks, last)
            else:
                u = wick.rand(tuple(w.shape), dtype=wick.float64, device=input.device, **kw)
                gumbel = -wick.log(-wick.log(u.clamp(min=1e-300)))
                picks = (w.log() + gumbel).topk(num_samples, dim=1).indices
        return picks if input.dim() == 2 else picks.squeeze(0)

    return [normal, randint_like, multinomial]


def install(wick):
    """Adds the forms to the module wick and to wick.Tensor where the extension has none of that name."""
    added = []
    for alias, name in _ALIASES.items():
        if not hasattr(wick, alias) and hasattr(wick, name):
            setattr(wick, alias, getattr(wick, name))
            added.append(alias)
        if not hasattr(wick.Tensor, alias) and hasattr(wick.Tensor, name):
            setattr(wick.Tensor, alias, getattr(wick.Tensor, name))
    for name, op in _INPLACE.items():
        if not hasattr(wick.Tensor, name) and hasattr(wick.Tensor, op):
            setattr(wick.Tensor, name, _inplace_form(wick, name, op))
    for fill in _random_fills(wick):
        if not hasattr(wick.Tensor, fill.__name__):
            setattr(wick.Tensor, fill.__name__, fill)
    for name in _FUNCTION_FORMS:
        if not hasattr(wick, name) and hasattr(wick.Tensor, name):
            setattr(wick, name, _function_form(name))
            added.append(name)
    for f in _creation(wick):
        if not hasattr(wick, f.__name__):
            setattr(wick, f.__name__, f)
            added.append(f.__name__)
    if not hasattr(wick.Tensor, "multinomial"):
        wick.Tensor.multinomial = wick.multinomial
    return added
