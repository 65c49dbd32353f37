"""PyTorch's compatibility surface: wick.backends (cudnn, mps, openmp, mkl,
mkldnn, opt_einsum, cuda), wick.accelerator, the legacy tensor types
(wick.FloatTensor ...) and wick.autograd.Variable, compared with torch where
it has the name and behaves the same, by hand where wick answers differently
on purpose (it does not use cuDNN, oneDNN or opt_einsum)."""
import doctest
import inspect
import warnings

import numpy
import pytest
import torch

import wick
import wick.accelerator
import wick.backends
import wick.backends.cudnn
import wick.backends.mkl
import wick.backends.mkldnn
import wick.backends.mps
import wick.backends.openmp
import wick.backends.opt_einsum
from wick import _legacy_types

HAS_GPU = wick.cuda.is_available()


@pytest.fixture
def unfrozen_flags(monkeypatch):
    """Restores the backends' freeze switch and flags after a test that changes them."""
    monkeypatch.setattr(wick.backends, "_mutation_allowed", True)
    saved = {m: dict(m._flags) for m in (wick.backends.cudnn, wick.backends.mkldnn, wick.backends.opt_einsum)}
    yield
    for module, flags in saved.items():
        module._flags.update(flags)


# ---- wick.backends.cudnn -----------------------------------------------------------------------------------


def test_cudnn_is_not_used_and_says_so():
    assert wick.backends.cudnn.is_available() is False
    assert wick.backends.cudnn.version() is None
    for doc in (wick.backends.cudnn.__doc__, wick.backends.cudnn.is_available.__doc__):
        assert "does not call cuDNN" in " ".join(doc.split())


def test_cudnn_flags_have_pytorchs_defaults():
    c, t = wick.backends.cudnn, torch.backends.cudnn
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(c, name) is getattr(t, name), name
    assert c.benchmark_limit is None  # as in a PyTorch without cuDNN
    if not t.is_available():
        assert t.benchmark_limit is None


def test_cudnn_flags_are_module_attributes(unfrozen_flags):
    import wick.backends.cudnn as cudnn

    cudnn.benchmark = True
    assert wick.backends.cudnn.benchmark is True
    from wick.backends.cudnn import benchmark
    assert benchmark is True
    wick.backends.cudnn.deterministic = True
    assert cudnn.deterministic is True
    cudnn.benchmark = False
    cudnn.deterministic = False
    assert wick.backends.cudnn.benchmark is False and wick.backends.cudnn.deterministic is False


def test_cudnn_flags_refuse_non_bools(unfrozen_flags):
    for value in (1, "yes", None):
        with pytest.raises(TypeError, match="benchmark must be a bool"):
            wick.backends.cudnn.benchmark = value
    assert wick.backends.cudnn.benchmark is False


def test_cudnn_flags_context_manager_matches_torch_and_restores(unfrozen_flags):
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    with wick.backends.cudnn.flags(), torch.backends.cudnn.flags():
        # PyTorch's defaults for flags(): enabled=False, allow_tf32=True ...
        assert [getattr(wick.backends.cudnn, n) for n in names] == [getattr(torch.backends.cudnn, n) for n in names]
    with wick.backends.cudnn.flags(enabled=True, benchmark=True, deterministic=True, allow_tf32=False):
        assert [getattr(wick.backends.cudnn, n) for n in names] == [True, True, True, False]
    assert [getattr(wick.backends.cudnn, n) for n in names] == [True, False, False, True]
    with pytest.raises(KeyError):
        with wick.backends.cudnn.flags(benchmark=True):
            raise KeyError("inside")
    assert wick.backends.cudnn.benchmark is False


def test_cudnn_set_flags_returns_what_restores():
    previous = wick.backends.cudnn.set_flags(_benchmark=True)
    try:
        assert previous == (True, False, None, False, True)
        assert wick.backends.cudnn.benchmark is True
    finally:
        wick.backends.cudnn.set_flags(*previous)
    assert wick.backends.cudnn.benchmark is False


def test_cudnn_is_acceptable_is_false():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wick.backends.cudnn.is_acceptable(wick.ones(2)) is False  # a CPU tensor: no warning
    assert torch.backends.cudnn.is_acceptable(torch.ones(2)) is False


def test_disable_global_flags_leaves_only_the_context_managers(unfrozen_flags):
    assert wick.backends.flags_frozen() is False
    wick.backends.disable_global_flags()
    assert wick.backends.flags_frozen() is True
    with pytest.raises(RuntimeError, match="disable_global_flags"):
        wick.backends.cudnn.benchmark = True
    with pytest.raises(RuntimeError, match="disable_global_flags"):
        wick.backends.mkldnn.enabled = False
    with wick.backends.cudnn.flags(benchmark=True):
        assert wick.backends.cudnn.benchmark is True
    assert wick.backends.cudnn.benchmark is False
    assert wick.backends.flags_frozen() is True


# ---- mps, openmp, mkl, mkldnn, opt_einsum --------------------------------------------------------------------


def test_mps_and_openmp_match_torch():
    assert wick.backends.mps.is_available() is False and wick.backends.mps.is_built() is False
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert wick.backends.openmp.is_available() is True
    assert torch.backends.openmp.is_available() is True
    assert "USE_OPENMP" in wick.backends.cpu.info()["blas"]["config"] or wick.get_num_threads() >= 1


def test_mkl_and_mkldnn_are_not_used():
    assert wick.backends.mkl.is_available() is False
    assert wick.backends.mkldnn.is_available() is False
    assert wick.backends.cpu.info()["blas"]["library"] == "OpenBLAS"
    with wick.backends.mkl.verbose(wick.backends.mkl.VERBOSE_OFF):
        pass
    with pytest.raises(RuntimeError, match="does not use MKL"):
        with wick.backends.mkl.verbose(wick.backends.mkl.VERBOSE_ON):
            pass
    with pytest.raises(RuntimeError, match="does not use oneDNN"):
        with wick.backends.mkldnn.verbose(wick.backends.mkldnn.VERBOSE_ON_CREATION):
            pass
    assert (wick.backends.mkl.VERBOSE_OFF, wick.backends.mkl.VERBOSE_ON) == (torch.backends.mkl.VERBOSE_OFF,
                                                                             torch.backends.mkl.VERBOSE_ON)


def test_mkldnn_enabled_flag_matches_torch(unfrozen_flags):
    assert wick.backends.mkldnn.enabled is torch.backends.mkldnn.enabled is True
    with wick.backends.mkldnn.flags(), torch.backends.mkldnn.flags():
        assert wick.backends.mkldnn.enabled is torch.backends.mkldnn.enabled is False
    assert wick.backends.mkldnn.enabled is True
    wick.backends.mkldnn.enabled = False
    assert wick.backends.mkldnn.enabled is False
    with pytest.raises(TypeError, match="bool"):
        wick.backends.mkldnn.enabled = 0


def test_opt_einsum_is_not_used(unfrozen_flags):
    o = wick.backends.opt_einsum
    assert (o.is_available(), o.get_opt_einsum(), o.enabled, o.strategy) == (False, None, False, None)
    if not torch.backends.opt_einsum.is_available():  # the same answers as a PyTorch without the package
        t = torch.backends.opt_einsum
        assert (t.get_opt_einsum(), t.enabled, t.strategy) == (None, False, None)
    with pytest.raises(ValueError, match="left to right"):
        o.enabled = True
    with pytest.raises(ValueError, match="left to right"):
        o.strategy = "greedy"
    with pytest.raises(ValueError):
        with o.flags(enabled=True):
            pass
    with o.flags(enabled=False):
        assert o.enabled is False
    o.enabled = False
    assert (o.enabled, o.strategy) == (False, None)


def test_backends_all_names_resolve():
    for name in wick.backends.__all__:
        assert hasattr(wick.backends, name), name
    for module in (wick.backends.cudnn, wick.backends.mkldnn, wick.backends.opt_einsum, wick.backends.mkl,
                   wick.backends.mps, wick.backends.openmp, wick.backends.cuda):
        for name in module.__all__:
            getattr(module, name)


# ---- wick.backends.cuda ---------------------------------------------------------------------------------------


def test_cuda_is_built_and_fp16_reduction_flag():
    assert wick.backends.cuda.is_built() is bool(wick._C._built_with_cuda)
    m = wick.backends.cuda.matmul
    assert m.allow_fp16_reduced_precision_reduction is True
    assert torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction is True
    try:
        m.allow_fp16_reduced_precision_reduction = False
        assert m.allow_fp16_reduced_precision_reduction is False
        with pytest.raises(TypeError, match="bool"):
            m.allow_fp16_reduced_precision_reduction = 0
    finally:
        m.allow_fp16_reduced_precision_reduction = True
    assert "allow_fp16_reduced_precision_reduction=True" in repr(m)


# ---- wick.accelerator -----------------------------------------------------------------------------------------


def test_accelerator_idiom_of_the_examples():
    device = wick.accelerator.current_accelerator().type if wick.accelerator.is_available() else "cpu"
    assert device == ("cuda" if HAS_GPU else "cpu")
    x = wick.ones(3, device=device)
    assert x.device.type == device


def test_accelerator_answers_follow_wick_cuda():
    acc = wick.accelerator.current_accelerator()
    if wick._C._built_with_cuda:
        assert acc == wick.device("cuda") and acc.type == "cuda"  # at build time, GPU or not (as PyTorch)
    else:
        assert acc is None
    assert wick.accelerator.is_available() is wick.cuda.is_available()
    assert wick.accelerator.current_accelerator(check_available=True) == (acc if HAS_GPU else None)
    assert wick.accelerator.device_count() == (wick.cuda.device_count() if wick._C._built_with_cuda else 0)


def test_accelerator_negative_and_none_indices_change_nothing():
    wick.accelerator.set_device_index(-1)
    with wick.accelerator.device_index(None):
        pass


def test_accelerator_deprecated_spellings_warn():
    with pytest.warns(FutureWarning, match="set_device_index"):
        wick.accelerator.set_device_idx(-1)
    if HAS_GPU:
        with pytest.warns(FutureWarning, match="current_device_index"):
            assert wick.accelerator.current_device_idx() == 0


def test_accelerator_refuses_other_device_kinds():
    with pytest.raises(ValueError, match="not a device of the accelerator"):
        wick.accelerator.set_device_index("cpu")
    with pytest.raises(TypeError, match="wick.device"):
        wick.accelerator.set_device_index(1.5)


@pytest.mark.skipif(HAS_GPU, reason="checks the answers without a GPU")
def test_accelerator_without_a_gpu_raises_clearly():
    with pytest.raises(RuntimeError, match="no accelerator is available"):
        wick.accelerator.current_device_index()
    with pytest.raises(RuntimeError, match="no accelerator is available"):
        wick.accelerator.synchronize()
    with pytest.raises(RuntimeError, match="no accelerator is available"):
        wick.accelerator.set_device_index(0)
    with pytest.raises(RuntimeError):
        wick.accelerator.memory_allocated()
    wick.accelerator.empty_cache()  # nothing to return


@pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU")
def test_accelerator_on_a_gpu():
    assert wick.accelerator.current_device_index() == 0
    wick.accelerator.set_device_index(0)
    wick.accelerator.set_device_index("cuda:0")
    with wick.accelerator.device_index(0):
        x = wick.ones(1 << 20, device="cuda")
    count = wick.accelerator.device_count()
    with pytest.raises(IndexError):
        wick.accelerator.set_device_index(count)
    if count > 1:
        with pytest.raises(NotImplementedError, match="no current device"):
            wick.accelerator.set_device_index(1)
    wick.accelerator.synchronize()
    wick.accelerator.synchronize(0)
    assert wick.accelerator.memory_allocated() == wick.cuda.memory_allocated() >= 4 << 20
    stats = wick.accelerator.memory_stats()
    assert list(stats) == sorted(stats)
    assert stats["allocated_bytes.all.current"] == wick.accelerator.memory_allocated()
    assert stats["allocated_bytes.all.peak"] == wick.accelerator.max_memory_allocated() >= 4 << 20
    assert stats["reserved_bytes.all.current"] == wick.accelerator.memory_reserved()
    assert stats["allocation.all.current"] == stats["allocation.all.allocated"] - stats["allocation.all.freed"]
    del x
    wick.accelerator.reset_peak_memory_stats()
    assert wick.accelerator.max_memory_allocated() == wick.accelerator.memory_allocated()
    wick.accelerator.empty_cache()


def test_accelerator_memory_submodule():
    import wick.accelerator.memory as memory

    assert memory is wick.accelerator.memory
    for name in memory.__all__:
        assert getattr(memory, name) is getattr(wick.accelerator, name)


def test_accelerator_names_follow_torch_where_wick_has_them():
    ours = set(wick.accelerator.__all__)
    assert {"current_accelerator", "current_device_index", "device_count", "device_index", "is_available",
            "set_device_index", "set_device_idx", "current_device_idx", "synchronize"} <= ours
    for name in ours:
        assert callable(getattr(wick.accelerator, name)), name


# ---- legacy tensor types --------------------------------------------------------------------------------------

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "IntTensor", "LongTensor",
          "BoolTensor"]


def _same(w, t):
    assert str(w.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(w.shape) == tuple(t.shape)


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_type_attributes_match_torch(name):
    w, t = getattr(wick, name), getattr(torch, name)
    assert w.__name__ == t.__name__ == name
    assert repr(w) == f"<class 'wick.{name}'>"
    assert str(w.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert w.is_cuda is t.is_cuda is False and w.is_sparse is t.is_sparse is False
    assert w.layout == wick.strided
    assert not issubclass(w, wick.Tensor) and not issubclass(t, torch.Tensor)
    cw, ct = getattr(wick.cuda, name), getattr(torch.cuda, name)
    assert cw.is_cuda is ct.is_cuda is True and cw.dtype == w.dtype
    assert repr(cw) == f"<class 'wick.cuda.{name}'>"


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructors_match_torch(name):
    w, t = getattr(wick, name), getattr(torch, name)
    _same(w(), t())
    _same(w(2, 3), t(2, 3))
    _same(w(0), t(0))
    _same(w(wick.Size([4, 1])), t(torch.Size([4, 1])))
    _same(w(size=(2, 5)), t(size=(2, 5)))
    _same(w(numpy.int64(3)), t(numpy.int64(3)))
    try:
        wick.tensor([1.0], dtype=w.dtype)
    except NotImplementedError:  # no CPU kernels for float16 / bfloat16 data yet: the same clear error
        with pytest.raises(NotImplementedError, match="no kernel"):
            w([1.0])
        return
    data = [[1, 0], [1, 1]]
    assert w(data).tolist() == t(data).tolist()
    assert w((1, 0, 1)).tolist() == t((1, 0, 1)).tolist()  # a tuple is data, not a size
    assert w(numpy.array([1, 0])).tolist() == t(numpy.array([1, 0])).tolist()


def test_legacy_data_conversion_matches_torch():
    assert wick.LongTensor([1.7, -2.5]).tolist() == torch.LongTensor([1.7, -2.5]).tolist()
    assert wick.FloatTensor([True, False]).tolist() == torch.FloatTensor([True, False]).tolist()
    assert wick.BoolTensor([2, 0]).tolist() == torch.BoolTensor([2, 0]).tolist()


def test_legacy_constructor_from_a_tensor_shares_memory():
    x = wick.ones(3, requires_grad=True)
    y = wick.FloatTensor(x)
    assert y.data_ptr() == x.data_ptr()
    tx = torch.ones(3, requires_grad=True)
    assert torch.FloatTensor(tx).requires_grad is y.requires_grad is True


def test_legacy_constructor_errors():
    with pytest.raises(TypeError, match="data must be a sequence"):
        wick.FloatTensor(2.5)
    with pytest.raises(TypeError, match="data must be a sequence"):
        torch.FloatTensor(2.5)
    with pytest.raises(TypeError, match="dtype wick.float32"):
        wick.FloatTensor(wick.ones(2, dtype=wick.float64))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="expects device type cpu"):
        wick.FloatTensor([1.0], device="cuda")
    with pytest.raises(TypeError, match="not both"):
        wick.FloatTensor(2, size=(2,))
    with pytest.raises(TypeError, match="requires_grad"):
        wick.FloatTensor([1.0], requires_grad=True)
    with pytest.raises(TypeError):
        torch.FloatTensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="negative"):
        wick.FloatTensor(-1)
    with pytest.raises(TypeError, match="tuple of ints"):
        wick.FloatTensor(2, "3")


def test_legacy_isinstance_matches_torch():
    cases = [("float32", "FloatTensor"), ("float64", "DoubleTensor"), ("int64", "LongTensor"),
             ("bool", "BoolTensor"), ("uint8", "ByteTensor")]
    for dtype, name in cases:
        w = wick.zeros(2, dtype=getattr(wick, dtype))
        t = torch.zeros(2, dtype=getattr(torch, dtype))
        for other in LEGACY:
            assert isinstance(w, getattr(wick, other)) is isinstance(t, getattr(torch, other)), (dtype, other)
            assert isinstance(w, getattr(wick.cuda, other)) is isinstance(t, getattr(torch.cuda, other)) is False
    assert isinstance(wick.nn.Parameter(wick.ones(2)), wick.FloatTensor)
    assert isinstance(torch.nn.Parameter(torch.ones(2)), torch.FloatTensor)
    assert not isinstance(3.0, wick.FloatTensor) and not isinstance([1.0], wick.FloatTensor)


def test_tensor_type_takes_legacy_types():
    x = wick.tensor([1.5, 2.5])
    assert x.type() == "wick.FloatTensor"
    y = x.type(wick.LongTensor)
    assert y.dtype == wick.int64 and y.tolist() == torch.tensor([1.5, 2.5]).type(torch.LongTensor).tolist()
    assert x.type(wick.FloatTensor) is x
    assert x.type("torch.DoubleTensor").dtype == wick.float64
    assert "legacy type" in wick.Tensor.type.__doc__


@pytest.mark.skipif(not HAS_GPU, reason="needs a CUDA GPU")
def test_cuda_legacy_types_on_a_gpu():
    x = wick.cuda.FloatTensor([1.0, 2.0])
    assert x.device.type == "cuda" and x.dtype == wick.float32
    assert isinstance(x, wick.cuda.FloatTensor) and not isinstance(x, wick.FloatTensor)
    assert wick.cuda.LongTensor(2, 3).shape == (2, 3)
    assert wick.cuda.IntTensor([1], device="cuda:0").dtype == wick.int32
    assert wick.ones(2).type(wick.cuda.DoubleTensor).device.type == "cuda"
    with pytest.raises(RuntimeError, match="expects device type cuda"):
        wick.cuda.FloatTensor([1.0], device="cpu")


def test_set_default_tensor_type_matches_torch():
    try:
        wick.set_default_tensor_type(wick.DoubleTensor)
        torch.set_default_tensor_type(torch.DoubleTensor)
        assert wick.get_default_dtype() == wick.float64 and torch.get_default_dtype() == torch.float64
        assert wick.tensor([1.5]).dtype == wick.float64
        wick.set_default_tensor_type("torch.FloatTensor")
        torch.set_default_tensor_type("torch.FloatTensor")
        assert wick.get_default_dtype() == wick.float32 and torch.get_default_dtype() == torch.float32
        wick.set_default_tensor_type("wick.DoubleTensor")
        assert wick.get_default_dtype() == wick.float64
    finally:
        wick.set_default_tensor_type(wick.FloatTensor)
        torch.set_default_tensor_type(torch.FloatTensor)
    assert wick.get_default_dtype() == wick.float32


def test_set_default_tensor_type_errors():
    with pytest.raises(TypeError, match="only floating-point types"):
        wick.set_default_tensor_type(wick.LongTensor)
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_tensor_type(torch.LongTensor)
    with pytest.raises(NotImplementedError, match="no default device"):
        wick.set_default_tensor_type(wick.cuda.FloatTensor)
    with pytest.raises(NotImplementedError, match="no default device"):
        wick.set_default_tensor_type("torch.cuda.FloatTensor")
    with pytest.raises(ValueError, match="invalid type name"):
        wick.set_default_tensor_type("torch.NoSuchTensor")
    with pytest.raises(TypeError, match="legacy tensor type"):
        wick.set_default_tensor_type(wick.float64)
    with pytest.raises(TypeError, match="float32 and float64"):
        wick.set_default_tensor_type(wick.HalfTensor)
    assert wick.get_default_dtype() == wick.float32


def test_legacy_names_are_exported():
    for name in LEGACY + ["set_default_tensor_type", "accelerator"]:
        assert name in wick.__all__, name
    assert "ShortTensor" not in dir(wick) and "CharTensor" not in dir(wick)  # wick has no int16 / int8


# ---- wick.autograd.Variable -----------------------------------------------------------------------------------


def test_variable_matches_torch():
    from torch.autograd import Variable as TV

    from wick.autograd import Variable as WV

    w, t = WV(wick.ones(2)), TV(torch.ones(2))
    assert type(w) is wick.Tensor and type(t) is torch.Tensor
    assert w.requires_grad is t.requires_grad is False
    w, t = WV(wick.ones(2), requires_grad=True), TV(torch.ones(2), requires_grad=True)
    assert w.requires_grad is t.requires_grad is True and w.is_leaf and t.is_leaf
    (w * 3).sum().backward()
    (t * 3).sum().backward()
    assert w.grad.tolist() == t.grad.tolist()
    base = wick.ones(2, requires_grad=True)
    v = WV(base * 2)
    assert v.requires_grad is TV(torch.ones(2, requires_grad=True) * 2).requires_grad is False
    assert isinstance(wick.ones(1), WV) and isinstance(torch.ones(1), TV)
    assert tuple(WV().shape) == tuple(TV().shape) == (0,)
    with pytest.raises(TypeError, match="has to be a tensor"):
        WV([1.0, 2.0])
    with pytest.raises(TypeError):
        TV([1.0, 2.0])
    x = wick.zeros(2)
    WV(x).add_(1)  # shares x's memory, as in PyTorch
    assert x.tolist() == [1.0, 1.0]


# ---- the examples in these modules' docstrings (test_docstrings covers wick's own namespaces) ----------------


def _examples():
    modules = [wick.accelerator, wick.backends, wick.backends.cuda, wick.backends.cudnn, wick.backends.mkl,
               wick.backends.mkldnn, wick.backends.mps, wick.backends.openmp, wick.backends.opt_einsum,
               _legacy_types]
    out, seen = [], set()
    for module in modules:
        objs = [(module.__name__, module)] + [(f"{module.__name__}.{n}", o) for n, o in vars(module).items()
                                              if not n.startswith("_") and (inspect.isfunction(o) or
                                                                            inspect.isclass(o))]
        for name, obj in objs:
            doc = inspect.getdoc(obj) if not inspect.ismodule(obj) else obj.__doc__
            if doc and ">>>" in doc and doc not in seen:
                seen.add(doc)
                out.append((name, doc))
    return out


EXAMPLES = _examples()


def test_examples_are_found():
    assert len(EXAMPLES) >= 8, [name for name, _ in EXAMPLES]


@pytest.mark.parametrize("name,doc", EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_docstring_example(name, doc):
    test = doctest.DocTestParser().get_doctest(doc, {"wick": wick}, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    assert runner.run(test, out=report.append).failed == 0, "".join(report)
