// Checkpoints (io/checkpoint.h), the JSON reader behind their headers
// (io/json.h) and io::Value.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "io/checkpoint.h"
#include "io/dlpack.h"
#include "io/json.h"
#include "tests/cpp/test_util.h"

namespace wick {
namespace {

namespace fs = std::filesystem;
using io::CheckpointError;
using io::Dict;
using io::List;
using io::Value;

// ---- helpers ------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wick-io-test-XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }
  // Names of the files in the directory (to see that no temporary file is left behind).
  std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path_)) out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A tensor's elements in row-major order, byte for byte, read through its strides.
std::vector<uint8_t> logical_bytes(const Tensor& t) {
  const size_t k = t.element_size();
  std::vector<uint8_t> out;
  std::vector<int64_t> index(t.dim(), 0);
  for (int64_t n = 0; n < t.numel(); ++n) {
    int64_t offset = 0;
    for (int64_t d = 0; d < t.dim(); ++d) offset += index[d] * t.stride(d);
    const auto* p = static_cast<const uint8_t*>(t.raw_data()) + offset * static_cast<int64_t>(k);
    out.insert(out.end(), p, p + k);
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++index[d] < t.size(d)) break;
      index[d] = 0;
    }
  }
  return out;
}

// A loaded value equals the saved one: same kinds, hints, keys, numbers (bit
// for bit), and tensors with the same dtype, shape, requires_grad and elements,
// loaded as contiguous CPU leaves.
void expect_same(const Value& saved, const Value& loaded, const std::string& at = "root") {
  ASSERT_EQ(saved.v.index(), loaded.v.index()) << at;
  EXPECT_EQ(saved.hint, loaded.hint) << at;
  if (saved.is<bool>()) {
    EXPECT_EQ(saved.as<bool>(), loaded.as<bool>()) << at;
  }
  if (saved.is<int64_t>()) {
    EXPECT_EQ(saved.as<int64_t>(), loaded.as<int64_t>()) << at;
  }
  if (saved.is<double>()) {
    EXPECT_EQ(std::bit_cast<uint64_t>(saved.as<double>()), std::bit_cast<uint64_t>(loaded.as<double>())) << at;
  }
  if (saved.is<std::string>()) {
    EXPECT_EQ(saved.as<std::string>(), loaded.as<std::string>()) << at;
  }
  if (saved.is<Tensor>()) {
    const Tensor& a = saved.as<Tensor>();
    const Tensor& b = loaded.as<Tensor>();
    EXPECT_EQ(a.dtype(), b.dtype()) << at;
    EXPECT_EQ(std::vector<int64_t>(a.sizes().begin(), a.sizes().end()),
              std::vector<int64_t>(b.sizes().begin(), b.sizes().end()))
        << at;
    EXPECT_TRUE(b.is_contiguous()) << at;
    EXPECT_TRUE(b.device().is_cpu()) << at;
    EXPECT_EQ(a.requires_grad(), b.requires_grad()) << at;
    EXPECT_TRUE(b.is_leaf()) << at;
    EXPECT_FALSE(a.is_same(b)) << at;
    EXPECT_EQ(logical_bytes(a), logical_bytes(b)) << at;
  }
  if (saved.is<List>()) {
    const List& a = saved.as<List>();
    const List& b = loaded.as<List>();
    ASSERT_EQ(a.size(), b.size()) << at;
    for (size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i], at + "[" + std::to_string(i) + "]");
  }
  if (saved.is<Dict>()) {
    const Dict& a = saved.as<Dict>();
    const Dict& b = loaded.as<Dict>();
    ASSERT_EQ(a.size(), b.size()) << at;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].first, b[i].first) << at;
      expect_same(a[i].second, b[i].second, at + "[\"" + a[i].first + "\"]");
    }
  }
}

// A tensor of `dtype` whose bytes are all different (bools 0/1, floats arbitrary bit patterns).
Tensor patterned(IntArrayRef sizes, ScalarType dtype, uint8_t seed = 1) {
  Tensor t = empty(sizes, TensorOptions(dtype));
  auto* bytes = static_cast<uint8_t*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i)
    bytes[i] = dtype == ScalarType::Bool ? (i * 7 + seed) % 3 == 0 : static_cast<uint8_t>(i * 37 + seed);
  return t;
}

Value with_hint(Value v, Value::Hint hint) {
  v.hint = hint;
  return v;
}

// A small checkpoint with a bit of everything, for the truncation and bit-flip tests.
Value small_tree() {
  Tensor w = patterned({2, 3}, ScalarType::Float32);
  w.requires_grad_(true);
  return Value(Dict{{"weight", w},
                    {"bias", patterned({3}, ScalarType::Int64, 5)},
                    {"step", 7},
                    {"lr", 0.125},
                    {"name", "adam"},
                    {"flags", with_hint(List{true, Value()}, Value::Hint::Tuple)}});
}

// A checkpoint file built by hand: `header` and `data` as given, the preamble
// with correct checksums (so that only the defect under test is wrong), and
// optional overrides of the length fields.
std::string craft(std::string_view header, std::string_view data, std::optional<uint64_t> header_len = {},
                  std::optional<uint64_t> data_len = {}, uint32_t version = 1) {
  const size_t data_start = (64 + header.size() + 63) / 64 * 64;
  std::string file(data_start, '\0');
  std::memcpy(file.data() + 64, header.data(), header.size());
  file += data;
  const auto put32 = [&](size_t at, uint32_t v) { std::memcpy(file.data() + at, &v, 4); };
  const auto put64 = [&](size_t at, uint64_t v) { std::memcpy(file.data() + at, &v, 8); };
  std::memcpy(file.data(), "\x89WICK\r\n\x1a", 8);
  put32(8, version);
  put64(16, header_len.value_or(header.size()));
  put64(24, data_len.value_or(data.size()));
  const auto* p = reinterpret_cast<const Bytef*>(file.data());
  put32(32, static_cast<uint32_t>(crc32(0, p + 64, static_cast<uInt>(data_start - 64))));
  put32(36, static_cast<uint32_t>(crc32(0, p + data_start, static_cast<uInt>(data.size()))));
  put32(60, static_cast<uint32_t>(crc32(0, p, 60)));
  return file;
}

std::string tensor_json(std::string_view dtype, std::string_view shape, int64_t offset, int64_t nbytes,
                        std::string_view extra = "") {
  return std::string("{\"tensor\":{\"dtype\":\"") + std::string(dtype) + "\",\"shape\":" + std::string(shape) +
         ",\"device\":\"cpu\",\"requires_grad\":false,\"offset\":" + std::to_string(offset) +
         ",\"nbytes\":" + std::to_string(nbytes) + std::string(extra) + "}}";
}

Value load_bytes(std::string_view bytes) { return io::load_from_bytes(bytes, {}, "crafted"); }

constexpr ScalarType kAllDtypes[] = {ScalarType::Bool,    ScalarType::UInt8,    ScalarType::Int32,
                                     ScalarType::Int64,   ScalarType::Float16,  ScalarType::BFloat16,
                                     ScalarType::Float32, ScalarType::Float64};

// ---- round trips --------------------------------------------------------------------------

TEST(Checkpoint, RoundTripsEveryDtype) {
  TempDir dir;
  for (ScalarType dtype : kAllDtypes) {
    Tensor t = patterned({2, 3, 4}, dtype);
    if (is_floating_point(dtype)) t.requires_grad_(true);
    const Value saved(Dict{{"t", t}, {"view", t.transpose(0, 2)}});
    io::save(saved, dir.file("t.wick"));
    expect_same(saved, io::load(dir.file("t.wick")));
    expect_same(saved, io::load_from_bytes(io::save_to_bytes(saved)));
  }
}

TEST(Checkpoint, ZeroDimAndZeroSizeTensors) {
  TempDir dir;
  const Value saved(List{scalar_tensor(3.5, TensorOptions(ScalarType::Float64)),
                         scalar_tensor(true, TensorOptions(ScalarType::Bool)), empty({0}), empty({2, 0, 3}),
                         empty({0}, TensorOptions(ScalarType::Int64)), scalar_tensor(int64_t{-4})});
  io::save(saved, dir.file("z.wick"));
  const Value loaded = io::load(dir.file("z.wick"));
  expect_same(saved, loaded);
  EXPECT_EQ(loaded.as<List>()[0].as<Tensor>().dim(), 0);
  EXPECT_EQ(loaded.as<List>()[0].as<Tensor>().item<double>(), 3.5);
  EXPECT_EQ(loaded.as<List>()[3].as<Tensor>().numel(), 0);
}

TEST(Checkpoint, NonContiguousTensorsSaveTheirValues) {
  TempDir dir;
  Tensor base = arange(0, 120, 1, TensorOptions(ScalarType::Float32)).view({4, 5, 6});
  const Value saved(List{
      base.permute({2, 0, 1}),                            // permuted
      base.slice(1, 1, 5, 2),                             // stepped slice
      base.select(2, 3),                                  // select: a stride-6 last dim
      arange(0, 3, 1, TensorOptions(ScalarType::Int64)).view({3, 1}).expand({3, 4}),  // stride 0
      base.narrow(0, 1, 2).transpose(0, 2),               // offset and transposed
  });
  for (const Value& v : saved.as<List>()) EXPECT_FALSE(v.as<Tensor>().is_contiguous());
  io::save(saved, dir.file("v.wick"));
  const Value loaded = io::load(dir.file("v.wick"));
  expect_same(saved, loaded);
  EXPECT_EQ(loaded.as<List>()[0].as<Tensor>().to_vector<float>(),
            base.permute({2, 0, 1}).contiguous().to_vector<float>());
}

TEST(Checkpoint, LargeTensorsContiguousAndStrided) {
  // Larger than the writer's buffers, so the chunked paths run.
  TempDir dir;
  Tensor big = rand({1500, 1100}, TensorOptions(ScalarType::Float64));
  const Value saved(List{big, big.t(), big.slice(1, 0, 1100, 3)});
  io::save(saved, dir.file("big.wick"));
  expect_same(saved, io::load(dir.file("big.wick")));
}

TEST(Checkpoint, NestedTreesRoundTripWithHints) {
  TempDir dir;
  Tensor p = patterned({3, 2}, ScalarType::Float32);
  p.requires_grad_(true);
  const Value saved(Dict{
      {"none", Value()},
      {"yes", true},
      {"no", false},
      {"ints", List{0, -1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}},
      {"floats", List{0.1, -0.0, 1e300, 5e-324, -2.5, std::numeric_limits<double>::infinity(),
                      -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(), 1.0}},
      {"strings", List{"", "plain", "quote \" backslash \\ slash /", std::string("nul\0byte", 8),
                       "tab\tnewline\n\x01\x1f", "ünïcødé ✓ 𝔸"}},
      {"tuple", with_hint(List{1, "two", 3.0}, Value::Hint::Tuple)},
      {"empty", List{}},
      {"empty dict", Dict{}},
      {"state", with_hint(Dict{{"0", Dict{{"momentum_buffer", patterned({4}, ScalarType::Float64)}}},
                               {"-3", Dict{{"step", 12}}}},
                          Value::Hint::IntKeys)},
      {"param", with_hint(Value(p), Value::Hint::Parameter)},
      {"array", with_hint(Value(patterned({2, 3}, ScalarType::Int32)), Value::Hint::NumpyArray)},
      {"deep", List{List{List{Dict{{"x", List{patterned({2}, ScalarType::UInt8)}}}}}}},
      {"key with \"quotes\" and ✓", 1},
  });
  io::save(saved, dir.file("tree.wick"));
  const Value loaded = io::load(dir.file("tree.wick"));
  expect_same(saved, loaded);
  EXPECT_TRUE(std::isnan(loaded.find("floats")->as<List>()[7].as<double>()));
  EXPECT_TRUE(std::signbit(loaded.find("floats")->as<List>()[1].as<double>()));
  // The in-memory form is the same bytes as the file.
  EXPECT_EQ(io::save_to_bytes(saved), read_file(dir.file("tree.wick")));
}

TEST(Checkpoint, TheFileIsTheDocumentedLayout) {
  const std::string bytes = io::save_to_bytes(Value(Dict{{"a", patterned({3}, ScalarType::Float32)},
                                                         {"b", patterned({5}, ScalarType::UInt8)},
                                                         {"c", 1.5}}));
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89WICK\r\n\x1a", 8));
  uint32_t version;
  uint64_t header_len, data_len;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&header_len, bytes.data() + 16, 8);
  std::memcpy(&data_len, bytes.data() + 24, 8);
  EXPECT_EQ(version, 1u);
  const std::string header = bytes.substr(64, header_len);
  EXPECT_EQ(header,
            "{\"root\":{\"dict\":{\"a\":" + tensor_json("float32", "[3]", 0, 12) + ",\"b\":" +
                tensor_json("uint8", "[5]", 64, 5) + ",\"c\":{\"float\":\"1.5\"}}}}");
  const size_t data_start = (64 + header_len + 63) / 64 * 64;
  EXPECT_EQ(bytes.size(), data_start + data_len);
  EXPECT_EQ(data_len, 64u + 5u);
  for (size_t i = 64 + header_len; i < data_start; ++i) EXPECT_EQ(bytes[i], 0);
  EXPECT_EQ(bytes.substr(data_start + 64, 5), std::string("\x01\x26\x4b\x70\x95"));  // patterned bytes of "b"
  EXPECT_EQ(io::checkpoint_size(bytes.substr(0, 64), "x"), bytes.size());
}

TEST(Checkpoint, FlatTensorDicts) {
  TempDir dir;
  const io::TensorDict state{{"layer.weight", patterned({4, 3}, ScalarType::Float32)},
                             {"layer.bias", patterned({4}, ScalarType::Float32)},
                             {"bn.num_batches_tracked", scalar_tensor(int64_t{3})}};
  io::save_tensors(state, dir.file("sd.wick"));
  const io::TensorDict loaded = io::load_tensors(dir.file("sd.wick"));
  ASSERT_EQ(loaded.size(), state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(loaded[i].first, state[i].first);
    EXPECT_EQ(logical_bytes(loaded[i].second), logical_bytes(state[i].second));
  }
  io::save(Value(List{1}), dir.file("list.wick"));
  EXPECT_THROW_WITH(io::load_tensors(dir.file("list.wick")), TypeError, "holds a List, not a dict of tensors");
  io::save(Value(Dict{{"x", 1}}), dir.file("int.wick"));
  EXPECT_THROW_WITH(io::load_tensors(dir.file("int.wick")), TypeError, "holds a int under \"x\"");
}

TEST(Checkpoint, GradientStateAndStorageSharing) {
  Tensor leaf = patterned({3}, ScalarType::Float64).requires_grad_(true);
  Tensor nonleaf = leaf * 2;  // saved as a leaf that requires grad, as in PyTorch
  Tensor base = patterned({4}, ScalarType::Float32);
  const Value saved(List{leaf, nonleaf, base, base.narrow(0, 1, 2)});
  const Value loaded = io::load_from_bytes(io::save_to_bytes(saved));
  expect_same(saved, loaded);
  const List& l = loaded.as<List>();
  EXPECT_TRUE(l[1].as<Tensor>().is_leaf());
  EXPECT_TRUE(l[1].as<Tensor>().requires_grad());
  EXPECT_FALSE(l[1].as<Tensor>().grad_fn());
  // Views of one storage come back as independent copies.
  EXPECT_NE(l[2].as<Tensor>().impl()->storage().get(), l[3].as<Tensor>().impl()->storage().get());
  l[2].as<Tensor>().fill_(0);
  EXPECT_NE(l[3].as<Tensor>().to_vector<float>()[0], 0.0f);
}

TEST(Checkpoint, MapLocation) {
  TempDir dir;
  io::save(small_tree(), dir.file("m.wick"));
  std::vector<Device> asked;
  const Value loaded = io::load(dir.file("m.wick"), io::DeviceMap([&](Device saved) {
                                  asked.push_back(saved);
                                  return kCPU;
                                }));
  EXPECT_EQ(asked, (std::vector<Device>{kCPU, kCPU}));
  expect_same(small_tree(), loaded);
  expect_same(small_tree(), io::load(dir.file("m.wick"), kCPU));

  // A tensor saved from a GPU goes back to it unless mapped elsewhere.
  const std::string header = "{\"root\":{\"tensor\":{\"dtype\":\"float32\",\"shape\":[2],\"device\":\"cuda:0\","
                             "\"requires_grad\":false,\"offset\":0,\"nbytes\":8}}}";
  const std::string data("\0\0\x80\x3f\0\0\0\x40", 8);  // 1.0f, 2.0f
  const std::string file = craft(header, data);
  const Value on_cpu = io::load_from_bytes(file, [](Device) { return kCPU; });
  EXPECT_EQ(on_cpu.as<Tensor>().to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
  if (!cuda::is_available()) {
    EXPECT_THROW_WITH(load_bytes(file), Error, "saved on cuda:0 and would load on cuda:0, but CUDA is not available");
  } else {
    const Value on_gpu = load_bytes(file);
    EXPECT_TRUE(on_gpu.as<Tensor>().is_cuda());
    EXPECT_EQ(on_gpu.as<Tensor>().to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
  }
}

TEST(Checkpoint, CudaTensorsSaveFromTheHost) {
  if (!cuda::is_available()) GTEST_SKIP() << cuda::unavailable_reason();
  const Device gpu(DeviceType::CUDA, 0);
  Tensor t = rand({5, 7}, TensorOptions(ScalarType::Float32)).to(gpu);
  const Value saved(List{t, t.t()});
  const std::string bytes = io::save_to_bytes(saved);
  EXPECT_NE(bytes.find("\"device\":\"cuda:0\""), std::string::npos);
  const Value back = io::load_from_bytes(bytes);
  EXPECT_TRUE(back.as<List>()[1].as<Tensor>().is_cuda());
  EXPECT_EQ(back.as<List>()[1].as<Tensor>().to_vector<float>(), t.t().to_vector<float>());
  const Value on_cpu = io::load_from_bytes(bytes, [](Device) { return kCPU; });
  EXPECT_TRUE(on_cpu.as<List>()[0].as<Tensor>().device().is_cpu());
  EXPECT_EQ(on_cpu.as<List>()[0].as<Tensor>().to_vector<float>(), t.to_vector<float>());
}

// ---- damaged files ------------------------------------------------------------------------

TEST(Checkpoint, EveryTruncationIsDetected) {
  TempDir dir;
  const std::string bytes = io::save_to_bytes(small_tree());
  ASSERT_GT(bytes.size(), 300u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string_view prefix(bytes.data(), n);
    EXPECT_THROW(load_bytes(prefix), CheckpointError) << "prefix of " << n << " bytes";
    write_file(dir.file("cut.wick"), prefix);
    EXPECT_THROW(io::load(dir.file("cut.wick")), CheckpointError) << "file of " << n << " bytes";
  }
  EXPECT_THROW_WITH(load_bytes(std::string_view(bytes.data(), 100)), CheckpointError,
                    "checkpoint 'crafted': truncated: the preamble says the checkpoint has");
  EXPECT_THROW_WITH(load_bytes(std::string_view(bytes.data(), 30)), CheckpointError,
                    "truncated: 30 bytes, less than the 64-byte preamble");
  EXPECT_THROW_WITH(io::load(dir.file("cut.wick")), CheckpointError, dir.file("cut.wick"));
  // Bytes after the end are as wrong as bytes missing.
  EXPECT_THROW_WITH(load_bytes(bytes + "x"), CheckpointError, "but 1 more follow");
  expect_same(small_tree(), load_bytes(bytes));
}

TEST(Checkpoint, EveryBitFlipIsDetected) {
  std::string bytes = io::save_to_bytes(small_tree());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[i] ^= static_cast<char>(1 << bit);
      EXPECT_THROW(load_bytes(bytes), CheckpointError) << "byte " << i << " bit " << bit;
      bytes[i] ^= static_cast<char>(1 << bit);
    }
  }
  expect_same(small_tree(), load_bytes(bytes));
  // Which check catches it, by region.
  const auto flipped = [&](size_t at) {
    std::string b = bytes;
    b[at] ^= 4;
    return b;
  };
  EXPECT_THROW_WITH(load_bytes(flipped(2)), CheckpointError, "not a wick checkpoint");
  EXPECT_THROW_WITH(load_bytes(flipped(20)), CheckpointError, "the preamble's CRC-32 does not match");
  EXPECT_THROW_WITH(load_bytes(flipped(70)), CheckpointError, "the header's CRC-32 does not match");
  EXPECT_THROW_WITH(load_bytes(flipped(bytes.size() - 1)), CheckpointError,
                    "the data section's CRC-32 does not match");
}

TEST(Checkpoint, NotACheckpoint) {
  EXPECT_THROW_WITH(load_bytes(""), CheckpointError, "truncated: 0 bytes");
  EXPECT_THROW_WITH(load_bytes("hello, this is a text file and not a checkpoint at all......................"),
                    CheckpointError, "not a wick checkpoint (it does not start with wick's magic bytes)");
  EXPECT_THROW_WITH(load_bytes(std::string("PK\x03\x04", 4) + std::string(100, 'z')), CheckpointError,
                    "zip archive (a PyTorch checkpoint?)");
  const std::string header = "{\"root\":null}";
  EXPECT_THROW_WITH(load_bytes(craft(header, "", {}, {}, 2)), CheckpointError,
                    "format version 2, but this wick reads version 1");
  EXPECT_TRUE(load_bytes(craft(header, "")).is_none());
}

TEST(Checkpoint, HostilePreambles) {
  const std::string header = "{\"root\":" + tensor_json("uint8", "[4]", 0, 4) + "}";
  const std::string data = "abcd";
  EXPECT_EQ(load_bytes(craft(header, data)).as<Tensor>().numel(), 4);
  EXPECT_THROW_WITH(load_bytes(craft(header, data, uint64_t{1} << 62)), CheckpointError,
                    "the header length 4611686018427387904 exceeds the limit");
  EXPECT_THROW_WITH(load_bytes(craft(header, data, header.size() + 100)), CheckpointError, "truncated");
  EXPECT_THROW_WITH(load_bytes(craft(header, data, {}, std::numeric_limits<uint64_t>::max() - 10)),
                    CheckpointError, "is impossible");
  EXPECT_THROW_WITH(load_bytes(craft(header, data, {}, uint64_t{1} << 40)), CheckpointError,
                    "truncated: the preamble says the checkpoint has");
  EXPECT_THROW_WITH(load_bytes(craft(header, data, {}, 2)), CheckpointError, "more follow");
  // A data section longer than its tensors.
  EXPECT_THROW_WITH(load_bytes(craft(header, data + "zz")), CheckpointError,
                    "the data section has 6 bytes but its tensors end at 4");
}

TEST(Checkpoint, HostileHeaders) {
  const auto expect_rejected = [](const std::string& root, std::string_view data, std::string_view message) {
    const std::string file = craft("{\"root\":" + root + "}", data);
    EXPECT_THROW_WITH(load_bytes(file), CheckpointError, message);
  };
  const std::string four(4, '\1');
  // Tensors.
  expect_rejected(tensor_json("uint8", "[4]", 64, 4), four, "the tensor's offset is 64, expected 0");
  expect_rejected(tensor_json("uint8", "[4]", 1 << 30, 4), four, "the tensor's offset is 1073741824");
  expect_rejected(tensor_json("uint8", "[4]", -64, 4), four, "the tensor's offset is -64");
  expect_rejected(tensor_json("uint8", "[4]", 0, 3), four, "nbytes is 3 but a uint8 tensor of 4 elements has 4");
  expect_rejected(tensor_json("uint8", "[8]", 0, 8), four, "lie outside the data section of 4 bytes");
  expect_rejected(tensor_json("uint8", "[-4]", 0, 4), four, "negative size -4");
  expect_rejected(tensor_json("float64", "[1099511627776,1099511627776]", 0, 0), "",
                  "more elements than an int64 counts");
  expect_rejected(tensor_json("float64", "[1152921504606846976,4]", 0, 0), "", "size in bytes overflows");
  expect_rejected(tensor_json("float64", "[4611686018427387904]", 0, 0), "", "size in bytes overflows");
  // Empty, but its other sizes multiply past int64's strides: a CheckpointError, not empty()'s ValueError.
  expect_rejected(tensor_json("uint8", "[0,4294967296,4294967296,4294967296]", 0, 0), "",
                  "is too large for int64 strides");
  expect_rejected(tensor_json("complex64", "[1]", 0, 8), std::string(8, '\0'), "unknown dtype \"complex64\"");
  expect_rejected(tensor_json("uint8", "[1.5]", 0, 4), four, "shape holds a non-integer");
  std::string dims65 = "[1";
  for (int i = 0; i < 64; ++i) dims65 += ",1";
  dims65 += "]";
  expect_rejected(tensor_json("uint8", dims65, 0, 1), "\1", "the tensor has more than 64 dimensions");
  expect_rejected(tensor_json("uint8", "[4]", 0, 4, ",\"extra\":1"), four, "unknown tensor field \"extra\"");
  expect_rejected(tensor_json("uint8", "[4]", 0, 4, ",\"parameter\":false"), four, "\"parameter\" may only be true");
  expect_rejected(tensor_json("uint8", "[4]", 0, 4, ",\"numpy\":false"), four, "\"numpy\" may only be true");
  expect_rejected(tensor_json("uint8", "[4]", 0, 4, ",\"parameter\":true,\"numpy\":true"), four,
                  "not with \"parameter\"");
  expect_rejected("{\"tensor\":{\"dtype\":\"float32\",\"shape\":[1],\"device\":\"cpu\",\"requires_grad\":true,"
                  "\"offset\":0,\"nbytes\":4,\"numpy\":true}}",
                  four, "a NumPy array is saved from the CPU, without grad");
  expect_rejected("{\"tensor\":{\"dtype\":\"uint8\",\"shape\":[4],\"device\":\"cpu\",\"offset\":0,\"nbytes\":4}}",
                  four, "the tensor has no \"requires_grad\"");
  expect_rejected("{\"tensor\":{\"dtype\":\"int64\",\"shape\":[],\"device\":\"cpu\",\"requires_grad\":true,"
                  "\"offset\":0,\"nbytes\":8}}",
                  std::string(8, '\0'), "a int64 tensor cannot require grad");
  expect_rejected("{\"tensor\":{\"dtype\":\"uint8\",\"shape\":[4],\"device\":\"tpu:0\",\"requires_grad\":false,"
                  "\"offset\":0,\"nbytes\":4}}",
                  four, "unknown device \"tpu:0\"");
  expect_rejected(tensor_json("bool", "[4]", 0, 4), std::string("\0\1\2\0", 4),
                  "a bool tensor holds the byte 2");
  // Two tensors over the same bytes.
  expect_rejected("{\"list\":[" + tensor_json("uint8", "[4]", 0, 4) + "," + tensor_json("uint8", "[4]", 0, 4) + "]}",
                  four, "the tensor's offset is 0, expected 64");
  // The tree.
  expect_rejected("{\"complex\":\"1+2j\"}", "", "at root: unknown value kind \"complex\"");
  expect_rejected("{\"list\":[1],\"tuple\":[2]}", "", "a value object must have exactly one member, found a second one, \"tuple\"");
  expect_rejected("[1,2]", "", "a bare JSON array or fractional number");
  expect_rejected("1.5", "", "a bare JSON array or fractional number");
  expect_rejected("{\"list\":{}}", "", "\"list\" must hold an array");
  expect_rejected("{\"dict\":[]}", "", "\"dict\" must hold an object");
  expect_rejected("{\"float\":1.5}", "", "\"float\" must hold a string");
  expect_rejected("{\"float\":\"1.50\"}", "", "\"1.50\" is not a float in its shortest decimal form");
  expect_rejected("{\"float\":\"1e999\"}", "", "is not a float");
  expect_rejected("{\"float\":\"infinity\"}", "", "is not a float");
  expect_rejected("{\"dict\":{\"a\":{\"list\":[1,{\"bad\":0}]}}}", "", "at root[\"a\"][1]: unknown value kind");
  expect_rejected("{\"int_dict\":{\"01\":1}}", "", "at root[\"01\"]: the int_dict key is not the decimal text");
  expect_rejected("{\"int_dict\":{\"99999999999999999999\":1}}", "", "is not the decimal text of an int64");
  expect_rejected("{\"dict\":{\"a\":1,\"a\":2}}", "", "duplicate key \"a\"");
  expect_rejected("{\"list\":[1,]}", "", "invalid JSON");
  expect_rejected("{\"list\":[\"\xff\"]}", "", "invalid UTF-8");
  // Nesting: within the JSON limit but past the tree's, and past the JSON's.
  std::string deep;
  for (int i = 0; i < 101; ++i) deep += "{\"list\":[";
  deep += "1";
  for (int i = 0; i < 101; ++i) deep += "]}";
  expect_rejected(deep, "", "containers nest deeper than 100 levels");
  // The header is read as it is walked: a deep JSON array is refused at its first '[', never descended.
  const std::string very_deep = std::string(100000, '[') + std::string(100000, ']');
  expect_rejected(very_deep, "", "at root: a bare JSON array");
  // The header itself.
  EXPECT_THROW_WITH(load_bytes(craft("{\"root\":1,\"meta\":2}", "")), CheckpointError,
                    "the header must be the object {\"root\": ...}");
  EXPECT_THROW_WITH(load_bytes(craft("[]", "")), CheckpointError, "the header must be the object");
  EXPECT_THROW_WITH(load_bytes(craft("", "")), CheckpointError, "the header is not valid");
  // 100 levels is the limit, not past it.
  std::string deepest;
  for (int i = 0; i < 100; ++i) deepest += "{\"list\":[";
  deepest += "1";
  for (int i = 0; i < 100; ++i) deepest += "]}";
  EXPECT_NO_THROW(load_bytes(craft("{\"root\":" + deepest + "}", "")));
}

// ---- what cannot be saved ---------------------------------------------------------------------

TEST(Checkpoint, UnsavableTreesAreValueErrors) {
  EXPECT_THROW_WITH(io::save_to_bytes(Value(Dict{{"w", List{1, Tensor()}}})), ValueError,
                    "save: the tensor at root[\"w\"][1] is undefined");
  EXPECT_THROW_WITH(io::save_to_bytes(Value(List{std::string("\xc3\x28")})), ValueError,
                    "the string at root[0] is not valid UTF-8");
  EXPECT_THROW_WITH(io::save_to_bytes(Value(Dict{{std::string("\xff"), 1}})), ValueError,
                    "the dict key at root[\"\xff\"] is not valid UTF-8");
  EXPECT_THROW_WITH(io::save_to_bytes(with_hint(Dict{{"1", 1}, {"x", 2}}, Value::Hint::IntKeys)), ValueError,
                    "its key \"x\" is not the decimal text of an int64");
  EXPECT_THROW_WITH(io::save_to_bytes(Value(Dict{{"a", 1}, {"a", 2}})), ValueError, "has the key \"a\" twice");
  Value deep(List{});
  for (int i = 0; i < 100; ++i) deep = Value(List{std::move(deep)});
  EXPECT_THROW_WITH(io::save_to_bytes(deep), ValueError, "nest deeper than 100 levels");
  Value ok(List{});
  for (int i = 0; i < 99; ++i) ok = Value(List{std::move(ok)});
  expect_same(ok, io::load_from_bytes(io::save_to_bytes(ok)));
}

TEST(Checkpoint, AWriterRefusesATensorThatChangedSize) {
  // The header is laid out first; the data written later must still fit it.
  Tensor w = patterned({4}, ScalarType::Float32);
  const io::Writer writer(Value(List{w}));
  std::string out(writer.size(), '\0');
  w.impl()->set_data(*patterned({4}, ScalarType::Float64).impl());  // what module.to(float64) does
  EXPECT_THROW_WITH(writer.write_to(out.data()), Error,
                    "a tensor changed size while it was being saved (16 bytes, now 32)");
}

// ---- atomic saves -------------------------------------------------------------------------------

TEST(Checkpoint, AFailedSaveLeavesThePreviousFile) {
  TempDir dir;
  const std::string path = dir.file("model.wick");
  io::save(small_tree(), path);
  const std::string before = read_file(path);

  // An unsavable tree fails before any byte is written.
  EXPECT_THROW(io::save(Value(List{Tensor()}), path), ValueError);
  EXPECT_TRUE(read_file(path) == before) << "the previous checkpoint changed";

  // The disk fills up half-way through the data: write() fails with EFBIG.
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  try {
    io::save(Value(List{rand({1 << 20}, TensorOptions(ScalarType::Float32))}), path);
    ADD_FAILURE() << "a save past RLIMIT_FSIZE succeeded";
  } catch (const io::FileError& e) {
    EXPECT_EQ(e.error_code(), EFBIG);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("save: cannot write"));
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(read_file(path) == before) << "the previous checkpoint changed";

  // A directory where the file should go, and a directory that does not exist.
  ::mkdir(dir.file("sub").c_str(), 0755);
  EXPECT_THROW_WITH(io::save(small_tree(), dir.file("sub")), io::FileError, "is a directory");
  try {
    io::save(small_tree(), dir.file("missing/model.wick"));
    ADD_FAILURE() << "a save into a missing directory succeeded";
  } catch (const io::FileError& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
  }
  // A directory we may not write to (meaningless for root, who may write anywhere).
  if (::geteuid() != 0) {
    ::mkdir(dir.file("ro").c_str(), 0755);
    io::save(small_tree(), dir.file("ro/model.wick"));
    ::chmod(dir.file("ro").c_str(), 0555);
    try {
      io::save(Value(1), dir.file("ro/model.wick"));
      ADD_FAILURE() << "a save into a read-only directory succeeded";
    } catch (const io::FileError& e) {
      EXPECT_EQ(e.error_code(), EACCES);
    }
    ::chmod(dir.file("ro").c_str(), 0755);
    expect_same(small_tree(), io::load(dir.file("ro/model.wick")));
  }
  // No temporary file is left behind.
  std::vector<std::string> expected{"model.wick", "sub"};
  if (::geteuid() != 0) expected.insert(expected.begin() + 1, "ro");
  EXPECT_EQ(dir.listing(), expected);
  expect_same(small_tree(), io::load(path));
}

TEST(Checkpoint, SaveReplacesThroughSymlinksAndKeepsPermissions) {
  TempDir dir;
  const std::string real = dir.file("real.wick"), link = dir.file("link.wick");
  io::save(Value(1), real);
  ::chmod(real.c_str(), 0600);
  fs::create_symlink("real.wick", link);
  io::save(Value(2), link);
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(io::load(real).as<int64_t>(), 2);
  struct stat st;
  ASSERT_EQ(::stat(real.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"link.wick", "real.wick"}));
}

TEST(Checkpoint, FileErrors) {
  TempDir dir;
  try {
    io::load(dir.file("nope.wick"));
    ADD_FAILURE() << "loading a missing file succeeded";
  } catch (const io::FileError& e) {
    EXPECT_EQ(e.error_code(), ENOENT);
    EXPECT_EQ(e.path(), dir.file("nope.wick"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("load: cannot open '" + dir.file("nope.wick") + "'"));
  }
  try {
    io::load(dir.path().string());
    ADD_FAILURE() << "loading a directory succeeded";
  } catch (const io::FileError& e) {
    EXPECT_EQ(e.error_code(), EISDIR);
  }
  EXPECT_THROW_WITH(io::save(Value(1), ""), ValueError, "the path is empty");
}

// ---- io::Value ------------------------------------------------------------------------------------

TEST(IoValue, AccessAndDictUpdates) {
  Value v(Dict{{"a", 1}});
  EXPECT_EQ(v.find("a")->as<int64_t>(), 1);
  EXPECT_EQ(v.find("b"), nullptr);
  v.set("b", "two");
  v.set("a", 3.0);
  ASSERT_EQ(v.as<Dict>().size(), 2u);
  EXPECT_EQ(v.as<Dict>()[0].first, "a");
  EXPECT_EQ(v.find("a")->as<double>(), 3.0);
  EXPECT_EQ(v.find("b")->as<std::string>(), "two");
  EXPECT_THROW_WITH(v.as<List>(), TypeError, "io::Value: expected List but the value holds Dict");
  EXPECT_THROW_WITH(Value(1).find("a"), TypeError, "expected Dict but the value holds int");
  EXPECT_THROW_WITH(Value().set("a", 1), TypeError, "holds None");
  EXPECT_EQ(io::kind_name(Value(Tensor())), "Tensor");
  EXPECT_TRUE(Value().is_none());
}

// ---- the JSON reader -------------------------------------------------------------------------------

TEST(IoJson, ParsesStrictJson) {
  using io::json::Json;
  const Json doc = io::json::parse(
      " {\"a\": [1, -2, 3.5, -0.25e2, true, false, null], \"s\": \"\\u00e9\\ud83d\\ude00\\n\\\"\\/\", \"o\": {}} ",
      8);
  const auto& obj = std::get<io::json::Object>(doc.v);
  ASSERT_EQ(obj.size(), 3u);
  const auto& a = std::get<io::json::Array>(obj[0].second.v);
  EXPECT_EQ(std::get<int64_t>(a[1].v), -2);
  EXPECT_EQ(std::get<double>(a[2].v), 3.5);
  EXPECT_EQ(std::get<double>(a[3].v), -25.0);
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(a[6].v));
  EXPECT_EQ(std::get<std::string>(obj[1].second.v), "\xc3\xa9\xf0\x9f\x98\x80\n\"/");
  std::string out;
  io::json::dump(doc, out);
  EXPECT_EQ(out, "{\"a\":[1,-2,3.5,-25.0,true,false,null],\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\\n\\\"/\",\"o\":{}}");
  std::string control;
  io::json::dump_string(std::string("\x01\x1f\t", 3), control);
  EXPECT_EQ(control, "\"\\u0001\\u001f\\t\"");
  EXPECT_EQ(std::get<int64_t>(io::json::parse("-9223372036854775808", 1).v), std::numeric_limits<int64_t>::min());
}

TEST(IoJson, RejectsEverythingElse) {
  using io::json::ParseError;
  const auto rejects = [](std::string_view text, std::string_view message) {
    EXPECT_THROW_WITH(io::json::parse(text, 4), ParseError, message);
  };
  rejects("", "unexpected end");
  rejects("[1,]", "expected a value");
  rejects("{\"a\":1,}", "expected a string key");
  rejects("01", "unexpected text after the value");
  rejects("1.", "expected digits after the decimal point");
  rejects("1e", "expected digits in the exponent");
  rejects("+1", "expected a value");
  rejects("NaN", "expected a value");
  rejects("Infinity", "expected a value");
  rejects("tru", "unknown literal");
  rejects("// c\n1", "expected a value");
  rejects("[1] x", "unexpected text after the value");
  rejects("9223372036854775808", "integer out of the 64-bit range");
  rejects("1e400", "number out of the double range");
  rejects("\"a", "unterminated string");
  rejects("\"a\nb\"", "control character");
  rejects("\"\\x\"", "unknown escape");
  rejects("\"\\u12zz\"", "bad hex digit");
  rejects("\"\\u12\"", "truncated \\u escape");
  rejects("\"\\ud800\"", "high surrogate without its low half");
  rejects("\"\\udc00\"", "lone low surrogate");
  rejects("\"\xc0\xaf\"", "invalid UTF-8");          // overlong '/'
  rejects("\"\xed\xa0\x80\"", "invalid UTF-8");      // an encoded surrogate
  rejects("\"\xf4\x90\x80\x80\"", "invalid UTF-8");  // past U+10FFFF
  rejects("\"\xe2\x82\"", "invalid UTF-8");          // cut short
  rejects("{\"k\":1,\"k\":2}", "duplicate key \"k\"");
  rejects("[[[[[1]]]]]", "nesting deeper than 4 levels");
  rejects("{1:2}", "expected a string key");
  rejects(std::string_view("[1\0]", 4), "expected ']'");
  EXPECT_NO_THROW(io::json::parse("[[[[1]]]]", 4));
  EXPECT_TRUE(io::json::is_valid_utf8("plain ✓ 𝔸"));
  EXPECT_FALSE(io::json::is_valid_utf8("\x80"));
  std::string out;
  EXPECT_THROW(io::json::dump(io::json::Json{std::numeric_limits<double>::infinity()}, out), ValueError);
  EXPECT_THROW(io::json::dump_string("\xff", out), ValueError);
}

TEST(IoJson, CursorReadsOneValueAtATime) {
  using Kind = io::json::Cursor::Kind;
  io::json::Cursor c(" {\"a\": [1, 2.5, \"s\"], \"b\": {}, \"c\": [true, null]} ", 3);
  std::string key;
  ASSERT_EQ(c.peek(), Kind::Object);
  c.begin_object();
  ASSERT_TRUE(c.next_key(key));
  EXPECT_EQ(key, "a");
  c.begin_array();
  ASSERT_TRUE(c.next_item());
  EXPECT_EQ(std::get<int64_t>(c.read_number()), 1);
  ASSERT_TRUE(c.next_item());
  EXPECT_EQ(std::get<double>(c.read_number()), 2.5);
  ASSERT_TRUE(c.next_item());
  EXPECT_EQ(c.peek(), Kind::String);
  EXPECT_EQ(c.read_string(), "s");
  EXPECT_FALSE(c.next_item());
  ASSERT_TRUE(c.next_key(key));
  EXPECT_EQ(key, "b");
  c.begin_object();
  EXPECT_FALSE(c.next_key(key));
  ASSERT_TRUE(c.next_key(key));
  EXPECT_EQ(key, "c");
  c.begin_array();
  ASSERT_TRUE(c.next_item());
  EXPECT_TRUE(c.read_bool());
  ASSERT_TRUE(c.next_item());
  EXPECT_EQ(c.peek(), Kind::Null);
  c.read_null();
  EXPECT_FALSE(c.next_item());
  EXPECT_FALSE(c.next_key(key));
  EXPECT_NO_THROW(c.end_document());

  // Reading another kind than the next value's, and nesting past the limit.
  io::json::Cursor wrong("[1]", 3);
  EXPECT_THROW_WITH(wrong.read_string(), io::json::ParseError, "at byte 0: expected '\"'");
  io::json::Cursor deep("[[[[1]]]]", 3);
  deep.begin_array();
  ASSERT_TRUE(deep.next_item());
  deep.begin_array();
  ASSERT_TRUE(deep.next_item());
  deep.begin_array();
  ASSERT_TRUE(deep.next_item());
  EXPECT_THROW_WITH(deep.begin_array(), io::json::ParseError, "nesting deeper than 3 levels");
  io::json::Cursor trailing("1 2", 1);
  EXPECT_EQ(std::get<int64_t>(trailing.read_number()), 1);
  EXPECT_THROW_WITH(trailing.end_document(), io::json::ParseError, "unexpected text after the value");
}

// ---- DLPack (io/dlpack.h) ---------------------------------------------------------------------------

TEST(DLPack, ExportAndImportShareMemoryAndReleaseOnce) {
  Tensor t = arange(6, TensorOptions(ScalarType::Float32)).view({2, 3}).t();  // non-contiguous
  DLManagedTensor* m = io::to_dlpack(t);
  EXPECT_EQ(m->dl_tensor.ndim, 2);
  EXPECT_EQ(m->dl_tensor.strides[0], 1);
  EXPECT_EQ(m->dl_tensor.strides[1], 3);
  {
    Tensor u = io::from_dlpack(m);  // u owns m now
    EXPECT_EQ(u.raw_data(), t.raw_data());
    EXPECT_TRUE(u.sizes() == t.sizes());
    EXPECT_TRUE(u.strides() == t.strides());
    u.fill_(7);
  }  // m's deleter ran here (ASan would report a leak or a double free otherwise)
  EXPECT_EQ(t.sum().item<double>(), 42.0);
  EXPECT_THROW_WITH(io::to_dlpack(ones({2}).requires_grad_()), Error, "Can't export tensors that require gradient");
}

TEST(DLPack, ImportChecksEverythingButThePointer) {
  static int releases = 0;
  auto release = [](void*) { ++releases; };
  alignas(8) static char buffer[64];
  int64_t shape[3] = {2, 3, 0}, strides[3] = {3, 1, 1};
  DLTensor dl{};
  dl.data = buffer;
  dl.device = {kDLCPU, 0};
  dl.dtype = io::to_dlpack_dtype(ScalarType::Float32);
  dl.ndim = 2;
  dl.shape = shape;
  dl.strides = strides;
  const auto refused = [&](std::string_view message) {
    EXPECT_THROW_WITH(io::from_dlpack(dl, release, nullptr), Error, message);
  };
  { EXPECT_EQ(io::from_dlpack(dl, release, nullptr).numel(), 6); }
  EXPECT_EQ(releases, 1);
  dl.dtype.lanes = 4;
  refused("vector element types (lanes = 4)");
  dl.dtype = {kDLComplex, 64, 1};
  refused("unsupported element type complex64");
  dl.dtype = io::to_dlpack_dtype(ScalarType::Float32);
  dl.device = {kDLMetal, 0};
  refused("unsupported device type 8");
  dl.device = {kDLCPU, 0};
  shape[0] = -2;
  refused("negative size in shape");
  shape[0] = 2;
  strides[0] = -3;
  refused("negative strides");
  strides[0] = 3;
  dl.ndim = 65;
  refused("invalid number of dimensions 65");
  dl.ndim = 2;
  dl.data = nullptr;
  refused("has no data");
  dl.data = buffer;
  dl.byte_offset = UINT64_MAX;
  refused("runs past the end of the address space");
  dl.byte_offset = 0;
  // Compact strides of an empty tensor whose other sizes multiply past int64 (a fuzz finding: it overflowed).
  int64_t huge[3] = {int64_t{1} << 40, int64_t{1} << 40, 0};
  dl.ndim = 3;
  dl.shape = huge;
  dl.strides = nullptr;
  refused("too large");
  EXPECT_EQ(releases, 1);  // never for a refused DLTensor
}

// Note [Header memory]: the value limit, on saving and loading.
TEST(Checkpoint, HeaderValueLimit) {
  const uint64_t limit = io::max_header_values(0);
  EXPECT_EQ(limit, io::kMaxHeaderValues);
  EXPECT_EQ(io::max_header_values(2560), io::kMaxHeaderValues + 10);
  std::string nulls = "{\"list\":[null";
  for (uint64_t i = 2; i < limit; ++i) nulls += ",null";
  EXPECT_EQ(load_bytes(craft("{\"root\":" + nulls + "]}}", "")).as<io::List>().size(), limit - 1);
  EXPECT_THROW_WITH(load_bytes(craft("{\"root\":" + nulls + ",null]}}", "")), io::CheckpointError,
                    "at root[262143]: the header holds more than 262144 values (a tensor counts 4)");
  EXPECT_THROW_WITH(io::save_to_bytes(Value(io::List(limit))), ValueError,
                    "save: the tree holds 262145 values (a tensor counts 4), more than the 262144");
  EXPECT_NO_THROW(io::save_to_bytes(Value(io::List(limit - 1))));
}

}  // namespace
}  // namespace wick
