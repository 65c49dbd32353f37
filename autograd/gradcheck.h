// gradcheck: compares the gradients autograd computes for fn with central
// finite differences, input by input and element by element.
#pragma once

#include <functional>
#include <string>

#include "core/tensor.h"

namespace wick {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

// Checks every input that requires grad (those must be float64). Returns true
// when all Jacobian entries agree; otherwise throws wick::Error describing the
// first mismatch (input, output element, numerical and analytical values).
bool gradcheck(const std::function<Tensor(const TensorList&)>& fn, const TensorList& inputs,
               const GradcheckOptions& options = {});

}  // namespace wick
