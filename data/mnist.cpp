#include "data/mnist.h"

#include <filesystem>
#include <vector>

#include "core/parallel.h"
#include "data/idx.h"
#include "ops/copy.h"
#include "ops/creation.h"

namespace wick::data {

Tensor images_to_float(const Tensor& images, std::optional<Normalize> normalize) {
  WICK_CHECK(images.defined() && images.dtype() == ScalarType::UInt8 && images.dim() == 3, ValueError,
             "images_to_float: expected uint8 images of shape [N, H, W], but got ",
             images.defined() ? detail::str_cat(images.dtype(), " ", images.sizes()) : std::string("undefined"));
  if (normalize)
    WICK_CHECK(normalize->std > 0, ValueError, "images_to_float: normalize std must be positive, but got ",
               normalize->std);
  const Tensor src = images.cpu().contiguous();
  Tensor out = empty({images.size(0), 1, images.size(1), images.size(2)}, TensorOptions(ScalarType::Float32));
  const uint8_t* in = src.data_ptr<uint8_t>();
  float* o = out.data_ptr<float>();
  // The float32 arithmetic of torchvision's ToTensor and Normalize, so the values agree bit for bit.
  const bool norm = normalize.has_value();
  const float mean = norm ? static_cast<float>(normalize->mean) : 0.f;
  const float std = norm ? static_cast<float>(normalize->std) : 1.f;
  parallel_for(out.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
    if (norm) {
      for (int64_t i = begin; i < end; ++i) o[i] = (static_cast<float>(in[i]) / 255.f - mean) / std;
    } else {
      for (int64_t i = begin; i < end; ++i) o[i] = static_cast<float>(in[i]) / 255.f;
    }
  });
  return out;
}

Example read_mnist_pair(const std::string& images_path, const std::string& labels_path) {
  Tensor images = read_idx(images_path);
  Tensor labels = read_idx(labels_path);
  WICK_CHECK(images.dim() == 3, ValueError, "'", images_path,
             "' should hold images (an IDX file with magic number 0x00000803 and sizes [N, H, W]), but its sizes are ",
             images.sizes());
  WICK_CHECK(labels.dim() == 1, ValueError, "'", labels_path,
             "' should hold labels (an IDX file with magic number 0x00000801 and sizes [N]), but its sizes are ",
             labels.sizes());
  WICK_CHECK(images.size(0) == labels.size(0), ValueError, "'", images_path, "' has ", images.size(0),
             " images but '", labels_path, "' has ", labels.size(0), " labels");
  return {images, labels.to(ScalarType::Int64)};
}

std::string find_idx_file(const std::string& root, const std::string& name, const std::string& base,
                          const std::string& hint) {
  namespace fs = std::filesystem;
  const fs::path dir(root);
  const std::vector<fs::path> candidates = {dir / base, dir / (base + ".gz"), dir / name / "raw" / base,
                                            dir / name / "raw" / (base + ".gz")};
  std::error_code ec;
  for (const fs::path& p : candidates)
    if (fs::is_regular_file(p, ec)) return p.string();
  WICK_THROW(Error, name, ": '", candidates[1].string(), "' not found (nor ", base, " uncompressed, nor either under '",
             (dir / name / "raw").string(), "'). ", hint);
}

std::pair<std::string, std::string> mnist_files(const std::string& root, bool train, const std::string& name) {
  const std::string hint =
      name == "FashionMNIST"
          ? "Debian's dataset-fashion-mnist package provides Fashion-MNIST in /usr/share/datasets/fashion-mnist: "
            "apt-get install dataset-fashion-mnist"
          : "MNIST has no Debian package: put its four IDX files (train-images-idx3-ubyte.gz, "
            "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in the root directory.";
  const std::string split = train ? "train" : "t10k";
  return {find_idx_file(root, name, split + "-images-idx3-ubyte", hint),
          find_idx_file(root, name, split + "-labels-idx1-ubyte", hint)};
}

MNIST::MNIST(const std::string& root, bool train, std::optional<Normalize> normalize)
    : MNIST(root, train, normalize, "MNIST") {}

MNIST::MNIST(const std::string& root, bool train, std::optional<Normalize> normalize, const std::string& name)
    : train_(train) {
  const auto [images, labels] = mnist_files(root, train, name);
  Example pair = read_mnist_pair(images, labels);
  set_tensors(images_to_float(pair.data, normalize), pair.target);
}

const std::array<const char*, 10>& MNIST::classes() const {
  static const std::array<const char*, 10> names = {"0 - zero", "1 - one", "2 - two",   "3 - three", "4 - four",
                                                    "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"};
  return names;
}

FashionMNIST::FashionMNIST(const std::string& root, bool train, std::optional<Normalize> normalize)
    : MNIST(root, train, normalize, "FashionMNIST") {}

const std::array<const char*, 10>& FashionMNIST::classes() const {
  static const std::array<const char*, 10> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace wick::data
