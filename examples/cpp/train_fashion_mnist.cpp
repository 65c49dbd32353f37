// Trains the main job's MLP or CNN on Fashion-MNIST through wick's C++ API
// alone: the same models, optimizer, batch size and normalization as
// `python -m wick.examples.train`, written as a libtorch user would.
//
//   build/train_fashion_mnist [--model mlp|cnn] [--epochs N] [--batch-size B] [--lr X]
//                             [--seed S] [--train-limit N] [--test-limit N] [--out DIR]
//                             [--device cpu|cuda|cuda:N] [--data DIR]
//
// Prints a progress line per epoch (loss, accuracy, samples/s), then the test
// accuracy and wall time; writes DIR/metrics.csv, DIR/model.wick (model,
// optimizer and epoch) and DIR/graph.dot.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "autograd/graph_dot.h"
#include "wick.h"
#include "data/dataloader.h"
#include "data/mnist.h"
#include "io/checkpoint.h"
#include "nn/nn.h"
#include "optim/adam.h"

using namespace wick;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string model = "cnn", out = "runs/cpp-cnn";
  std::string data = data::FashionMNIST::kDefaultRoot;
  Device device = kCPU;
  int64_t epochs = 1, batch_size = 64, seed = 0;
  int64_t train_limit = -1, test_limit = -1;
  double lr = 1e-3;
};

Args parse(int argc, char** argv) {
  Args a;
  bool out_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ValueError(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--model") a.model = value();
    else if (flag == "--epochs") a.epochs = std::stoll(value());
    else if (flag == "--batch-size") a.batch_size = std::stoll(value());
    else if (flag == "--lr") a.lr = std::stod(value());
    else if (flag == "--seed") a.seed = std::stoll(value());
    else if (flag == "--train-limit") a.train_limit = std::stoll(value());
    else if (flag == "--test-limit") a.test_limit = std::stoll(value());
    else if (flag == "--out") a.out = value(), out_given = true;
    else if (flag == "--device") a.device = Device(std::string_view(value()));
    else if (flag == "--data") a.data = value();
    else throw ValueError("unknown argument " + flag + " (see the comment at the top of train_fashion_mnist.cpp)");
  }
  if (a.model != "mlp" && a.model != "cnn") throw ValueError("--model must be mlp or cnn, not " + a.model);
  if (!out_given) a.out = "runs/cpp-" + a.model;
  return a;
}

std::shared_ptr<nn::Sequential> make_model(const std::string& name) {
  using namespace nn;
  if (name == "mlp") {
    return std::make_shared<Sequential>(
        std::make_shared<Flatten>(),
        std::make_shared<Linear>(784, 256), std::make_shared<ReLU>(), std::make_shared<Dropout>(0.2),
        std::make_shared<Linear>(256, 128), std::make_shared<ReLU>(), std::make_shared<Dropout>(0.2),
        std::make_shared<Linear>(128, 10));
  }
  Conv2dOptions same;
  same.padding = ExpandingArray<2>(1);
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(1, 32, 3, same), std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
      std::make_shared<Conv2d>(32, 64, 3, same), std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
      std::make_shared<Flatten>(),
      std::make_shared<Linear>(3136, 128), std::make_shared<ReLU>(),
      std::make_shared<Linear>(128, 10));
}

// The first `limit` examples of a split (all with limit < 0), normalized as the Python program does.
std::shared_ptr<data::TensorDataset> load(const std::string& root, bool train, int64_t limit) {
  data::FashionMNIST full(root, train, data::FashionMNIST::kNormalize);
  if (limit < 0 || limit >= full.size()) return std::make_shared<data::TensorDataset>(full.data(), full.target());
  return std::make_shared<data::TensorDataset>(full.data().narrow(0, 0, limit), full.target().narrow(0, 0, limit));
}

struct EpochResult {
  double loss = 0, accuracy = 0, samples_per_second = 0;
};

// One pass over `loader`: trains when an optimizer is given, else evaluates.
EpochResult run_epoch(nn::Sequential& model, data::DataLoader<>& loader, optim::Optimizer* optimizer,
                      Device device, const std::string& label) {
  model.train(optimizer != nullptr);
  std::optional<NoGradGuard> no_grad;
  if (!optimizer) no_grad.emplace();
  double total_loss = 0;
  int64_t correct = 0, seen = 0, batches = 0;
  const auto start = Clock::now();
  EpochResult r;
  for (const data::Example& batch : loader) {
    const Tensor target = batch.target.to(device);
    Tensor logits = model.forward(batch.data.to(device));
    Tensor loss = cross_entropy(logits, target);
    if (optimizer) {
      optimizer->zero_grad(/*set_to_none=*/true);
      loss.backward();
      optimizer->step();
    }
    const int64_t n = target.size(0);
    total_loss += loss.item<double>() * static_cast<double>(n);
    correct += logits.argmax(1).eq(target).sum().item<int64_t>();
    seen += n;
    ++batches;
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    r = {total_loss / static_cast<double>(seen), static_cast<double>(correct) / static_cast<double>(seen),
         static_cast<double>(seen) / std::max(secs, 1e-9)};
    if (batches % 50 == 0 || batches == loader.size()) {
      std::printf("\r%s: %lld/%lld batches  loss=%.4f acc=%.4f  %.0f samples/s", label.c_str(),
                  static_cast<long long>(batches), static_cast<long long>(loader.size()), r.loss, r.accuracy,
                  r.samples_per_second);
      std::fflush(stdout);
    }
  }
  std::printf("\n");
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  std::filesystem::create_directories(args.out);
  manual_seed(static_cast<uint64_t>(args.seed));

  auto train_set = load(args.data, true, args.train_limit);
  auto test_set = load(args.data, false, args.test_limit);
  auto model = make_model(args.model);
  model->to(args.device);  // before the optimizer takes the parameters, as in PyTorch
  optim::Adam optimizer(model->parameters(), optim::AdamOptions(args.lr));
  std::cout << *model << "\n";
  std::printf("wick C++: %s, %zu training and %zu test samples, batch %lld, Adam lr %g, device %s\n",
              args.model.c_str(), static_cast<size_t>(train_set->size()), static_cast<size_t>(test_set->size()),
              static_cast<long long>(args.batch_size), args.lr, args.device.str().c_str());

  data::DataLoader<> test_loader(test_set, {.batch_size = 256});
  {  // the autograd graph of one step, parameters by name
    data::DataLoader<> first(train_set, {.batch_size = args.batch_size, .prefetch = 0});
    const data::Example& batch = *first.begin();
    std::vector<std::pair<std::string, Tensor>> params;
    for (const auto& [name, p] : model->named_parameters()) params.emplace_back(name, p);
    std::ofstream(args.out + "/graph.dot")
        << to_dot(cross_entropy(model->forward(batch.data.to(args.device)), batch.target.to(args.device)), params);
  }

  std::ofstream csv(args.out + "/metrics.csv");
  csv << "epoch,train_loss,train_acc,test_loss,test_acc,seconds\n";
  const auto start = Clock::now();
  EpochResult test;
  for (int64_t epoch = 0; epoch < args.epochs; ++epoch) {
    // Seeded per epoch, like the Python program: shuffling and dropout of
    // epoch e do not depend on what ran before it.
    manual_seed(static_cast<uint64_t>(args.seed * 1000 + epoch));
    data::DataLoader<> train_loader(train_set, {.batch_size = args.batch_size, .shuffle = true});
    const auto t0 = Clock::now();
    const std::string tag = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(args.epochs);
    const EpochResult train = run_epoch(*model, train_loader, &optimizer, args.device, tag + " train");
    test = run_epoch(*model, test_loader, nullptr, args.device, tag + " test");
    csv << epoch + 1 << ',' << train.loss << ',' << train.accuracy << ',' << test.loss << ',' << test.accuracy << ','
        << std::chrono::duration<double>(Clock::now() - t0).count() << std::endl;

    io::Dict state;
    for (const auto& [name, t] : model->state_dict()) state.emplace_back(name, t);
    io::save(io::Dict{{"model", state}, {"optimizer", optimizer.state_dict()}, {"epoch", epoch + 1}},
             args.out + "/model.wick");
  }
  std::printf("test accuracy %.4f, wall time %.1f s\noutputs in %s: metrics.csv model.wick graph.dot\n",
              test.accuracy, std::chrono::duration<double>(Clock::now() - start).count(), args.out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_fashion_mnist: %s\n", e.what());
  return 1;
}
