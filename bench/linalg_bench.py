#!/usr/bin/env python3
"""torch.linalg, wick vs PyTorch: factorizations and solves of one large matrix (OpenBLAS threads each
routine) and of a batch of small ones (wick splits the batch across its threads), forward ("fwd", under
no_grad) and forward + backward ("fwd+bwd"), float32. Inputs are made well-conditioned once, outside the
timing. Same runner as conv_bench.py: each framework in its own process, in turn, best of --reps.

  OMP_NUM_THREADS=2 python3 bench/linalg_bench.py [--reps 20] [--cases solve256,svd_small,...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_bench import main  # noqa: E402


def spd(lib, x):
    n = x.shape[-1]
    return (x @ x.transpose(-2, -1) + n * lib.eye(n),)


def shifted(lib, x, *rest):
    n = x.shape[-1]
    return (x + 2 * n ** 0.5 * lib.eye(n),) + rest


def symmetric(lib, x):
    return ((x + x.transpose(-2, -1)) / 2,)


CASES = {
    # name: (description, input shapes, which need grad, fn(lib, *inputs), prepare(lib, *inputs))
    "solve256": ("solve [256, 256] x [256, 32]", [(256, 256), (256, 32)], [True, True],
                 lambda L, a, b: L.linalg.solve(a, b), shifted),
    "inv256": ("inv [256, 256]", [(256, 256)], [True], lambda L, a: L.linalg.inv(a), shifted),
    "det256": ("det [256, 256]", [(256, 256)], [True], lambda L, a: L.linalg.det(a / 16), shifted),
    "cholesky256": ("cholesky [256, 256]", [(256, 256)], [True], lambda L, a: L.linalg.cholesky(a), spd),
    "qr256": ("qr [256, 128]", [(256, 128)], [True], lambda L, a: L.linalg.qr(a).Q),
    "eigh256": ("eigh [256, 256]", [(256, 256)], [True], lambda L, a: L.linalg.eigh(a).eigenvalues, symmetric),
    "svd256": ("svdvals [256, 128]", [(256, 128)], [True], lambda L, a: L.linalg.svdvals(a)),
    "lstsq256": ("lstsq [256, 64] x [256, 8]", [(256, 64), (256, 8)], [True, True],
                 lambda L, a, b: L.linalg.lstsq(a, b).solution),
    "solve_small": ("solve [512, 8, 8] x [512, 8, 1]", [(512, 8, 8), (512, 8, 1)], [True, True],
                    lambda L, a, b: L.linalg.solve(a, b), shifted),
    "cholesky_small": ("cholesky [512, 8, 8]", [(512, 8, 8)], [True], lambda L, a: L.linalg.cholesky(a), spd),
    "eigh_small": ("eigh [512, 8, 8]", [(512, 8, 8)], [True], lambda L, a: L.linalg.eigh(a).eigenvalues, symmetric),
    "svd_small": ("svdvals [512, 8, 6]", [(512, 8, 6)], [True], lambda L, a: L.linalg.svdvals(a)),
    "norm": ("vector_norm [1024, 1024]", [(1024, 1024)], [True], lambda L, a: L.linalg.vector_norm(a)),
    "matrix_exp": ("matrix_exp [64, 16, 16]", [(64, 16, 16)], [True], lambda L, a: L.linalg.matrix_exp(a / 4)),
}

if __name__ == "__main__":
    main(CASES, __file__, namespace="lib", doc=__doc__)
