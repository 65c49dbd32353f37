// Creating tensors: shapes, dtypes inferred like PyTorch, values, random
// reproducibility, and errors.
#include <cmath>
#include <numeric>
#include <thread>

#include "test_util.h"

using namespace wick;

// The factories that take a device run once per device (test_util.h); errors,
// borrowed CPU memory, the random generators and the CPU allocator stay on the CPU.
class CreationOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(CreationOnDevice);

TEST_P(CreationOnDevice, FactoriesAndDtypes) {
  const Device d = device();
  const TensorOptions on_d(d);
  EXPECT_EQ(zeros({2, 3}, on_d).dtype(), ScalarType::Float32);
  EXPECT_EQ(zeros({2}, on_d.dtype(ScalarType::Int32)).to_vector<int32_t>(), (std::vector<int32_t>{0, 0}));
  EXPECT_EQ(ones({2}, on_d.dtype(ScalarType::Float64)).to_vector<double>(), (std::vector<double>{1, 1}));
  EXPECT_EQ(full({2}, 7, on_d).dtype(), ScalarType::Int64);
  EXPECT_EQ(full({2}, 7.5, on_d).dtype(), ScalarType::Float32);
  EXPECT_EQ(full({2}, true, on_d).dtype(), ScalarType::Bool);
  EXPECT_EQ(empty({3, 0}, on_d).numel(), 0);
  EXPECT_EQ(scalar_tensor(2.0, on_d).dim(), 0);
  EXPECT_TRUE(zeros({1}, on_d.requires_grad()).requires_grad());
  Tensor like = ones({2, 2}, on_d.dtype(ScalarType::Float64));
  EXPECT_EQ(zeros_like(like).dtype(), ScalarType::Float64);
  EXPECT_EQ(ones_like(like, ScalarType::Int64).dtype(), ScalarType::Int64);
  EXPECT_EQ(full_like(like, 3).to_vector<double>(), (std::vector<double>{3, 3, 3, 3}));
  EXPECT_EQ(rand_like(like).sizes(), IntArrayRef({2, 2}));
  EXPECT_EQ(empty_strided({2, 3}, {1, 2}, on_d).strides(), IntArrayRef({1, 2}));
}

TEST_P(CreationOnDevice, RangesAndIdentity) {
  const Device d = device();
  const TensorOptions on_d(d);
  EXPECT_EQ(arange(5, on_d).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1, 7, 2, on_d).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25, on_d).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(arange(5, 0, -2, on_d).to_vector<int64_t>(), (std::vector<int64_t>{5, 3, 1}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25, on_d).dtype(), ScalarType::Float32);
  EXPECT_EQ(linspace(0, 1, 5, on_d).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(linspace(-1, 1, 1, on_d).to_vector<float>(), (std::vector<float>{-1}));
  EXPECT_EQ(eye(2, 3, on_d).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(eye(3, std::nullopt, on_d).sum().item<double>(), 3.0);
}

TEST(Creation, RangeArgumentErrors) {
  EXPECT_THROW_WITH(arange(0, 5, 0), ValueError, "step must be nonzero");
  EXPECT_THROW_WITH(arange(5, 0, 1), ValueError, "inconsistent with step sign");
  EXPECT_THROW_WITH(linspace(0, 1, -1), ValueError, "non-negative");
}

TEST_P(CreationOnDevice, FromValues) {
  const Device d = device();
  Tensor t = tensor({1.0, 2.5}, TensorOptions(d));
  EXPECT_EQ(t.dtype(), ScalarType::Float32);
  EXPECT_EQ(from_vector<int64_t>({1, 2, 3, 4, 5, 6}, {2, 3}, TensorOptions(d)).sizes(), IntArrayRef({2, 3}));
}

// from_blob borrows host memory, read and written here through the pointer.
TEST(Creation, FromVectorSizeErrorAndFromBlob) {
  EXPECT_THROW_WITH(from_vector<float>({1, 2, 3}, {2, 2}), ValueError, "3 values cannot fill a tensor of shape [2, 2]");
  std::vector<float> buf{1, 2, 3, 4, 5, 6};
  Tensor b = from_blob(buf.data(), {2, 3}, {3, 1}, ScalarType::Float32, kCPU);
  buf[0] = 10;
  EXPECT_EQ(b.to_vector<float>()[0], 10.0f);  // borrowed, not copied
  static bool deleted = false;
  {
    Tensor c = from_blob(buf.data(), {6}, {1}, ScalarType::Float32, kCPU, [](void*) { deleted = true; }, nullptr);
  }
  EXPECT_TRUE(deleted);
}

TEST(Creation, NegativeOrHugeSizesAreErrors) {
  EXPECT_THROW_WITH(zeros({2, -1}), ValueError, "negative dimension -1");
  EXPECT_THROW_WITH(zeros({int64_t{1} << 40, int64_t{1} << 40}), ValueError, "too large");
  EXPECT_THROW_WITH(randint(5, 5, {2}), ValueError, "low < high");
  EXPECT_THROW_WITH(rand({2}, ScalarType::Int64), TypeError, "floating point");
}

TEST(Creation, RandomIsSeededAndWellDistributed) {
  manual_seed(42);
  Tensor a = rand({1000});
  Tensor n = randn({100000});
  manual_seed(42);
  Tensor b = rand({1000});
  EXPECT_TRUE(equal(a, b));
  EXPECT_FALSE(equal(a, rand({1000})));
  const std::vector<float> u = a.to_vector<float>();
  EXPECT_GE(*std::min_element(u.begin(), u.end()), 0.0f);
  EXPECT_LT(*std::max_element(u.begin(), u.end()), 1.0f);
  EXPECT_NEAR(mean(n).item<double>(), 0.0, 0.02);
  EXPECT_NEAR(mean(n * n).item<double>(), 1.0, 0.02);
  Tensor r = randint(-3, 4, {10000});
  const std::vector<int64_t> rv = r.to_vector<int64_t>();
  EXPECT_EQ(*std::min_element(rv.begin(), rv.end()), -3);
  EXPECT_EQ(*std::max_element(rv.begin(), rv.end()), 3);
  std::vector<int64_t> p = randperm(50).to_vector<int64_t>();
  std::sort(p.begin(), p.end());
  std::vector<int64_t> expect(50);
  std::iota(expect.begin(), expect.end(), 0);
  EXPECT_EQ(p, expect);
  // The result does not depend on the number of threads.
  manual_seed(7);
  set_num_threads(1);
  Tensor one = randn({100000});
  manual_seed(7);
  set_num_threads(2);
  Tensor two = randn({100000});
  EXPECT_TRUE(equal(one, two));
  Generator g(123);
  Tensor x = rand({4}, {}, &g);
  Generator g2(123);
  EXPECT_TRUE(equal(x, rand({4}, {}, &g2)));
  Tensor bern = bernoulli(full({10000}, 0.3));
  EXPECT_NEAR(mean(bern).item<double>(), 0.3, 0.02);
}

// Blocks of neighbouring size classes must never be handed out for each other
// (a 1024-byte block once served a 1280-byte request).
TEST(Allocator, SizeClassesDoNotMix) {
  for (int64_t n : {120, 121, 128, 160, 161, 255, 256, 257, 4095, 4096, 4097, 20000}) {
    for (int rep = 0; rep < 2; ++rep) {
      Tensor small = full({n}, 1.0, ScalarType::Float64);
      Tensor big = full({n + 40}, 2.0, ScalarType::Float64);
      small = Tensor();
      Tensor again = full({n + 40}, 3.0, ScalarType::Float64);  // may reuse small's block only if it fits
      EXPECT_EQ(sum(again).item<double>(), 3.0 * static_cast<double>(n + 40));
      EXPECT_EQ(sum(big).item<double>(), 2.0 * static_cast<double>(n + 40));
    }
  }
}

// A tensor freed after its thread's allocator cache is gone (thread-local
// objects die in reverse order of construction) takes the shared path.
TEST(Allocator, FreeingAfterTheThreadCacheIsGone) {
  const int64_t before = memory_allocated();
  std::thread([] {
    thread_local struct Holder { Tensor t; } holder;  // constructed before the thread's cache,
    { Tensor warm = ones({1000}); }                    // which this creates and gives a free block
    holder.t = ones({1000});
  }).join();
  EXPECT_EQ(memory_allocated(), before);
}

TEST(Allocator, StatisticsAndCaching) {
  const MemoryStats before = memory_stats();
  {
    Tensor t = empty({1000});
    EXPECT_EQ(memory_allocated() - before.allocated_bytes, 4000);
  }
  EXPECT_EQ(memory_allocated(), before.allocated_bytes);
  reset_peak_memory_stats();
  const int64_t system_before = memory_stats().num_system_allocs;
  for (int i = 0; i < 10; ++i) Tensor t = empty({250000});  // the same block, reused
  EXPECT_LE(memory_stats().num_system_allocs - system_before, 1);
  EXPECT_EQ(max_memory_allocated() - memory_allocated(), 1000000);
  const int64_t reserved = memory_stats().reserved_bytes;
  EXPECT_GE(reserved, memory_allocated() + 1000000);  // the freed 1 MB block is cached
  empty_cache();
  EXPECT_LE(memory_stats().reserved_bytes, reserved - 1000000);
}

TEST_P(CreationOnDevice, NewOnesTakesDtypeAndDevice) {
  Tensor x = zeros({2}, TensorOptions(ScalarType::Float64).device(device())).requires_grad_();
  Tensor o = x.new_ones({3, 2});
  EXPECT_EQ(o.sizes(), IntArrayRef({3, 2}));
  EXPECT_EQ(o.dtype(), ScalarType::Float64);
  EXPECT_EQ(o.device(), x.device());
  EXPECT_FALSE(o.requires_grad());
  EXPECT_EQ(o.to_vector<double>(), std::vector<double>(6, 1.0));
}
