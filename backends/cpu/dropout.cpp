// CPU kernel of dropout: the mask, its scaling and the product in one pass.
#include <algorithm>

#include "backends/cpu/cpu_backend.h"
#include "backends/random_math.h"
#include "core/generator.h"
#include "core/parallel.h"

namespace wick::cpu {

void dropout(const Tensor& out, const Tensor& noise, const Tensor& in, double p, Generator& gen) {
  const int64_t n = in.numel();
  if (n == 0) return;
  // Each Philox counter gives four 32-bit words, one per element: element i
  // reads word i % 4 of counter first + i / 4, whatever the thread split
  // (core/generator.h). It is kept when its word is below (1 - p) * 2^32, as
  // on CUDA (backends/random_math.h).
  const int64_t groups = (n + 3) / 4;
  const uint64_t first = gen.reserve(static_cast<uint64_t>(groups));
  const uint64_t key = gen.initial_seed();
  const double keep = 1.0 - p;
  const uint64_t threshold = random_math::keep_threshold(keep);
  dispatch_floating(in.dtype(), "dropout", [&]<typename T>() {
    const T scale = static_cast<T>(1.0 / keep);
    const T* x = in.data_ptr<T>();
    T* m = noise.data_ptr<T>();
    T* y = out.data_ptr<T>();
    parallel_for(groups, kParallelGrain / 4, [&](int64_t g0, int64_t g1) {
      for (int64_t g = g0; g < g1; ++g) {
        const auto words = philox4x32(key, first + static_cast<uint64_t>(g));
        const int64_t base = g * 4, len = std::min<int64_t>(4, n - base);
        for (int64_t k = 0; k < len; ++k) {
          const T mk = random_math::dropout_keeps(words[k], threshold) ? scale : T(0);
          m[base + k] = mk;
          y[base + k] = x[base + k] * mk;
        }
      }
    });
  });
}

}  // namespace wick::cpu
