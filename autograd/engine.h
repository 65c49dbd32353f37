// The autograd engine: runs the chain rule backward through the graph the
// forward pass recorded. See autograd/engine.cpp for how.
#pragma once

#include <functional>
#include <optional>

#include "core/tensor.h"

namespace wick::autograd {

// Accumulates d(sum_i <roots_i, grad_roots_i>)/d(leaf) into every leaf's
// .grad. A scalar root's gradient defaults to 1; other roots need one.
// Without retain_graph the graph's saved tensors are freed as it runs.
// Given `inputs`, only those tensors' .grad are written (a non-leaf among
// them is made to retain its grad, as in PyTorch), and only the part of the
// graph that leads to them runs.
void backward(const TensorList& roots, const TensorList& grad_roots = {}, bool retain_graph = false,
              bool create_graph = false, const TensorList& inputs = {});

// Returns d(sum_i <outputs_i, grad_outputs_i>)/d(inputs_j) for each input,
// without touching any .grad. An input the outputs do not depend on is an
// error unless allow_unused, in which case its gradient is undefined.
// retain_graph defaults to create_graph, as in PyTorch.
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs = {},
                std::optional<bool> retain_graph = {}, bool create_graph = false, bool allow_unused = false);

// Adds `callback` to the backward (or grad) running on this thread, as
// PyTorch's Variable._execution_engine.queue_callback: it runs once that
// backward's whole graph has run and every .grad is written, before backward()
// returns. Callbacks run in the order queued, and one may queue another. Only
// callable while a backward runs (from a hook or a custom Function's
// backward); an error otherwise. Note [Final callbacks] in autograd/engine.cpp.
void queue_callback(std::function<void()> callback);

}  // namespace wick::autograd
