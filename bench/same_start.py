"""Trains one model with wick and with PyTorch from the same start: the same
initial weights (PyTorch's, copied), the same batches in the same order, no
dropout (its masks cannot be shared). What differs is then only the
libraries' arithmetic, so the two test accuracies should agree to within the
drift of float32 rounding: a systematic gap would show a bug, where runs from
different seeds only show seed-to-seed spread.

    python bench/same_start.py --model cnn [--epochs 1] [--train-limit N] [--test-limit N]

tests/python/test_train.py runs it on a few batches of each model.

Prints, per framework, the test accuracy (for charlstm also the test bits per
character), the final training loss and the differences between the two loss
curves.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch

import wick
import wick.datasets
from wick.examples import train as program


def logits_of(model, x):
    out = model(x)
    out = out[0] if isinstance(out, tuple) else out  # charlstm: (logits, state)
    return out.reshape(-1, out.shape[-1])


def run(fw, model, x_train, y_train, x_test, y_test, order, batch_size, lr):
    optimizer = fw.optim.Adam(model.parameters(), lr=lr)
    F = fw.nn.functional
    losses = []
    model.train()
    start = time.perf_counter()
    for epoch_order in order:
        for i in range(0, len(epoch_order), batch_size):
            idx = fw.from_numpy(epoch_order[i:i + batch_size])
            loss = F.cross_entropy(logits_of(model, x_train[idx]), y_train[idx].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    seconds = time.perf_counter() - start
    model.eval()
    correct, total_loss, n = 0, 0.0, 0
    with fw.no_grad():
        for i in range(0, len(y_test), 250):
            logits, y = logits_of(model, x_test[i:i + 250]), y_test[i:i + 250].reshape(-1)
            correct += (logits.argmax(-1) == y).sum().item()
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            n += y.numel()
    return np.array(losses), correct / n, total_loss / n / math.log(2), seconds


def compare(model_name, epochs=1, batch_size=64, lr=1e-3, seed=0, train_limit=None, test_limit=None):
    """Trains model_name in both libraries from the same start; returns
    {"wick": (losses, test accuracy, test bits/char, seconds), "torch": (...)}."""
    data_args = argparse.Namespace(data=None, train_limit=train_limit, test_limit=test_limit, seq_len=128)
    vocab = len(wick.datasets.TextCorpus(None).vocab) if model_name == "charlstm" else None
    torch.manual_seed(seed)
    models = {"torch": program.build_model(torch.nn, model_name, vocab_size=vocab)}
    models["wick"] = program.build_model(wick.nn, model_name, vocab_size=vocab)
    for model in models.values():  # no dropout: its masks cannot be shared
        for m in model.modules():
            if type(m).__name__ == "Dropout":
                m.p = 0.0
    state = {k: wick.from_numpy(v.detach().numpy().copy()) for k, v in models["torch"].state_dict().items()}
    models["wick"].load_state_dict(state)

    results = {}
    for fw_name, fw in (("wick", wick), ("torch", torch)):
        if model_name == "charlstm":
            (train_set, test_set), _ = program.load_text(fw, data_args)
        else:
            train_set, test_set = program.load_images(fw, data_args)
        x_train, y_train = train_set.tensors
        x_test, y_test = test_set.tensors
        rng = np.random.default_rng(seed)
        order = [rng.permutation(len(y_train)) for _ in range(epochs)]
        results[fw_name] = run(fw, models[fw_name], x_train, y_train, x_test, y_test, order, batch_size, lr)
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=program.MODELS, default="cnn")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-limit", type=int)
    p.add_argument("--test-limit", type=int)
    args = p.parse_args(argv)
    results = compare(args.model, args.epochs, args.batch_size, args.lr, args.seed, args.train_limit, args.test_limit)

    lw, lt = results["wick"][0], results["torch"][0]
    print(f"{args.model}, {args.epochs} epoch(s), {len(lw)} steps, same initial weights and batches, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '<unset>')}")
    for name, (losses, acc, bits, seconds) in results.items():
        extra = f", test bits/char {bits:.4f}" if args.model == "charlstm" else ""
        print(f"  {name:5}: test accuracy {acc:.4f}{extra}, last-100-step mean loss {losses[-100:].mean():.4f}, "
              f"{seconds:.1f} s")
    first = np.abs(lw - lt)[:10].max()
    print(f"  |loss difference|: first 10 steps max {first:.2e}, whole run max {np.abs(lw - lt).max():.2e}, "
          f"mean {np.abs(lw - lt).mean():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
