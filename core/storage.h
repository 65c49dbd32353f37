// StorageImpl: one refcounted buffer of bytes on one device. Every view of a
// tensor shares its storage, and so shares its version counter (see
// Note [Version counter] in autograd/saved_tensor.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/allocator.h"
#include "core/device.h"
#include "core/intrusive_ptr.h"

namespace wick {

class StorageImpl final : public RefCounted {
 public:
  // Owns `nbytes` fresh bytes from the device's allocator. See Note [Small
  // storages share their block] for why this is not a constructor.
  static IntrusivePtr<StorageImpl> create(size_t nbytes, Device device);

  // Borrows memory owned elsewhere (a NumPy array, a DLPack capsule, a user
  // buffer); `deleter(context)` runs when the last tensor lets go.
  using Deleter = void (*)(void* context);
  StorageImpl(void* data, size_t nbytes, Device device, Deleter deleter, void* context)
      : data_(data), nbytes_(nbytes), device_(device), deleter_(deleter), context_(context),
        owned_(false) {}

  ~StorageImpl() override { release_memory(); }

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  uint32_t version() const { return version_; }
  void bump_version() { ++version_; }

  // Puts the storage's bytes at `data`, which `deleter(context)` frees when the
  // last tensor lets go, after freeing the memory it had; the caller has copied
  // the bytes there. How share_memory (core/shared_memory.h) moves a storage
  // into shared memory under every tensor that uses it.
  void adopt(void* data, Deleter deleter, void* context);
  // Who frees borrowed memory (null for memory from the device's allocator).
  Deleter deleter() const { return deleter_; }
  void* context() const { return context_; }

  // Borrowed memory that must not be written (a read-only NumPy array, an
  // immutable bytes object): in-place ops on it refuse (check_inplace in
  // autograd/function.h), and Tensor.numpy() hands it out read-only.
  bool read_only() const { return read_only_; }
  void set_read_only(bool read_only) { read_only_ = read_only; }

 private:
  StorageImpl(size_t nbytes, Device device);
  StorageImpl(void* data, size_t nbytes, Device device);  // in the header of `data`'s block
  void destroy() const override;
  void release_memory();

  void* data_;
  size_t nbytes_;
  Device device_;
  Deleter deleter_ = nullptr;
  void* context_ = nullptr;
  bool owned_ = true;
  bool in_header_ = false;
  bool read_only_ = false;
  uint32_t version_ = 0;
};

}  // namespace wick
