"""wick.optim: optimizers and learning-rate schedulers, as torch.optim.

    optimizer = wick.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = wick.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()

Each optimizer follows PyTorch 1.13's update formulas (its default,
single-tensor path) and option names; each parameter's update is one fused
C++ kernel instead of a chain of tensor ops.
"""
from wick.optim.optimizer import Optimizer
from wick.optim.sgd import SGD
from wick.optim.adam import Adam
from wick.optim.adamw import AdamW
from wick.optim.rmsprop import RMSprop
from wick.optim.adagrad import Adagrad
from wick.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
