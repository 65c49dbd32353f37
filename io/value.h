// io::Value: what a checkpoint holds. The tree Python's wick.save writes
// (dicts with string keys in insertion order, lists, tensors, numbers,
// strings, None), so one file format serves tensors, a model's state_dict and
// an optimizer's state, from C++ and from Python.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace wick::io {

struct Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>;  // ordered; keys unique

struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, Tensor, List, Dict> v;
  // What Python had, so that wick.load gives it back; C++ readers may ignore it.
  // Tuple: a List that was a tuple. IntKeys: a Dict whose keys were Python ints
  // (an optimizer's state), held as their decimal strings. Parameter: a Tensor
  // that was an nn.Parameter. NumpyArray: a Tensor that was a NumPy array.
  enum class Hint : uint8_t { Plain, Tuple, IntKeys, Parameter, NumpyArray };
  Hint hint = Hint::Plain;

  Value() = default;
  Value(bool b) : v(b) {}
  Value(int64_t i) : v(i) {}
  Value(int i) : v(int64_t{i}) {}
  Value(double d) : v(d) {}
  Value(std::string s) : v(std::move(s)) {}
  Value(const char* s) : v(std::string(s)) {}
  Value(Tensor t) : v(std::move(t)) {}
  Value(List l) : v(std::move(l)) {}
  Value(Dict d) : v(std::move(d)) {}

  bool is_none() const { return std::holds_alternative<std::monostate>(v); }
  template <typename T>
  bool is() const { return std::holds_alternative<T>(v); }
  // The held value; TypeError naming both kinds when it holds another.
  template <typename T>
  const T& as() const;
  template <typename T>
  T& as();
  // Dict lookup: the value under key, or null if absent (TypeError if not a dict).
  const Value* find(std::string_view key) const;
  // Appends (or replaces) a key of a Dict value.
  void set(std::string key, Value value);
};

// "None", "bool", "int", "float", "string", "Tensor", "List" or "Dict", for messages.
std::string_view kind_name(const Value& value);

}  // namespace wick::io
