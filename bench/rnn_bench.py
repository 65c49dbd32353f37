#!/usr/bin/env python3
"""LSTM training steps, wick vs PyTorch (torch.nn.LSTM) in one process, on the
main job's two recurrent models:

  fmnist:  LSTM(28, 128) over 28 steps (Fashion-MNIST rows), batch 64, batch_first
  char:    Embedding(65, 256) + 2-layer LSTM(256) over a character sequence, batch_first
           (case char<T>[b<B>]: T steps, batch B, default 32)

Each timing is forward + backward (loss = sum of the output times a fixed
random tensor, gradients of every weight), best of `--reps` after a warm-up;
the two frameworks run in turn, so a burst of load on a shared machine hits
both alike. Prints one line per case: milliseconds for each and the ratio
wick / torch (below 1: wick is faster). Both use the same threads
(OMP_NUM_THREADS, default here 2).

  OMP_NUM_THREADS=2 python3 bench/rnn_bench.py [--reps 10] [--cases fmnist,char128,char200]

On a machine other jobs keep busy, add OMP_WAIT_POLICY=passive: OpenMP
threads that spin at each barrier while the cores are taken make steps of
both frameworks 10-100x slower and the numbers meaningless.

Run it with a Python that imports both wick and torch (e.g. the build venv:
build-<dir>/venv/bin/python bench/rnn_bench.py).
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import wick  # noqa: E402


def make_case(name):
    """(description, torch step, wick step): each step runs forward + backward once."""
    rng = np.random.default_rng(0)
    if name == "fmnist":
        B, T, I, H, layers, vocab = 64, 28, 28, 128, 1, None
    elif name.startswith("char"):  # char<T>[b<B>], e.g. char200b64
        steps, _, batch = name[4:].partition("b")
        B, T, I, H, layers, vocab = int(batch or 32), int(steps), 256, 256, 2, 65
    else:
        raise SystemExit(f"unknown case {name}")
    torch.manual_seed(0)
    t_lstm = torch.nn.LSTM(I, H, num_layers=layers, batch_first=True)
    weights = [p.detach().numpy().copy() for p in t_lstm._flat_weights]
    w_params = [wick.tensor(a, requires_grad=True) for a in weights]
    g = rng.standard_normal((B, T, H)).astype("float32")
    t_g, w_g = torch.tensor(g), wick.tensor(g)
    if vocab:
        idx = rng.integers(0, vocab, (B, T))
        emb = rng.standard_normal((vocab, I)).astype("float32")
        t_emb = torch.tensor(emb, requires_grad=True)
        w_emb = wick.tensor(emb, requires_grad=True)
        t_idx, w_idx = torch.tensor(idx), wick.tensor(idx)
        t_input = lambda: torch.nn.functional.embedding(t_idx, t_emb)  # noqa: E731
        w_input = lambda: wick.embedding(w_emb, w_idx)  # noqa: E731
        desc = f"char: Embedding({vocab},{I}) + LSTM({I},{H},num_layers={layers}) T={T} B={B}"
    else:
        x = rng.standard_normal((B, T, I)).astype("float32")
        t_x, w_x = torch.tensor(x), wick.tensor(x)
        t_input = lambda: t_x  # noqa: E731
        w_input = lambda: w_x  # noqa: E731
        desc = f"fmnist: LSTM({I},{H}) T={T} B={B}"

    def torch_step():
        for p in t_lstm.parameters():
            p.grad = None
        out, _ = t_lstm(t_input())
        (out * t_g).sum().backward()

    def wick_step():
        for p in w_params:
            p.grad = None
        out, _, _ = wick.lstm(w_input(), None, w_params, True, layers, 0.0, True, False, True)
        (out * w_g).sum().backward()

    return desc, torch_step, wick_step


def best_of(step, reps, clock):
    best = float("inf")
    for _ in range(reps):
        start = clock()
        step()
        best = min(best, clock() - start)
    return best * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--cases", default="fmnist,char128,char200")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: the process's CPU time, steadier than wall time on a busy machine "
                             "(with one thread, or with OMP_WAIT_POLICY=passive)")
    args = parser.parse_args()
    threads = int(os.environ["OMP_NUM_THREADS"])
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(threads)
    wick.set_num_threads(threads)
    print(f"threads={threads} clock={args.clock} torch={torch.__version__} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    print(f"{'case':<62} {'wick ms':>9} {'torch ms':>9} {'ratio':>6}")
    for name in args.cases.split(","):
        desc, torch_step, wick_step = make_case(name)
        torch_step()
        wick_step()
        w_ms, t_ms = float("inf"), float("inf")
        for _ in range(2):  # in turn, twice
            t_ms = min(t_ms, best_of(torch_step, max(1, args.reps // 2), clock))
            w_ms = min(w_ms, best_of(wick_step, max(1, args.reps // 2), clock))
        print(f"{desc:<62} {w_ms:9.2f} {t_ms:9.2f} {w_ms / t_ms:6.2f}")


if __name__ == "__main__":
    main()
