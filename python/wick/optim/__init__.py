"""wick.optim: optimizers and learning-rate schedulers, as torch.optim.

    optimizer = wick.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = wick.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()

Each optimizer follows PyTorch's update formulas (its single-tensor path)
and option names. The elementwise ones (SGD, Adam, AdamW, RMSprop, Adagrad,
Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop) update each parameter with one
fused C++ kernel instead of a chain of tensor ops; LBFGS, Adafactor and Muon,
whose updates are reductions and matrix products, are written over tensor ops.
"""
from wick.optim.optimizer import Optimizer
from wick.optim.sgd import SGD
from wick.optim.adam import Adam
from wick.optim.adamw import AdamW
from wick.optim.rmsprop import RMSprop
from wick.optim.adagrad import Adagrad
from wick.optim.adadelta import Adadelta
from wick.optim.adamax import Adamax
from wick.optim.nadam import NAdam
from wick.optim.radam import RAdam
from wick.optim.asgd import ASGD
from wick.optim.rprop import Rprop
from wick.optim.lbfgs import LBFGS
from wick.optim.adafactor import Adafactor
from wick.optim.muon import Muon
from wick.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "LBFGS", "Adafactor", "Muon", "lr_scheduler"]
