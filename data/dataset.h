// Datasets: indexable collections of examples, and how examples become batches.
//
//   auto ds = std::make_shared<data::TensorDataset>(images, labels);
//   data::Example e = ds->get(0);                      // {images[0], labels[0]}
//   data::Example b = ds->get_batch(from_vector<int64_t>({3, 1}, {2}));
//                                            // {images[[3, 1]], labels[[3, 1]]}
//
// A dataset answers size() and get(i). get_batch(indices) collates examples
// into one batch; the default stacks get(i) along a new first dimension, and a
// dataset that holds its examples in tensors overrides it with one gather per
// tensor. data/dataloader.h iterates datasets in batches.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "ops/indexing.h"

namespace wick::data {

// One input with its target (a class label, the next characters...).
struct Example {
  Tensor data;
  Tensor target;
};

// Collation by stacking along a new first dimension; the examples must agree
// in shape and dtype. An example type of your own is collated by a
// `collate(std::vector<YourType>&&)` found next to it, or by overriding
// Dataset::get_batch.
Tensor collate(std::vector<Tensor>&& examples);
Example collate(std::vector<Example>&& examples);
TensorList collate(std::vector<TensorList>&& examples);

template <typename T>
concept Collatable = requires(std::vector<T>&& v) {
  { collate(std::move(v)) } -> std::convertible_to<T>;
};

template <typename ExampleT = Example>
class Dataset {
 public:
  using ExampleType = ExampleT;
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // Example `index`, 0 <= index < size().
  virtual ExampleT get(int64_t index) const = 0;
  // The examples at `indices` (a 1-D int64 tensor) as one batch. The
  // DataLoader calls it on its background thread: it must not touch state
  // the training loop changes.
  virtual ExampleT get_batch(const Tensor& indices) const {
    if constexpr (Collatable<ExampleT>) {
      Tensor idx = indices.contiguous();
      const int64_t* p = idx.data_ptr<int64_t>();
      std::vector<ExampleT> examples;
      examples.reserve(static_cast<size_t>(idx.numel()));
      for (int64_t i = 0; i < idx.numel(); ++i) examples.push_back(get(p[i]));
      return collate(std::move(examples));
    } else {
      WICK_THROW(NotImplementedError,
                 "Dataset::get_batch: this example type has no collate(std::vector<Example>&&); "
                 "define one or override get_batch");
    }
  }
};

// Examples held in two tensors whose first dimension indexes them: example i
// is {data[i], target[i]}. A batch is one index_select per tensor.
class TensorDataset : public Dataset<Example> {
 public:
  TensorDataset(Tensor data, Tensor target);
  int64_t size() const override { return data_.size(0); }
  Example get(int64_t index) const override;
  Example get_batch(const Tensor& indices) const override;

  const Tensor& data() const { return data_; }
  const Tensor& target() const { return target_; }

 protected:
  TensorDataset() = default;
  void set_tensors(Tensor data, Tensor target);

 private:
  Tensor data_;
  Tensor target_;
};

// Checks 0 <= index < size (negative indices count from the end, as in
// Python) and returns the index in [0, size). IndexError otherwise.
int64_t check_index(int64_t index, int64_t size, const char* what);

}  // namespace wick::data
