// Per-op overhead as a tested property: a small op through dispatch makes one
// heap allocation (its TensorImpl; the StorageImpl and bytes come from the
// caching allocator, Note [Small storages share their block]) and no system
// allocation once the cache is warm; recording it for autograd adds one more,
// the node (Note [Autograd fields], Note [Saving outputs]).
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <vector>

#include "test_util.h"

#if defined(WICK_SANITIZE)
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

TEST(Overhead, RecordedOpsAllocateTheOutputAndTheNode) {
  if (!WICK_COUNTS_NEW) GTEST_SKIP() << "operator new is the sanitizer's in this build";
  Tensor a = ones({1}).requires_grad_(), b = ones({1}), w = ones({1, 1}).requires_grad_();
  // Fills the caches; while it lives, a's and w's AccumulateGrad nodes do too,
  // as in a training step, where every op after the first finds them made.
  Tensor keep = relu(a + b) * a + sigmoid(mm(w, w)).sum();
  Tensor m = ones({1, 1});
  // add saves nothing, mul saves its inputs, relu and sigmoid their outputs, mm both inputs.
  const std::vector<std::pair<const char*, std::function<Tensor()>>> ops = {
      {"add", [&] { return a + b; }},   {"mul", [&] { return a * b; }},   {"relu", [&] { return relu(a); }},
      {"sigmoid", [&] { return sigmoid(a); }}, {"mm", [&] { return mm(w, m); }}};
  for (const auto& entry : ops) {  // not a structured binding: clang 14 cannot capture one
    SCOPED_TRACE(entry.first);
    const std::function<Tensor()>& op = entry.second;
    Tensor c;
    auto [news, sys] = count_allocations([&] { c = op(); });
    ASSERT_TRUE(c.grad_fn());
    EXPECT_EQ(news, 2);  // the output's TensorImpl and its grad_fn node
    EXPECT_EQ(sys, 0);
  }
}

TEST(SmallVector, HoldsValuesThatOwnResources) {
  auto p = std::make_shared<int>(7);
  SmallVector<std::shared_ptr<int>, 2> v;
  v.push_back(p);
  v.push_back(p);
  EXPECT_EQ(p.use_count(), 3);
  v.push_back(p);  // moves to the heap
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(p.use_count(), 4) << "growing moves the elements, it does not copy them";
  v.pop_back();
  EXPECT_EQ(p.use_count(), 3) << "a removed element releases what it holds at once";
  v.erase(0);
  EXPECT_EQ(p.use_count(), 2);
  SmallVector<std::shared_ptr<int>, 2> moved(std::move(v));
  EXPECT_EQ(p.use_count(), 2);
  EXPECT_TRUE(v.empty());
  SmallVector<std::shared_ptr<int>, 2> copied = moved;
  EXPECT_EQ(p.use_count(), 3);
  copied.resize(0);
  moved.clear();
  EXPECT_EQ(p.use_count(), 1);
  SmallVector<std::shared_ptr<int>, 2> in_place;
  in_place.push_back(p);
  SmallVector<std::shared_ptr<int>, 2> stolen(std::move(in_place));  // inline storage: moved element by element
  EXPECT_EQ(p.use_count(), 2);
  EXPECT_EQ(*stolen[0], 7);
}
