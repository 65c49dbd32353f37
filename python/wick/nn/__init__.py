"""wick.nn: modules, layers, losses and initialisation, as torch.nn.

    import wick.nn as nn
    import wick.nn.functional as F

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x)))

Modules are pure Python over the C++ functions of wick._C, as torch.nn is.
"""
from wick.nn.parameter import Parameter
from wick.nn.modules import *  # noqa: F401,F403
from wick.nn.modules import __all__ as _modules_all
from wick.nn import functional, init, utils

__all__ = ["Parameter", "functional", "init", "utils"] + list(_modules_all)
from wick.nn.parallel import DataParallel  # noqa: E402  (wick.nn.parallel with it)

__all__ += ["DataParallel", "parallel"]
