// Storages in shared memory (core/shared_memory.h): moving a storage there in
// place, mapping it from a descriptor or a name, the cross-process reference
// count of named segments, and what a forked process sees.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "core/shared_memory.h"
#include "ops/creation.h"
#include "tests/cpp/test_util.h"

namespace wick {
namespace {

bool name_exists(const std::string& name) { return std::filesystem::exists("/dev/shm" + name); }

Tensor float_tensor_over(IntrusivePtr<StorageImpl> storage, int64_t n) {
  return Tensor(IntrusivePtr<TensorImpl>(new TensorImpl(std::move(storage), ScalarType::Float32, {n}, {1}, 0)));
}

// Small storages live in their StorageImpl's own block and large ones apart
// (Note [Small storages share their block]): both move, and every view follows.
TEST(SharedMemory, MovesAStorageInPlaceUnderEveryView) {
  for (int64_t n : {int64_t{3}, int64_t{1} << 16, int64_t{0}}) {
    for (SharingStrategy strategy : {SharingStrategy::kFileDescriptor, SharingStrategy::kFileSystem}) {
      Tensor x = arange(0, static_cast<double>(n), 1, TensorOptions(ScalarType::Float32));
      Tensor view = n > 1 ? x.narrow(0, 1, n - 1) : x;
      StorageImpl& storage = *x.impl()->storage();
      const void* before = storage.data();
      EXPECT_FALSE(is_shared_memory(storage));
      share_memory(storage, strategy);
      EXPECT_TRUE(is_shared_memory(storage));
      if (n > 0) {
        EXPECT_NE(storage.data(), before);
      }
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(x.data_ptr<float>()[i], static_cast<float>(i));
      if (n > 1) {
        EXPECT_EQ(view.data_ptr<float>()[0], 1.0f);
      }
      share_memory(storage, strategy);  // already there: stays
      EXPECT_EQ(storage.data(), x.impl()->storage()->data());
    }
  }
}

TEST(SharedMemory, ADescriptorMapsTheSameMemory) {
  auto storage = empty_shared_storage(4 * sizeof(float), SharingStrategy::kFileDescriptor);
  Tensor a = float_tensor_over(storage, 4);
  const SharedMemoryHandle h = shared_memory_handle(*storage);
  ASSERT_EQ(h.strategy, SharingStrategy::kFileDescriptor);
  ASSERT_GE(h.fd, 0);
  Tensor b = float_tensor_over(storage_from_shared_fd(dup(h.fd), h.nbytes, /*keep_fd=*/false), 4);
  EXPECT_NE(a.raw_data(), b.raw_data());  // two mappings ...
  a.data_ptr<float>()[2] = 7.0f;
  EXPECT_EQ(b.data_ptr<float>()[2], 7.0f);  // ... of one memory
  b.data_ptr<float>()[0] = -1.0f;
  EXPECT_EQ(a.data_ptr<float>()[0], -1.0f);
  // A storage that closed its descriptor has none to send on: sharing it again moves it to a new segment.
  StorageImpl& received = *b.impl()->storage();
  EXPECT_TRUE(is_shared_memory(received));
  share_memory(received, SharingStrategy::kFileDescriptor);
  EXPECT_GE(shared_memory_handle(received).fd, 0);
  EXPECT_EQ(b.data_ptr<float>()[2], 7.0f);
  b.data_ptr<float>()[1] = 5.0f;
  EXPECT_NE(a.data_ptr<float>()[1], 5.0f);
  // One that kept it sends the same memory on.
  Tensor c = float_tensor_over(storage_from_shared_fd(dup(h.fd), h.nbytes, /*keep_fd=*/true), 4);
  share_memory(*c.impl()->storage(), SharingStrategy::kFileDescriptor);
  Tensor d = float_tensor_over(storage_from_shared_fd(dup(shared_memory_handle(*c.impl()->storage()).fd), h.nbytes,
                                                      /*keep_fd=*/false), 4);
  d.data_ptr<float>()[3] = 9.0f;
  EXPECT_EQ(a.data_ptr<float>()[3], 9.0f);
}

TEST(SharedMemory, ANamedSegmentGoesWithItsLastReference) {
  std::string name;
  {
    auto storage = empty_shared_storage(16, SharingStrategy::kFileSystem);
    const SharedMemoryHandle sent = shared_memory_handle(*storage);  // reserves one for its receiver
    name = sent.name;
    EXPECT_TRUE(name_exists(name));
    const SharedMemoryHandle lost = shared_memory_handle(*storage);  // a message never received
    auto received = storage_from_shared_name(sent.name, sent.nbytes);
    static_cast<char*>(storage->data())[5] = 42;
    EXPECT_EQ(static_cast<char*>(received->data())[5], 42);
    storage.reset();
    received.reset();
    EXPECT_TRUE(name_exists(name)) << "the lost message's reference keeps the name";
    release_shared_name(lost.name);
  }
  EXPECT_FALSE(name_exists(name));
  EXPECT_THROW_WITH(storage_from_shared_name(name, 16), Error, "no longer exists");
}

TEST(SharedMemory, RefusesForeignInput) {
  EXPECT_THROW_WITH(storage_from_shared_name("/etc_passwd", 8), ValueError, "not the name of a wick");
  EXPECT_THROW_WITH(storage_from_shared_name("/wick_../x", 8), ValueError, "not the name of a wick");
  auto small = empty_shared_storage(8, SharingStrategy::kFileDescriptor);
  EXPECT_THROW_WITH(storage_from_shared_fd(dup(shared_memory_handle(*small).fd), 1 << 20, true), ValueError,
                   "not a storage of that size");
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  close(pipe_fds[1]);
  EXPECT_THROW_WITH(storage_from_shared_fd(pipe_fds[0], 0, true), ValueError, "not a storage");
  Tensor x = zeros({2}, TensorOptions(ScalarType::Float32));
  EXPECT_THROW_WITH(shared_memory_handle(*x.impl()->storage()), ValueError, "share_memory_");
}

// The point of it all: a forked child writes, the parent sees it.
TEST(SharedMemory, AChildProcessWritesWhatTheParentReads) {
  for (SharingStrategy strategy : {SharingStrategy::kFileDescriptor, SharingStrategy::kFileSystem}) {
    Tensor x = zeros({1000}, TensorOptions(ScalarType::Float32));
    share_memory(*x.impl()->storage(), strategy);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0; i < 1000; ++i) x.data_ptr<float>()[i] = static_cast<float>(i);
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(x.data_ptr<float>()[999], 999.0f);
  }
}

}  // namespace
}  // namespace wick
