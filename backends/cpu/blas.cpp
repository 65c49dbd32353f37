// CPU matrix products: out = alpha * a @ b + beta * out over a batch. Each
// operand is a [B, r, c] batch or an [r, c] matrix, read as a batch of one
// (so mm and the RNN's gemms pass their matrices without making 3-D views).
//
// float32/float64 go to OpenBLAS. BLAS reads a matrix in place when it is
// row-major (unit column stride) or column-major (unit row stride, passed as
// the transpose of a row-major matrix), whatever its leading dimension; any
// other matrix is copied once. The output must be row-major for cblas, so a
// column-major output is computed as out^T = b^T @ a^T. One product runs on
// the calling thread and OpenBLAS parallelises it; a batch of small products
// is split across threads, where each gemm runs single-threaded (OpenBLAS's
// OpenMP build does so inside a parallel region, see Note [One thread pool]
// in CMakeLists.txt).
//
// Integer dtypes use a plain i-k-j loop with wrapping arithmetic.
#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <string>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/cpu/cpu_backend.h"
#include "backends/cpu/info.h"
#include "backends/cpu/loops.h"
#include "backends/matrix_operand.h"
#include "core/cpu_features.h"
#include "core/parallel.h"
#include "core/warning.h"

namespace wick::cpu {

namespace {

constexpr int64_t kBlasMaxInt = std::numeric_limits<int>::max();
// Multiply-adds below which a product is not worth a thread of its own.
constexpr int64_t kGemmGrain = int64_t{1} << 15;
// Products at least this large are threaded by OpenBLAS itself.
constexpr int64_t kBlasThreadedMacs = int64_t{1} << 21;

using matrix_operand::Dims;
using matrix_operand::Mat;
using matrix_operand::dims;
using matrix_operand::mat;

// How BLAS can read an r x c matrix with strides (rs, cs) in place.
struct Layout {
  bool ok = false;
  CBLAS_TRANSPOSE trans = CblasNoTrans;  // Trans: stored as a row-major c x r matrix
  int64_t ld = 0;
};

Layout layout(int64_t r, int64_t c, int64_t rs, int64_t cs) {
  // The stride of a size-1 dim is never used; ld must cover one stored row.
  if ((cs == 1 || c == 1) && (r == 1 || (rs >= std::max<int64_t>(c, 1) && rs <= kBlasMaxInt)))
    return {true, CblasNoTrans, r == 1 ? std::max<int64_t>(c, 1) : rs};
  if ((rs == 1 || r == 1) && (c == 1 || (cs >= std::max<int64_t>(r, 1) && cs <= kBlasMaxInt)))
    return {true, CblasTrans, c == 1 ? std::max<int64_t>(r, 1) : cs};
  return {};
}

template <typename T>
Layout layout(const Mat<T>& m) {
  return layout(m.rows, m.cols, m.rs, m.cs);
}

Layout layout_of(const Tensor& x) {
  const Dims d = dims(x);
  return layout(d.rows, d.cols, d.rs, d.cs);
}

// A fresh contiguous CPU tensor (backend scratch space, never seen by autograd).
Tensor scratch(IntArrayRef sizes, ScalarType dtype) {
  DimVector strides(sizes.size());
  int64_t numel = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = numel;
    numel *= sizes[d];
  }
  auto storage = StorageImpl::create(static_cast<size_t>(numel) * itemsize(dtype), kCPU);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

// x itself when BLAS can read its matrices, else a contiguous copy; a
// broadcast batch (stride 0) is copied once and stays broadcast.
Tensor blas_readable(const Tensor& x) {
  if (layout_of(x).ok) return x;
  const Dims d = dims(x);
  const bool shared = d.batch > 1 && d.bs == 0;
  const Tensor src = shared ? raw_view(x, {1, d.rows, d.cols}, {0, d.rs, d.cs}) : x;
  Tensor dst = scratch(src.sizes(), x.dtype());
  copy(dst, src);
  return shared ? raw_view(dst, x.sizes(), {0, d.cols, 1}) : dst;
}

// Note [Loading OpenBLAS]
// Debian's OpenBLAS builds (pthread, OpenMP, serial) all have the soname
// libopenblas.so.0, and NumPy and PyTorch load the pthread one. Linked the
// usual way, wick would get whichever a process loaded first: after
// `import numpy`, the pthread build, whose thread pool then fights wick's
// OpenMP threads (a parallel conv became 30x slower). So wick links no
// OpenBLAS; it opens the OpenMP build CMake found by its full path, which
// loads a copy of its own next to any other, with RTLD_DEEPBIND so that copy
// calls its own functions even where another OpenBLAS exported the same names
// globally (ASan cannot run with RTLD_DEEPBIND; sanitizer builds do without).

// Note [Choosing OpenBLAS's kernels]
// OpenBLAS built for many CPUs (DYNAMIC_ARCH, as Debian builds it) picks its
// kernels when it loads, from a table of CPU models. A CPU newer than the
// table falls back to the SSE3 "Prescott" kernels: on an Intel Xeon of family
// 6 model 207 (AVX-512 with BF16), which Debian 12's OpenBLAS 0.3.21 does not
// know, sgemm ran at 37 GFLOP/s on one core instead of 157-188. So wick
// chooses by instruction set, never by model: before OpenBLAS initialises, it
// names the kernels for the CPU's features in OPENBLAS_CORETYPE (Cooperlake
// for AVX-512 with BF16, SkylakeX for AVX-512, Zen or Haswell for AVX2 + FMA,
// Sandybridge for AVX; an older CPU is left to OpenBLAS), and removes the
// variable again once the library has loaded, so that child processes and
// other copies of OpenBLAS see the environment the user gave. A user's own
// OPENBLAS_CORETYPE wins; when it names kernels of a weaker instruction set
// than the CPU has, wick warns once. Measured on an AMD EPYC (Zen 4), where
// 0.3.21 knows the CPU and picks Cooperlake itself: 1024 sgemm on one core at
// 84-91 GFLOP/s by OpenBLAS's own choice, 98 with SkylakeX named, 38 with
// Prescott forced. (The environment is written once per process, on the
// first product, and glibc's setenv is not safe against a concurrent getenv
// in another thread: a risk wick takes for the three calls it makes.)

// How strong an OpenBLAS core's kernels are, by the instruction set they use.
enum class KernelIsa { Unknown, Sse, Avx, Avx2, Avx512 };

const char* to_string(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Sse: return "SSE";
    case KernelIsa::Avx: return "AVX";
    case KernelIsa::Avx2: return "AVX2";
    case KernelIsa::Avx512: return "AVX-512";
    case KernelIsa::Unknown: break;
  }
  return "unknown";
}

// The instruction set of an OpenBLAS x86-64 core (openblas_get_corename()'s
// spelling, any case); Unknown for a name this table does not have.
KernelIsa kernel_isa(std::string core) {
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* n : {"skylakex", "cooperlake", "sapphirerapids"})
    if (core == n) return KernelIsa::Avx512;
  for (const char* n : {"haswell", "zen", "excavator"})
    if (core == n) return KernelIsa::Avx2;
  for (const char* n : {"sandybridge", "bulldozer", "piledriver", "steamroller"})
    if (core == n) return KernelIsa::Avx;
  for (const char* n : {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "barcelona",
                        "opteron", "opteron_sse3", "bobcat", "katmai", "coppermine", "northwood", "banias"})
    if (core == n) return KernelIsa::Sse;
  return KernelIsa::Unknown;
}

// The strongest kernels the CPU can run, and the OpenBLAS core that has them
// (nullptr: leave the choice to OpenBLAS).
std::pair<KernelIsa, const char*> best_core(const CpuFeatures& f) {
  if (f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl)
    return {KernelIsa::Avx512, f.avx512_bf16 ? "Cooperlake" : "SkylakeX"};
  if (f.avx2 && f.fma) {
    const bool amd = f.vendor == "AuthenticAMD" || f.vendor == "HygonGenuine";
    return {KernelIsa::Avx2, amd ? "Zen" : "Haswell"};
  }
  if (f.avx) return {KernelIsa::Avx, "Sandybridge"};
  return {KernelIsa::Sse, nullptr};
}

struct Cblas {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&cblas_dgemm) dgemm = nullptr;
  decltype(&cblas_sgemv) sgemv = nullptr;
  decltype(&cblas_dgemv) dgemv = nullptr;
  const char* (*get_config)() = nullptr;  // optional: OpenBLAS's own functions
  const char* (*get_corename)() = nullptr;
  int (*get_num_threads)() = nullptr;
  void* library = nullptr;  // dlopen's handle, for the LAPACK table (backends/cpu/lapack.cpp)
  std::string path;
  std::string chosen_by;
};

const Cblas& cblas() {
  static const Cblas table = [] {
#if defined(WICK_SANITIZE)
    const int flags = RTLD_NOW | RTLD_LOCAL;
#else
    const int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif
    const auto [cpu_isa, core] = best_core(cpu_features());
    const char* user_core = std::getenv("OPENBLAS_CORETYPE");
    const bool ours = user_core == nullptr && core != nullptr;
    if (ours) setenv("OPENBLAS_CORETYPE", core, 1);
    std::string path = WICK_OPENBLAS_PATH;
    void* lib = dlopen(path.c_str(), flags);
    if (!lib) {  // the library moved since the build
      path = "libopenblas.so.0";
      lib = dlopen(path.c_str(), flags);
    }
    if (ours) unsetenv("OPENBLAS_CORETYPE");
    WICK_CHECK(lib != nullptr, Error, "cannot load OpenBLAS from ", WICK_OPENBLAS_PATH,
               " or libopenblas.so.0 (apt-get install libopenblas0-openmp): ", dlerror());
    auto sym = [lib](const char* name) {
      void* f = dlsym(lib, name);
      WICK_CHECK(f != nullptr, Error, "OpenBLAS at ", WICK_OPENBLAS_PATH, " lacks ", name);
      return f;
    };
    Cblas t;
    t.sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(sym("cblas_sgemm"));
    t.dgemm = reinterpret_cast<decltype(&cblas_dgemm)>(sym("cblas_dgemm"));
    t.sgemv = reinterpret_cast<decltype(&cblas_sgemv)>(sym("cblas_sgemv"));
    t.dgemv = reinterpret_cast<decltype(&cblas_dgemv)>(sym("cblas_dgemv"));
    t.get_config = reinterpret_cast<const char* (*)()>(dlsym(lib, "openblas_get_config"));
    t.get_corename = reinterpret_cast<const char* (*)()>(dlsym(lib, "openblas_get_corename"));
    t.get_num_threads = reinterpret_cast<int (*)()>(dlsym(lib, "openblas_get_num_threads"));
    t.library = lib;
    t.path = path;
    t.chosen_by = ours                ? "wick, by the CPU's instruction sets"
                  : user_core != nullptr ? std::string("the environment (OPENBLAS_CORETYPE=") + user_core + ")"
                                         : "OpenBLAS, by the CPU's model";
    const std::string loaded = t.get_corename ? t.get_corename() : "";
    if (user_core != nullptr && kernel_isa(loaded) != KernelIsa::Unknown && kernel_isa(loaded) < cpu_isa) {
      warn("OPENBLAS_CORETYPE=" + std::string(user_core) + " makes OpenBLAS run its " + loaded + " kernels (" +
           to_string(kernel_isa(loaded)) + ") on a CPU with " + to_string(cpu_isa) +
           ": matrix products and convolutions will be several times slower than this CPU allows. Unset "
           "OPENBLAS_CORETYPE to let wick choose by the CPU's instruction sets.");
    }
    return t;
  }();
  return table;
}

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc) {
  note_thread_pool_use();  // Note [OpenMP after fork]
  cblas().sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const double* a, int lda,
               const double* b, int ldb, double beta, double* c, int ldc) {
  note_thread_pool_use();  // Note [OpenMP after fork]
  cblas().dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemv(CBLAS_TRANSPOSE t, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
               float beta, float* y, int incy) {
  note_thread_pool_use();  // Note [OpenMP after fork]
  cblas().sgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
void blas_gemv(CBLAS_TRANSPOSE t, int m, int n, double alpha, const double* a, int lda, const double* x, int incx,
               double beta, double* y, int incy) {
  note_thread_pool_use();  // Note [OpenMP after fork]
  cblas().dgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

int to_int(int64_t v) { return static_cast<int>(v); }

// y = alpha * m @ x + beta * y for matrix m (with its layout l) and vectors
// of strides incx, incy.
template <typename T>
void gemv(const Mat<T>& m, const Layout& l, T alpha, const T* pm, const T* x, int64_t incx, T beta, T* y,
          int64_t incy) {
  // Trans: BLAS holds the stored (cols x rows) matrix and applies its transpose.
  const int64_t sr = l.trans == CblasNoTrans ? m.rows : m.cols, sc = l.trans == CblasNoTrans ? m.cols : m.rows;
  blas_gemv(l.trans, to_int(sr), to_int(sc), alpha, pm, to_int(l.ld), x, to_int(incx), beta, y, to_int(incy));
}

template <typename T>
void matmul_blas(const Tensor& out, const Tensor& a, const Tensor& b, T alpha, T beta) {
  cblas();  // load OpenBLAS on the calling thread, never first inside a parallel region
  if (!layout_of(out).ok) {  // e.g. an output with padded or overlapping rows and columns
    Tensor tmp = scratch(out.sizes(), out.dtype());
    if (beta != T(0)) copy(tmp, out);
    matmul_blas<T>(tmp, a, b, alpha, beta);
    copy(out, tmp);
    return;
  }
  const Tensor ar = blas_readable(a), br = blas_readable(b);
  Mat<T> A = mat<T>(ar), B = mat<T>(br), C = mat<T>(out);
  if (layout(C).trans == CblasTrans) {  // cblas writes row-major C only: out^T = b^T @ a^T
    std::swap(A, B);
    A = A.t();
    B = B.t();
    C = C.t();
  }
  int64_t batch = dims(out).batch;
  // A broadcast right operand with evenly spaced left rows is one tall product.
  // (Only while the tall product's height fits BLAS's int: else the batch stays a batch.)
  if (batch > 1 && B.bs == 0 && A.bs == A.rows * A.rs && C.bs == C.rows * C.rs && C.rows * batch <= kBlasMaxInt) {
    Mat<T> A2 = A, C2 = C;
    A2.rows *= batch;
    C2.rows *= batch;
    if (layout(A2).ok && layout(C2).ok && layout(C2).trans == CblasNoTrans) {
      A = A2;
      C = C2;
      batch = 1;
    }
  }
  const int64_t n = C.rows, m = C.cols, k = A.cols;
  WICK_CHECK(n <= kBlasMaxInt && m <= kBlasMaxInt && k <= kBlasMaxInt, NotImplementedError,
             "matmul: matrix dimensions (", n, ", ", k, ", ", m, ") exceed BLAS's 32-bit integer range");
  const Layout la = layout(A), lb = layout(B), lc = layout(C);
  const Mat<T> Bt = B.t();
  const Layout lbt = layout(Bt);

  auto product = [&](int64_t i) {
    const T* pa = A.p + i * A.bs;
    const T* pb = B.p + i * B.bs;
    T* pc = C.p + i * C.bs;
    if (m == 1) {  // out column = A @ b column
      gemv(A, la, alpha, pa, pb, k == 1 ? 1 : B.rs, beta, pc, n == 1 ? 1 : C.rs);
    } else if (n == 1) {  // out row^T = B^T @ a row^T
      gemv(Bt, lbt, alpha, pb, pa, k == 1 ? 1 : A.cs, beta, pc, C.cs);
    } else {
      blas_gemm(la.trans, lb.trans, to_int(n), to_int(m), to_int(k), alpha, pa, to_int(la.ld), pb, to_int(lb.ld),
                beta, pc, to_int(lc.ld));
    }
  };

  const int64_t macs = n * m * k;
  if (batch == 1) {
    product(0);
  } else if (batch < get_num_threads() && macs >= kBlasThreadedMacs) {
    for (int64_t i = 0; i < batch; ++i) product(i);
  } else {
    parallel_for(batch, std::max<int64_t>(1, kGemmGrain / std::max<int64_t>(macs, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) product(i);
    });
  }
}

// An integral alpha or beta in the wrapping arithmetic of matmul_loop.
template <typename T>
std::make_unsigned_t<T> as_unsigned(double v) {
  return static_cast<std::make_unsigned_t<T>>(static_cast<int64_t>(v));
}

template <typename T>
void matmul_loop(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  // Unsigned arithmetic: integer overflow wraps around instead of being undefined.
  using U = std::make_unsigned_t<T>;
  const Mat<T> A = mat<T>(a), B = mat<T>(b), C = mat<T>(out);
  const int64_t n = C.rows, m = C.cols, k = A.cols;
  const U al = as_unsigned<T>(alpha), be = as_unsigned<T>(beta);
  const bool keep = beta != 0;
  const int64_t rows = dims(out).batch * n;
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(k * m, 1)), [&](int64_t begin, int64_t end) {
    std::vector<U> acc(static_cast<size_t>(m));
    for (int64_t row = begin; row < end; ++row) {
      const int64_t bi = row / n, i = row % n;
      const T* pa = A.p + bi * A.bs + i * A.rs;
      const T* pb = B.p + bi * B.bs;
      T* pc = C.p + bi * C.bs + i * C.rs;
      std::fill(acc.begin(), acc.end(), U(0));
      for (int64_t p = 0; p < k; ++p) {
        const U x = static_cast<U>(pa[p * A.cs]);
        const T* brow = pb + p * B.rs;
        if (B.cs == 1) {
          for (int64_t j = 0; j < m; ++j) acc[j] = static_cast<U>(acc[j] + x * static_cast<U>(brow[j]));
        } else {
          for (int64_t j = 0; j < m; ++j) acc[j] = static_cast<U>(acc[j] + x * static_cast<U>(brow[j * B.cs]));
        }
      }
      for (int64_t j = 0; j < m; ++j) {
        T& o = pc[j * C.cs];
        const U v = static_cast<U>(al * acc[j]);
        o = static_cast<T>(keep ? static_cast<U>(v + be * static_cast<U>(o)) : v);
      }
    }
  });
}

// out = beta * out, the whole product when the inner dimension is empty.
template <typename T>
void scale(const Tensor& out, double beta) {
  if (beta == 0) return fill(out, 0);  // ignores NaN in out
  if constexpr (std::is_floating_point_v<T>) {
    unary_loop<T, T>(out, out, [beta](T x) { return static_cast<T>(x * beta); });
  } else {
    using U = std::make_unsigned_t<T>;
    const U be = as_unsigned<T>(beta);
    unary_loop<T, T>(out, out, [be](T x) { return static_cast<T>(static_cast<U>(be * static_cast<U>(x))); });
  }
}

}  // namespace

void* openblas_library() { return cblas().library; }

std::string best_kernel_isa(const CpuFeatures& features) { return to_string(best_core(features).first); }

BlasInfo blas_info() {
  const Cblas& t = cblas();
  BlasInfo i;
  i.library = "OpenBLAS";
  i.config = t.get_config ? t.get_config() : "";
  // openblas_get_config() begins "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
  std::istringstream words(i.config);
  std::string first;
  words >> first >> i.version;
  i.path = t.path;
  i.core = t.get_corename ? t.get_corename() : "unknown";
  i.core_isa = to_string(kernel_isa(i.core));
  i.chosen_by = t.chosen_by;
  i.threads = t.get_num_threads ? t.get_num_threads() : 1;
  return i;
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  if (out.numel() == 0) return;
  const bool empty_k = dims(a).cols == 0;
  switch (out.dtype()) {
    case ScalarType::Float32:
      return empty_k ? scale<float>(out, beta)
                     : matmul_blas<float>(out, a, b, static_cast<float>(alpha), static_cast<float>(beta));
    case ScalarType::Float64:
      return empty_k ? scale<double>(out, beta) : matmul_blas<double>(out, a, b, alpha, beta);
    case ScalarType::Int64:
      return empty_k ? scale<int64_t>(out, beta) : matmul_loop<int64_t>(out, a, b, alpha, beta);
    case ScalarType::Int32:
      return empty_k ? scale<int32_t>(out, beta) : matmul_loop<int32_t>(out, a, b, alpha, beta);
    case ScalarType::UInt8:
      return empty_k ? scale<uint8_t>(out, beta) : matmul_loop<uint8_t>(out, a, b, alpha, beta);
    default:
      break;
  }
  WICK_THROW(NotImplementedError, "matmul: no CPU kernel for dtype ", out.dtype());
}

}  // namespace wick::cpu
