// CPU storages in memory that other processes can map: what
// wick.multiprocessing sends instead of a tensor's bytes, and what a
// DataLoader worker collates its batches into. Linux only (memfd_create,
// shm_open). See Note [Shared memory] in core/shared_memory.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/intrusive_ptr.h"
#include "core/storage.h"

namespace wick {

// How a shared storage is found by another process (PyTorch's sharing strategies).
enum class SharingStrategy {
  kFileDescriptor,  // an anonymous memory file (memfd); its descriptor travels over a Unix socket
  kFileSystem,      // a named file in /dev/shm (shm_open), found by its name
};

// What another process needs to map a shared storage.
struct SharedMemoryHandle {
  SharingStrategy strategy;
  int fd = -1;       // kFileDescriptor: the storage's descriptor (owned by the storage: dup it to send it)
  std::string name;  // kFileSystem: the shm_open name, "/wick_<pid>_<n>_<random>"
  size_t nbytes = 0;
};

// A CPU storage of `nbytes` zero bytes in shared memory.
IntrusivePtr<StorageImpl> empty_shared_storage(size_t nbytes, SharingStrategy strategy);

// Moves a CPU storage's bytes into shared memory, in place: every tensor over
// it sees the new memory. A storage already in shared memory stays where it is
// (whatever its strategy), except one mapped from another process's descriptor
// that closed it (storage_from_shared_fd): it moves to a new segment.
void share_memory(StorageImpl& storage, SharingStrategy strategy);

// Whether the storage lives in shared memory (made here or mapped from another process).
bool is_shared_memory(const StorageImpl& storage);

// How another process maps the storage; the storage must be in shared memory
// with a descriptor or a name (share_memory() makes it so). For kFileSystem,
// each handle reserves one reference for its receiver, so that the name
// outlives the sender's own reference; storage_from_shared_name releases it.
SharedMemoryHandle shared_memory_handle(const StorageImpl& storage);

// Maps a storage another process shared through a descriptor, checking that the
// file holds `nbytes`, and takes the descriptor over. With keep_fd the storage
// keeps it, to send on to other processes as the same memory; without, it is
// closed once mapped (the mapping keeps the memory), and sending the storage on
// moves it to a new segment first.
IntrusivePtr<StorageImpl> storage_from_shared_fd(int fd, size_t nbytes, bool keep_fd);

// Maps a storage another process shared by name and releases the reference its
// handle reserved. The name must be one shared_memory_handle made.
IntrusivePtr<StorageImpl> storage_from_shared_name(const std::string& name, size_t nbytes);

// What this process did with shared memory so far: segments made (by share_memory
// and empty_shared_storage) and bytes copied into them by share_memory. A batch a
// DataLoader worker collates straight into shared memory adds a segment and no
// copy. For tests and benchmarks.
struct SharedMemoryStats {
  uint64_t segments_created = 0;
  uint64_t bytes_moved = 0;
};
SharedMemoryStats shared_memory_stats();

// Releases the reference a kFileSystem handle reserved, for a message that will
// never be received: the segment's name goes once nobody maps it.
void release_shared_name(const std::string& name);

}  // namespace wick
