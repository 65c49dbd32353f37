#!/usr/bin/env python3
"""A soak of the main job's models: many training steps, memory watched.

Each model of python/wick/examples/train.py (mlp, cnn, lstm, charlstm) trains
with Adam on fixed random batches of its input's shape; every 25 steps the
soak also saves the model and the optimizer to memory and loads them back,
and it samples the process's resident memory and wick's allocated bytes.
After a warm-up (the first fifth of the steps: caches, the allocator's
pools, the optimizer's state), neither may grow: wick's bytes in use must be
the same at every sample, and resident memory may drift by at most
--rss-slack MiB. One line per model; exit status 1 if any grew.

    scripts/soak.py                         1000 steps of each model (the long form)
    scripts/soak.py --steps 200 --models mlp cnn

Run it with the Python that has wick (build/venv/bin/python).
tests/python/test_soak.py runs a short one; the last long run's figures are
in tests/python/SOAK.md.
"""
import argparse
import io
import os
import sys
import time


def resident_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def batches(wick, model_name, batch, vocab):
    """Four fixed batches (inputs, targets) of the model's shapes."""
    g = wick.Generator().manual_seed(0)
    out = []
    for _ in range(4):
        if model_name == "charlstm":
            x = wick.randint(0, vocab, (batch, 64), generator=g)
            y = wick.randint(0, vocab, (batch, 64), generator=g)
        else:
            x = wick.randn(batch, 1, 28, 28, generator=g)
            y = wick.randint(0, 10, (batch,), generator=g)
        out.append((x, y))
    return out


def soak(model_name, steps, batch=32, rss_slack=16.0):
    import wick
    from wick.examples.train import build_model

    wick.manual_seed(0)
    vocab = 96
    model = build_model(wick.nn, model_name, vocab_size=vocab)
    optimizer = wick.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = wick.nn.CrossEntropyLoss()
    data = batches(wick, model_name, batch, vocab)
    cpu = wick.device("cpu")
    warmup = max(steps // 5, 10)
    samples = []  # (step, wick bytes, resident MiB)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = data[step % len(data)]
        optimizer.zero_grad()
        if model_name == "charlstm":
            logits, _ = model(x)
            loss = loss_fn(logits.reshape(-1, vocab), y.reshape(-1))
        else:
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 25 == 0:
            buf = io.BytesIO()
            wick.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buf)
            state = wick.load(io.BytesIO(buf.getvalue()))
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            del state, buf
            if step >= warmup:
                samples.append((step, wick._C.memory_allocated(cpu), resident_mib()))
    seconds = time.perf_counter() - start
    if not samples:
        return True, f"{model_name}: {steps} steps are too few to sample after the warm-up"
    wick_bytes = {b for _, b, _ in samples}
    rss = [r for _, _, r in samples]
    ok = len(wick_bytes) == 1 and max(rss) - rss[0] <= rss_slack
    line = (f"{model_name:9s} {steps} steps in {seconds:.0f} s: wick's bytes in use after the warm-up "
            f"{'constant at ' + format(samples[0][1] / 2**20, '.1f') + ' MiB' if len(wick_bytes) == 1 else 'CHANGED: ' + ', '.join(format(b / 2**20, '.2f') for b in sorted(wick_bytes)[:6]) + ' MiB'}; "
            f"resident {rss[0]:.0f} -> {rss[-1]:.0f} MiB (max {max(rss):.0f}, slack {rss_slack:g})"
            f"{'' if ok else '  GREW'}")
    return ok, line


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--models", nargs="+", default=["mlp", "cnn", "lstm", "charlstm"])
    p.add_argument("--rss-slack", type=float, default=16.0, help="MiB resident memory may drift after the warm-up")
    args = p.parse_args(argv)
    import wick
    cpu = wick._C._cpu_info()["cpu"]["brand"] or "unknown CPU"
    print(f"soak: {args.steps} steps per model, batch 32, {cpu}, {wick.get_num_threads()} threads")
    all_ok = True
    for name in args.models:
        ok, line = soak(name, args.steps, rss_slack=args.rss_slack)
        print(line, flush=True)
        all_ok = all_ok and ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
