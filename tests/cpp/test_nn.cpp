// nn::Module and the layers: the module tree and its names, state dicts,
// train/eval, conversion, printing, each layer's shapes and gradient flow,
// default initialisation, and small models trained with plain gradient descent.
#include <cmath>
#include <sstream>

#include "nn/nn.h"
#include "tests/cpp/test_util.h"

using namespace wick;
using wick::testing::leaf;

namespace {

// A model written the way a libtorch user writes one.
struct Net : nn::Module {
  std::shared_ptr<nn::Linear> fc1;
  std::shared_ptr<nn::Sequential> body;
  std::shared_ptr<nn::Linear> head;
  Tensor scale;

  Net() {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 8));
    body = register_module("body", std::make_shared<nn::Sequential>(std::make_shared<nn::BatchNorm1d>(8),
                                                                    std::make_shared<nn::ReLU>(),
                                                                    std::make_shared<nn::Dropout>(0.5)));
    head = register_module("head", std::make_shared<nn::Linear>(8, 3, /*bias=*/false));
    scale = register_parameter("scale", ones({3}));
    register_buffer("step", zeros({}, ScalarType::Int64));
    register_buffer("cache", zeros({2}), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) { return head->forward(body->forward(fc1->forward(x))) * scale; }
};

std::vector<std::string> keys_of(const nn::OrderedDict<Tensor>& d) { return d.keys(); }

// Every parameter got a gradient of its own shape.
void expect_all_grads(const nn::Module& m) {
  for (const auto& [name, p] : m.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name << " has no gradient";
    EXPECT_EQ(p.grad().sizes(), p.sizes()) << name;
  }
}

std::vector<int64_t> shape(const Tensor& t) { return t.sizes().vec(); }

}  // namespace

// ---- the module tree ---------------------------------------------------------------------------

TEST(NnModule, NamesFollowPyTorch) {
  auto net = std::make_shared<Net>();
  EXPECT_EQ(keys_of(net->named_parameters()),
            (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "body.0.weight", "body.0.bias",
                                      "head.weight"}));
  EXPECT_EQ(keys_of(net->named_parameters(/*recurse=*/false)), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(net->parameters().size(), 6u);
  EXPECT_EQ(keys_of(net->named_buffers()),
            (std::vector<std::string>{"step", "cache", "body.0.running_mean", "body.0.running_var",
                                      "body.0.num_batches_tracked"}));
  EXPECT_EQ(net->named_modules().keys(),
            (std::vector<std::string>{"", "fc1", "body", "body.0", "body.1", "body.2", "head"}));
  EXPECT_EQ(net->named_modules("model").keys().at(1), "model.fc1");
  EXPECT_EQ(net->modules().size(), 7u);
  EXPECT_EQ(net->modules()[0].get(), net.get());
  ASSERT_EQ(net->children().size(), 3u);
  EXPECT_EQ(net->children()[1].get(), net->body.get());
  EXPECT_EQ(net->named_children().keys(), (std::vector<std::string>{"fc1", "body", "head"}));
  // The registered tensor is the member the layer uses.
  EXPECT_TRUE(net->named_parameters()["fc1.weight"].is_same(net->fc1->weight));
  EXPECT_TRUE(net->fc1->weight.requires_grad());
  EXPECT_TRUE(net->fc1->weight.is_leaf());
  EXPECT_EQ(net->type_name(), "Net");
  EXPECT_EQ(net->fc1->type_name(), "Linear");
}

TEST(NnModule, SharedModulesAndTensorsCountOnce) {
  auto shared = std::make_shared<nn::Linear>(2, 2);
  auto list = std::make_shared<nn::ModuleList>(shared, std::make_shared<nn::Tanh>(), shared);
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_modules().keys(), (std::vector<std::string>{"", "0", "1"}));
  EXPECT_EQ(keys_of(list->named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
  // state_dict lists every path, as PyTorch's does.
  EXPECT_EQ(list->state_dict().keys(), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  // A tensor registered in two modules (tied weights).
  auto a = std::make_shared<nn::Linear>(3, 3), b = std::make_shared<nn::Linear>(3, 3);
  b->weight = b->register_parameter("weight", a->weight);
  auto tied = std::make_shared<nn::Sequential>(a, b);
  EXPECT_EQ(tied->parameters().size(), 3u);
  EXPECT_EQ(list->at<nn::Linear>(-1).get(), shared.get());
  EXPECT_THROW_WITH(list->at<nn::Conv2d>(1), TypeError, "is a Tanh");
  EXPECT_THROW_WITH((*list)[3], IndexError, "out of range");
}

TEST(NnModule, RegistrationErrors) {
  nn::Linear lin(2, 3);
  EXPECT_THROW_WITH(lin.register_parameter("a.b", zeros({1})), ValueError, "can't contain \".\"");
  EXPECT_THROW_WITH(lin.register_parameter("", zeros({1})), ValueError, "can't be empty");
  EXPECT_THROW_WITH(lin.register_buffer("weight", zeros({1})), ValueError, "attribute 'weight' already exists");
  EXPECT_THROW_WITH(lin.register_module("bias", std::make_shared<nn::ReLU>()), ValueError, "already exists");
  Tensor w = leaf({2});
  EXPECT_THROW_WITH(lin.register_parameter("derived", w * 2), ValueError, "non-leaf Tensor");
  // Registering a parameter name again replaces it, keeping its place.
  Tensor fresh = zeros({3});
  lin.register_parameter("bias", fresh);
  EXPECT_TRUE(lin.named_parameters()["bias"].is_same(fresh));
  EXPECT_EQ(lin.named_parameters().keys(), (std::vector<std::string>{"weight", "bias"}));
  // An undefined parameter is a slot left empty (bias=False).
  nn::Linear no_bias(2, 3, false);
  EXPECT_EQ(no_bias.named_parameters().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_FALSE(no_bias.bias.defined());
  // The module tree needs a shared_ptr root.
  EXPECT_THROW_WITH(lin.modules(), Error, "std::make_shared<Linear>");
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back("first", std::make_shared<nn::ReLU>());
  EXPECT_THROW_WITH(seq->push_back("first", std::make_shared<nn::ReLU>()), ValueError, "already exists");
}

TEST(NnModule, ApplyVisitsChildrenBeforeParents) {
  auto net = std::make_shared<Net>();
  std::vector<std::string> order;
  net->apply([&](nn::Module& m) { order.push_back(m.type_name()); });
  EXPECT_EQ(order, (std::vector<std::string>{"Linear", "BatchNorm1d", "ReLU", "Dropout", "Sequential", "Linear",
                                             "Net"}));
  // The usual use: re-initialising every Linear.
  net->apply([](nn::Module& m) {
    if (auto* lin = dynamic_cast<nn::Linear*>(&m)) nn::init::constant_(lin->weight, 0.5);
  });
  EXPECT_TRUE(equal(net->head->weight, full({3, 8}, 0.5)));
}

// ---- state dicts -------------------------------------------------------------------------------

TEST(NnModule, StateDictKeysAndSharing) {
  auto net = std::make_shared<Net>();
  nn::StateDict state = net->state_dict();
  // Parameters then persistent buffers, module by module; "cache" is not persistent.
  EXPECT_EQ(state.keys(), (std::vector<std::string>{"scale", "step", "fc1.weight", "fc1.bias", "body.0.weight",
                                                    "body.0.bias", "body.0.running_mean", "body.0.running_var",
                                                    "body.0.num_batches_tracked", "head.weight"}));
  EXPECT_EQ(state["body.0.num_batches_tracked"].dtype(), ScalarType::Int64);
  EXPECT_EQ(state["body.0.num_batches_tracked"].dim(), 0);
  // Detached, sharing memory with the module.
  EXPECT_FALSE(state["fc1.weight"].requires_grad());
  EXPECT_EQ(state["fc1.weight"].raw_data(), net->fc1->weight.raw_data());
}

TEST(NnModule, LoadStateDictRoundTrip) {
  manual_seed(1);
  auto a = std::make_shared<Net>();
  auto b = std::make_shared<Net>();
  a->eval();
  b->eval();
  {
    // Make the running statistics non-trivial.
    NoGradGuard g;
    a->body->at<nn::BatchNorm1d>(0)->running_mean.copy_(randn({8}));
    a->body->at<nn::BatchNorm1d>(0)->running_var.copy_(rand({8}) + 0.5);
    a->body->at<nn::BatchNorm1d>(0)->num_batches_tracked.fill_(7);
  }
  Tensor x = randn({5, 4});
  EXPECT_FALSE(allclose(a->forward(x), b->forward(x)));
  const Tensor b_weight = b->fc1->weight;
  auto result = b->load_state_dict(a->state_dict());
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  EXPECT_TRUE(allclose(a->forward(x), b->forward(x)));
  EXPECT_EQ(b->body->at<nn::BatchNorm1d>(0)->num_batches_tracked.item<int64_t>(), 7);
  // Values are copied into the existing tensors, not swapped in.
  EXPECT_TRUE(b->fc1->weight.is_same(b_weight));
  EXPECT_NE(b->fc1->weight.raw_data(), a->fc1->weight.raw_data());
  EXPECT_TRUE(b->fc1->weight.requires_grad());
}

TEST(NnModule, LoadStateDictStrictness) {
  auto net = std::make_shared<Net>();
  nn::StateDict state = net->state_dict();
  state.erase("fc1.bias");
  state.insert("extra.weight", zeros({1}));
  EXPECT_THROW_WITH(net->load_state_dict(state), Error,
                    "Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: \"fc1.bias\". "
                    "\n\tUnexpected key(s) in state_dict: \"extra.weight\". ");
  auto result = net->load_state_dict(state, /*strict=*/false);
  EXPECT_EQ(result.missing_keys, (std::vector<std::string>{"fc1.bias"}));
  EXPECT_EQ(result.unexpected_keys, (std::vector<std::string>{"extra.weight"}));
  // A shape mismatch raises even when not strict.
  nn::StateDict wrong = net->state_dict();
  wrong.insert("head.weight", zeros({3, 7}));
  EXPECT_THROW_WITH(net->load_state_dict(wrong, false), Error,
                    "size mismatch for head.weight: copying a param with shape torch.Size([3, 7]) from checkpoint, "
                    "the shape in current model is torch.Size([3, 8]).");
  // dtypes convert, as copy_ does.
  nn::Linear lin(2, 2);
  nn::StateDict doubles;
  doubles.insert("weight", ones({2, 2}, ScalarType::Float64));
  doubles.insert("bias", zeros({2}, ScalarType::Float64));
  lin.load_state_dict(doubles);
  EXPECT_EQ(lin.weight.dtype(), ScalarType::Float32);
  EXPECT_TRUE(equal(lin.weight, ones({2, 2})));
}

// ---- modes, gradients, conversion ----------------------------------------------------------------

TEST(NnModule, TrainEvalChangesDropout) {
  manual_seed(0);
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Dropout>(0.5));
  EXPECT_TRUE(net->is_training());
  Tensor x = ones({1000});
  Tensor y = net->forward(x);
  const double zeros_seen = eq(y, 0).sum().item<double>();
  EXPECT_GT(zeros_seen, 400);
  EXPECT_LT(zeros_seen, 600);
  EXPECT_TRUE(equal(y.masked_fill(eq(y, 0), 2.0), full({1000}, 2.0)));  // survivors scaled by 1 / (1 - p)
  net->eval();
  EXPECT_FALSE(net->is_training());
  EXPECT_FALSE((*net)[0]->is_training());
  EXPECT_TRUE(equal(net->forward(x), x));
  net->train();
  EXPECT_TRUE((*net)[0]->is_training());
  EXPECT_THROW_WITH(nn::Dropout(1.5), ValueError, "between 0 and 1");
}

TEST(NnModule, TrainEvalChangesBatchNorm) {
  manual_seed(0);
  nn::BatchNorm1d bn(3);
  Tensor x = randn({16, 3}) * 2 + 1;
  Tensor y = bn.forward(x);
  // Training: batch statistics, and the running ones move by momentum 0.1.
  EXPECT_TRUE(allclose(y.mean({0}), zeros({3}), 0, 1e-5));
  EXPECT_TRUE(allclose(bn.running_mean, x.mean({0}) * 0.1, 1e-5, 1e-6));
  EXPECT_TRUE(allclose(bn.running_var, x.var(std::vector<int64_t>{0}) * 0.1 + 0.9, 1e-5, 1e-6));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  // Eval: the running statistics, nothing updated.
  bn.eval();
  Tensor running_mean = bn.running_mean.clone();
  Tensor z = bn.forward(x);
  EXPECT_TRUE(allclose(z, (x - bn.running_mean) / (bn.running_var + 1e-5).sqrt(), 1e-5, 1e-5));
  EXPECT_TRUE(equal(bn.running_mean, running_mean));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  // momentum = None: a cumulative average.
  nn::BatchNorm1d cumulative(3, {.momentum = std::nullopt});
  Tensor x2 = randn({16, 3});
  cumulative.forward(x);
  cumulative.forward(x2);
  EXPECT_TRUE(allclose(cumulative.running_mean, (x.mean({0}) + x2.mean({0})) / 2, 1e-5, 1e-6));
  // Without running statistics, eval mode still normalizes by the batch.
  nn::BatchNorm2d untracked(2, {.affine = false, .track_running_stats = false});
  untracked.eval();
  EXPECT_TRUE(untracked.named_buffers().empty());
  EXPECT_TRUE(untracked.parameters().empty());
  Tensor img = randn({4, 2, 3, 3}) + 5;
  EXPECT_TRUE(allclose(untracked.forward(img).mean(), zeros({}), 0, 1e-5));
  EXPECT_THROW_WITH(untracked.forward(randn({4, 2})), ValueError, "expected 4D input (got 2D input)");
  EXPECT_THROW_WITH(bn.forward(randn({4, 3, 2, 2})), ValueError, "expected 2D or 3D input (got 4D input)");
}

TEST(NnModule, ZeroGrad) {
  nn::Linear lin(3, 2);
  lin.forward(randn({4, 3})).sum().backward();
  expect_all_grads(lin);
  lin.zero_grad(/*set_to_none=*/false);
  EXPECT_TRUE(equal(lin.weight.grad(), zeros({2, 3})));
  lin.zero_grad();
  EXPECT_FALSE(lin.weight.grad().defined());
  EXPECT_FALSE(lin.bias.grad().defined());
}

TEST(NnModule, ToDtypeConvertsInPlace) {
  auto net = std::make_shared<Net>();
  const Tensor weight = net->fc1->weight;  // a handle taken before the conversion, as an optimizer holds one
  const std::vector<float> before = weight.to_vector<float>();
  net->forward(randn({5, 4})).sum().backward();
  net->to(ScalarType::Float64);
  EXPECT_EQ(weight.dtype(), ScalarType::Float64);
  EXPECT_TRUE(weight.is_same(net->fc1->weight));
  EXPECT_TRUE(weight.requires_grad());
  EXPECT_TRUE(weight.is_leaf());
  EXPECT_EQ(weight.grad().dtype(), ScalarType::Float64);
  EXPECT_EQ(weight.to_vector<float>(), before);
  EXPECT_EQ(net->state_dict()["body.0.running_var"].dtype(), ScalarType::Float64);
  // Integer buffers keep their dtype.
  EXPECT_EQ(net->state_dict()["body.0.num_batches_tracked"].dtype(), ScalarType::Int64);
  // The converted model runs in float64, and gradients flow to the converted leaves.
  net->zero_grad();
  Tensor y = net->forward(randn({5, 4}, ScalarType::Float64));
  EXPECT_EQ(y.dtype(), ScalarType::Float64);
  y.sum().backward();
  EXPECT_EQ(weight.grad().dtype(), ScalarType::Float64);
  net->to(kCPU);  // nothing to move
  EXPECT_TRUE(weight.is_same(net->fc1->weight));
  EXPECT_THROW_WITH(net->to(ScalarType::Int32), TypeError, "only accepts floating point dtypes");
}

// ---- printing ----------------------------------------------------------------------------------

TEST(NnModule, PrintsLikePyTorch) {
  auto net = std::make_shared<nn::Sequential>(
      std::make_shared<nn::Conv2d>(1, 8, 3, nn::Conv2dOptions{.padding = 1}), std::make_shared<nn::BatchNorm2d>(8),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(392, 10), std::make_shared<nn::Dropout>(0.25),
      std::make_shared<nn::LogSoftmax>(1));
  EXPECT_EQ(net->str(),
            "Sequential(\n"
            "  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
            "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (2): ReLU()\n"
            "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
            "  (4): Flatten(start_dim=1, end_dim=-1)\n"
            "  (5): Linear(in_features=392, out_features=10, bias=True)\n"
            "  (6): Dropout(p=0.25, inplace=False)\n"
            "  (7): LogSoftmax(dim=1)\n"
            ")");
  auto outer = std::make_shared<Net>();
  std::ostringstream os;
  os << *outer;
  EXPECT_EQ(os.str(),
            "Net(\n"
            "  (fc1): Linear(in_features=4, out_features=8, bias=True)\n"
            "  (body): Sequential(\n"
            "    (0): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "    (1): ReLU()\n"
            "    (2): Dropout(p=0.5, inplace=False)\n"
            "  )\n"
            "  (head): Linear(in_features=8, out_features=3, bias=False)\n"
            ")");
  auto dict = std::make_shared<nn::ModuleDict>(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
      {"lstm", std::make_shared<nn::LSTM>(3, 4, nn::RNNOptions{.num_layers = 2, .dropout = 0.5,
                                                               .bidirectional = true})},
      {"emb", std::make_shared<nn::Embedding>(10, 3, -1)},
      {"gelu", std::make_shared<nn::GELU>("tanh")},
      {"leaky", std::make_shared<nn::LeakyReLU>(0.2, true)},
      {"cell", std::make_shared<nn::GRUCell>(3, 4, false)},
      {"convt", std::make_shared<nn::ConvTranspose2d>(4, 2, 3, nn::ConvTranspose2dOptions{.stride = 2,
                                                                                          .output_padding = 1})},
      {"pool", std::make_shared<nn::AvgPool2d>(std::vector<int64_t>{2, 3})},
      {"adapt", std::make_shared<nn::AdaptiveAvgPool2d>(1)},
      {"ln", std::make_shared<nn::LayerNorm>(6, 1e-6)},
      {"gn", std::make_shared<nn::GroupNorm>(2, 4)},
      {"unflat", std::make_shared<nn::Unflatten>(1, std::vector<int64_t>{2, 3})},
      {"id", std::make_shared<nn::Identity>()},
      {"conv1d", std::make_shared<nn::Conv1d>(2, 4, 5, nn::Conv1dOptions{.padding = "same", .dilation = 2,
                                                                         .groups = 2, .bias = false,
                                                                         .padding_mode = "reflect"})},
      {"loss", std::make_shared<nn::CrossEntropyLoss>()}});
  EXPECT_EQ(dict->str(),
            "ModuleDict(\n"
            "  (lstm): LSTM(3, 4, num_layers=2, dropout=0.5, bidirectional=True)\n"
            "  (emb): Embedding(10, 3, padding_idx=9)\n"
            "  (gelu): GELU(approximate='tanh')\n"
            "  (leaky): LeakyReLU(negative_slope=0.2, inplace=True)\n"
            "  (cell): GRUCell(3, 4, bias=False)\n"
            "  (convt): ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))\n"
            "  (pool): AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=0)\n"
            "  (adapt): AdaptiveAvgPool2d(output_size=1)\n"
            "  (ln): LayerNorm((6,), eps=1e-06, elementwise_affine=True)\n"
            "  (gn): GroupNorm(2, 4, eps=1e-05, affine=True)\n"
            "  (unflat): Unflatten(dim=1, unflattened_size=(2, 3))\n"
            "  (id): Identity()\n"
            "  (conv1d): Conv1d(2, 4, kernel_size=(5,), stride=(1,), padding=same, dilation=(2,), groups=2, "
            "bias=False, padding_mode=reflect)\n"
            "  (loss): CrossEntropyLoss()\n"
            ")");
  EXPECT_EQ(nn::repr_float(1e-5), "1e-05");
  EXPECT_EQ(nn::repr_float(0.1), "0.1");
  EXPECT_EQ(nn::repr_float(1.0), "1.0");
  EXPECT_EQ(nn::repr_float(-2.5e20), "-2.5e+20");
  EXPECT_EQ(nn::repr_float(123456.0), "123456.0");
  EXPECT_EQ(nn::repr_float(0.0001), "0.0001");
}

// ---- layers: shapes and gradient flow ----------------------------------------------------------

TEST(NnLayer, LinearAndBilinear) {
  nn::Linear lin(5, 3);
  Tensor x = leaf({2, 4, 5}).to(ScalarType::Float32).detach().requires_grad_();
  Tensor y = lin.forward(x);
  EXPECT_EQ(shape(y), (std::vector<int64_t>{2, 4, 3}));
  EXPECT_TRUE(allclose(y, matmul(x, lin.weight.t()) + lin.bias, 1e-5, 1e-6));
  y.sum().backward();
  expect_all_grads(lin);
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  EXPECT_THROW(lin.forward(randn({2, 4})), Error);

  nn::Bilinear bil(3, 4, 2);
  Tensor a = randn({6, 3}).requires_grad_(), b = randn({6, 4}).requires_grad_();
  Tensor z = bil.forward(a, b);
  EXPECT_EQ(shape(z), (std::vector<int64_t>{6, 2}));
  // z[n, o] = a[n] . W[o] . b[n] + bias[o]
  Tensor expected = (a.unsqueeze(1).unsqueeze(2).matmul(bil.weight.unsqueeze(0))
                         .matmul(b.unsqueeze(1).unsqueeze(3)))
                        .flatten(1) +
                    bil.bias;
  EXPECT_TRUE(allclose(z, expected, 1e-4, 1e-5));
  z.sum().backward();
  expect_all_grads(bil);
  EXPECT_TRUE(a.grad().defined() && b.grad().defined());
}

TEST(NnLayer, LinearGradcheck) {
  auto lin = std::make_shared<nn::Linear>(3, 2);
  lin->to(ScalarType::Float64);
  Tensor x = leaf({4, 3});
  EXPECT_TRUE(gradcheck(
      [&](const TensorList& in) { return linear(in[0], in[1], in[2]); }, {x, lin->weight, lin->bias}));
}

TEST(NnLayer, Convolutions) {
  nn::Conv2d conv(3, 6, {3, 5}, {.stride = 2, .padding = {1, 2}});
  EXPECT_EQ(shape(conv.weight), (std::vector<int64_t>{6, 3, 3, 5}));
  Tensor x = randn({2, 3, 9, 11}).requires_grad_();
  Tensor y = conv.forward(x);
  EXPECT_EQ(shape(y), (std::vector<int64_t>{2, 6, 5, 6}));
  EXPECT_TRUE(allclose(y, conv2d(x, conv.weight, conv.bias, {2, 2}, {1, 2}), 1e-5, 1e-6));
  y.sum().backward();
  expect_all_grads(conv);
  EXPECT_EQ(x.grad().sizes(), x.sizes());

  // padding="same" and a non-zero padding mode: reflect-pad, then a plain conv.
  nn::Conv2d same(2, 4, 3, {.padding = "same", .padding_mode = "reflect"});
  Tensor img = randn({1, 2, 6, 7});
  Tensor out = same.forward(img);
  EXPECT_EQ(shape(out), (std::vector<int64_t>{1, 4, 6, 7}));
  EXPECT_TRUE(allclose(out, conv2d(pad(img, {1, 1, 1, 1}, "reflect"), same.weight, same.bias), 1e-5, 1e-6));
  nn::Conv2d same_zeros(2, 4, {3, 4}, {.padding = "same", .dilation = 2});
  EXPECT_EQ(shape(same_zeros.forward(img)), (std::vector<int64_t>{1, 4, 6, 7}));

  nn::Conv1d conv1(4, 8, 3, {.groups = 2, .bias = false});
  EXPECT_EQ(shape(conv1.weight), (std::vector<int64_t>{8, 2, 3}));
  Tensor seq = randn({5, 4, 10});
  EXPECT_EQ(shape(conv1.forward(seq)), (std::vector<int64_t>{5, 8, 8}));
  EXPECT_EQ(shape(conv1.forward(randn({4, 10}))), (std::vector<int64_t>{8, 8}));  // unbatched

  EXPECT_THROW_WITH(nn::Conv2d(3, 6, 3, {.groups = 2}), ValueError, "in_channels must be divisible by groups");
  EXPECT_THROW_WITH(nn::Conv2d(4, 6, 3, {.groups = 4}), ValueError, "out_channels must be divisible by groups");
  EXPECT_THROW_WITH(nn::Conv2d(3, 6, 3, {.stride = 2, .padding = "same"}), ValueError,
                    "padding='same' is not supported for strided convolutions");
  EXPECT_THROW_WITH(nn::Conv2d(3, 6, 3, {.padding = "full"}), ValueError, "Invalid padding string 'full'");
  EXPECT_THROW_WITH(nn::Conv2d(3, 6, 3, {.padding_mode = "mirror"}), ValueError, "padding_mode must be one of");
  EXPECT_THROW_WITH(nn::Conv2d(3, 6, {3, 3, 3}), ValueError, "expected 2 sizes");
}

TEST(NnLayer, ConvTranspose2d) {
  nn::ConvTranspose2d up(4, 2, 3, {.stride = 2, .padding = 1});
  EXPECT_EQ(shape(up.weight), (std::vector<int64_t>{4, 2, 3, 3}));
  Tensor x = randn({2, 4, 5, 5}).requires_grad_();
  Tensor y = up.forward(x);
  EXPECT_EQ(shape(y), (std::vector<int64_t>{2, 2, 9, 9}));
  // output_size picks the output padding.
  Tensor y10 = up.forward(x, std::vector<int64_t>{10, 10});
  EXPECT_EQ(shape(y10), (std::vector<int64_t>{2, 2, 10, 10}));
  EXPECT_EQ(shape(up.forward(x, std::vector<int64_t>{2, 2, 9, 10})), (std::vector<int64_t>{2, 2, 9, 10}));
  EXPECT_THROW_WITH(up.forward(x, std::vector<int64_t>{11, 11}), ValueError,
                    "requested an output size of [11, 11], but valid sizes range from [9, 9] to [10, 10]");
  y10.sum().backward();
  expect_all_grads(up);
  EXPECT_THROW_WITH(nn::ConvTranspose2d(4, 2, 3, {.padding_mode = "reflect"}), ValueError,
                    "Only \"zeros\" padding mode is supported for ConvTranspose2d");
}

TEST(NnLayer, Pooling) {
  Tensor x = randn({2, 3, 8, 9}).requires_grad_();
  nn::MaxPool2d pool(2);
  Tensor y = pool.forward(x);
  EXPECT_EQ(shape(y), (std::vector<int64_t>{2, 3, 4, 4}));
  auto [values, indices] = pool.forward_with_indices(x);
  EXPECT_TRUE(equal(values, y));
  EXPECT_EQ(indices.dtype(), ScalarType::Int64);
  nn::MaxPool2d ceil(3, {.stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_EQ(shape(ceil.forward(x)), (std::vector<int64_t>{2, 3, 5, 5}));
  nn::AvgPool2d avg({2, 3});
  Tensor a = avg.forward(x);
  EXPECT_EQ(shape(a), (std::vector<int64_t>{2, 3, 4, 3}));
  EXPECT_TRUE(allclose(a[0][0][0][0], x[0][0].slice(0, 0, 2).slice(1, 0, 3).mean(), 1e-5, 1e-6));
  nn::AdaptiveAvgPool2d adapt({1, 1});
  Tensor g = adapt.forward(x);
  EXPECT_EQ(shape(g), (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_TRUE(allclose(g.flatten(1), x.mean({2, 3}), 1e-5, 1e-6));
  (y.sum() + a.sum() + g.sum()).backward();
  EXPECT_EQ(x.grad().sizes(), x.sizes());
}

TEST(NnLayer, Normalization) {
  Tensor x = randn({4, 6, 5}).requires_grad_();
  nn::LayerNorm ln(5);
  Tensor y = ln.forward(x);
  EXPECT_TRUE(allclose(y.mean({-1}), zeros({4, 6}), 0, 1e-5));
  nn::LayerNorm ln2({6, 5}, 1e-5, false);
  EXPECT_TRUE(ln2.parameters().empty());
  EXPECT_TRUE(allclose(ln2.forward(x).mean({1, 2}), zeros({4}), 0, 1e-5));
  nn::GroupNorm gn(3, 6);
  Tensor z = gn.forward(x);
  EXPECT_TRUE(allclose(z.reshape({4, 3, 10}).mean({-1}), zeros({4, 3}), 0, 1e-5));
  nn::BatchNorm1d bn(6);
  Tensor w = bn.forward(x);  // [N, C, L]
  EXPECT_TRUE(allclose(w.mean({0, 2}), zeros({6}), 0, 1e-5));
  nn::BatchNorm2d bn2(6);
  Tensor img = randn({3, 6, 2, 2});
  EXPECT_EQ(shape(bn2.forward(img)), shape(img));
  (y.sum() + (z * z).sum() + (w * w).sum()).backward();
  expect_all_grads(ln);
  expect_all_grads(gn);
  expect_all_grads(bn);
  EXPECT_EQ(x.grad().sizes(), x.sizes());
  EXPECT_THROW_WITH(nn::GroupNorm(4, 6), ValueError, "num_channels must be divisible by num_groups");
}

TEST(NnLayer, Embedding) {
  nn::Embedding emb(10, 4, 0);
  EXPECT_TRUE(equal(emb.weight[0], zeros({4})));
  Tensor idx = from_vector<int64_t>({0, 3, 3, 9, 0, 1}, {2, 3});
  Tensor y = emb.forward(idx);
  EXPECT_EQ(shape(y), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(equal(y[0][1], emb.weight[3]));
  y.sum().backward();
  // The padding row gets no gradient; row 3 was used twice.
  EXPECT_TRUE(equal(emb.weight.grad()[0], zeros({4})));
  EXPECT_TRUE(equal(emb.weight.grad()[3], full({4}, 2.0)));
  EXPECT_TRUE(equal(emb.weight.grad()[5], zeros({4})));
  EXPECT_EQ(nn::Embedding(10, 4, -2).padding_idx, 8);
  EXPECT_THROW_WITH(nn::Embedding(10, 4, 10), ValueError, "Padding_idx must be within num_embeddings");
  Tensor table = randn({5, 2});
  auto frozen = nn::Embedding::from_pretrained(table);
  EXPECT_FALSE(frozen->weight.requires_grad());
  EXPECT_TRUE(equal(frozen->forward(from_vector<int64_t>({4}, {1})), table.slice(0, 4, 5)));
  EXPECT_TRUE(nn::Embedding::from_pretrained(table, false)->weight.requires_grad());
}

TEST(NnLayer, LSTM) {
  nn::LSTM lstm(3, 5, {.num_layers = 2, .bidirectional = true});
  EXPECT_EQ(lstm.named_parameters().keys(),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                                      "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
                                      "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                                      "bias_ih_l1_reverse", "bias_hh_l1_reverse"}));
  EXPECT_EQ(shape(lstm.named_parameters()["weight_ih_l0"]), (std::vector<int64_t>{20, 3}));
  EXPECT_EQ(shape(lstm.named_parameters()["weight_ih_l1"]), (std::vector<int64_t>{20, 10}));
  EXPECT_EQ(shape(lstm.named_parameters()["weight_hh_l1_reverse"]), (std::vector<int64_t>{20, 5}));
  Tensor x = randn({7, 2, 3}).requires_grad_();
  auto [out, state] = lstm.forward(x);
  auto [h, c] = state;
  EXPECT_EQ(shape(out), (std::vector<int64_t>{7, 2, 10}));
  EXPECT_EQ(shape(h), (std::vector<int64_t>{4, 2, 5}));
  EXPECT_EQ(shape(c), (std::vector<int64_t>{4, 2, 5}));
  // The last layer's forward state at the last step is the output's last row.
  EXPECT_TRUE(allclose(h[2], out[6].slice(1, 0, 5), 1e-5, 1e-6));
  EXPECT_TRUE(allclose(h[3], out[0].slice(1, 5, 10), 1e-5, 1e-6));
  (out.sum() + c.sum()).backward();
  expect_all_grads(lstm);
  EXPECT_EQ(x.grad().sizes(), x.sizes());

  // batch_first, an initial state, and unbatched input.
  nn::LSTM bf(3, 4, {.batch_first = true});
  Tensor h0 = randn({1, 2, 4}), c0 = randn({1, 2, 4});
  auto [o2, s2] = bf.forward(randn({2, 6, 3}), std::make_tuple(h0, c0));
  EXPECT_EQ(shape(o2), (std::vector<int64_t>{2, 6, 4}));
  Tensor seq = randn({6, 3});
  auto [o3, s3] = bf.forward(seq);
  EXPECT_EQ(shape(o3), (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(shape(std::get<0>(s3)), (std::vector<int64_t>{1, 4}));
  auto [o4, s4] = bf.forward(seq.unsqueeze(0));
  EXPECT_TRUE(allclose(o3, o4[0], 1e-6, 1e-7));
  EXPECT_THROW_WITH(bf.forward(randn({2, 6, 5})), Error, "input.size(-1) must be equal to input_size. Expected 3, got 5");
  EXPECT_THROW_WITH(bf.forward(randn({2, 6, 3}), std::make_tuple(randn({1, 3, 4}), randn({1, 3, 4}))), Error,
                    "Expected hidden[0] size (1, 2, 4), got [1, 3, 4]");
  EXPECT_THROW_WITH(bf.forward(randn({2, 6, 3}), std::make_tuple(randn({2, 4}), randn({2, 4}))), Error,
                    "hx and cx should also be 3-D");
  EXPECT_THROW_WITH(bf.forward(randn({3})), ValueError, "Expected input to be 2-D or 3-D");
  // No biases.
  nn::LSTM nb(3, 4, {.bias = false});
  EXPECT_EQ(nb.named_parameters().keys(), (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
}

TEST(NnLayer, GRUAndCells) {
  nn::GRU gru(3, 4, {.num_layers = 2, .dropout = 0.0});
  EXPECT_EQ(shape(gru.named_parameters()["weight_ih_l0"]), (std::vector<int64_t>{12, 3}));
  Tensor x = randn({5, 2, 3}).requires_grad_();
  auto [out, h] = gru.forward(x, zeros({2, 2, 4}));
  EXPECT_EQ(shape(out), (std::vector<int64_t>{5, 2, 4}));
  EXPECT_EQ(shape(h), (std::vector<int64_t>{2, 2, 4}));
  EXPECT_TRUE(allclose(h[1], out[4], 1e-6, 1e-7));
  out.sum().backward();
  expect_all_grads(gru);

  nn::LSTMCell lc(3, 4);
  EXPECT_EQ(lc.named_parameters().keys(),
            (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  Tensor in = randn({2, 3});
  auto [h1, c1] = lc.forward(in);
  EXPECT_EQ(shape(h1), (std::vector<int64_t>{2, 4}));
  auto [h2, c2] = lc.forward(in, std::make_tuple(h1, c1));
  (h2.sum() + c2.sum()).backward();
  expect_all_grads(lc);
  auto [h1u, c1u] = lc.forward(in[0]);  // unbatched
  EXPECT_EQ(shape(h1u), (std::vector<int64_t>{4}));
  EXPECT_TRUE(allclose(h1u, h1[0], 1e-6, 1e-7));

  nn::GRUCell gc(3, 4, false);
  EXPECT_EQ(gc.named_parameters().keys(), (std::vector<std::string>{"weight_ih", "weight_hh"}));
  Tensor g1 = gc.forward(in);
  Tensor g2 = gc.forward(in, g1);
  EXPECT_EQ(shape(g2), (std::vector<int64_t>{2, 4}));
  g2.sum().backward();
  expect_all_grads(gc);
  EXPECT_THROW_WITH(gc.forward(randn({1, 2, 3})), ValueError, "GRUCell: Expected input to be 1-D or 2-D");
  EXPECT_THROW_WITH(nn::LSTM(3, 4, {.dropout = 2.0}), ValueError, "dropout should be a number in range [0, 1]");
  EXPECT_THROW_WITH(nn::GRU(3, 0), ValueError, "hidden_size must be greater than zero");
}

TEST(NnLayer, ShapeAdaptersAndActivations) {
  Tensor x = randn({2, 3, 4, 5});
  EXPECT_EQ(shape(nn::Flatten().forward(x)), (std::vector<int64_t>{2, 60}));
  EXPECT_EQ(shape(nn::Flatten(0, 2).forward(x)), (std::vector<int64_t>{24, 5}));
  EXPECT_EQ(shape(nn::Unflatten(1, {3, 1}).forward(x)), (std::vector<int64_t>{2, 3, 1, 4, 5}));
  EXPECT_TRUE(nn::Identity().forward(x).is_same(x));

  Tensor v = from_vector<float>({-2.0f, -0.5f, 0.0f, 1.5f}, {4});
  EXPECT_EQ(nn::ReLU().forward(v).to_vector<float>(), (std::vector<float>{0, 0, 0, 1.5f}));
  EXPECT_EQ(nn::LeakyReLU(0.5).forward(v).to_vector<float>(), (std::vector<float>{-1.0f, -0.25f, 0, 1.5f}));
  EXPECT_TRUE(allclose(nn::Tanh().forward(v), tanh(v)));
  EXPECT_TRUE(allclose(nn::Sigmoid().forward(v), sigmoid(v)));
  EXPECT_TRUE(allclose(nn::SiLU().forward(v), v * sigmoid(v)));
  EXPECT_TRUE(allclose(nn::GELU().forward(v), gelu(v)));
  Tensor m = randn({3, 4});
  EXPECT_TRUE(allclose(nn::Softmax(1).forward(m).sum({1}), ones({3})));
  EXPECT_TRUE(allclose(nn::Softmax().forward(m), softmax(m, 1)));  // legacy implicit dim for 2-D
  EXPECT_TRUE(allclose(nn::Softmax().forward(randn({2, 3, 4})).sum({0}), ones({3, 4})));
  EXPECT_TRUE(allclose(nn::LogSoftmax(0).forward(m).exp().sum({0}), ones({4})));

  // In place: the input holds the result, and gradients still flow.
  Tensor a = randn({6}).requires_grad_();
  Tensor b = a * 1;
  Tensor r = nn::LeakyReLU(0.1, true).forward(b);
  EXPECT_TRUE(r.is_same(b));
  r.sum().backward();
  EXPECT_TRUE(allclose(a.grad(), where(gt(a, 0), ones({6}), full({6}, 0.1))));
  Tensor c = randn({6}).requires_grad_();
  Tensor d = c * 1;
  nn::SiLU(true).forward(d).sum().backward();
  Tensor s = sigmoid(c.detach());
  EXPECT_TRUE(allclose(c.grad(), s * (1 + c.detach() * (1 - s)), 1e-5, 1e-6));
  Tensor e = from_vector<float>({-1.0f, 2.0f}, {2});
  nn::ReLU(true).forward(e);
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{0.0f, 2.0f}));
}

TEST(NnLayer, Losses) {
  Tensor logits = randn({4, 3}).requires_grad_();
  Tensor target = from_vector<int64_t>({0, 2, 1, 2}, {4});
  EXPECT_TRUE(allclose(nn::CrossEntropyLoss().forward(logits, target), cross_entropy(logits, target)));
  Tensor w = from_vector<float>({1.0f, 2.0f, 0.5f}, {3});
  nn::CrossEntropyLoss weighted({.weight = w, .ignore_index = 1, .label_smoothing = 0.1});
  EXPECT_EQ(weighted.state_dict().keys(), (std::vector<std::string>{"weight"}));
  EXPECT_TRUE(allclose(weighted.forward(logits, target),
                       cross_entropy(logits, target, w, Reduction::Mean, 1, 0.1)));
  EXPECT_TRUE(allclose(nn::NLLLoss({.reduction = Reduction::Sum}).forward(log_softmax(logits, 1), target),
                       nll_loss(log_softmax(logits, 1), target, {}, Reduction::Sum)));
  Tensor p = rand({5}), q = rand({5});
  EXPECT_TRUE(allclose(nn::MSELoss().forward(p, q), ((p - q) * (p - q)).mean()));
  EXPECT_TRUE(allclose(nn::L1Loss(Reduction::Sum).forward(p, q), (p - q).abs().sum()));
  EXPECT_TRUE(allclose(nn::SmoothL1Loss(Reduction::Mean, 0.5).forward(p, q), smooth_l1_loss(p, q, Reduction::Mean, 0.5)));
  EXPECT_TRUE(allclose(nn::BCELoss().forward(p, q), binary_cross_entropy(p, q)));
  Tensor pw = full({5}, 2.0);
  nn::BCEWithLogitsLoss bce_logits({.pos_weight = pw});
  EXPECT_EQ(bce_logits.state_dict().keys(), (std::vector<std::string>{"pos_weight"}));
  EXPECT_TRUE(allclose(bce_logits.forward(p, q), binary_cross_entropy_with_logits(p, q, {}, Reduction::Mean, pw)));
  nn::CrossEntropyLoss().forward(logits, target).backward();
  EXPECT_EQ(logits.grad().sizes(), logits.sizes());
  EXPECT_THROW_WITH(nn::CrossEntropyLoss({.label_smoothing = 1.5}), ValueError, "label_smoothing must be between");
}

TEST(NnLayer, SequentialChainsForward) {
  manual_seed(3);
  auto net = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 6), std::make_shared<nn::GELU>());
  net->push_back(std::make_shared<nn::Linear>(6, 2));
  net->push_back("softmax", std::make_shared<nn::Softmax>(-1));
  EXPECT_EQ(net->size(), 4u);
  EXPECT_EQ(net->named_children().keys(), (std::vector<std::string>{"0", "1", "2", "softmax"}));
  Tensor x = randn({3, 4});
  Tensor expected = softmax(net->at<nn::Linear>(2)->forward(gelu(net->at<nn::Linear>(0)->forward(x))), -1);
  EXPECT_TRUE(allclose(net->forward(x), expected));
  // Nested containers run too.
  auto outer = std::make_shared<nn::Sequential>(net, std::make_shared<nn::Identity>());
  EXPECT_TRUE(allclose(outer->forward(x), expected));
  EXPECT_EQ(outer->named_parameters().keys().front(), "0.0.weight");
}

// ---- initialisation ----------------------------------------------------------------------------

TEST(NnInit, FansAndGains) {
  EXPECT_EQ(nn::init::calculate_fan_in_and_fan_out(zeros({8, 4, 3, 3})), (std::pair<int64_t, int64_t>{36, 72}));
  EXPECT_EQ(nn::init::calculate_fan_in_and_fan_out(zeros({5, 7})), (std::pair<int64_t, int64_t>{7, 5}));
  EXPECT_THROW_WITH(nn::init::calculate_fan_in_and_fan_out(zeros({5})), ValueError, "fewer than 2 dimensions");
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu"), std::sqrt(2.0 / (1 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu", std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("selu"), 0.75);
  EXPECT_THROW_WITH(nn::init::calculate_gain("softplus"), ValueError, "Unsupported nonlinearity softplus");
  EXPECT_THROW_WITH(nn::init::kaiming_uniform_(zeros({3, 3}), 0, "fan_avg"), ValueError, "Mode fan_avg not supported");
}

namespace {
double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }
double stddev(const Tensor& t) { return t.std().item<double>(); }
}  // namespace

TEST(NnInit, DefaultInitialisationMatchesPyTorch) {
  manual_seed(0);
  // Linear/Conv: kaiming_uniform(a = sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)); so is the bias.
  nn::Linear lin(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);
  EXPECT_LE(max_abs(lin.weight), bound);
  EXPECT_GT(max_abs(lin.weight), 0.99 * bound);
  EXPECT_NEAR(stddev(lin.weight), bound / std::sqrt(3.0), 0.01 * bound);
  EXPECT_LE(max_abs(lin.bias), bound);
  EXPECT_GT(max_abs(lin.bias), 0.9 * bound);
  nn::Conv2d conv(16, 32, 5);
  const double conv_bound = 1.0 / std::sqrt(16.0 * 25);
  EXPECT_LE(max_abs(conv.weight), conv_bound);
  EXPECT_NEAR(stddev(conv.weight), conv_bound / std::sqrt(3.0), 0.03 * conv_bound);
  EXPECT_LE(max_abs(conv.bias), conv_bound);
  // Transposed: fan_in from weight.size(1) = out / groups.
  nn::ConvTranspose2d convt(8, 6, 3);
  EXPECT_LE(max_abs(convt.weight), 1.0 / std::sqrt(6.0 * 9));
  EXPECT_GT(max_abs(convt.weight), 0.9 / std::sqrt(6.0 * 9));
  // Bilinear: U(-1/sqrt(in1), 1/sqrt(in1)).
  nn::Bilinear bil(25, 10, 20);
  EXPECT_LE(max_abs(bil.weight), 0.2);
  EXPECT_GT(max_abs(bil.weight), 0.19);
  // RNNs: U(-1/sqrt(hidden), 1/sqrt(hidden)) for everything.
  nn::LSTM lstm(10, 64);
  for (const Tensor& p : lstm.parameters()) {
    EXPECT_LE(max_abs(p), 0.125);
    EXPECT_GT(max_abs(p), 0.12);
  }
  nn::GRUCell cell(10, 16);
  for (const Tensor& p : cell.parameters()) EXPECT_LE(max_abs(p), 0.25);
  // Embedding: N(0, 1).
  nn::Embedding emb(1000, 64);
  EXPECT_NEAR(emb.weight.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(stddev(emb.weight), 1.0, 0.01);
  // Norms: ones and zeros.
  nn::LayerNorm ln(7);
  EXPECT_TRUE(equal(ln.weight, ones({7})));
  EXPECT_TRUE(equal(ln.bias, zeros({7})));
  nn::BatchNorm2d bn(3);
  EXPECT_TRUE(equal(bn.weight, ones({3})) && equal(bn.bias, zeros({3})));
  EXPECT_TRUE(equal(bn.running_mean, zeros({3})) && equal(bn.running_var, ones({3})));
}

TEST(NnInit, InitFunctionsHaveTheirStatistics) {
  manual_seed(0);
  Tensor w = wick::empty({256, 512}).requires_grad_();  // a parameter: init must not record autograd
  nn::init::xavier_uniform_(w, 2.0);
  const double a = 2.0 * std::sqrt(6.0 / (256 + 512));
  EXPECT_LE(max_abs(w), a);
  EXPECT_NEAR(stddev(w), a / std::sqrt(3.0), 0.01 * a);
  EXPECT_TRUE(w.is_leaf());
  nn::init::xavier_normal_(w);
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / (256 + 512)), 0.01 * std::sqrt(2.0 / (256 + 512)));
  nn::init::kaiming_normal_(w, 0, "fan_out", "relu");
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 256), 0.01 * std::sqrt(2.0 / 256));
  nn::init::kaiming_uniform_(w, 0, "fan_in", "relu");
  EXPECT_LE(max_abs(w), std::sqrt(6.0 / 512));
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 512), 0.01 * std::sqrt(2.0 / 512));
  nn::init::normal_(w, 3.0, 0.5);
  EXPECT_NEAR(w.mean().item<double>(), 3.0, 0.01);
  nn::init::uniform_(w, -3, -1);
  EXPECT_LE(w.max().item<double>(), -1);
  EXPECT_GE(w.min().item<double>(), -3);
  nn::init::trunc_normal_(w, 0, 1, -0.5, 1.0);
  EXPECT_GE(w.min().item<double>(), -0.5);
  EXPECT_LE(w.max().item<double>(), 1.0);
  // The mean of N(0, 1) truncated to [-0.5, 1]: (pdf(-0.5) - pdf(1)) / (cdf(1) - cdf(-0.5)).
  EXPECT_NEAR(w.mean().item<double>(), 0.2066, 0.01);
  nn::init::constant_(w, 0.25);
  EXPECT_TRUE(equal(w, full({256, 512}, 0.25)));
  nn::init::zeros_(w);
  EXPECT_EQ(w.abs().sum().item<double>(), 0.0);
  Tensor sq = wick::empty({3, 4});
  nn::init::eye_(sq);
  EXPECT_TRUE(equal(sq, eye(3, 4)));
  // orthogonal_: rows (or columns) orthonormal, times the gain.
  Tensor wide = wick::empty({4, 2, 5});
  nn::init::orthogonal_(wide, 1.5);
  Tensor flat = wide.reshape({4, 10});
  EXPECT_TRUE(allclose(flat.matmul(flat.t()), eye(4) * 2.25, 1e-5, 1e-5));
  Tensor tall = wick::empty({9, 3}, ScalarType::Float64);
  nn::init::orthogonal_(tall);
  EXPECT_TRUE(allclose(tall.t().matmul(tall), eye(3, {}, ScalarType::Float64), 1e-10, 1e-12));
  EXPECT_THROW_WITH(nn::init::orthogonal_(wick::empty({3})), ValueError, "2 or more dimensions");
  EXPECT_THROW_WITH(nn::init::normal_(zeros({2}, ScalarType::Int64)), TypeError, "floating point");
}

// ---- training ----------------------------------------------------------------------------------

// seeds 000: y = 2x + 1 + noise (100 samples, noise std 0.1) learnt by a
// small MLP with plain gradient descent written against Module + autograd.
// The seed states a loss that decreases; with noise of std 0.1 the best
// possible mean squared error is about 0.01, which the model reaches.
TEST(NnTraining, MlpLearnsALine) {
  manual_seed(42);
  Tensor x = randn({100, 1});
  Tensor y = x * 2 + 1 + randn({100, 1}) * 0.1;
  auto model = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(1, 16), std::make_shared<nn::Tanh>(),
                                                std::make_shared<nn::Linear>(16, 1));
  nn::MSELoss criterion;
  const double lr = 0.05;
  std::vector<double> losses;
  for (int step = 0; step < 1000; ++step) {
    Tensor loss = criterion.forward(model->forward(x), y);
    model->zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;
      for (const Tensor& p : model->parameters()) p.sub_(p.grad() * lr);
    }
    losses.push_back(loss.item<double>());
  }
  EXPECT_GT(losses.front(), 1.0);
  for (size_t i = 100; i < losses.size(); i += 100) EXPECT_LT(losses[i], losses[i - 100]);
  EXPECT_LT(losses.back(), 0.015);
  // The model is the line where the data is: f(0) = 1 and f(1) - f(0) = 2.
  model->eval();
  NoGradGuard no_grad;
  const Tensor at = model->forward(from_vector<float>({0.0f, 1.0f}, {2, 1}));
  EXPECT_NEAR(at[0].item<double>(), 1.0, 0.05);
  EXPECT_NEAR((at[1] - at[0]).item<double>(), 2.0, 0.1);
}

// The same with a single Linear(1, 1) (the seed's Dense(1)): its weight and
// bias become the line's slope and intercept.
TEST(NnTraining, LinearRecoversSlopeAndIntercept) {
  manual_seed(7);
  Tensor x = randn({100, 1});
  Tensor y = x * 2 + 1 + randn({100, 1}) * 0.1;
  auto model = std::make_shared<nn::Linear>(1, 1);
  for (int step = 0; step < 300; ++step) {
    Tensor loss = mse_loss(model->forward(x), y);
    model->zero_grad();
    loss.backward();
    NoGradGuard no_grad;
    for (const Tensor& p : model->parameters()) p.sub_(p.grad() * 0.1);
  }
  EXPECT_NEAR(model->weight.item<double>(), 2.0, 0.03);
  EXPECT_NEAR(model->bias.item<double>(), 1.0, 0.03);
  EXPECT_LT(mse_loss(model->forward(x), y).item<double>(), 0.015);
}
