// wick: a PyTorch-style tensor library with a dynamic autograd graph.
//
//   #include "wick.h"
//   using namespace wick;
//
//   Tensor a = tensor({2.0}).requires_grad_();     // a leaf that wants a gradient
//   Tensor b = tensor({1.0}).requires_grad_();
//   Tensor e = (a + b) * (b + 1);                   // records AddBackward0, MulBackward0
//   e.backward();                                   // chain rule, back to the leaves
//   a.grad();                                       // tensor([2.])
//   b.grad();                                       // tensor([5.])
//
// Tensors are views over refcounted storage (core/tensor_impl.h); ops live in
// ops/ with their derivatives next to them; kernels in backends/cpu and
// backends/cuda, reached through one table per device (core/dispatch.h); the
// graph is run by autograd/engine.cpp. Every user mistake throws a
// wick::Error subclass whose message names the shapes, dtypes and devices.
#pragma once

#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "backends/cpu/info.h"
#include "core/allocator.h"
#include "core/cpu_features.h"
#include "core/cuda_info.h"
#include "core/generator.h"
#include "core/parallel.h"
#include "core/shared_memory.h"
#include "core/tensor.h"
#include "core/warning.h"
#include "ops/ops.h"
