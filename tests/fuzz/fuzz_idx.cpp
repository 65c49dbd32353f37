// libFuzzer target: the IDX reader (data::read_idx), raw and gzip. Every input
// either reads or throws a wick error; one that reads writes and reads again
// to the same array.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "data/idx.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wick::Tensor array;
  try {
    array = wick::data::read_idx(wick::fuzz::as_file(data, size));
  } catch (const wick::Error&) {
    return 0;
  }
  if (array.dtype() != wick::ScalarType::UInt8) wick::fuzz::finding("read_idx gave a tensor that is not uint8");
  if (array.dim() == 0 || !array.is_contiguous()) wick::fuzz::finding("read_idx gave a 0-dim or strided tensor");
  static const std::string copy = "/dev/shm/wick-fuzz-idx-" + std::to_string(getpid());
  wick::data::write_idx(copy, array, /*gzip=*/size % 2 == 1);
  const wick::Tensor again = wick::data::read_idx(copy);
  std::remove(copy.c_str());
  if (!std::equal(array.sizes().begin(), array.sizes().end(), again.sizes().begin(), again.sizes().end()) ||
      std::memcmp(array.raw_data(), again.raw_data(), array.nbytes()) != 0)
    wick::fuzz::finding("an IDX array written and read again is not the same");
  return 0;
}
