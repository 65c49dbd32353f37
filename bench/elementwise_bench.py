#!/usr/bin/env python3
"""Elementwise transcendental ops on 4M float32 elements, wick vs PyTorch: the loops of Note [Vectorized
float math] (backends/cpu/vec_math.h) against PyTorch's vectorized (Sleef) kernels; forward ("fwd", under
no_grad) and forward + backward ("fwd+bwd"). Same runner as conv_bench.py: each framework in its own
process, in turn, best of --reps.

  OMP_NUM_THREADS=1 python3 bench/elementwise_bench.py --torch-python /work/bench-venv/bin/python
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_bench import main  # noqa: E402

N = 1 << 22


def _case(name, fn):
    return (f"{name} [4M]", [(N,)], [True], fn)


CASES = {
    "exp": _case("exp", lambda L, x: L.exp(x)),
    "expm1": _case("expm1", lambda L, x: L.expm1(x)),
    "log1p": _case("log1p of |x|", lambda L, x: L.log1p(x.abs())),
    "tanh": _case("tanh", lambda L, x: L.tanh(x)),
    "sigmoid": _case("sigmoid", lambda L, x: L.sigmoid(x)),
    "silu": _case("silu", lambda L, x: L.nn.functional.silu(x)),
    "elu": _case("elu", lambda L, x: L.nn.functional.elu(x)),
    "gelu": _case("gelu", lambda L, x: L.nn.functional.gelu(x)),
    "gelu_tanh": _case("gelu(approximate='tanh')", lambda L, x: L.nn.functional.gelu(x, approximate="tanh")),
    "softplus": _case("softplus", lambda L, x: L.nn.functional.softplus(x)),
    "logsigmoid": _case("logsigmoid", lambda L, x: L.nn.functional.logsigmoid(x)),
    "erf": _case("erf", lambda L, x: L.erf(x)),
}

if __name__ == "__main__":
    main(CASES, __file__, namespace="lib", doc=__doc__)
