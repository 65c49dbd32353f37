"""One training step (forward, cross-entropy, backward, Adam) of the main job's
models, wick against PyTorch in the same run, with the same model code
(wick.examples.train.build_model) and batch.

    build/venv/bin/python bench/train_step.py [--models mlp cnn lstm charlstm] [--steps 20] [--batch-size 64]

Prints milliseconds per step (median of --repeats timed runs of --steps
steps each, after warm-up) and the ratio wick / torch (below 1: wick faster).
"""
import argparse
import statistics
import time

import torch

import wick
from wick.examples.train import build_model

VOCAB, SEQ = 96, 128


def make_batch(fw, model, batch):
    g = torch.Generator().manual_seed(0)
    if model == "charlstm":
        x = torch.randint(0, VOCAB, (batch, SEQ), generator=g)
        y = torch.randint(0, VOCAB, (batch, SEQ), generator=g)
    else:
        x = torch.randn(batch, 1, 28, 28, generator=g)
        y = torch.randint(0, 10, (batch,), generator=g)
    return fw.from_numpy(x.numpy()), fw.from_numpy(y.numpy())


def time_steps(fw, name, args):
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

    for _ in range(3):
        step()
    runs = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        runs.append((time.perf_counter() - t0) / args.steps * 1e3)
    return statistics.median(runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=["mlp", "cnn", "lstm", "charlstm"])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args()
    # The same number of threads for both (torch would pick the physical cores only).
    torch.set_num_threads(wick.get_num_threads())
    print(f"wick and torch {torch.__version__}: {torch.get_num_threads()} threads; batch {args.batch_size}")
    print(f"{'model':10} {'wick ms':>9} {'torch ms':>9} {'ratio':>7}")
    for name in args.models:
        w = time_steps(wick, name, args)
        t = time_steps(torch, name, args)
        print(f"{name:10} {w:9.2f} {t:9.2f} {w / t:7.2f}", flush=True)


if __name__ == "__main__":
    main()
