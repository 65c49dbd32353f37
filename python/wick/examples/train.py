"""Train an MLP, a CNN or an LSTM on Fashion-MNIST, or a character LSTM on text.

    python -m wick.examples.train --model cnn --epochs 1 --out runs/cnn

The program is ordinary PyTorch code: `fw` below is wick, or PyTorch itself
with --framework torch, so the two can be compared on the same model, data,
hyper-parameters and seed. Each run leaves in --out:

    metrics.csv   per-epoch train/test loss and accuracy (and bits/char for charlstm)
    curves.png    loss and accuracy curves
    model.wick    checkpoint: model, optimizer, completed epochs, arguments (--resume continues it)
    graph.dot     the autograd graph of one training step (and graph.svg where Graphviz is installed)

Ctrl-C saves the checkpoint before exiting; --resume starts the interrupted
epoch again from the saved model and optimizer.
"""
import argparse
import csv
import importlib
import math
import os
import shutil
import subprocess
import sys
import time

MODELS = ("mlp", "cnn", "lstm", "charlstm")
# Fashion-MNIST's pixel mean and standard deviation (of the 60000 training images, scaled to [0, 1]).
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m wick.examples.train", description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=MODELS, default="cnn")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/{model}", help="output directory (default runs/<model>)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint written by an earlier run")
    p.add_argument("--data", help="Fashion-MNIST directory (default: Debian's dataset-fashion-mnist) "
                                  "or, for charlstm, a text file (default: Debian's fortunes)")
    p.add_argument("--train-limit", type=int, help="use only the first N training samples (quick runs)")
    p.add_argument("--test-limit", type=int, help="use only the first N test samples")
    p.add_argument("--seq-len", type=int, default=128, help="charlstm: characters per training sequence")
    p.add_argument("--framework", choices=("wick", "torch"), default="wick",
                   help="run the same program on PyTorch, for comparison")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (log lines only)")
    p.add_argument("--log-every", type=int, default=10, metavar="N",
                   help="log the training loss and accuracy every N steps, into steps.csv and curves.png")
    args = p.parse_args(argv)
    if args.log_every < 1:
        p.error(f"--log-every must be at least 1, got {args.log_every}")
    args.out = args.out.format(model=args.model)
    return args


# ---- models -------------------------------------------------------------------------------

def build_model(nn, name, vocab_size=None):
    if name == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(128, 10))
    if name == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(3136, 128), nn.ReLU(),
            nn.Linear(128, 10))

    class RowLSTM(nn.Module):
        """The image's 28 rows as a 28-step sequence; the last hidden state classifies."""

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            out, (h, c) = self.lstm(x.view(x.shape[0], 28, 28))
            return self.head(h[-1])

    class CharLSTM(nn.Module):
        """A character language model: embedding, 2-layer LSTM(256), next-character logits."""

        def __init__(self, vocab):
            super().__init__()
            self.embed = nn.Embedding(vocab, 64)
            self.lstm = nn.LSTM(64, 256, num_layers=2, batch_first=True)
            self.head = nn.Linear(256, vocab)

        def forward(self, x, state=None):
            out, state = self.lstm(self.embed(x), state)
            return self.head(out), state

    return RowLSTM() if name == "lstm" else CharLSTM(vocab_size)


# ---- data ---------------------------------------------------------------------------------

def load_images(fw, args):
    """Fashion-MNIST as normalized float32 [N, 1, 28, 28] images and int64 labels, train and test."""
    import wick.datasets
    splits = []
    for train, limit in ((True, args.train_limit), (False, args.test_limit)):
        ds = wick.datasets.FashionMNIST(root=args.data, train=train)
        images, labels = ds.data.numpy(), ds.targets.numpy()
        if limit is not None:
            images, labels = images[:limit], labels[:limit]
        x = fw.from_numpy(images.copy()).float().div(255).sub(FASHION_MEAN).div(FASHION_STD).unsqueeze(1)
        splits.append(fw.utils.data.TensorDataset(x, fw.from_numpy(labels.copy()).long()))
    return splits


def load_text(fw, args):
    """Character sequences (inputs and next-character targets) of the corpus, 90% train, 10% test."""
    import wick.datasets
    corpus = wick.datasets.TextCorpus(args.data)
    codes = corpus.encode(corpus.text).numpy()
    n = (len(codes) - 1) // args.seq_len
    inputs = codes[:n * args.seq_len].reshape(n, args.seq_len)
    targets = codes[1:n * args.seq_len + 1].reshape(n, args.seq_len)
    n_test = max(1, n // 10)
    splits = []
    for lo, hi, limit in ((0, n - n_test, args.train_limit), (n - n_test, n, args.test_limit)):
        hi = hi if limit is None else min(hi, lo + limit)
        splits.append(fw.utils.data.TensorDataset(fw.from_numpy(inputs[lo:hi].copy()).long(),
                                                  fw.from_numpy(targets[lo:hi].copy()).long()))
    return splits, corpus


# ---- one epoch ----------------------------------------------------------------------------

def run_epoch(fw, model, loader, optimizer, args, desc, step_log=None, first_step=0):
    """Trains (optimizer given) or evaluates over loader; returns (mean loss, accuracy).
    Training appends to step_log, every args.log_every steps, the step number
    (counted from first_step) and the mean loss and accuracy of those steps."""
    F = fw.nn.functional
    training = optimizer is not None
    model.train(training)
    total_loss, correct, seen = 0.0, 0, 0
    window = [0.0, 0, 0]  # loss sum, correct, samples since the last logged step
    bar = make_bar(len(loader), desc, args)
    start = time.perf_counter()
    with fw.set_grad_enabled(training):
        for i, (x, y) in enumerate(loader):
            x, y = x.to(args.device), y.to(args.device)
            logits = model(x)[0] if args.model == "charlstm" else model(x)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            n = y.numel()
            batch_loss, batch_correct = loss.item() * n, (logits.argmax(-1) == y).sum().item()
            total_loss += batch_loss
            correct += batch_correct
            seen += n
            if step_log is not None:
                window = [window[0] + batch_loss, window[1] + batch_correct, window[2] + n]
                if (i + 1) % args.log_every == 0 or i + 1 == len(loader):
                    step_log.append(dict(step=first_step + i + 1, train_loss=round(window[0] / window[2], 6),
                                         train_acc=round(window[1] / window[2], 6)))
                    window = [0.0, 0, 0]
            samples = seen if args.model != "charlstm" else seen // args.seq_len
            bar.update(1, loss=total_loss / seen, acc=correct / seen,
                       rate=samples / max(time.perf_counter() - start, 1e-9))
    bar.close()
    return total_loss / max(seen, 1), correct / max(seen, 1)


class make_bar:
    """tqdm's bar with loss, accuracy and samples/s, or a plain log line per epoch without it."""

    def __init__(self, total, desc, args):
        self.bar = None
        self.desc, self.last = desc, {}
        if not args.no_progress:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True)
            except ImportError:
                pass

    def update(self, n, loss, acc, rate):
        self.last = dict(loss=loss, acc=acc, rate=rate)
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss={loss:.4f} acc={acc:.4f} {rate:,.0f} samples/s", refresh=False)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.last:
            print(f"{self.desc}: loss={self.last['loss']:.4f} acc={self.last['acc']:.4f} "
                  f"{self.last['rate']:,.0f} samples/s", flush=True)


# ---- outputs ------------------------------------------------------------------------------

METRIC_FIELDS = ("epoch", "steps", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")
STEP_FIELDS = ("step", "train_loss", "train_acc")


def write_metrics(path, rows, fields=METRIC_FIELDS):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def plot_curves(path, rows, step_log, model):
    """Training loss and accuracy per logged step (a curve even for one epoch),
    with the test set's at the end of each epoch."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    steps = [r["step"] for r in step_log]
    ends = [r.get("steps", 0) for r in rows]
    for ax, key in ((ax_loss, "loss"), (ax_acc, "acc")):
        ax.plot(steps, [r[f"train_{key}"] for r in step_log], linewidth=1, label="train (per logged step)")
        ax.plot(ends, [r[f"test_{key}"] for r in rows], marker="o", label="test (end of epoch)")
    ax_loss.set(title=f"{model}: loss", xlabel="training step", ylabel="cross-entropy")
    ax_acc.set(title=f"{model}: accuracy", xlabel="training step", ylabel="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_graph(fw, model, loader, args):
    """graph.dot (and graph.svg) of one forward pass's autograd graph, parameters by name."""
    if args.framework != "wick":
        return
    from wick.autograd.graph import to_dot
    x, y = next(iter(loader))
    logits = model(x.to(args.device))
    logits = logits[0] if args.model == "charlstm" else logits
    loss = fw.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.to(args.device).reshape(-1))
    dot_path = os.path.join(args.out, "graph.dot")
    with open(dot_path, "w") as f:
        f.write(to_dot(loss, params=dict(model.named_parameters())))
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg", dot_path, "-o", os.path.join(args.out, "graph.svg")], check=True)


def save_checkpoint(fw, path, model, optimizer, epoch, rows, step_log, args):
    fw.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "metrics": rows, "step_log": step_log,
             "args": {k: v for k, v in vars(args).items() if v is not None}}, path)


def sample_text(fw, model, corpus, args, length=300, prompt="The "):
    """Characters generated by the trained char-LSTM, one at a time from its softmax."""
    import numpy as np
    rng = np.random.default_rng(args.seed)
    model.eval()
    codes = corpus.encode(prompt).tolist()
    with fw.no_grad():
        logits, state = model(fw.tensor([codes], device=args.device))
        out = list(codes)
        for _ in range(length):
            probs = fw.softmax(logits[0, -1].double(), dim=-1).cpu().numpy()
            nxt = int(rng.choice(len(probs), p=probs / probs.sum()))
            out.append(nxt)
            logits, state = model(fw.tensor([[nxt]], device=args.device), state)
    return corpus.decode(out)


# ---- main ---------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    fw = importlib.import_module(args.framework)
    if args.framework == "torch":
        import torch.utils.data  # noqa: F401
    if args.device.startswith("cuda") and not fw.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available to {args.framework} here; use --device cpu",
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    fw.manual_seed(args.seed)

    corpus = None
    if args.model == "charlstm":
        (train_set, test_set), corpus = load_text(fw, args)
        model = build_model(fw.nn, args.model, vocab_size=len(corpus.vocab))
    else:
        train_set, test_set = load_images(fw, args)
        model = build_model(fw.nn, args.model)
    model = model.to(args.device)
    optimizer = fw.optim.Adam(model.parameters(), lr=args.lr)

    first_epoch, rows, step_log = 0, [], []
    if args.resume:
        ckpt = fw.load(args.resume)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        first_epoch, rows, step_log = ckpt["epoch"], list(ckpt["metrics"]), list(ckpt.get("step_log", []))
        print(f"resumed from {args.resume} after epoch {first_epoch}")

    test_loader = fw.utils.data.DataLoader(test_set, batch_size=256)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.framework}: {args.model}, {n_params:,} parameters, {len(train_set)} training and "
          f"{len(test_set)} test samples, batch {args.batch_size}, Adam lr {args.lr}, device {args.device}")

    ckpt_path = os.path.join(args.out, "model.wick")
    if first_epoch < args.epochs:
        write_graph(fw, model, fw.utils.data.DataLoader(train_set, batch_size=args.batch_size), args)
    start = time.perf_counter()
    epoch = first_epoch
    try:
        for epoch in range(first_epoch, args.epochs):
            # Seeding per epoch makes shuffling and dropout of epoch e the same
            # whether or not the run was resumed before it.
            fw.manual_seed(args.seed * 1000 + epoch)
            train_loader = fw.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
            t0 = time.perf_counter()
            done_steps = rows[-1].get("steps", 0) if rows else 0
            del step_log[sum(1 for r in step_log if r["step"] <= done_steps):]  # an interrupted epoch's
            train_loss, train_acc = run_epoch(fw, model, train_loader, optimizer, args,
                                              f"epoch {epoch + 1}/{args.epochs} train", step_log, done_steps)
            test_loss, test_acc = run_epoch(fw, model, test_loader, None, args, f"epoch {epoch + 1}/{args.epochs} test")
            rows.append(dict(epoch=epoch + 1, steps=done_steps + len(train_loader),
                             train_loss=round(train_loss, 6), train_acc=round(train_acc, 6),
                             test_loss=round(test_loss, 6), test_acc=round(test_acc, 6),
                             seconds=round(time.perf_counter() - t0, 3)))
            save_checkpoint(fw, ckpt_path, model, optimizer, epoch + 1, rows, step_log, args)
            write_metrics(os.path.join(args.out, "metrics.csv"), rows)
            write_metrics(os.path.join(args.out, "steps.csv"), step_log, STEP_FIELDS)
    except KeyboardInterrupt:
        done_steps = rows[-1].get("steps", 0) if rows else 0
        step_log = [r for r in step_log if r["step"] <= done_steps]
        save_checkpoint(fw, ckpt_path, model, optimizer, epoch, rows, step_log, args)
        print(f"\ninterrupted in epoch {epoch + 1}: checkpoint saved to {ckpt_path} "
              f"(--resume {ckpt_path} starts that epoch again)")
        return 130

    if rows:
        plot_curves(os.path.join(args.out, "curves.png"), rows, step_log, args.model)
    wall = time.perf_counter() - start
    last = rows[-1] if rows else None
    if last is None:
        print("nothing to do: the checkpoint has already reached --epochs")
    elif args.model == "charlstm":
        print(f"test bits/char {last['test_loss'] / math.log(2):.4f} (next-char accuracy "
              f"{last['test_acc']:.4f}), wall time {wall:.1f} s")
        print("sample:", repr(sample_text(fw, model, corpus, args)))
    else:
        print(f"test accuracy {last['test_acc']:.4f}, wall time {wall:.1f} s")
    print(f"outputs in {args.out}: metrics.csv steps.csv curves.png model.wick"
          + (" graph.dot" if args.framework == "wick" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
