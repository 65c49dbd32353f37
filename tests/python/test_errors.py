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
