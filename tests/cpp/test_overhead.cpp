// Per-op overhead as a tested property: a small op through dispatch makes one
// heap allocation (its TensorImpl; the StorageImpl and bytes come from the
// caching allocator, Note [Small storages share their block]) and no system
// allocation once the cache is warm.
#include <cstdlib>
#include <new>

#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define WICK_COUNTS_NEW 0  // the sanitizer owns operator new
#else
#define WICK_COUNTS_NEW 1
namespace {
thread_local long t_news = 0;
}
void* operator new(std::size_t n) {
  ++t_news;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

using namespace wick;

namespace {
// Heap allocations (operator new) and system allocations made by f.
template <typename F>
std::pair<long, int64_t> count_allocations(F&& f) {
#if WICK_COUNTS_NEW
  const int64_t sys = memory_stats().num_system_allocs;
  const long before = t_news;
  f();
  return {t_news - before, memory_stats().num_system_allocs - sys};
#else
  f();
  return {0, 0};
#endif
}
}  // namespace

TEST(Overhead, SmallOpsMakeOneHeapAllocation) {
  if (!WICK_COUNTS_NEW) GTEST_SKIP() << "operator new is the sanitizer's in this build";
  Tensor a = ones({1}), b = ones({1});
  Tensor warm = relu(a + b);  // fills the caches
  warm = Tensor();
  for (auto op : {0, 1, 2}) {
    SCOPED_TRACE(op);
    Tensor c;
    auto [news, sys] = count_allocations([&] { c = op == 0 ? a + b : op == 1 ? a * b : relu(a); });
    EXPECT_EQ(news, 1);  // the output's TensorImpl
    EXPECT_EQ(sys, 0);   // its storage and bytes: one cached block
  }
}
