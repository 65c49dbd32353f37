// Matrix products: values against a naive float64 loop for many shapes and
// memory layouts, the kernel's alpha/beta contract, gradients, and errors.
#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "test_util.h"

using namespace wick;
using wick::testing::leaf;
using wick::testing::noncontiguous_leaf;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The reference product of PyTorch's matmul rules, computed in float64 with a
// triple loop: vectors become matrices, batch dims broadcast.
Tensor reference_matmul(const Tensor& a_any, const Tensor& b_any) {
  NoGradGuard no_grad;
  const Tensor a = a_any.cpu(), b = b_any.cpu();
  const Tensor x = a.dim() == 1 ? a.unsqueeze(0) : a;
  const Tensor y = b.dim() == 1 ? b.unsqueeze(1) : b;
  const int64_t n = x.size(-2), k = x.size(-1), m = y.size(-1);
  const DimVector batch = broadcast_shapes(IntArrayRef(x.sizes().data(), static_cast<size_t>(x.dim() - 2)),
                                           IntArrayRef(y.sizes().data(), static_cast<size_t>(y.dim() - 2)));
  DimVector xs(batch), ys(batch), out_shape(batch);
  xs.push_back(n);
  xs.push_back(k);
  ys.push_back(k);
  ys.push_back(m);
  const std::vector<double> xv = x.expand(xs).contiguous().to_vector<double>();
  const std::vector<double> yv = y.expand(ys).contiguous().to_vector<double>();
  int64_t nb = 1;
  for (int64_t s : batch) nb *= s;
  std::vector<double> out(static_cast<size_t>(nb * n * m), 0.0);
  for (int64_t bi = 0; bi < nb; ++bi)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += xv[(bi * n + i) * k + p] * yv[(bi * k + p) * m + j];
        out[(bi * n + i) * m + j] = acc;
      }
  if (a.dim() > 1) out_shape.push_back(n);
  if (b.dim() > 1) out_shape.push_back(m);
  return from_vector(out, out_shape);
}

// Checks got against ref elementwise: |got - ref| <= atol + rtol * |ref|.
void expect_close(const Tensor& got, const Tensor& ref, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.sizes(), ref.sizes()) << what;
  const std::vector<double> g = got.to_vector<double>(), r = ref.to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i)
    if (!(std::fabs(g[i] - r[i]) <= atol + rtol * std::fabs(r[i]))) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << r[i];
      ++bad;
    }
}

double rtol_for(ScalarType t) { return t == ScalarType::Float32 ? 1e-4 : 1e-10; }
double atol_for(ScalarType t) { return t == ScalarType::Float32 ? 1e-4 : 1e-10; }

// How an operand is laid out in memory.
enum class Layout { Contiguous, Transposed, Stepped, Padded, BatchInner, Broadcast };
const char* name(Layout l) {
  switch (l) {
    case Layout::Contiguous: return "contiguous";
    case Layout::Transposed: return "transposed";
    case Layout::Stepped: return "stepped";
    case Layout::Padded: return "padded";
    case Layout::BatchInner: return "batch-inner";
    case Layout::Broadcast: return "broadcast";
  }
  return "";
}

// Random values on `device` (drawn on the CPU): normal for floating dtypes, small integers otherwise.
Tensor values(IntArrayRef sizes, ScalarType dt, Device device = kCPU) {
  if (is_floating_point(dt)) return randn(sizes, dt).to(device);
  return round(randn(sizes, ScalarType::Float64) * 4).to(device, dt);
}

// A random [r, c] matrix on `device` stored in layout l: row-major,
// column-major, with a column step of 2 (BLAS cannot read it in place), or
// with padded rows. The views are taken on the device.
Tensor matrix(int64_t r, int64_t c, Layout l, ScalarType dt, Device device = kCPU) {
  switch (l) {
    case Layout::Transposed: return values({c, r}, dt, device).t();
    case Layout::Stepped: return values({r, 2 * c}, dt, device).slice(1, 0, std::nullopt, 2);
    case Layout::Padded: return values({r, c + 3}, dt, device).narrow(1, 1, c);
    default: return values({r, c}, dt, device);
  }
}

// A random batch [B, r, c] on `device` stored in layout l.
Tensor batch(int64_t B, int64_t r, int64_t c, Layout l, ScalarType dt, Device device = kCPU) {
  switch (l) {
    case Layout::Transposed: return values({B, c, r}, dt, device).transpose(1, 2);
    case Layout::Stepped: return values({B, r, 2 * c}, dt, device).slice(2, 0, std::nullopt, 2);
    case Layout::Padded: return values({B, r + 1, c + 2}, dt, device).narrow(1, 1, r).narrow(2, 2, c);
    case Layout::BatchInner: return values({r, c, B}, dt, device).permute({2, 0, 1});
    case Layout::Broadcast: return values({1, r, c}, dt, device).expand({B, r, c});
    default: return values({B, r, c}, dt, device);
  }
}

struct Dims {
  int64_t n, k, m;
};
const std::vector<Dims> kShapes = {{1, 1, 1}, {1, 5, 1}, {5, 1, 7},   {1, 7, 5},    {6, 7, 1},
                                   {3, 4, 5}, {17, 33, 9}, {64, 64, 64}, {100, 70, 130}};

const char* name_of(ScalarType t) { return t == ScalarType::Float32 ? "float32" : "float64"; }

}  // namespace

// The suites below marked LinalgOnDevice run once per device (test_util.h),
// against the float64 reference computed on the CPU.
class LinalgOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(LinalgOnDevice);

// ---- values ----------------------------------------------------------------------

TEST_P(LinalgOnDevice, HandCheckedProducts) {
  const Device d = device();
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64, ScalarType::Int64, ScalarType::Int32}) {
    const Tensor a = tensor({1, 2, 3, 4}, dt).to(d).view({2, 2});
    const Tensor b = tensor({5, 6, 7, 8}, dt).to(d).view({2, 2});
    EXPECT_EQ(mm(a, b).to_vector<double>(), (std::vector<double>{19, 22, 43, 50})) << dt;
    EXPECT_EQ(a.mm(b.t()).to_vector<double>(), (std::vector<double>{17, 23, 39, 53})) << dt;
    EXPECT_EQ(a.t().matmul(b).to_vector<double>(), (std::vector<double>{26, 30, 38, 44})) << dt;
    EXPECT_EQ(mm(a, b).dtype(), dt);
    const Tensor v = tensor({1, -1}, dt).to(d);
    EXPECT_EQ(mv(a, v).to_vector<double>(), (std::vector<double>{-1, -1})) << dt;
    EXPECT_EQ(matmul(v, a).to_vector<double>(), (std::vector<double>{-2, -2})) << dt;
    EXPECT_EQ(dot(v, tensor({3, 5}, dt).to(d)).item<double>(), -2) << dt;
    EXPECT_EQ(dot(v, tensor({3, 5}, dt).to(d)).dim(), 0);
    EXPECT_EQ(outer(v, tensor({3, 5, 7}, dt).to(d)).to_vector<double>(), (std::vector<double>{3, 5, 7, -3, -5, -7}))
        << dt;
  }
  // [2, 3] @ [3, 1]
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}).to(d).view({2, 3});
  EXPECT_EQ(mm(a, tensor({1, 0, 2}).to(d).view({3, 1})).to_vector<float>(), (std::vector<float>{7, 16}));
  // bmm: two batches of [1, 2] @ [2, 1]
  const Tensor x = tensor({1, 2, 3, 4}).to(d).view({2, 1, 2});
  const Tensor y = tensor({1, 1, 2, -1}).to(d).view({2, 2, 1});
  EXPECT_EQ(bmm(x, y).to_vector<float>(), (std::vector<float>{3, 2}));
  EXPECT_EQ(x.bmm(y).sizes(), IntArrayRef({2, 1, 1}));
  // addmm: 2 * bias + 3 * (a @ b) with a row bias
  const Tensor bias = tensor({1, 10}).to(d);
  const Tensor m2 = tensor({1, 0, 0, 1, 1, 1}).to(d).view({3, 2});
  EXPECT_EQ(addmm(bias, a, m2, 2, 3).to_vector<float>(), (std::vector<float>{14, 35, 32, 53}));
}

TEST_P(LinalgOnDevice, MmMatchesNaiveForEveryLayout) {
  manual_seed(0);
  const Layout layouts[] = {Layout::Contiguous, Layout::Transposed, Layout::Stepped, Layout::Padded};
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64})
    for (const Dims& d : kShapes)
      for (Layout la : layouts)
        for (Layout lb : layouts) {
          const Tensor a = matrix(d.n, d.k, la, dt, device()), b = matrix(d.k, d.m, lb, dt, device());
          const std::string what = std::string(name_of(dt)) + " [" + std::to_string(d.n) + ", " +
                                   std::to_string(d.k) + "] " + name(la) + " @ [" + std::to_string(d.k) + ", " +
                                   std::to_string(d.m) + "] " + name(lb);
          expect_close(mm(a, b), reference_matmul(a, b), rtol_for(dt), atol_for(dt), what);
        }
}

TEST_P(LinalgOnDevice, BmmMatchesNaiveForEveryLayout) {
  manual_seed(1);
  const Layout layouts[] = {Layout::Contiguous, Layout::Transposed, Layout::Stepped,
                            Layout::Padded,     Layout::BatchInner, Layout::Broadcast};
  const std::vector<Dims> shapes = {{1, 1, 1}, {1, 6, 5}, {7, 3, 1}, {5, 8, 6}, {33, 17, 20}};
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64})
    for (int64_t B : {1, 3, 64})
      for (const Dims& d : shapes)
        for (Layout la : layouts)
          for (Layout lb : layouts) {
            const Tensor a = batch(B, d.n, d.k, la, dt, device()), b = batch(B, d.k, d.m, lb, dt, device());
            const std::string what = std::string(name_of(dt)) + " B=" + std::to_string(B) + " [" +
                                     std::to_string(d.n) + ", " + std::to_string(d.k) + ", " + std::to_string(d.m) +
                                     "] " + name(la) + " @ " + name(lb);
            expect_close(bmm(a, b), reference_matmul(a, b), rtol_for(dt), atol_for(dt), what);
          }
}

TEST(Linalg, BmmOfLargeMatricesWithMoreThreadsThanBatches) {
  // Fewer products than threads: each large gemm is threaded by OpenBLAS.
  manual_seed(2);
  const int before = get_num_threads();
  set_num_threads(4);
  const Tensor a = randn({3, 130, 140}, ScalarType::Float64), b = randn({3, 140, 120}, ScalarType::Float64);
  expect_close(bmm(a, b), reference_matmul(a, b), 1e-10, 1e-10, "bmm [3, 130, 140] @ [3, 140, 120]");
  expect_close(bmm(a, b.transpose(1, 2).contiguous().transpose(1, 2)), reference_matmul(a, b), 1e-10, 1e-10,
               "bmm with a column-major right operand");
  set_num_threads(before);
}

// The kernel directly: alpha, beta, and outputs of any layout (column-major,
// padded, stepped, broadcast-free batches).
TEST_P(LinalgOnDevice, KernelAlphaBetaAndOutputLayouts) {
  manual_seed(3);
  const Device dev = device();
  const auto& matmul_kernel = backend(dev).matmul;
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64, ScalarType::Int64, ScalarType::Int32})
    for (const Dims& d : std::vector<Dims>{{4, 5, 6}, {1, 5, 6}, {4, 5, 1}, {4, 0, 3}, {9, 16, 11}})
      for (Layout lo : {Layout::Contiguous, Layout::Transposed, Layout::Stepped, Layout::Padded, Layout::BatchInner}) {
        const int64_t B = 3;
        const Tensor a = batch(B, d.n, d.k, Layout::Transposed, dt, dev);
        const Tensor b = batch(B, d.k, d.m, Layout::Contiguous, dt, dev);
        const Tensor out = batch(B, d.n, d.m, lo, dt, dev);
        const Tensor before = out.to(kCPU, ScalarType::Float64).clone();
        const double alpha = is_floating_point(dt) ? 1.5 : 3, beta = is_floating_point(dt) ? 0.5 : -2;
        matmul_kernel(out, a, b, alpha, beta);
        const Tensor want = reference_matmul(a, b) * alpha + before * beta;
        expect_close(out, want, rtol_for(dt), atol_for(dt) * 10,
                     std::string("kernel ") + std::to_string(static_cast<int>(dt)) + " out " + name(lo) + " [" +
                         std::to_string(d.n) + ", " + std::to_string(d.k) + ", " + std::to_string(d.m) + "]");
      }
}

TEST_P(LinalgOnDevice, BetaZeroIgnoresNaN) {
  const Device dev = device();
  const auto& matmul_kernel = backend(dev).matmul;
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64})
    for (const Dims& d : std::vector<Dims>{{3, 4, 5}, {1, 4, 5}, {3, 4, 1}, {1, 4, 1}, {3, 0, 5}, {40, 50, 60}})
      for (int64_t B : {1, 5}) {
        const Tensor a = randn({B, d.n, d.k}, dt).to(dev), b = randn({B, d.k, d.m}, dt).to(dev);
        const Tensor out = full({B, d.n, d.m}, kNaN, dt).to(dev);
        matmul_kernel(out, a, b, 1, 0);
        EXPECT_FALSE(any(isnan(out.cpu())).item<bool>())
            << dt << " [" << d.n << ", " << d.k << ", " << d.m << "] B=" << B;
        expect_close(out, reference_matmul(a, b), rtol_for(dt), atol_for(dt), "beta = 0 over NaN");
        // addmm with beta = 0 ignores a NaN bias too.
        const Tensor r = addmm(full({d.m}, kNaN, dt).to(dev), a[0], b[0], 0, 2);
        EXPECT_FALSE(any(isnan(r.cpu())).item<bool>());
        expect_close(r, reference_matmul(a[0], b[0]) * 2, rtol_for(dt), atol_for(dt), "addmm beta = 0");
      }
}

TEST_P(LinalgOnDevice, MatmulRankCombinations) {
  manual_seed(4);
  struct Case {
    std::vector<int64_t> a, b, out;
  };
  const std::vector<Case> cases = {
      {{4}, {4}, {}},
      {{3, 4}, {4}, {3}},
      {{4}, {4, 5}, {5}},
      {{3, 4}, {4, 5}, {3, 5}},
      {{2, 3, 4}, {4}, {2, 3}},
      {{4}, {2, 4, 5}, {2, 5}},
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},
      {{3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},
      {{1, 3, 4}, {6, 4, 2}, {6, 3, 2}},
      {{6, 3, 4}, {1, 4, 2}, {6, 3, 2}},
      {{2, 2, 3, 4}, {4}, {2, 2, 3}},
      {{4}, {3, 2, 4, 5}, {3, 2, 5}},
      {{7, 1, 2, 3, 4}, {1, 5, 1, 4, 2}, {7, 5, 2, 3, 2}},
  };
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64, ScalarType::Int64})
    for (const Case& c : cases) {
      Tensor a = randn(c.a, ScalarType::Float64).to(device()), b = randn(c.b, ScalarType::Float64).to(device());
      if (dt == ScalarType::Int64) {
        a = round(a * 5).to(dt);
        b = round(b * 5).to(dt);
      } else {
        a = a.to(dt);
        b = b.to(dt);
      }
      const Tensor r = matmul(a, b);
      EXPECT_EQ(r.sizes(), IntArrayRef(c.out)) << IntArrayRef(c.a) << " @ " << IntArrayRef(c.b);
      EXPECT_EQ(r.dtype(), dt);
      expect_close(r, reference_matmul(a, b), rtol_for(dt), atol_for(dt), "matmul");
      EXPECT_EQ(a.matmul(b).sizes(), r.sizes());
    }
}

TEST_P(LinalgOnDevice, MatmulNonContiguousOperands) {
  manual_seed(5);
  const Device d = device();
  // Batch dims that cannot be folded into rows without a copy, with and without grad.
  for (bool grad : {false, true}) {
    Tensor a = randn({3, 5, 4, 6}, ScalarType::Float64).to(d).permute({1, 0, 2, 3});  // [5, 3, 4, 6]
    Tensor w = randn({6, 2}, ScalarType::Float64).to(d).t().contiguous().t();
    if (grad) w.requires_grad_();
    expect_close(matmul(a, w), reference_matmul(a, w), 1e-12, 1e-12, "permuted batch @ matrix");
    expect_close(matmul(w.t(), a.transpose(-1, -2)), reference_matmul(w.t(), a.transpose(-1, -2)), 1e-12, 1e-12,
                 "matrix @ permuted batch");
    const Tensor v = randn({12}, ScalarType::Float64).to(d).slice(0, 0, std::nullopt, 2);
    expect_close(matmul(a, v), reference_matmul(a, v), 1e-12, 1e-12, "permuted batch @ stepped vector");
    expect_close(matmul(v, a.transpose(-1, -2)), reference_matmul(v, a.transpose(-1, -2)), 1e-12, 1e-12,
                 "stepped vector @ batch");
    const Tensor s = randn({8, 5}, ScalarType::Float64).to(d).slice(0, 0, std::nullopt, 2);  // [4, 5], rows 10 apart
    const Tensor m = randn({3, 4}, ScalarType::Float64).to(d).t();                            // [4, 3], column-major
    expect_close(matmul(s.t(), m), reference_matmul(s.t(), m), 1e-12, 1e-12, "stepped^T @ transposed");
  }
}

TEST_P(LinalgOnDevice, ZeroSizeOperands) {
  for (ScalarType dt : {ScalarType::Float32, ScalarType::Float64, ScalarType::Int64}) {
    const TensorOptions o = TensorOptions(dt).device(device());
    EXPECT_EQ(mm(ones({0, 3}, o), ones({3, 4}, o)).sizes(), IntArrayRef({0, 4}));
    EXPECT_EQ(mm(ones({2, 3}, o), ones({3, 0}, o)).sizes(), IntArrayRef({2, 0}));
    // k == 0: a sum of nothing is zero.
    const Tensor z = mm(ones({2, 0}, o), ones({0, 3}, o));
    EXPECT_EQ(z.sizes(), IntArrayRef({2, 3}));
    EXPECT_EQ(z.to_vector<double>(), std::vector<double>(6, 0.0));
    EXPECT_EQ(bmm(ones({0, 2, 3}, o), ones({0, 3, 4}, o)).sizes(), IntArrayRef({0, 2, 4}));
    EXPECT_EQ(bmm(ones({2, 2, 0}, o), ones({2, 0, 4}, o)).to_vector<double>(), std::vector<double>(16, 0.0));
    EXPECT_EQ(dot(ones({0}, o), ones({0}, o)).item<double>(), 0);
    EXPECT_EQ(mv(ones({3, 0}, o), ones({0}, o)).to_vector<double>(), std::vector<double>(3, 0.0));
    EXPECT_EQ(matmul(ones({2, 0, 3}, o), ones({3, 4}, o)).sizes(), IntArrayRef({2, 0, 4}));
    EXPECT_EQ(matmul(ones({0, 2, 3}, o), ones({1, 3, 4}, o)).sizes(), IntArrayRef({0, 2, 4}));
    EXPECT_EQ(matmul(ones({2, 3, 0}, o), ones({0, 4}, o)).to_vector<double>(), std::vector<double>(24, 0.0));
    EXPECT_EQ(outer(ones({0}, o), ones({3}, o)).sizes(), IntArrayRef({0, 3}));
    // addmm with k == 0 is beta * bias.
    EXPECT_EQ(addmm(full({3}, 2, o), ones({2, 0}, o), ones({0, 3}, o), 3, 5).to_vector<double>(),
              std::vector<double>(6, 6.0));
  }
}

TEST_P(LinalgOnDevice, IntegerProducts) {
  manual_seed(6);
  const Device dev = device();
  for (ScalarType dt : {ScalarType::Int64, ScalarType::Int32, ScalarType::UInt8}) {
    const int64_t lo = dt == ScalarType::UInt8 ? 0 : -20;
    for (const Dims& d : kShapes) {
      const Tensor a = randint(lo, 20, {d.n, d.k}, dt).to(dev), b = randint(lo, 20, {d.m, d.k}, dt).to(dev).t();
      const Tensor r = mm(a, b);
      EXPECT_EQ(r.dtype(), dt);
      if (dt != ScalarType::UInt8) {  // uint8 wraps around
        EXPECT_EQ(r.to_vector<double>(), reference_matmul(a, b).to_vector<double>()) << dt;
      }
    }
    const Tensor a = randint(lo, 20, {4, 3, 5}, dt).to(dev), b = randint(lo, 20, {5, 2}, dt).to(dev);
    if (dt != ScalarType::UInt8) {
      EXPECT_EQ(matmul(a, b).to_vector<double>(), reference_matmul(a, b).to_vector<double>()) << dt;
      EXPECT_EQ(addmm(tensor({1, -1}, dt).to(dev), a[0], b, 2, -3).to_vector<double>(),
                (reference_matmul(a[0], b) * -3 + tensor({2, -2}, ScalarType::Float64)).to_vector<double>());
    }
  }
  // uint8 arithmetic wraps modulo 256, as in PyTorch.
  const Tensor u = tensor({200, 100}, ScalarType::UInt8).to(dev);
  EXPECT_EQ(dot(u, tensor({2, 1}, ScalarType::UInt8).to(dev)).item<int64_t>(), (400 + 100) % 256);
  // int64 products beyond 2^53 stay exact (no trip through floating point).
  const int64_t big = (int64_t{1} << 40) + 3;
  const Tensor x = from_vector(std::vector<int64_t>{big, 1}, {1, 2}).to(dev);
  const Tensor y = from_vector(std::vector<int64_t>{1 << 20, 5}, {2, 1}).to(dev);
  EXPECT_EQ(mm(x, y).item<int64_t>(), big * (1 << 20) + 5);
}

TEST_P(LinalgOnDevice, Float32AgreesWithFloat64At512) {
  manual_seed(7);
  const Tensor a = randn({512, 512}, ScalarType::Float64).to(device());
  const Tensor b = randn({512, 512}, ScalarType::Float64).to(device());
  const Tensor r64 = mm(a, b);
  const Tensor r32 = mm(a.to(ScalarType::Float32), b.to(ScalarType::Float32));
  EXPECT_EQ(r32.dtype(), ScalarType::Float32);
  // Entries are sums of 512 products of magnitude ~1, so about 22 in size.
  expect_close(r32, r64, 1e-4, 2e-3, "512x512 float32 vs float64");
  // And float64 against the naive loop, on a few rows.
  const Tensor rows = a.narrow(0, 100, 3);
  expect_close(r64.narrow(0, 100, 3), reference_matmul(rows, b), 1e-12, 1e-11, "512x512 float64 rows");
}

// ---- autograd -----------------------------------------------------------------------

TEST(Linalg, GradFnNames) {
  const Tensor a = leaf({3, 4}), b = leaf({4, 5}), v = leaf({4}), w = leaf({3});
  EXPECT_EQ(mm(a, b).grad_fn()->name(), "MmBackward0");
  EXPECT_EQ(bmm(leaf({2, 3, 4}), leaf({2, 4, 5})).grad_fn()->name(), "BmmBackward0");
  EXPECT_EQ(addmm(leaf({5}), a, b).grad_fn()->name(), "AddmmBackward0");
  EXPECT_EQ(dot(v, v).grad_fn()->name(), "DotBackward0");
  EXPECT_EQ(mv(a, v).grad_fn()->name(), "MvBackward0");
  EXPECT_EQ(outer(v, w).grad_fn()->name(), "MulBackward0");
  EXPECT_EQ(matmul(v, v).grad_fn()->name(), "DotBackward0");
  EXPECT_EQ(matmul(a, v).grad_fn()->name(), "MvBackward0");
  EXPECT_EQ(matmul(w, a).grad_fn()->name(), "SqueezeBackward1");
  EXPECT_EQ(matmul(a, b).grad_fn()->name(), "MmBackward0");
  // >= 3-D @ 2-D folds the batch into the rows of one mm.
  const Tensor x = leaf({2, 3, 4});
  const Tensor y = matmul(x, b);
  EXPECT_EQ(y.grad_fn()->name(), "ViewBackward0");
  EXPECT_EQ(y.grad_fn()->next_edge(0).fn->name(), "MmBackward0");
  // Batched on both sides: one bmm.
  const Tensor z = matmul(x, leaf({2, 4, 5}));
  EXPECT_EQ(z.grad_fn()->next_edge(0).fn->name(), "BmmBackward0");
  // A batch that cannot be folded without a copy, where only it needs grad: bmm.
  const Tensor p = leaf({3, 2, 4}).transpose(0, 1);
  const Tensor q = matmul(p, b.detach());
  EXPECT_EQ(q.grad_fn()->next_edge(0).fn->name(), "BmmBackward0");
  // ... but when the matrix needs grad it folds (a copy, then one mm).
  EXPECT_EQ(matmul(p, b).grad_fn()->next_edge(0).fn->name(), "MmBackward0");
  // No graph for inputs that do not need grad.
  EXPECT_FALSE(mm(a.detach(), b.detach()).requires_grad());
}


TEST_P(LinalgOnDevice, GradcheckMm) {
  const Device d = device();
  manual_seed(8);
  auto f = [](const TensorList& in) { return mm(in[0], in[1]); };
  EXPECT_TRUE(gradcheck(f, {leaf({3, 4}, -1, 1, d), leaf({4, 5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {noncontiguous_leaf({3, 4}, -1, 1, d), noncontiguous_leaf({4, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({1, 4}, -1, 1, d), leaf({4, 1}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({0, 4}, -1, 1, d), leaf({4, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({3, 0}, -1, 1, d), leaf({0, 2}, -1, 1, d)}));
  // Stepped and narrowed views flow through the products and their backward.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mm(in[0].slice(1, 0, std::nullopt, 2), in[1].narrow(0, 1, 3)); },
                        {leaf({3, 6}, -1, 1, d), leaf({5, 2}, -1, 1, d)}));
  // Only one input needs grad.
  Tensor w = leaf({4, 2}, -1, 1, d).detach();
  EXPECT_TRUE(gradcheck([w](const TensorList& in) { return mm(in[0], w); }, {leaf({3, 4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([w](const TensorList& in) { return mm(w.t(), in[0]); }, {leaf({4, 3}, -1, 1, d)}));
}

TEST_P(LinalgOnDevice, GradcheckBmm) {
  const Device d = device();
  manual_seed(9);
  auto f = [](const TensorList& in) { return bmm(in[0], in[1]); };
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3, 4}, -1, 1, d), leaf({2, 4, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return bmm(in[0].transpose(1, 2), in[1].permute({2, 0, 1})); },
                        {leaf({2, 4, 3}, -1, 1, d), leaf({4, 2, 2}, -1, 1, d)}));
  // A broadcast (stride-0) batch: its gradient is summed over the batch.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return bmm(in[0], in[1].expand({3, 4, 2})); },
                        {leaf({3, 2, 4}, -1, 1, d), leaf({1, 4, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({0, 3, 4}, -1, 1, d), leaf({0, 4, 2}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck(f, {leaf({2, 3, 0}, -1, 1, d), leaf({2, 0, 2}, -1, 1, d)}));
}

TEST(Linalg, GradcheckAddmm) {
  manual_seed(10);
  for (std::vector<int64_t> bias_shape : std::vector<std::vector<int64_t>>{{3, 2}, {2}, {1, 2}, {3, 1}, {1}, {}}) {
    for (auto [beta_, alpha_] : std::vector<std::pair<double, double>>{{1, 1}, {2, 0.5}, {0, -1.5}}) {
      const double beta = beta_, alpha = alpha_;  // clang 14 cannot capture structured bindings
      auto f = [beta, alpha](const TensorList& in) { return addmm(in[0], in[1], in[2], beta, alpha); };
      EXPECT_TRUE(gradcheck(f, {leaf(bias_shape), leaf({3, 4}), leaf({4, 2})}))
          << IntArrayRef(bias_shape) << " beta " << beta << " alpha " << alpha;
    }
  }
  // nn.Linear's use: x @ W^T + b with W stored [out, in].
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return addmm(in[0], in[1], in[2].t()); },
                        {leaf({3}), leaf({5, 4}), leaf({3, 4})}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return addmm(in[0], in[1], in[2]); },
                        {leaf({2}), leaf({0, 4}), leaf({4, 2})}));
  // addmm's values: beta * bias + alpha * a @ b.
  const Tensor bias = leaf({2}), a = leaf({3, 4}), b = leaf({4, 2});
  expect_close(addmm(bias, a, b, 2, 0.5), bias.detach() * 2 + reference_matmul(a, b) * 0.5, 1e-12, 1e-12, "addmm");
}

TEST_P(LinalgOnDevice, GradcheckVectorProducts) {
  const Device d = device();
  manual_seed(11);
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return dot(in[0], in[1]); }, {leaf({5}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return dot(in[0].slice(0, 0, std::nullopt, 2), in[1]); },
                        {leaf({9}, -1, 1, d), leaf({5}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return dot(in[0], in[1]); }, {leaf({0}, -1, 1, d), leaf({0}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mv(in[0], in[1]); }, {leaf({3, 4}, -1, 1, d), leaf({4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mv(in[0], in[1]); }, {noncontiguous_leaf({3, 4}, -1, 1, d), leaf({4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return mv(in[0], in[1]); }, {leaf({0, 4}, -1, 1, d), leaf({4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return outer(in[0], in[1]); }, {leaf({3}, -1, 1, d), leaf({4}, -1, 1, d)}));
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return outer(in[0], in[1]); }, {leaf({0}, -1, 1, d), leaf({4}, -1, 1, d)}));
}

TEST_P(LinalgOnDevice, GradcheckMatmulEveryRankCombination) {
  const Device d = device();
  manual_seed(12);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{4}, {4}},           {{3, 4}, {4}},       {{4}, {4, 2}},          {{3, 4}, {4, 2}},
      {{2, 3, 4}, {4}},     {{4}, {2, 4, 2}},    {{2, 3, 4}, {4, 2}},    {{3, 4}, {2, 4, 2}},
      {{2, 3, 4}, {2, 4, 2}}, {{2, 1, 3, 4}, {3, 4, 2}}, {{1, 3, 4}, {2, 4, 2}}, {{2, 0, 4}, {4, 2}},
  };
  auto f = [](const TensorList& in) { return matmul(in[0], in[1]); };
  for (const auto& [sa, sb] : cases) {
    EXPECT_TRUE(gradcheck(f, {leaf(sa, -1, 1, d), leaf(sb, -1, 1, d)})) << IntArrayRef(sa) << " @ " << IntArrayRef(sb);
    // Only one side needs grad (changes how matmul folds).
    const Tensor fixed = leaf(sb, -1, 1, d).detach();
    EXPECT_TRUE(gradcheck([fixed](const TensorList& in) { return matmul(in[0], fixed); }, {leaf(sa, -1, 1, d)}))
        << IntArrayRef(sa) << " @ fixed " << IntArrayRef(sb);
  }
  // A non-contiguous batch.
  EXPECT_TRUE(gradcheck([](const TensorList& in) { return matmul(in[0].transpose(0, 1), in[1]); },
                        {leaf({3, 2, 4}, -1, 1, d), leaf({4, 2}, -1, 1, d)}));
}

TEST(Linalg, DoubleBackwardOfMm) {
  manual_seed(13);
  // d/dx sum((x @ w)^2) = 2 (x @ w) @ w^T, itself differentiated in x and w.
  auto grad_of = [](size_t which) {
    return [which](const TensorList& in) {
      EnableGradGuard grad_mode;  // gradcheck evaluates fn under no_grad
      const Tensor y = mm(in[0], in[1]);
      const TensorList g = autograd::grad({(y * y).sum()}, {in[0], in[1]}, {}, std::nullopt, /*create_graph=*/true);
      return g[which];
    };
  };
  const Tensor x = leaf({3, 4}), w = leaf({4, 2});
  EXPECT_TRUE(gradcheck(grad_of(0), {x, w}));
  EXPECT_TRUE(gradcheck(grad_of(1), {x, w}));
  // The gradient is recorded and has the closed form.
  const Tensor y = mm(x, w);
  const TensorList g = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, true);
  EXPECT_TRUE(g[0].requires_grad());
  EXPECT_EQ(g[0].grad_fn()->name(), "MmBackward0");
  expect_close(g[0], reference_matmul(reference_matmul(x, w) * 2, w.detach().t()), 1e-12, 1e-12, "grad of mm");
  // Hessian-vector product: d/dx <g, ones> = 2 * ones @ (w w^T)^T ... checked against the formula.
  g[0].sum().backward();
  const Tensor wwt = reference_matmul(w, w.detach().t());
  expect_close(x.grad(), reference_matmul(ones({3, 4}, ScalarType::Float64), wwt) * 2, 1e-12, 1e-12, "d2/dx2");
}

// ---- errors ------------------------------------------------------------------------------

TEST(Linalg, ShapeErrorsNameBothShapes) {
  const Tensor a = ones({64, 784}), b = ones({128, 10});
  EXPECT_THROW_WITH(mm(a, b), ValueError, "mm: shapes [64, 784] and [128, 10] cannot be multiplied (784 != 128)");
  EXPECT_THROW_WITH(a.mm(b), ValueError, "(784 != 128)");
  EXPECT_THROW_WITH(mm(ones({3}), ones({3, 2})), ValueError, "mm: self must be a matrix, but got a 1-D tensor of shape [3]");
  EXPECT_THROW_WITH(mm(ones({2, 3}), ones({2, 3, 2})), ValueError, "mm: mat2 must be a matrix");
  EXPECT_THROW_WITH(bmm(ones({2, 3}), ones({2, 3, 4})), ValueError, "bmm: batch1 must be a 3D tensor, but got shape [2, 3]");
  EXPECT_THROW_WITH(bmm(ones({2, 3, 4}), ones({4, 5})), ValueError, "bmm: batch2 must be a 3D tensor, but got shape [4, 5]");
  EXPECT_THROW_WITH(bmm(ones({2, 3, 4}), ones({3, 4, 5})), ValueError,
                    "batch1 and batch2 must have same number of batches, got 2 and 3 (shapes [2, 3, 4] and [3, 4, 5])");
  EXPECT_THROW_WITH(bmm(ones({2, 3, 4}), ones({2, 5, 6})), ValueError,
                    "bmm: shapes [2, 3, 4] and [2, 5, 6] cannot be multiplied (4 != 5)");
  EXPECT_THROW_WITH(addmm(ones({2}), ones({3, 4}), ones({5, 2})), ValueError,
                    "addmm: shapes [3, 4] and [5, 2] cannot be multiplied (4 != 5)");
  EXPECT_THROW_WITH(addmm(ones({3}), ones({3, 4}), ones({4, 2})), ValueError,
                    "addmm: bias of shape [3] cannot be broadcast to the result shape [3, 2] of mat1 [3, 4] @ mat2 [4, 2]");
  EXPECT_THROW_WITH(addmm(ones({2, 3, 2}), ones({3, 4}), ones({4, 2})), ValueError, "bias of shape [2, 3, 2]");
  EXPECT_THROW_WITH(addmm(ones({2}), ones({4}), ones({4, 2})), ValueError, "addmm: mat1 must be a matrix");
  EXPECT_THROW_WITH(dot(ones({3}), ones({4})), ValueError, "dot: shapes [3] and [4] cannot be multiplied (3 != 4)");
  EXPECT_THROW_WITH(dot(ones({3, 1}), ones({3})), ValueError, "dot: 1D tensors expected, but got 2D and 1D tensors (shapes [3, 1] and [3])");
  EXPECT_THROW_WITH(mv(ones({2, 3}), ones({4})), ValueError, "mv: shapes [2, 3] and [4] cannot be multiplied (3 != 4)");
  EXPECT_THROW_WITH(mv(ones({2, 3}), ones({3, 1})), ValueError, "mv: vec must be a vector, but got a 2-D tensor of shape [3, 1]");
  EXPECT_THROW_WITH(mv(ones({3}), ones({3})), ValueError, "mv: self must be a matrix");
  EXPECT_THROW_WITH(outer(ones({2, 1}), ones({3})), ValueError, "outer: expected 1D tensors, but got shapes [2, 1] and [3]");
  EXPECT_THROW_WITH(matmul(ones({}), ones({3})), ValueError,
                    "both arguments to matmul need to be at least 1D, but they are 0D and 1D");
  EXPECT_THROW_WITH(matmul(ones({3}), ones({4})), ValueError, "matmul: shapes [3] and [4] cannot be multiplied (3 != 4)");
  EXPECT_THROW_WITH(matmul(ones({2, 5, 3}), ones({4, 2})), ValueError,
                    "matmul: shapes [2, 5, 3] and [4, 2] cannot be multiplied (3 != 4)");
  EXPECT_THROW_WITH(matmul(ones({3}), ones({2, 4, 2})), ValueError,
                    "matmul: shapes [3] and [2, 4, 2] cannot be multiplied (3 != 4)");
  EXPECT_THROW_WITH(matmul(ones({2, 3, 4}), ones({3, 4, 5})), ValueError,
                    "matmul: batch dimensions [2] and [3] cannot be broadcast together (shapes [2, 3, 4] and [3, 4, 5])");
  EXPECT_THROW_WITH(matmul(ones({2, 2, 3, 4}), ones({3, 4, 5})), ValueError, "batch dimensions [2, 2] and [3]");
}

TEST(Linalg, DtypeErrors) {
  const Tensor f = ones({2, 2}), d = ones({2, 2}, ScalarType::Float64);
  EXPECT_THROW_WITH(mm(f, d), TypeError,
                    "mm: expected both operands to have the same dtype, but got float32 and float64 (shapes [2, 2] and [2, 2])");
  EXPECT_THROW_WITH(bmm(f.unsqueeze(0), d.unsqueeze(0)), TypeError, "bmm: expected both operands to have the same dtype");
  EXPECT_THROW_WITH(matmul(f, d), TypeError, "matmul: expected both operands to have the same dtype, but got float32 and float64");
  EXPECT_THROW_WITH(dot(ones({2}), ones({2}, ScalarType::Int64)), TypeError, "but got float32 and int64");
  EXPECT_THROW_WITH(mv(f, ones({2}, ScalarType::Float64)), TypeError, "mv: expected both operands to have the same dtype");
  EXPECT_THROW_WITH(addmm(ones({2}, ScalarType::Float64), f, f), TypeError,
                    "addmm: expected bias to have the dtype of mat1 and mat2 (float32), but got float64");
  EXPECT_THROW_WITH(addmm(ones({2}, ScalarType::Int64), ones({2, 2}, ScalarType::Int64), ones({2, 2}, ScalarType::Int64), 0.5),
                    TypeError, "addmm: for integer tensors, beta and alpha must be integers, but got beta=0.5 and alpha=1");
  const Tensor b = ones({2, 2}, ScalarType::Bool);
  EXPECT_THROW_WITH(mm(b, b), TypeError, "mm: not implemented for bool tensors (shapes [2, 2] and [2, 2])");
  EXPECT_THROW_WITH(matmul(b, b), TypeError, "matmul: not implemented for bool tensors");
  EXPECT_THROW_WITH(mm(Tensor(), f), ValueError, "mm: undefined tensor argument");
}

TEST(Linalg, StridedOperandsAreReadInPlace) {
  // BLAS reads row- and column-major matrices (any leading dimension) and
  // broadcast batches without copying: the product allocates its result only.
  manual_seed(14);
  const Tensor a = randn({6, 5}), b = randn({4, 5}), c = randn({3, 8, 5}), v = randn({10});
  auto allocations = [](const std::function<Tensor()>& f) {
    const int64_t before = memory_stats().num_allocs;
    const Tensor r = f();
    return memory_stats().num_allocs - before;
  };
  EXPECT_EQ(allocations([&] { return mm(a, b.t()); }), 1);
  EXPECT_EQ(allocations([&] { return mm(b, a.t()); }), 1);
  EXPECT_EQ(allocations([&] { return mm(a.t(), a); }), 1);
  EXPECT_EQ(allocations([&] { return mm(a.narrow(1, 1, 3).t(), a.narrow(1, 0, 4)); }), 1);
  EXPECT_EQ(allocations([&] { return bmm(c.transpose(1, 2), c); }), 1);
  EXPECT_EQ(allocations([&] { return bmm(c, b.t().unsqueeze(0).expand({3, 5, 4})); }), 1);
  EXPECT_EQ(allocations([&] { return matmul(c, b.t()); }), 1);
  EXPECT_EQ(allocations([&] { return mv(a, v.slice(0, 0, std::nullopt, 2)); }), 1);
  EXPECT_EQ(allocations([&] { return dot(v.slice(0, 0, std::nullopt, 2), a.select(0, 1)); }), 1);
  // A matrix with unit stride in neither dim is copied once.
  const Tensor stepped = randn({6, 10}).slice(1, 0, std::nullopt, 2);
  EXPECT_EQ(allocations([&] { return mm(stepped, b.t()); }), 2);
}
