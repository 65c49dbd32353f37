"""wick's C++ errors reach Python as the exception types PyTorch users expect,
with their messages intact (shapes, dtypes and what was expected)."""
import pytest

import wick


def test_value_error_for_shape_mismatch():
    with pytest.raises(ValueError) as e:
        wick.ones(2, 3) + wick.ones(4)
    assert "[2, 3]" in str(e.value) and "[4]" in str(e.value)
    with pytest.raises(ValueError, match="shape"):
        wick.ones(6).view(4, 2)


def test_matmul_shape_errors_name_the_shapes():
    with pytest.raises(ValueError) as e:
        wick.ones(64, 784) @ wick.ones(128, 10)
    assert "[64, 784]" in str(e.value) and "[128, 10]" in str(e.value)


def test_type_error_for_wrong_dtype():
    with pytest.raises(TypeError, match="float32"):
        wick.tensor([1.0]) & wick.tensor([1.0])
    with pytest.raises(TypeError, match="same dtype"):
        wick.ones(2, 2) @ wick.ones(2, 2, dtype=wick.float64)
    with pytest.raises(TypeError):
        wick.zeros(2, dtype="float32")  # a dtype must be a wick.dtype
    with pytest.raises(TypeError, match="argument 'size' must be tuple of ints"):
        wick.zeros(2.5)


def test_index_error_for_bad_dims_and_indices():
    with pytest.raises(IndexError, match="out of range"):
        wick.ones(2, 3).sum(2)
    with pytest.raises(IndexError):
        wick.ones(2, 3).transpose(0, 5)
    with pytest.raises(IndexError):
        wick.ones(3).index_select(0, wick.tensor([3]))


def test_not_implemented_error():
    with pytest.raises(NotImplementedError, match="float16"):
        wick.ones(2, dtype=wick.float16) + 1


def test_runtime_error_for_everything_else():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place operation"):
        wick.ones(2, requires_grad=True).add_(1)
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        if wick.ones(2):
            pass


def test_errors_are_plain_python_exceptions():
    # Not a pybind11 wrapper type: the builtin classes themselves (shape errors: a
    # subclass of both ValueError and RuntimeError, see the test below).
    try:
        wick.ones(2) + wick.ones(3)
    except Exception as e:  # noqa: BLE001
        assert type(e).__mro__[1:] == (ValueError, RuntimeError, Exception, BaseException, object)
    try:
        wick.ones(2)[5]
    except Exception as e:  # noqa: BLE001
        assert type(e) is IndexError


def test_shape_errors_are_value_errors_and_runtime_errors():
    # PyTorch raises RuntimeError for these; wick's is also a ValueError, which is what the mistake is.
    a, b = wick.ones(2, 3), wick.ones(4, 5)
    for catch in (RuntimeError, ValueError):
        with pytest.raises(catch, match=r"cannot be multiplied"):
            a @ b
    with pytest.raises(RuntimeError) as info:
        a + wick.ones(4)
    assert type(info.value).__name__ == "ValueError" and type(info.value).__module__ == "wick"
    assert "ValueError" not in dir(wick)  # never shadows the builtin through `from wick import *`


def test_resampling_to_huge_sizes_names_the_op_not_a_cpp_library():
    # Was ValueError("vector::_M_default_append"), or the process killed for
    # memory while index tables for a 2**62-element output were being built.
    F = wick.nn.functional
    x1, x2 = wick.ones(1, 1, 1), wick.ones(1, 1, 1, 1)
    with pytest.raises(ValueError, match=r"^interpolate: .* would take more than 2\*\*62 bytes"):
        F.interpolate(x1, size=2**62)
    with pytest.raises(ValueError, match=r"^interpolate: "):
        F.interpolate(x2, size=(2**31, 2**31))
    with pytest.raises(RuntimeError, match="out of memory"):
        F.interpolate(x1, size=2**40)  # 4 TiB: refused by the allocator, before any table
    for s in (1e30, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"^interpolate: scale_factor .* not a finite size"):
            F.interpolate(x1, scale_factor=s)
    for mode in ("constant", "replicate", "reflect", "circular"):
        with pytest.raises(ValueError, match=r"^pad: "):
            F.pad(wick.ones(1, 1, 2), (2**62, 2**62), mode=mode)
    with pytest.raises(ValueError, match=r"^pad: size .* is too large"):
        F.pad(wick.ones(1, 1, 2), (2**61, 2**61), mode="replicate")


def test_cross_entropy_float_target_of_the_wrong_shape_names_the_shapes():
    F = wick.nn.functional
    with pytest.raises(ValueError) as e:
        F.cross_entropy(wick.randn(4, 3), wick.randn(5, 3))
    msg = str(e.value)
    assert "must have the input's shape [4, 3]" in msg and "[5, 3]" in msg and "int64 target of shape [4]" in msg
    with pytest.raises(ValueError, match=r"int64 target of shape \[4, 5\]"):
        F.cross_entropy(wick.randn(4, 3, 5), wick.randn(4, 5))
    with pytest.raises(ValueError, match=r"int64 target of shape \[\]"):
        F.cross_entropy(wick.randn(3), wick.randn(2))
    # Soft labels of the input's shape and class indices still work.
    F.cross_entropy(wick.randn(4, 3), wick.softmax(wick.randn(4, 3), 1))
    F.cross_entropy(wick.randn(4, 3), wick.tensor([0, 1, 2, 0]))


def test_read_only_foreign_memory_stays_read_only(tmp_path):
    # Note [Read-only foreign memory]: shared without a copy, never written.
    import numpy as np
    raw = bytes(16)
    t = wick.from_numpy(np.frombuffer(raw, dtype=np.float32))
    for write in (lambda: t.add_(1), lambda: t.zero_(), lambda: t.copy_(wick.ones(4)), lambda: t.__setitem__(0, 5.0),
                  lambda: t[1:].mul_(2), lambda: t.uniform_(), lambda: t.view(2, 2).fill_(1)):
        with pytest.raises(RuntimeError, match=r"read-only memory .* clone\(\) it first"):
            write()
    assert raw == bytes(16)
    assert (t + 1).tolist() == [1.0] * 4 and t.clone().add_(1).tolist() == [1.0] * 4
    a = t.numpy()
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = 1.0  # NumPy's own refusal
    path = tmp_path / "data.bin"
    np.arange(6, dtype=np.float32).tofile(path)
    m = wick.as_tensor(np.memmap(path, dtype=np.float32, mode="r"))
    with pytest.raises(RuntimeError, match="read-only memory"):
        m.sub_(1)
    assert m.sum().item() == 15.0
    p = wick.nn.Parameter(wick.from_numpy(np.frombuffer(bytes(8), dtype=np.float32)))
    p.grad = wick.ones(2)
    with pytest.raises(RuntimeError, match="read-only memory"):
        wick.optim.SGD([p], lr=0.1).step()
    # A writable array is still shared both ways.
    w = np.zeros(3, dtype=np.float32)
    wick.from_numpy(w).add_(2)
    assert w.tolist() == [2.0] * 3 and wick.from_numpy(w).numpy().flags.writeable


def test_dlpack_shapes_that_overflow_are_refused():
    # A capsule whose shape's product passes 2**63 gave a tensor of numel 0.
    import ctypes

    class DLTensor(ctypes.Structure):
        _fields_ = [("data", ctypes.c_void_p), ("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32),
                    ("ndim", ctypes.c_int32), ("code", ctypes.c_uint8), ("bits", ctypes.c_uint8),
                    ("lanes", ctypes.c_uint16), ("shape", ctypes.POINTER(ctypes.c_int64)),
                    ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]

    class DLManagedTensor(ctypes.Structure):
        _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]

    buf = (ctypes.c_float * 4)()
    new_capsule = ctypes.pythonapi.PyCapsule_New
    new_capsule.restype, new_capsule.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    for shape, strides, match in [((2**32, 2**32), None, r"from_dlpack: size \[4294967296, 4294967296\] is too large"),
                                  ((2**31, 4), (2**62, 1), r"from_dlpack: shape .* reaches past 2\*\*63")]:
        dims = (ctypes.c_int64 * 2)(*shape)
        st = (ctypes.c_int64 * 2)(*strides) if strides else None
        managed = DLManagedTensor(DLTensor(ctypes.cast(buf, ctypes.c_void_p), 1, 0, 2, 2, 32, 1, dims,
                                           ctypes.cast(st, ctypes.POINTER(ctypes.c_int64)) if st else None, 0),
                                  None, None)
        capsule = new_capsule(ctypes.addressof(managed), b"dltensor", None)
        with pytest.raises(ValueError, match=match):
            wick.from_dlpack(capsule)
