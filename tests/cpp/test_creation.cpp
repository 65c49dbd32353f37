// Creating tensors: shapes, dtypes inferred like PyTorch, values, random
// reproducibility, and errors.
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>

#include "backends/random_math.h"
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
  // uint8 wraps, as in PyTorch (a GPU's direct cast of a negative double saturated it to 0).
  EXPECT_EQ(arange(-2, 2, 1, on_d.dtype(ScalarType::UInt8)).to_vector<uint8_t>(), (std::vector<uint8_t>{254, 255, 0, 1}));
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

// Note [Random numbers across devices] (backends/random_math.h): after the same
// manual_seed, a device draws the CPU's very values, bit for bit, for every
// random op and dtype. Sizes cross dropout's groups of four and several
// blocks of a GPU launch; uniform_ and normal_ fill non-contiguous tensors.
TEST_P(CreationOnDevice, RandomValuesAreTheCpusBitForBit) {
  const auto draw = [](Device dev) {
    std::vector<Tensor> out;
    for (ScalarType t : {ScalarType::Float32, ScalarType::Float64}) {
      const TensorOptions o = TensorOptions(t).device(dev);
      out.push_back(rand({1001}, o));
      out.push_back(randn({70003}, o));
      out.push_back(uniform_(empty({40, 30}, o).t(), -2, 3));
      out.push_back(normal_(empty({7, 9}, o).t(), 1.5, 0.25));
      out.push_back(bernoulli(full({517}, 0.3, o)));
      out.push_back(dropout(ones({1001}, o), 0.4));
      out.push_back(dropout(ones({3}, o), 0.5));
    }
    out.push_back(randint(-5, 1000, {999}, TensorOptions(dev)));
    out.push_back(randint(0, 7, {100}, TensorOptions(ScalarType::Int32).device(dev)));
    // Negative values in uint8 wrap on both (a GPU's direct cast saturated them to 0).
    const TensorOptions u8 = TensorOptions(ScalarType::UInt8).device(dev);
    out.push_back(uniform_(empty({300}, u8), -100, 100));
    out.push_back(normal_(empty({300}, u8), 0, 50));
    return out;
  };
  manual_seed(2024);
  const std::vector<Tensor> on_cpu = draw(kCPU);
  manual_seed(2024);
  const std::vector<Tensor> on_device = draw(device());
  ASSERT_EQ(on_cpu.size(), on_device.size());
  for (size_t k = 0; k < on_cpu.size(); ++k) {
    EXPECT_EQ(on_device[k].device(), device());
    const Tensor a = on_cpu[k].contiguous(), b = on_device[k].cpu().contiguous();
    ASSERT_EQ(a.sizes(), b.sizes());
    ASSERT_EQ(a.dtype(), b.dtype());
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << "draw " << k << " differs from the CPU's";
  }
}

// Each device has its own default generator (Note [Default generators] in
// core/generator.h): drawing on a GPU does not move the CPU's stream, and
// manual_seed restarts both.
TEST_P(CreationOnDevice, EachDeviceHasItsOwnDefaultGenerator) {
  const Device d = device();
  manual_seed(99);
  const Tensor first = rand({64});
  manual_seed(99);
  const Tensor on_d = rand({64}, TensorOptions(d));
  const Tensor cpu_next = rand({64});
  if (d.is_cpu()) {
    EXPECT_FALSE(equal(cpu_next, first));  // one stream: the second draw moved on
  } else {
    EXPECT_TRUE(equal(cpu_next, first));
    EXPECT_TRUE(equal(on_d.cpu(), first));
    EXPECT_FALSE(equal(rand({64}, TensorOptions(d)).cpu(), first));
  }
  EXPECT_EQ(&default_generator(kCPU), &default_generator());
}

// The value math of backends/random_math.h, which both backends run: the
// normal's log and cos series against libm on the inputs Box-Muller feeds
// them (multiples of 2^-53), the uniform's range, randint's bounds.
TEST(Creation, RandomMathMatchesLibm) {
  const auto ulps = [](double got, double want) {
    return std::abs(got - want) / std::max(std::abs(want) * 0x1.0p-52, 0x1.0p-1074);
  };
  double worst_log = 0, worst_cos = 0;
  const double exact[] = {0x1.0p-53, 0.5, 1.0 - 0x1.0p-53, 1.0, 0.75, 0x1.0p-20, 0.70710678118654746};
  for (double x : exact) {
    worst_log = std::max(worst_log, ulps(random_math::log_unit(x), std::log(x)));
  }
  EXPECT_EQ(random_math::log_unit(1.0), 0.0);
  // The quarter turns are exact (libm's cos(2 * M_PI * t) is not: M_PI is rounded).
  EXPECT_EQ(random_math::cos_turns(0.0), 1.0);
  EXPECT_EQ(random_math::cos_turns(0.25), 0.0);
  EXPECT_EQ(random_math::cos_turns(0.5), -1.0);
  EXPECT_EQ(random_math::cos_turns(0.75), 0.0);
  EXPECT_NEAR(random_math::cos_turns(0.125), std::sqrt(0.5), 2e-16);
  for (uint64_t c = 0; c < 200000; ++c) {
    const auto r = philox4x32(77, c);
    const double u1 = 1.0 - random_math::uniform01(r[0], r[1]), u2 = random_math::uniform01(r[2], r[3]);
    worst_log = std::max(worst_log, ulps(random_math::log_unit(u1), std::log(u1)));
    // cos's absolute error against the largest value, 1 (cos(2 pi t) passes through 0).
    worst_cos = std::max(worst_cos, std::abs(random_math::cos_turns(u2) - std::cos(2 * M_PI * u2)) / 0x1.0p-52);
    const float f = random_math::random_value<float>(RandomOp::Uniform, -1, 1, r);
    ASSERT_TRUE(f >= -1.0f && f < 1.0f) << f;
    const int64_t k = random_math::random_value<int64_t>(RandomOp::RandInt, -3, 4, r);
    ASSERT_TRUE(k >= -3 && k < 4) << k;
  }
  EXPECT_LE(worst_log, 4.0);
  EXPECT_LE(worst_cos, 16.0);  // the reference itself: 2 * M_PI * u2 is rounded twice
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
