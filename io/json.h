// A small, strict JSON reader and writer for checkpoint headers (io/checkpoint.h).
//
// parse() accepts exactly RFC 8259 JSON and nothing more: no comments, no
// trailing commas, no leading zeros, no NaN/Infinity, no invalid UTF-8 or lone
// surrogates, no duplicate keys in an object, no bytes after the value. It
// never reads outside `text`, and it limits nesting so that a hostile document
// cannot exhaust the stack. Every failure throws ParseError with the byte
// offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace wick::io::json {

struct Json;
using Array = std::vector<Json>;
using Object = std::vector<std::pair<std::string, Json>>;  // document order; keys unique

// Numbers without a fraction or exponent are int64_t (and must fit); others double.
struct Json {
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v;
};

class ParseError : public Error {
 public:
  using Error::Error;
};

// The document `text`: one value and optional whitespace around it. Arrays and
// objects may nest at most `max_depth` deep.
Json parse(std::string_view text, int max_depth);

// A pull parser: the document one value at a time, for a reader that builds
// its own values as it goes (the checkpoint header, whose memory must stay
// within a small multiple of the file) instead of a Json tree first.
//
//   Cursor c(text, max_depth);
//   c.begin_object();
//   std::string key;
//   while (c.next_key(key)) {
//     if (c.peek() == Cursor::Kind::String) use(key, c.read_string()); else ...
//   }
//   c.end_document();
//
// It checks everything parse() checks but duplicate keys, which only the
// caller, who keeps the keys, can check without a second copy of them.
// Reading a value of another kind than the next one throws ParseError.
class Cursor {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Cursor(std::string_view text, int max_depth);

  // The kind of the next value; ParseError at the end of the text.
  Kind peek();
  void read_null();
  bool read_bool();
  // int64_t when written without a fraction or an exponent (and it must fit), else double.
  std::variant<int64_t, double> read_number();
  std::string read_string();

  // An array: begin_array(), then next_item() before each item; it returns
  // false after the last one (having read the ']').
  void begin_array();
  bool next_item();
  // An object: begin_object(), then next_key(key) before each member's value;
  // it returns false after the last member (having read the '}').
  void begin_object();
  bool next_key(std::string& key);

  // After the top-level value: only whitespace may follow.
  void end_document();

  size_t offset() const { return pos_; }
  // ParseError "invalid JSON at byte N: what".
  [[noreturn]] void fail(std::string_view what) const;

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek_char() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_whitespace();
  void expect(char c);
  void literal(std::string_view word);
  void enter(char open);
  // True before the container's next element, false after its closing `close`.
  bool next_element(char close);
  uint32_t hex4();

  std::string_view s_;
  size_t pos_ = 0;
  int max_depth_;
  std::vector<bool> first_;  // per open container: no element read yet
};

// Appends the compact text of `value`. Strings must be valid UTF-8 and doubles
// finite (ValueError otherwise).
void dump(const Json& value, std::string& out);
// Appends `s` as a JSON string literal (quoted and escaped); ValueError unless valid UTF-8.
void dump_string(std::string_view s, std::string& out);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace wick::io::json
