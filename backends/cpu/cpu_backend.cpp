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
      .matmul = matmul,
      .index_select = index_select,
      .gather = gather,
      .scatter = scatter,
      .index_add = index_add,
      .random = random,
      .arange = arange,
  };
  return table;
}

}  // namespace wick::cpu
