#!/usr/bin/env python3
"""DataLoader with worker processes (issue 22), wick vs PyTorch: the time of
one epoch at num_workers=0 and num_workers=2.

  busy:  64 items of ~30 ms pure-Python work each (a busy loop, holding the
         GIL: threads cannot overlap it, processes can), batch 8.
  mnist: 200 batches of 64 Fashion-MNIST-sized samples (1x28x28 float32 and
         a label), each sample made by the dataset in Python: the loader's own
         cost per sample and per batch (collate, moving the batch to the main
         process) dominates.

wick also runs num_workers=2 with worker_mode="thread" (its loading threads,
the behaviour before issue 22). Each epoch is timed from iter() to the last
batch, worker start-up included (workers are not persistent), after a small
warm-up loader. Each framework runs in a process of its own (two OpenMP
runtimes in one process distort both), in alternating rounds wick, torch,
wick, torch, ...; the table shows medians of --rounds.

  build/venv/bin/python bench/dataloader_bench.py [--torch-python /work/bench-venv/bin/python] [--rounds 3]
  build/venv/bin/python bench/dataloader_bench.py --only torch     # one framework only

Both frameworks do the same Python work per item: the busy loop's iteration
count is calibrated once, in this process, and passed to both; each also
reports what one item cost in its own interpreter.
"""
import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from versus import cpu_name  # noqa: E402

BUSY_ITEMS, BUSY_BATCH, ITEM_MS = 64, 8, 30.0
MNIST_BATCHES, MNIST_BATCH = 200, 64


def spin(n):
    """Pure-Python work: n iterations of integer arithmetic."""
    acc = 0
    for i in range(n):
        acc = (acc + i * i) % 1000003
    return acc


def calibrate(ms):
    """Iterations of spin() that take about `ms` milliseconds in this interpreter."""
    n = 20000
    while True:
        start = time.perf_counter()
        spin(n)
        took = (time.perf_counter() - start) * 1e3
        if took > 20:
            return int(n * ms / took)
        n *= 2


# ---- one framework, in its own process ---------------------------------------------------------------------------

FW = None  # the framework module, set in worker(); datasets use it in the loading processes (forked)


class Busy:
    """64 items, each a busy loop then a small tensor."""

    def __init__(self, n, spins):
        self.n, self.spins = n, spins

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        spin(self.spins)
        return FW.tensor([index, index * 2])


class MnistLike:
    """Samples shaped as Fashion-MNIST's, made in Python: a filled 1x28x28 float32 image and an int label."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return FW.full((1, 28, 28), (index % 256) / 255.0), index % 10


def epoch_seconds(loader, expect_batches):
    start = time.perf_counter()
    count = sum(1 for _ in loader)
    took = time.perf_counter() - start
    assert count == expect_batches, (count, expect_batches)
    return took


def worker(framework, spins, start_method):
    global FW
    FW = importlib.import_module(framework)
    data = importlib.import_module(framework + ".utils.data")
    import multiprocessing

    def loader(dataset, batch_size, workers, mode=None):
        kwargs = {"batch_size": batch_size, "num_workers": workers}
        if workers and start_method:
            kwargs["multiprocessing_context"] = start_method
        if mode:
            kwargs["worker_mode"] = mode  # a wick extension
        return data.DataLoader(dataset, **kwargs)

    configs = [(0, None), (2, None)] + ([(2, "thread")] if framework == "wick" else [])
    # Warm-up: imports, the first worker start, first allocations.
    for workers, mode in configs:
        epoch_seconds(loader(Busy(4, 1000), 2, workers, mode), 2)
    item_start = time.perf_counter()
    for i in range(5):
        Busy(5, spins)[i]
    results = {"version": FW.__version__, "threads": FW.get_num_threads(),
               "start_method": start_method or multiprocessing.get_start_method(),
               "item_ms": (time.perf_counter() - item_start) * 1e3 / 5}
    for workers, mode in configs:
        key = f"{workers}{'-' + mode if mode else ''}"
        results[f"busy/{key}"] = epoch_seconds(loader(Busy(BUSY_ITEMS, spins), BUSY_BATCH, workers, mode),
                                               BUSY_ITEMS // BUSY_BATCH)
        results[f"mnist/{key}"] = epoch_seconds(
            loader(MnistLike(MNIST_BATCHES * MNIST_BATCH), MNIST_BATCH, workers, mode), MNIST_BATCHES)
    print(json.dumps(results))


# ---- the parent: rounds, medians, table --------------------------------------------------------------------------

def run_one(python, framework, spins, args):
    cmd = [python, os.path.abspath(__file__), "--framework", framework, "--spins", str(spins)]
    if args.start_method:
        cmd += ["--start-method", args.start_method]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=dict(os.environ))
    if out.returncode != 0:
        sys.exit(f"{framework} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--framework", choices=["wick", "torch"], help=argparse.SUPPRESS)  # the per-process run
    p.add_argument("--spins", type=int, help=argparse.SUPPRESS)
    p.add_argument("--wick-python", default=sys.executable)
    p.add_argument("--torch-python", default="/work/bench-venv/bin/python")
    p.add_argument("--only", choices=["wick", "torch"])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--start-method", choices=["fork", "spawn", "forkserver"],
                   help="multiprocessing_context for the workers (default: the platform's)")
    p.add_argument("--json", help="also write every round's raw results here")
    args = p.parse_args()
    if args.framework:
        worker(args.framework, args.spins, args.start_method)
        return

    load_before = os.getloadavg()[0]
    spins = calibrate(ITEM_MS)
    frameworks = [(f, py) for f, py in [("wick", args.wick_python), ("torch", args.torch_python)]
                  if args.only in (None, f)]
    results = {f: [] for f, _ in frameworks}
    for _ in range(args.rounds):
        # Alternate the frameworks, so that a burst of load on the machine hits both alike.
        for framework, python in frameworks:
            results[framework].append(run_one(python, framework, spins, args))

    # The load average says whether other work shared the cores (num_workers=2 needs two free ones to gain 2x).
    print(f"CPU: {cpu_name()}; {os.cpu_count()} logical CPUs; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'unset')}; load average before / after: "
          f"{load_before:.2f} / {os.getloadavg()[0]:.2f}")
    for f, rounds in results.items():
        first = rounds[0]
        print(f"{f} {first['version']}: {first['threads']} intra-op threads in the main process, workers start by "
              f"'{first['start_method']}', one busy item = {statistics.median(r['item_ms'] for r in rounds):.1f} ms")
    print(f"busy: {BUSY_ITEMS} items of ~{ITEM_MS:.0f} ms Python work, batch {BUSY_BATCH}; mnist: {MNIST_BATCHES} "
          f"batches of {MNIST_BATCH}x1x28x28 float32 + labels, made per sample in Python")
    print(f"one epoch, seconds, median of {args.rounds} alternating rounds\n")

    def med(f, key):
        values = [r[key] for r in results.get(f, []) if key in r]
        return statistics.median(values) if values else None

    def fmt(x, spec=".3f"):
        return "-" if x is None else format(x, spec)

    keys = sorted({k for rounds in results.values() for k in rounds[0] if "/" in k})
    print("| case | num_workers | wick | torch | wick / torch | speed-up over num_workers=0 (wick, torch) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in keys:
        case, config = key.split("/")
        w, t = med("wick", key), med("torch", key)
        ratio = w / t if w is not None and t is not None else None
        w0, t0 = med("wick", f"{case}/0"), med("torch", f"{case}/0")
        speedup_w = w0 / w if w and w0 else None
        speedup_t = t0 / t if t and t0 else None
        label = config.replace("-thread", " (worker_mode=thread)")
        print(f"| {case} | {label} | {fmt(w)} | {fmt(t)} | {fmt(ratio, '.2f')} | "
              f"{fmt(speedup_w, '.2f')}, {fmt(speedup_t, '.2f')} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
