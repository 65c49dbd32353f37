import math
import numbers
import warnings

import wick
from wick import _C
from wick.nn import init
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter

__all__ = ["LSTM", "GRU", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase"]


class RNNBase(Module):
    """What LSTM and GRU share: PyTorch's parameters per layer and direction,
    weight_ih_l{k}[_reverse] [gates * H, layer input], weight_hh_l{k} [gates * H, H],
    bias_ih_l{k} and bias_hh_l{k} [gates * H], all U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be an integer greater than zero")
        if proj_size != 0:
            raise NotImplementedError(f"{mode}: proj_size is not supported")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = {"LSTM": 4, "GRU": 3}[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                names = []
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(wick.empty(shape, device=device, dtype=dtype)))
                    names.append(name + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        pass  # the weights are used where they are; nothing to compact

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched_input(self, input):
        if not isinstance(input, _C.Tensor):
            raise TypeError(f"{self.mode}: expected a Tensor input (PackedSequence is not supported), got "
                            f"{type(input).__name__}")
        if input.dim() not in (2, 3):
            raise ValueError(f"{self.mode}: Expected input to be 2-D or 3-D but received {input.dim()}-D tensor")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")
        return input if input.dim() == 3 else input.unsqueeze(0 if self.batch_first else 1)

    def _zero_state(self, input):
        batch = input.size(0 if self.batch_first else 1)
        directions = 2 if self.bidirectional else 1
        return wick.zeros(self.num_layers * directions, batch, self.hidden_size, dtype=input.dtype,
                          device=input.device)

    def _check_hidden(self, hx, input, msg):
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, input.size(0 if self.batch_first else 1), self.hidden_size)
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class LSTM(RNNBase):
    """Multi-layer LSTM. input [T, B, I] ([B, T, I] with batch_first) or
    unbatched [T, I]; hx = (h_0, c_0), each [num_layers * directions, B, H]
    (zeros if None). Returns (output [T, B, directions * H], (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        batched = input.dim() == 3 if isinstance(input, _C.Tensor) else True
        x = self._batched_input(input)
        if hx is None:
            h0 = c0 = self._zero_state(x)
        else:
            h0, c0 = hx
            want = 3 if batched else 2
            if h0.dim() != want or c0.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({h0.dim()}-D, {c0.dim()}-D) tensors")
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            self._check_hidden(h0, x, "Expected hidden[0] size {}, got {}")
            self._check_hidden(c0, x, "Expected hidden[1] size {}, got {}")
        output, h_n, c_n = _C.lstm(x, (h0, c0), self._flat_weights, self.bias, self.num_layers, self.dropout,
                                   self.training, self.bidirectional, self.batch_first)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Multi-layer GRU, as LSTM with a single state: returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        batched = input.dim() == 3 if isinstance(input, _C.Tensor) else True
        x = self._batched_input(input)
        if hx is None:
            hx = self._zero_state(x)
        else:
            want = 3 if batched else 2
            if hx.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")
            if not batched:
                hx = hx.unsqueeze(1)
            self._check_hidden(hx, x, "Expected hidden size {}, got {}")
        output, h_n = _C.gru(x, hx, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                             self.bidirectional, self.batch_first)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), h_n.squeeze(1)
        return output, h_n


class RNNCellBase(Module):
    """weight_ih [gates * H, I], weight_hh [gates * H, H], bias_ih and bias_hh
    [gates * H] (None without bias), all U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(wick.empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(wick.empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(wick.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(wick.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched_input(self, input):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1-D or 2-D but received "
                             f"{input.dim()}-D tensor")
        return input if input.dim() == 2 else input.unsqueeze(0)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        return s.format(**self.__dict__)


class LSTMCell(RNNCellBase):
    """One LSTM step: input [B, I] or [I], hx = (h, c) [B, H] (zeros if None) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x = self._batched_input(input)
        if hx is None:
            zeros = wick.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
            hx = (zeros, zeros)
        elif input.dim() == 1:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = _C.lstm_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if input.dim() == 1:
            return h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step: input [B, I] or [I], hx [B, H] (zeros if None) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x = self._batched_input(input)
        if hx is None:
            hx = wick.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)
        elif input.dim() == 1:
            hx = hx.unsqueeze(0)
        h = _C.gru_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if input.dim() == 1 else h
