"""wick.backends: the backend switches under PyTorch's names."""
import pytest
import torch

import wick


def test_cuda_matmul_allow_tf32_round_trips_and_defaults_false():
    assert wick.backends.cuda.matmul.allow_tf32 is False  # PyTorch's default since 1.12
    assert torch.backends.cuda.matmul.allow_tf32 is False
    try:
        wick.backends.cuda.matmul.allow_tf32 = True
        assert wick.backends.cuda.matmul.allow_tf32 is True
        assert wick._C._cuda_allow_tf32() is True  # the one process-wide flag the CUDA backend reads
        wick.backends.cuda.matmul.allow_tf32 = False
        assert wick.backends.cuda.matmul.allow_tf32 is False
        assert wick._C._cuda_allow_tf32() is False
    finally:
        wick.backends.cuda.matmul.allow_tf32 = False


def test_cuda_matmul_refuses_unknown_attributes_and_non_bools():
    with pytest.raises(AttributeError):
        wick.backends.cuda.matmul.allow_tf16 = True
    with pytest.raises(TypeError, match="bool"):
        wick.backends.cuda.matmul.allow_tf32 = 1
    assert wick.backends.cuda.matmul.allow_tf32 is False


def test_tf32_leaves_products_exact_where_it_does_not_apply(device):
    # float64 never uses TF32, whatever the switch; float32 with the switch
    # off matches PyTorch's float32 CPU product to float32 precision.
    rng = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 48, generator=rng, dtype=torch.float64), torch.randn(48, 32, generator=rng,
                                                                                  dtype=torch.float64)
    want = (a @ b).numpy()
    try:
        wick.backends.cuda.matmul.allow_tf32 = True
        got = (wick.tensor(a.numpy(), device=device) @ wick.tensor(b.numpy(), device=device)).cpu().numpy()
        assert abs(got - want).max() < 1e-12
    finally:
        wick.backends.cuda.matmul.allow_tf32 = False
    got32 = (wick.tensor(a.float().numpy(), device=device) @ wick.tensor(b.float().numpy(), device=device)).cpu()
    assert abs(got32.numpy() - want).max() < 1e-4
