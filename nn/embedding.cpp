#include "nn/embedding.h"

#include "autograd/grad_mode.h"
#include "nn/init.h"
#include "ops/creation.h"
#include "ops/indexing.h"

namespace wick::nn {

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx)
    : num_embeddings(num_embeddings), embedding_dim(embedding_dim), padding_idx(padding_idx) {
  WICK_CHECK(num_embeddings >= 0 && embedding_dim >= 0, ValueError,
             "Embedding: num_embeddings and embedding_dim must be non-negative, got ", num_embeddings, " and ",
             embedding_dim);
  if (padding_idx) {
    WICK_CHECK(*padding_idx < num_embeddings && *padding_idx >= -num_embeddings, ValueError,
               "Padding_idx must be within num_embeddings (got padding_idx=", *padding_idx, " for ", num_embeddings,
               " embeddings)");
    if (*padding_idx < 0) this->padding_idx = *padding_idx + num_embeddings;
  }
  weight = register_parameter("weight", wick::empty({num_embeddings, embedding_dim}));
  reset_parameters();
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings, bool freeze,
                                                      std::optional<int64_t> padding_idx) {
  WICK_CHECK(embeddings.dim() == 2, ValueError, "Embeddings parameter is expected to be 2-dimensional, got shape ",
             embeddings.sizes());
  auto e = std::make_shared<Embedding>(embeddings.size(0), embeddings.size(1), padding_idx);
  // The module's weight becomes the given tensor (shared, as PyTorch's _weight).
  e->weight = e->register_parameter("weight", embeddings.detach(), !freeze);
  return e;
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard no_grad;
    weight[*padding_idx].zero_();
  }
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(weight, indices, padding_idx.value_or(-1)); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  return s;
}

}  // namespace wick::nn
