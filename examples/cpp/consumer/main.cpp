// Fits y = 3x - 1 with a two-layer net through the installed wick: forward,
// backward and Adam steps, then prints one line that scripts/test.sh checks.
#include <cstdio>

#include "nn/nn.h"
#include "optim/adam.h"
#include "wick.h"

using namespace wick;

int main() {
  manual_seed(0);
  Tensor x = linspace(-1, 1, 64).unsqueeze(1);  // [64, 1]
  Tensor y = x * 3 - 1;
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(1, 16), std::make_shared<nn::Tanh>(),
                                              std::make_shared<nn::Linear>(16, 1));
  optim::Adam opt(net->parameters(), optim::AdamOptions(0.05));
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    Tensor loss = mse_loss(net->forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    last = loss.item<double>();
    if (step == 0) first = last;
  }
  const bool ok = last < first / 100 && last < 1e-2;
  const cpu::BlasInfo blas = cpu::blas_info();  // backends/cpu/info.h, installed with the library
  std::printf("wick consumer: mse %.4g -> %.4g after 200 Adam steps on %s (%s %s, %s kernels): %s\n", first, last,
              backend(kCPU).name, blas.library.c_str(), blas.version.c_str(), blas.core.c_str(), ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
