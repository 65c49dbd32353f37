#include "core/parallel.h"

#include <pthread.h>

#include <atomic>
#include <string>

#include "core/warning.h"

namespace wick {

// Note [OpenMP after fork]
// GNU OpenMP (libgomp) keeps the threads of its pool docked between parallel
// regions. fork() copies only the thread that calls it, so a parallel region
// in the child waits forever for pool threads that do not exist there: a
// child of multiprocessing's default start method on Linux ('fork') hung in
// its first large op. So a child forked from a process whose pool may be up
// (thread_pool_may_run, core/parallel.h: set by parallel_for and before BLAS
// and LAPACK calls) runs wick's loops, and OpenBLAS's, which follow
// omp_get_max_threads, on one thread: the handler below sets it before the
// child runs any code, and set_num_threads there stays at 1 with a warning.
// Children of a process that never ran threads (a 'forkserver' server) and
// 'spawn' children are unaffected and use every core. (DataLoader workers load
// on one thread anyway.)
namespace {
std::atomic<bool> forked_child{false};

void after_fork_in_child() {
  if (!thread_pool_may_run.load(std::memory_order_relaxed)) return;
  forked_child.store(true);
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

[[maybe_unused]] const bool kForkHandlerRegistered = pthread_atfork(nullptr, nullptr, &after_fork_in_child) == 0;
}  // namespace

int get_num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
#ifdef _OPENMP
  if (n > 1 && forked_child.load()) {
    warn("set_num_threads(" + std::to_string(n) +
         ") in a process made by fork(): GNU OpenMP cannot start threads there (its pool's threads stayed in the "
         "parent), so wick keeps to one thread (Note [OpenMP after fork]); start the process with multiprocessing's "
         "'spawn' or 'forkserver' method to use more");
    n = 1;
  }
  if (n > 0) omp_set_num_threads(n);
#endif
}

}  // namespace wick
