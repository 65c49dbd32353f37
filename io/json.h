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

// Appends the compact text of `value`. Strings must be valid UTF-8 and doubles
// finite (ValueError otherwise).
void dump(const Json& value, std::string& out);
// Appends `s` as a JSON string literal (quoted and escaped); ValueError unless valid UTF-8.
void dump_string(std::string_view s, std::string& out);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace wick::io::json
