#include "backends/cpu/cpu_backend.h"

namespace wick::cpu {

const Backend& backend() {
  static const Backend table{
      .name = "cpu",
      .fill = fill,
      .copy = copy,
      .unary = unary,
      .binary = binary,
      .where = where,
      .reduce = reduce,
      .matmul = nullptr,
      .index_select = nullptr,
      .gather = nullptr,
      .scatter = nullptr,
      .index_add = nullptr,
      .random = random,
      .arange = arange,
  };
  return table;
}

}  // namespace wick::cpu
