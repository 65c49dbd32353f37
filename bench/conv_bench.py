#!/usr/bin/env python3
"""Convolution and pooling, wick vs PyTorch, on the layers of the main job's
Fashion-MNIST CNN (batch 64):

  conv1:  conv2d([64, 1, 28, 28], [32, 1, 3, 3], padding=1)    (input needs no gradient)
  pool1:  max_pool2d([64, 32, 28, 28], 2)
  conv2:  conv2d([64, 32, 14, 14], [64, 32, 3, 3], padding=1)
  pool2:  max_pool2d([64, 64, 14, 14], 2)
  trunk:  conv1 + relu + pool1 + conv2 + relu + pool2
  bn:     batch_norm([64, 32, 28, 28]) in training mode, with weight and bias

Each case is timed forward only ("fwd", under no_grad) and forward + backward
("fwd+bwd": y.backward(g) with a fixed random g, gradients of every input
that requires one), best of `--reps` after a warm-up; the two frameworks run
in turn, so a burst of load on a shared machine hits both alike. Prints
milliseconds for each and the ratio wick / torch (below 1: wick is faster).
Both use the same threads (OMP_NUM_THREADS, default here 2).

Each framework runs in a process of its own, and imports before NumPy: once
torch or NumPy is loaded, their libopenblas.so.0 (OpenBLAS's pthread build)
is the one the dynamic loader hands wick too (same soname), and wick's gemms
inside its OpenMP regions then fight OpenBLAS's own thread pool.

With --cpu-time the timings are the process's CPU time instead of wall time:
on a machine shared with other work, CPU time with one thread
(OMP_NUM_THREADS=1) is the steadiest measure of the work each framework does.

  OMP_NUM_THREADS=2 python3 bench/conv_bench.py [--reps 20] [--cases conv1,conv2,...]

Run it with a Python that imports wick and one that imports torch (the same
one, e.g. the build venv: build-<dir>/venv/bin/python bench/conv_bench.py).
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

CASES = {
    # name: (description, input shapes, which inputs need grad, fn(functional, *inputs))
    "conv1": ("conv2d 1->32 3x3 pad 1, [64, 1, 28, 28]", [(64, 1, 28, 28), (32, 1, 3, 3), (32,)], [False, True, True],
              lambda f, x, w, b: f.conv2d(x, w, b, padding=1)),
    "pool1": ("max_pool2d 2, [64, 32, 28, 28]", [(64, 32, 28, 28)], [True], lambda f, x: f.max_pool2d(x, 2)),
    "conv2": ("conv2d 32->64 3x3 pad 1, [64, 32, 14, 14]", [(64, 32, 14, 14), (64, 32, 3, 3), (64,)],
              [True, True, True], lambda f, x, w, b: f.conv2d(x, w, b, padding=1)),
    "pool2": ("max_pool2d 2, [64, 64, 14, 14]", [(64, 64, 14, 14)], [True], lambda f, x: f.max_pool2d(x, 2)),
    "trunk": ("conv1+relu+pool1+conv2+relu+pool2", [(64, 1, 28, 28), (32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,)],
              [False, True, True, True, True],
              lambda f, x, w1, b1, w2, b2: f.max_pool2d(
                  f.conv2d(f.max_pool2d(f.conv2d(x, w1, b1, padding=1).relu(), 2), w2, b2, padding=1).relu(), 2)),
    "bn": ("batch_norm train, [64, 32, 28, 28]", [(64, 32, 28, 28), (32,), (32,)], [True, True, True],
           lambda f, x, w, b: f.batch_norm(x, None, None, w, b, training=True)),
}


def make_steps(lib, functional, shapes, needs_grad, fn, seed=0, prepare=None):
    """The timed steps of one case; `prepare(lib, *inputs)`, when given, turns the random inputs into the ones
    the case needs (e.g. well-conditioned matrices) before they become leaves."""
    import numpy as np  # after the framework (see worker)

    rng = np.random.default_rng(seed)
    inputs = [lib.tensor(rng.standard_normal(s).astype("float32")) for s in shapes]
    if prepare is not None:
        inputs = list(prepare(lib, *inputs))
    inputs = [t.detach().contiguous().requires_grad_(g) for t, g in zip(inputs, needs_grad)]
    with lib.no_grad():
        out_shape = tuple(fn(functional, *inputs).shape)
    grad = lib.tensor(rng.standard_normal(out_shape).astype("float32"))

    def forward():
        with lib.no_grad():
            fn(functional, *inputs)

    def forward_backward():
        for t in inputs:
            t.grad = None
        fn(functional, *inputs).backward(grad)

    return {"fwd": forward, "fwd+bwd": forward_backward}


def best_of(step, reps, clock):
    best = float("inf")
    for _ in range(reps):
        start = clock()
        step()
        best = min(best, clock() - start)
    return best * 1e3


def worker(framework, cases, reps, cpu_time, table=None, namespace="functional"):
    """Times every case of `table` (default: CASES) in this process with one framework; prints
    {case: {kind: ms}} as JSON. Each case's fn gets torch.nn.functional (wick) as its first argument, or with
    namespace="lib" torch (wick) itself.

    The framework is imported before NumPy: NumPy too links OpenBLAS's pthread
    build under the soname wick's OpenMP build has (see the module docstring).
    """
    table = CASES if table is None else table
    if framework == "torch":
        import torch
        import torch.nn.functional as functional
        lib = torch
    else:
        import wick as lib
        functional = lib
    if namespace == "lib":
        functional = lib
    threads = int(os.environ["OMP_NUM_THREADS"])
    lib.set_num_threads(threads)
    clock = time.process_time if cpu_time else time.perf_counter
    results = {}
    for name in cases:
        _, shapes, needs_grad, fn, *prepare = table[name]
        steps = make_steps(lib, functional, shapes, needs_grad, fn, prepare=prepare[0] if prepare else None)
        results[name] = {}
        for kind, step in steps.items():
            step()  # warm-up
            results[name][kind] = best_of(step, reps, clock)
    version = lib.__version__
    print(json.dumps({"version": version, "results": results}))


def main(table=None, script=None, namespace="functional", doc=None):
    """Runs the cases of `table` (default: CASES) of the benchmark file `script` (default: this one) in
    alternating processes, one framework each, and prints the table of times and ratios."""
    table = CASES if table is None else table
    script = os.path.abspath(script or __file__)
    parser = argparse.ArgumentParser(description=doc or __doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="processes per framework, run in turn")
    parser.add_argument("--cases", default=",".join(table))
    parser.add_argument("--cpu-time", action="store_true", help="time process CPU time instead of wall time")
    parser.add_argument("--torch-python", default=sys.executable,
                        help="the Python that runs PyTorch's side (e.g. a venv with the current torch from PyPI)")
    parser.add_argument("--worker", choices=["wick", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = args.cases.split(",")
    if args.worker:
        return worker(args.worker, cases, args.reps, args.cpu_time, table, namespace)
    best = {"wick": {}, "torch": {}}
    versions = {}
    for _ in range(args.rounds):
        for framework in ("torch", "wick"):
            python = args.torch_python if framework == "torch" else sys.executable
            cmd = [python, script, "--worker", framework, "--cases", args.cases,
                   "--reps", str(max(1, args.reps // args.rounds))] + (["--cpu-time"] if args.cpu_time else [])
            out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            versions[framework] = out["version"]
            for name, kinds in out["results"].items():
                for kind, ms in kinds.items():
                    key = (name, kind)
                    best[framework][key] = min(best[framework].get(key, float("inf")), ms)
    print(f"threads={os.environ['OMP_NUM_THREADS']} wick={versions['wick']} torch={versions['torch']} "
          f"clock={'cpu' if args.cpu_time else 'wall'} OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    print(f"{'case':<52} {'wick ms':>9} {'torch ms':>9} {'ratio':>6}")
    for name in cases:
        for kind in ("fwd", "fwd+bwd"):
            w_ms, t_ms = best["wick"][(name, kind)], best["torch"][(name, kind)]
            label = f"{name} {kind}: {table[name][0]}"
            print(f"{label:<52.52} {w_ms:9.2f} {t_ms:9.2f} {w_ms / t_ms:6.2f}")


if __name__ == "__main__":
    main()
