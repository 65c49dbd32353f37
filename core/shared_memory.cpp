#include "core/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>

#include "core/error.h"

namespace wick {

// Note [Shared memory]
// A tensor crosses a process boundary (wick.multiprocessing, DataLoader
// workers) as a handle to its storage's memory, never as its bytes. The
// storage is moved into a segment other processes can map (share_memory, in
// place: StorageImpl::adopt swaps the memory under every tensor over it), and
// the receiver maps the same pages, so writes on either side are seen by both.
//
// * kFileDescriptor (the default, as in PyTorch on Linux): the segment is an
//   anonymous memory file (memfd_create). The sender keeps its descriptor;
//   Python's multiprocessing passes a duplicate over a Unix socket. The
//   receiver maps it and keeps the descriptor too, so that the storage can be
//   sent on as the same memory (a tensor sent to a child and back is the
//   memory it left as). The DataLoader's main process instead closes the
//   descriptor of each batch once mapped: a loop may hold any number of
//   batches without running out of descriptors (PyTorch keeps one open per
//   received storage: "Too many open files"), and sending such a storage on
//   moves it to a new segment first. The memory goes back to the system when
//   the last mapping and descriptor in any process are gone, and a crashed
//   process leaves nothing behind.
// * kFileSystem: the segment is a named file in /dev/shm ("/wick_<pid>_..."),
//   found by name. Its first 64 bytes count the references to it across
//   processes (an atomic, lock-free on every target wick builds for): one per
//   mapping, plus one per handle made for a message in transit, which the
//   receiver's mapping takes over. Whoever drops the count to zero removes the
//   name. A handle whose message is never received keeps the name alive; the
//   DataLoader removes the names of its workers once they have exited, and
//   wick.multiprocessing offers the same for any process id.
namespace {

constexpr size_t kHeader = 64;  // kFileSystem: the reference count, keeping the data 64-byte aligned

struct Segment {
  void* base = nullptr;  // the mapping
  size_t mapped = 0;
  int fd = -1;       // kFileDescriptor: the descriptor to send on (-1 once closed: see the Note)
  std::string name;  // kFileSystem
  char* data() const { return static_cast<char*>(base) + (name.empty() ? 0 : kHeader); }
  // Whether another process can find it: by its descriptor or its name (a received descriptor segment that
  // closed its descriptor cannot be sent on).
  bool sendable() const { return fd >= 0 || !name.empty(); }
  std::atomic_ref<int64_t> references() const { return std::atomic_ref<int64_t>(*static_cast<int64_t*>(base)); }
};
static_assert(std::atomic_ref<int64_t>::is_always_lock_free, "cross-process reference counts need lock-free atomics");

void release_segment(void* context) {
  auto* s = static_cast<Segment*>(context);
  if (!s->name.empty() && s->references().fetch_sub(1) == 1) shm_unlink(s->name.c_str());
  munmap(s->base, s->mapped);
  if (s->fd >= 0) close(s->fd);
  delete s;
}

const Segment* segment_of(const StorageImpl& storage) {
  return storage.deleter() == &release_segment ? static_cast<const Segment*>(storage.context()) : nullptr;
}

[[noreturn]] void throw_os_error(const char* what, size_t nbytes, int error) {
  const char* hint = error == EMFILE || error == ENFILE
                         ? " (the limit on open file descriptors: raise it with `ulimit -n`, or use the "
                           "'file_system' sharing strategy)"
                     : error == ENOMEM || error == ENOSPC ? " (shared memory is full: see `df /dev/shm`)"
                                                         : "";
  WICK_THROW(Error, "shared memory: ", what, " of ", nbytes, " bytes failed: ", std::strerror(error), hint);
}

std::string new_segment_name() {
  static std::atomic<uint64_t> counter{0};
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return "/wick_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(random() & 0xffffffffffffULL);
}

std::atomic<uint64_t> segments_created{0};
std::atomic<uint64_t> bytes_moved{0};

Segment* create_segment(size_t nbytes, SharingStrategy strategy) {
  segments_created.fetch_add(1, std::memory_order_relaxed);
  auto s = std::make_unique<Segment>();
  const bool named = strategy == SharingStrategy::kFileSystem;
  s->mapped = std::max<size_t>(nbytes + (named ? kHeader : 0), 1);  // mmap refuses 0 bytes
  int fd;
  if (named) {
    do {
      s->name = new_segment_name();
      fd = shm_open(s->name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EEXIST);
    if (fd < 0) throw_os_error("creating a named segment", nbytes, errno);
  } else {
    fd = memfd_create("wick_shared", MFD_CLOEXEC);
    if (fd < 0) throw_os_error("creating a memory file", nbytes, errno);
  }
  if (ftruncate(fd, static_cast<off_t>(s->mapped)) != 0) {
    const int error = errno;
    close(fd);
    if (named) shm_unlink(s->name.c_str());
    throw_os_error("sizing a segment", nbytes, error);
  }
  void* base = mmap(nullptr, s->mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int error = errno;
    close(fd);
    if (named) shm_unlink(s->name.c_str());
    throw_os_error("mapping a segment", nbytes, error);
  }
  s->base = base;
  if (named) {
    close(fd);  // the name finds it; the mapping keeps it
    s->references().store(1);
  } else {
    s->fd = fd;
  }
  return s.release();
}

IntrusivePtr<StorageImpl> storage_over(Segment* s, size_t nbytes) {
  return IntrusivePtr<StorageImpl>(new StorageImpl(s->data(), nbytes, kCPU, &release_segment, s));
}

// Checks that an open segment file holds `needed` bytes; closes fd and throws if not.
void check_size(int fd, size_t needed, size_t nbytes, const char* what) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    throw_os_error(what, nbytes, error);
  }
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) < needed) {
    close(fd);
    WICK_THROW(ValueError, "shared memory: ", what, " of ", nbytes, " bytes: the segment holds ",
               static_cast<int64_t>(st.st_size), " bytes, not a storage of that size");
  }
}

bool valid_segment_name(const std::string& name) {
  if (name.size() < 7 || name.size() > 200 || name.compare(0, 6, "/wick_") != 0) return false;
  for (size_t i = 6; i < name.size(); ++i) {
    const char c = name[i];
    if (!((c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Opens and maps a named segment of `nbytes` data bytes.
Segment* open_named(const std::string& name, size_t nbytes, const char* what) {
  WICK_CHECK(valid_segment_name(name), ValueError, "shared memory: ", what, ": '", name,
             "' is not the name of a wick shared-memory segment");
  const int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    WICK_CHECK(errno != ENOENT, Error, "shared memory: ", what, ": the segment '", name,
               "' no longer exists (every process that held it let go, or its name was removed)");
    throw_os_error(what, nbytes, errno);
  }
  auto s = std::make_unique<Segment>();
  s->name = name;
  s->mapped = nbytes + kHeader;
  check_size(fd, s->mapped, nbytes, what);
  void* base = mmap(nullptr, s->mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int error = errno;
  close(fd);
  if (base == MAP_FAILED) throw_os_error(what, nbytes, error);
  s->base = base;
  return s.release();
}

}  // namespace

IntrusivePtr<StorageImpl> empty_shared_storage(size_t nbytes, SharingStrategy strategy) {
  return storage_over(create_segment(nbytes, strategy), nbytes);
}

void share_memory(StorageImpl& storage, SharingStrategy strategy) {
  WICK_CHECK(storage.device().is_cpu(), ValueError, "share_memory_: only CPU storages move into shared memory, not ",
             storage.device().str(), " ones");
  if (const Segment* s = segment_of(storage); s && s->sendable()) return;
  Segment* s = create_segment(storage.nbytes(), strategy);
  if (storage.nbytes() > 0) std::memcpy(s->data(), storage.data(), storage.nbytes());
  bytes_moved.fetch_add(storage.nbytes(), std::memory_order_relaxed);
  storage.adopt(s->data(), &release_segment, s);
}

bool is_shared_memory(const StorageImpl& storage) { return segment_of(storage) != nullptr; }

SharedMemoryHandle shared_memory_handle(const StorageImpl& storage) {
  const Segment* s = segment_of(storage);
  WICK_CHECK(s && s->sendable(), ValueError,
             "shared memory: the storage is not in shared memory that can be sent (call share_memory_() first)");
  SharedMemoryHandle h;
  h.nbytes = storage.nbytes();
  if (!s->name.empty()) {
    s->references().fetch_add(1);  // the receiver's, taken over by its mapping
    h.strategy = SharingStrategy::kFileSystem;
    h.name = s->name;
  } else {
    h.strategy = SharingStrategy::kFileDescriptor;
    h.fd = s->fd;
  }
  return h;
}

IntrusivePtr<StorageImpl> storage_from_shared_fd(int fd, size_t nbytes, bool keep_fd) {
  check_size(fd, nbytes, nbytes, "mapping a received segment");
  auto s = std::make_unique<Segment>();
  s->mapped = std::max<size_t>(nbytes, 1);
  void* base = mmap(nullptr, s->mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int error = errno;
  if (base == MAP_FAILED || !keep_fd) close(fd);
  if (base == MAP_FAILED) throw_os_error("mapping a received segment", nbytes, error);
  s->base = base;
  if (keep_fd) s->fd = fd;
  return storage_over(s.release(), nbytes);
}

IntrusivePtr<StorageImpl> storage_from_shared_name(const std::string& name, size_t nbytes) {
  // The mapping takes over the reference the sender's handle reserved.
  return storage_over(open_named(name, nbytes, "mapping a received segment"), nbytes);
}

SharedMemoryStats shared_memory_stats() {
  return {segments_created.load(std::memory_order_relaxed), bytes_moved.load(std::memory_order_relaxed)};
}

void release_shared_name(const std::string& name) {
  // A mapping takes over the handle's reservation (as a receiver's would); releasing it lets go of that.
  release_segment(open_named(name, 0, "releasing a segment"));
}

}  // namespace wick
