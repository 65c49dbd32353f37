// Reduction: how a loss combines its per-element terms. Defined in core
// because the backend table (core/dispatch.h) passes it to the loss kernels;
// the losses themselves are in ops/loss.h.
#pragma once

#include <cstdint>

namespace wick {

enum class Reduction : uint8_t { None, Mean, Sum };

}  // namespace wick
