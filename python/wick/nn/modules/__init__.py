"""The layers of wick.nn, one file per family as in torch/nn/modules."""
from wick.nn.modules.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from wick.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from wick.nn.modules.container import ModuleDict, ModuleList, Sequential
from wick.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from wick.nn.modules.dropout import Dropout
from wick.nn.modules.flatten import Flatten, Unflatten
from wick.nn.modules.linear import Bilinear, Identity, Linear
from wick.nn.modules.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss,
                                  SmoothL1Loss)
from wick.nn.modules.module import Module
from wick.nn.modules.normalization import GroupNorm, LayerNorm
from wick.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from wick.nn.modules.rnn import GRU, LSTM, GRUCell, LSTMCell, RNNBase, RNNCellBase
from wick.nn.modules.sparse import Embedding

__all__ = [
    "Module", "Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "Conv1d", "Conv2d", "ConvTranspose2d",
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
    "Dropout", "Embedding", "LSTM", "GRU", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase", "Sequential",
    "ModuleList", "ModuleDict", "ReLU", "LeakyReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
]
