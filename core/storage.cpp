#include "core/storage.h"

#include <new>

namespace wick {

// Note [Small storages share their block]
// A small op's output would cost three allocations: its TensorImpl, its
// StorageImpl and its bytes. For small CPU storages the StorageImpl is placed
// in a header in front of its own bytes, in one block from the caching
// allocator, so that only the TensorImpl comes from the heap. Large storages
// keep a separate StorageImpl: a header would push a power-of-two buffer into
// the next size class, and one malloc is nothing next to a large op.
namespace {
constexpr size_t kHeader = (sizeof(StorageImpl) + 63) / 64 * 64;  // keeps the data 64-byte aligned
constexpr size_t kMaxInHeader = size_t{64} << 10;
}  // namespace

IntrusivePtr<StorageImpl> StorageImpl::create(size_t nbytes, Device device) {
  if (device.is_cpu() && nbytes <= kMaxInHeader) {
    void* block = cpu_allocate_with_header(nbytes, kHeader);
    return IntrusivePtr<StorageImpl>(new (block) StorageImpl(static_cast<char*>(block) + kHeader, nbytes, device));
  }
  return IntrusivePtr<StorageImpl>(new StorageImpl(nbytes, device));
}

StorageImpl::StorageImpl(size_t nbytes, Device device)
    : data_(allocator_for(device).allocate(nbytes)), nbytes_(nbytes), device_(device) {}

StorageImpl::StorageImpl(void* data, size_t nbytes, Device device)
    : data_(data), nbytes_(nbytes), device_(device), in_header_(true) {}

void StorageImpl::release_memory() {
  if (deleter_) deleter_(context_);
  else if (owned_ && !in_header_) allocator_for(device_).deallocate(data_, nbytes_);
  // Bytes in this object's block (in_header_) are freed with it by destroy().
}

void StorageImpl::adopt(void* data, Deleter deleter, void* context) {
  release_memory();
  data_ = data;
  deleter_ = deleter;
  context_ = context;
  owned_ = false;
}

void StorageImpl::destroy() const {
  if (!in_header_) {
    delete this;
    return;
  }
  const size_t nbytes = nbytes_;
  void* block = const_cast<StorageImpl*>(this);
  this->~StorageImpl();
  cpu_deallocate_with_header(block, nbytes, kHeader);
}

}  // namespace wick
