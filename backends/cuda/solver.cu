// CUDA linear algebra (Backend::linalg): the LAPACK routines of LinalgOp over
// batches of column-major matrices (core/dispatch.h), through cuSOLVER, and
// cuBLAS for the triangular solves.
//
// Every matrix of a batch is one cuSOLVER call, through the 64-bit generic
// API (cusolverDnX*) where cuSOLVER has it and the legacy int API where it
// does not (sytrf, orgqr, ormqr); the workspace is sized once per call and
// reused over the batch. Everything runs on the device's legacy default
// stream, ordered with wick's other kernels, and nothing here synchronizes or
// reads a result on the host: cuSOLVER writes each matrix's info straight
// into args.info on the device, and the ops read it when they must. Note
// [cuSOLVER routines] says which op calls what.
#include <cublas_v2.h>
#include <cusolverDn.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "backends/cuda/block_reduce.cuh"
#include "backends/cuda/cublas_handle.h"
#include "backends/cuda/loops.cuh"

namespace wick::cuda {

namespace {

// Note [cuSOLVER routines]
//   LuFactor            cusolverDnXgetrf (int64 pivots into scratch, then converted to int32)
//   LuSolve             cusolverDnXgetrs (the int32 pivots converted to int64 first)
//   Cholesky            cusolverDnXpotrf
//   TriangularSolve     cublas{S,D}trsm_64, or cublas{S,D}trsmBatched_64 for a batch
//   Qr                  cusolverDnXgeqrf
//   HouseholderProduct  cusolverDn{S,D}orgqr (legacy; no 64-bit form exists)
//   Eigh                cusolverDnXsyevd
//   Svd                 cusolverDnXgesvd, of the transpose when m < n (Note [SVD of a wide matrix])
//   Lstsq               cusolverDnXgeqrf, cusolverDn{S,D}ormqr (legacy), cublas{S,D}trsm: 'gels' only
//   LdlFactor           cusolverDn{S,D}sytrf (legacy; no 64-bit form exists)
//   LdlSolve            cusolverDnXsytrs (the int32 pivots converted to int64 first)
// LAPACK's routines where cuSOLVER has none: gesdd -> gesvd (the same
// factorization; singular vectors may differ in sign, as between any two
// LAPACKs); gelsy/gelsd/gelss -> NotImplementedError, as in PyTorch, whose
// CUDA lstsq has only 'gels' and only for m >= n.

constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// cusolverStatus_t's enumerator name (cuSOLVER has no cusolverGetStatusName).
const char* status_name(cusolverStatus_t status) {
  switch (status) {
    case CUSOLVER_STATUS_SUCCESS: return "CUSOLVER_STATUS_SUCCESS";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_MAPPING_ERROR: return "CUSOLVER_STATUS_MAPPING_ERROR";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    case CUSOLVER_STATUS_ZERO_PIVOT: return "CUSOLVER_STATUS_ZERO_PIVOT";
    case CUSOLVER_STATUS_INVALID_LICENSE: return "CUSOLVER_STATUS_INVALID_LICENSE";
    case CUSOLVER_STATUS_INVALID_WORKSPACE: return "CUSOLVER_STATUS_INVALID_WORKSPACE";
    default: break;  // the IRS (iterative refinement) statuses, which no call here returns
  }
  return "unknown cusolverStatus_t";
}

// Throws wick::Error for a failed cuSOLVER call, naming the call and the status.
void check_cusolver(cusolverStatus_t status, const char* call) {
  if (status != CUSOLVER_STATUS_SUCCESS) [[unlikely]]
    WICK_THROW(Error, "cuSOLVER error: ", status_name(status), " (status ", static_cast<int>(status), ") from ",
               call);
}

// Note [cuSOLVER handles]
// One cuSOLVER handle, with its cusolverDnParams_t (default algorithms), per
// device, created on first use and kept for the process, as blas.cu keeps its
// cuBLAS handles (destroying one at exit could run after the CUDA context is
// gone). It runs on the legacy default stream, where wick's kernels run.
// cuSOLVER does not promise that threads may share a handle, so a device's
// solver mutex is held for a whole Backend::linalg call; the GPU runs the
// calls one after another on the one stream anyway, and only their host-side
// work is serialized.
struct Solver {
  std::mutex mutex;
  cusolverDnHandle_t handle = nullptr;
  cusolverDnParams_t params = nullptr;
};

Solver& solver(Device device) {
  static std::mutex mutex;
  static std::vector<Solver*>* solvers = new std::vector<Solver*>();  // never destroyed (above)
  std::lock_guard lock(mutex);
  if (solvers->empty())
    for (int i = 0; i < device_count(); ++i) solvers->push_back(new Solver());
  WICK_CHECK(device.index >= 0 && static_cast<size_t>(device.index) < solvers->size(), Error, "device ", device,
             " is not available");
  Solver& s = *(*solvers)[static_cast<size_t>(device.index)];
  if (s.handle == nullptr) {
    DeviceGuard guard(device);  // a handle belongs to the device current at cusolverDnCreate
    cusolverDnHandle_t created = nullptr;
    check_cusolver(cusolverDnCreate(&created), "cusolverDnCreate");
    // Stream 0: the legacy default stream (nothing is built with per-thread default streams).
    check_cusolver(cusolverDnSetStream(created, nullptr), "cusolverDnSetStream");
    cusolverDnParams_t params = nullptr;
    check_cusolver(cusolverDnCreateParams(&params), "cusolverDnCreateParams");
    s.params = params;
    s.handle = created;
  }
  return s;
}

// ---- operands -----------------------------------------------------------------------

// The matrices of a [B, r, c] batch laid out as LinalgArgs says: matrix i at
// p + i * r * c, column-major with leading dimension r (at least 1).
template <typename T>
struct Matrices {
  T* p = nullptr;
  int64_t count = 0, rows = 0, cols = 0;
  T* at(int64_t i) const { return p + i * rows * cols; }
  int64_t ld() const { return std::max<int64_t>(rows, 1); }
};

// The [B, k] vectors of pivots, tau or values: vector i at p + i * k.
template <typename T>
struct Vectors {
  T* p = nullptr;
  int64_t k = 0;
  T* at(int64_t i) const { return p + i * k; }
};

// The kernels hand raw pointers to cuSOLVER, so an operand that is not what
// LinalgArgs promises (dtype, device, batch, layout) would be read out of
// bounds: each is checked, cheaply, and a mismatch is an internal error. The
// layout of an empty operand is not checked: nothing reads it, and an empty
// tensor's strides count its zero sizes as 1 (core's contiguous_strides).
void expect(bool ok, const char* op, const char* what, const Tensor& t) {
  if (ok) [[likely]]
    return;
  if (!t.defined()) WICK_THROW(Error, op, ": the CUDA linalg kernel got an undefined ", what, " (an internal error)");
  WICK_THROW(Error, op, ": the CUDA linalg kernel got an unexpected ", what, ": sizes ", t.sizes(), ", strides ",
             t.strides(), ", dtype ", t.dtype(), ", device ", t.device(), " (an internal error)");
}

template <typename T>
Matrices<T> matrices(const Tensor& t, Device device, const char* op, const char* name) {
  expect(t.defined() && t.dim() == 3 && t.dtype() == dtype_of<T>() && t.device() == device, op, name, t);
  const int64_t b = t.size(0), r = t.size(1), c = t.size(2);
  const bool column_major =
      (r <= 1 || t.stride(1) == 1) && (c <= 1 || t.stride(2) == r) && (b <= 1 || t.stride(0) == r * c);
  expect(r * c == 0 || column_major, op, name, t);
  return {static_cast<T*>(t.raw_data()), b, r, c};
}

template <typename T>
Vectors<T> vectors(const Tensor& t, int64_t count, int64_t k, Device device, const char* op, const char* name) {
  expect(t.defined() && t.dim() == 2 && t.dtype() == dtype_of<T>() && t.device() == device && t.size(0) == count &&
             t.size(1) == k && (k == 0 || ((k == 1 || t.stride(1) == 1) && (count <= 1 || t.stride(0) == k))),
         op, name, t);
  return {static_cast<T*>(t.raw_data()), k};
}

// Where cuSOLVER writes each matrix's info: args.info's element when the op
// passed one, else one scratch int that every call overwrites (cuSOLVER
// always wants somewhere to write it; without an info the ops do not read it).
class Info {
 public:
  Info(const Tensor& info, int64_t count, Device device, const char* op) {
    if (info.defined()) {
      expect(info.dim() == 1 && info.dtype() == ScalarType::Int32 && info.device() == device &&
                 info.size(0) == count && (count <= 1 || info.stride(0) == 1),
             op, "info", info);
      p_ = static_cast<int*>(info.raw_data());
      count_ = count;
    } else {
      scratch_.emplace(device, sizeof(int));
      p_ = scratch_->as<int>();
    }
  }
  int* at(int64_t i) const { return count_ > 0 ? p_ + i : p_; }
  bool wanted() const { return count_ > 0; }
  // info = 0 for every matrix: LAPACK's answer for the empty matrices the ops skip.
  void clear() const {
    if (count_ > 0) check(cudaMemsetAsync(p_, 0, static_cast<size_t>(count_) * sizeof(int), cudaStreamLegacy),
                          "cudaMemsetAsync");
  }

 private:
  int* p_ = nullptr;
  int64_t count_ = 0;  // 0: the scratch int
  std::optional<DeviceBuffer> scratch_;
};

// The device and host workspaces of one call, as a _bufferSize query sized them.
struct Workspace {
  Workspace(Device device, size_t device_bytes, size_t host_bytes)
      : device_bytes(device_bytes), host_bytes(host_bytes), on_device(device, device_bytes), on_host(host_bytes) {}
  void* device_ptr() const { return on_device.as<void>(); }
  void* host_ptr() { return on_host.empty() ? nullptr : on_host.data(); }
  size_t device_bytes, host_bytes;
  DeviceBuffer on_device;
  std::vector<unsigned char> on_host;
};

template <typename T>
constexpr cudaDataType_t kDataType = std::is_same_v<T, float> ? CUDA_R_32F : CUDA_R_64F;

cublasFillMode_t fill_mode(bool upper) { return upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER; }

// NotImplementedError unless every size fits the int of the legacy API `routine`.
void check_int_sizes(const char* op, const char* routine, std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    WICK_CHECK(s <= kIntMax, NotImplementedError, op, ": on CUDA, ", routine,
               " takes 32-bit sizes, and a matrix dimension here is ", s, ", past 2^31 - 1");
}

// ---- small kernels --------------------------------------------------------------------

__device__ __forceinline__ int64_t first_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_step() { return static_cast<int64_t>(blockDim.x) * gridDim.x; }

// dst[i] = src[i]: pivots between LAPACK's int32 and cuSOLVER's 64-bit API.
template <typename To, typename From>
__global__ void convert_kernel(To* dst, const From* src, int64_t n) {
  for (int64_t i = first_index(); i < n; i += grid_step()) dst[i] = static_cast<To>(src[i]);
}

template <typename To, typename From>
void convert(To* dst, const From* src, int64_t n) {
  if (n == 0) return;
  convert_kernel<To, From><<<blocks_for(n), kThreads>>>(dst, src, n);
  check(cudaGetLastError(), "convert_kernel");
}

// dst = src^T: src is r x c with leading dimension r, dst c x r with leading dimension c.
template <typename T>
__global__ void transpose_kernel(T* dst, const T* src, int64_t r, int64_t c) {
  for (int64_t e = first_index(); e < r * c; e += grid_step()) {
    const int64_t i = e % r, j = e / r;
    dst[j + i * c] = src[e];
  }
}

template <typename T>
void transpose(T* dst, const T* src, int64_t r, int64_t c) {
  if (r * c == 0) return;
  transpose_kernel<T><<<blocks_for(r * c), kThreads>>>(dst, src, r, c);
  check(cudaGetLastError(), "transpose_kernel");
}

// Every m x n matrix of a batch (leading dimension m) = the first n columns of
// the m x m identity: H_1 ... H_k for k = 0 reflectors.
template <typename T>
__global__ void identity_kernel(T* a, int64_t m, int64_t n, int64_t total) {
  for (int64_t e = first_index(); e < total; e += grid_step()) {
    const int64_t within = e % (m * n);
    a[e] = within % m == within / m ? T(1) : T(0);
  }
}

// info[b] = the 1-based position of the first exact zero on the diagonal of
// the n x n upper triangle R of matrix b (leading dimension lda), else 0:
// LAPACK gels's info for a matrix without full rank (its trtrs check). One
// thread per matrix.
template <typename T>
__global__ void zero_diagonal_kernel(int* info, const T* a, int64_t count, int64_t stride, int64_t lda, int64_t n) {
  for (int64_t b = first_index(); b < count; b += grid_step()) {
    const T* r = a + b * stride;
    int first = 0;
    for (int64_t i = 0; i < n && first == 0; ++i)
      if (r[i + i * lda] == T(0)) first = static_cast<int>(i + 1);
    info[b] = first;
  }
}

// ptrs[i] = a + i * a_stride and ptrs[count + i] = b + i * b_stride: the
// pointer arrays of cuBLAS's batched calls.
template <typename T>
__global__ void batch_pointers_kernel(T** ptrs, T* a, int64_t a_stride, T* b, int64_t b_stride, int64_t count) {
  for (int64_t i = first_index(); i < count; i += grid_step()) {
    ptrs[i] = a + i * a_stride;
    ptrs[count + i] = b + i * b_stride;
  }
}

// ---- the legacy API, overloaded on the element type ----------------------------------------

cusolverStatus_t orgqr_buffer_size(cusolverDnHandle_t h, int m, int n, int k, const float* a, int lda,
                                   const float* tau, int* lwork) {
  return cusolverDnSorgqr_bufferSize(h, m, n, k, a, lda, tau, lwork);
}
cusolverStatus_t orgqr_buffer_size(cusolverDnHandle_t h, int m, int n, int k, const double* a, int lda,
                                   const double* tau, int* lwork) {
  return cusolverDnDorgqr_bufferSize(h, m, n, k, a, lda, tau, lwork);
}
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, float* a, int lda, const float* tau, float* work,
                       int lwork, int* info) {
  return cusolverDnSorgqr(h, m, n, k, a, lda, tau, work, lwork, info);
}
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, double* a, int lda, const double* tau,
                       double* work, int lwork, int* info) {
  return cusolverDnDorgqr(h, m, n, k, a, lda, tau, work, lwork, info);
}

// Q^T C for the Q of geqrf's reflectors (side left, transposed).
cusolverStatus_t ormqr_buffer_size(cusolverDnHandle_t h, int m, int n, int k, const float* a, int lda,
                                   const float* tau, const float* c, int ldc, int* lwork) {
  return cusolverDnSormqr_bufferSize(h, CUBLAS_SIDE_LEFT, CUBLAS_OP_T, m, n, k, a, lda, tau, c, ldc, lwork);
}
cusolverStatus_t ormqr_buffer_size(cusolverDnHandle_t h, int m, int n, int k, const double* a, int lda,
                                   const double* tau, const double* c, int ldc, int* lwork) {
  return cusolverDnDormqr_bufferSize(h, CUBLAS_SIDE_LEFT, CUBLAS_OP_T, m, n, k, a, lda, tau, c, ldc, lwork);
}
cusolverStatus_t ormqr(cusolverDnHandle_t h, int m, int n, int k, const float* a, int lda, const float* tau,
                       float* c, int ldc, float* work, int lwork, int* info) {
  return cusolverDnSormqr(h, CUBLAS_SIDE_LEFT, CUBLAS_OP_T, m, n, k, a, lda, tau, c, ldc, work, lwork, info);
}
cusolverStatus_t ormqr(cusolverDnHandle_t h, int m, int n, int k, const double* a, int lda, const double* tau,
                       double* c, int ldc, double* work, int lwork, int* info) {
  return cusolverDnDormqr(h, CUBLAS_SIDE_LEFT, CUBLAS_OP_T, m, n, k, a, lda, tau, c, ldc, work, lwork, info);
}

cusolverStatus_t sytrf_buffer_size(cusolverDnHandle_t h, int n, float* a, int lda, int* lwork) {
  return cusolverDnSsytrf_bufferSize(h, n, a, lda, lwork);
}
cusolverStatus_t sytrf_buffer_size(cusolverDnHandle_t h, int n, double* a, int lda, int* lwork) {
  return cusolverDnDsytrf_bufferSize(h, n, a, lda, lwork);
}
cusolverStatus_t sytrf(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, float* a, int lda, int* ipiv, float* work,
                       int lwork, int* info) {
  return cusolverDnSsytrf(h, uplo, n, a, lda, ipiv, work, lwork, info);
}
cusolverStatus_t sytrf(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, double* a, int lda, int* ipiv,
                       double* work, int lwork, int* info) {
  return cusolverDnDsytrf(h, uplo, n, a, lda, ipiv, work, lwork, info);
}

// b = op(a)^-1 b, left side, alpha = 1 (cuBLAS's 64-bit API).
cublasStatus_t trsm(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t op, cublasDiagType_t diag, int64_t m,
                    int64_t n, const float* a, int64_t lda, float* b, int64_t ldb) {
  const float one = 1;
  return cublasStrsm_64(h, CUBLAS_SIDE_LEFT, uplo, op, diag, m, n, &one, a, lda, b, ldb);
}
cublasStatus_t trsm(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t op, cublasDiagType_t diag, int64_t m,
                    int64_t n, const double* a, int64_t lda, double* b, int64_t ldb) {
  const double one = 1;
  return cublasDtrsm_64(h, CUBLAS_SIDE_LEFT, uplo, op, diag, m, n, &one, a, lda, b, ldb);
}
cublasStatus_t trsm_batched(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t op, cublasDiagType_t diag,
                            int64_t m, int64_t n, const float* const a[], int64_t lda, float* const b[], int64_t ldb,
                            int64_t count) {
  const float one = 1;
  return cublasStrsmBatched_64(h, CUBLAS_SIDE_LEFT, uplo, op, diag, m, n, &one, a, lda, b, ldb, count);
}
cublasStatus_t trsm_batched(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t op, cublasDiagType_t diag,
                            int64_t m, int64_t n, const double* const a[], int64_t lda, double* const b[], int64_t ldb,
                            int64_t count) {
  const double one = 1;
  return cublasDtrsmBatched_64(h, CUBLAS_SIDE_LEFT, uplo, op, diag, m, n, &one, a, lda, b, ldb, count);
}

// ---- the ops --------------------------------------------------------------------------

// What every op works with: the device's solver (its mutex held), the device
// (current), the op's name for messages.
struct Call {
  Solver& s;
  Device device;
  const char* op;
};

// b_i = op(a_i)^-1 b_i on the top n rows of every b_i (nrhs columns), for
// the n x n triangle of every a_i: one trsm, or one trsmBatched over pointer
// arrays a small kernel writes.
template <typename T>
void triangular_solve(const Call& c, const Matrices<T>& a, const Matrices<T>& b, int64_t n, int64_t nrhs, bool upper,
                      bool transpose, bool unit) {
  const cublasHandle_t h = cublas_handle(c.device);
  const cublasOperation_t op = transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasDiagType_t diag = unit ? CUBLAS_DIAG_UNIT : CUBLAS_DIAG_NON_UNIT;
  if (a.count == 1) {
    check_cublas(trsm(h, fill_mode(upper), op, diag, n, nrhs, a.at(0), a.ld(), b.at(0), b.ld()),
                 std::is_same_v<T, float> ? "cublasStrsm_64" : "cublasDtrsm_64");
    return;
  }
  DeviceBuffer ptrs(c.device, 2 * static_cast<size_t>(a.count) * sizeof(T*));
  T** p = ptrs.as<T*>();
  batch_pointers_kernel<T><<<blocks_for(a.count), kThreads>>>(p, a.p, a.rows * a.cols, b.p, b.rows * b.cols, a.count);
  check(cudaGetLastError(), "batch_pointers_kernel");
  check_cublas(trsm_batched(h, fill_mode(upper), op, diag, n, nrhs, p, a.ld(), p + a.count, b.ld(), a.count),
               std::is_same_v<T, float> ? "cublasStrsmBatched_64" : "cublasDtrsmBatched_64");
}

template <typename T>
void lu_factor(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  const Vectors<int32_t> pivots = vectors<int32_t>(args.pivots, a.count, k, c.device, c.op, "pivots");
  const Info info(args.info, a.count, c.device, c.op);
  if (k == 0) return info.clear();
  WICK_CHECK(m <= kIntMax, NotImplementedError, c.op, ": on CUDA, a matrix of ", m,
             " rows has row numbers past the int32 range of its pivots");
  const cudaDataType_t type = kDataType<T>;
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXgetrf_bufferSize(c.s.handle, c.s.params, m, n, type, a.at(0), a.ld(), type,
                                             &device_bytes, &host_bytes),
                 "cusolverDnXgetrf_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  DeviceBuffer ipiv(c.device, static_cast<size_t>(a.count * k) * sizeof(int64_t));
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXgetrf(c.s.handle, c.s.params, m, n, type, a.at(i), a.ld(), ipiv.as<int64_t>() + i * k,
                                    type, ws.device_ptr(), ws.device_bytes, ws.host_ptr(), ws.host_bytes,
                                    info.at(i)),
                   "cusolverDnXgetrf");
  convert(pivots.p, ipiv.as<int64_t>(), a.count * k);
}

// The operands of a solve from a pivoted factorization (LuSolve, LdlSolve): the factors a, the right-hand
// sides b, and the int32 pivots converted to the int64 ones cuSOLVER's 64-bit API reads.
template <typename T>
struct PivotedSolve {
  Matrices<T> a, b;
  int64_t n = 0, nrhs = 0;
  std::optional<DeviceBuffer> ipiv;
  int64_t* pivots_at(int64_t i) const { return ipiv->template as<int64_t>() + i * n; }
};

// Fills s (DeviceBuffer does not move, so s is the caller's); false when there is nothing to solve.
template <typename T>
bool prepare(PivotedSolve<T>& s, const Call& c, const LinalgArgs& args, const Info& info) {
  s.a = matrices<T>(args.a, c.device, c.op, "a");
  s.b = matrices<T>(args.b, c.device, c.op, "b");
  s.n = s.a.rows;
  s.nrhs = s.b.cols;
  expect(s.a.cols == s.n && s.b.count == s.a.count && s.b.rows == s.n, c.op, "b", args.b);
  const Vectors<int32_t> pivots = vectors<int32_t>(args.pivots, s.a.count, s.n, c.device, c.op, "pivots");
  if (s.n == 0 || s.nrhs == 0) {
    info.clear();
    return false;
  }
  s.ipiv.emplace(c.device, static_cast<size_t>(s.a.count * s.n) * sizeof(int64_t));
  convert(s.ipiv->template as<int64_t>(), pivots.p, s.a.count * s.n);  // Note [cuSOLVER's LDL pivots] for LDL
  return true;
}

template <typename T>
void lu_solve(const Call& c, const LinalgArgs& args) {
  const Info info(args.info, args.a.size(0), c.device, c.op);
  PivotedSolve<T> s;
  if (!prepare(s, c, args, info)) return;
  const Matrices<T>& a = s.a;
  const Matrices<T>& b = s.b;
  const int64_t n = s.n, nrhs = s.nrhs;
  const cudaDataType_t type = kDataType<T>;
  const cublasOperation_t op = args.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXgetrs(c.s.handle, c.s.params, op, n, nrhs, type, a.at(i), a.ld(), s.pivots_at(i),
                                    type, b.at(i), b.ld(), info.at(i)),
                   "cusolverDnXgetrs");
}

template <typename T>
void cholesky(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t n = a.rows;
  expect(a.cols == n, c.op, "a", args.a);
  const Info info(args.info, a.count, c.device, c.op);
  if (n == 0) return info.clear();
  const cudaDataType_t type = kDataType<T>;
  const cublasFillMode_t uplo = fill_mode(args.upper);
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXpotrf_bufferSize(c.s.handle, c.s.params, uplo, n, type, a.at(0), a.ld(), type,
                                             &device_bytes, &host_bytes),
                 "cusolverDnXpotrf_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXpotrf(c.s.handle, c.s.params, uplo, n, type, a.at(i), a.ld(), type, ws.device_ptr(),
                                    ws.device_bytes, ws.host_ptr(), ws.host_bytes, info.at(i)),
                   "cusolverDnXpotrf");
}

template <typename T>
void solve_triangular(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const Matrices<T> b = matrices<T>(args.b, c.device, c.op, "b");
  const int64_t n = a.rows, nrhs = b.cols;
  expect(a.cols == n && b.count == a.count && b.rows == n, c.op, "b", args.b);
  if (n == 0 || nrhs == 0) return;
  triangular_solve<T>(c, a, b, n, nrhs, args.upper, args.transpose, args.unit);
}

template <typename T>
void qr(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  const Vectors<T> tau = vectors<T>(args.tau, a.count, k, c.device, c.op, "tau");
  const Info info(args.info, a.count, c.device, c.op);
  if (k == 0) return info.clear();
  const cudaDataType_t type = kDataType<T>;
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXgeqrf_bufferSize(c.s.handle, c.s.params, m, n, type, a.at(0), a.ld(), type, tau.at(0),
                                             type, &device_bytes, &host_bytes),
                 "cusolverDnXgeqrf_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXgeqrf(c.s.handle, c.s.params, m, n, type, a.at(i), a.ld(), type, tau.at(i), type,
                                    ws.device_ptr(), ws.device_bytes, ws.host_ptr(), ws.host_bytes, info.at(i)),
                   "cusolverDnXgeqrf");
}

template <typename T>
void householder_product(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t m = a.rows, n = a.cols;
  expect(args.tau.defined() && args.tau.dim() == 2, c.op, "tau", args.tau);
  const int64_t k = args.tau.size(1);
  const Vectors<T> tau = vectors<T>(args.tau, a.count, k, c.device, c.op, "tau");
  const Info info(args.info, a.count, c.device, c.op);
  if (n == 0) return info.clear();
  if (k == 0) {  // no reflectors: the identity's columns (LAPACK's orgqr too), without asking cuSOLVER about k = 0
    const int64_t total = a.count * m * n;
    if (total > 0) {
      identity_kernel<T><<<blocks_for(total), kThreads>>>(a.p, m, n, total);
      check(cudaGetLastError(), "identity_kernel");
    }
    return info.clear();
  }
  check_int_sizes(c.op, "cuSOLVER's orgqr", {m, n, k});
  const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
  const int lda = static_cast<int>(a.ld());
  int lwork = 0;
  check_cusolver(orgqr_buffer_size(c.s.handle, im, in, ik, a.at(0), lda, tau.at(0), &lwork),
                 std::is_same_v<T, float> ? "cusolverDnSorgqr_bufferSize" : "cusolverDnDorgqr_bufferSize");
  DeviceBuffer work(c.device, static_cast<size_t>(lwork) * sizeof(T));
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(orgqr(c.s.handle, im, in, ik, a.at(i), lda, tau.at(i), work.as<T>(), lwork, info.at(i)),
                   std::is_same_v<T, float> ? "cusolverDnSorgqr" : "cusolverDnDorgqr");
}

template <typename T>
void eigh(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t n = a.rows;
  expect(a.cols == n, c.op, "a", args.a);
  const Vectors<T> values = vectors<T>(args.values, a.count, n, c.device, c.op, "values");
  const Info info(args.info, a.count, c.device, c.op);
  if (n == 0) return info.clear();
  const cudaDataType_t type = kDataType<T>;
  const cusolverEigMode_t jobz = args.vectors ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
  const cublasFillMode_t uplo = fill_mode(args.upper);
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXsyevd_bufferSize(c.s.handle, c.s.params, jobz, uplo, n, type, a.at(0), a.ld(), type,
                                             values.at(0), type, &device_bytes, &host_bytes),
                 "cusolverDnXsyevd_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXsyevd(c.s.handle, c.s.params, jobz, uplo, n, type, a.at(i), a.ld(), type,
                                    values.at(i), type, ws.device_ptr(), ws.device_bytes, ws.host_ptr(),
                                    ws.host_bytes, info.at(i)),
                   "cusolverDnXsyevd");
}

// Note [SVD of a wide matrix]
// cuSOLVER's gesvd takes only m >= n. For m < n it factors the transpose,
// A^T = U' S V'^T (n x m, tall), so A = V' S U'^T: the same singular values,
// U = V' = (V'^T)^T, which is the transpose of that call's VT (m x m), and
// Vh = U'^T, the transpose of its U (n x n when full, else n x m). A^T, U'
// and V'^T live in scratch reused over the batch, and two transposes per
// matrix write u and vh; a itself is only read. gesvd returns V^T, which is
// Vh, so for m >= n its U and VT are written straight into u and vh.
template <typename T>
void svd(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  const Vectors<T> values = vectors<T>(args.values, a.count, k, c.device, c.op, "values");
  Matrices<T> u, vh;
  if (args.vectors) {
    u = matrices<T>(args.u, c.device, c.op, "u");
    vh = matrices<T>(args.vh, c.device, c.op, "vh");
    expect(u.count == a.count && u.rows == m && u.cols == (args.full ? m : k), c.op, "u", args.u);
    expect(vh.count == a.count && vh.rows == (args.full ? n : k) && vh.cols == n, c.op, "vh", args.vh);
  }
  const Info info(args.info, a.count, c.device, c.op);
  if (k == 0) return info.clear();  // the ops fill u and vh of an empty matrix (identities when full)

  // The shape gesvd sees: rows >= cols, and A^T of a wide matrix.
  const bool wide = m < n;
  const int64_t rows = wide ? n : m, cols = wide ? m : n;
  const signed char job = !args.vectors ? 'N' : args.full ? 'A' : 'S';
  const int64_t u_cols = args.full ? rows : cols;  // the columns of gesvd's U
  const cudaDataType_t type = kDataType<T>;
  // The leading dimensions every job accepts (LAPACK's: ldu >= rows, ldvt >= cols for 'A').
  const int64_t ldu = rows, ldvt = cols;
  std::optional<DeviceBuffer> at, ut, vt;  // wide only: A^T, U' and V'^T
  if (wide) {
    at.emplace(c.device, static_cast<size_t>(rows * cols) * sizeof(T));
    if (args.vectors) {
      ut.emplace(c.device, static_cast<size_t>(rows * u_cols) * sizeof(T));
      vt.emplace(c.device, static_cast<size_t>(cols * cols) * sizeof(T));
    }
  }
  T* a0 = wide ? at->as<T>() : a.at(0);
  T* u0 = !args.vectors ? nullptr : wide ? ut->as<T>() : u.at(0);
  T* vt0 = !args.vectors ? nullptr : wide ? vt->as<T>() : vh.at(0);
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXgesvd_bufferSize(c.s.handle, c.s.params, job, job, rows, cols, type, a0, rows, type,
                                             values.at(0), type, u0, ldu, type, vt0, ldvt, type, &device_bytes,
                                             &host_bytes),
                 "cusolverDnXgesvd_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  for (int64_t i = 0; i < a.count; ++i) {
    T* ai = a.at(i);
    T* ui = u0;
    T* vti = vt0;
    if (wide) {
      transpose(at->as<T>(), a.at(i), m, n);
      ai = at->as<T>();
    } else if (args.vectors) {
      ui = u.at(i);
      vti = vh.at(i);
    }
    check_cusolver(cusolverDnXgesvd(c.s.handle, c.s.params, job, job, rows, cols, type, ai, rows, type,
                                    values.at(i), type, ui, ldu, type, vti, ldvt, type, ws.device_ptr(),
                                    ws.device_bytes, ws.host_ptr(), ws.host_bytes, info.at(i)),
                   "cusolverDnXgesvd");
    if (wide && args.vectors) {
      transpose(u.at(i), vt->as<T>(), cols, cols);     // u = (V'^T)^T, m x m
      transpose(vh.at(i), ut->as<T>(), rows, u_cols);  // vh = U'^T, u_cols x n
    }
  }
}

// Least squares by QR, as LAPACK's gels for m >= n: A = QR (geqrf), b = Q^T b
// (ormqr), then R x = the top n rows of b (trsm). info is gels's: the first
// zero on R's diagonal (then x is not finite, where gels would leave b alone;
// the ops raise or hand back info either way).
template <typename T>
void lstsq(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t m = a.rows, n = a.cols;
  WICK_CHECK(args.driver == 'q', NotImplementedError, c.op, ": on CUDA only the 'gels' driver is supported, got '",
             args.driver == 'y' ? "gelsy" : args.driver == 'd' ? "gelsd" : args.driver == 's' ? "gelss" : "unknown",
             "'");
  WICK_CHECK(m >= n, NotImplementedError, c.op,
             ": on CUDA only overdetermined systems (rows >= columns) are supported, got a ", m, " x ", n, " matrix");
  const Matrices<T> b = matrices<T>(args.b, c.device, c.op, "b");
  const int64_t nrhs = b.cols;
  expect(b.count == a.count && b.rows == m, c.op, "b", args.b);
  const Info info(args.info, a.count, c.device, c.op);
  if (n == 0 || nrhs == 0) return info.clear();
  check_int_sizes(c.op, "cuSOLVER's ormqr", {m, n, nrhs});
  const cudaDataType_t type = kDataType<T>;
  DeviceBuffer tau(c.device, static_cast<size_t>(n) * sizeof(T));  // reused: the calls run in order
  DeviceBuffer step_info(c.device, sizeof(int));  // geqrf's and ormqr's info: argument errors only
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXgeqrf_bufferSize(c.s.handle, c.s.params, m, n, type, a.at(0), a.ld(), type, tau.as<T>(),
                                             type, &device_bytes, &host_bytes),
                 "cusolverDnXgeqrf_bufferSize");
  const int im = static_cast<int>(m), in = static_cast<int>(n), inrhs = static_cast<int>(nrhs);
  const int lda = static_cast<int>(a.ld()), ldb = static_cast<int>(b.ld());
  int lwork = 0;
  check_cusolver(ormqr_buffer_size(c.s.handle, im, inrhs, in, a.at(0), lda, tau.as<T>(), b.at(0), ldb, &lwork),
                 std::is_same_v<T, float> ? "cusolverDnSormqr_bufferSize" : "cusolverDnDormqr_bufferSize");
  // One device workspace serves both routines (they run one after the other).
  Workspace ws(c.device, std::max(device_bytes, static_cast<size_t>(lwork) * sizeof(T)), host_bytes);
  const int ormqr_lwork = static_cast<int>(std::min<size_t>(ws.device_bytes / sizeof(T), kIntMax));
  for (int64_t i = 0; i < a.count; ++i) {
    check_cusolver(cusolverDnXgeqrf(c.s.handle, c.s.params, m, n, type, a.at(i), a.ld(), type, tau.as<T>(), type,
                                    ws.device_ptr(), ws.device_bytes, ws.host_ptr(), ws.host_bytes,
                                    step_info.as<int>()),
                   "cusolverDnXgeqrf");
    check_cusolver(ormqr(c.s.handle, im, inrhs, in, a.at(i), lda, tau.as<T>(), b.at(i), ldb,
                         static_cast<T*>(ws.device_ptr()), ormqr_lwork, step_info.as<int>()),
                   std::is_same_v<T, float> ? "cusolverDnSormqr" : "cusolverDnDormqr");
  }
  if (info.wanted()) {
    zero_diagonal_kernel<T><<<blocks_for(a.count), kThreads>>>(info.at(0), a.p, a.count, m * n, a.ld(), n);
    check(cudaGetLastError(), "zero_diagonal_kernel");
  }
  triangular_solve<T>(c, a, b, n, nrhs, /*upper=*/true, /*transpose=*/false, /*unit=*/false);
}

// Note [cuSOLVER's LDL pivots]
// cuSOLVER's sytrf writes LAPACK's ipiv (its documentation describes the
// same P A P^T = L D L^T with 1 x 1 and 2 x 2 blocks): 1-based; ipiv[k] > 0
// for a 1 x 1 block that swapped rows k and ipiv[k]; a 2 x 2 block marked by
// two equal negative entries -p (at k-1, k for upper; k, k+1 for lower) where
// p is the row swapped in. sytrf takes int pivots, so they go straight into
// args.pivots; Xsytrs reads the same convention as int64 and gets a copy.
template <typename T>
void ldl_factor(const Call& c, const LinalgArgs& args) {
  const Matrices<T> a = matrices<T>(args.a, c.device, c.op, "a");
  const int64_t n = a.rows;
  expect(a.cols == n, c.op, "a", args.a);
  const Vectors<int32_t> pivots = vectors<int32_t>(args.pivots, a.count, n, c.device, c.op, "pivots");
  const Info info(args.info, a.count, c.device, c.op);
  if (n == 0) return info.clear();
  check_int_sizes(c.op, "cuSOLVER's sytrf", {n});
  const int in = static_cast<int>(n), lda = static_cast<int>(a.ld());
  const cublasFillMode_t uplo = fill_mode(args.upper);
  int lwork = 0;
  check_cusolver(sytrf_buffer_size(c.s.handle, in, a.at(0), lda, &lwork),
                 std::is_same_v<T, float> ? "cusolverDnSsytrf_bufferSize" : "cusolverDnDsytrf_bufferSize");
  DeviceBuffer work(c.device, static_cast<size_t>(lwork) * sizeof(T));
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(sytrf(c.s.handle, uplo, in, a.at(i), lda, pivots.at(i), work.as<T>(), lwork, info.at(i)),
                   std::is_same_v<T, float> ? "cusolverDnSsytrf" : "cusolverDnDsytrf");
}

template <typename T>
void ldl_solve(const Call& c, const LinalgArgs& args) {
  const Info info(args.info, args.a.size(0), c.device, c.op);
  PivotedSolve<T> s;
  if (!prepare(s, c, args, info)) return;
  const Matrices<T>& a = s.a;
  const Matrices<T>& b = s.b;
  const int64_t n = s.n, nrhs = s.nrhs;
  const cudaDataType_t type = kDataType<T>;
  const cublasFillMode_t uplo = fill_mode(args.upper);
  size_t device_bytes = 0, host_bytes = 0;
  check_cusolver(cusolverDnXsytrs_bufferSize(c.s.handle, uplo, n, nrhs, type, a.at(0), a.ld(), s.pivots_at(0),
                                             type, b.at(0), b.ld(), &device_bytes, &host_bytes),
                 "cusolverDnXsytrs_bufferSize");
  Workspace ws(c.device, device_bytes, host_bytes);
  for (int64_t i = 0; i < a.count; ++i)
    check_cusolver(cusolverDnXsytrs(c.s.handle, uplo, n, nrhs, type, a.at(i), a.ld(), s.pivots_at(i),
                                    type, b.at(i), b.ld(), ws.device_ptr(), ws.device_bytes, ws.host_ptr(),
                                    ws.host_bytes, info.at(i)),
                   "cusolverDnXsytrs");
}

const char* op_name(LinalgOp op) {
  switch (op) {
    case LinalgOp::LuFactor: return "lu_factor";
    case LinalgOp::LuSolve: return "lu_solve";
    case LinalgOp::Cholesky: return "cholesky";
    case LinalgOp::TriangularSolve: return "solve_triangular";
    case LinalgOp::Qr: return "qr";
    case LinalgOp::HouseholderProduct: return "householder_product";
    case LinalgOp::Eigh: return "eigh";
    case LinalgOp::Svd: return "svd";
    case LinalgOp::Lstsq: return "lstsq";
    case LinalgOp::LdlFactor: return "ldl_factor";
    case LinalgOp::LdlSolve: return "ldl_solve";
  }
  return "linalg";
}

template <typename T>
void run(LinalgOp op, const Call& c, const LinalgArgs& args) {
  switch (op) {
    case LinalgOp::LuFactor: return lu_factor<T>(c, args);
    case LinalgOp::LuSolve: return lu_solve<T>(c, args);
    case LinalgOp::Cholesky: return cholesky<T>(c, args);
    case LinalgOp::TriangularSolve: return solve_triangular<T>(c, args);
    case LinalgOp::Qr: return qr<T>(c, args);
    case LinalgOp::HouseholderProduct: return householder_product<T>(c, args);
    case LinalgOp::Eigh: return eigh<T>(c, args);
    case LinalgOp::Svd: return svd<T>(c, args);
    case LinalgOp::Lstsq: return lstsq<T>(c, args);
    case LinalgOp::LdlFactor: return ldl_factor<T>(c, args);
    case LinalgOp::LdlSolve: return ldl_solve<T>(c, args);
  }
  WICK_THROW(Error, "linalg: unknown LinalgOp ", static_cast<int>(op));
}

}  // namespace

void linalg(LinalgOp op, const LinalgArgs& args) {
  const char* name = op_name(op);
  expect(args.a.defined() && args.a.dim() == 3, name, "a", args.a);
  if (args.a.size(0) == 0) return;  // an empty batch: nothing to write
  const Device device = args.a.device();
  Solver& s = solver(device);
  std::lock_guard lock(s.mutex);  // Note [cuSOLVER handles]
  DeviceGuard guard(device);
  const Call call{s, device, name};
  dispatch_floating(args.a.dtype(), name, [&]<typename T>() { run<T>(op, call, args); });
}

}  // namespace wick::cuda
