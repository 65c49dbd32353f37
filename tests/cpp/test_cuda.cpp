// The CUDA backend. The CudaInfo and CudaPlan suites run everywhere (CPU-only
// machines and builds without CUDA included); the CudaDevice suite needs a GPU
// and is skipped, with the reason CUDA gave, when there is none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backends/cuda/elementwise_plan.h"
#include "wick.h"

#ifdef WICK_WITH_CUDA
#include "backends/cuda/cuda_utils.h"
#endif

using namespace wick;
using ::testing::HasSubstr;

namespace {

const Device kCuda0{DeviceType::CUDA, 0};

// The message of the wick::Error (or subclass E) that f throws; fails the test otherwise.
template <typename E = Error, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

}  // namespace

// ---- always: availability and errors without a GPU ------------------------------

TEST(CudaInfo, AvailabilityIsConsistent) {
  EXPECT_EQ(cuda::is_available(), cuda::device_count() > 0);
  EXPECT_GE(cuda::device_count(), 0);
  EXPECT_EQ(cuda::is_available(), cuda::unavailable_reason().empty());
  if (!cuda::is_available()) {
    EXPECT_THAT(cuda::unavailable_reason(), HasSubstr("CUDA"));
#ifdef WICK_WITH_CUDA
    EXPECT_THAT(cuda::unavailable_reason(), HasSubstr("CUDA error: no CUDA-capable device is detected"));
#else
    EXPECT_THAT(cuda::unavailable_reason(), HasSubstr("no CUDA backend"));
#endif
  }
}

TEST(CudaInfo, TensorOnUnavailableDeviceThrowsNamingIt) {
  if (cuda::is_available()) GTEST_SKIP() << "a CUDA device is present; this tests the error without one";
  std::string msg = error_of([] { empty({2, 3}, TensorOptions(Device("cuda"))); });
  EXPECT_THAT(msg, HasSubstr("cuda:0"));
  EXPECT_THAT(msg, HasSubstr("not available"));
#ifdef WICK_WITH_CUDA
  EXPECT_THAT(msg, HasSubstr(cuda::unavailable_reason()));
  EXPECT_THAT(msg, HasSubstr("use device 'cpu'"));
#endif
  EXPECT_THAT(error_of([] { zeros({4}, TensorOptions(Device("cuda:1"))); }), HasSubstr("cuda:1"));
  EXPECT_THAT(error_of([] { tensor({1.0, 2.0}).to(Device("cuda:2")); }), HasSubstr("cuda:2"));
  EXPECT_THAT(error_of([] { ones({2}).cuda(); }), HasSubstr("cuda:0"));
  EXPECT_THAT(error_of([] { empty({0}, TensorOptions(Device("cuda"))); }), HasSubstr("cuda:0"));
  EXPECT_THAT(error_of([] { memory_stats(Device("cuda")); }), HasSubstr("cuda:0"));
  EXPECT_THAT(error_of([] { empty_cache(Device("cuda:3")); }), HasSubstr("cuda:3"));
  // The CPU keeps working after the failed attempts.
  EXPECT_EQ((ones({2}) + 1).to_vector<float>(), (std::vector<float>{2, 2}));
}

#ifdef WICK_WITH_CUDA
TEST(CudaInfo, CheckedCallsThrowWithTheCallSite) {
  EXPECT_NO_THROW(cuda::check(cudaSuccess, "cudaMemcpy"));
  const std::string msg = error_of([] { cuda::check(cudaErrorInvalidValue, "cudaMemcpy"); });
  EXPECT_THAT(msg, HasSubstr("CUDA error: invalid argument"));
  EXPECT_THAT(msg, HasSubstr("cudaErrorInvalidValue"));
  EXPECT_THAT(msg, HasSubstr("cudaMemcpy"));
  EXPECT_THAT(msg, HasSubstr("test_cuda.cpp:"));
  EXPECT_THAT(error_of([] { cuda::check(cudaErrorMemoryAllocation, "cudaMalloc"); }),
              HasSubstr("out of memory"));
}
#endif

// ---- always: how elementwise kernels walk their operands --------------------------

namespace {

// Checks that the plan gives, for every row-major index, the byte offset of
// that element in each operand.
template <int N>
void expect_walks_row_major(const std::array<const Tensor*, N>& ts) {
  const auto plan = cuda::make_plan<N>(ts, "test");
  const IntArrayRef shape = ts[0]->sizes();
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t i = 0; i < ts[0]->numel(); ++i) {
    int64_t off[N];
    plan.offsets(i, off);
    for (int k = 0; k < N; ++k) {
      int64_t expected = 0;
      for (size_t d = 0; d < shape.size(); ++d) expected += index[d] * ts[k]->strides()[d];
      ASSERT_EQ(off[k], expected * static_cast<int64_t>(ts[k]->element_size()))
          << "operand " << k << " at element " << i << " of shape " << shape;
    }
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[static_cast<size_t>(d)] < shape[static_cast<size_t>(d)]) break;
      index[static_cast<size_t>(d)] = 0;
    }
  }
}

}  // namespace

TEST(CudaPlan, ContiguousAndScalarOperandsBecomeOneLinearDim) {
  Tensor out = empty({2, 3, 4});
  Tensor a = empty({2, 3, 4}, TensorOptions(ScalarType::Float64));
  Tensor s = expand(scalar_tensor(1.5), {2, 3, 4});
  const auto plan = cuda::make_plan<3>({&out, &a, &s}, "test");
  EXPECT_EQ(plan.ndim, 1);
  EXPECT_EQ(plan.sizes[0], 24);
  EXPECT_EQ(plan.strides[0][0], 4);  // float32 bytes
  EXPECT_EQ(plan.strides[1][0], 8);  // float64 bytes
  EXPECT_EQ(plan.strides[2][0], 0);  // broadcast scalar
  expect_walks_row_major<3>({&out, &a, &s});
}

TEST(CudaPlan, StridedViewsKeepTheirDims) {
  Tensor base = empty({4, 6, 5});
  Tensor p = permute(base, {2, 0, 1});  // [5, 4, 6]
  Tensor out = empty({5, 4, 6}, TensorOptions(ScalarType::UInt8));
  const auto plan = cuda::make_plan<2>({&out, &p}, "test");
  EXPECT_EQ(plan.ndim, 2);  // p's dims 1 and 2 step as one
  expect_walks_row_major<2>({&out, &p});

  Tensor stepped = slice(empty({10, 7}, TensorOptions(ScalarType::Int64)), 0, 1, 9, 3);  // [3, 7]
  Tensor t = transpose(empty({7, 3}), 0, 1);                                            // [3, 7]
  Tensor col = expand(empty({3, 1}), {3, 7});
  expect_walks_row_major<3>({&stepped, &t, &col});
  const auto plan3 = cuda::make_plan<3>({&stepped, &t, &col}, "test");
  EXPECT_EQ(plan3.ndim, 2);

  Tensor row = expand(empty({1, 7}), {3, 7});
  Tensor last = select(empty({3, 7, 2}, TensorOptions(ScalarType::Bool)), 2, 1);  // stride 2
  expect_walks_row_major<2>({&row, &last});
}

TEST(CudaPlan, OneElementAndSizeOneDims) {
  Tensor zero_dim = scalar_tensor(3.0);
  const auto plan = cuda::make_plan<1>({&zero_dim}, "test");
  EXPECT_EQ(plan.ndim, 1);
  EXPECT_EQ(plan.sizes[0], 1);
  expect_walks_row_major<1>({&zero_dim});

  // Size-1 dims with any stride are ignored.
  Tensor odd = as_strided(empty({40}), {1, 4, 1, 5}, {99, 5, 17, 1});
  Tensor out = empty({1, 4, 1, 5});
  const auto plan2 = cuda::make_plan<2>({&out, &odd}, "test");
  EXPECT_EQ(plan2.ndim, 1);
  expect_walks_row_major<2>({&out, &odd});
}

TEST(CudaPlan, RejectsMismatchedShapesAndTooManyDims) {
  Tensor a = empty({2, 3}), b = empty({3, 2});
  const std::string msg = error_of<ValueError>([&] { cuda::make_plan<2>({&a, &b}, "add"); });
  EXPECT_THAT(msg, HasSubstr("add"));
  EXPECT_THAT(msg, HasSubstr("[2, 3]"));
  EXPECT_THAT(msg, HasSubstr("[3, 2]"));

  // 26 dims of size 2 whose strides (3^k) never merge; no element is touched.
  std::vector<int64_t> sizes(26, 2), strides(26);
  int64_t s = 1;
  for (int d = 25; d >= 0; --d, s *= 3) strides[static_cast<size_t>(d)] = s;
  static char byte;
  Tensor wide = from_blob(&byte, sizes, strides, ScalarType::UInt8, kCPU, nullptr, nullptr);
  const std::string wide_msg = error_of<NotImplementedError>([&] { cuda::make_plan<1>({&wide}, "fill"); });
  EXPECT_THAT(wide_msg, HasSubstr("fill"));
  EXPECT_THAT(wide_msg, HasSubstr("at most 25"));
}

// ---- with a GPU -----------------------------------------------------------------

class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
  }
};

TEST_F(CudaDevice, AllocatorStatsAndCache) {
  empty_cache(kCuda0);
  const MemoryStats before = memory_stats(kCuda0);
  {
    Tensor t = empty({1000}, TensorOptions(ScalarType::Float32).device(kCuda0));
    const MemoryStats during = memory_stats(kCuda0);
    EXPECT_EQ(during.allocated_bytes, before.allocated_bytes + 4000);
    EXPECT_EQ(during.reserved_bytes, before.reserved_bytes + 4096);  // rounded to 512 bytes
    EXPECT_EQ(during.num_allocs, before.num_allocs + 1);
    EXPECT_EQ(during.num_system_allocs, before.num_system_allocs + 1);
    EXPECT_GE(during.peak_bytes, during.allocated_bytes);
    EXPECT_EQ(memory_allocated(kCuda0), during.allocated_bytes);
  }
  const MemoryStats freed = memory_stats(kCuda0);
  EXPECT_EQ(freed.allocated_bytes, before.allocated_bytes);
  EXPECT_EQ(freed.reserved_bytes, before.reserved_bytes + 4096);  // kept in the cache
  EXPECT_EQ(freed.num_frees, before.num_frees + 1);
  {
    Tensor again = empty({1020}, TensorOptions(ScalarType::Float32).device(kCuda0));  // same 4096-byte block
    EXPECT_EQ(memory_stats(kCuda0).num_system_allocs, freed.num_system_allocs);
  }
  reset_peak_memory_stats(kCuda0);
  {
    Tensor a = empty({256}, TensorOptions(ScalarType::Float64).device(kCuda0));
    Tensor b = empty({128}, TensorOptions(ScalarType::Float64).device(kCuda0));
    EXPECT_EQ(max_memory_allocated(kCuda0), before.allocated_bytes + 3072);
  }
  empty_cache(kCuda0);
  EXPECT_EQ(memory_stats(kCuda0).reserved_bytes, before.reserved_bytes);
  EXPECT_EQ(memory_stats(kCuda0).allocated_bytes, before.allocated_bytes);
  // The CPU allocator's statistics are separate.
  const int64_t cpu_before = memory_allocated(kCPU);
  Tensor on_gpu = empty({1 << 16}, TensorOptions(kCuda0));
  EXPECT_EQ(memory_allocated(kCPU), cpu_before);
}

TEST_F(CudaDevice, OutOfMemoryIsAClearError) {
  const int64_t before = memory_allocated(kCuda0);
  const std::string msg =
      error_of([] { empty({int64_t{1} << 40}, TensorOptions(ScalarType::Float32).device(kCuda0)); });
  EXPECT_THAT(msg, HasSubstr("CUDA out of memory"));
  EXPECT_THAT(msg, HasSubstr("Tried to allocate 4398046511104 bytes"));
  EXPECT_THAT(msg, HasSubstr("cuda:0"));
  EXPECT_THAT(msg, HasSubstr("reserved"));
  EXPECT_EQ(memory_allocated(kCuda0), before);
  EXPECT_EQ(ones({3}, TensorOptions(kCuda0)).to_vector<float>(), (std::vector<float>{1, 1, 1}));  // still usable
}

TEST_F(CudaDevice, InvalidDeviceIndexIsAClearError) {
  const int n = cuda::device_count();
  const std::string msg = error_of([n] { empty({2}, TensorOptions(Device(DeviceType::CUDA, n))); });
  EXPECT_THAT(msg, HasSubstr("cuda:" + std::to_string(n)));
  EXPECT_THAT(msg, HasSubstr("invalid device ordinal"));
}

TEST_F(CudaDevice, RoundTripEveryDtype) {
  const std::vector<double> values{0, 1, 2.5, 3, 200, 7, 0.25, 8};  // in range of every dtype
  for (ScalarType t : {ScalarType::Bool, ScalarType::UInt8, ScalarType::Int32, ScalarType::Int64,
                       ScalarType::Float32, ScalarType::Float64}) {
    SCOPED_TRACE(std::string(to_string(t)));
    Tensor host = from_vector(values, {2, 4}).to(t);
    Tensor dev = host.to(kCuda0);
    EXPECT_TRUE(dev.is_cuda());
    EXPECT_EQ(dev.dtype(), t);
    EXPECT_EQ(dev.sizes(), host.sizes());
    EXPECT_EQ(dev.to_vector<double>(), host.to_vector<double>());
    EXPECT_EQ(dev.cpu().to_vector<double>(), host.to_vector<double>());
  }
  Tensor empty_dev = empty({0, 3}, TensorOptions(kCuda0));
  EXPECT_EQ(empty_dev.cpu().numel(), 0);
}

TEST_F(CudaDevice, StridedAndConvertingCopies) {
  Tensor host = arange(0, 12, 1, TensorOptions(ScalarType::Float64)).view({3, 4});
  const std::vector<double> transposed{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11};
  // Host -> device from a non-contiguous source, converting dtype.
  Tensor dev = host.t().to(kCuda0, ScalarType::Float32);
  EXPECT_EQ(dev.dtype(), ScalarType::Float32);
  EXPECT_EQ(dev.to_vector<double>(), transposed);
  // Device -> host from a non-contiguous source, converting dtype.
  Tensor dev64 = host.to(kCuda0);
  EXPECT_EQ(dev64.t().to(kCPU, ScalarType::Int64).to_vector<int64_t>(),
            (std::vector<int64_t>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // Device -> device: contiguous() of a transposed view and a converting copy.
  EXPECT_EQ(dev64.t().contiguous().to_vector<double>(), transposed);
  EXPECT_EQ(dev64.to(ScalarType::Bool).to_vector<bool>()[0], false);
  // Host -> strided device destination, and device -> strided host destination.
  Tensor target = zeros({4, 3}, TensorOptions(kCuda0));
  target.t().copy_(host);
  EXPECT_EQ(target.to_vector<double>(), transposed);
  Tensor host_target = zeros({4, 3}, TensorOptions(ScalarType::Int32));
  host_target.t().copy_(dev64);
  EXPECT_EQ(host_target.to_vector<double>(), transposed);
  // A broadcast source.
  Tensor row = zeros({3, 4}, TensorOptions(kCuda0));
  row.copy_(from_vector(std::vector<float>{1, 2, 3, 4}, {4}));
  EXPECT_EQ(row.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}));
}

TEST_F(CudaDevice, Fill) {
  for (ScalarType t : {ScalarType::Bool, ScalarType::UInt8, ScalarType::Int32, ScalarType::Int64,
                       ScalarType::Float32, ScalarType::Float64}) {
    SCOPED_TRACE(std::string(to_string(t)));
    Tensor x = full({5, 3}, 7, TensorOptions(t).device(kCuda0));
    EXPECT_EQ(x.to_vector<double>(), std::vector<double>(15, t == ScalarType::Bool ? 1 : 7));
    x.zero_();  // the cudaMemset path
    EXPECT_EQ(x.to_vector<double>(), std::vector<double>(15, 0));
  }
  Tensor neg_zero = full({4}, -0.0, TensorOptions(kCuda0));
  for (float v : neg_zero.to_vector<float>()) EXPECT_TRUE(std::signbit(v));
  // A strided view: only its elements change.
  Tensor x = zeros({4, 5}, TensorOptions(kCuda0));
  slice(x, 1, 0, 5, 2).fill_(3);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{3, 0, 3, 0, 3, 3, 0, 3, 0, 3, 3, 0, 3, 0, 3, 3, 0, 3, 0, 3}));
  x.t().select(0, 1).fill_(-1);
  EXPECT_EQ(x.to_vector<float>()[1], -1);
  EXPECT_EQ(x.to_vector<float>()[16], -1);
  Tensor none = empty({0}, TensorOptions(kCuda0));
  EXPECT_NO_THROW(none.fill_(1));
  EXPECT_EQ(full({0, 3}, 0, TensorOptions(kCuda0)).numel(), 0);
}

TEST_F(CudaDevice, AddAndMulMatchCpu) {
  for (ScalarType t : {ScalarType::Float32, ScalarType::Float64, ScalarType::Int64}) {
    SCOPED_TRACE(std::string(to_string(t)));
    Tensor a = is_floating_point(t) ? randn({33, 65}).to(t) : randint(-1000, 1000, {33, 65});
    Tensor b = is_floating_point(t) ? randn({33, 65}).to(t) : randint(-1000, 1000, {33, 65});
    Tensor da = a.to(kCuda0), db = b.to(kCuda0);
    // add and mul are correctly rounded on both devices: results agree exactly.
    EXPECT_EQ((da + db).to_vector<double>(), (a + b).to_vector<double>());
    EXPECT_EQ((da * db).to_vector<double>(), (a * b).to_vector<double>());
    EXPECT_EQ(add(da, db, 3).to_vector<double>(), add(a, b, 3).to_vector<double>());
    // Non-contiguous operands.
    EXPECT_EQ((da.t() * db.t()).to_vector<double>(), (a.t() * b.t()).to_vector<double>());
    // In place.
    Tensor acc = da.clone();
    acc.add_(db).mul_(db);
    EXPECT_EQ(acc.to_vector<double>(), ((a + b) * b).to_vector<double>());
  }
}

TEST_F(CudaDevice, ScalarAndBroadcastOperands) {
  Tensor a = randn({7, 9});
  Tensor d = a.to(kCuda0);
  EXPECT_EQ((d + 2.5).to_vector<float>(), (a + 2.5).to_vector<float>());
  EXPECT_EQ((3 * d).to_vector<float>(), (3 * a).to_vector<float>());
  EXPECT_EQ((d * scalar_tensor(-2.0, TensorOptions(kCuda0))).to_vector<float>(), (a * -2.0).to_vector<float>());
  Tensor col = randn({7, 1}), row = randn({1, 9});
  EXPECT_EQ((col.to(kCuda0) + row.to(kCuda0)).to_vector<float>(), (col + row).to_vector<float>());
  EXPECT_EQ((d * row.to(kCuda0)).to_vector<float>(), (a * row).to_vector<float>());
  Tensor i = randint(-50, 50, {100});
  EXPECT_EQ((i.to(kCuda0) * 7 + 1).to_vector<int64_t>(), (i * 7 + 1).to_vector<int64_t>());
  // A CPU tensor that is not a scalar does not mix with a GPU tensor.
  EXPECT_THAT(error_of<ValueError>([&] { d + a; }), HasSubstr("same device"));
}

TEST_F(CudaDevice, MoreElementwiseOpsMatchCpu) {
  Tensor a = randn({1000}, TensorOptions(ScalarType::Float64)), b = randn({1000}, TensorOptions(ScalarType::Float64));
  Tensor da = a.to(kCuda0), db = b.to(kCuda0);
  auto expect_near = [](const Tensor& got, const Tensor& want, double tol) {
    const auto g = got.to_vector<double>(), w = want.to_vector<double>();
    ASSERT_EQ(g.size(), w.size());
    for (size_t k = 0; k < g.size(); ++k) EXPECT_NEAR(g[k], w[k], tol * (1 + std::fabs(w[k]))) << "element " << k;
  };
  expect_near(da - db, a - b, 0);
  expect_near(da / db, a / b, 1e-15);
  expect_near(maximum(da, db), maximum(a, b), 0);
  expect_near(exp(da), exp(a), 1e-15);
  expect_near(tanh(da), tanh(a), 1e-15);
  expect_near(sigmoid(da.to(ScalarType::Float32)), sigmoid(a.to(ScalarType::Float32)), 1e-6);
  expect_near(relu(da), relu(a), 0);
  expect_near(neg(da), neg(a), 0);
  expect_near(abs(da), abs(a), 0);
  expect_near(clamp(da, -0.5, 0.5), clamp(a, -0.5, 0.5), 0);
  EXPECT_EQ(lt(da, db).to_vector<bool>(), lt(a, b).to_vector<bool>());
  EXPECT_EQ(eq(da, da).to_vector<bool>(), std::vector<bool>(1000, true));
}

TEST_F(CudaDevice, AutogradThroughGpuOps) {
  Tensor a = randn({4, 5}, TensorOptions(ScalarType::Float64)).to(kCuda0).requires_grad_();
  Tensor b = randn({4, 5}, TensorOptions(ScalarType::Float64)).to(kCuda0).requires_grad_();
  Tensor y = a * b + a;
  y.backward(ones_like(y));
  ASSERT_TRUE(a.grad().defined());
  EXPECT_TRUE(a.grad().is_cuda());
  EXPECT_EQ(a.grad().to_vector<double>(), (b.detach() + 1).to_vector<double>());
  EXPECT_EQ(b.grad().to_vector<double>(), a.detach().to_vector<double>());
}

TEST_F(CudaDevice, MissingKernelsRaiseNotImplemented) {
  Tensor half = empty({4}, TensorOptions(ScalarType::Float16).device(kCuda0));
  const std::string msg = error_of<NotImplementedError>([&] { half.fill_(1); });
  EXPECT_THAT(msg, HasSubstr("fill"));
  EXPECT_THAT(msg, HasSubstr("float16"));
  Tensor x = ones({3}, TensorOptions(kCuda0));
  EXPECT_THAT(error_of<NotImplementedError>([&] { matmul(x.view({1, 3}), x.view({3, 1})); }), HasSubstr("cuda"));
}

TEST_F(CudaDevice, SecondDevice) {
  if (cuda::device_count() < 2) GTEST_SKIP() << "needs 2 CUDA devices, found " << cuda::device_count();
  const Device cuda1{DeviceType::CUDA, 1};
  const int64_t on0 = memory_allocated(kCuda0), on1 = memory_allocated(cuda1);
  Tensor x = arange(0, 6, 1, TensorOptions(ScalarType::Float32)).to(cuda1);
  EXPECT_EQ(x.device(), cuda1);
  EXPECT_EQ(memory_allocated(cuda1), on1 + 24);
  EXPECT_EQ(memory_allocated(kCuda0), on0);
  Tensor y = (x * 2 + 1).to(kCuda0);  // computed on cuda:1, then a peer copy
  EXPECT_EQ(y.device(), kCuda0);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(y.to(cuda1).t().contiguous().to_vector<float>(), y.to_vector<float>());
}
