// The autograd graph as Graphviz DOT text: the picture torchviz draws.
//
//   Tensor loss = ...;
//   std::string dot = to_dot(loss, {{"fc1.weight", w1}, {"fc1.bias", b1}});
//   // save it as graph.dot, then: dot -Tsvg graph.dot -o graph.svg
//
// One grey box per grad_fn node, named as in PyTorch (AddmmBackward0), with
// the bytes of the tensors it keeps for backward (Node::saved_bytes; 0 once
// a backward without retain_graph has released them). One blue box per leaf
// that requires grad (the variable of an AccumulateGrad node), labelled with
// its name from `params` (else Tensor::name(), if set) and its shape. One
// green box per output, with its shape. Edges follow the forward pass: from
// each op's inputs to the op, and from the last op to the output.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace wick {

std::string to_dot(const Tensor& root, const std::vector<std::pair<std::string, Tensor>>& params = {});
std::string to_dot(const TensorList& roots, const std::vector<std::pair<std::string, Tensor>>& params = {});

}  // namespace wick
