#include "core/allocator.h"

#include <array>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/error.h"

#ifdef WICK_WITH_CUDA
#include "backends/cuda/cuda_backend.h"
#endif

namespace wick {

namespace {

// Size classes (Note [CPU caching allocator]): multiples of 64 bytes up to
// 1 KiB, then four classes per power of two.
constexpr size_t kAlignment = 64;
constexpr size_t kMaxCachedBlock = size_t{1} << 30;
constexpr int kNumClasses = 16 + 4 * 64;

struct SizeClass {
  int index;
  size_t bytes;
};

SizeClass size_class(size_t n) {
  if (n <= 1024) {
    const size_t units = (n + kAlignment - 1) / kAlignment;
    return {static_cast<int>(units), units * kAlignment};
  }
  const int k = std::bit_width(n - 1) - 1;  // 2^k < n <= 2^(k+1)
  const size_t quarter = size_t{1} << (k - 2);
  const size_t steps = (n - (size_t{1} << k) + quarter - 1) / quarter;  // 1..4
  return {16 + 4 * (k - 10) + static_cast<int>(steps) - 1, (size_t{1} << k) + steps * quarter};
}

size_t cache_limit_from_env() {
  if (const char* mb = std::getenv("WICK_CPU_CACHE_LIMIT_MB")) return static_cast<size_t>(std::atoll(mb)) << 20;
  return size_t{2} << 30;
}

class CpuCachingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    const SizeClass cls = size_class(nbytes);
    void* ptr = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      record_alloc(nbytes);
      if (cls.bytes <= kMaxCachedBlock) {
        auto& list = free_[cls.index];
        if (!list.empty()) {
          ptr = list.back();
          list.pop_back();
          cached_bytes_ -= cls.bytes;
          return ptr;
        }
      }
      ++stats_.num_system_allocs;
      stats_.reserved_bytes += static_cast<int64_t>(cls.bytes);
    }
    ptr = system_alloc(cls.bytes);
    if (!ptr) {
      empty_cache();
      ptr = system_alloc(cls.bytes);
    }
    if (!ptr) {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.allocated_bytes -= static_cast<int64_t>(nbytes);
      stats_.reserved_bytes -= static_cast<int64_t>(cls.bytes);
      WICK_THROW(Error, "CPU out of memory: tried to allocate ", nbytes, " bytes (", stats_.allocated_bytes,
                 " bytes already allocated)");
    }
    return ptr;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    if (!ptr) return;
    const SizeClass cls = size_class(nbytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.allocated_bytes -= static_cast<int64_t>(nbytes);
      ++stats_.num_frees;
      if (cls.bytes <= kMaxCachedBlock && cached_bytes_ + cls.bytes <= cache_limit_) {
        free_[cls.index].push_back(ptr);
        cached_bytes_ += cls.bytes;
        return;
      }
      stats_.reserved_bytes -= static_cast<int64_t>(cls.bytes);
    }
    std::free(ptr);
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
      for (auto& list : free_) {
        blocks.insert(blocks.end(), list.begin(), list.end());
        list.clear();
      }
      stats_.reserved_bytes -= static_cast<int64_t>(cached_bytes_);
      cached_bytes_ = 0;
    }
    for (void* p : blocks) std::free(p);
  }

 private:
  static void* system_alloc(size_t bytes) {
    void* p = nullptr;
    return posix_memalign(&p, kAlignment, bytes) == 0 ? p : nullptr;
  }
  void record_alloc(size_t nbytes) {
    stats_.allocated_bytes += static_cast<int64_t>(nbytes);
    ++stats_.num_allocs;
    if (stats_.allocated_bytes > stats_.peak_bytes) stats_.peak_bytes = stats_.allocated_bytes;
  }

  mutable std::mutex mutex_;
  MemoryStats stats_;
  std::array<std::vector<void*>, kNumClasses> free_;
  size_t cached_bytes_ = 0;
  const size_t cache_limit_ = cache_limit_from_env();
};

}  // namespace

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) {
    // Never destroyed: tensors held by static objects may outlive any static allocator.
    static CpuCachingAllocator* cpu = new CpuCachingAllocator();
    return *cpu;
  }
#ifdef WICK_WITH_CUDA
  return cuda::allocator(device);
#else
  WICK_THROW(Error, "device ", device, " is not available: this build of wick has no CUDA backend",
             " (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)");
#endif
}

MemoryStats memory_stats(Device device) { return allocator_for(device).stats(); }
int64_t memory_allocated(Device device) { return memory_stats(device).allocated_bytes; }
int64_t max_memory_allocated(Device device) { return memory_stats(device).peak_bytes; }
void reset_peak_memory_stats(Device device) { allocator_for(device).reset_peak_stats(); }
void empty_cache(Device device) { allocator_for(device).empty_cache(); }

}  // namespace wick
