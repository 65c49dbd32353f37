// wick::nn: modules, layers, losses and initialisation, as torch.nn.
//
//   #include "nn/nn.h"
//   auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(1, 16),
//                                               std::make_shared<nn::Tanh>(),
//                                               std::make_shared<nn::Linear>(16, 1));
//   Tensor loss = mse_loss(net->forward(x), y);
//   net->zero_grad();
//   loss.backward();
//   for (const Tensor& p : net->parameters()) { NoGradGuard g; p.sub_(p.grad() * lr); }
#pragma once

#include "autograd/engine.h"
#include "autograd/function.h"
#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "core/allocator.h"
#include "core/cuda_info.h"
#include "core/generator.h"
#include "core/parallel.h"
#include "core/tensor.h"
#include "ops/ops.h"
#include "nn/activation.h"
#include "nn/container.h"
#include "nn/conv.h"
#include "nn/embedding.h"
#include "nn/init.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "nn/module.h"
#include "nn/normalization.h"
#include "nn/pooling.h"
#include "nn/rnn.h"
