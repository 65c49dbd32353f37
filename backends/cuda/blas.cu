// CUDA matrix products: out = alpha * a @ b + beta * out over a batch, with
// the CPU kernel's semantics (backends/cpu/blas.cpp). Each operand is a
// [B, r, c] batch or an [r, c] matrix, read as a batch of one (or, next to 3-D
// operands, a broadcast matrix: batch stride 0).
//
// float32/float64 go to cuBLAS, integer dtypes to a tiled kernel with the
// CPU's wrapping arithmetic. See Note [cuBLAS layouts].
#include <cublas_v2.h>

#include <limits>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/cuda/cublas_handle.h"
#include "backends/cuda/loops.cuh"
#include "backends/matrix_operand.h"
#include "core/cuda_info.h"

namespace wick::cuda {

void check_cublas(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) [[unlikely]]
    WICK_THROW(Error, "cuBLAS error: ", cublasGetStatusString(status), " (", cublasGetStatusName(status), ") from ",
               call);
}

// One cuBLAS handle per device, created on first use and kept for the
// process (destroying it at exit could run after the CUDA context is gone).
// It runs on the legacy default stream, like every wick kernel, and keeps
// cuBLAS's default math mode: TF32 is asked for per call through the compute
// type (wick::cuda::allow_tf32()), so the handle's state never changes after
// creation and threads may share it (solver.cu's triangular solves use it
// too, cublas_handle.h). cuBLAS allocates its own workspace.
cublasHandle_t cublas_handle(Device device) {
  static std::mutex mutex;
  static std::vector<cublasHandle_t>* handles = new std::vector<cublasHandle_t>();  // never destroyed (above)
  std::lock_guard lock(mutex);
  if (handles->empty()) handles->resize(static_cast<size_t>(device_count()), nullptr);
  WICK_CHECK(device.index >= 0 && static_cast<size_t>(device.index) < handles->size(), Error, "device ", device,
             " is not available");
  cublasHandle_t& h = (*handles)[static_cast<size_t>(device.index)];
  if (h == nullptr) {
    DeviceGuard guard(device);  // a handle belongs to the device current at cublasCreate
    cublasHandle_t created = nullptr;
    check_cublas(cublasCreate(&created), "cublasCreate");
    // Stream 0: the legacy default stream, where wick's kernels run (nothing is built with per-thread default streams).
    check_cublas(cublasSetStream(created, nullptr), "cublasSetStream");
    h = created;
  }
  return h;
}

namespace {

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

using matrix_operand::Dims;
using matrix_operand::Mat;
using matrix_operand::dims;
using matrix_operand::mat;

// Note [cuBLAS layouts]
// cuBLAS is column-major: it reads an r x c matrix M stored with leading
// dimension ld at M(i, j) = p[i + j * ld], and applies op N (M) or T (M^T).
// A wick matrix with unit row stride is such an M (op N, ld = its column
// stride); one with unit column stride (row-major) is the transpose of one
// (op T, ld = its row stride). Either way it is read in place, whatever its
// leading dimension, as long as ld covers one stored column and fits an int;
// any other operand is copied once to a contiguous buffer. The output must be
// column-major for cuBLAS, so a row-major output (the usual case) is computed
// as out^T = b^T @ a^T, which swaps the operands and flips their ops: no
// operand is ever copied to express a transpose. An output no layout fits
// (overlapping or padded rows and columns) is computed into a temporary.
// A batch is one cublasGemmStridedBatchedEx call (a wick batch always has a
// uniform stride; a broadcast matrix has stride 0), and a broadcast left
// factor of evenly spaced right factors is one wide product,
// [C_0 C_1 ...] = A [B_0 B_1 ...] (nn.Linear over a 3-D input).
struct Layout {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 0;
};

Layout layout(int64_t r, int64_t c, int64_t rs, int64_t cs) {
  // The stride of a size-1 dim is never used; ld must cover one stored column.
  if ((rs == 1 || r == 1) && (c == 1 || (cs >= std::max<int64_t>(r, 1) && cs <= kIntMax)))
    return {true, CUBLAS_OP_N, c == 1 ? std::max<int64_t>(r, 1) : cs};
  if ((cs == 1 || c == 1) && (r == 1 || (rs >= std::max<int64_t>(c, 1) && rs <= kIntMax)))
    return {true, CUBLAS_OP_T, r == 1 ? std::max<int64_t>(c, 1) : rs};
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

// A fresh contiguous tensor on x's device (scratch space, never seen by autograd).
Tensor scratch(IntArrayRef sizes, ScalarType dtype, Device device) {
  DimVector strides(sizes.size());
  int64_t numel = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = numel;
    numel *= sizes[d];
  }
  auto storage = StorageImpl::create(static_cast<size_t>(numel) * itemsize(dtype), device);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

// x itself when cuBLAS can read its matrices, else a contiguous copy; a
// broadcast batch (stride 0) is copied once and stays broadcast.
Tensor cublas_readable(const Tensor& x) {
  if (layout_of(x).ok) return x;
  const Dims d = dims(x);
  const bool shared = d.batch > 1 && d.bs == 0;
  const Tensor src = shared ? raw_view(x, {1, d.rows, d.cols}, {0, d.rs, d.cs}) : x;
  Tensor dst = scratch(src.sizes(), x.dtype(), x.device());
  copy(dst, src);
  return shared ? raw_view(dst, x.sizes(), {0, d.cols, 1}) : dst;
}

template <typename T>
void matmul_cublas(const Tensor& out, const Tensor& a, const Tensor& b, T alpha, T beta) {
  if (!layout_of(out).ok) {
    Tensor tmp = scratch(out.sizes(), out.dtype(), out.device());
    if (beta != T(0)) copy(tmp, out);
    matmul_cublas<T>(tmp, a, b, alpha, beta);
    copy(out, tmp);
    return;
  }
  const Tensor ar = cublas_readable(a), br = cublas_readable(b);
  Mat<T> A = mat<T>(ar), B = mat<T>(br), C = mat<T>(out);
  if (layout(C).op == CUBLAS_OP_T) {  // cuBLAS writes column-major C only: out^T = b^T @ a^T
    std::swap(A, B);
    A = A.t();
    B = B.t();
    C = C.t();
  }
  int64_t batch = dims(out).batch;
  // (Only while the wide product's width fits cuBLAS's int: else the batch stays a batch.)
  if (batch > 1 && A.bs == 0 && B.bs == B.cols * B.cs && C.bs == C.cols * C.cs && C.cols * batch <= kIntMax) {
    Mat<T> B2 = B, C2 = C;
    B2.cols *= batch;
    C2.cols *= batch;
    if (layout(B2).ok && layout(C2).ok && layout(C2).op == CUBLAS_OP_N) {
      B = B2;
      C = C2;
      batch = 1;
    }
  }
  const int64_t n = C.rows, m = C.cols, k = A.cols;
  WICK_CHECK(n <= kIntMax && m <= kIntMax && k <= kIntMax && batch <= kIntMax, NotImplementedError,
             "matmul: matrix dimensions (", n, ", ", k, ", ", m, ") or batch ", batch,
             " exceed cuBLAS's 32-bit integer range");
  const Layout la = layout(A), lb = layout(B), lc = layout(C);
  constexpr bool kFloat = std::is_same_v<T, float>;
  const cudaDataType_t type = kFloat ? CUDA_R_32F : CUDA_R_64F;
  const cublasComputeType_t compute =
      kFloat ? (allow_tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F) : CUBLAS_COMPUTE_64F;
  const Device device = out.device();
  cublasHandle_t h = cublas_handle(device);
  DeviceGuard guard(device);
  // cuBLAS ignores C's old values when beta == 0, NaN included, as the Backend contract asks.
  if (batch == 1) {
    check_cublas(cublasGemmEx(h, la.op, lb.op, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha,
                              A.p, type, static_cast<int>(la.ld), B.p, type, static_cast<int>(lb.ld), &beta, C.p,
                              type, static_cast<int>(lc.ld), compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
  } else {
    check_cublas(cublasGemmStridedBatchedEx(h, la.op, lb.op, static_cast<int>(n), static_cast<int>(m),
                                            static_cast<int>(k), &alpha, A.p, type, static_cast<int>(la.ld), A.bs,
                                            B.p, type, static_cast<int>(lb.ld), B.bs, &beta, C.p, type,
                                            static_cast<int>(lc.ld), C.bs, static_cast<int>(batch), compute,
                                            CUBLAS_GEMM_DEFAULT),
                 "cublasGemmStridedBatchedEx");
  }
}

// ---- integer dtypes ---------------------------------------------------------------

// An integral alpha or beta in the wrapping arithmetic of the integer kernel.
template <typename T>
std::make_unsigned_t<T> as_unsigned(double v) {
  return static_cast<std::make_unsigned_t<T>>(static_cast<int64_t>(v));
}

template <typename T>
struct IntMat {
  const T* p;
  int64_t bs, rs, cs;
};

constexpr int kTile = 16;

// C = al * A @ B (+ be * C when keep) in unsigned, wrapping arithmetic, as
// the CPU's matmul_loop. A kTile x kTile block of threads computes one tile of
// C, staging kTile-wide slabs of A's rows and B's columns in shared memory;
// blocks loop over the tiles of all matrices of the batch, so the grid needs
// no y or z dimension. Every thread of a block runs the same number of slab
// iterations (out-of-range entries load as 0), as __syncthreads requires.
template <typename T>
__global__ void int_matmul_kernel(int64_t n, int64_t m, int64_t k, int64_t tiles, IntMat<T> A, IntMat<T> B, T* C,
                                  int64_t cbs, int64_t crs, int64_t ccs, std::make_unsigned_t<T> al,
                                  std::make_unsigned_t<T> be, bool keep) {
  using U = std::make_unsigned_t<T>;
  __shared__ U as[kTile][kTile];
  __shared__ U bs[kTile][kTile];
  const int tr = static_cast<int>(threadIdx.y), tc = static_cast<int>(threadIdx.x);
  const int64_t tiles_n = (n + kTile - 1) / kTile, tiles_m = (m + kTile - 1) / kTile;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t bi = t / (tiles_n * tiles_m), rem = t % (tiles_n * tiles_m);
    const int64_t row = rem / tiles_m * kTile + tr, col = rem % tiles_m * kTile + tc;
    const T* pa = A.p + bi * A.bs;
    const T* pb = B.p + bi * B.bs;
    U acc = 0;
    for (int64_t k0 = 0; k0 < k; k0 += kTile) {
      as[tr][tc] = row < n && k0 + tc < k ? static_cast<U>(pa[row * A.rs + (k0 + tc) * A.cs]) : U(0);
      bs[tr][tc] = k0 + tr < k && col < m ? static_cast<U>(pb[(k0 + tr) * B.rs + col * B.cs]) : U(0);
      __syncthreads();
      for (int q = 0; q < kTile; ++q) acc = static_cast<U>(acc + as[tr][q] * bs[q][tc]);
      __syncthreads();
    }
    if (row < n && col < m) {
      T& o = C[bi * cbs + row * crs + col * ccs];
      const U v = static_cast<U>(al * acc);
      o = static_cast<T>(keep ? static_cast<U>(v + be * static_cast<U>(o)) : v);
    }
  }
}

template <typename T>
void matmul_int(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  const Dims da = dims(a), db = dims(b), dc = dims(out);
  const int64_t n = dc.rows, m = dc.cols, k = da.cols;
  const int64_t tiles = dc.batch * ((n + kTile - 1) / kTile) * ((m + kTile - 1) / kTile);
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // beyond this, blocks loop
  const IntMat<T> A{static_cast<const T*>(a.raw_data()), da.bs, da.rs, da.cs};
  const IntMat<T> B{static_cast<const T*>(b.raw_data()), db.bs, db.rs, db.cs};
  DeviceGuard guard(out.device());
  int_matmul_kernel<T><<<static_cast<unsigned>(std::min(tiles, kMaxBlocks)), dim3(kTile, kTile)>>>(
      n, m, k, tiles, A, B, static_cast<T*>(out.raw_data()), dc.bs, dc.rs, dc.cs, as_unsigned<T>(alpha),
      as_unsigned<T>(beta), beta != 0);
  check(cudaGetLastError(), "int_matmul_kernel");
}

// out = beta * out, the whole product when the inner dimension is empty, in
// the CPU's arithmetic (double for floating types, wrapping for integers).
template <typename T>
struct ScaleBy {
  double beta;
  __device__ T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(x * beta);
    } else {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(static_cast<U>(static_cast<int64_t>(beta)) * static_cast<U>(x)));
    }
  }
};

template <typename T>
void scale(const Tensor& out, double beta) {
  if (beta == 0) return fill(out, 0);  // ignores NaN in out
  launch_unary<T, T>(out, out, ScaleBy<T>{beta}, "matmul");
}

}  // namespace

void matmul(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  if (out.numel() == 0) return;
  const bool empty_k = dims(a).cols == 0;
  switch (out.dtype()) {
    case ScalarType::Float32:
      return empty_k ? scale<float>(out, beta)
                     : matmul_cublas<float>(out, a, b, static_cast<float>(alpha), static_cast<float>(beta));
    case ScalarType::Float64:
      return empty_k ? scale<double>(out, beta) : matmul_cublas<double>(out, a, b, alpha, beta);
    case ScalarType::Int64:
      return empty_k ? scale<int64_t>(out, beta) : matmul_int<int64_t>(out, a, b, alpha, beta);
    case ScalarType::Int32:
      return empty_k ? scale<int32_t>(out, beta) : matmul_int<int32_t>(out, a, b, alpha, beta);
    case ScalarType::UInt8:
      return empty_k ? scale<uint8_t>(out, beta) : matmul_int<uint8_t>(out, a, b, alpha, beta);
    default:
      break;
  }
  WICK_THROW(NotImplementedError, "matmul: no CUDA kernel for dtype ", out.dtype());
}

}  // namespace wick::cuda
