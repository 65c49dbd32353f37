// The CUDA caching allocator.
//
// cudaMalloc and cudaFree are slow (cudaFree synchronizes the device), so
// freed blocks stay with the allocator, in one free list per rounded size,
// and are handed out again. Sizes are rounded up to 512 bytes. Reuse is safe
// without events because every kernel and copy runs on the device's legacy
// default stream: work queued on a block before it was freed finishes before
// work queued by its next owner. empty_cache() returns the cached blocks to
// CUDA, and an allocation that fails empties the cache and tries once more.
//
// Statistics count the bytes tensors asked for, as on the CPU; reserved bytes
// are what wick holds from cudaMalloc (rounded), in use or cached.
#include <cuda_runtime_api.h>

#include <cstdio>
#include <iterator>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cuda/cuda_backend.h"
#include "backends/cuda/cuda_utils.h"

namespace wick::cuda {

namespace {

constexpr size_t kRound = 512;

// 1536 -> "1.50 KiB", as PyTorch writes sizes in its out-of-memory message.
std::string human(size_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.2f %s", v, kUnits[unit]);
  return buf;
}

class CudaCachingAllocator final : public Allocator {
 public:
  explicit CudaCachingAllocator(Device device) : device_(device) {}

  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    WICK_CHECK(nbytes <= kMaxBytes, Error, "CUDA out of memory. Tried to allocate ", nbytes, " bytes on ", device_,
               ", more than any GPU holds");
    const size_t size = rounded(nbytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size;
        record_alloc(nbytes);
        return ptr;
      }
    }
    DeviceGuard guard(device_);
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, size);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      empty_cache();
      err = cudaMalloc(&ptr, size);
    }
    if (err == cudaErrorMemoryAllocation) throw_out_of_memory(nbytes);
    check(err, "cudaMalloc");
    std::lock_guard<std::mutex> lock(mutex_);
    record_alloc(nbytes);
    ++stats_.num_system_allocs;
    stats_.reserved_bytes += static_cast<int64_t>(size);
    return ptr;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    if (!ptr) return;
    const size_t size = rounded(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.allocated_bytes -= static_cast<int64_t>(nbytes);
    ++stats_.num_frees;
    free_[size].push_back(ptr);
    cached_bytes_ += size;
  }

  MemoryStats stats() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

  void reset_peak_stats() override {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes = stats_.allocated_bytes;
  }

  void empty_cache() override {
    std::vector<void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [size, list] : free_) blocks.insert(blocks.end(), list.begin(), list.end());
      free_.clear();
      stats_.reserved_bytes -= static_cast<int64_t>(cached_bytes_);
      cached_bytes_ = 0;
    }
    if (blocks.empty()) return;
    DeviceGuard guard(device_);
    cudaError_t first_error = cudaSuccess;
    for (void* p : blocks) {
      const cudaError_t err = cudaFree(p);
      if (err != cudaSuccess && first_error == cudaSuccess) first_error = err;
    }
    check(first_error, "cudaFree");
  }

 private:
  static constexpr size_t kMaxBytes = size_t{1} << 50;

  static size_t rounded(size_t nbytes) { return (nbytes + kRound - 1) / kRound * kRound; }

  [[noreturn]] void throw_out_of_memory(size_t nbytes) {
    cudaGetLastError();
    size_t free = 0, total = 0;
    const bool have_info = cudaMemGetInfo(&free, &total) == cudaSuccess;
    if (!have_info) cudaGetLastError();
    const MemoryStats now = stats();
    const std::string capacity =
        have_info ? "The GPU has a total capacity of " + human(total) + ", of which " + human(free) + " is free. " : "";
    WICK_THROW(Error, "CUDA out of memory. Tried to allocate ", nbytes, " bytes (", human(nbytes), ") on ", device_,
               ". ", capacity,
               "wick has ", now.allocated_bytes, " bytes allocated to tensors and ", now.reserved_bytes,
               " bytes reserved (its cache was emptied before giving up). Free the tensors you no longer need, use "
               "smaller batches, or look for other processes using the GPU (nvidia-smi).");
  }

  void record_alloc(size_t nbytes) {
    stats_.allocated_bytes += static_cast<int64_t>(nbytes);
    ++stats_.num_allocs;
    if (stats_.allocated_bytes > stats_.peak_bytes) stats_.peak_bytes = stats_.allocated_bytes;
  }

  const Device device_;
  mutable std::mutex mutex_;
  MemoryStats stats_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // by rounded size
  size_t cached_bytes_ = 0;
};

}  // namespace

Allocator& allocator(Device device) {
  check_device(device);
  // One per visible device, never destroyed: tensors held by static objects
  // may outlive any static allocator (as on the CPU).
  static const std::vector<CudaCachingAllocator*>* all = [] {
    auto* v = new std::vector<CudaCachingAllocator*>();
    for (int i = 0; i < device_count(); ++i) v->push_back(new CudaCachingAllocator(Device(DeviceType::CUDA, i)));
    return v;
  }();
  return *(*all)[static_cast<size_t>(device.index)];
}

}  // namespace wick::cuda
