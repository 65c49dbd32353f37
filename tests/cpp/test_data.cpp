// data/: datasets, the DataLoader and its thread, the IDX reader, MNIST and
// Fashion-MNIST, text corpora; and the autograd graph's DOT picture.
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "autograd/graph_dot.h"
#include "data/dataloader.h"
#include "data/idx.h"
#include "data/mnist.h"
#include "data/text.h"
#include "test_util.h"

namespace wick::data {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("wick_test_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// `bytes` gzip-compressed, as a .gz file holds them.
std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&z, bytes.size()) + 32);
  z.next_in = const_cast<uint8_t*>(bytes.data());
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// An IDX header for unsigned bytes of the given sizes.
std::vector<uint8_t> idx_header(std::vector<uint32_t> sizes, uint8_t type = 0x08) {
  std::vector<uint8_t> h = {0, 0, type, static_cast<uint8_t>(sizes.size())};
  for (uint32_t s : sizes)
    for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<uint8_t>(s >> shift));
  return h;
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Tensor random_bytes(IntArrayRef sizes) {
  return randint(0, 256, sizes, TensorOptions(ScalarType::UInt8));
}

bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.sizes() == b.sizes() && a.dtype() == b.dtype() && a.to_vector<double>() == b.to_vector<double>();
}

// ---- DataLoader --------------------------------------------------------------------------

// n examples: data[i] = [i, 2i] (float32), target[i] = i (int64).
std::shared_ptr<TensorDataset> counting_dataset(int64_t n) {
  Tensor target = arange(n, TensorOptions(ScalarType::Int64));
  Tensor data = stack({target.to(ScalarType::Float32), target.to(ScalarType::Float32) * 2}, 1);
  return std::make_shared<TensorDataset>(data, target);
}

// The targets of one epoch, batch by batch; checks each batch's rows match its targets.
std::vector<std::vector<int64_t>> run_epoch(DataLoader<Example>& loader) {
  std::vector<std::vector<int64_t>> batches;
  for (const Example& batch : loader) {
    EXPECT_EQ(batch.data.dim(), 2);
    EXPECT_EQ(batch.data.size(0), batch.target.size(0));
    const auto ids = batch.target.to_vector<int64_t>();
    const auto rows = batch.data.to_vector<float>();
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(rows[2 * i], static_cast<float>(ids[i]));
      EXPECT_EQ(rows[2 * i + 1], static_cast<float>(2 * ids[i]));
    }
    batches.push_back(ids);
  }
  return batches;
}

TEST(DataLoaderTest, CoversEachSampleExactlyOncePerEpoch) {
  const int64_t n = 23;
  auto ds = counting_dataset(n);
  for (int64_t bs : {1, 4, 5, 23, 30})
    for (bool shuffle : {false, true})
      for (bool drop_last : {false, true})
        for (int64_t prefetch : {0, 1, 3}) {
          SCOPED_TRACE(::testing::Message() << "batch_size " << bs << " shuffle " << shuffle << " drop_last "
                                            << drop_last << " prefetch " << prefetch);
          DataLoader loader(ds, {.batch_size = bs, .shuffle = shuffle, .drop_last = drop_last, .prefetch = prefetch});
          EXPECT_EQ(loader.size(), drop_last ? n / bs : (n + bs - 1) / bs);
          for (int epoch = 0; epoch < 2; ++epoch) {
            const auto batches = run_epoch(loader);
            ASSERT_EQ(static_cast<int64_t>(batches.size()), loader.size());
            std::vector<int64_t> seen;
            for (size_t b = 0; b < batches.size(); ++b) {
              const bool last = b + 1 == batches.size();
              if (drop_last || !last) {
                EXPECT_EQ(static_cast<int64_t>(batches[b].size()), bs);
              }
              seen.insert(seen.end(), batches[b].begin(), batches[b].end());
            }
            const int64_t expected = drop_last ? n / bs * bs : n;
            ASSERT_EQ(static_cast<int64_t>(seen.size()), expected);
            std::set<int64_t> unique(seen.begin(), seen.end());
            EXPECT_EQ(static_cast<int64_t>(unique.size()), expected) << "an example came twice";
            for (int64_t v : seen) EXPECT_TRUE(v >= 0 && v < n);
            if (!shuffle) {
              for (int64_t i = 0; i < expected; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
            }
          }
        }
}

TEST(DataLoaderTest, ShuffleOrderRepeatsWithTheSameSeed) {
  auto ds = counting_dataset(100);
  auto epochs = [&](std::optional<uint64_t> seed) {
    DataLoader loader(ds, {.batch_size = 10, .shuffle = true, .seed = seed});
    return std::make_pair(run_epoch(loader), run_epoch(loader));
  };
  const auto a = epochs(7), b = epochs(7), c = epochs(8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.first, a.second) << "two epochs should have different orders";
  EXPECT_NE(a.first, c.first) << "another seed should give another order";
  // Without a seed, the default generator decides: manual_seed repeats it.
  manual_seed(123);
  const auto d = epochs(std::nullopt);
  manual_seed(123);
  const auto e = epochs(std::nullopt);
  EXPECT_EQ(d, e);
}

// A dataset whose get() is slow, counts its calls, and fails at one index.
class ProbeDataset : public Dataset<Example> {
 public:
  ProbeDataset(int64_t n, int64_t fail_at = -1, std::chrono::milliseconds delay = {})
      : n_(n), fail_at_(fail_at), delay_(delay) {}
  int64_t size() const override { return n_; }
  Example get(int64_t i) const override {
    calls_++;
    if (delay_.count()) std::this_thread::sleep_for(delay_);
    WICK_CHECK(i != fail_at_, ValueError, "ProbeDataset: example ", i, " is broken");
    return {full({2}, static_cast<double>(i)), scalar_tensor(i, TensorOptions(ScalarType::Int64))};
  }
  int64_t calls() const { return calls_; }

 private:
  int64_t n_, fail_at_;
  std::chrono::milliseconds delay_;
  mutable std::atomic<int64_t> calls_{0};
};

TEST(DataLoaderTest, DefaultGetBatchStacksExamples) {
  auto ds = std::make_shared<ProbeDataset>(7);
  DataLoader loader(ds, {.batch_size = 3});
  std::vector<int64_t> sizes;
  int64_t next = 0;
  for (const Example& b : loader) {
    sizes.push_back(b.data.size(0));
    EXPECT_EQ(b.data.sizes(), IntArrayRef({b.data.size(0), 2}));
    for (int64_t t : b.target.to_vector<int64_t>()) EXPECT_EQ(t, next++);
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
}

TEST(DataLoaderTest, ExceptionInTheLoaderThreadReachesTheConsumer) {
  for (int64_t prefetch : {0, 2}) {
    auto ds = std::make_shared<ProbeDataset>(20, /*fail_at=*/7);
    DataLoader loader(ds, {.batch_size = 2, .prefetch = prefetch});
    std::vector<int64_t> got;
    try {
      for (const Example& b : loader)
        for (int64_t t : b.target.to_vector<int64_t>()) got.push_back(t);
      ADD_FAILURE() << "expected the loading error";
    } catch (const ValueError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("example 7 is broken"));
    }
    // The batches before the failing one arrive first, in order; the error ends the epoch.
    EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
    auto it = loader.begin();
    ++it;
    ++it;  // batches {0, 1}, {2, 3}, {4, 5}; the next holds the broken example
    EXPECT_THROW(++it, ValueError);
    ++it;
    EXPECT_TRUE(it == loader.end());
    // The loader is still usable: a new epoch fails at the same place.
    EXPECT_THROW(
        {
          for (const Example& b : loader) (void)b;
        },
        ValueError);
  }
}

TEST(DataLoaderTest, DestroyedMidEpochStopsItsThread) {
  auto ds = std::make_shared<ProbeDataset>(1000, -1, std::chrono::milliseconds(2));
  const auto start = std::chrono::steady_clock::now();
  {
    DataLoader loader(ds, {.batch_size = 4, .prefetch = 2});
    auto it = loader.begin();
    ++it;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // Bounded queue: at most the 2 batches taken, 2 queued and 1 being loaded.
    EXPECT_LE(ds->calls(), 5 * 4);
  }
  const int64_t at_destruction = ds->calls();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(ds->calls(), at_destruction) << "the loading thread kept running after the loader was destroyed";
}

TEST(DataLoaderTest, NewEpochEndsTheOneInProgress) {
  auto ds = counting_dataset(50);
  DataLoader loader(ds, {.batch_size = 5, .shuffle = true, .seed = 1});
  auto old = loader.begin();
  ++old;
  const auto full_epoch = run_epoch(loader);
  EXPECT_EQ(full_epoch.size(), 10u);
  EXPECT_THROW_WITH(++old, Error, "later begin()");
}

TEST(DataLoaderTest, BatchOfATemporaryIteratorStaysValid) {
  auto ds = counting_dataset(10);
  DataLoader loader(ds, {.batch_size = 4, .prefetch = 0});
  const Example& first = *loader.begin();  // the iterator is gone; the batch lives in the loader
  EXPECT_EQ(first.target.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
  auto it = loader.begin();
  EXPECT_EQ(it->target.size(0), 4);
  ++it;
  ++it;
  EXPECT_EQ((*it).target.to_vector<int64_t>(), (std::vector<int64_t>{8, 9}));
  ++it;
  EXPECT_TRUE(it == loader.end());
}

TEST(DataLoaderTest, RejectsBadOptions) {
  auto ds = counting_dataset(4);
  EXPECT_THROW_WITH(DataLoader(ds, {.batch_size = 0}), ValueError, "batch_size");
  EXPECT_THROW_WITH(DataLoader(ds, {.prefetch = -1}), ValueError, "prefetch");
  EXPECT_THROW_WITH(DataLoader<Example>(nullptr), ValueError, "null");
  EXPECT_THROW_WITH(TensorDataset(zeros({3, 2}), zeros({4})), ValueError, "size mismatch");
  EXPECT_THROW_WITH(ds->get(4), IndexError, "out of range");
  EXPECT_TRUE(same_tensor(ds->get(-1).target, scalar_tensor(3, TensorOptions(ScalarType::Int64))));
}

TEST(DataLoaderTest, EmptyDatasetGivesNoBatches) {
  auto ds = counting_dataset(0);
  DataLoader loader(ds, {.batch_size = 4, .shuffle = true});
  EXPECT_EQ(loader.size(), 0);
  EXPECT_TRUE(run_epoch(loader).empty());
}

// ---- IDX ---------------------------------------------------------------------------------

TEST(IdxTest, RoundTripRawAndGzip) {
  TempDir dir;
  for (const Tensor& t : {random_bytes({5, 3, 4}), random_bytes({7}), random_bytes({2, 0, 3})}) {
    write_idx(dir.file("a.idx"), t);
    write_idx(dir.file("a.idx.gz"), t, /*gzip=*/true);
    EXPECT_TRUE(same_tensor(read_idx(dir.file("a.idx")), t));
    EXPECT_TRUE(same_tensor(read_idx(dir.file("a.idx.gz")), t));
    EXPECT_EQ(fs::file_size(dir.file("a.idx")), 4 + 4 * static_cast<size_t>(t.dim()) + t.nbytes());
    const auto gz = read_bytes(dir.file("a.idx.gz"));
    ASSERT_GE(gz.size(), 2u);
    EXPECT_TRUE(gz[0] == 0x1f && gz[1] == 0x8b) << "write_idx(gzip=true) should write a gzip file";
  }
  // The format byte by byte: big-endian sizes, then the data; compression is detected, not named.
  write_bytes(dir.file("labels"), concat(idx_header({3}), {7, 8, 9}));
  Tensor labels = read_idx(dir.file("labels"));
  EXPECT_EQ(labels.sizes(), IntArrayRef({3}));
  EXPECT_EQ(labels.to_vector<int64_t>(), (std::vector<int64_t>{7, 8, 9}));
  write_bytes(dir.file("images.bin"), gzip_bytes(concat(idx_header({1, 2, 258}), std::vector<uint8_t>(516, 5))));
  EXPECT_EQ(read_idx(dir.file("images.bin")).sizes(), IntArrayRef({1, 2, 258}));
  // Concatenated gzip members read as one stream, as gunzip reads them.
  write_bytes(dir.file("two.gz"), concat(gzip_bytes(idx_header({4})), gzip_bytes({1, 2, 3, 4})));
  EXPECT_EQ(read_idx(dir.file("two.gz")).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 3, 4}));
}

// An empty array's other sizes still multiply into its strides: [0, 2^31, 2^31, 2^31] has none in int64
// (fuzz_idx's first finding: UBSan's signed overflow). Refused, not made.
TEST(IdxTest, EmptyArraysWhoseStridesOverflowAreRefused) {
  TempDir dir;
  write_bytes(dir.file("empty"), idx_header({0, uint32_t{1} << 31, uint32_t{1} << 31, uint32_t{1} << 31}));
  EXPECT_THROW_WITH(read_idx(dir.file("empty")), ValueError, "is too large");
  write_bytes(dir.file("fine"), idx_header({0, 1u << 20, 1u << 20}));
  EXPECT_EQ(read_idx(dir.file("fine")).numel(), 0);
}

TEST(IdxTest, TruncatedFilesRaiseAtEveryLength) {
  TempDir dir;
  const auto raw = concat(idx_header({3, 4, 5}), std::vector<uint8_t>(60, 1));
  const auto gz = gzip_bytes(raw);
  const std::string path = dir.file("cut");
  for (size_t len = 0; len < raw.size(); ++len) {
    write_bytes(path, std::vector<uint8_t>(raw.begin(), raw.begin() + static_cast<ptrdiff_t>(len)));
    EXPECT_THROW_WITH(read_idx(path), ValueError, path);
  }
  for (size_t len = 0; len < gz.size(); ++len) {
    write_bytes(path, std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<ptrdiff_t>(len)));
    EXPECT_THROW_WITH(read_idx(path), ValueError, path);
  }
}

TEST(IdxTest, WrongMagicOrTypeRaises) {
  TempDir dir;
  const std::string path = dir.file("bad");
  write_bytes(path, {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5});
  EXPECT_THROW_WITH(read_idx(path), ValueError, "magic number is 0x12340801");
  write_bytes(path, gzip_bytes({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "not an IDX file");
  write_bytes(path, concat(idx_header({1}, 0x0D), {0, 0, 0, 0}));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "float32");
  write_bytes(path, {0, 0, 8, 0});
  EXPECT_THROW_WITH(read_idx(path), ValueError, "0 dimensions");
}

TEST(IdxTest, SizesThatDoNotMatchTheFileRaise) {
  TempDir dir;
  const std::string path = dir.file("dims");
  write_bytes(path, concat(idx_header({2, 3}), std::vector<uint8_t>(7, 0)));  // one byte too many
  EXPECT_THROW_WITH(read_idx(path), ValueError, "1 bytes more than");
  write_bytes(path, concat(idx_header({2, 3}), std::vector<uint8_t>(5, 0)));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "truncated");
  write_bytes(path, gzip_bytes(concat(idx_header({2, 3}), std::vector<uint8_t>(7, 0))));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "longer than");
  write_bytes(path, gzip_bytes(concat(idx_header({2, 3}), std::vector<uint8_t>(5, 0))));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "ends after 5 bytes");
}

TEST(IdxTest, HostileHeadersDoNotAllocateWhatTheyClaim) {
  TempDir dir;
  const std::string path = dir.file("hostile");
  // Sizes whose product overflows any sane count.
  write_bytes(path, concat(idx_header({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}), {1, 2, 3}));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "2^40");
  // 200 GB claimed by a few bytes: refused before any allocation (raw), or after
  // reading the little there is (gzip). Allocating what the header claims would
  // fail with "out of memory" (an Error, not this ValueError).
  const auto header = idx_header({200000, 1000, 1000});
  write_bytes(path, concat(header, {1, 2, 3}));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "truncated");
  write_bytes(path, gzip_bytes(concat(header, std::vector<uint8_t>(1000, 9))));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "ends after 1000 bytes");
}

TEST(IdxTest, CorruptGzipRaises) {
  TempDir dir;
  const std::string path = dir.file("corrupt.gz");
  const auto raw = concat(idx_header({64, 16}), std::vector<uint8_t>(1024, 0));
  auto gz = gzip_bytes(raw);
  // A flipped bit in the CRC of the trailer (the 8 last bytes are CRC32, size).
  auto bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  write_bytes(path, bad_crc);
  EXPECT_THROW_WITH(read_idx(path), ValueError, "corrupt gzip data");
  // Garbage in the deflate stream.
  int raised = 0;
  for (size_t at = 10; at + 8 < gz.size(); ++at) {
    auto bad = gz;
    bad[at] ^= 0xA5;
    write_bytes(path, bad);
    try {
      // A flip that still decodes must give the original data (else the CRC check failed).
      EXPECT_TRUE(same_tensor(read_idx(path), zeros({64, 16}, ScalarType::UInt8))) << "a corrupt file decoded";
    } catch (const ValueError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(path));
      ++raised;
    } catch (const Error& e) {
      ADD_FAILURE() << "not a ValueError: " << e.what();
    }
  }
  EXPECT_GT(raised, 0);
  // Bytes after the end of the gzip data.
  write_bytes(path, concat(gz, {0, 0, 0}));
  EXPECT_THROW_WITH(read_idx(path), ValueError, "after the end of the gzip data");
}

TEST(IdxTest, MissingFileOrDirectoryRaises) {
  TempDir dir;
  EXPECT_THROW_WITH(read_idx(dir.file("nope.gz")), Error, "nope.gz");
  EXPECT_THROW_WITH(read_idx(dir.path().string()), Error, "not a regular file");
  EXPECT_THROW_WITH(write_idx(dir.file("x"), zeros({2})), TypeError, "uint8");
  EXPECT_THROW_WITH(write_idx(dir.file("missing/x"), random_bytes({2})), Error, "cannot open");
}

// ---- MNIST / Fashion-MNIST ------------------------------------------------------------------

TEST(MnistTest, ReadsGeneratedFilesInBothLayouts) {
  TempDir dir;
  Tensor train_images = random_bytes({6, 28, 28}), train_labels = randint(0, 10, {6}, ScalarType::UInt8);
  Tensor test_images = random_bytes({3, 28, 28}), test_labels = randint(0, 10, {3}, ScalarType::UInt8);
  // Debian's layout: files in the root, gzip; torchvision's: root/<Name>/raw, here uncompressed.
  write_idx(dir.file("train-images-idx3-ubyte.gz"), train_images, true);
  write_idx(dir.file("train-labels-idx1-ubyte.gz"), train_labels, true);
  fs::create_directories(dir.path() / "MNIST" / "raw");
  write_idx(dir.file("MNIST/raw/t10k-images-idx3-ubyte"), test_images);
  write_idx(dir.file("MNIST/raw/t10k-labels-idx1-ubyte"), test_labels);

  MNIST train(dir.path().string()), test(dir.path().string(), /*train=*/false, Normalize{0.5, 0.25});
  ASSERT_EQ(train.size(), 6);
  ASSERT_EQ(test.size(), 3);
  EXPECT_EQ(train.data().sizes(), IntArrayRef({6, 1, 28, 28}));
  EXPECT_EQ(train.data().dtype(), ScalarType::Float32);
  EXPECT_EQ(train.target().dtype(), ScalarType::Int64);
  const auto px = train_images.to_vector<double>();
  const auto got = train.data().to_vector<float>();
  for (size_t i = 0; i < px.size(); ++i) ASSERT_EQ(got[i], static_cast<float>(px[i]) / 255.f);
  const auto tpx = test_images.to_vector<double>();
  const auto tgot = test.data().to_vector<float>();
  for (size_t i = 0; i < tpx.size(); ++i) ASSERT_EQ(tgot[i], (static_cast<float>(tpx[i]) / 255.f - 0.5f) / 0.25f);
  EXPECT_EQ(train.target().to_vector<int64_t>(), train_labels.to_vector<int64_t>());
  Example e = test.get(2);
  EXPECT_EQ(e.data.sizes(), IntArrayRef({1, 28, 28}));
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), test_labels.to_vector<int64_t>()[2]);
}

TEST(MnistTest, MissingOrMismatchedFilesRaise) {
  TempDir dir;
  EXPECT_THROW_WITH(FashionMNIST(dir.path().string()), Error, "apt-get install dataset-fashion-mnist");
  EXPECT_THROW_WITH(FashionMNIST(dir.path().string()), Error, dir.file("train-images-idx3-ubyte.gz"));
  EXPECT_THROW_WITH(MNIST(dir.path().string()), Error, "no Debian package");
  write_idx(dir.file("train-images-idx3-ubyte"), random_bytes({5, 28, 28}));
  write_idx(dir.file("train-labels-idx1-ubyte"), random_bytes({4}));
  EXPECT_THROW_WITH(MNIST(dir.path().string()), ValueError, "has 5 images but");
  write_idx(dir.file("train-labels-idx1-ubyte"), random_bytes({5, 1}));
  EXPECT_THROW_WITH(MNIST(dir.path().string()), ValueError, "should hold labels");
  write_idx(dir.file("train-images-idx3-ubyte"), random_bytes({5, 784}));
  EXPECT_THROW_WITH(MNIST(dir.path().string()), ValueError, "should hold images");
}

TEST(MnistTest, RealFashionMnistWhenInstalled) {
  const std::string root = FashionMNIST::kDefaultRoot;
  if (!fs::exists(fs::path(root) / "train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
  for (bool train : {true, false}) {
    FashionMNIST ds(root, train);
    const int64_t n = train ? 60000 : 10000;
    ASSERT_EQ(ds.size(), n);
    EXPECT_EQ(ds.data().sizes(), IntArrayRef({n, 1, 28, 28}));
    EXPECT_EQ(ds.data().min().item<double>(), 0.0);
    EXPECT_EQ(ds.data().max().item<double>(), 1.0);
    // The classes are balanced: n / 10 of each label 0..9.
    std::vector<int64_t> counts(10, 0);
    for (int64_t label : ds.target().to_vector<int64_t>()) {
      ASSERT_TRUE(label >= 0 && label < 10) << label;
      counts[static_cast<size_t>(label)]++;
    }
    EXPECT_EQ(counts, std::vector<int64_t>(10, n / 10));
    if (train) {
      EXPECT_NEAR(ds.data().mean().item<double>(), FashionMNIST::kNormalize.mean, 1e-3);
    }
    EXPECT_STREQ(ds.classes()[9], "Ankle boot");
  }
}

// ---- text ------------------------------------------------------------------------------------

TEST(TextTest, VocabularyEncodesAndDecodes) {
  const std::string text = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC!";  // "héllo wörld €!"
  Vocabulary v(text);
  EXPECT_EQ(v.size(), 11);  // ' ', '!', d, h, l, o, r, w, é, ö, €
  EXPECT_EQ(v.chars(), " !dhlorw\xC3\xA9\xC3\xB6\xE2\x82\xAC");
  EXPECT_EQ(v.id(U'!'), 1);
  EXPECT_EQ(v.id(U'\u20AC'), 10);
  EXPECT_EQ(v.id(U'z'), -1);
  Tensor ids = v.encode(text);
  EXPECT_EQ(ids.dtype(), ScalarType::Int64);
  EXPECT_EQ(ids.numel(), 14);
  EXPECT_EQ(v.decode(ids), text);
  EXPECT_EQ(Vocabulary(v.chars()), v);
  EXPECT_THROW_WITH(v.encode("hz"), ValueError, "'z' (U+007A) at position 1");
  EXPECT_THROW_WITH(v.decode(from_vector<int64_t>({0, 11}, {2})), IndexError, "id 11");
  EXPECT_THROW_WITH(v.decode(zeros({2})), TypeError, "integer");
  EXPECT_THROW_WITH(Vocabulary("ab\xC3"), ValueError, "byte 2");        // cut short
  EXPECT_THROW_WITH(Vocabulary("\xC0\xAF"), ValueError, "byte 0");      // overlong '/'
  EXPECT_THROW_WITH(Vocabulary("a\xED\xA0\x80"), ValueError, "byte 1");  // a surrogate
}

TEST(TextTest, CharDatasetWindowsAndBatches) {
  Tensor ids = arange(21, TensorOptions(ScalarType::Int64));
  CharDataset ds(ids, /*seq_len=*/5);
  EXPECT_EQ(ds.size(), 4);  // starts 0, 5, 10, 15 (the target of the last ends at 20)
  for (int64_t i = 0; i < ds.size(); ++i) {
    Example e = ds.get(i);
    EXPECT_EQ(e.data.to_vector<int64_t>(), arange(5 * i, 5 * i + 5).to_vector<int64_t>());
    EXPECT_EQ(e.target.to_vector<int64_t>(), arange(5 * i + 1, 5 * i + 6).to_vector<int64_t>());
  }
  Example b = ds.get_batch(from_vector<int64_t>({3, 0}, {2}));
  EXPECT_EQ(b.data.sizes(), IntArrayRef({2, 5}));
  EXPECT_EQ(b.data.to_vector<int64_t>(), (std::vector<int64_t>{15, 16, 17, 18, 19, 0, 1, 2, 3, 4}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{16, 17, 18, 19, 20, 1, 2, 3, 4, 5}));
  EXPECT_THROW_WITH(ds.get_batch(from_vector<int64_t>({4}, {1})), IndexError, "out of range");
  EXPECT_EQ(CharDataset(ids, 5, /*stride=*/1).size(), 16);
  EXPECT_EQ(CharDataset(ids, 20).size(), 1);
  EXPECT_EQ(CharDataset(ids, 21).size(), 0);
  EXPECT_THROW_WITH(CharDataset(ids.to(ScalarType::Float32), 5), ValueError, "int64");
  EXPECT_THROW_WITH(CharDataset(ids, 0), ValueError, "seq_len");
  // Through the DataLoader.
  DataLoader loader(std::make_shared<CharDataset>(ids, 5), {.batch_size = 3});
  int64_t batches = 0;
  for (const Example& batch : loader) {
    EXPECT_TRUE(same_tensor(batch.target, batch.data + 1));
    ++batches;
  }
  EXPECT_EQ(batches, 2);
}

TEST(TextTest, CorpusFromFileSplitsTrainAndTest) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 100; ++i) text += "the quick brown fox " + std::to_string(i) + "\n";
  std::ofstream(dir.file("t.txt")) << text;
  TextCorpus corpus = TextCorpus::from_file(dir.file("t.txt"));
  EXPECT_EQ(corpus.text(), text);
  EXPECT_EQ(corpus.ids().numel(), static_cast<int64_t>(text.size()));
  EXPECT_EQ(corpus.vocab().decode(corpus.ids()), text);
  auto [train, test] = corpus.split(/*seq_len=*/16, /*test_fraction=*/0.25);
  const int64_t n = corpus.ids().numel(), n_test = std::llround(n * 0.25);
  EXPECT_EQ(train->ids().numel(), n - n_test);
  EXPECT_EQ(test->ids().numel(), n_test);
  EXPECT_EQ(train->size(), (n - n_test - 17) / 16 + 1);
  // The test part is the end of the text.
  EXPECT_EQ(corpus.vocab().decode(test->ids()), text.substr(static_cast<size_t>(n - n_test)));
  EXPECT_EQ(corpus.split(16, 0).test, nullptr);
  EXPECT_THROW_WITH(corpus.split(16, 1.0), ValueError, "test_fraction");
  EXPECT_THROW_WITH(corpus.split(static_cast<int64_t>(text.size())), ValueError, "too few");

  std::ofstream(dir.file("bad.txt")) << "ok\xFF";
  EXPECT_THROW_WITH(TextCorpus::from_file(dir.file("bad.txt")), ValueError, dir.file("bad.txt"));
  EXPECT_THROW_WITH(TextCorpus::from_file(dir.file("none.txt")), Error, "none.txt");
  std::ofstream(dir.file("empty.txt")) << "";
  EXPECT_THROW_WITH(TextCorpus::from_file(dir.file("empty.txt")), ValueError, "empty");
}

TEST(TextTest, FortunesStripSeparatorsAndSkipIndexFiles) {
  TempDir dir;
  std::ofstream(dir.file("jokes")) << "first one\n%\nsecond\ntwo lines\n%\n%\nthird\n";
  std::ofstream(dir.file("jokes.dat")) << "\x01\x02 index bytes that must not appear";
  fs::create_symlink(dir.file("jokes"), dir.file("jokes.u8"));
  std::ofstream(dir.file("more")) << "zzz\n";
  EXPECT_EQ(read_fortunes(dir.path().string()), "first one\n\nsecond\ntwo lines\n\nthird\n\nzzz\n");
  TempDir empty;
  EXPECT_THROW_WITH(read_fortunes(empty.path().string()), Error, "apt-get install fortunes");
  EXPECT_THROW_WITH(read_fortunes(empty.file("missing")), Error, "apt-get install fortunes");
}

TEST(TextTest, RealFortunesWhenInstalled) {
  if (!fs::exists(fs::path(kFortunesDir) / "fortunes"))
    GTEST_SKIP() << "the fortunes package is not installed (apt-get install fortunes)";
  TextCorpus corpus = TextCorpus::fortunes();
  EXPECT_GT(corpus.ids().numel(), 100000);
  EXPECT_GT(corpus.vocab().size(), 60);
  EXPECT_EQ(corpus.text().find("\n%\n"), std::string::npos) << "a '%' separator line was left in";
  auto [train, test] = corpus.split(128);
  EXPECT_GT(train->size(), 9 * test->size() - 10);
}

// ---- the graph picture ------------------------------------------------------------------------

struct Mlp {
  Tensor w1 = leaf32({5, 3}), b1 = leaf32({5}), w2 = leaf32({2, 5}), b2 = leaf32({2});
  static Tensor leaf32(IntArrayRef sizes) { return rand(sizes).requires_grad_(); }
  std::vector<std::pair<std::string, Tensor>> params() const {
    return {{"fc1.weight", w1}, {"fc1.bias", b1}, {"fc2.weight", w2}, {"fc2.bias", b2}};
  }
  Tensor forward(const Tensor& x) const { return addmm(b2, relu(addmm(b1, x, w1.t())), w2.t()); }
};

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(GraphDotTest, MlpGraphNamesNodesAndParameters) {
  Mlp mlp;
  Tensor loss = mlp.forward(rand({4, 3})).sum();
  const std::string dot = to_dot(loss, mlp.params());
  EXPECT_EQ(dot.rfind("digraph", 0), 0u);
  EXPECT_EQ(count(dot, "label=\"AddmmBackward0\\n"), 2);
  EXPECT_EQ(count(dot, "label=\"ReluBackward0\\n"), 1);
  EXPECT_EQ(count(dot, "label=\"TBackward0\\n"), 2);
  EXPECT_EQ(count(dot, "label=\"SumBackward0\\n"), 1);
  EXPECT_THAT(dot, ::testing::HasSubstr("fc1.weight\\n(5, 3)"));
  EXPECT_THAT(dot, ::testing::HasSubstr("fc1.bias\\n(5)"));
  EXPECT_THAT(dot, ::testing::HasSubstr("fc2.weight\\n(2, 5)"));
  EXPECT_THAT(dot, ::testing::HasSubstr("fc2.bias\\n(2)"));
  EXPECT_THAT(dot, ::testing::HasSubstr("label=\"()\", fillcolor=darkolivegreen1"));
  // Nodes: output, Sum, 2 Addmm, Relu, 2 T, 4 leaves. Edges: one per valid next edge, plus the output's.
  EXPECT_EQ(count(dot, "[label="), 11);
  EXPECT_EQ(count(dot, " -> "), 1 + 1 + 3 + 1 + 2 + 1 + 1);
  // Forward direction: a parameter's box points at the op that uses it, the last op at the output.
  EXPECT_THAT(dot, ::testing::ContainsRegex("n[0-9]+ -> out0;"));
}

TEST(GraphDotTest, NodesReportTheBytesTheySaved) {
  Mlp mlp;
  Tensor x = rand({4, 3});
  Tensor loss = mlp.forward(x).sum();
  const std::shared_ptr<Node>& addmm2 = loss.grad_fn()->next_edge(0).fn;
  ASSERT_EQ(addmm2->name(), "AddmmBackward0");
  // mat1 = relu(...) [4, 5] and mat2 = w2.t() [5, 2], float32.
  EXPECT_EQ(addmm2->saved_bytes(), (4 * 5 + 5 * 2) * 4u);
  const std::shared_ptr<Node>& relu = addmm2->next_edge(1).fn;
  ASSERT_EQ(relu->name(), "ReluBackward0");
  EXPECT_EQ(relu->saved_bytes(), 4 * 5 * 4u);  // its output
  const std::shared_ptr<Node>& addmm1 = relu->next_edge(0).fn;
  EXPECT_EQ(addmm1->saved_bytes(), 4 * 3 * 4u);  // x only: nobody wants the gradient that needs w1
  EXPECT_THAT(to_dot(loss), ::testing::HasSubstr("AddmmBackward0\\nsaved 120 B"));
  loss.backward();
  EXPECT_EQ(addmm2->saved_bytes(), 0u) << "backward released the saved tensors";
  EXPECT_THAT(to_dot(loss), ::testing::HasSubstr("AddmmBackward0\\nsaved 0 B"));
}

TEST(GraphDotTest, LeavesOutputsAndEscaping) {
  Tensor a = rand({2}).requires_grad_();
  a.set_name("my \"a\"");
  EXPECT_THAT(to_dot(a), ::testing::HasSubstr("label=\"my \\\"a\\\"\\n(2)\", fillcolor=lightblue"));
  Tensor plain = rand({3, 1});
  const std::string dot = to_dot(plain);
  EXPECT_THAT(dot, ::testing::HasSubstr("(3, 1)"));
  EXPECT_EQ(count(dot, " -> "), 0);
  Tensor b = a * a;  // one input used twice: two edges
  EXPECT_EQ(count(to_dot(b, {{"a", a}}), " -> "), 3);
  Tensor big = rand({256, 1024}).requires_grad_();
  EXPECT_THAT(to_dot(big.exp()), ::testing::HasSubstr("ExpBackward0\\nsaved 1.0 MiB"));
}

TEST(GraphDotTest, GraphvizAcceptsTheDot) {
  if (std::system("command -v dot > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "Graphviz's dot is not installed (apt-get install graphviz)";
  TempDir dir;
  Mlp mlp;
  Tensor x = rand({4, 3});
  std::ofstream(dir.file("g.dot")) << to_dot(mlp.forward(x).relu().sum(), mlp.params());
  const std::string cmd = "dot -Tsvg '" + dir.file("g.dot") + "' -o '" + dir.file("g.svg") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream svg(dir.file("g.svg"));
  std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_THAT(text, ::testing::HasSubstr("<svg"));
  EXPECT_THAT(text, ::testing::HasSubstr("AddmmBackward0"));
  EXPECT_THAT(text, ::testing::HasSubstr("fc2.weight"));
}

}  // namespace
}  // namespace wick::data
