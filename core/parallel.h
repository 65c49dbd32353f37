// Threading: one OpenMP pool for all of wick (OpenBLAS is linked in its OpenMP
// build so that gemm shares it, see Note [One thread pool] in CMakeLists.txt).
// Work below a grain size runs on the calling thread: starting the pool costs
// microseconds, more than a small op itself.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace wick {

// Elementwise work below this many elements runs on one thread.
constexpr int64_t kParallelGrain = 32768;

int get_num_threads();
void set_num_threads(int n);

// Whether this process may have started OpenMP's pool of threads (a parallel
// region of more than one thread, or a BLAS or LAPACK call that may thread):
// a child forked after that must keep to one thread (Note [OpenMP after fork]).
inline std::atomic<bool> thread_pool_may_run{false};
inline void note_thread_pool_use() {
  if (get_num_threads() > 1) thread_pool_may_run.store(true, std::memory_order_relaxed);
}
inline bool in_parallel_region() {
#ifdef _OPENMP
  return omp_in_parallel();
#else
  return false;
#endif
}

// Calls f(begin, end) over [0, n) split into one contiguous chunk per thread,
// or once on this thread when n < grain, when one thread is set, or inside a
// parallel region already.
template <typename F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
#ifdef _OPENMP
  const int threads = get_num_threads();
  if (n >= grain && threads > 1 && !omp_in_parallel()) {
    thread_pool_may_run.store(true, std::memory_order_relaxed);
    const int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast<int>(chunks))
    {
      const int64_t tid = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t per = (n + nt - 1) / nt;
      const int64_t begin = tid * per, end = std::min(n, begin + per);
      if (begin < end) f(begin, end);
    }
    return;
  }
#endif
  f(int64_t{0}, n);
}

}  // namespace wick
