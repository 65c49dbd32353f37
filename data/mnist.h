// MNIST and Fashion-MNIST: 28x28 grey images with a class label, read from
// their IDX files (data/idx.h) into two tensors once.
//
//   data::FashionMNIST train;                                    // Debian's copy, training split
//   data::FashionMNIST test(data::FashionMNIST::kDefaultRoot, /*train=*/false, data::Normalize{0.2860, 0.3530});
//   train.size();                      // 60000
//   data::Example e = train.get(0);    // e.data: float32 [1, 28, 28] in [0, 1]; e.target: int64 scalar
//
// A root directory holds train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or as .gz,
// either directly (Debian's layout) or under <root>/<Name>/raw/
// (torchvision's layout).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "data/dataset.h"

namespace wick::data {

// (x - mean) / std on images scaled to [0, 1].
struct Normalize {
  double mean = 0;
  double std = 1;
};

// uint8 images [N, H, W] -> float32 [N, 1, H, W] scaled to [0, 1], then
// normalized when `normalize` is given.
Tensor images_to_float(const Tensor& images, std::optional<Normalize> normalize = std::nullopt);

// The images (uint8 [N, H, W]) and labels (int64 [N]) of an IDX pair,
// checked to be 3-D and 1-D with the same N.
Example read_mnist_pair(const std::string& images_path, const std::string& labels_path);

// The path of the IDX file `base` (e.g. "train-images-idx3-ubyte") of data
// set `name` in `root`: raw or .gz, directly in root or in root/<name>/raw.
// Error when none exists, naming where it looked and `hint` (what provides
// the files).
std::string find_idx_file(const std::string& root, const std::string& name, const std::string& base,
                          const std::string& hint);

// The images and labels files of the training or test split of `name`
// ("MNIST" or "FashionMNIST") in root; a missing one raises an Error that
// says which package or download provides it.
std::pair<std::string, std::string> mnist_files(const std::string& root, bool train, const std::string& name);

class MNIST : public TensorDataset {
 public:
  // MNIST has no Debian package: root must hold its four IDX files.
  explicit MNIST(const std::string& root, bool train = true, std::optional<Normalize> normalize = std::nullopt);

  bool train() const { return train_; }
  // The labels' names, by class index.
  virtual const std::array<const char*, 10>& classes() const;
  // The published per-pixel statistics of the training images.
  static constexpr Normalize kNormalize{0.1307, 0.3081};

 protected:
  MNIST(const std::string& root, bool train, std::optional<Normalize> normalize, const std::string& name);

 private:
  bool train_;
};

class FashionMNIST : public MNIST {
 public:
  // Where Debian's dataset-fashion-mnist package installs the files.
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  static constexpr Normalize kNormalize{0.2860, 0.3530};

  explicit FashionMNIST(const std::string& root = kDefaultRoot, bool train = true,
                        std::optional<Normalize> normalize = std::nullopt);
  const std::array<const char*, 10>& classes() const override;
};

}  // namespace wick::data
