// torch.linalg's factorizations, solves and the functions built on them
// (ops/decomp.h): the identities each result satisfies (float32 and float64,
// single, batched, transposed and expanded inputs), zero-size inputs, the
// errors, and float64 gradients against finite differences, on each device.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/decomp.h"
#include "test_util.h"
#include "wick.h"

using namespace wick;
using wick::testing::leaf;
namespace la = wick::linalg;

namespace {

constexpr ScalarType kF32 = ScalarType::Float32;
constexpr ScalarType kF64 = ScalarType::Float64;
constexpr double kInf = std::numeric_limits<double>::infinity();
const std::vector<ScalarType> kDtypes = {kF32, kF64};

using Fn = std::function<Tensor(const TensorList&)>;

class LinalgDecompOnDevice : public wick::testing::OnEachDevice {};
WICK_ON_EACH_DEVICE(LinalgDecompOnDevice);

const char* name_of(ScalarType t) { return t == kF32 ? "float32" : "float64"; }

// The tolerance of an identity: |got - want| <= tol * (1 + |want|).
double tol_for(ScalarType t) { return t == kF32 ? 2e-4 : 1e-10; }

Tensor mT(const Tensor& x) { return x.transpose(-2, -1); }

DimVector shape_of(IntArrayRef batch, int64_t r, int64_t c) {
  DimVector s(batch);
  s.push_back(r);
  s.push_back(c);
  return s;
}

Tensor identity(int64_t n, ScalarType dt, Device d) { return eye(n, n, TensorOptions(dt).device(d)); }
Tensor identity_like(int64_t n, const Tensor& like) { return identity(n, like.dtype(), like.device()); }

// Standard normal values drawn in float64 on the CPU (the same on every device), as dtype on the device.
Tensor normal(IntArrayRef sizes, ScalarType dt, Device d) { return randn(sizes, kF64).to(d, dt); }

// Random [*batch, r, c] matrices.
Tensor rect(IntArrayRef batch, int64_t r, int64_t c, ScalarType dt, Device d) {
  return normal(shape_of(batch, r, c), dt, d);
}

// X / 2 + n I: well conditioned (the smallest singular value near n / 2 at worst).
Tensor general(IntArrayRef batch, int64_t n, ScalarType dt, Device d) {
  return rect(batch, n, n, dt, d) * 0.5 + identity(n, dt, d) * static_cast<double>(n);
}

// X X^T + n I: symmetric positive-definite.
Tensor spd(IntArrayRef batch, int64_t n, ScalarType dt, Device d) {
  const Tensor x = rect(batch, n, n, dt, d);
  return matmul(x, mT(x)) + identity(n, dt, d) * static_cast<double>(n);
}

// (X + X^T) / 2: symmetric, indefinite.
Tensor symmetric(IntArrayRef batch, int64_t n, ScalarType dt, Device d) {
  const Tensor x = rect(batch, n, n, dt, d);
  return (x + mT(x)) * 0.5;
}

// The inputs an identity runs on, made by make(batch): one matrix, a [2, 3]
// batch, a transposed (non-contiguous) matrix, and a batch of 3 expanded from
// one matrix (batch stride 0).
std::vector<std::pair<std::string, Tensor>> layouts(const std::function<Tensor(IntArrayRef)>& make) {
  const Tensor base = make({1});
  return {{"single", make({})},
          {"batched", make({2, 3})},
          {"transposed", mT(make({}))},
          {"expanded", base.expand(shape_of({3}, base.size(-2), base.size(-1)))}};
}

// Checks got against want elementwise, as float64 on the CPU: |got - want| <= tol * (1 + |want|).
void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const std::vector<double> g = got.detach().to(kCPU, kF64).contiguous().to_vector<double>();
  const std::vector<double> w = want.detach().to(kCPU, kF64).contiguous().to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i)
    if (!(std::fabs(g[i] - w[i]) <= tol * (1 + std::fabs(w[i])))) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
      ++bad;
    }
}

// Checks that the last dim of t is sorted (ascending or descending), within tol.
void expect_sorted(const Tensor& t, bool ascending, double tol, const std::string& what) {
  const Tensor diff = t.narrow(-1, 1, t.size(-1) - 1) - t.narrow(-1, 0, t.size(-1) - 1);
  const std::vector<double> v = (ascending ? diff : -diff).to(kCPU, kF64).contiguous().to_vector<double>();
  for (double x : v) EXPECT_GE(x, -tol) << what;
}

// Checks that M is (a batch of) identity matrices.
void expect_identity(const Tensor& M, double tol, const std::string& what) {
  expect_close(M, identity(M.size(-1), kF64, kCPU).expand(M.sizes()), tol, what);
}

std::vector<int64_t> ints(const Tensor& t) { return t.to(kCPU, ScalarType::Int64).contiguous().to_vector<int64_t>(); }

// A float64 leaf of the given values on d that requires grad.
Tensor leaf_of(const std::vector<double>& values, IntArrayRef sizes, Device d) {
  const Tensor t = from_vector<double>(values, sizes).to(d);
  t.requires_grad_();
  return t;
}

// gradcheck, a mismatch reported as this case's failure (the other cases still run).
void check_grad(const std::string& what, const Fn& f, const TensorList& inputs, const GradcheckOptions& o = {}) {
  try {
    EXPECT_TRUE(gradcheck(f, inputs, o)) << what;
  } catch (const Error& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

// The gradient of <f(x...), f(x...)> with respect to every input, made with
// create_graph and flattened into one vector, so that gradcheck checks the
// double backward. gradcheck's finite differences call it without grad mode.
Fn gradient_of(const Fn& f) {
  return [f](const TensorList& in) {
    EnableGradGuard enable;
    TensorList x;
    for (const Tensor& t : in) x.push_back(t.requires_grad() ? t : t.detach().requires_grad_(true));
    const Tensor y = f(x);
    const TensorList g = autograd::grad({sum(mul(y, y))}, x, {}, std::nullopt, /*create_graph=*/true);
    TensorList flat;
    for (const Tensor& t : g) flat.push_back(t.flatten());
    return cat(flat);
  };
}

// (x + x^T) / 2 + shift I, for gradients of functions of symmetric matrices: a
// perturbation of x stays symmetric.
Tensor sym(const Tensor& x, double shift = 0) {
  const Tensor s = (x + mT(x)) * 0.5;
  return shift == 0 ? s : s + identity_like(x.size(-1), x) * shift;
}

Tensor shifted(const Tensor& x, double shift) { return x + identity_like(x.size(-1), x) * shift; }

Tensor flat_cat(const TensorList& ts) {
  TensorList f;
  for (const Tensor& t : ts) f.push_back(t.flatten());
  return cat(f);
}

}  // namespace

// ---- identities --------------------------------------------------------------------------------

TEST_P(LinalgDecompOnDevice, LuReconstructs) {
  // P L U = A with L unit lower triangular and U upper triangular; lu_factor + lu_unpack give lu's factors.
  manual_seed(0);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    auto cases = layouts([&](IntArrayRef b) { return general(b, 4, dt, d); });
    cases.push_back({"tall", rect({}, 5, 3, dt, d)});
    cases.push_back({"wide", rect({2}, 3, 5, dt, d)});
    for (const auto& [what, A] : cases) {
      SCOPED_TRACE(what);
      const la::Lu f = la::lu(A);
      const int64_t m = A.size(-2), k = std::min(A.size(-2), A.size(-1));
      EXPECT_EQ(f.P.sizes(), IntArrayRef(shape_of(DimVector(A.sizes().begin(), A.sizes().end() - 2), m, m)));
      expect_close(matmul(f.P, matmul(f.L, f.U)), A, tol, "P L U");
      expect_close(triu(f.L, 1), zeros_like(f.L), 0, "L above the diagonal");
      expect_close(diagonal(f.L, 0, -2, -1), ones({k}, TensorOptions(dt)).expand(diagonal(f.L, 0, -2, -1).sizes()), 0,
                   "L's diagonal");
      expect_close(tril(f.U, -1), zeros_like(f.U), 0, "U below the diagonal");
      const la::LuFactorEx fe = la::lu_factor(A);
      EXPECT_EQ(fe.pivots.dtype(), ScalarType::Int32);
      const la::Lu u = la::lu_unpack(fe.LU, fe.pivots);
      expect_close(u.P, f.P, 0, "lu_unpack's P");
      expect_close(u.L, f.L, 0, "lu_unpack's L");
      expect_close(u.U, f.U, 0, "lu_unpack's U");
      EXPECT_EQ(ints(la::lu_factor_ex(A).info), std::vector<int64_t>(ints(fe.info).size(), 0));
    }
  }
}

TEST_P(LinalgDecompOnDevice, CholeskyReconstructs) {
  // L L^T = A (lower) and U^T U = A (upper), each factor triangular.
  manual_seed(1);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    for (const auto& [what, A] : layouts([&](IntArrayRef b) { return spd(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const Tensor L = la::cholesky(A);
      expect_close(matmul(L, mT(L)), A, tol, "L L^T");
      expect_close(triu(L, 1), zeros_like(L), 0, "L above the diagonal");
      const Tensor U = la::cholesky(A, /*upper=*/true);
      expect_close(matmul(mT(U), U), A, tol, "U^T U");
      expect_close(tril(U, -1), zeros_like(U), 0, "U below the diagonal");
      expect_close(U, mT(L), tol, "U = L^T");
      const la::WithInfo ex = la::cholesky_ex(A);
      for (int64_t i : ints(ex.info)) EXPECT_EQ(i, 0);
    }
  }
}

TEST_P(LinalgDecompOnDevice, QrReconstructs) {
  // Q R = A, Q^T Q = I and R upper triangular, in every mode, for square, tall and wide A.
  manual_seed(2);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    auto cases = layouts([&](IntArrayRef b) { return rect(b, 4, 4, dt, d); });
    cases.push_back({"tall", rect({}, 5, 3, dt, d)});
    cases.push_back({"tall batched", rect({2, 3}, 5, 3, dt, d)});
    cases.push_back({"tall transposed", mT(rect({}, 3, 5, dt, d))});
    cases.push_back({"wide", rect({}, 3, 5, dt, d)});
    cases.push_back({"wide batched", rect({2}, 3, 5, dt, d)});
    for (const auto& [what, A] : cases) {
      SCOPED_TRACE(what);
      const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
      for (const char* mode : {"reduced", "complete"}) {
        SCOPED_TRACE(mode);
        const la::Qr f = la::qr(A, mode);
        const int64_t cols = std::string(mode) == "complete" ? m : k;
        EXPECT_EQ(f.Q.size(-1), cols);
        EXPECT_EQ(f.R.size(-2), cols);
        expect_close(matmul(f.Q, f.R), A, tol, "Q R");
        expect_identity(matmul(mT(f.Q), f.Q), tol, "Q^T Q");
        expect_close(tril(f.R, -1), zeros_like(f.R), 0, "R below the diagonal");
      }
      const la::Qr r = la::qr(A, "r");
      EXPECT_EQ(r.Q.numel(), 0);
      expect_close(r.R, la::qr(A).R, tol, "mode 'r' gives the reduced R");
    }
  }
}

TEST_P(LinalgDecompOnDevice, EighReconstructs) {
  // V diag(w) V^T = A with V orthogonal and w ascending; eigvalsh gives w; only the UPLO triangle is read.
  manual_seed(3);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    for (const auto& [what, A] : layouts([&](IntArrayRef b) { return symmetric(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const la::Eigh e = la::eigh(A);
      const Tensor& V = e.eigenvectors;
      expect_close(matmul(V * e.eigenvalues.unsqueeze(-2), mT(V)), A, tol, "V diag(w) V^T");
      expect_identity(matmul(mT(V), V), tol, "V^T V");
      expect_sorted(e.eigenvalues, true, tol, "eigenvalues ascending");
      expect_close(la::eigvalsh(A), e.eigenvalues, tol, "eigvalsh");
      // Garbage in the triangle that is not read changes nothing.
      const Tensor garbage = normal(A.sizes(), dt, d) * 10.0;
      expect_close(la::eigvalsh(triu(A) + tril(garbage, -1), "U"), e.eigenvalues, tol, "UPLO U");
      expect_close(la::eigvalsh(tril(A) + triu(garbage, 1), "L"), e.eigenvalues, tol, "UPLO L");
    }
  }
}

TEST_P(LinalgDecompOnDevice, SvdReconstructs) {
  // U diag(S) Vh = A with orthonormal U and Vh and S descending, full and reduced; svdvals gives S.
  manual_seed(4);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    auto cases = layouts([&](IntArrayRef b) { return rect(b, 4, 4, dt, d); });
    cases.push_back({"tall", rect({}, 5, 3, dt, d)});
    cases.push_back({"tall batched", rect({2, 3}, 5, 3, dt, d)});
    cases.push_back({"tall transposed", mT(rect({}, 3, 5, dt, d))});
    cases.push_back({"wide", rect({}, 3, 5, dt, d)});
    cases.push_back({"wide batched", rect({2}, 3, 5, dt, d)});
    for (const auto& [what, A] : cases) {
      SCOPED_TRACE(what);
      const int64_t m = A.size(-2), n = A.size(-1), k = std::min(m, n);
      for (bool full : {true, false}) {
        SCOPED_TRACE(full ? "full" : "reduced");
        const la::Svd s = la::svd(A, full);
        ASSERT_EQ(s.U.size(-1), full ? m : k);
        ASSERT_EQ(s.Vh.size(-2), full ? n : k);
        ASSERT_EQ(s.S.size(-1), k);
        const Tensor Uk = s.U.narrow(-1, 0, k), Vhk = s.Vh.narrow(-2, 0, k);
        expect_close(matmul(Uk * s.S.unsqueeze(-2), Vhk), A, tol, "U diag(S) Vh");
        expect_identity(matmul(mT(s.U), s.U), tol, "U^T U");
        expect_identity(matmul(s.Vh, mT(s.Vh)), tol, "Vh Vh^T");
        expect_sorted(s.S, false, tol, "S descending");
        expect_close(clamp(s.S, Scalar(0.0), std::nullopt), s.S, 0, "S >= 0");
        expect_close(la::svdvals(A), s.S, tol, "svdvals");
      }
    }
  }
}

TEST_P(LinalgDecompOnDevice, SolvesSatisfyTheirEquations) {
  // A X = B for solve (matrix and vector B, broadcast batches, left=false), lu_solve (adjoint, left),
  // solve_triangular (upper/lower, left/right, unitriangular), cholesky_solve and ldl_solve.
  manual_seed(5);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    for (const auto& [what, A] : layouts([&](IntArrayRef b) { return general(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const DimVector batch(A.sizes().begin(), A.sizes().end() - 2);
      const Tensor B = rect({}, 4, 2, dt, d);      // broadcast against A's batch
      const Tensor Bb = rect(batch, 4, 2, dt, d);  // A's batch
      const Tensor Br = rect({}, 2, 4, dt, d);     // for X A = B
      expect_close(matmul(A, la::solve(A, B)), B.expand(shape_of(batch, 4, 2)), tol, "solve, broadcast B");
      expect_close(matmul(A, la::solve(A, Bb)), Bb, tol, "solve");
      DimVector vb(batch);
      vb.push_back(4);
      const Tensor v = normal(vb, dt, d);
      expect_close(matmul(A, la::solve(A, v).unsqueeze(-1)).squeeze(-1), v, tol, "solve, vector B");
      expect_close(matmul(la::solve(A, Br, /*left=*/false), A), Br.expand(shape_of(batch, 2, 4)), tol,
                   "solve, left=false");
      const la::WithInfo ex = la::solve_ex(A, Bb);
      expect_close(ex.result, la::solve(A, Bb), tol, "solve_ex");
      for (int64_t i : ints(ex.info)) EXPECT_EQ(i, 0);

      const la::LuFactorEx f = la::lu_factor(A);
      expect_close(matmul(A, la::lu_solve(f.LU, f.pivots, Bb)), Bb, tol, "lu_solve");
      expect_close(matmul(mT(A), la::lu_solve(f.LU, f.pivots, Bb, true, /*adjoint=*/true)), Bb, tol,
                   "lu_solve adjoint");
      const Tensor Brb = rect(batch, 2, 4, dt, d);
      expect_close(matmul(la::lu_solve(f.LU, f.pivots, Brb, /*left=*/false), A), Brb, tol, "lu_solve left=false");
      expect_close(matmul(la::lu_solve(f.LU, f.pivots, Brb, false, true), mT(A)), Brb, tol,
                   "lu_solve left=false adjoint");

      for (bool upper : {true, false}) {
        for (bool unit : {false, true}) {
          SCOPED_TRACE(std::string(upper ? "upper" : "lower") + (unit ? " unitriangular" : ""));
          // The triangle solved with, as the solver sees it (unit: ones on the diagonal, A's diagonal unread).
          Tensor T = upper ? triu(A, unit ? 1 : 0) : tril(A, unit ? -1 : 0);
          if (unit) T = T + identity(4, dt, d);
          expect_close(matmul(T, la::solve_triangular(A, Bb, upper, true, unit)), Bb, tol, "solve_triangular left");
          expect_close(matmul(la::solve_triangular(A, Brb, upper, false, unit), T), Brb, tol, "solve_triangular right");
        }
      }
    }
    for (const auto& [what, S] : layouts([&](IntArrayRef b) { return spd(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const DimVector batch(S.sizes().begin(), S.sizes().end() - 2);
      const Tensor B = rect(batch, 4, 3, dt, d);
      expect_close(matmul(S, la::cholesky_solve(B, la::cholesky(S))), B, tol, "cholesky_solve");
      expect_close(matmul(S, la::cholesky_solve(B, la::cholesky(S, true), true)), B, tol, "cholesky_solve upper");
      expect_close(la::cholesky_inverse(la::cholesky(S)), la::inv(S), tol, "cholesky_inverse");
    }
    for (const auto& [what, S] : layouts([&](IntArrayRef b) { return symmetric(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const DimVector batch(S.sizes().begin(), S.sizes().end() - 2);
      const Tensor B = rect(batch, 4, 3, dt, d);
      const la::LdlFactorEx f = la::ldl_factor(S);
      // The indefinite S's condition number loosens float32's check.
      expect_close(matmul(S, la::ldl_solve(f.LD, f.pivots, B)), B, dt == kF32 ? 2e-3 : 1e-9, "ldl_solve");
    }
  }
}

TEST_P(LinalgDecompOnDevice, LstsqSolvesTheNormalEquations) {
  // A tall full-rank A: A^T (A X - B) = 0 for every driver; rank, residuals and singular values where the
  // driver gives them; a vector B and a batch broadcast against B.
  manual_seed(6);
  const Device d = device();
  const std::vector<const char*> drivers =
      d.is_cuda() ? std::vector<const char*>{"gels"} : std::vector<const char*>{"gelsy", "gelsd", "gelss", "gels"};
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-3 : 1e-9;
    for (const auto& [what, A] :
         std::vector<std::pair<std::string, Tensor>>{{"single", rect({}, 6, 3, dt, d)},
                                                     {"batched", rect({2}, 6, 3, dt, d)},
                                                     {"transposed", mT(rect({}, 3, 6, dt, d))}}) {
      SCOPED_TRACE(what);
      const DimVector batch(A.sizes().begin(), A.sizes().end() - 2);
      const Tensor B = rect(batch, 6, 2, dt, d);
      const Tensor want = la::solve(matmul(mT(A), A), matmul(mT(A), B));
      for (const char* driver : drivers) {
        SCOPED_TRACE(driver);
        const la::Lstsq r = la::lstsq(A, B, std::nullopt, driver);
        expect_close(r.solution, want, tol, "solution");
        expect_close(matmul(mT(A), matmul(A, r.solution) - B), zeros_like(want), tol, "normal equations");
        const std::string drv = driver;
        if (drv != "gels") {
          for (int64_t rank : ints(r.rank)) EXPECT_EQ(rank, 3);
        }
        if (drv != "gelsy") {
          expect_close(r.residuals, sum(square(matmul(A, r.solution) - B), {-2}), tol, "residuals");
        } else {
          EXPECT_EQ(r.residuals.numel(), 0);
        }
        if (drv == "gelsd" || drv == "gelss") expect_close(r.singular_values, la::svdvals(A), tol, "singular values");
        // A vector right-hand side.
        DimVector vb(batch);
        vb.push_back(6);
        const Tensor b = normal(vb, dt, d);
        expect_close(la::lstsq(A, b, std::nullopt, driver).solution, la::pinv(A).matmul(b.unsqueeze(-1)).squeeze(-1),
                     tol, "vector B");
      }
    }
  }
}

TEST_P(LinalgDecompOnDevice, LstsqUnderdeterminedAndRankDeficient) {
  // CPU drivers: a wide A gets the minimum-norm solution pinv(A) B; a rank-deficient tall A gets its rank,
  // no residuals, and the minimum-norm solution (gelsy, gelsd, gelss). CUDA's gels refuses a wide A.
  manual_seed(14);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-3 : 1e-9;
    const Tensor wide = rect({2}, 3, 5, dt, d), B = rect({2}, 3, 2, dt, d);
    if (d.is_cuda()) {
      EXPECT_THROW_WITH(la::lstsq(wide, B), NotImplementedError, "overdetermined");
      EXPECT_THROW_WITH(la::lstsq(rect({}, 5, 3, dt, d), rect({}, 5, 2, dt, d), std::nullopt, "gelsd"), Error, "gels");
      continue;
    }
    // float32's round-off leaves the zero singular values near 1e-7 of the largest: rcond above that.
    const std::optional<double> rcond = dt == kF32 ? std::optional<double>(1e-4) : std::nullopt;
    const Tensor deficient = matmul(rect({}, 5, 2, dt, d), rect({}, 2, 3, dt, d)), Bd = rect({}, 5, 2, dt, d);
    for (const char* driver : {"gelsy", "gelsd", "gelss", "gels"}) {
      SCOPED_TRACE(driver);
      const la::Lstsq r = la::lstsq(wide, B, std::nullopt, driver);
      expect_close(r.solution, matmul(la::pinv(wide), B), tol, "wide: minimum-norm solution");
      EXPECT_EQ(r.residuals.numel(), 0);
      if (std::string(driver) == "gels") continue;
      EXPECT_EQ(ints(r.rank), (std::vector<int64_t>{3, 3}));
      const la::Lstsq q = la::lstsq(deficient, Bd, rcond, driver);
      EXPECT_EQ(ints(q.rank), std::vector<int64_t>{2});
      EXPECT_EQ(q.residuals.numel(), 0);
      expect_close(q.solution, matmul(la::pinv(deficient, std::nullopt, rcond), Bd), tol, "rank-deficient");
    }
  }
}

TEST_P(LinalgDecompOnDevice, TensorsolveGeqrfVecdotNorm) {
  // tensorsolve (with dims), geqrf's reflectors through householder_product give qr's Q, lu_unpack's
  // flags, vecdot, matrix_norm over other dims, and norm's dispatch to vector and matrix norms.
  manual_seed(15);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    const Tensor M = general({}, 6, dt, d), b = normal({2, 3}, dt, d);
    const Tensor x = la::tensorsolve(reshape(M, {2, 3, 6}), b);
    EXPECT_EQ(x.sizes(), IntArrayRef({6}));
    expect_close(matmul(M, x), reshape(b, {6}), tol, "tensorsolve");
    // dims: A's dims moved to the end first.
    expect_close(la::tensorsolve(reshape(M, {2, 3, 6}).permute({2, 0, 1}), b, std::vector<int64_t>{0}), x, tol,
                 "tensorsolve dims");

    const Tensor A = rect({2}, 5, 3, dt, d);
    const auto [a, tau] = la::geqrf(A);
    EXPECT_EQ(tau.sizes(), IntArrayRef({2, 3}));
    expect_close(la::householder_product(a, tau), la::qr(A).Q, tol, "householder_product(geqrf(A)) = Q");
    expect_close(triu(a.narrow(-2, 0, 3)), la::qr(A).R, tol, "geqrf's R");

    const la::LuFactorEx f = la::lu_factor(general({}, 4, dt, d));
    const la::Lu only_p = la::lu_unpack(f.LU, f.pivots, /*unpack_data=*/false);
    EXPECT_TRUE(only_p.P.defined());
    EXPECT_FALSE(only_p.L.defined());
    const la::Lu only_lu = la::lu_unpack(f.LU, f.pivots, true, /*unpack_pivots=*/false);
    EXPECT_FALSE(only_lu.P.defined());
    expect_close(only_lu.L, la::lu_unpack(f.LU, f.pivots).L, 0, "L");

    const Tensor u = rect({}, 3, 4, dt, d), v = rect({}, 3, 4, dt, d);
    expect_close(la::vecdot(u, v), sum(u * v, {-1}), tol, "vecdot");
    expect_close(la::vecdot(u, v, 0), sum(u * v, {0}), tol, "vecdot dim 0");

    const Tensor Z = normal({3, 2, 4}, dt, d);
    expect_close(la::matrix_norm(Z, 1.0, {0, 2}), amax(sum(abs(Z), {0}), {1}), tol, "matrix_norm 1, dims (0, 2)");
    expect_close(la::matrix_norm(Z, kInf, {2, 0}, true), amax(sum(abs(Z), {0}, true), {2}, true), tol,
                 "matrix_norm inf, dims (2, 0), keepdim");
    expect_close(la::matrix_norm(Z, std::string("nuc"), {0, 2}), sum(la::svdvals(Z.permute({1, 0, 2})), {-1}), tol,
                 "matrix_norm nuc, dims (0, 2)");
    expect_close(la::norm(Z), sqrt(sum(Z * Z)), tol, "norm: all elements");
    expect_close(la::norm(Z, la::MatrixOrd(1.0), std::vector<int64_t>{1}), sum(abs(Z), {1}), tol, "norm: one dim");
    expect_close(la::norm(Z, std::nullopt, std::vector<int64_t>{0, 1}), sqrt(sum(Z * Z, {0, 1})), tol,
                 "norm: two dims");
    const Tensor m = Z.select(1, 0);
    expect_close(la::norm(m, la::MatrixOrd(std::string("nuc"))), sum(la::svdvals(m)), tol, "norm: 2-D with ord");
  }
}

TEST_P(LinalgDecompOnDevice, InverseOfABatchOfNMatricesOfNByN) {
  // inv of [n, n, n] (n matrices of n x n): inv solves A X = I, and I [n, n] has the shape of A's batch
  // and rows, which solve's rule reads as a batch of vectors. det's and slogdet's gradients, cond and
  // matrix_power(A, -k) go through inv_ex.
  manual_seed(16);
  const Device d = device();
  const Tensor A = general({3}, 3, kF64, d);
  const Tensor Ai = la::inv(A);
  EXPECT_EQ(Ai.sizes(), A.sizes());
  expect_identity(matmul(Ai, A), 1e-10, "inv(A) A");
  EXPECT_EQ(la::inv_ex(A).result.sizes(), A.sizes());
  expect_close(la::matrix_power(A, -1), Ai, 1e-10, "matrix_power(A, -1)");
  const Tensor c = la::cond(A, la::MatrixOrd(1.0));
  for (int64_t i = 0; i < 3; ++i)
    expect_close(c.select(0, i), la::cond(A.select(0, i), la::MatrixOrd(1.0)), 1e-10, "cond of each");
  check_grad("det", [](const TensorList& x) { return la::det(x[0]); }, {leaf({3, 3, 3}, -1, 1, d)});
  check_grad("slogdet", [](const TensorList& x) { return la::slogdet(shifted(x[0], 2)).logabsdet; },
             {leaf({3, 3, 3}, -1, 1, d)});
}

TEST_P(LinalgDecompOnDevice, InverseAndTensorinv) {
  // inv(A) A = A inv(A) = I; inv_ex's info is zero; tensorinv inverts the reshaped matrix.
  manual_seed(7);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    for (const auto& [what, A] : layouts([&](IntArrayRef b) { return general(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const Tensor Ai = la::inv(A);
      expect_identity(matmul(Ai, A), tol, "inv(A) A");
      expect_identity(matmul(A, Ai), tol, "A inv(A)");
      const la::WithInfo ex = la::inv_ex(A);
      expect_close(ex.result, Ai, tol, "inv_ex");
      for (int64_t i : ints(ex.info)) EXPECT_EQ(i, 0);
    }
    const Tensor M = general({}, 6, dt, d);
    const Tensor T = la::tensorinv(reshape(M, {2, 3, 6}), 2);
    EXPECT_EQ(T.sizes(), IntArrayRef({6, 2, 3}));
    expect_close(matmul(reshape(T, {6, 6}), M), identity(6, dt, d), tol, "tensorinv, ind=2");
    const Tensor T1 = la::tensorinv(reshape(M, {6, 3, 2}), 1);
    EXPECT_EQ(T1.sizes(), IntArrayRef({3, 2, 6}));
    expect_close(matmul(M, reshape(T1, {6, 6})), identity(6, dt, d), tol, "tensorinv, ind=1");
  }
}

TEST_P(LinalgDecompOnDevice, Determinants) {
  // det(A) = the product of A's eigenvalues (A SPD); slogdet's sign * exp(logabsdet) = det; known values.
  manual_seed(8);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-3 : 1e-9;
    for (const auto& [what, S] : layouts([&](IntArrayRef b) { return spd(b, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const Tensor det = la::det(S);
      expect_close(det, prod(la::eigvalsh(S), -1), tol, "det = prod(eigenvalues)");
      expect_close(la::logdet(S), log(det), tol, "logdet");
    }
    for (const auto& [what, A] : layouts([&](IntArrayRef b) { return rect(b, 4, 4, dt, d); })) {
      SCOPED_TRACE(what);
      const la::SignLogAbsDet s = la::slogdet(A);
      expect_close(s.sign * exp(s.logabsdet), la::det(A), tol, "sign * exp(logabsdet)");
      expect_close(abs(s.sign), ones_like(s.sign), 0, "|sign| = 1");
    }
    const Tensor K = from_vector<double>({1, 2, 3, 4}, {2, 2}).to(d, dt);
    expect_close(la::det(K), scalar_tensor(-2.0, TensorOptions(kF64)), tol, "det [[1, 2], [3, 4]]");
    const la::SignLogAbsDet s = la::slogdet(K);
    expect_close(s.sign, scalar_tensor(-1.0, TensorOptions(kF64)), 0, "sign");
    expect_close(s.logabsdet, scalar_tensor(std::log(2.0), TensorOptions(kF64)), tol, "logabsdet");
    EXPECT_TRUE(std::isnan(la::logdet(K).item<double>()));
    const Tensor Z = from_vector<double>({1, 2, 2, 4}, {2, 2}).to(d, dt);
    EXPECT_EQ(la::det(Z).item<double>(), 0.0);
    EXPECT_EQ(la::slogdet(Z).sign.item<double>(), 0.0);
    EXPECT_EQ(la::slogdet(Z).logabsdet.item<double>(), -kInf);
  }
}

TEST_P(LinalgDecompOnDevice, PinvAndMatrixRank) {
  // The Moore-Penrose conditions for tall, wide and rank-deficient A; hermitian=true agrees; matrix_rank
  // of rank-deficient matrices, with and without hermitian and tolerances.
  manual_seed(9);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-3 : 1e-9;
    // A rank-2 5x4 matrix: a product of 5x2 and 2x4.
    const Tensor deficient = matmul(rect({}, 5, 2, dt, d), rect({}, 2, 4, dt, d));
    // float32's round-off leaves the zero singular values near 1e-7 of the largest: a tolerance above that.
    const std::optional<double> rtol = dt == kF32 ? std::optional<double>(1e-4) : std::nullopt;
    auto cases = layouts([&](IntArrayRef b) { return general(b, 4, dt, d); });
    cases.push_back({"tall", rect({}, 5, 3, dt, d)});
    cases.push_back({"wide batched", rect({2}, 3, 5, dt, d)});
    cases.push_back({"rank-deficient", deficient});
    for (const auto& [what, A] : cases) {
      SCOPED_TRACE(what);
      const Tensor P = la::pinv(A, std::nullopt, rtol);
      expect_close(matmul(P, matmul(A, P)), P, tol, "P A P = P");
      expect_close(matmul(A, matmul(P, A)), A, tol, "A P A = A");
      expect_close(mT(matmul(A, P)), matmul(A, P), tol, "A P symmetric");
      expect_close(mT(matmul(P, A)), matmul(P, A), tol, "P A symmetric");
    }
    const Tensor S = symmetric({2}, 4, dt, d);
    expect_close(la::pinv(S, std::nullopt, std::nullopt, /*hermitian=*/true), la::pinv(S), tol, "pinv hermitian");

    EXPECT_EQ(ints(la::matrix_rank(deficient, std::nullopt, rtol)), std::vector<int64_t>{2});
    EXPECT_EQ(ints(la::matrix_rank(rect({}, 5, 4, dt, d))), std::vector<int64_t>{4});
    EXPECT_EQ(ints(la::matrix_rank(zeros({3, 3}, TensorOptions(dt).device(d)))), std::vector<int64_t>{0});
    const Tensor batch = stack({deficient, rect({}, 5, 4, dt, d), deficient.narrow(-1, 0, 1).expand({5, 4})});
    EXPECT_EQ(ints(la::matrix_rank(batch, std::nullopt, rtol)), (std::vector<int64_t>{2, 4, 1}));
    const Tensor V = rect({}, 4, 2, dt, d);
    const Tensor psd = matmul(V, mT(V));
    EXPECT_EQ(ints(la::matrix_rank(psd, std::nullopt, rtol, /*hermitian=*/true)), std::vector<int64_t>{2});
    EXPECT_EQ(ints(la::matrix_rank(general({}, 4, dt, d), /*atol=*/1e6)), std::vector<int64_t>{0});
  }
}

TEST_P(LinalgDecompOnDevice, MatrixExp) {
  // exp of a diagonal matrix is the diagonal of exps; exp(A) exp(-A) = I at small and large norms (the
  // low-degree Taylor and the scaling-and-squaring paths); a nilpotent matrix; a batch of mixed norms.
  manual_seed(10);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-4 : 1e-11;
    for (double scale : {1e-3, 1.0, 8.0}) {
      const Tensor v = normal({2, 3, 4}, dt, d) * scale;
      expect_close(la::matrix_exp(diag_embed(v)), diag_embed(exp(v)), tol, "diagonal");
    }
    for (double norm : {1e-9, 1e-4, 0.03, 0.2, 0.8, 2.5, 6.0}) {
      SCOPED_TRACE(norm);
      const Tensor x = rect({}, 4, 4, dt, d);
      // x scaled to a 1-norm of `norm`.
      const Tensor A = x * (norm / max(sum(abs(x), {-2})).item<double>());
      expect_identity(matmul(la::matrix_exp(A), la::matrix_exp(-A)), dt == kF32 ? 1e-3 : 1e-10, "exp(A) exp(-A)");
      expect_close(la::matrix_exp(A * 2.0), matmul(la::matrix_exp(A), la::matrix_exp(A)), dt == kF32 ? 1e-3 : 1e-10,
                   "exp(2A) = exp(A)^2");
    }
    const Tensor N = from_vector<double>({0, 1, 0, 0}, {2, 2}).to(d, dt);
    expect_close(la::matrix_exp(N), from_vector<double>({1, 1, 0, 1}, {2, 2}), tol, "nilpotent");
    const Tensor one = normal({3, 1, 1}, dt, d);
    expect_close(la::matrix_exp(one), exp(one), tol, "1x1");
    const Tensor small = rect({}, 3, 3, dt, d) * 0.001, big = rect({}, 3, 3, dt, d) * 2.0;
    const Tensor both = la::matrix_exp(stack({small, big}));
    // The batch takes the big one's degree and scaling: the small one's value differs by round-off.
    expect_close(both.select(0, 0), la::matrix_exp(small), dt == kF32 ? 1e-5 : 1e-11, "batch: the small one");
    expect_close(both.select(0, 1), la::matrix_exp(big), dt == kF32 ? 1e-5 : 1e-11, "batch: the big one");
  }
}

TEST_P(LinalgDecompOnDevice, MatrixExpAccuracy) {
  // matrix_exp of a symmetric A against V diag(exp(w)) V^T (eigh, in float64) to the dtype's accuracy, at
  // 1-norms in the range of every Taylor degree and of scaling and squaring.
  manual_seed(17);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const std::vector<double> norms = dt == kF64
                                          ? std::vector<double>{1e-9, 1e-5, 1e-3, 0.02, 0.045, 0.2, 0.9, 3.0, 10.0}
                                          : std::vector<double>{1e-6, 1e-3, 0.03, 0.3, 0.55, 1.2, 3.0};
    for (double norm : norms) {
      SCOPED_TRACE(norm);
      const Tensor x = symmetric({4}, 4, kF64, d);
      const Tensor A = (x * (norm / max(sum(abs(x), {-2})).item<double>())).to(dt);
      const la::Eigh e = la::eigh(A.to(kF64));
      const Tensor want = matmul(e.eigenvectors * exp(e.eigenvalues).unsqueeze(-2), mT(e.eigenvectors));
      expect_close(la::matrix_exp(A), want, dt == kF32 ? 1e-6 : 1e-13, "exp(A)");
    }
  }
}

TEST_P(LinalgDecompOnDevice, PowersProductsVander) {
  // matrix_power against repeated products and inverses; multi_dot against a chain of matmuls; vander's rows.
  manual_seed(11);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = tol_for(dt);
    // I + X / 10: well conditioned enough for A^3's condition number. 4x4 matrices: a batch of 3 3x3
    // matrices meets the bug of InverseOfABatchOfNMatricesOfNByN.
    for (const auto& [what, A] :
         layouts([&](IntArrayRef b) { return rect(b, 4, 4, dt, d) * 0.1 + identity(4, dt, d); })) {
      SCOPED_TRACE(what);
      expect_identity(la::matrix_power(A, 0), 0, "A^0");
      expect_close(la::matrix_power(A, 1), A, 0, "A^1");
      expect_close(la::matrix_power(A, 3), matmul(A, matmul(A, A)), tol, "A^3");
      expect_close(la::matrix_power(A, 6), matmul(matmul(A, matmul(A, A)), matmul(A, matmul(A, A))), tol, "A^6");
      const Tensor Ai = la::inv(A);
      expect_close(la::matrix_power(A, -1), Ai, tol, "A^-1");
      expect_close(la::matrix_power(A, -2), matmul(Ai, Ai), tol, "A^-2");
      expect_identity(matmul(la::matrix_power(A, -3), la::matrix_power(A, 3)), tol, "A^-3 A^3");
    }
    const Tensor a = rect({}, 2, 3, dt, d), b = rect({}, 3, 4, dt, d), c = rect({}, 4, 5, dt, d),
                 e = rect({}, 5, 2, dt, d);
    expect_close(la::multi_dot({a, b}), matmul(a, b), tol, "two");
    expect_close(la::multi_dot({a, b, c, e}), matmul(matmul(matmul(a, b), c), e), tol, "four");
    const Tensor u = normal({3}, dt, d), w = normal({5}, dt, d);
    expect_close(la::multi_dot({u, b, c, w}), matmul(matmul(matmul(u, b), c), w), tol, "vector ends");
    expect_close(la::multi_dot({u, b, c}), matmul(matmul(u, b), c), tol, "vector first");

    const Tensor x = from_vector<double>({1, 2, 3}, {3}).to(d, dt);
    expect_close(la::vander(x), from_vector<double>({1, 1, 1, 1, 2, 4, 1, 3, 9}, {3, 3}), 0, "vander");
    expect_close(la::vander(x, 4), from_vector<double>({1, 1, 1, 1, 1, 2, 4, 8, 1, 3, 9, 27}, {3, 4}), 0, "vander N=4");
    const Tensor xb = from_vector<double>({0, -1, 2, 0.5}, {2, 2}).to(d, dt);
    expect_close(la::vander(xb, 3), from_vector<double>({1, 0, 0, 1, -1, 1, 1, 2, 4, 1, 0.5, 0.25}, {2, 2, 3}), 0,
                 "vander batched");
  }
}

TEST_P(LinalgDecompOnDevice, MatrixSqrthAndPolar) {
  // matrix_sqrth(A)^2 = A (A SPD, and PSD with a zero eigenvalue), the root symmetric PSD; polar: U H = A
  // with U^T U = I and H symmetric PSD.
  manual_seed(12);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 5e-4 : 1e-9;
    auto cases = layouts([&](IntArrayRef b) { return spd(b, 4, dt, d); });
    const Tensor V = la::qr(rect({}, 4, 4, dt, d)).Q;
    const Tensor w = from_vector<double>({0, 1, 4, 9}, {4}).to(d, dt);
    cases.push_back({"semi-definite", matmul(V * w.unsqueeze(-2), mT(V))});
    for (const auto& [what, A] : cases) {
      SCOPED_TRACE(what);
      const Tensor X = la::matrix_sqrth(A);
      expect_close(matmul(X, X), A, tol, "X X = A");
      expect_close(mT(X), X, tol, "X symmetric");
      const Tensor l = la::eigvalsh(X);
      expect_close(clamp(l, Scalar(-tol), std::nullopt), l, 0, "X's eigenvalues >= 0");
    }
    auto polar_cases = layouts([&](IntArrayRef b) { return general(b, 4, dt, d); });
    polar_cases.push_back({"tall", rect({}, 5, 3, dt, d)});
    polar_cases.push_back({"tall batched", rect({2}, 5, 3, dt, d)});
    for (const auto& [what, A] : polar_cases) {
      SCOPED_TRACE(what);
      const auto [U, H] = la::polar(A);
      expect_close(matmul(U, H), A, tol, "U H = A");
      expect_identity(matmul(mT(U), U), tol, "U^T U = I");
      expect_close(mT(H), H, tol, "H symmetric");
      const Tensor l = la::eigvalsh(H);
      expect_close(clamp(l, Scalar(-tol), std::nullopt), l, 0, "H's eigenvalues >= 0");
    }
  }
}

TEST_P(LinalgDecompOnDevice, NormsAndCond) {
  // vector_norm and matrix_norm against their definitions; cond against norm(A) norm(A^-1).
  manual_seed(13);
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const double tol = dt == kF32 ? 1e-5 : 1e-12;
    const Tensor x = rect({}, 3, 4, dt, d);
    const Tensor ax = abs(x);
    expect_close(la::vector_norm(x), sqrt(sum(x * x)), tol, "2");
    expect_close(la::vector_norm(x, 1), sum(ax), tol, "1");
    expect_close(la::vector_norm(x, kInf), max(ax), tol, "inf");
    expect_close(la::vector_norm(x, -kInf), min(ax), tol, "-inf");
    expect_close(la::vector_norm(x, 3), pow(sum(ax * ax * ax), Scalar(1.0 / 3)), tol, "3");
    expect_close(la::vector_norm(x, 0.5), pow(sum(sqrt(ax)), Scalar(2.0)), tol, "0.5");
    const Tensor holes = x * from_vector<double>({1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0}, {3, 4}).to(d, dt);
    expect_close(la::vector_norm(holes, 0), scalar_tensor(8.0, TensorOptions(kF64)), 0, "0");
    expect_close(la::vector_norm(x, 2, std::vector<int64_t>{1}, true), sqrt(sum(x * x, {1}, true)), tol,
                 "dims, keepdim");

    const Tensor S = la::svdvals(x);
    expect_close(la::matrix_norm(x), sqrt(sum(x * x)), tol, "fro");
    expect_close(la::matrix_norm(x, std::string("nuc")), sum(S), tol, "nuc");
    expect_close(la::matrix_norm(x, 2.0), max(S), tol, "2");
    expect_close(la::matrix_norm(x, -2.0), min(S), tol, "-2");
    expect_close(la::matrix_norm(x, 1.0), max(sum(ax, {0})), tol, "1");
    expect_close(la::matrix_norm(x, -1.0), min(sum(ax, {0})), tol, "-1");
    expect_close(la::matrix_norm(x, kInf), max(sum(ax, {1})), tol, "inf");
    expect_close(la::matrix_norm(x, -kInf), min(sum(ax, {1})), tol, "-inf");
    const Tensor xb = rect({2}, 3, 4, dt, d);
    expect_close(la::matrix_norm(xb, std::string("nuc"), {-1, -2}, true), sum(la::svdvals(xb), {-1}).view({2, 1, 1}),
                 tol, "nuc, dims, keepdim");

    const Tensor A = general({2}, 3, dt, d);
    const Tensor Sa = la::svdvals(A);
    const double ctol = dt == kF32 ? 1e-4 : 1e-10;
    expect_close(la::cond(A), amax(Sa, {-1}) / amin(Sa, {-1}), ctol, "cond");
    expect_close(la::cond(A, la::MatrixOrd(-2.0)), amin(Sa, {-1}) / amax(Sa, {-1}), ctol, "cond -2");
    for (const la::MatrixOrd& p : {la::MatrixOrd(std::string("fro")), la::MatrixOrd(std::string("nuc")),
                                   la::MatrixOrd(1.0), la::MatrixOrd(kInf)}) {
      expect_close(la::cond(A, p), la::matrix_norm(A, p) * la::matrix_norm(la::inv(A), p), ctol, "cond by norms");
    }
    const Tensor singular = from_vector<double>({1, 2, 2, 4}, {2, 2}).to(d, dt);
    EXPECT_EQ(la::cond(singular, la::MatrixOrd(1.0)).item<double>(), kInf);
  }
}

// ---- zero-size inputs ----------------------------------------------------------------------------

TEST_P(LinalgDecompOnDevice, ZeroSize) {
  // Batches of no matrices and 0x0 matrices: shapes, det of 0x0 = 1, svd of (0, 3) with full matrices
  // gives Vh = I_3, complete QR of (3, 0) gives Q = I_3.
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const TensorOptions o = TensorOptions(dt).device(d);
    const Tensor none = zeros({0, 3, 3}, o), empties = zeros({2, 0, 0}, o), empty = zeros({0, 0}, o);

    EXPECT_EQ(la::det(none).sizes(), IntArrayRef({0}));
    expect_close(la::det(empties), ones({2}, TensorOptions(kF64)), 0, "det of 0x0 matrices");
    expect_close(la::det(empty), scalar_tensor(1.0, TensorOptions(kF64)), 0, "det of a 0x0 matrix");
    expect_close(la::slogdet(empty).logabsdet, scalar_tensor(0.0, TensorOptions(kF64)), 0, "logabsdet of 0x0");
    expect_close(la::slogdet(empty).sign, scalar_tensor(1.0, TensorOptions(kF64)), 0, "sign of 0x0");

    EXPECT_EQ(la::inv(none).sizes(), IntArrayRef({0, 3, 3}));
    EXPECT_EQ(la::inv(empties).sizes(), IntArrayRef({2, 0, 0}));
    EXPECT_EQ(la::inv_ex(empties).info.sizes(), IntArrayRef({2}));
    EXPECT_EQ(la::solve(none, zeros({0, 3, 2}, o)).sizes(), IntArrayRef({0, 3, 2}));
    EXPECT_EQ(la::solve(empties, zeros({2, 0, 4}, o)).sizes(), IntArrayRef({2, 0, 4}));
    EXPECT_EQ(la::solve(empty, zeros({0, 2}, o)).sizes(), IntArrayRef({0, 2}));
    EXPECT_EQ(la::solve(general({}, 3, dt, d), zeros({3, 0}, o)).sizes(), IntArrayRef({3, 0}));

    EXPECT_EQ(la::cholesky(none).sizes(), IntArrayRef({0, 3, 3}));
    EXPECT_EQ(la::cholesky(empties).sizes(), IntArrayRef({2, 0, 0}));
    EXPECT_EQ(la::cholesky(empty, true).sizes(), IntArrayRef({0, 0}));

    const la::Eigh e0 = la::eigh(none);
    EXPECT_EQ(e0.eigenvalues.sizes(), IntArrayRef({0, 3}));
    EXPECT_EQ(e0.eigenvectors.sizes(), IntArrayRef({0, 3, 3}));
    const la::Eigh e1 = la::eigh(empties);
    EXPECT_EQ(e1.eigenvalues.sizes(), IntArrayRef({2, 0}));
    EXPECT_EQ(e1.eigenvectors.sizes(), IntArrayRef({2, 0, 0}));

    const la::Svd s_full = la::svd(zeros({0, 3}, o), true);
    EXPECT_EQ(s_full.U.sizes(), IntArrayRef({0, 0}));
    EXPECT_EQ(s_full.S.sizes(), IntArrayRef({0}));
    expect_close(s_full.Vh, identity(3, kF64, kCPU), 0, "svd (0, 3): Vh = I_3");
    const la::Svd s_red = la::svd(zeros({0, 3}, o), false);
    EXPECT_EQ(s_red.U.sizes(), IntArrayRef({0, 0}));
    EXPECT_EQ(s_red.Vh.sizes(), IntArrayRef({0, 3}));
    const la::Svd s_tall = la::svd(zeros({3, 0}, o), true);
    expect_close(s_tall.U, identity(3, kF64, kCPU), 0, "svd (3, 0): U = I_3");
    EXPECT_EQ(s_tall.Vh.sizes(), IntArrayRef({0, 0}));
    const la::Svd s_none = la::svd(zeros({0, 3, 2}, o), false);
    EXPECT_EQ(s_none.U.sizes(), IntArrayRef({0, 3, 2}));
    EXPECT_EQ(s_none.S.sizes(), IntArrayRef({0, 2}));
    EXPECT_EQ(s_none.Vh.sizes(), IntArrayRef({0, 2, 2}));
    EXPECT_EQ(la::svdvals(empties).sizes(), IntArrayRef({2, 0}));

    const la::Qr q0 = la::qr(zeros({0, 3, 2}, o));
    EXPECT_EQ(q0.Q.sizes(), IntArrayRef({0, 3, 2}));
    EXPECT_EQ(q0.R.sizes(), IntArrayRef({0, 2, 2}));
    const la::Qr q1 = la::qr(zeros({0, 3}, o));
    EXPECT_EQ(q1.Q.sizes(), IntArrayRef({0, 0}));
    EXPECT_EQ(q1.R.sizes(), IntArrayRef({0, 3}));
    const la::Qr q2 = la::qr(zeros({3, 0}, o));
    EXPECT_EQ(q2.Q.sizes(), IntArrayRef({3, 0}));
    EXPECT_EQ(q2.R.sizes(), IntArrayRef({0, 0}));
    const la::Qr q3 = la::qr(zeros({3, 0}, o), "complete");
    expect_close(q3.Q, identity(3, kF64, kCPU), 0, "complete QR of (3, 0): Q = I_3");
    EXPECT_EQ(q3.R.sizes(), IntArrayRef({3, 0}));
  }
}

// ---- errors --------------------------------------------------------------------------------------

TEST_P(LinalgDecompOnDevice, Errors) {
  // Singular and non-positive-definite inputs raise LinAlgError (the _ex forms return info instead);
  // non-square and integer inputs raise Error and TypeError.
  const Device d = device();
  for (ScalarType dt : kDtypes) {
    SCOPED_TRACE(name_of(dt));
    const TensorOptions o = TensorOptions(dt).device(d);
    const Tensor singular = from_vector<double>({1, 2, 2, 4}, {2, 2}).to(d, dt);
    const Tensor B = ones({2, 1}, o);
    EXPECT_THROW_WITH(la::inv(singular), LinAlgError, "singular");
    EXPECT_THROW_WITH(la::solve(singular, B), LinAlgError, "singular");
    EXPECT_THROW_WITH(la::lu_factor(singular), LinAlgError, "singular");
    // The failing matrix of a batch is named.
    const Tensor batch = stack({identity(2, dt, d), singular});
    EXPECT_THROW_WITH(la::inv(batch), LinAlgError, "Batch element 1");
    EXPECT_THROW_WITH(la::inv_ex(singular, /*check_errors=*/true), LinAlgError, "singular");

    const Tensor indefinite = from_vector<double>({1, 2, 2, 1}, {2, 2}).to(d, dt);
    EXPECT_THROW_WITH(la::cholesky(indefinite), LinAlgError, "positive-definite");
    EXPECT_THROW_WITH(la::cholesky(indefinite, true), LinAlgError, "positive-definite");
    EXPECT_THROW_WITH(la::cholesky_ex(indefinite, false, /*check_errors=*/true), LinAlgError, "positive-definite");

    // The _ex forms: info, no exception.
    EXPECT_NE(ints(la::inv_ex(singular).info)[0], 0);
    EXPECT_NE(ints(la::solve_ex(singular, B).info)[0], 0);
    EXPECT_EQ(ints(la::lu_factor_ex(singular).info), std::vector<int64_t>{2});
    EXPECT_EQ(ints(la::cholesky_ex(indefinite).info), std::vector<int64_t>{2});
    EXPECT_EQ(ints(la::cholesky_ex(stack({identity(2, dt, d), indefinite, -identity(2, dt, d)})).info),
              (std::vector<int64_t>{0, 2, 1}));
    EXPECT_EQ(ints(la::inv_ex(batch).info)[0], 0);
    EXPECT_NE(ints(la::inv_ex(batch).info)[1], 0);

    const Tensor wide = ones({2, 3}, o);
    EXPECT_THROW_WITH(la::inv(wide), Error, "square");
    EXPECT_THROW_WITH(la::det(wide), Error, "square");
    EXPECT_THROW_WITH(la::cholesky(wide), Error, "square");
    EXPECT_THROW_WITH(la::eigh(wide), Error, "square");
    EXPECT_THROW_WITH(la::solve(wide, ones({2, 1}, o)), Error, "square");
    EXPECT_THROW_WITH(la::matrix_exp(wide), Error, "square");
    EXPECT_THROW_WITH(la::inv(ones({3}, o)), Error, "at least 2 dimensions");
    EXPECT_THROW_WITH(la::solve(identity(2, dt, d), ones({3, 1}, o)), Error, "Incompatible shapes");
    EXPECT_THROW_WITH(la::eigh(identity(2, dt, d), "X"), Error, "UPLO");
    EXPECT_THROW_WITH(la::qr(wide, "full"), Error, "unrecognized mode");
    EXPECT_THROW_WITH(la::polar(ones({2, 3}, o)), Error, "at least as many rows");
    EXPECT_THROW_WITH(la::lstsq(ones({3, 2}, o), ones({3, 1}, o), std::nullopt, "gelsx"), Error, "driver");
    EXPECT_THROW_WITH(la::matrix_norm(wide, std::string("abc")), Error, "not supported");
    EXPECT_THROW_WITH(la::matrix_norm(wide, 3.0), Error, "not supported");
  }
  // Results that have no derivative raise at backward, as in PyTorch.
  const Tensor x = leaf({3, 2}, -1, 1, d);
  EXPECT_THROW_WITH(sum(la::qr(x, "complete").Q).backward(), Error, "mode='complete' and nrows > ncols");
  EXPECT_THROW_WITH(sum(la::qr(x, "r").R).backward(), Error, "mode='r'");
  const Tensor s = leaf({3, 3}, -1, 1, d);
  EXPECT_THROW_WITH(sum(la::ldl_factor(sym(s, 3)).LD).backward(), NotImplementedError, "ldl_factor");
  if (d.is_cpu()) EXPECT_THROW_WITH(la::lu(identity(2, kF64, d), /*pivot=*/false), NotImplementedError, "pivoting");

  const Tensor ints64 = arange(Scalar(4), TensorOptions(ScalarType::Int64).device(d)).view({2, 2});
  EXPECT_THROW_WITH(la::inv(ints64), TypeError, "floating point");
  EXPECT_THROW_WITH(la::det(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::cholesky(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::svd(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::qr(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::eigh(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::solve(ints64, ints64), TypeError, "");
  EXPECT_THROW_WITH(la::matrix_exp(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::vector_norm(ints64), TypeError, "");
  EXPECT_THROW_WITH(la::solve(identity(2, kF64, d), ones({2, 1}, TensorOptions(kF32).device(d))), TypeError, "dtype");
}

// ---- gradients -------------------------------------------------------------------------------------

TEST_P(LinalgDecompOnDevice, GradSolveInvDet) {
  // solve (A and B: vector, matrix, left=false, batched), inv, det (nonsingular, singular), slogdet, logdet.
  manual_seed(20);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  check_grad("solve", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); }, {L({3, 3}), L({3, 2})});
  check_grad("solve vector", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {L({3, 3}), L({3})});
  check_grad("solve left=false", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1], false); },
             {L({3, 3}), L({2, 3})});
  check_grad("solve batched, broadcast B", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {L({2, 3, 3}), L({3, 2})});
  check_grad("solve batched vector", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {L({2, 3, 3}), L({2, 3})});
  check_grad("inv", [](const TensorList& x) { return la::inv(shifted(x[0], 3)); }, {L({3, 3})});
  check_grad("inv batched", [](const TensorList& x) { return la::inv(shifted(x[0], 3)); }, {L({2, 3, 3})});
  check_grad("det", [](const TensorList& x) { return la::det(shifted(x[0], 2)); }, {L({3, 3})});
  check_grad("det batched", [](const TensorList& x) { return la::det(x[0]); }, {L({2, 3, 3})});
  const Fn det = [](const TensorList& x) { return la::det(x[0]); };
  // Singular: two equal rows (det exactly 0), and three equal rows (rank 1: the gradient is zero too).
  check_grad("det rank 2", det, {leaf_of({1, 2, 3, 0.5, -1, 2, 1, 2, 3}, {3, 3}, d)});
  check_grad("det rank 1", det, {leaf_of({1, 2, 3, 1, 2, 3, 1, 2, 3}, {3, 3}, d)});
  check_grad("det rank 2 batched", det,
             {leaf_of({1, 2, 3, 0.5, -1, 2, 1, 2, 3, /**/ 2, 0, 1, 1, 1, 1, -1, 0.5, 2}, {2, 3, 3}, d)});
  check_grad("slogdet", [](const TensorList& x) { return la::slogdet(shifted(x[0], 2)).logabsdet; }, {L({3, 3})});
  check_grad("slogdet negative det", [](const TensorList& x) { return la::slogdet(-shifted(x[0], 2)).logabsdet; },
             {L({3, 3})});
  check_grad("slogdet batched", [](const TensorList& x) { return la::slogdet(x[0]).logabsdet; }, {L({2, 3, 3})});
  check_grad("logdet", [](const TensorList& x) { return la::logdet(matmul(x[0], mT(x[0])) + identity_like(3, x[0])); },
             {L({3, 3})});
}

TEST_P(LinalgDecompOnDevice, GradSingularDetFromRoundOff) {
  // det's gradient at a rank-2 matrix whose LU leaves a round-off pivot (det ~ 1e-16 rather than 0): the
  // cofactor matrix, which finite differences see.
  const Device d = device();
  check_grad("det of [[1, 2, 3], [4, 5, 6], [7, 8, 9]]", [](const TensorList& x) { return la::det(x[0]); },
             {leaf_of({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, d)});
}

TEST_P(LinalgDecompOnDevice, GradLu) {
  // lu_factor_ex's LU, lu's L and U (square, tall, wide), lu_solve w.r.t. LU and B (adjoint, left).
  manual_seed(21);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  const Fn lu_factor = [](const TensorList& x) { return la::lu_factor_ex(x[0]).LU; };
  check_grad("lu_factor_ex square", lu_factor, {L({3, 3})});
  check_grad("lu_factor_ex tall", lu_factor, {L({4, 3})});
  check_grad("lu_factor_ex wide", lu_factor, {L({3, 4})});
  check_grad("lu_factor_ex batched", lu_factor, {L({2, 3, 3})});
  const Fn lu = [](const TensorList& x) {
    const la::Lu f = la::lu(x[0]);
    return flat_cat({f.L, f.U});
  };
  check_grad("lu square", lu, {L({3, 3})});
  check_grad("lu tall", lu, {L({4, 3})});
  check_grad("lu wide", lu, {L({3, 4})});
  check_grad("lu batched", lu, {L({2, 3, 3})});
  check_grad("lu tall batched", lu, {L({2, 4, 3})});
  check_grad("lu wide batched", lu, {L({2, 3, 4})});
  // A weighted loss that reaches L only and U only.
  const Tensor W = leaf({4, 3}, -1, 1, d).detach();
  check_grad("lu, L only", [&](const TensorList& x) { return sum(la::lu(x[0]).L * W); }, {L({4, 3})});
  check_grad("lu, U only", [&](const TensorList& x) { return sum(la::lu(x[0]).U * W.narrow(0, 0, 3)); }, {L({3, 3})});

  // lu_solve with LU itself the input (pivots fixed), and through lu_factor from A.
  Tensor LU0, piv;
  {
    NoGradGuard no_grad;
    const la::LuFactorEx f = la::lu_factor(shifted(leaf({3, 3}, -1, 1, d).detach(), 3));
    LU0 = f.LU.contiguous();
    piv = f.pivots;
  }
  for (bool left : {true, false}) {
    for (bool adjoint : {false, true}) {
      const std::string what = std::string("lu_solve") + (left ? "" : " left=false") + (adjoint ? " adjoint" : "");
      const Tensor LU = LU0.clone().requires_grad_();
      check_grad(what + " w.r.t. LU and B",
                 [&](const TensorList& x) { return la::lu_solve(x[0], piv, x[1], left, adjoint); },
                 {LU, left ? L({3, 2}) : L({2, 3})});
      check_grad(what + " through lu_factor",
                 [&](const TensorList& x) {
                   const la::LuFactorEx f = la::lu_factor(shifted(x[0], 3));
                   return la::lu_solve(f.LU, f.pivots, x[1], left, adjoint);
                 },
                 {L({2, 3, 3}), left ? L({3, 2}) : L({2, 3})});
    }
  }
}

TEST_P(LinalgDecompOnDevice, GradCholeskyAndTriangular) {
  // cholesky (lower, upper; of a symmetrised input and of X X^T + I), cholesky_solve, cholesky_inverse,
  // solve_triangular (upper/lower, left/right, unitriangular).
  manual_seed(22);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  for (bool upper : {false, true}) {
    const std::string u = upper ? " upper" : "";
    check_grad("cholesky sym" + u, [&](const TensorList& x) { return la::cholesky(sym(x[0], 3), upper); }, {L({3, 3})});
    check_grad(
        "cholesky X X^T" + u,
        [&](const TensorList& x) { return la::cholesky(matmul(x[0], mT(x[0])) + identity_like(3, x[0]), upper); },
        {L({2, 3, 3})});
    check_grad("cholesky_solve" + u,
               [&](const TensorList& x) {
                 const Tensor F = upper ? triu(x[0]) : tril(x[0]);
                 return la::cholesky_solve(x[1], shifted(F, 2), upper);
               },
               {L({3, 3}), L({3, 2})});
    check_grad("cholesky_inverse" + u,
               [&](const TensorList& x) { return la::cholesky_inverse(la::cholesky(sym(x[0], 3), upper), upper); },
               {L({3, 3})});
  }
  for (bool upper : {true, false})
    for (bool left : {true, false})
      for (bool unit : {false, true}) {
        const std::string what = std::string("solve_triangular ") + (upper ? "upper" : "lower") +
                                 (left ? " left" : " right") + (unit ? " unitriangular" : "");
        check_grad(what,
                   [&](const TensorList& x) { return la::solve_triangular(shifted(x[0], 3), x[1], upper, left, unit); },
                   {L({3, 3}), left ? L({3, 2}) : L({2, 3})});
      }
  check_grad("solve_triangular batched",
             [](const TensorList& x) { return la::solve_triangular(shifted(x[0], 3), x[1], true); },
             {L({2, 3, 3}), L({3, 2})});
}

TEST_P(LinalgDecompOnDevice, GradQrHouseholder) {
  // qr (reduced: tall, square, wide, batched; complete: square, wide) through Q and R; householder_product
  // w.r.t. A and tau.
  manual_seed(23);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  const Fn reduced = [](const TensorList& x) {
    const la::Qr f = la::qr(x[0]);
    return flat_cat({f.Q, f.R});
  };
  const Fn complete = [](const TensorList& x) {
    const la::Qr f = la::qr(x[0], "complete");
    return flat_cat({f.Q, f.R});
  };
  check_grad("qr tall", reduced, {L({4, 3})});
  check_grad("qr square", reduced, {L({3, 3})});
  check_grad("qr wide", reduced, {L({3, 4})});
  check_grad("qr batched", reduced, {L({2, 4, 3})});
  check_grad("qr complete square", complete, {L({3, 3})});
  check_grad("qr complete wide", complete, {L({3, 4})});
  check_grad("qr, Q only", [](const TensorList& x) { return la::qr(x[0]).Q; }, {L({4, 3})});
  check_grad("qr, R only", [](const TensorList& x) { return la::qr(x[0]).R; }, {L({3, 4})});

  // Reflectors and scalars as geqrf makes them (tau in [1, 2]), as the inputs.
  for (const auto& [rows, k] : std::vector<std::pair<int64_t, int64_t>>{{4, 3}, {4, 2}, {3, 3}}) {
    Tensor a, tau;
    {
      NoGradGuard no_grad;
      std::tie(a, tau) = la::geqrf(leaf({rows, 3}, -1, 1, d).detach());
      a = a.contiguous();
      tau = tau.narrow(-1, 0, k).contiguous();
    }
    check_grad("householder_product m=" + std::to_string(rows) + " k=" + std::to_string(k),
               [](const TensorList& x) { return la::householder_product(x[0], x[1]); },
               {a.clone().requires_grad_(), tau.clone().requires_grad_()});
  }
}

TEST_P(LinalgDecompOnDevice, GradEighSvd) {
  // Gauge-invariant functions of eigh's and svd's factors: V f(w) V^T, a projector, eigvalsh; U diag(S) Vh
  // (full and reduced), rank-2 truncations, projectors through U only or Vh only, svdvals; tall and wide.
  manual_seed(24);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  const Fn eigh_sq = [](const TensorList& x) {
    const la::Eigh e = la::eigh(sym(x[0]));
    const Tensor w = e.eigenvalues;
    return matmul(e.eigenvectors * (w * w).unsqueeze(-2), mT(e.eigenvectors));
  };
  check_grad("eigh V diag(w^2) V^T", eigh_sq, {L({3, 3})});
  check_grad("eigh V diag(w^2) V^T batched", eigh_sq, {L({2, 3, 3})});
  check_grad("eigh top projector",
             [](const TensorList& x) {
               const Tensor v = la::eigh(sym(x[0]), "U").eigenvectors.narrow(-1, 2, 1);
               return matmul(v, mT(v));
             },
             {L({3, 3})});
  check_grad("eigvalsh", [](const TensorList& x) { return la::eigvalsh(sym(x[0])); }, {L({3, 3})});
  check_grad("eigvalsh batched", [](const TensorList& x) { return la::eigvalsh(sym(x[0])); }, {L({2, 3, 3})});

  for (const auto& shape : std::vector<std::vector<int64_t>>{{4, 3}, {3, 4}, {2, 3, 3}}) {
    const std::string s = shape.size() == 3 ? " batched" : shape[0] > shape[1] ? " tall" : " wide";
    for (bool full : {false, true}) {
      check_grad(std::string("svd U diag(S) Vh") + (full ? " full" : "") + s,
                 [full](const TensorList& x) {
                   const la::Svd f = la::svd(x[0], full);
                   const int64_t k = f.S.size(-1);
                   return matmul(f.U.narrow(-1, 0, k) * f.S.unsqueeze(-2), f.Vh.narrow(-2, 0, k));
                 },
                 {L(shape)});
    }
    check_grad("svd U[:, :2] Vh[:2]" + s,
               [](const TensorList& x) {
                 const la::Svd f = la::svd(x[0], false);
                 return matmul(f.U.narrow(-1, 0, 2), f.Vh.narrow(-2, 0, 2));
               },
               {L(shape)});
    check_grad("svd U[:, :2] U[:, :2]^T" + s,
               [](const TensorList& x) {
                 const Tensor u = la::svd(x[0], false).U.narrow(-1, 0, 2);
                 return matmul(u, mT(u));
               },
               {L(shape)});
    check_grad("svd Vh[:2]^T Vh[:2]" + s,
               [](const TensorList& x) {
                 const Tensor vh = la::svd(x[0], true).Vh.narrow(-2, 0, 2);
                 return matmul(mT(vh), vh);
               },
               {L(shape)});
    check_grad("svdvals" + s, [](const TensorList& x) { return la::svdvals(x[0]); }, {L(shape)});
  }
}

TEST_P(LinalgDecompOnDevice, GradPinvLstsq) {
  // pinv (tall, wide, batched, hermitian), lstsq's solution (matrix and vector B, drivers) and residuals.
  manual_seed(25);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  const Fn pinv = [](const TensorList& x) { return la::pinv(x[0]); };
  check_grad("pinv tall", pinv, {L({4, 3})});
  check_grad("pinv wide", pinv, {L({3, 4})});
  check_grad("pinv batched", [](const TensorList& x) { return la::pinv(shifted(x[0], 2)); }, {L({2, 3, 3})});
  check_grad("pinv hermitian",
             [](const TensorList& x) { return la::pinv(sym(x[0], 3), std::nullopt, std::nullopt, true); }, {L({3, 3})});
  std::vector<std::optional<std::string_view>> drivers = {std::nullopt};
  if (d.is_cpu())
    drivers.insert(drivers.end(), {"gelsy", "gelsd", "gelss", "gels"});
  else
    drivers.push_back("gels");
  for (const auto& driver : drivers) {
    const std::string name = std::string("lstsq ") + (driver ? std::string(*driver) : "default");
    check_grad(name, [&](const TensorList& x) { return la::lstsq(x[0], x[1], std::nullopt, driver).solution; },
               {L({4, 3}), L({4, 2})});
    check_grad(name + " vector B",
               [&](const TensorList& x) { return la::lstsq(x[0], x[1], std::nullopt, driver).solution; },
               {L({4, 3}), L({4})});
    check_grad(name + " batched",
               [&](const TensorList& x) { return la::lstsq(x[0], x[1], std::nullopt, driver).solution; },
               {L({2, 4, 3}), L({1, 4, 2})});
  }
  if (d.is_cpu()) {
    // Underdetermined: the minimum-norm solution (CPU drivers only).
    check_grad("lstsq wide", [](const TensorList& x) { return la::lstsq(x[0], x[1], std::nullopt, "gelsd").solution; },
               {L({3, 4}), L({3, 2})});
  }
  const std::string_view res_driver = d.is_cpu() ? "gelsd" : "gels";
  check_grad("lstsq residuals",
             [&](const TensorList& x) { return la::lstsq(x[0], x[1], std::nullopt, res_driver).residuals; },
             {L({5, 3}), L({5, 2})});
  check_grad("lstsq solution and residuals",
             [&](const TensorList& x) {
               const la::Lstsq r = la::lstsq(x[0], x[1], std::nullopt, res_driver);
               return flat_cat({r.solution, r.residuals});
             },
             {L({5, 3}), L({5})});
}

TEST_P(LinalgDecompOnDevice, GradNormsAndCond) {
  // vector_norm (ord 2, 1, inf, -inf, 3, 0.5 on entries away from zero; all and one dim), matrix_norm
  // ('fro', 'nuc', +-2, +-1, +-inf), cond (2, -2, 'fro', 1, inf).
  manual_seed(26);
  const Device d = device();
  // Entries with |x| in [0.5, 1.5], mixed signs, and no two magnitudes close (inf and -inf pick one).
  const std::vector<double> v = {0.62, -1.3, 0.91, 0.55, -1.12, -0.74, 1.45, -0.83, 1.04, 0.68, -1.21, 0.97};
  for (double ord : {2.0, 1.0, kInf, -kInf, 3.0, 0.5}) {
    const std::string what = "vector_norm " + std::to_string(ord);
    check_grad(what, [&](const TensorList& x) { return la::vector_norm(x[0], ord); }, {leaf_of(v, {3, 4}, d)});
    check_grad(what + " dim 1",
               [&](const TensorList& x) { return la::vector_norm(x[0], ord, std::vector<int64_t>{1}, true); },
               {leaf_of(v, {3, 4}, d)});
  }
  for (const la::MatrixOrd& ord :
       {la::MatrixOrd(std::string("fro")), la::MatrixOrd(std::string("nuc")), la::MatrixOrd(2.0), la::MatrixOrd(-2.0),
        la::MatrixOrd(1.0), la::MatrixOrd(-1.0), la::MatrixOrd(kInf), la::MatrixOrd(-kInf)}) {
    const std::string what =
        "matrix_norm " +
        (std::holds_alternative<std::string>(ord) ? std::get<std::string>(ord) : std::to_string(std::get<double>(ord)));
    check_grad(what, [&](const TensorList& x) { return la::matrix_norm(x[0], ord); }, {leaf({3, 4}, -1, 1, d)});
    check_grad(what + " batched", [&](const TensorList& x) { return la::matrix_norm(x[0], ord); },
               {leaf({2, 3, 3}, -1, 1, d)});
  }
  check_grad("cond", [](const TensorList& x) { return la::cond(shifted(x[0], 2)); }, {leaf({3, 3}, -1, 1, d)});
  check_grad("cond tall", [](const TensorList& x) { return la::cond(x[0]); }, {leaf({4, 3}, -1, 1, d)});
  for (const la::MatrixOrd& p :
       {la::MatrixOrd(-2.0), la::MatrixOrd(std::string("fro")), la::MatrixOrd(1.0), la::MatrixOrd(kInf)}) {
    check_grad("cond by ord", [&](const TensorList& x) { return la::cond(shifted(x[0], 2), p); },
               {leaf({2, 3, 3}, -1, 1, d)});
  }
}

TEST_P(LinalgDecompOnDevice, GradMatrixFunctions) {
  // matrix_exp at 1-norms from 1e-9 to 5 (every Taylor degree, then scaling and squaring), matrix_power
  // (3, -2, 1), multi_dot, vander, tensorinv, matrix_sqrth, polar.
  manual_seed(27);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  for (double scale : {1e-9, 1e-4, 0.01, 0.1, 0.5, 3.0}) {
    check_grad("matrix_exp scale " + std::to_string(scale),
               [scale](const TensorList& x) { return la::matrix_exp(x[0] * scale); }, {L({3, 3})});
  }
  check_grad("matrix_exp batched", [](const TensorList& x) { return la::matrix_exp(x[0]); }, {L({2, 3, 3})});
  check_grad("matrix_power 3", [](const TensorList& x) { return la::matrix_power(x[0], 3); }, {L({3, 3})});
  check_grad("matrix_power -2", [](const TensorList& x) { return la::matrix_power(shifted(x[0], 3), -2); },
             {L({3, 3})});
  check_grad("matrix_power 1 batched", [](const TensorList& x) { return la::matrix_power(x[0], 1); }, {L({2, 3, 3})});
  check_grad("multi_dot",
             [](const TensorList& x) {
               return la::multi_dot({x[0], x[1], x[2]});
             },
             {L({2, 3}), L({3, 4}), L({4, 2})});
  check_grad("multi_dot vector ends",
             [](const TensorList& x) {
               return la::multi_dot({x[0], x[1], x[2], x[3]});
             },
             {L({3}), L({3, 4}), L({4, 2}), L({2})});
  check_grad("vander", [](const TensorList& x) { return la::vander(x[0], 4); }, {L({3})});
  check_grad("vander batched", [](const TensorList& x) { return la::vander(x[0]); }, {L({2, 3})});
  check_grad("tensorinv",
             [](const TensorList& x) {
               return la::tensorinv(reshape(shifted(x[0], 4), {2, 3, 6}), 2);
             },
             {L({6, 6})});
  check_grad("matrix_sqrth", [](const TensorList& x) { return la::matrix_sqrth(sym(x[0], 3)); }, {L({3, 3})});
  check_grad("matrix_sqrth X X^T + I",
             [](const TensorList& x) { return la::matrix_sqrth(matmul(x[0], mT(x[0])) + identity_like(3, x[0])); },
             {L({2, 3, 3})});
  const Fn polar = [](const TensorList& x) {
    const auto [U, H] = la::polar(x[0]);
    return flat_cat({U, H});
  };
  check_grad("polar tall", polar, {L({4, 3})});
  check_grad("polar square",
             [](const TensorList& x) {
               const auto [U, H] = la::polar(shifted(x[0], 2));
               return flat_cat({U, H});
             },
             {L({3, 3})});
}

TEST_P(LinalgDecompOnDevice, GradBroadcastAndLayouts) {
  // Gradients summed over a broadcast operand (A shared by a batch of B, and the reverse), and inputs laid
  // out transposed in memory.
  manual_seed(29);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  auto T = [&](IntArrayRef s) { return wick::testing::noncontiguous_leaf(s, -1, 1, d); };
  check_grad("solve, A broadcast", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {L({3, 3}), L({2, 3, 2})});
  check_grad("solve, both broadcast", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {L({2, 1, 3, 3}), L({1, 2, 3, 2})});
  check_grad("solve_triangular, A broadcast",
             [](const TensorList& x) { return la::solve_triangular(shifted(x[0], 3), x[1], false); },
             {L({3, 3}), L({2, 3, 2})});
  check_grad("lu_solve, LU broadcast",
             [](const TensorList& x) {
               const la::LuFactorEx f = la::lu_factor(shifted(x[0], 3));
               return la::lu_solve(f.LU, f.pivots, x[1]);
             },
             {L({3, 3}), L({2, 3, 2})});
  check_grad("cholesky_solve, factor broadcast",
             [](const TensorList& x) { return la::cholesky_solve(x[1], shifted(tril(x[0]), 2)); },
             {L({3, 3}), L({2, 3, 2})});
  check_grad("lstsq, A broadcast", [](const TensorList& x) { return la::lstsq(x[0], x[1]).solution; },
             {L({1, 4, 3}), L({2, 4, 2})});
  // One operand a constant: only the other's gradient is asked for.
  const Tensor A0 = shifted(L({3, 3}).detach(), 3), B0 = L({3, 2}).detach();
  check_grad("solve, B only", [](const TensorList& x) { return la::solve(x[0], x[1]); }, {A0, L({3, 2})});
  check_grad("solve, A only", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); }, {L({3, 3}), B0});
  check_grad("solve_triangular, B only", [](const TensorList& x) { return la::solve_triangular(x[0], x[1], true); },
             {A0, L({3, 2})});
  check_grad("lstsq, A only", [](const TensorList& x) { return la::lstsq(x[0], x[1]).solution; },
             {L({4, 3}), L({4, 2}).detach()});
  check_grad("inv transposed", [](const TensorList& x) { return la::inv(shifted(x[0], 3)); }, {T({3, 3})});
  check_grad("det transposed", [](const TensorList& x) { return la::det(x[0]); }, {T({3, 3})});
  check_grad("solve transposed", [](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); },
             {T({3, 3}), T({3, 2})});
  check_grad("cholesky transposed", [](const TensorList& x) { return la::cholesky(sym(x[0], 3)); }, {T({3, 3})});
  check_grad("qr transposed",
             [](const TensorList& x) {
               return flat_cat({la::qr(x[0]).Q, la::qr(x[0]).R});
             },
             {T({4, 3})});
  check_grad("svdvals transposed", [](const TensorList& x) { return la::svdvals(x[0]); }, {T({3, 4})});
  check_grad("eigvalsh transposed", [](const TensorList& x) { return la::eigvalsh(sym(x[0])); }, {T({3, 3})});
  check_grad("matrix_exp transposed", [](const TensorList& x) { return la::matrix_exp(x[0]); }, {T({3, 3})});
}

TEST_P(LinalgDecompOnDevice, Float32Backward) {
  // The backward formulas in float32: the gradient is float32 and agrees with float64's.
  manual_seed(30);
  const Device d = device();
  using F = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<std::string, F>> cases = {
      {"solve", [](const Tensor& x) { return la::solve(shifted(x, 3), x.narrow(-1, 0, 2)); }},
      {"inv", [](const Tensor& x) { return la::inv(shifted(x, 3)); }},
      {"det", [](const Tensor& x) { return la::det(shifted(x, 2)); }},
      {"slogdet", [](const Tensor& x) { return la::slogdet(shifted(x, 2)).logabsdet; }},
      {"lu",
       [](const Tensor& x) {
         return flat_cat({la::lu(x).L, la::lu(x).U});
       }},
      {"lu_solve",
       [](const Tensor& x) {
         const la::LuFactorEx f = la::lu_factor(shifted(x, 3));
         return la::lu_solve(f.LU, f.pivots, x, true, true);
       }},
      {"cholesky", [](const Tensor& x) { return la::cholesky(sym(x, 3)); }},
      {"solve_triangular", [](const Tensor& x) { return la::solve_triangular(shifted(x, 3), x, false, false, true); }},
      {"qr",
       [](const Tensor& x) {
         return flat_cat({la::qr(x).Q, la::qr(x).R});
       }},
      {"eigh",
       [](const Tensor& x) {
         const la::Eigh e = la::eigh(sym(x));
         return matmul(e.eigenvectors * square(e.eigenvalues).unsqueeze(-2), mT(e.eigenvectors));
       }},
      {"svd",
       [](const Tensor& x) {
         const la::Svd f = la::svd(x, false);
         return matmul(f.U.narrow(-1, 0, 2), f.Vh.narrow(-2, 0, 2));
       }},
      {"svdvals", [](const Tensor& x) { return la::svdvals(x); }},
      {"pinv", [](const Tensor& x) { return la::pinv(shifted(x, 2)); }},
      {"lstsq", [](const Tensor& x) { return la::lstsq(shifted(x, 2), x.narrow(-1, 0, 1)).solution; }},
      {"matrix_norm nuc", [](const Tensor& x) { return la::matrix_norm(x, std::string("nuc")); }},
      {"matrix_exp", [](const Tensor& x) { return la::matrix_exp(x * 3.0); }},
      {"matrix_sqrth", [](const Tensor& x) { return la::matrix_sqrth(sym(x, 3)); }},
      {"polar",
       [](const Tensor& x) {
         return flat_cat({la::polar(shifted(x, 2)).first, la::polar(shifted(x, 2)).second});
       }},
      {"cond", [](const Tensor& x) { return la::cond(shifted(x, 2), la::MatrixOrd(1.0)); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    const Tensor x64 = leaf({2, 3, 3}, -1, 1, d);
    const Tensor x32 = x64.detach().to(kF32).requires_grad_();
    const Tensor g64 = autograd::grad({sum(square(f(x64)))}, {x64})[0];
    const Tensor g32 = autograd::grad({sum(square(f(x32)))}, {x32})[0];
    EXPECT_EQ(g32.dtype(), kF32);
    expect_close(g32, g64, 2e-3, name);
  }
}

TEST_P(LinalgDecompOnDevice, GradGradSolveInvDet) {
  // Differentiable again: the gradient of |f|^2 (made with create_graph) checked in turn, for solve (w.r.t.
  // A and B), inv and det.
  manual_seed(28);
  const Device d = device();
  auto L = [&](IntArrayRef s) { return leaf(s, -1, 1, d); };
  check_grad("solve", gradient_of([](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1]); }),
             {L({3, 3}), L({3, 2})});
  check_grad("solve left=false, batched A",
             gradient_of([](const TensorList& x) { return la::solve(shifted(x[0], 3), x[1], false); }),
             {L({2, 3, 3}), L({2, 3})});
  check_grad("inv", gradient_of([](const TensorList& x) { return la::inv(shifted(x[0], 3)); }), {L({3, 3})});
  check_grad("det", gradient_of([](const TensorList& x) { return la::det(shifted(x[0], 2)); }), {L({3, 3})});
  check_grad("det batched", gradient_of([](const TensorList& x) { return la::det(x[0]); }), {L({2, 3, 3})});
}
