#!/usr/bin/env python3
"""The nn layers added for PyTorch's API breadth (issue 17), wick vs PyTorch: most are composed in Python of
wick's ops, so this measures what that composition costs against PyTorch's native kernels; forward
("fwd", under no_grad) and forward + backward ("fwd+bwd"), float32. Same runner as conv_bench.py: each
framework in its own process, in turn, best of --reps.

  OMP_NUM_THREADS=2 python3 bench/nn_layers_bench.py [--reps 20] [--cases conv3d,sdpa,...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_bench import main  # noqa: E402


def embedding_bag_inputs(lib, weight):
    gen = lib.Generator().manual_seed(0)
    index = lib.randint(0, weight.shape[0], (4096,), generator=gen)
    offsets = lib.arange(0, 4096, 16)
    return weight, index, offsets


_LAYERS = {}


def encoder_layer(lib):
    # Made once per process, outside the timing.
    if lib not in _LAYERS:
        lib.manual_seed(0)
        _LAYERS[lib] = lib.nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)
    return _LAYERS[lib]


CASES = {
    # name: (description, input shapes, which need grad, fn(lib, *inputs)[, prepare(lib, *inputs)])
    "conv3d": ("conv3d [4, 8, 16, 16, 16] * [16, 8, 3, 3, 3]", [(4, 8, 16, 16, 16), (16, 8, 3, 3, 3)],
               [True, True], lambda L, x, w: L.nn.functional.conv3d(x, w, padding=1)),
    "conv_transpose1d": ("conv_transpose1d [16, 32, 256] * [32, 16, 4] stride 2", [(16, 32, 256), (32, 16, 4)],
                         [True, True], lambda L, x, w: L.nn.functional.conv_transpose1d(x, w, stride=2)),
    "max_pool3d": ("max_pool3d [4, 16, 16, 32, 32] k3 s2", [(4, 16, 16, 32, 32)], [True],
                   lambda L, x: L.nn.functional.max_pool3d(x, 3, 2)),
    "adaptive_max_pool2d": ("adaptive_max_pool2d [16, 64, 28, 28] -> 7x7", [(16, 64, 28, 28)], [True],
                            lambda L, x: L.nn.functional.adaptive_max_pool2d(x, 7)),
    "sdpa": ("scaled_dot_product_attention [8, 8, 256, 64] causal", [(8, 8, 256, 64)] * 3, [True] * 3,
             lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)),
    "instance_norm": ("instance_norm [16, 64, 32, 32]", [(16, 64, 32, 32)], [True],
                      lambda L, x: L.nn.functional.instance_norm(x)),
    "rms_norm": ("rms_norm [64, 128, 512]", [(64, 128, 512)], [True],
                 lambda L, x: L.nn.functional.rms_norm(x, (512,))),
    "hardswish": ("hardswish [1 << 22]", [(1 << 22,)], [True], lambda L, x: L.nn.functional.hardswish(x)),
    "mish": ("mish [1 << 22]", [(1 << 22,)], [True], lambda L, x: L.nn.functional.mish(x)),
    "kl_div": ("kl_div [256, 1000] batchmean", [(256, 1000), (256, 1000)], [True, False],
               lambda L, a, b: L.nn.functional.kl_div(a.log_softmax(-1), b.softmax(-1), reduction="batchmean")),
    "ctc_loss": ("ctc_loss T=50 N=16 C=20 S=10", [(50, 16, 20)], [True],
                 lambda L, x: L.nn.functional.ctc_loss(x.log_softmax(-1), L.ones(16, 10, dtype=L.long),
                                                       [50] * 16, [10] * 16)),
    "embedding_bag": ("embedding_bag [10000, 64], 4096 indices in bags of 16", [(10000, 64)], [True, False, False],
                      lambda L, w, i, o: L.nn.functional.embedding_bag(i, w, o, mode="mean"),
                      embedding_bag_inputs),
    "transformer_layer": ("TransformerEncoderLayer d=256 h=8 [32, 64, 256]", [(32, 64, 256)], [True],
                          lambda L, x: encoder_layer(L)(x)),
}

if __name__ == "__main__":
    main(CASES, __file__, namespace="lib", doc=__doc__)
