// CPU linear algebra: Backend::linalg through the LAPACK in wick's OpenBLAS.
//
// Debian's OpenBLAS carries the whole reference LAPACK (with its own faster
// getrf, potrf and trsm) as Fortran functions, and no LAPACKE. wick looks them
// up by name in the OpenBLAS it already opened (Note [Loading OpenBLAS] in
// blas.cpp), so LAPACK runs the kernels wick chose for the CPU, and links
// nothing new. Each routine works on one column-major matrix in place; this
// file walks a batch of them (core/dispatch.h: LinalgArgs), sizes the
// workspaces by LAPACK's own queries, and writes each matrix's info.
#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "core/parallel.h"

namespace wick::cpu {

namespace {

// Note [Calling Fortran LAPACK]
// The Fortran ABI: every argument by pointer, matrices column-major with a
// leading dimension, `info` written last, and after all arguments one hidden
// length per CHARACTER argument (size_t since gfortran 8). Leaving the hidden
// lengths out works until gfortran turns a call into a tail call that reuses
// the caller's stack for them, so they are always passed (1 each). Integers
// are 32-bit: OpenBLAS is built without INTERFACE64, so sizes past INT_MAX
// are refused before a call.
using Len = size_t;
constexpr Len kOne = 1;

template <typename T>
struct Lapack {
  void (*getrf)(const int* m, const int* n, T* a, const int* lda, int* ipiv, int* info);
  void (*getrs)(const char* trans, const int* n, const int* nrhs, const T* a, const int* lda, const int* ipiv, T* b,
                const int* ldb, int* info, Len);
  void (*potrf)(const char* uplo, const int* n, T* a, const int* lda, int* info, Len);
  void (*trsm)(const char* side, const char* uplo, const char* transa, const char* diag, const int* m, const int* n,
               const T* alpha, const T* a, const int* lda, T* b, const int* ldb, Len, Len, Len, Len);
  void (*geqrf)(const int* m, const int* n, T* a, const int* lda, T* tau, T* work, const int* lwork, int* info);
  void (*orgqr)(const int* m, const int* n, const int* k, T* a, const int* lda, const T* tau, T* work,
                const int* lwork, int* info);
  void (*syevd)(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w, T* work,
                const int* lwork, int* iwork, const int* liwork, int* info, Len, Len);
  void (*gesdd)(const char* jobz, const int* m, const int* n, T* a, const int* lda, T* s, T* u, const int* ldu, T* vt,
                const int* ldvt, T* work, const int* lwork, int* iwork, int* info, Len);
  void (*gelsy)(const int* m, const int* n, const int* nrhs, T* a, const int* lda, T* b, const int* ldb, int* jpvt,
                const T* rcond, int* rank, T* work, const int* lwork, int* info);
  void (*gelsd)(const int* m, const int* n, const int* nrhs, T* a, const int* lda, T* b, const int* ldb, T* s,
                const T* rcond, int* rank, T* work, const int* lwork, int* iwork, int* info);
  void (*gelss)(const int* m, const int* n, const int* nrhs, T* a, const int* lda, T* b, const int* ldb, T* s,
                const T* rcond, int* rank, T* work, const int* lwork, int* info);
  void (*gels)(const char* trans, const int* m, const int* n, const int* nrhs, T* a, const int* lda, T* b,
               const int* ldb, T* work, const int* lwork, int* info, Len);
  void (*sytrf)(const char* uplo, const int* n, T* a, const int* lda, int* ipiv, T* work, const int* lwork, int* info,
                Len);
  void (*sytrs)(const char* uplo, const int* n, const int* nrhs, const T* a, const int* lda, const int* ipiv, T* b,
                const int* ldb, int* info, Len);
};

// LAPACK's routines for T ('s' for float, 'd' for double), looked up once.
template <typename T>
const Lapack<T>& lapack() {
  static const Lapack<T> table = [] {
    void* lib = openblas_library();
    const char prefix = std::is_same_v<T, float> ? 's' : 'd';
    auto sym = [&](auto& fn, const char* name) {
      const std::string full = std::string(1, prefix) + name + "_";
      void* f = dlsym(lib, full.c_str());
      WICK_CHECK(f != nullptr, Error, "the OpenBLAS wick loaded has no LAPACK routine ", full,
                 " (apt-get install libopenblas0-openmp, which includes LAPACK)");
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(f);
    };
    Lapack<T> t{};
    sym(t.getrf, "getrf");
    sym(t.getrs, "getrs");
    sym(t.potrf, "potrf");
    sym(t.trsm, "trsm");
    sym(t.geqrf, "geqrf");
    sym(t.orgqr, "orgqr");
    sym(t.syevd, "syevd");
    sym(t.gesdd, "gesdd");
    sym(t.gelsy, "gelsy");
    sym(t.gelsd, "gelsd");
    sym(t.gelss, "gelss");
    sym(t.gels, "gels");
    sym(t.sytrf, "sytrf");
    sym(t.sytrs, "sytrs");
    return t;
  }();
  note_thread_pool_use();  // every LAPACK call goes through here: Note [OpenMP after fork]
  return table;
}

// A batch of column-major matrices [B, r, c] (LinalgArgs): element (i, j) of
// matrix b at p + b * bs + i + j * ld.
template <typename T>
struct Batch {
  T* p = nullptr;
  int64_t bs = 0;
  int rows = 0, cols = 0, ld = 1;
  T* operator[](int64_t b) const { return p + b * bs; }
};

int lapack_int(int64_t v, const char* what) {
  WICK_CHECK(v <= std::numeric_limits<int>::max(), NotImplementedError, "linalg: ", what, " of ", v,
             " exceeds LAPACK's 32-bit integer range");
  return static_cast<int>(v);
}

template <typename T>
Batch<T> batch_of(const Tensor& t) {
  if (!t.defined()) return {};
  Batch<T> m;
  m.p = t.data_ptr<T>();
  m.bs = t.stride(0);
  m.rows = lapack_int(t.size(1), "a matrix dimension");
  m.cols = lapack_int(t.size(2), "a matrix dimension");
  m.ld = std::max(1, m.rows);
  return m;
}

// A per-matrix vector (pivots, tau, values, info, rank): element b's start.
template <typename T>
T* row(const Tensor& t, int64_t b) {
  return t.defined() ? t.data_ptr<T>() + b * (t.dim() > 1 ? t.stride(0) : 1) : nullptr;
}

// Runs f(begin, end) over the batch: one matrix on the calling thread (where
// OpenBLAS threads the routine itself), several split across wick's threads
// (each routine single-threaded inside the region, as in matmul_blas). `work`
// is one matrix's multiply-adds, roughly.
template <typename F>
void over_batch(int64_t batch, int64_t work, const F& f) {
  if (batch == 1) return f(int64_t{0}, int64_t{1});
  parallel_for(batch, std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(work, 1)), f);
}

// LAPACK's workspace answer (a float count) as a size to allocate.
template <typename T>
int work_size(T query) {
  return std::max(1, static_cast<int>(static_cast<double>(query)));
}

template <typename T>
void run(LinalgOp op, const LinalgArgs& args) {
  const Lapack<T>& L = lapack<T>();
  const Batch<T> A = batch_of<T>(args.a), B = batch_of<T>(args.b);
  const int64_t batch = args.a.size(0);
  const int m = A.rows, n = A.cols, k = std::min(m, n);
  const int64_t work = int64_t{m} * n * std::max(k, 1);
  int* info_base = args.info.defined() ? args.info.data_ptr<int32_t>() : nullptr;
  auto info_of = [&](int64_t b) -> int* {
    static thread_local int scratch = 0;
    return info_base ? info_base + b : &scratch;
  };
  const char uplo = args.upper ? 'U' : 'L';
  switch (op) {
    case LinalgOp::LuFactor:
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) L.getrf(&m, &n, A[b], &A.ld, row<int32_t>(args.pivots, b), info_of(b));
      });
    case LinalgOp::LuSolve: {
      const char trans = args.transpose ? 'T' : 'N';
      return over_batch(batch, int64_t{n} * n * B.cols, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
          L.getrs(&trans, &n, &B.cols, A[b], &A.ld, row<int32_t>(args.pivots, b), B[b], &B.ld, info_of(b), kOne);
      });
    }
    case LinalgOp::Cholesky:
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) L.potrf(&uplo, &n, A[b], &A.ld, info_of(b), kOne);
      });
    case LinalgOp::TriangularSolve: {
      const char side = 'L', trans = args.transpose ? 'T' : 'N', diag = args.unit ? 'U' : 'N';
      const T one = 1;
      return over_batch(batch, int64_t{n} * n * B.cols, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
          L.trsm(&side, &uplo, &trans, &diag, &B.rows, &B.cols, &one, A[b], &A.ld, B[b], &B.ld, kOne, kOne, kOne,
                 kOne);
      });
    }
    case LinalgOp::Qr:
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1;
        T query = 0;
        L.geqrf(&m, &n, A[begin], &A.ld, row<T>(args.tau, begin), &query, &lwork, &info);
        lwork = work_size(query);
        std::vector<T> ws(static_cast<size_t>(lwork));
        for (int64_t b = begin; b < end; ++b)
          L.geqrf(&m, &n, A[b], &A.ld, row<T>(args.tau, b), ws.data(), &lwork, info_of(b));
      });
    case LinalgOp::HouseholderProduct: {
      const int reflectors = lapack_int(args.tau.size(1), "a reflector count");
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1;
        T query = 0;
        L.orgqr(&m, &n, &reflectors, A[begin], &A.ld, row<T>(args.tau, begin), &query, &lwork, &info);
        lwork = work_size(query);
        std::vector<T> ws(static_cast<size_t>(lwork));
        for (int64_t b = begin; b < end; ++b)
          L.orgqr(&m, &n, &reflectors, A[b], &A.ld, row<T>(args.tau, b), ws.data(), &lwork, info_of(b));
      });
    }
    case LinalgOp::Eigh: {
      const char jobz = args.vectors ? 'V' : 'N';
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1, liwork = -1, iquery = 0;
        T query = 0;
        L.syevd(&jobz, &uplo, &n, A[begin], &A.ld, row<T>(args.values, begin), &query, &lwork, &iquery, &liwork,
                &info, kOne, kOne);
        lwork = work_size(query);
        liwork = std::max(1, iquery);
        std::vector<T> ws(static_cast<size_t>(lwork));
        std::vector<int> iws(static_cast<size_t>(liwork));
        for (int64_t b = begin; b < end; ++b)
          L.syevd(&jobz, &uplo, &n, A[b], &A.ld, row<T>(args.values, b), ws.data(), &lwork, iws.data(), &liwork,
                  info_of(b), kOne, kOne);
      });
    }
    case LinalgOp::Svd: {
      const char jobz = !args.vectors ? 'N' : args.full ? 'A' : 'S';
      const Batch<T> U = batch_of<T>(args.u), Vh = batch_of<T>(args.vh);
      T unused = 0;
      auto u_of = [&](int64_t b) { return U.p ? U[b] : &unused; };
      auto vh_of = [&](int64_t b) { return Vh.p ? Vh[b] : &unused; };
      const int ldu = U.p ? U.ld : 1, ldvt = Vh.p ? Vh.ld : 1;
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1;
        T query = 0;
        std::vector<int> iws(static_cast<size_t>(std::max(1, 8 * k)));
        L.gesdd(&jobz, &m, &n, A[begin], &A.ld, row<T>(args.values, begin), u_of(begin), &ldu, vh_of(begin), &ldvt,
                &query, &lwork, iws.data(), &info, kOne);
        lwork = work_size(query);
        std::vector<T> ws(static_cast<size_t>(lwork));
        for (int64_t b = begin; b < end; ++b)
          L.gesdd(&jobz, &m, &n, A[b], &A.ld, row<T>(args.values, b), u_of(b), &ldu, vh_of(b), &ldvt, ws.data(),
                  &lwork, iws.data(), info_of(b), kOne);
      });
    }
    case LinalgOp::Lstsq: {
      const int nrhs = B.cols;
      const T rcond = static_cast<T>(args.rcond);
      auto rank_out = [&](int64_t b, int r) {
        if (args.rank.defined()) args.rank.data_ptr<int64_t>()[b] = r;
      };
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1, rank = 0, iquery = 0;
        T query = 0;
        std::vector<int> jpvt(static_cast<size_t>(std::max(1, n)));
        std::vector<T> s(args.values.defined() ? 0 : static_cast<size_t>(std::max(1, k)));
        auto s_of = [&](int64_t b) { return args.values.defined() ? row<T>(args.values, b) : s.data(); };
        switch (args.driver) {
          case 'y': L.gelsy(&m, &n, &nrhs, A[begin], &A.ld, B[begin], &B.ld, jpvt.data(), &rcond, &rank, &query,
                            &lwork, &info); break;
          case 'd': L.gelsd(&m, &n, &nrhs, A[begin], &A.ld, B[begin], &B.ld, s_of(begin), &rcond, &rank, &query,
                            &lwork, &iquery, &info); break;
          case 's': L.gelss(&m, &n, &nrhs, A[begin], &A.ld, B[begin], &B.ld, s_of(begin), &rcond, &rank, &query,
                            &lwork, &info); break;
          default: {
            const char trans = 'N';
            L.gels(&trans, &m, &n, &nrhs, A[begin], &A.ld, B[begin], &B.ld, &query, &lwork, &info, kOne);
          }
        }
        lwork = work_size(query);
        std::vector<T> ws(static_cast<size_t>(lwork));
        std::vector<int> iws(static_cast<size_t>(std::max(1, iquery)));
        for (int64_t b = begin; b < end; ++b) {
          switch (args.driver) {
            case 'y':
              std::fill(jpvt.begin(), jpvt.end(), 0);  // every column free to move
              L.gelsy(&m, &n, &nrhs, A[b], &A.ld, B[b], &B.ld, jpvt.data(), &rcond, &rank, ws.data(), &lwork,
                      info_of(b));
              break;
            case 'd':
              L.gelsd(&m, &n, &nrhs, A[b], &A.ld, B[b], &B.ld, s_of(b), &rcond, &rank, ws.data(), &lwork,
                      iws.data(), info_of(b));
              break;
            case 's':
              L.gelss(&m, &n, &nrhs, A[b], &A.ld, B[b], &B.ld, s_of(b), &rcond, &rank, ws.data(), &lwork,
                      info_of(b));
              break;
            default: {
              const char trans = 'N';
              L.gels(&trans, &m, &n, &nrhs, A[b], &A.ld, B[b], &B.ld, ws.data(), &lwork, info_of(b), kOne);
              rank = k;
            }
          }
          rank_out(b, rank);
        }
      });
    }
    case LinalgOp::LdlFactor:
      return over_batch(batch, work, [&](int64_t begin, int64_t end) {
        int info = 0, lwork = -1;
        T query = 0;
        L.sytrf(&uplo, &n, A[begin], &A.ld, row<int32_t>(args.pivots, begin), &query, &lwork, &info, kOne);
        lwork = work_size(query);
        std::vector<T> ws(static_cast<size_t>(lwork));
        for (int64_t b = begin; b < end; ++b)
          L.sytrf(&uplo, &n, A[b], &A.ld, row<int32_t>(args.pivots, b), ws.data(), &lwork, info_of(b), kOne);
      });
    case LinalgOp::LdlSolve:
      return over_batch(batch, int64_t{n} * n * B.cols, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b)
          L.sytrs(&uplo, &n, &B.cols, A[b], &A.ld, row<int32_t>(args.pivots, b), B[b], &B.ld, info_of(b), kOne);
      });
  }
}

}  // namespace

void linalg(LinalgOp op, const LinalgArgs& args) {
  // Empty matrices and batches: nothing to compute (ops/decomp.cpp gives their results).
  if (args.a.numel() == 0 || (args.b.defined() && args.b.numel() == 0)) return;
  openblas_library();  // load OpenBLAS on the calling thread, never first inside a parallel region
  switch (args.a.dtype()) {
    case ScalarType::Float32: return run<float>(op, args);
    case ScalarType::Float64: return run<double>(op, args);
    default: break;
  }
  WICK_THROW(NotImplementedError, "linalg: no CPU kernel for dtype ", args.a.dtype());
}

}  // namespace wick::cpu
