// libFuzzer target: the text reader (data::read_text_file, UTF-8 checked) and
// the character vocabulary. Every input either reads or throws a wick error;
// text that reads encodes and decodes back to itself.
#include "data/text.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text;
  try {
    text = wick::data::read_text_file(wick::fuzz::as_file(data, size));
  } catch (const wick::Error&) {
    return 0;
  }
  if (text.size() != size) wick::fuzz::finding("read_text_file did not return the file's bytes");
  const wick::data::Vocabulary vocab(text);
  if (wick::data::Vocabulary(vocab.chars()).chars() != vocab.chars())
    wick::fuzz::finding("a vocabulary made of its own characters differs");
  if (vocab.decode(vocab.encode(text)) != text) wick::fuzz::finding("decode(encode(text)) != text");
  return 0;
}
