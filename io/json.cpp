#include "io/json.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <string>
#include <unordered_set>

namespace wick::io::json {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence at s[i], or 0 (Unicode's table 3-7).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  const size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && is_continuation(byte(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !is_continuation(byte(1)) || !is_continuation(byte(2))) return 0;
    if (c == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && byte(1) > 0x9F) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !is_continuation(byte(1)) || !is_continuation(byte(2)) || !is_continuation(byte(3))) return 0;
    if (c == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && byte(1) > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// json::parse: a Json tree built through a Cursor, with duplicate keys refused.
Json parse_value(Cursor& c) {
  switch (c.peek()) {
    case Cursor::Kind::Null: c.read_null(); return Json{nullptr};
    case Cursor::Kind::Bool: return Json{c.read_bool()};
    case Cursor::Kind::String: return Json{c.read_string()};
    case Cursor::Kind::Number: return std::visit([](auto x) { return Json{x}; }, c.read_number());
    case Cursor::Kind::Array: {
      Array out;
      c.begin_array();
      while (c.next_item()) out.push_back(parse_value(c));
      return Json{std::move(out)};
    }
    case Cursor::Kind::Object: break;
  }
  const size_t start = c.offset();
  Object out;
  std::unordered_set<std::string> keys;
  std::string key;
  c.begin_object();
  while (c.next_key(key)) {
    if (!keys.insert(key).second) {
      WICK_THROW(io::json::ParseError, "invalid JSON at byte ", start, ": duplicate key \"", key, "\" in an object");
    }
    out.emplace_back(key, parse_value(c));
  }
  return Json{std::move(out)};
}

}  // namespace

Cursor::Cursor(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

void Cursor::fail(std::string_view what) const {
  WICK_THROW(io::json::ParseError, "invalid JSON at byte ", pos_, ": ", what);
}

void Cursor::skip_whitespace() {
  while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
}

void Cursor::expect(char c) {
  if (peek_char() != c) fail(std::string("expected '") + c + "'");
  ++pos_;
}

void Cursor::literal(std::string_view word) {
  skip_whitespace();
  if (s_.substr(pos_, word.size()) != word) fail("unknown literal");
  pos_ += word.size();
}

Cursor::Kind Cursor::peek() {
  skip_whitespace();
  if (at_end()) fail("unexpected end of the document");
  switch (s_[pos_]) {
    case '{': return Kind::Object;
    case '[': return Kind::Array;
    case '"': return Kind::String;
    case 't':
    case 'f': return Kind::Bool;
    case 'n': return Kind::Null;
    default: return Kind::Number;  // or nothing valid: read_number says so
  }
}

void Cursor::read_null() { literal("null"); }

bool Cursor::read_bool() {
  skip_whitespace();
  if (peek_char() == 't') {
    literal("true");
    return true;
  }
  literal("false");
  return false;
}

void Cursor::enter(char open) {
  skip_whitespace();
  if (static_cast<int>(first_.size()) >= max_depth_)
    fail("nesting deeper than " + std::to_string(max_depth_) + " levels");
  expect(open);
  first_.push_back(true);
}

bool Cursor::next_element(char close) {
  skip_whitespace();
  if (first_.back()) {
    first_.back() = false;
    if (peek_char() != close) return true;
  } else if (peek_char() == ',') {
    ++pos_;
    return true;
  }
  expect(close);
  first_.pop_back();
  return false;
}

void Cursor::begin_array() { enter('['); }
bool Cursor::next_item() { return next_element(']'); }
void Cursor::begin_object() { enter('{'); }

bool Cursor::next_key(std::string& key) {
  if (!next_element('}')) return false;
  skip_whitespace();
  if (peek_char() != '"') fail("expected a string key");
  key = read_string();
  skip_whitespace();
  expect(':');
  return true;
}

void Cursor::end_document() {
  skip_whitespace();
  if (pos_ != s_.size()) fail("unexpected text after the value");
}

uint32_t Cursor::hex4() {
  if (s_.size() - pos_ < 4) fail("truncated \\u escape");
  uint32_t cp = 0;
  for (int k = 0; k < 4; ++k) {
    const char c = s_[pos_++];
    cp <<= 4;
    if (c >= '0' && c <= '9') cp |= c - '0';
    else if (c >= 'a' && c <= 'f') cp |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') cp |= c - 'A' + 10;
    else fail("bad hex digit in a \\u escape");
  }
  return cp;
}

std::string Cursor::read_string() {
  skip_whitespace();
  expect('"');
  std::string out;
  while (true) {
    if (at_end()) fail("unterminated string");
    const unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (c < 0x20) fail("control character in a string");
    if (c != '\\') {
      const size_t n = utf8_sequence_length(s_, pos_);
      if (n == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
      continue;
    }
    ++pos_;
    if (at_end()) fail("unterminated escape");
    const char e = s_[pos_++];
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp = hex4();
        if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate in a \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (s_.substr(pos_, 2) != "\\u") fail("high surrogate without its low half");
          pos_ += 2;
          const uint32_t low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) fail("high surrogate without its low half");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(cp, out);
        break;
      }
      default: --pos_; fail("unknown escape");
    }
  }
}

std::variant<int64_t, double> Cursor::read_number() {
  skip_whitespace();
  const size_t start = pos_;
  const auto digits = [&] {
    const size_t from = pos_;
    while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ - from;
  };
  if (peek_char() == '-') ++pos_;
  if (peek_char() == '0') {
    ++pos_;
  } else if (digits() == 0) {
    pos_ = start;
    fail("expected a value");
  }
  bool integral = true;
  if (peek_char() == '.') {
    ++pos_;
    integral = false;
    if (digits() == 0) fail("expected digits after the decimal point");
  }
  if (peek_char() == 'e' || peek_char() == 'E') {
    ++pos_;
    integral = false;
    if (peek_char() == '+' || peek_char() == '-') ++pos_;
    if (digits() == 0) fail("expected digits in the exponent");
  }
  const char* first = s_.data() + start;
  const char* last = s_.data() + pos_;
  if (integral) {
    int64_t i = 0;
    auto [ptr, ec] = std::from_chars(first, last, i);
    if (ec != std::errc() || ptr != last) {
      pos_ = start;
      fail("integer out of the 64-bit range");
    }
    return i;
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(first, last, d);
  if (ec != std::errc() || ptr != last) {
    pos_ = start;
    fail("number out of the double range");
  }
  return d;
}

namespace {

}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Json parse(std::string_view text, int max_depth) {
  Cursor c(text, max_depth);
  Json out = parse_value(c);
  c.end_document();
  return out;
}

void dump_string(std::string_view s, std::string& out) {
  WICK_CHECK(is_valid_utf8(s), ValueError, "JSON: a string is not valid UTF-8");
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void dump(const Json& value, std::string& out) {
  char buf[32];
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out.append(buf, std::to_chars(buf, buf + sizeof(buf), x).ptr);
        } else if constexpr (std::is_same_v<T, double>) {
          WICK_CHECK(std::isfinite(x), ValueError, "JSON: cannot write the non-finite number ", x);
          const std::string_view text(buf, std::to_chars(buf, buf + sizeof(buf), x).ptr - buf);
          out += text;
          // Keep it a double when read back: 1.0 is written "1.0", not "1".
          if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
        } else if constexpr (std::is_same_v<T, std::string>) {
          dump_string(x, out);
        } else if constexpr (std::is_same_v<T, Array>) {
          out += '[';
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out += ',';
            dump(x[i], out);
          }
          out += ']';
        } else {
          out += '{';
          for (size_t i = 0; i < x.size(); ++i) {
            if (i) out += ',';
            dump_string(x[i].first, out);
            out += ':';
            dump(x[i].second, out);
          }
          out += '}';
        }
      },
      value.v);
}

}  // namespace wick::io::json
