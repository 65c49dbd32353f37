#include "data/dataset.h"

#include "autograd/grad_mode.h"
#include "ops/view.h"

namespace wick::data {

int64_t check_index(int64_t index, int64_t size, const char* what) {
  WICK_CHECK(index >= -size && index < size, IndexError, what, ": index ", index, " is out of range for a dataset of ",
             size, " examples");
  return index < 0 ? index + size : index;
}

Tensor collate(std::vector<Tensor>&& examples) {
  WICK_CHECK(!examples.empty(), ValueError, "collate: no examples to put in a batch");
  return stack(examples, 0);
}

Example collate(std::vector<Example>&& examples) {
  WICK_CHECK(!examples.empty(), ValueError, "collate: no examples to put in a batch");
  TensorList data, target;
  data.reserve(examples.size());
  target.reserve(examples.size());
  for (Example& e : examples) {
    data.push_back(std::move(e.data));
    target.push_back(std::move(e.target));
  }
  return {stack(data, 0), stack(target, 0)};
}

TensorList collate(std::vector<TensorList>&& examples) {
  WICK_CHECK(!examples.empty(), ValueError, "collate: no examples to put in a batch");
  const size_t fields = examples[0].size();
  TensorList out;
  out.reserve(fields);
  for (size_t f = 0; f < fields; ++f) {
    TensorList column;
    column.reserve(examples.size());
    for (size_t i = 0; i < examples.size(); ++i) {
      WICK_CHECK(examples[i].size() == fields, ValueError, "collate: example ", i, " has ", examples[i].size(),
                 " tensors but example 0 has ", fields);
      column.push_back(std::move(examples[i][f]));
    }
    out.push_back(stack(column, 0));
  }
  return out;
}

TensorDataset::TensorDataset(Tensor data, Tensor target) { set_tensors(std::move(data), std::move(target)); }

void TensorDataset::set_tensors(Tensor data, Tensor target) {
  WICK_CHECK(data.defined() && target.defined(), ValueError, "TensorDataset: data and target must be defined tensors");
  WICK_CHECK(data.dim() >= 1 && target.dim() >= 1, ValueError,
             "TensorDataset: data and target need a first dimension that indexes the examples, got shapes ",
             data.sizes(), " and ", target.sizes());
  WICK_CHECK(data.size(0) == target.size(0), ValueError, "TensorDataset: size mismatch between tensors: data has ",
             data.size(0), " examples (shape ", data.sizes(), ") but target has ", target.size(0), " (shape ",
             target.sizes(), ")");
  data_ = std::move(data);
  target_ = std::move(target);
}

Example TensorDataset::get(int64_t index) const {
  const int64_t i = check_index(index, size(), "TensorDataset");
  return {select(data_, 0, i), select(target_, 0, i)};
}

Example TensorDataset::get_batch(const Tensor& indices) const {
  return {index_select(data_, 0, indices), index_select(target_, 0, indices)};
}

}  // namespace wick::data
