// libFuzzer target: the checkpoint reader (io::load_from_bytes). Every input
// either loads or throws CheckpointError; one that loads saves and loads again
// to the same tree.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "io/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool same(const wick::io::Value& a, const wick::io::Value& b);

bool same_tensor(const wick::Tensor& a, const wick::Tensor& b) {
  return a.dtype() == b.dtype() && std::equal(a.sizes().begin(), a.sizes().end(), b.sizes().begin(), b.sizes().end()) && a.requires_grad() == b.requires_grad() &&
         a.nbytes() == b.nbytes() && std::string_view(static_cast<const char*>(a.raw_data()), a.nbytes()) ==
                                         std::string_view(static_cast<const char*>(b.raw_data()), b.nbytes());
}

bool same(const wick::io::Value& a, const wick::io::Value& b) {
  using namespace wick::io;
  if (a.v.index() != b.v.index() || a.hint != b.hint) return false;
  if (auto* d = std::get_if<double>(&a.v)) {
    const double e = std::get<double>(b.v);
    return *d == *d ? *d == e : e != e;  // NaN loads as NaN
  }
  if (auto* t = std::get_if<wick::Tensor>(&a.v)) return same_tensor(*t, std::get<wick::Tensor>(b.v));
  if (auto* l = std::get_if<List>(&a.v)) {
    const List& m = std::get<List>(b.v);
    if (l->size() != m.size()) return false;
    for (size_t i = 0; i < l->size(); ++i)
      if (!same((*l)[i], m[i])) return false;
    return true;
  }
  if (auto* d = std::get_if<Dict>(&a.v)) {
    const Dict& e = std::get<Dict>(b.v);
    if (d->size() != e.size()) return false;
    for (size_t i = 0; i < d->size(); ++i)
      if ((*d)[i].first != e[i].first || !same((*d)[i].second, e[i].second)) return false;
    return true;
  }
  if (auto* s = std::get_if<std::string>(&a.v)) return *s == std::get<std::string>(b.v);
  if (auto* i = std::get_if<int64_t>(&a.v)) return *i == std::get<int64_t>(b.v);
  if (auto* x = std::get_if<bool>(&a.v)) return *x == std::get<bool>(b.v);
  return true;  // None
}

// Random changes break a checksum far more often than they reach the parser
// behind it. So inputs of even length get their three CRC-32s made right
// before loading (the header's and the data's wherever the preamble places
// them), and odd ones are loaded as they are, checksums and all.
std::string with_checksums_fixed(std::string bytes) {
  const auto u32 = [&](size_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); };
  const auto u64 = [&](size_t at) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + at, 8);
    return v;
  };
  const auto crc = [&](size_t from, size_t n) {
    return static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bytes.data() + from), static_cast<uInt>(n)));
  };
  if (bytes.size() < wick::io::kPreambleBytes) return bytes;
  const uint64_t header_len = u64(16), data_len = u64(24);
  const uint64_t data_start = (wick::io::kPreambleBytes + header_len + 63) / 64 * 64;
  if (header_len <= bytes.size() && data_start <= bytes.size()) {
    u32(32, crc(wick::io::kPreambleBytes, data_start - wick::io::kPreambleBytes));
    if (data_len <= bytes.size() - data_start) u32(36, crc(data_start, data_len));
  }
  u32(60, crc(0, 60));
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (size % 2 == 0) input = with_checksums_fixed(std::move(input));
  const std::string_view bytes(input);
  wick::io::Value value;
  try {
    value = wick::io::load_from_bytes(bytes, {}, "fuzz");
  } catch (const wick::io::CheckpointError&) {
    return 0;
  }
  const wick::io::Value again = wick::io::load_from_bytes(wick::io::save_to_bytes(value), {}, "fuzz-again");
  if (!same(value, again)) wick::fuzz::finding("a loaded checkpoint saved and loaded again is not the same tree");
  return 0;
}
