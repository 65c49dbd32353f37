// Allocator: every byte a tensor holds comes from one of these, one per device,
// and each keeps statistics (bytes in use, peak, number of allocations) that
// wick::memory_allocated() and friends report.
//
// Note [CPU caching allocator]
// Freed CPU blocks are kept in per-size-class free lists and handed out again,
// as the CUDA caching allocator does for GPU memory. Page faults are expensive
// on the machines wick runs on: when malloc returns a large buffer to the
// kernel after every training step, the next step faults it back in page by
// page. Size classes are powers of two split in four (at most 25% slack);
// blocks above kMaxCachedBlock and the overflow past the cache limit go back to
// the system. Each thread first reuses the blocks it freed itself, without a
// lock (up to 256 MiB; a thread's blocks go to the shared lists when it ends);
// statistics are atomic counters. empty_cache() releases the shared cache and
// the calling thread's.
//
// Statistics count the bytes the tensors asked for, not the size-class slack,
// so a 1,000,000-element float32 tensor is 4,000,000 bytes, as in PyTorch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace wick {

struct MemoryStats {
  int64_t allocated_bytes = 0;  // in use by tensors now
  int64_t peak_bytes = 0;       // most in use at once since the last reset
  int64_t reserved_bytes = 0;   // held by the allocator: in use plus cached
  int64_t num_allocs = 0;       // allocations served since start
  int64_t num_frees = 0;
  int64_t num_system_allocs = 0;  // of which came from the system (cache misses)
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  // nbytes == 0 gives nullptr. Throws wick::Error when memory runs out.
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual MemoryStats stats() const = 0;
  virtual void reset_peak_stats() = 0;
  virtual void empty_cache() = 0;
};

// CPU blocks with room for a header in front of nbytes (StorageImpl::create
// puts a small tensor's StorageImpl there); statistics count nbytes only.
void* cpu_allocate_with_header(size_t nbytes, size_t header);
void cpu_deallocate_with_header(void* block, size_t nbytes, size_t header);

// The allocator of a device; throws for a device type wick was built without.
// The CPU's is core's own (above); a backend for another device type
// registers its allocators from its own .cpp, as it registers its kernel
// table (Note [Backend registry] in core/dispatch.h). `get` may throw naming
// the device when it cannot be used.
using AllocatorGetter = Allocator& (*)(Device device);
void register_allocator(DeviceType type, AllocatorGetter get);
Allocator& allocator_for(Device device);

MemoryStats memory_stats(Device device = kCPU);
int64_t memory_allocated(Device device = kCPU);
int64_t max_memory_allocated(Device device = kCPU);
void reset_peak_memory_stats(Device device = kCPU);
void empty_cache(Device device = kCPU);

}  // namespace wick
