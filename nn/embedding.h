// Embedding: a lookup table of num_embeddings rows of embedding_dim values.
#pragma once

#include <optional>

#include "nn/module.h"

namespace wick::nn {

class Embedding : public Module {
 public:
  // weight ~ N(0, 1); the row at padding_idx (negative: from the end) is
  // zero and receives no gradient.
  Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx = {});
  // A table holding `embeddings` [num, dim] (frozen: requires_grad false).
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings, bool freeze = true,
                                                    std::optional<int64_t> padding_idx = {});
  // indices: int64/int32 of any shape -> [*indices.shape, embedding_dim].
  Tensor forward(const Tensor& indices);
  void reset_parameters();
  std::string extra_repr() const override;

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;
  Tensor weight;
};

}  // namespace wick::nn
