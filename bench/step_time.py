"""One framework in this process: milliseconds per training step (forward,
cross-entropy, backward, Adam; batch 64, charlstm 32) of the main job's models,
GFLOP/s of a 1024 float32 matmul, microseconds per tiny op with autograd
((a * b).sum().backward() on 1-element tensors), and the process's peak
resident memory. bench/versus.py runs it for wick and for PyTorch, each in its
own process; it also compares two builds of wick:

    for r in 1 2 3; do
      old-venv/bin/python bench/step_time.py --threads 2 >> old.jsonl
      build/venv/bin/python bench/step_time.py --threads 2 >> new.jsonl
    done

Prints one JSON line: the framework, its version, CPU kernels, thread count and
each measurement (a median of --repeats timed runs).
"""
import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import time

VOCAB, SEQ = 96, 128
HERE = os.path.dirname(os.path.abspath(__file__))


def load_build_model():
    """build_model from the training program's source file: the same model code
    for both frameworks, without importing wick into PyTorch's process."""
    path = os.path.join(HERE, "..", "python", "wick", "examples", "train.py")
    spec = importlib.util.spec_from_file_location("wick_train_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_model


def make_batch(fw, name, batch):
    import numpy as np
    rng = np.random.default_rng(0)
    if name == "charlstm":
        x = rng.integers(0, VOCAB, (32, SEQ))
        y = rng.integers(0, VOCAB, (32, SEQ))
    else:
        x = rng.standard_normal((batch, 1, 28, 28)).astype("float32")
        y = rng.integers(0, 10, (batch,))
    return fw.from_numpy(x), fw.from_numpy(y)


def median_time(fn, inner, repeats):
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        runs.append((time.perf_counter() - t0) / inner)
    return statistics.median(runs)


def step_ms(fw, build_model, name, args):
    fw.manual_seed(0)
    model = build_model(fw.nn, name, vocab_size=VOCAB)
    opt = fw.optim.Adam(model.parameters(), lr=1e-3)
    x, y = make_batch(fw, name, args.batch_size)

    def step():
        out = model(x)
        logits = out[0] if name == "charlstm" else out
        loss = fw.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    steps = max(1, args.steps // 6) if name == "charlstm" else args.steps
    for _ in range(3):
        step()
    return median_time(step, steps, args.repeats) * 1e3


def sgemm_gflops(fw, n, repeats):
    a, b = fw.rand(n, n), fw.rand(n, n)
    for _ in range(3):
        a @ b
    return 2 * n ** 3 / median_time(lambda: a @ b, 5, repeats) / 1e9


def tiny_us(fw, repeats):
    a = fw.tensor([1.0], requires_grad=True)
    b = fw.tensor([2.0], requires_grad=True)
    return median_time(lambda: (a * b).sum().backward(), 5000, repeats) * 1e6


def kernels(fw):
    if fw.__name__ == "wick":
        info = fw.backends.cpu.info()
        blas = info["blas"]
        return f"loops {info['loop_kernels']}, {blas['library']} {blas['version']} {blas['core']} ({blas['core_isa']})"
    config = fw.__config__.show()
    blas = next((w.strip(" ,") for w in config.split() if w.startswith("BLAS_INFO=")), "BLAS_INFO=?")
    return f"capability {fw.backends.cpu.get_cpu_capability()}, {blas}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--framework", choices=["wick", "torch"], default="wick")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="mlp,cnn,lstm,charlstm")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--no-gemm", action="store_true")
    args = p.parse_args()

    fw = importlib.import_module(args.framework)
    fw.set_num_threads(args.threads)
    build_model = load_build_model()
    res = {"framework": args.framework, "version": fw.__version__, "threads": fw.get_num_threads(),
           "kernels": kernels(fw)}
    for name in filter(None, args.models.split(",")):
        res[name] = step_ms(fw, build_model, name, args)
    if not args.no_gemm:
        res["sgemm1024_gflops"] = sgemm_gflops(fw, 1024, args.repeats)
    res["tiny_us"] = tiny_us(fw, args.repeats)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


if __name__ == "__main__":
    sys.exit(main())
