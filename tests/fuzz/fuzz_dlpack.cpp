// libFuzzer target: DLPack import (io::from_dlpack, Note [DLPack import
// checks]). The input is a DLTensor's metadata: dtype, device, ndim, shape,
// strides (or none), byte offset, data (or none). Every input either makes a
// tensor of that shape or throws a wick error; release runs exactly once when
// the tensor goes, and never for a refused input. The data pointer is trusted
// (DLPack carries no buffer size), so the target never reads through it.
#include <algorithm>
#include <cstring>
#include <vector>

#include "io/dlpack.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Takes bytes from the front of the input; zeros once it runs out.
struct Input {
  const uint8_t* data;
  size_t size;
  template <typename T>
  T take() {
    T out{};
    const size_t n = std::min(sizeof(T), size);
    std::memcpy(&out, data, n);
    data += n;
    size -= n;
    return out;
  }
};

int releases = 0;
void release(void*) { ++releases; }

alignas(64) char buffer[64];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  DLTensor dl{};
  dl.dtype.code = in.take<uint8_t>();
  dl.dtype.bits = in.take<uint8_t>();
  dl.dtype.lanes = in.take<uint16_t>();
  dl.device.device_type = static_cast<DLDeviceType>(in.take<uint8_t>() % 20);
  dl.device.device_id = in.take<int8_t>();
  dl.ndim = in.take<int8_t>();
  const uint8_t flags = in.take<uint8_t>();
  dl.byte_offset = (flags & 4) ? in.take<uint64_t>() : in.take<uint8_t>();
  const int n = std::clamp<int>(dl.ndim, 0, 80);
  std::vector<int64_t> shape(n), strides(n);
  for (int d = 0; d < n; ++d) shape[d] = (flags & 8) ? in.take<int64_t>() : in.take<int8_t>();
  for (int d = 0; d < n; ++d) strides[d] = (flags & 16) ? in.take<int64_t>() : in.take<int8_t>();
  dl.shape = (flags & 1) ? nullptr : shape.data();
  dl.strides = (flags & 2) ? nullptr : strides.data();
  dl.data = (flags & 32) ? nullptr : buffer;

  releases = 0;
  try {
    wick::Tensor t = wick::io::from_dlpack(dl, &release, nullptr);
    if (t.dim() != dl.ndim || !std::equal(t.sizes().begin(), t.sizes().end(), dl.shape))
      wick::fuzz::finding("the imported tensor's shape is not the DLTensor's");
    if (releases != 0) wick::fuzz::finding("release ran while the tensor lives");
  } catch (const wick::Error&) {
    if (releases != 0) wick::fuzz::finding("release ran for a refused DLTensor");
    return 0;
  }
  if (releases != 1) wick::fuzz::finding("release did not run exactly once after the tensor went");
  return 0;
}
