#include "data/idx.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/copy.h"
#include "ops/creation.h"

namespace wick::data {

namespace {

constexpr uint8_t kUInt8Type = 0x08;
// More elements than any real IDX file has; a header that claims more is refused.
constexpr uint64_t kMaxElements = uint64_t{1} << 40;

std::string hex(uint64_t v, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

// The bytes of a file, inflated on the fly when it is gzip-compressed.
class ByteSource {
 public:
  explicit ByteSource(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      WICK_THROW(Error, "read_idx: cannot open '", path, "': ", std::strerror(errno));
    WICK_CHECK(S_ISREG(st.st_mode), Error, "read_idx: '", path, "' is not a regular file");
    file_size_ = static_cast<uint64_t>(st.st_size);
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) WICK_THROW(Error, "read_idx: cannot open '", path, "': ", std::strerror(errno));
    unsigned char head[2] = {0, 0};
    const size_t n = std::fread(head, 1, 2, file_);
    check_stream();
    std::rewind(file_);
    gzip_ = n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    if (gzip_) {
      in_.resize(size_t{1} << 20);
      if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK)
        WICK_THROW(Error, "read_idx: '", path, "': cannot start zlib's decompressor");
      z_ready_ = true;
    }
  }
  ~ByteSource() {
    if (z_ready_) inflateEnd(&z_);
    if (file_) std::fclose(file_);
  }
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  bool gzip() const { return gzip_; }
  uint64_t file_size() const { return file_size_; }

  // Reads up to n bytes; fewer only when the data ends.
  size_t read(uint8_t* dst, size_t n) {
    if (!gzip_) {
      const size_t got = std::fread(dst, 1, n, file_);
      check_stream();
      return got;
    }
    size_t total = 0;
    while (total < n) {
      const size_t chunk = std::min<size_t>(n - total, std::numeric_limits<uInt>::max());
      const size_t got = inflate_into(dst + total, chunk);
      total += got;
      if (got < chunk) break;
    }
    return total;
  }

 private:
  void check_stream() {
    if (std::ferror(file_)) WICK_THROW(Error, "read_idx: error reading '", path_, "': ", std::strerror(errno));
  }

  // Refills the input buffer; false at the end of the file.
  bool refill() {
    const size_t got = std::fread(in_.data(), 1, in_.size(), file_);
    check_stream();
    z_.next_in = in_.data();
    z_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }

  size_t inflate_into(uint8_t* dst, size_t n) {
    z_.next_out = dst;
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0 && !refill()) {
        if (stream_end_) break;  // a complete gzip stream, and nothing after it
        WICK_THROW(ValueError, "read_idx: '", path_, "': the gzip data is cut short after ", produced(),
                   " decompressed bytes (a truncated or incomplete .gz file)");
      }
      if (stream_end_) {
        // Bytes after a complete stream: another gzip member (as `cat a.gz b.gz`
        // makes), or garbage.
        if (z_.next_in[0] != 0x1f)
          WICK_THROW(ValueError, "read_idx: '", path_, "': unexpected bytes after the end of the gzip data");
        done_before_ += z_.total_out;
        inflateReset(&z_);
        stream_end_ = false;
      }
      const int r = inflate(&z_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        stream_end_ = true;
      } else if (r == Z_DATA_ERROR || r == Z_NEED_DICT) {
        WICK_THROW(ValueError, "read_idx: '", path_, "': corrupt gzip data after ", produced(),
                   " decompressed bytes (zlib: ", z_.msg ? z_.msg : "invalid data", ")");
      } else if (r == Z_MEM_ERROR) {
        WICK_THROW(Error, "read_idx: '", path_, "': out of memory in zlib");
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        WICK_THROW(ValueError, "read_idx: '", path_, "': gzip decompression failed (zlib error ", r, ")");
      }
    }
    return n - z_.avail_out;
  }

  uint64_t produced() const { return done_before_ + z_.total_out; }

  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t file_size_ = 0;
  bool gzip_ = false;
  z_stream z_{};
  bool z_ready_ = false;
  bool stream_end_ = false;
  uint64_t done_before_ = 0;  // output of earlier gzip members
  std::vector<uint8_t> in_;
};

struct FreeBuffer {
  static void free_context(void* p) { std::free(p); }
};

}  // namespace

Tensor read_idx(const std::string& path) {
  ByteSource src(path);
  const char* what = src.gzip() ? " decompressed" : "";

  uint8_t magic[4];
  const size_t got_magic = src.read(magic, 4);
  WICK_CHECK(got_magic == 4, ValueError, "read_idx: '", path, "' is too short to be an IDX file: it has ", got_magic,
             what, " bytes, and an IDX header has at least 8");
  const uint32_t magic_number = (uint32_t{magic[2]} << 8) | magic[3];
  WICK_CHECK(magic[0] == 0 && magic[1] == 0, ValueError, "read_idx: '", path,
             "' is not an IDX file: its magic number is ",
             hex((uint64_t{magic[0]} << 24) | (uint64_t{magic[1]} << 16) | magic_number, 8),
             ", but an IDX file starts with 0x0000 (MNIST labels: 0x00000801, images: 0x00000803)");
  WICK_CHECK(magic[2] == kUInt8Type, ValueError, "read_idx: '", path, "': IDX element type ", hex(magic[2], 2), " (",
             idx_type_name(magic[2]), ", magic number ", hex(magic_number, 8),
             ") is not supported; wick reads unsigned-byte IDX files (type 0x08)");
  const int ndims = magic[3];
  WICK_CHECK(ndims >= 1, ValueError, "read_idx: '", path, "': the IDX header declares 0 dimensions (magic number ",
             hex(magic_number, 8), ")");

  std::vector<uint8_t> raw_dims(static_cast<size_t>(ndims) * 4);
  const size_t got_dims = src.read(raw_dims.data(), raw_dims.size());
  const uint64_t header_bytes = 4 + raw_dims.size();
  WICK_CHECK(got_dims == raw_dims.size(), ValueError, "read_idx: '", path, "': truncated header: it declares ", ndims,
             " dimensions, which take ", header_bytes, " header bytes, but the", what, " file ends after ",
             4 + got_dims);
  std::vector<int64_t> sizes(static_cast<size_t>(ndims));
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint8_t* b = &raw_dims[static_cast<size_t>(d) * 4];
    const uint64_t size = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
    sizes[static_cast<size_t>(d)] = static_cast<int64_t>(size);
    if (total != 0) total = size > kMaxElements / total ? kMaxElements + 1 : total * size;
  }
  WICK_CHECK(total <= kMaxElements, ValueError, "read_idx: '", path, "': the header's sizes ", IntArrayRef(sizes),
             " describe more than 2^40 elements; this is not a valid IDX file");

  if (!src.gzip()) {
    // The file size is known: check it against the sizes before allocating.
    const uint64_t available = src.file_size() - header_bytes;
    WICK_CHECK(available >= total, ValueError, "read_idx: '", path, "' is truncated: the header's sizes ",
               IntArrayRef(sizes), " call for ", total, " bytes of data, but the file has ", available, " after its ",
               header_bytes, "-byte header");
    WICK_CHECK(available == total, ValueError, "read_idx: '", path, "' has ", available - total,
               " bytes more than the header's sizes ", IntArrayRef(sizes), " call for (", total,
               " bytes of data): the sizes do not match the file");
    Tensor out = empty(sizes, TensorOptions(ScalarType::UInt8));
    const size_t got = src.read(static_cast<uint8_t*>(out.raw_data()), total);
    WICK_CHECK(got == total, ValueError, "read_idx: '", path, "' ended after ", header_bytes + got,
               " bytes while being read (was it changed meanwhile?)");
    return out;
  }

  // A gzip file's decompressed size is known only by decompressing it: the
  // buffer grows with the data, up to what the sizes call for, so a header
  // that claims more than the file holds costs no more than the file holds.
  uint8_t* data = nullptr;
  uint64_t have = 0, capacity = 0;
  struct Guard {
    uint8_t*& p;
    ~Guard() { std::free(p); }
  } guard{data};
  while (have < total) {
    if (have == capacity) {
      capacity = std::min<uint64_t>(total, std::max<uint64_t>(capacity * 2, uint64_t{1} << 20));
      auto* grown = static_cast<uint8_t*>(std::realloc(data, capacity));
      if (!grown) WICK_THROW(Error, "read_idx: '", path, "': out of memory for ", capacity, " bytes");
      data = grown;
    }
    const size_t got = src.read(data + have, capacity - have);
    have += got;
    if (got == 0) break;
  }
  WICK_CHECK(have == total, ValueError, "read_idx: '", path, "': the decompressed data ends after ", have,
             " bytes of elements, but the header's sizes ", IntArrayRef(sizes), " call for ", total,
             ": the file is truncated or its sizes are wrong");
  uint8_t extra = 0;  // reading on to the end also checks the gzip trailer (CRC and length)
  WICK_CHECK(src.read(&extra, 1) == 0, ValueError, "read_idx: '", path,
             "': the decompressed data is longer than the header's sizes ", IntArrayRef(sizes), " call for (", total,
             " bytes of elements): the sizes do not match the file");
  if (total == 0) return empty(sizes, TensorOptions(ScalarType::UInt8));
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t d = sizes.size() - 1; d > 0; --d) strides[d - 1] = strides[d] * sizes[d];
  Tensor out = from_blob(data, sizes, strides, ScalarType::UInt8, kCPU, &FreeBuffer::free_context, data);
  data = nullptr;  // the tensor owns it now
  return out;
}

void write_idx(const std::string& path, const Tensor& array, bool gzip) {
  WICK_CHECK(array.defined(), ValueError, "write_idx: the tensor is undefined");
  WICK_CHECK(array.dtype() == ScalarType::UInt8, TypeError,
             "write_idx: IDX files hold unsigned bytes here; expected a uint8 tensor, but got ", array.dtype());
  WICK_CHECK(array.dim() >= 1 && array.dim() <= 255, ValueError,
             "write_idx: an IDX file holds 1 to 255 dimensions, but the tensor has shape ", array.sizes());
  std::vector<uint8_t> header = {0, 0, kUInt8Type, static_cast<uint8_t>(array.dim())};
  for (int64_t s : array.sizes()) {
    WICK_CHECK(s <= int64_t{0xFFFFFFFF}, ValueError, "write_idx: size ", s, " in shape ", array.sizes(),
               " does not fit the 32-bit sizes of an IDX header");
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<uint8_t>(s >> shift));
  }
  const Tensor data = array.cpu().contiguous();
  const auto* bytes = static_cast<const uint8_t*>(data.raw_data());
  const size_t nbytes = data.nbytes();

  if (!gzip) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) WICK_THROW(Error, "write_idx: cannot open '", path, "' for writing: ", std::strerror(errno));
    bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
    ok = ok && (nbytes == 0 || std::fwrite(bytes, 1, nbytes, f) == nbytes);
    const int saved_errno = errno;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) WICK_THROW(Error, "write_idx: error writing '", path, "': ", std::strerror(saved_errno ? saved_errno : errno));
    return;
  }
  gzFile g = gzopen(path.c_str(), "wb");
  if (!g) WICK_THROW(Error, "write_idx: cannot open '", path, "' for writing: ", std::strerror(errno));
  bool ok = gzwrite(g, header.data(), static_cast<unsigned>(header.size())) == static_cast<int>(header.size());
  for (size_t done = 0; ok && done < nbytes;) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(nbytes - done, size_t{1} << 30));
    ok = gzwrite(g, bytes + done, chunk) == static_cast<int>(chunk);
    done += chunk;
  }
  ok = (gzclose(g) == Z_OK) && ok;
  WICK_CHECK(ok, Error, "write_idx: error writing the gzip file '", path, "'");
}

}  // namespace wick::data
