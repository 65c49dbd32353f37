#include "data/text.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ops/copy.h"
#include "ops/creation.h"
#include "ops/view.h"

namespace wick::data {

namespace {

// Decodes the code point starting at s[i] and moves i past it; false for an
// invalid sequence (bad lead or continuation byte, overlong form, surrogate,
// beyond U+10FFFF, cut short).
bool next_code_point(std::string_view s, size_t& i, char32_t& out) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    out = b0;
    ++i;
    return true;
  }
  size_t len;
  char32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (len > s.size() - i) return false;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  out = cp;
  i += len;
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// `c` for a message: 'x' (U+0078).
std::string describe(char32_t c) {
  std::string s;
  if (c >= 0x20 && c != 0x7F) {
    s = "'";
    append_utf8(s, c);
    s += "' ";
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "(U+%04X)", static_cast<unsigned>(c));
  return s + buf;
}

// The code points of `text`; ValueError naming `what` and the byte offset of
// the first invalid sequence.
std::vector<char32_t> decode_utf8(std::string_view text, const std::string& what) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  size_t i = 0;
  char32_t c = 0;
  while (i < text.size()) {
    const size_t at = i;
    WICK_CHECK(next_code_point(text, i, c), ValueError, what, " is not valid UTF-8 text: invalid byte sequence at byte ",
               at);
    out.push_back(c);
  }
  return out;
}

std::string read_file(const std::string& path, const char* op) {
  std::error_code ec;
  WICK_CHECK(!std::filesystem::is_directory(path, ec), Error, op, ": '", path, "' is a directory, not a text file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) WICK_THROW(Error, op, ": cannot open '", path, "': ", std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, got);
  const bool failed = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (failed) WICK_THROW(Error, op, ": error reading '", path, "': ", std::strerror(err));
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::string text = read_file(path, "read_text_file");
  decode_utf8(text, "'" + path + "'");
  return text;
}

std::string read_fortunes(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string hint = "Debian's fortunes package provides them: apt-get install fortunes";
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || ends_with(name, ".dat") || ends_with(name, ".u8")) continue;
    std::error_code type_ec;
    if (fs::is_regular_file(it->path(), type_ec)) files.push_back(it->path().string());
  }
  WICK_CHECK(!files.empty(), Error, "read_fortunes: no fortune files in '", dir, "'",
             ec ? detail::str_cat(" (", ec.message(), ")") : std::string(), ". ", hint);
  std::sort(files.begin(), files.end());

  std::string out;
  for (const std::string& path : files) {
    const std::string text = read_text_file(path);
    std::string fortune;
    auto flush = [&] {
      if (fortune.find_first_not_of(" \t\r\n") != std::string::npos) {
        if (!out.empty()) out.push_back('\n');
        out += fortune;
      }
      fortune.clear();
    };
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      std::string_view line(text.data() + pos, eol - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line == "%") {
        flush();
      } else {
        fortune.append(line);
        fortune.push_back('\n');
      }
      pos = eol + 1;
    }
    flush();
  }
  return out;
}

// ---- Vocabulary ------------------------------------------------------------------------

Vocabulary::Vocabulary(std::string_view text) {
  chars_ = decode_utf8(text, "Vocabulary: the text");
  std::sort(chars_.begin(), chars_.end());
  chars_.erase(std::unique(chars_.begin(), chars_.end()), chars_.end());
  latin1_.assign(256, -1);
  for (size_t i = 0; i < chars_.size() && chars_[i] < 256; ++i) latin1_[chars_[i]] = static_cast<int32_t>(i);
}

std::string Vocabulary::chars() const {
  std::string out;
  for (char32_t c : chars_) append_utf8(out, c);
  return out;
}

int64_t Vocabulary::id(char32_t c) const {
  if (c < 256) return latin1_.empty() ? -1 : latin1_[c];
  auto it = std::lower_bound(chars_.begin(), chars_.end(), c);
  return it != chars_.end() && *it == c ? it - chars_.begin() : -1;
}

char32_t Vocabulary::at(int64_t id) const {
  WICK_CHECK(id >= 0 && id < size(), IndexError, "Vocabulary: id ", id, " is out of range for a vocabulary of ",
             size(), " characters");
  return chars_[static_cast<size_t>(id)];
}

Tensor Vocabulary::encode(std::string_view text) const {
  const std::vector<char32_t> cps = decode_utf8(text, "Vocabulary.encode: the text");
  Tensor out = empty({static_cast<int64_t>(cps.size())}, TensorOptions(ScalarType::Int64));
  int64_t* o = out.data_ptr<int64_t>();
  for (size_t i = 0; i < cps.size(); ++i) {
    const int64_t v = id(cps[i]);
    WICK_CHECK(v >= 0, ValueError, "Vocabulary.encode: character ", describe(cps[i]), " at position ", i,
               " is not in the vocabulary of ", size(), " characters");
    o[i] = v;
  }
  return out;
}

std::string Vocabulary::decode(const Tensor& ids) const {
  WICK_CHECK(ids.defined() && is_integral(ids.dtype(), /*include_bool=*/false), TypeError,
             "Vocabulary.decode: expected a tensor of integer ids, but got ",
             ids.defined() ? detail::str_cat(ids.dtype()) : std::string("an undefined tensor"));
  const Tensor flat = ids.cpu().to(ScalarType::Int64).contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  std::string out;
  out.reserve(static_cast<size_t>(flat.numel()));
  for (int64_t i = 0; i < flat.numel(); ++i) append_utf8(out, at(p[i]));
  return out;
}

// ---- CharDataset ---------------------------------------------------------------------------

CharDataset::CharDataset(Tensor ids, int64_t seq_len, int64_t stride)
    : seq_len_(seq_len), stride_(stride == 0 ? seq_len : stride) {
  WICK_CHECK(ids.defined() && ids.dim() == 1 && ids.dtype() == ScalarType::Int64 && !ids.is_cuda(), ValueError,
             "CharDataset: expected the character ids as a 1-D int64 CPU tensor, but got ",
             ids.defined() ? detail::str_cat(ids.dtype(), " ", ids.sizes(), " on ", ids.device())
                           : std::string("an undefined tensor"));
  WICK_CHECK(seq_len >= 1, ValueError, "CharDataset: seq_len must be at least 1, but got ", seq_len);
  WICK_CHECK(stride >= 0, ValueError, "CharDataset: stride must be positive (0 for seq_len), but got ", stride);
  ids_ = ids.contiguous();
  const int64_t n = ids_.numel();
  size_ = n >= seq_len_ + 1 ? (n - seq_len_ - 1) / stride_ + 1 : 0;
}

Example CharDataset::get(int64_t index) const {
  const int64_t start = check_index(index, size_, "CharDataset") * stride_;
  return {narrow(ids_, 0, start, seq_len_), narrow(ids_, 0, start + 1, seq_len_)};
}

Example CharDataset::get_batch(const Tensor& indices) const {
  WICK_CHECK(indices.dim() == 1 && (indices.dtype() == ScalarType::Int64 || indices.dtype() == ScalarType::Int32),
             ValueError, "CharDataset.get_batch: expected 1-D integer indices, but got ", indices.dtype(), " ",
             indices.sizes());
  const Tensor idx = indices.cpu().to(ScalarType::Int64).contiguous();
  const int64_t batch = idx.numel();
  const int64_t* ip = idx.data_ptr<int64_t>();
  const int64_t* src = ids_.data_ptr<int64_t>();
  Tensor data = empty({batch, seq_len_}, TensorOptions(ScalarType::Int64));
  Tensor target = empty({batch, seq_len_}, TensorOptions(ScalarType::Int64));
  int64_t* d = data.data_ptr<int64_t>();
  int64_t* t = target.data_ptr<int64_t>();
  const size_t row = static_cast<size_t>(seq_len_) * sizeof(int64_t);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t start = check_index(ip[b], size_, "CharDataset") * stride_;
    std::memcpy(d + b * seq_len_, src + start, row);
    std::memcpy(t + b * seq_len_, src + start + 1, row);
  }
  return {data, target};
}

// ---- TextCorpus ------------------------------------------------------------------------------

TextCorpus::TextCorpus(std::string text) : text_(std::move(text)) {
  WICK_CHECK(!text_.empty(), ValueError, "TextCorpus: the text is empty");
  vocab_ = Vocabulary(text_);
  ids_ = vocab_.encode(text_);
}

TextCorpus TextCorpus::fortunes(const std::string& dir) { return TextCorpus(read_fortunes(dir)); }

TextCorpus TextCorpus::from_file(const std::string& path) {
  std::string text = read_text_file(path);
  WICK_CHECK(!text.empty(), ValueError, "TextCorpus: '", path, "' is empty");
  return TextCorpus(std::move(text));
}

TextCorpus::Split TextCorpus::split(int64_t seq_len, double test_fraction, int64_t stride) const {
  WICK_CHECK(test_fraction >= 0 && test_fraction < 1, ValueError,
             "TextCorpus.split: test_fraction must be in [0, 1), but got ", test_fraction);
  const int64_t n = ids_.numel();
  const auto n_test = static_cast<int64_t>(std::llround(static_cast<double>(n) * test_fraction));
  auto part = [&](int64_t start, int64_t length, const char* which) {
    auto ds = std::make_shared<CharDataset>(narrow(ids_, 0, start, length), seq_len, stride);
    WICK_CHECK(ds->size() > 0, ValueError, "TextCorpus.split: the ", which, " part has ", length,
               " characters, too few for one window of seq_len ", seq_len, " + 1");
    return ds;
  };
  Split out;
  out.train = part(0, n - n_test, "training");
  if (test_fraction > 0) out.test = part(n - n_test, n_test, "test");
  return out;
}

}  // namespace wick::data
