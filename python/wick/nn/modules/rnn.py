import math
import numbers
import warnings

import wick
from wick import _C
from wick.nn import init
from wick.nn.modules.module import Module
from wick.nn.parameter import Parameter
from wick.nn.utils.rnn import PackedSequence, _lengths_from_batch_sizes, _packed_positions

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _init_recurrent(module):
    """PyTorch's initialisation of the recurrent layers and cells: every
    parameter U(-1/sqrt(H), 1/sqrt(H)), H the module's hidden_size."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -stdv, stdv)


class RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's parameters per layer and direction,
    weight_ih_l{k}[_reverse] [gates * H, layer input], weight_hh_l{k} [gates * H, H],
    bias_ih_l{k} and bias_hh_l{k} [gates * H], all U(-1/sqrt(H), 1/sqrt(H)).

    The input is a tensor [T, B, I] ([B, T, I] with batch_first, or [T, I])
    or a PackedSequence (then so is the output, and the final states are
    those at each sequence's own last step)."""

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
            if mode != "LSTM":
                raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
            raise NotImplementedError(f"{mode}: proj_size is not supported")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
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
        _init_recurrent(self)

    def _batched_input(self, input):
        if not isinstance(input, _C.Tensor):
            raise TypeError(f"{self.mode}: expected a Tensor or PackedSequence input, got {type(input).__name__}")
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

    def _check_hidden(self, hx, input, msg, batch=None):
        directions = 2 if self.bidirectional else 1
        if batch is None:
            batch = input.size(0 if self.batch_first else 1)
        expected = (self.num_layers * directions, batch, self.hidden_size)
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def _run(self, x, states, batch_first):
        """The layers over x [T, B, I] (or [B, T, I]) from the initial states
        (a tuple: (h_0,) or (h_0, c_0)) -> (output, final states tuple)."""
        raise NotImplementedError

    def _forward_packed(self, packed, states, names):
        """The layers over a PackedSequence from `states` (a tuple of [L * D, B, H]
        in the caller's batch order, or None for zeros): runs each group of
        sequences of one length as a batch of its own, so that nothing is
        computed for padding and each final state is at its sequence's end."""
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        if data.dim() != 2 or data.size(1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{data.size(-1)}")
        lengths = _lengths_from_batch_sizes(batch_sizes)
        batch, steps = len(lengths), len(batch_sizes)
        directions = 2 if self.bidirectional else 1
        if states is None:
            zeros = wick.zeros(self.num_layers * directions, batch, self.hidden_size, dtype=data.dtype,
                               device=data.device)
            states = (zeros,) * len(names)
        else:
            for state, name in zip(states, names):
                if state.dim() != 3:
                    raise RuntimeError(f"For a PackedSequence input, {name} should be 3-D but got {state.dim()}-D")
                self._check_hidden(state, None, f"Expected {name} size {{}}, got {{}}", batch)
            if sorted_indices is not None:
                states = tuple(state.index_select(1, sorted_indices) for state in states)
        flat = wick.zeros(steps * batch, self.input_size, dtype=data.dtype, device=data.device)
        positions = _packed_positions(batch_sizes, batch, data.device)
        padded = flat.index_copy(0, positions, data).reshape(steps, batch, self.input_size)
        outputs, finals = [], []
        start = 0
        while start < batch:  # lengths decrease, so each length is one run of the batch
            end = start
            while end < batch and lengths[end] == lengths[start]:
                end += 1
            length = lengths[start]
            out, final = self._run(padded[:length, start:end], tuple(s[:, start:end] for s in states), False)
            if length < steps:
                out = wick.cat([out, out.new_zeros(steps - length, end - start, out.size(2))])
            outputs.append(out)
            finals.append(final)
            start = end
        output = wick.cat(outputs, 1).reshape(steps * batch, -1).index_select(0, positions)
        finals = tuple(wick.cat(parts, 1) for parts in zip(*finals))
        if unsorted_indices is not None:
            finals = tuple(state.index_select(1, unsorted_indices) for state in finals)
        return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), finals

    def _forward_single_state(self, input, hx):
        """forward for the layers whose state is one tensor (RNN, GRU): input a
        tensor or PackedSequence, hx [L * D, B, H] (or [L * D, H]) or None -> (output, h_n)."""
        if isinstance(input, PackedSequence):
            output, (h_n,) = self._forward_packed(input, None if hx is None else (hx,), ("hidden",))
            return output, h_n
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
        self._check_state(x, hx)
        output, (h_n,) = self._run(x, (hx,), self.batch_first)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), h_n.squeeze(1)
        return output, h_n

    def _check_state(self, x, hx):
        """Further checks of the (batched) input and initial state before forward runs the layers."""

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


def _rnn_layers(x, h_0, weights, bias, num_layers, dropout, training, bidirectional, activation):
    """The Elman RNN over x [T, B, I] from h_0 [L * D, B, H]: per layer and
    direction, h_t = activation(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh),
    the input projection done for all steps at once. -> (output [T, B, D * H], h_n)."""
    if x.size(0) == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    directions = 2 if bidirectional else 1
    per_direction = 4 if bias else 2
    finals = []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            w_ih, w_hh, *biases = weights[index * per_direction:(index + 1) * per_direction]
            b_ih, b_hh = biases if bias else (None, None)
            projected = _C.linear(x, w_ih, b_ih)
            h = h_0[index]
            steps = [None] * x.size(0)
            for t in (range(x.size(0) - 1, -1, -1) if direction == 1 else range(x.size(0))):
                h = activation(projected[t] + _C.linear(h, w_hh, b_hh))
                steps[t] = h
            outputs.append(wick.stack(steps))
            finals.append(h)
        x = outputs[0] if directions == 1 else wick.cat(outputs, 2)
        if dropout > 0 and training and layer < num_layers - 1:
            x = _C.dropout(x, dropout, True)
    return x, wick.stack(finals)


class RNN(RNNBase):
    """Multi-layer Elman RNN with tanh or relu (nonlinearity):
    h_t = nonlinearity(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh).
    input [T, B, I] ([B, T, I] with batch_first, or unbatched [T, I]) or a
    PackedSequence; hx [num_layers * directions, B, H] (zeros if None).
    Returns (output [T, B, directions * H], h_n).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(modes[nonlinearity], *args, **kwargs)
        self.nonlinearity = nonlinearity

    def _run(self, x, states, batch_first):
        if batch_first:
            x = x.transpose(0, 1)
        activation = _C.tanh if self.nonlinearity == "tanh" else _C.relu
        output, h_n = _rnn_layers(x, states[0], self._flat_weights, self.bias, self.num_layers, self.dropout,
                                  self.training, self.bidirectional, activation)
        return (output.transpose(0, 1) if batch_first else output), (h_n,)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx)

    def _check_state(self, x, hx):
        if hx.dtype != x.dtype:
            raise RuntimeError(f"RNN: input and hx must have the same dtype, got {x.dtype} and {hx.dtype}")


class LSTM(RNNBase):
    """Multi-layer LSTM. input [T, B, I] ([B, T, I] with batch_first) or
    unbatched [T, I]; hx = (h_0, c_0), each [num_layers * directions, B, H]
    (zeros if None). Returns (output [T, B, directions * H], (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def _run(self, x, states, batch_first):
        output, h_n, c_n = _C.lstm(x, states, self._flat_weights, self.bias, self.num_layers, self.dropout,
                                   self.training, self.bidirectional, batch_first)
        return output, (h_n, c_n)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
            return self._forward_packed(input, None if hx is None else tuple(hx), ("hidden[0]", "hidden[1]"))
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
        output, (h_n, c_n) = self._run(x, (h0, c0), self.batch_first)
        if not batched:
            return output.squeeze(0 if self.batch_first else 1), (h_n.squeeze(1), c_n.squeeze(1))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Multi-layer GRU, as LSTM with a single state: returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)

    def _run(self, x, states, batch_first):
        output, h_n = _C.gru(x, states[0], self._flat_weights, self.bias, self.num_layers, self.dropout,
                             self.training, self.bidirectional, batch_first)
        return output, (h_n,)

    def forward(self, input, hx=None):
        return self._forward_single_state(input, hx)


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
        _init_recurrent(self)

    def _batched_input(self, input):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1-D or 2-D but received "
                             f"{input.dim()}-D tensor")
        return input if input.dim() == 2 else input.unsqueeze(0)

    def _zero_hidden(self, x):
        """The zero state [B, H] for the batched input x [B, I]."""
        return wick.zeros(x.size(0), self.hidden_size, dtype=x.dtype, device=x.device)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        return s.format(**self.__dict__)


class RNNCell(RNNCellBase):
    """One Elman RNN step: input [B, I] or [I], hx [B, H] (zeros if None) ->
    h' = nonlinearity(input W_ih^T + b_ih + hx W_hh^T + b_hh), nonlinearity
    "tanh" (default) or "relu"."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        x = self._batched_input(input)
        if x.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.size(1)} expected {self.input_size}")
        if hx is None:
            hx = self._zero_hidden(x)
        elif input.dim() == 1:
            if hx.dim() != 1:
                raise RuntimeError(f"RNNCell: Expected hidden to be 1D for an unbatched input, got {hx.dim()}D")
            hx = hx.unsqueeze(0)
        elif hx.dim() != 2:
            raise RuntimeError(f"RNNCell: Expected hidden to be 2D for a batched input, got {hx.dim()}D")
        if tuple(hx.shape) != (x.size(0), self.hidden_size):
            raise RuntimeError(f"RNNCell: Expected hidden of shape {[x.size(0), self.hidden_size]}, got "
                               f"{list(hx.shape)}")
        pre = _C.linear(x, self.weight_ih, self.bias_ih) + _C.linear(hx, self.weight_hh, self.bias_hh)
        h = _C.tanh(pre) if self.nonlinearity == "tanh" else _C.relu(pre)
        return h.squeeze(0) if input.dim() == 1 else h

    def extra_repr(self):
        s = super().extra_repr()
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class LSTMCell(RNNCellBase):
    """One LSTM step: input [B, I] or [I], hx = (h, c) [B, H] (zeros if None) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x = self._batched_input(input)
        if hx is None:
            zeros = self._zero_hidden(x)
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
            hx = self._zero_hidden(x)
        elif input.dim() == 1:
            hx = hx.unsqueeze(0)
        h = _C.gru_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if input.dim() == 1 else h
