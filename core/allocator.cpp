#include "core/allocator.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace wick {

namespace {

// Size classes (Note [CPU caching allocator]): multiples of 64 bytes up to
// 1 KiB, then four classes per power of two.
constexpr size_t kAlignment = 64;
constexpr size_t kMaxCachedBlock = size_t{1} << 30;
constexpr int kNumClasses = 17 + 4 * 64;  // index 0 unused; 1..16 small; then four per octave

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
  return {17 + 4 * (k - 10) + static_cast<int>(steps) - 1, (size_t{1} << k) + steps * quarter};
}

size_t cache_limit_from_env() {
  if (const char* mb = std::getenv("WICK_CPU_CACHE_LIMIT_MB")) return static_cast<size_t>(std::atoll(mb)) << 20;
  return size_t{2} << 30;
}

// The blocks one thread freed, reused by that thread without taking the lock.
struct ThreadCache {
  std::array<std::vector<void*>, kNumClasses> free;
  size_t bytes = 0;
  ~ThreadCache();
};
thread_local ThreadCache t_cache;
// Set when this thread's cache is destroyed: a tensor freed later (a global
// tensor at exit) takes the shared path. Trivially destructible, so it stays
// readable to the thread's end.
thread_local bool t_cache_gone = false;
constexpr size_t kThreadCacheLimit = size_t{256} << 20;

class CpuCachingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override { return allocate_block(nbytes, 0); }
  void deallocate(void* ptr, size_t nbytes) override { deallocate_block(ptr, nbytes, 0); }

  // A block of header + nbytes; the statistics count nbytes only.
  void* allocate_block(size_t nbytes, size_t header) {
    const size_t total = nbytes + header;
    if (total == 0) return nullptr;
    const SizeClass cls = size_class(total);
    record_alloc(nbytes);
    if (cls.bytes <= kMaxCachedBlock) {
      if (!t_cache_gone && !t_cache.free[cls.index].empty()) {  // the fast path: no lock
        auto& mine = t_cache.free[cls.index];
        void* ptr = mine.back();
        mine.pop_back();
        t_cache.bytes -= cls.bytes;
        return ptr;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      auto& shared = free_[cls.index];
      if (!shared.empty()) {
        void* ptr = shared.back();
        shared.pop_back();
        cached_bytes_ -= cls.bytes;
        return ptr;
      }
    }
    num_system_allocs_.fetch_add(1, std::memory_order_relaxed);
    reserved_bytes_.fetch_add(static_cast<int64_t>(cls.bytes), std::memory_order_relaxed);
    void* ptr = system_alloc(cls.bytes);
    if (!ptr) {
      empty_cache();
      ptr = system_alloc(cls.bytes);
    }
    if (!ptr) {
      allocated_bytes_.fetch_sub(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
      reserved_bytes_.fetch_sub(static_cast<int64_t>(cls.bytes), std::memory_order_relaxed);
      WICK_THROW(Error, "CPU out of memory: tried to allocate ", nbytes, " bytes (", memory_allocated(kCPU),
                 " bytes already allocated)");
    }
    return ptr;
  }

  void deallocate_block(void* ptr, size_t nbytes, size_t header) {
    if (!ptr) return;
    const SizeClass cls = size_class(nbytes + header);
    allocated_bytes_.fetch_sub(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
    num_frees_.fetch_add(1, std::memory_order_relaxed);
    if (cls.bytes <= kMaxCachedBlock) {
      if (!t_cache_gone && t_cache.bytes + cls.bytes <= kThreadCacheLimit) {
        t_cache.free[cls.index].push_back(ptr);
        t_cache.bytes += cls.bytes;
        return;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_bytes_ + cls.bytes <= cache_limit_) {
        free_[cls.index].push_back(ptr);
        cached_bytes_ += cls.bytes;
        return;
      }
    }
    reserved_bytes_.fetch_sub(static_cast<int64_t>(cls.bytes), std::memory_order_relaxed);
    std::free(ptr);
  }

  // A thread's cache, given back when the thread ends.
  void absorb(ThreadCache& cache) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < kNumClasses; ++i) {
      free_[i].insert(free_[i].end(), cache.free[i].begin(), cache.free[i].end());
      cache.free[i].clear();
    }
    cached_bytes_ += cache.bytes;
    cache.bytes = 0;
  }

  MemoryStats stats() const override {
    MemoryStats s;
    s.allocated_bytes = allocated_bytes_.load(std::memory_order_relaxed);
    s.peak_bytes = peak_bytes_.load(std::memory_order_relaxed);
    s.reserved_bytes = reserved_bytes_.load(std::memory_order_relaxed);
    s.num_allocs = num_allocs_.load(std::memory_order_relaxed);
    s.num_frees = num_frees_.load(std::memory_order_relaxed);
    s.num_system_allocs = num_system_allocs_.load(std::memory_order_relaxed);
    return s;
  }

  void reset_peak_stats() override { peak_bytes_.store(allocated_bytes_.load(std::memory_order_relaxed)); }

  // Frees the shared cache and the calling thread's (other threads keep theirs
  // until they end).
  void empty_cache() override {
    absorb(t_cache);
    std::vector<void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& list : free_) {
        blocks.insert(blocks.end(), list.begin(), list.end());
        list.clear();
      }
      reserved_bytes_.fetch_sub(static_cast<int64_t>(cached_bytes_), std::memory_order_relaxed);
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
    const int64_t now = allocated_bytes_.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed) +
                        static_cast<int64_t>(nbytes);
    num_allocs_.fetch_add(1, std::memory_order_relaxed);
    int64_t peak = peak_bytes_.load(std::memory_order_relaxed);
    while (now > peak && !peak_bytes_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }

  std::atomic<int64_t> allocated_bytes_{0}, peak_bytes_{0}, reserved_bytes_{0};
  std::atomic<int64_t> num_allocs_{0}, num_frees_{0}, num_system_allocs_{0};
  std::mutex mutex_;  // guards the shared free lists
  std::array<std::vector<void*>, kNumClasses> free_;
  size_t cached_bytes_ = 0;
  const size_t cache_limit_ = cache_limit_from_env();
};

CpuCachingAllocator& cpu_allocator() {
  // Never destroyed: tensors held by static objects may outlive any static allocator.
  static CpuCachingAllocator* cpu = new CpuCachingAllocator();
  return *cpu;
}

ThreadCache::~ThreadCache() {
  t_cache_gone = true;
  if (bytes > 0) cpu_allocator().absorb(*this);
}

}  // namespace

namespace {
// The allocators of the other device types, registered by their backends (constant-initialized).
constinit AllocatorGetter g_allocators[kNumDeviceTypes] = {};
}  // namespace

void register_allocator(DeviceType type, AllocatorGetter get) { g_allocators[static_cast<int>(type)] = get; }

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  if (const AllocatorGetter get = g_allocators[static_cast<int>(device.type)]) return get(device);
  WICK_THROW(Error, "device ", device, " is not available: this build of wick has no ",
             device.is_cuda() ? "CUDA" : "CPU", " backend",
             device.is_cuda() ? " (rebuild with -DWICK_CUDA=ON on a machine with the CUDA toolkit)" : "");
}

void* cpu_allocate_with_header(size_t nbytes, size_t header) { return cpu_allocator().allocate_block(nbytes, header); }
void cpu_deallocate_with_header(void* block, size_t nbytes, size_t header) {
  cpu_allocator().deallocate_block(block, nbytes, header);
}

MemoryStats memory_stats(Device device) { return allocator_for(device).stats(); }
int64_t memory_allocated(Device device) { return memory_stats(device).allocated_bytes; }
int64_t max_memory_allocated(Device device) { return memory_stats(device).peak_bytes; }
void reset_peak_memory_stats(Device device) { allocator_for(device).reset_peak_stats(); }
void empty_cache(Device device) { allocator_for(device).empty_cache(); }

}  // namespace wick
