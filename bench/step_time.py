"""wick alone: milliseconds per training step (forward, cross-entropy, backward,
Adam; batch 64, charlstm 32) of the main job's models, and microseconds per
tiny op with autograd ((a * b).sum().backward() on 1-element tensors). For
comparing two builds of wick, each in its own process (no PyTorch is
imported), alternating rounds:

    for r in 1 2 3 4 5; do
      OMP_NUM_THREADS=2 old-venv/bin/python bench/step_time.py mlp,cnn,lstm >> old.txt
      OMP_NUM_THREADS=2 build/venv/bin/python bench/step_time.py mlp,cnn,lstm >> new.txt
    done

Prints one line: name=median-of-5 for each model, then tiny_us.
"""
import statistics, sys, time
import numpy as np
import wick
from wick.examples.train import build_model
VOCAB, SEQ = 96, 128
def batch(name, b=64):
    rng = np.random.default_rng(0)
    if name == "charlstm":
        return wick.from_numpy(rng.integers(0, VOCAB, (32, SEQ))), wick.from_numpy(rng.integers(0, VOCAB, (32, SEQ)))
    return wick.from_numpy(rng.standard_normal((b, 1, 28, 28)).astype("float32")), wick.from_numpy(rng.integers(0, 10, (b,)))
res = {}
for name in sys.argv[1].split(","):
    wick.manual_seed(0)
    model = build_model(wick.nn, name, vocab_size=VOCAB)
    opt = wick.optim.Adam(model.parameters(), lr=1e-3)
    x, y = batch(name)
    def step():
        out = model(x)
        loss = wick.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
        opt.zero_grad(); loss.backward(); opt.step()
    steps = 3 if name == "charlstm" else 20
    for _ in range(3): step()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(steps): step()
        times.append((time.perf_counter() - t) / steps * 1e3)
    res[name] = statistics.median(times)
a = wick.tensor([1.0], requires_grad=True); b = wick.tensor([2.0], requires_grad=True)
ts = []
for _ in range(5):
    t = time.perf_counter()
    for _ in range(20000): (a * b).sum().backward()
    ts.append((time.perf_counter() - t) / 20000 * 1e6)
res["tiny_us"] = statistics.median(ts)
print(" ".join(f"{k}={v:.3f}" for k, v in res.items()))
