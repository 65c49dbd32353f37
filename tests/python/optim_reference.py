"""The Adafactor problem of tests/python/test_optim_more.py, importable
without wick or pytest, so that PyTorch 2.15 (which has Adafactor; the tests'
PyTorch 1.13 does not) can compute the reference parameters:

    /path/to/torch-2.15/bin/python tests/python/optim_reference.py

prints ADAFACTOR_REFERENCE for test_optim_more.py.
"""
import numpy as np

ADAFACTOR_OPTIONS = [dict(), dict(lr=0.3, weight_decay=0.1, eps=(1e-3, 1e-2), d=1.5, beta2_decay=-0.5),
                     dict(maximize=True)]


def adafactor_problem(lib, dtype, device="cpu"):
    """Three parameters (a matrix, a vector, a batch of matrices) and 4 steps of gradients."""
    rng = np.random.default_rng(3)
    params = [rng.normal(size=s) for s in [(3, 4), (5,), (2, 2, 3)]]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(4)]
    tensors = [lib.tensor(p, dtype=dtype, device=device, requires_grad=True) for p in params]
    return tensors, grads


def run_adafactor(lib, options, dtype, device="cpu"):
    tensors, grads = adafactor_problem(lib, dtype, device)
    opt = lib.optim.Adafactor(tensors, **options)
    for step_grads in grads:
        for t, g in zip(tensors, step_grads):
            t.grad = lib.tensor(g, dtype=dtype, device=device)
        opt.step()
    return [t.detach().cpu().numpy() for t in tensors], opt


if __name__ == "__main__":
    import torch
    out = [[p.reshape(-1).tolist() for p in run_adafactor(torch, options, torch.float64)[0]]
           for options in ADAFACTOR_OPTIONS]
    print(f"# torch {torch.__version__}")
    print("ADAFACTOR_REFERENCE =", repr(out))
