#include "io/checkpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_set>

#include "core/cuda_info.h"
#include "io/json.h"
#include "ops/creation.h"

namespace wick::io {

static_assert(std::endian::native == std::endian::little,
              "the checkpoint format is little-endian; a big-endian host would need byte swaps");

namespace {

constexpr char kMagic[8] = {'\x89', 'W', 'I', 'C', 'K', '\r', '\n', '\x1a'};
// Each level of the value tree costs the JSON two ({"list": [...]}); a tensor three more.
constexpr int kMaxJsonDepth = 2 * kMaxDepth + 8;

constexpr uint64_t align_up(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

uint32_t crc32_of(uint32_t crc, const void* data, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

void put_u32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put_u64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr std::pair<std::string_view, ScalarType> kDtypeNames[] = {
    {"bool", ScalarType::Bool},       {"uint8", ScalarType::UInt8},       {"int32", ScalarType::Int32},
    {"int64", ScalarType::Int64},     {"float16", ScalarType::Float16},   {"bfloat16", ScalarType::BFloat16},
    {"float32", ScalarType::Float32}, {"float64", ScalarType::Float64}};

// ---- where in the tree: root["layers"][2], for messages -----------------------------------

struct Crumb {
  const Crumb* parent = nullptr;
  std::string_view key;
  int64_t index = -1;  // >= 0: a list element
};

std::string where(const Crumb& at) {
  if (!at.parent) return "root";
  std::string out = where(*at.parent);
  if (at.index >= 0) {
    out += "[" + std::to_string(at.index) + "]";
  } else {
    out += "[\"";
    out += at.key;
    out += "\"]";
  }
  return out;
}

bool is_canonical_int(std::string_view s, int64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  char buf[24];
  return std::string_view(buf, std::to_chars(buf, buf + sizeof(buf), out).ptr - buf) == s;
}

std::string format_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), d).ptr);
}

// ---- the tree -> the header ---------------------------------------------------------------

class HeaderWriter {
 public:
  std::string header;
  std::vector<Tensor> tensors;
  std::vector<uint64_t> nbytes_of;  // as the header says
  uint64_t data_len = 0;
  uint64_t values = 0;  // as a reader counts them (Note [Header memory])

  void node(const Value& value, int depth, const Crumb& at) {
    values += std::holds_alternative<Tensor>(value.v) ? kTensorValues : 1;
    std::visit([&](const auto& x) { write(x, value.hint, depth, at); }, value.v);
  }

 private:
  void write(std::monostate, Value::Hint, int, const Crumb&) { header += "null"; }
  void write(bool b, Value::Hint, int, const Crumb&) { header += b ? "true" : "false"; }
  void write(int64_t i, Value::Hint, int, const Crumb&) { header += std::to_string(i); }
  void write(double d, Value::Hint, int, const Crumb&) {
    header += "{\"float\":\"" + format_double(d) + "\"}";
  }
  void write(const std::string& s, Value::Hint, int, const Crumb& at) { string(s, at, false); }

  void write(const List& list, Value::Hint hint, int depth, const Crumb& at) {
    enter(depth, at);
    header += hint == Value::Hint::Tuple ? "{\"tuple\":[" : "{\"list\":[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) header += ',';
      node(list[i], depth + 1, Crumb{&at, {}, static_cast<int64_t>(i)});
    }
    header += "]}";
  }

  void write(const Dict& dict, Value::Hint hint, int depth, const Crumb& at) {
    enter(depth, at);
    const bool int_keys = hint == Value::Hint::IntKeys;
    header += int_keys ? "{\"int_dict\":{" : "{\"dict\":{";
    std::unordered_set<std::string_view> seen;
    seen.reserve(dict.size());
    for (size_t i = 0; i < dict.size(); ++i) {
      const auto& [key, value] = dict[i];
      const Crumb here{&at, key};
      int64_t unused;
      WICK_CHECK(!int_keys || is_canonical_int(key, unused), ValueError, "save: the dict at ", where(at),
                 " has int keys, but its key \"", key, "\" is not the decimal text of an int64");
      WICK_CHECK(seen.insert(key).second, ValueError, "save: the dict at ", where(at), " has the key \"", key,
                 "\" twice");
      if (i) header += ',';
      string(key, here, true);
      header += ':';
      node(value, depth + 1, here);
    }
    header += "}}";
  }

  void write(const Tensor& t, Value::Hint hint, int, const Crumb& at) {
    WICK_CHECK(t.defined(), ValueError, "save: the tensor at ", where(at), " is undefined");
    const uint64_t offset = align_up(data_len);
    const uint64_t nbytes = t.nbytes();
    header += "{\"tensor\":{\"dtype\":\"";
    header += to_string(t.dtype());
    header += "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d) header += ',';
      header += std::to_string(t.size(d));
    }
    header += "],\"device\":\"" + t.device().str() + "\",\"requires_grad\":";
    header += t.requires_grad() ? "true" : "false";
    header += ",\"offset\":" + std::to_string(offset) + ",\"nbytes\":" + std::to_string(nbytes);
    if (hint == Value::Hint::Parameter) header += ",\"parameter\":true";
    if (hint == Value::Hint::NumpyArray) header += ",\"numpy\":true";
    header += "}}";
    WICK_CHECK(t.dim() <= kMaxDims, ValueError, "save: the tensor at ", where(at), " has ", t.dim(),
               " dimensions; a checkpoint holds at most ", kMaxDims);
    tensors.push_back(t);
    nbytes_of.push_back(nbytes);
    data_len = offset + nbytes;
  }

  void string(const std::string& s, const Crumb& at, bool is_key) {
    WICK_CHECK(json::is_valid_utf8(s), ValueError, "save: the ", is_key ? "dict key" : "string", " at ", where(at),
               " is not valid UTF-8");
    json::dump_string(s, header);
  }

  void enter(int depth, const Crumb& at) {
    WICK_CHECK(depth < kMaxDepth, ValueError, "save: the containers at ", where(at), " nest deeper than ",
               kMaxDepth, " levels");
  }
};

// ---- writing bytes ----------------------------------------------------------------------

template <typename... Parts>
[[noreturn]] void corrupt(std::string_view name, const Parts&... parts) {
  WICK_THROW(io::CheckpointError, "checkpoint '", name, "': ", parts...);
}

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int err) {
  throw FileError(what + ": " + std::strerror(err), err, path);
}

}  // namespace

// Where the bytes go: memory or a file descriptor.
class Writer::Sink {
 public:
  virtual ~Sink() = default;
  virtual void put(const void* data, size_t n) = 0;
};

namespace {

class MemorySink final : public Writer::Sink {
 public:
  explicit MemorySink(char* dst) : dst_(dst) {}
  void put(const void* data, size_t n) override {
    if (n) std::memcpy(dst_, data, n);
    dst_ += n;
  }

 private:
  char* dst_;
};

void write_all(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t written = ::write(fd, data, std::min<size_t>(n, size_t{1} << 30));
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_errno("save: cannot write '" + path + "'", path, errno);
    }
    data += written;
    n -= static_cast<size_t>(written);
  }
}

class FileSink final : public Writer::Sink {
 public:
  FileSink(int fd, const std::string& path) : fd_(fd), path_(path) { buffer_.reserve(kBufferBytes); }
  void put(const void* data, size_t n) override {
    const char* p = static_cast<const char*>(data);
    if (buffer_.size() + n > kBufferBytes) flush();
    if (n >= kBufferBytes) write_all(fd_, p, n, path_);  // large: straight from the tensor
    else buffer_.insert(buffer_.end(), p, p + n);
  }
  void flush() {
    write_all(fd_, buffer_.data(), buffer_.size(), path_);
    buffer_.clear();
  }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;
  int fd_;
  const std::string& path_;
  std::vector<char> buffer_;
};

// Puts the elements of `t` (on the CPU, any strides) in row-major order, as
// elements of the unsigned type U of the same size.
template <typename U>
void put_strided(const Tensor& t, Writer::Sink& sink, uint32_t& crc) {
  const int64_t ndim = t.dim();
  const int64_t inner = t.size(-1), inner_stride = t.stride(-1);
  const U* base = static_cast<const U*>(t.raw_data());
  std::vector<int64_t> index(ndim, 0);
  std::vector<U> chunk;
  const size_t chunk_elems = (size_t{1} << 20) / sizeof(U);
  chunk.reserve(chunk_elems);
  const auto flush = [&] {
    crc = crc32_of(crc, chunk.data(), chunk.size() * sizeof(U));
    sink.put(chunk.data(), chunk.size() * sizeof(U));
    chunk.clear();
  };
  for (int64_t row = 0, rows = t.numel() / inner; row < rows; ++row) {
    int64_t offset = 0;
    for (int64_t d = 0; d + 1 < ndim; ++d) offset += index[d] * t.stride(d);
    const U* p = base + offset;
    for (int64_t j = 0; j < inner; ++j) {
      chunk.push_back(p[j * inner_stride]);
      if (chunk.size() == chunk_elems) flush();
    }
    for (int64_t d = ndim - 2; d >= 0; --d) {  // the next row, odometer-style
      if (++index[d] < t.size(d)) break;
      index[d] = 0;
    }
  }
  flush();
}

void put_tensor(const Tensor& tensor, uint64_t nbytes, Writer::Sink& sink, uint32_t& crc) {
  // The header was written for nbytes; a tensor that another thread changed
  // since (module.to(dtype) swaps a parameter's data) must not overrun the output.
  WICK_CHECK(tensor.nbytes() == nbytes, Error, "save: a tensor changed size while it was being saved (",
             nbytes, " bytes, now ", tensor.nbytes(), ")");
  if (nbytes == 0) return;
  const Tensor t = tensor.is_cuda() ? tensor.to(kCPU) : tensor;
  if (t.is_contiguous()) {
    crc = crc32_of(crc, t.raw_data(), t.nbytes());
    sink.put(t.raw_data(), t.nbytes());
    return;
  }
  switch (t.element_size()) {
    case 1: return put_strided<uint8_t>(t, sink, crc);
    case 2: return put_strided<uint16_t>(t, sink, crc);
    case 4: return put_strided<uint32_t>(t, sink, crc);
    default: return put_strided<uint64_t>(t, sink, crc);
  }
}

}  // namespace

Writer::Writer(const Value& value) {
  HeaderWriter w;
  w.header = "{\"root\":";
  w.node(value, 0, Crumb{});
  w.header += '}';
  WICK_CHECK(w.header.size() <= kMaxHeaderBytes, ValueError, "save: the header would be ", w.header.size(),
             " bytes; a checkpoint's header holds at most ", kMaxHeaderBytes, " (too many values)");
  WICK_CHECK(w.values <= max_header_values(w.data_len), ValueError, "save: the tree holds ", w.values,
             " values (a tensor counts ", kTensorValues, "), more than the ", max_header_values(w.data_len),
             " a checkpoint with ", w.data_len, " bytes of tensor data may hold (Note [Header memory])");
  header_ = std::move(w.header);
  tensors_ = std::move(w.tensors);
  nbytes_ = std::move(w.nbytes_of);
  data_start_ = align_up(kPreambleBytes + header_.size());
  data_len_ = w.data_len;
}

void Writer::write_body(Sink& sink, uint32_t& header_crc, uint32_t& data_crc) const {
  static constexpr char kZeros[kAlignment] = {};
  const size_t header_pad = data_start_ - kPreambleBytes - header_.size();
  header_crc = crc32_of(crc32_of(0, header_.data(), header_.size()), kZeros, header_pad);
  sink.put(header_.data(), header_.size());
  sink.put(kZeros, header_pad);
  data_crc = 0;
  uint64_t at = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const size_t pad = align_up(at) - at;
    data_crc = crc32_of(data_crc, kZeros, pad);
    sink.put(kZeros, pad);
    put_tensor(tensors_[i], nbytes_[i], sink, data_crc);
    at += pad + nbytes_[i];
  }
}

std::string Writer::preamble(uint32_t header_crc, uint32_t data_crc) const {
  std::string p(kPreambleBytes, '\0');
  std::memcpy(p.data(), kMagic, 8);
  put_u32(p.data() + 8, kFormatVersion);
  put_u64(p.data() + 16, header_.size());
  put_u64(p.data() + 24, data_len_);
  put_u32(p.data() + 32, header_crc);
  put_u32(p.data() + 36, data_crc);
  put_u32(p.data() + 60, crc32_of(0, p.data(), 60));
  return p;
}

void Writer::write_to(void* dst) const {
  char* out = static_cast<char*>(dst);
  MemorySink sink(out + kPreambleBytes);
  uint32_t header_crc = 0, data_crc = 0;
  write_body(sink, header_crc, data_crc);
  std::memcpy(out, preamble(header_crc, data_crc).data(), kPreambleBytes);
}

namespace {

// Note [Atomic save]
// The bytes go to a fresh temporary file next to the target (same directory,
// so the same file system); once it is complete and fsync'ed it is renamed
// over the target, which POSIX makes atomic, and the directory is fsync'ed so
// that the rename itself survives a crash. Until the rename the old file is
// untouched; any failure removes the temporary file. A symlink is followed so
// that the file it names is replaced, not the link. The new file keeps the
// old one's permission bits.
//
// A save killed with SIGKILL runs no destructor, so the temporary file must
// not need one: it is created unnamed (Linux's O_TMPFILE, which ext4, XFS,
// Btrfs and tmpfs support), and the kernel frees it with the process. Only
// when it is complete does it get a name (linkat through /proc/self/fd), which
// the rename then moves over the target: a kill in that window of two system
// calls, or on a file system without O_TMPFILE (where the file is named from
// the start), leaves ".NAME.wick-tmp-PID-N" behind, so each save to NAME first
// removes those of processes that no longer run.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target) : target_(target) {
    const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
    remove_stale(dir, prefix());
#ifdef O_TMPFILE
    // Naming the file later goes through /proc/self/fd.
    fd_ = ::access("/proc/self/fd", X_OK) == 0 ? ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666) : -1;
    if (fd_ >= 0) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT && errno != EINVAL)
      throw_errno("save: cannot create a temporary file next to '" + target.string() + "'", target.string(), errno);
#endif
    path_ = make_named(O_WRONLY);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  // For messages: the name the file has or will have.
  std::string name() const { return path_.empty() ? target_.string() + " (a temporary file)" : path_.string(); }

  // Gives an unnamed file its name, closes it and renames it over the target.
  void commit() {
    if (path_.empty()) {  // unnamed (O_TMPFILE): link it under a fresh name first
      const std::string self = "/proc/self/fd/" + std::to_string(fd_);
      for (int attempt = 0;; ++attempt) {
        const std::filesystem::path candidate = next_name();
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0) {
          path_ = candidate;
          break;
        }
        if (errno != EEXIST || attempt == 100)
          throw_errno("save: cannot name the new file for '" + target_.string() + "'", target_.string(), errno);
      }
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("save: cannot write '" + path_.string() + "'", path_.string(), errno);
    if (::rename(path_.c_str(), target_.c_str()) != 0)
      throw_errno("save: cannot replace '" + target_.string() + "'", target_.string(), errno);
    path_.clear();  // renamed: nothing to remove
  }

 private:
  std::string prefix() const { return "." + target_.filename().string().substr(0, 200) + ".wick-tmp-"; }

  std::filesystem::path next_name() const {
    static std::atomic<uint64_t> counter{0};
    return target_.parent_path() / (prefix() + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  }

  std::filesystem::path make_named(int flags) {
    for (int attempt = 0;; ++attempt) {
      std::filesystem::path candidate = next_name();
      fd_ = ::open(candidate.c_str(), flags | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (fd_ >= 0) return candidate;
      if (errno != EEXIST || attempt == 100)
        throw_errno("save: cannot create a temporary file next to '" + target_.string() + "'", target_.string(),
                    errno);
    }
  }

  // Removes PREFIX<pid>-<n> files in dir whose process no longer runs (best
  // effort: an unreadable directory or a file that cannot go is left alone).
  static void remove_stale(const std::filesystem::path& dir, const std::string& prefix) {
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string rest = name.substr(prefix.size());
      long pid = 0;
      const auto [ptr, err] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
      if (err != std::errc() || ptr == rest.data() || *ptr != '-' || pid <= 0) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
  }

  std::filesystem::path target_;
  std::filesystem::path path_;  // the file's name; empty while it is unnamed and after the rename
  int fd_ = -1;
};

std::filesystem::path resolve_target(const std::string& path) {
  std::filesystem::path target(path);
  std::error_code ec;
  for (int hops = 0; hops < 40 && std::filesystem::is_symlink(target, ec); ++hops) {
    const std::filesystem::path link = std::filesystem::read_symlink(target, ec);
    if (ec) break;
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  return target;
}

}  // namespace

void Writer::write_to_file(const std::string& path) const {
  WICK_CHECK(!path.empty(), ValueError, "save: the path is empty");
  const std::filesystem::path target = resolve_target(path);
  struct stat old;
  const bool exists = ::stat(target.c_str(), &old) == 0;
  if (exists && S_ISDIR(old.st_mode)) throw FileError("save: '" + path + "' is a directory", EISDIR, path);
  TempFile tmp(target);
  if (exists && S_ISREG(old.st_mode)) ::fchmod(tmp.fd(), old.st_mode & 07777);

  const std::string tmp_name = tmp.name();
  FileSink sink(tmp.fd(), tmp_name);
  static constexpr char kZeros[kPreambleBytes] = {};
  sink.put(kZeros, kPreambleBytes);  // the preamble, once the checksums are known
  uint32_t header_crc = 0, data_crc = 0;
  write_body(sink, header_crc, data_crc);
  sink.flush();
  const std::string head = preamble(header_crc, data_crc);
  if (::pwrite(tmp.fd(), head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()))
    throw_errno("save: cannot write '" + tmp_name + "'", tmp_name, errno);
  if (::fsync(tmp.fd()) != 0) throw_errno("save: cannot write '" + tmp_name + "'", tmp_name, errno);
  tmp.commit();
  // Make the rename durable. Some file systems cannot fsync a directory; the
  // file is complete either way, so that is not an error.
  const std::filesystem::path dir = target.parent_path().empty() ? "." : target.parent_path();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

// ---- reading --------------------------------------------------------------------------------

namespace {

// The bytes of a checkpoint: a file or memory. read() is given only ranges
// that the caller checked against size().
class Source {
 public:
  virtual ~Source() = default;
  virtual void read(uint64_t offset, void* dst, size_t n) = 0;
  // The bytes [offset, offset + n): read into `buffer`, or seen where they already are.
  virtual std::string_view view(uint64_t offset, size_t n, std::string& buffer) {
    buffer.resize(n);
    read(offset, buffer.data(), n);
    return buffer;
  }
  uint64_t size = 0;
  std::string name;
};

class MemorySource final : public Source {
 public:
  MemorySource(std::string_view bytes, std::string_view name_) : bytes_(bytes) {
    size = bytes.size();
    name = name_;
  }
  void read(uint64_t offset, void* dst, size_t n) override {
    WICK_CHECK(offset <= size && n <= size - offset, io::CheckpointError, "checkpoint '", name,
               "': read past its end");  // unreachable: ranges are checked first
    if (n) std::memcpy(dst, bytes_.data() + offset, n);
  }
  std::string_view view(uint64_t offset, size_t n, std::string&) override {
    WICK_CHECK(offset <= size && n <= size - offset, io::CheckpointError, "checkpoint '", name,
               "': read past its end");  // unreachable: ranges are checked first
    return bytes_.substr(offset, n);
  }

 private:
  std::string_view bytes_;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::string& path) {
    name = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw_errno("load: cannot open '" + path + "'", path, errno);
    struct stat st;
    const int err = ::fstat(fd_, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (err != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      if (err == EISDIR) throw FileError("load: '" + path + "' is a directory", EISDIR, path);
      if (err != 0) throw_errno("load: cannot read '" + path + "'", path, err);
      corrupt(path, "not a regular file");
    }
    size = static_cast<uint64_t>(st.st_size);
  }
  ~FileSource() override { ::close(fd_); }
  void read(uint64_t offset, void* dst, size_t n) override {
    char* out = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, std::min<size_t>(n, size_t{1} << 30), static_cast<off_t>(offset));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw_errno("load: cannot read '" + name + "'", name, errno);
      }
      WICK_CHECK(got > 0, io::CheckpointError, "checkpoint '", name, "': the file became shorter while it was read");
      out += got;
      offset += static_cast<uint64_t>(got);
      n -= static_cast<size_t>(got);
    }
  }

 private:
  int fd_ = -1;
};

struct Preamble {
  uint64_t header_len = 0;
  uint64_t data_len = 0;
  uint64_t data_start = 0;
  uint32_t header_crc = 0;
  uint32_t data_crc = 0;
  uint64_t total() const { return data_start + data_len; }
};

// Checks the first bytes of a file; `available` is how many there are in all.
Preamble parse_preamble(std::string_view head, uint64_t available, std::string_view name) {
  if (head.size() < sizeof(kMagic) || std::memcmp(head.data(), kMagic, sizeof(kMagic)) != 0) {
    if (head.starts_with("PK\x03\x04"))
      corrupt(name, "not a wick checkpoint: it is a zip archive (a PyTorch checkpoint?); wick reads only "
                    "files written by wick.save / io::save");
    if (available < sizeof(kMagic) && std::string_view(kMagic, head.size()) == head)
      corrupt(name, "truncated: ", available, " bytes, less than the ", kPreambleBytes, "-byte preamble");
    corrupt(name, "not a wick checkpoint (it does not start with wick's magic bytes)");
  }
  if (head.size() < kPreambleBytes)
    corrupt(name, "truncated: ", available, " bytes, less than the ", kPreambleBytes, "-byte preamble");
  const char* p = head.data();
  if (crc32_of(0, p, 60) != get_u32(p + 60)) corrupt(name, "corrupted: the preamble's CRC-32 does not match");
  const uint32_t version = get_u32(p + 8);
  if (version != kFormatVersion)
    corrupt(name, "format version ", version, ", but this wick reads version ", kFormatVersion,
            " (written by a newer wick?)");
  if (get_u32(p + 12) != 0) corrupt(name, "unknown flags ", get_u32(p + 12), " in the preamble");
  for (int i = 40; i < 60; ++i)
    if (p[i] != 0) corrupt(name, "reserved preamble bytes are not zero");
  Preamble pre;
  pre.header_len = get_u64(p + 16);
  pre.data_len = get_u64(p + 24);
  pre.header_crc = get_u32(p + 32);
  pre.data_crc = get_u32(p + 36);
  if (pre.header_len > kMaxHeaderBytes)
    corrupt(name, "the header length ", pre.header_len, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  pre.data_start = align_up(kPreambleBytes + pre.header_len);
  if (pre.data_len > std::numeric_limits<uint64_t>::max() - pre.data_start)
    corrupt(name, "the data length ", pre.data_len, " is impossible");
  return pre;
}

// ---- the header -> the tree ----------------------------------------------------------------

struct TensorEntry {
  ScalarType dtype;
  std::vector<int64_t> shape;
  Device device;
  bool requires_grad = false;
  uint64_t offset = 0;
  uint64_t nbytes = 0;
};

// Reads the header's JSON straight into the Value tree, checking the format as
// it goes (Note [Header memory]).
class TreeReader {
 public:
  TreeReader(json::Cursor& cursor, std::string_view name, uint64_t data_len)
      : c_(cursor), name_(name), data_len_(data_len), max_values_(max_header_values(data_len)) {}

  std::vector<TensorEntry> entries;  // in data order
  uint64_t data_end = 0;             // the end of the last tensor's bytes

  // The document {"root": NODE}.
  Value document() {
    std::string key;
    if (c_.peek() != Kind::Object) corrupt(name_, "the header must be the object {\"root\": ...}");
    c_.begin_object();
    if (!c_.next_key(key) || key != "root") corrupt(name_, "the header must be the object {\"root\": ...}");
    Value root = node(0, Crumb{});
    if (c_.next_key(key)) corrupt(name_, "the header must be the object {\"root\": ...}");
    c_.end_document();
    return root;
  }

 private:
  using Kind = json::Cursor::Kind;

  // Counts `n` values toward the header's limit (Note [Header memory]).
  void count(uint64_t n, const Crumb& at) {
    values_ += n;
    if (values_ > max_values_)
      fail(at, "the header holds more than ", max_values_, " values (a tensor counts ", kTensorValues,
           "), the limit for a checkpoint whose data section has ", data_len_,
           " bytes (Note [Header memory]; files written before wick had the limit may pass it)");
  }

  Value node(int depth, const Crumb& at) {
    count(1, at);
    switch (c_.peek()) {
      case Kind::Null: c_.read_null(); return Value();
      case Kind::Bool: return Value(c_.read_bool());
      case Kind::String: return Value(c_.read_string());
      case Kind::Number: {
        const std::variant<int64_t, double> n = c_.read_number();
        if (const auto* i = std::get_if<int64_t>(&n)) return Value(*i);
        [[fallthrough]];
      }
      case Kind::Array: fail(at, "a bare JSON array or fractional number is not a value of this format");
      case Kind::Object: break;
    }
    c_.begin_object();
    std::string kind;
    if (!c_.next_key(kind)) fail(at, "a value object must have exactly one member, found none");
    Value out = wrapped(kind, depth, at);
    std::string second;
    if (c_.next_key(second))
      fail(at, "a value object must have exactly one member, found a second one, \"", second, "\"");
    return out;
  }

  // The body of {"kind": body}.
  Value wrapped(const std::string& kind, int depth, const Crumb& at) {
    if (kind == "float") {
      if (c_.peek() != Kind::String) fail(at, "\"float\" must hold a string");
      return Value(parse_float(c_.read_string(), at));
    }
    if (kind == "tensor") return tensor(at);
    const bool is_list = kind == "list" || kind == "tuple", is_dict = kind == "dict" || kind == "int_dict";
    if (!is_list && !is_dict) fail(at, "unknown value kind \"", kind, "\"");
    if (depth >= kMaxDepth) fail(at, "containers nest deeper than ", kMaxDepth, " levels");
    if (is_list) {
      if (c_.peek() != Kind::Array) fail(at, "\"", kind, "\" must hold an array");
      List list;
      c_.begin_array();
      while (c_.next_item()) list.push_back(node(depth + 1, Crumb{&at, {}, static_cast<int64_t>(list.size())}));
      Value out(std::move(list));
      if (kind == "tuple") out.hint = Value::Hint::Tuple;
      return out;
    }
    if (c_.peek() != Kind::Object) fail(at, "\"", kind, "\" must hold an object");
    const bool int_keys = kind == "int_dict";
    Dict dict;
    std::string key;
    c_.begin_object();
    while (c_.next_key(key)) {
      const Crumb here{&at, key};
      int64_t unused;
      if (int_keys && !is_canonical_int(key, unused)) fail(here, "the int_dict key is not the decimal text of an int64");
      Value child = node(depth + 1, here);
      dict.emplace_back(std::move(key), std::move(child));
    }
    refuse_duplicate_keys(dict, at);
    Value out(std::move(dict));
    if (int_keys) out.hint = Value::Hint::IntKeys;
    return out;
  }

  // By sorting positions (4 bytes a key) rather than hashing copies of the keys.
  void refuse_duplicate_keys(const Dict& dict, const Crumb& at) const {
    std::vector<uint32_t> order(dict.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return dict[a].first < dict[b].first; });
    for (size_t i = 1; i < order.size(); ++i)
      if (dict[order[i]].first == dict[order[i - 1]].first)
        fail(at, "duplicate key \"", dict[order[i]].first, "\"");
  }

  template <typename... Parts>
  [[noreturn]] void fail(const Crumb& at, const Parts&... parts) const {
    corrupt(name_, "invalid header at ", where(at), ": ", parts...);
  }

  double parse_float(const std::string& text, const Crumb& at) const {
    if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (text == "inf") return std::numeric_limits<double>::infinity();
    if (text == "-inf") return -std::numeric_limits<double>::infinity();
    double d = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(d) || format_double(d) != text)
      fail(at, "\"", text, "\" is not a float in its shortest decimal form");
    return d;
  }

  // The fields of {"tensor": {...}}, read in any order; each at most once.
  struct TensorFields {
    std::optional<std::string> dtype, device;
    std::optional<std::vector<int64_t>> shape;
    std::optional<bool> requires_grad, parameter, numpy;
    std::optional<int64_t> offset, nbytes;
  };

  template <typename T>
  const T& field(const std::optional<T>& f, std::string_view key, const Crumb& at) const {
    if (!f) fail(at, "the tensor has no \"", key, "\"");
    return *f;
  }

  TensorFields tensor_fields(const Crumb& at) {
    if (c_.peek() != Kind::Object) fail(at, "\"tensor\" must hold an object");
    TensorFields f;
    std::string key;
    const auto once = [&](const auto& slot) {
      if (slot) fail(at, "the tensor's \"", key, "\" appears twice");
    };
    const auto read = [&](Kind kind, const char* expected) {
      if (c_.peek() != kind) fail(at, "the tensor's \"", key, "\" must be ", expected);
    };
    const auto integer = [&](const char* what) {
      read(Kind::Number, what);
      auto n = c_.read_number();
      if (!std::holds_alternative<int64_t>(n)) fail(at, "the tensor's \"", key, "\" must be ", what);
      return std::get<int64_t>(n);
    };
    c_.begin_object();
    while (c_.next_key(key)) {
      if (key == "dtype" || key == "device") {
        auto& slot = key == "dtype" ? f.dtype : f.device;
        once(slot);
        read(Kind::String, "a string");
        slot = c_.read_string();
      } else if (key == "requires_grad" || key == "parameter" || key == "numpy") {
        auto& slot = key == "requires_grad" ? f.requires_grad : key == "parameter" ? f.parameter : f.numpy;
        once(slot);
        read(Kind::Bool, "a bool");
        slot = c_.read_bool();
      } else if (key == "offset" || key == "nbytes") {
        auto& slot = key == "offset" ? f.offset : f.nbytes;
        once(slot);
        slot = integer("an integer");
      } else if (key == "shape") {
        once(f.shape);
        read(Kind::Array, "an array of sizes");
        f.shape.emplace();
        c_.begin_array();
        while (c_.next_item()) {
          if (c_.peek() != Kind::Number) fail(at, "the tensor's shape holds a non-integer");
          auto n = c_.read_number();
          if (!std::holds_alternative<int64_t>(n)) fail(at, "the tensor's shape holds a non-integer");
          if (f.shape->size() == static_cast<size_t>(kMaxDims))
            fail(at, "the tensor has more than ", kMaxDims, " dimensions");
          f.shape->push_back(std::get<int64_t>(n));
        }
      } else {
        fail(at, "unknown tensor field \"", key, "\"");
      }
    }
    return f;
  }

  Value tensor(const Crumb& at) {
    count(kTensorValues - 1, at);
    const TensorFields f = tensor_fields(at);
    TensorEntry e;
    const std::string& dtype = field(f.dtype, "dtype", at);
    const auto* known = std::find_if(std::begin(kDtypeNames), std::end(kDtypeNames),
                                     [&](const auto& d) { return d.first == dtype; });
    if (known == std::end(kDtypeNames)) fail(at, "unknown dtype \"", dtype, "\"");
    e.dtype = known->second;

    uint64_t numel = 1, extent = 1;  // extent skips zeros: an empty tensor's other sizes still make its strides
    for (const int64_t size : field(f.shape, "shape", at)) {
      if (size < 0) fail(at, "the tensor's shape has a negative size ", size);
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(size), &numel) ||
          numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(at, "the tensor's shape has more elements than an int64 counts");
      if (__builtin_mul_overflow(extent, static_cast<uint64_t>(std::max<int64_t>(size, 1)), &extent) ||
          extent > (uint64_t{1} << 62))
        fail(at, "the tensor's shape ", IntArrayRef(*f.shape), " is too large for int64 strides");
    }
    e.shape = *f.shape;
    uint64_t expected_nbytes = 0;
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(itemsize(e.dtype)), &expected_nbytes))
      fail(at, "the tensor's size in bytes overflows");

    const std::string& device = field(f.device, "device", at);
    try {
      e.device = Device(std::string_view(device));
    } catch (const Error&) {
      fail(at, "unknown device \"", device, "\"");
    }
    e.requires_grad = field(f.requires_grad, "requires_grad", at);
    if (e.requires_grad && !is_floating_point(e.dtype))
      fail(at, "a ", e.dtype, " tensor cannot require grad");

    const int64_t offset = field(f.offset, "offset", at);
    const int64_t nbytes = field(f.nbytes, "nbytes", at);
    if (nbytes < 0 || static_cast<uint64_t>(nbytes) != expected_nbytes)
      fail(at, "nbytes is ", nbytes, " but a ", e.dtype, " tensor of ", numel, " elements has ", expected_nbytes);
    const uint64_t expected_offset = align_up(data_end);
    if (offset < 0 || static_cast<uint64_t>(offset) != expected_offset)
      fail(at, "the tensor's offset is ", offset, ", expected ", expected_offset,
           " (tensors follow each other in the data section)");
    if (expected_offset > data_len_ || expected_nbytes > data_len_ - expected_offset)
      fail(at, "the tensor's bytes [", expected_offset, ", ", expected_offset, " + ", expected_nbytes,
           ") lie outside the data section of ", data_len_, " bytes");
    e.offset = expected_offset;
    e.nbytes = expected_nbytes;
    data_end = e.offset + e.nbytes;

    Value out{Tensor()};  // the data is read once the whole header has checked out
    if (f.parameter) {
      if (!*f.parameter) fail(at, "\"parameter\" may only be true");
      out.hint = Value::Hint::Parameter;
    }
    if (f.numpy) {
      if (!*f.numpy || f.parameter) fail(at, "\"numpy\" may only be true, and not with \"parameter\"");
      if (*f.requires_grad || *f.device != "cpu") fail(at, "a NumPy array is saved from the CPU, without grad");
      out.hint = Value::Hint::NumpyArray;
    }
    entries.push_back(std::move(e));
    return out;
  }

  json::Cursor& c_;
  std::string_view name_;
  uint64_t data_len_;
  uint64_t max_values_;
  uint64_t values_ = 0;
};

// Puts the loaded tensors into the tree's placeholders, in the order TreeReader met them.
void fill(Value& value, std::vector<Tensor>& tensors, size_t& next) {
  if (auto* t = std::get_if<Tensor>(&value.v)) *t = std::move(tensors[next++]);
  else if (auto* list = std::get_if<List>(&value.v))
    for (Value& item : *list) fill(item, tensors, next);
  else if (auto* dict = std::get_if<Dict>(&value.v))
    for (auto& [key, item] : *dict) fill(item, tensors, next);
}

Device target_device(const DeviceMap& map, Device saved, std::string_view name) {
  const Device target = map ? map(saved) : saved;
  if (target.is_cuda()) {
    WICK_CHECK(cuda::is_available(), Error, "checkpoint '", name, "': a tensor was saved on ", saved,
               " and would load on ", target, ", but CUDA is not available (", cuda::unavailable_reason(),
               "); pass map_location='cpu' (C++: io::load(path, kCPU)) to load it on the CPU");
    WICK_CHECK(target.index < cuda::device_count(), Error, "checkpoint '", name, "': a tensor was saved on ",
               saved, " and would load on ", target, ", but only ", cuda::device_count(),
               " CUDA devices are visible; pass map_location to choose another device");
  }
  return target;
}

Value load_from(Source& src, const DeviceMap& map) {
  const std::string_view name = src.name;
  char head[kPreambleBytes];
  const size_t head_len = static_cast<size_t>(std::min<uint64_t>(src.size, kPreambleBytes));
  src.read(0, head, head_len);
  const Preamble pre = parse_preamble(std::string_view(head, head_len), src.size, name);
  if (src.size < pre.total())
    corrupt(name, "truncated: the preamble says the checkpoint has ", pre.total(), " bytes, but there are only ",
            src.size);
  if (src.size > pre.total())
    corrupt(name, "the checkpoint should end after ", pre.total(), " bytes, but ", src.size - pre.total(),
            " more follow");

  std::string buffer;  // the header, unless the checkpoint is in memory already
  const std::string_view padded = src.view(kPreambleBytes, pre.data_start - kPreambleBytes, buffer);
  if (crc32_of(0, padded.data(), padded.size()) != pre.header_crc)
    corrupt(name, "corrupted: the header's CRC-32 does not match");
  for (size_t i = pre.header_len; i < padded.size(); ++i)
    if (padded[i] != 0) corrupt(name, "the padding after the header is not zero");
  const std::string_view header = padded.substr(0, pre.header_len);

  json::Cursor cursor(header, kMaxJsonDepth);
  TreeReader reader(cursor, name, pre.data_len);
  Value root;
  try {
    root = reader.document();
  } catch (const json::ParseError& e) {
    corrupt(name, "the header is not valid: ", e.what());
  }
  buffer = std::string();  // its memory goes before the tensors come
  if (reader.data_end != pre.data_len)
    corrupt(name, "the data section has ", pre.data_len, " bytes but its tensors end at ", reader.data_end);
  std::vector<Device> devices;
  devices.reserve(reader.entries.size());
  for (const TensorEntry& e : reader.entries) devices.push_back(target_device(map, e.device, name));

  // Everything checked out: read the bytes. They total data_len <= the file's size.
  std::vector<Tensor> tensors;
  tensors.reserve(reader.entries.size());
  uint32_t crc = 0;
  uint64_t at = 0;
  for (const TensorEntry& e : reader.entries) {
    char pad[kAlignment];
    const size_t pad_len = e.offset - at;
    src.read(pre.data_start + at, pad, pad_len);
    crc = crc32_of(crc, pad, pad_len);
    Tensor t = empty(e.shape, TensorOptions(e.dtype));
    src.read(pre.data_start + e.offset, t.raw_data(), e.nbytes);
    crc = crc32_of(crc, t.raw_data(), e.nbytes);
    at = e.offset + e.nbytes;
    tensors.push_back(std::move(t));
  }
  if (crc != pre.data_crc) corrupt(name, "corrupted: the data section's CRC-32 does not match");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorEntry& e = reader.entries[i];
    Tensor& t = tensors[i];
    if (e.dtype == ScalarType::Bool) {  // any other byte would be undefined behaviour as a C++ bool
      const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
      for (uint64_t k = 0; k < e.nbytes; ++k)
        if (bytes[k] > 1) corrupt(name, "a bool tensor holds the byte ", int{bytes[k]}, " (bools are 0 or 1)");
    }
    if (!devices[i].is_cpu()) t = t.to(devices[i]);
    if (e.requires_grad) t.requires_grad_(true);
  }
  size_t next = 0;
  fill(root, tensors, next);
  return root;
}

}  // namespace

// ---- the API ----------------------------------------------------------------------------------

void save(const Value& value, const std::string& path) { Writer(value).write_to_file(path); }

std::string save_to_bytes(const Value& value) {
  const Writer writer(value);
  std::string out(writer.size(), '\0');
  writer.write_to(out.data());
  return out;
}

Value load(const std::string& path, const DeviceMap& map_location) {
  FileSource src(path);
  return load_from(src, map_location);
}

Value load(const std::string& path, std::optional<Device> map_location) {
  if (!map_location) return load(path, DeviceMap());
  return load(path, DeviceMap([d = *map_location](Device) { return d; }));
}

Value load_from_bytes(std::string_view bytes, const DeviceMap& map_location, std::string_view name) {
  MemorySource src(bytes, name);
  return load_from(src, map_location);
}

uint64_t checkpoint_size(std::string_view head, std::string_view name) {
  return parse_preamble(head, head.size(), name).total();
}

void save_tensors(const TensorDict& tensors, const std::string& path) {
  Dict dict;
  dict.reserve(tensors.size());
  for (const auto& [key, t] : tensors) dict.emplace_back(key, Value(t));
  save(Value(std::move(dict)), path);
}

TensorDict load_tensors(const std::string& path, std::optional<Device> map_location) {
  Value root = load(path, map_location);
  WICK_CHECK(root.is<Dict>(), TypeError, "load_tensors: '", path, "' holds a ", kind_name(root),
             ", not a dict of tensors");
  TensorDict out;
  for (auto& [key, value] : root.as<Dict>()) {
    WICK_CHECK(value.is<Tensor>(), TypeError, "load_tensors: '", path, "' holds a ", kind_name(value),
               " under \"", key, "\", not a tensor");
    out.emplace_back(key, std::move(value.as<Tensor>()));
  }
  return out;
}

}  // namespace wick::io
