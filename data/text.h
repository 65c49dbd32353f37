// Character-level text corpora for language models.
//
//   data::TextCorpus corpus = data::TextCorpus::fortunes();   // Debian's fortunes, or TextCorpus::from_file(path)
//   corpus.vocab().size();                                     // distinct characters (code points)
//   auto [train, test] = corpus.split(/*seq_len=*/100);        // 90% / 10% of the text
//   data::Example e = train->get(0);   // e.data: int64 [100] characters 0..99; e.target: characters 1..100
//
// Text is UTF-8; a character is a Unicode code point. The vocabulary is the
// sorted set of characters of the text, so it is the same for the same text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace wick::data {

// Where Debian's fortunes package installs its fortune files.
inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

// The contents of a UTF-8 text file. Error when it cannot be read; ValueError
// naming the file and byte offset when it is not valid UTF-8.
std::string read_text_file(const std::string& path);

// The fortunes of every fortune file in `dir` (skipping the .dat indexes and
// the .u8 links), without the '%' lines that separate them, one blank line
// between two fortunes. Error when there are none, saying that
// `apt-get install fortunes` provides them.
std::string read_fortunes(const std::string& dir = kFortunesDir);

class Vocabulary {
 public:
  Vocabulary() = default;
  // The sorted distinct characters of `text`. Vocabulary(v.chars()) == v.
  explicit Vocabulary(std::string_view text);

  int64_t size() const { return static_cast<int64_t>(chars_.size()); }
  // The characters in id order, as UTF-8.
  std::string chars() const;
  // The id of code point c, or -1.
  int64_t id(char32_t c) const;
  char32_t at(int64_t id) const;

  // int64 [number of characters]; ValueError for a character not in the vocabulary.
  Tensor encode(std::string_view text) const;
  // UTF-8 text of integer ids (any shape, read in order); IndexError for an id out of range.
  std::string decode(const Tensor& ids) const;

  friend bool operator==(const Vocabulary& a, const Vocabulary& b) { return a.chars_ == b.chars_; }

 private:
  std::vector<char32_t> chars_;
  std::vector<int32_t> latin1_;  // ids of code points below 256, -1 where absent
};

// Windows of a sequence of character ids for next-character prediction:
// example i is data = ids[i*stride : i*stride + seq_len] and target = the
// same window shifted by one character.
class CharDataset : public Dataset<Example> {
 public:
  // ids: 1-D int64 on the CPU. stride 0 means seq_len (windows that do not overlap).
  CharDataset(Tensor ids, int64_t seq_len, int64_t stride = 0);
  int64_t size() const override { return size_; }
  Example get(int64_t index) const override;
  Example get_batch(const Tensor& indices) const override;  // data, target: int64 [batch, seq_len]

  int64_t seq_len() const { return seq_len_; }
  int64_t stride() const { return stride_; }
  const Tensor& ids() const { return ids_; }

 private:
  Tensor ids_;
  int64_t seq_len_;
  int64_t stride_;
  int64_t size_;
};

class TextCorpus {
 public:
  // Any UTF-8 text (ValueError when empty or not UTF-8).
  explicit TextCorpus(std::string text);
  // Debian's fortunes (read_fortunes).
  static TextCorpus fortunes(const std::string& dir = kFortunesDir);
  // The text of a file (read_text_file).
  static TextCorpus from_file(const std::string& path);

  const std::string& text() const { return text_; }
  const Vocabulary& vocab() const { return vocab_; }
  // The whole text as character ids, int64 [number of characters].
  const Tensor& ids() const { return ids_; }

  // The first (1 - test_fraction) of the text for training, the rest for
  // testing, each cut into windows of seq_len. ValueError when a part is too
  // short for one window.
  struct Split {
    std::shared_ptr<CharDataset> train;
    std::shared_ptr<CharDataset> test;
  };
  Split split(int64_t seq_len, double test_fraction = 0.1, int64_t stride = 0) const;

 private:
  std::string text_;
  Vocabulary vocab_;
  Tensor ids_;
};

}  // namespace wick::data
