#include "io/value.h"

#include <string_view>

#include "core/error.h"

namespace wick::io {

namespace {

// The kinds in variant order, as messages name them.
constexpr std::string_view kKindNames[] = {"None", "bool", "int", "float", "string", "Tensor", "List", "Dict"};

template <typename T>
constexpr std::string_view kind_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_same_v<T, int64_t>) return "int";
  else if constexpr (std::is_same_v<T, double>) return "float";
  else if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, Tensor>) return "Tensor";
  else if constexpr (std::is_same_v<T, List>) return "List";
  else return "Dict";
}

}  // namespace

std::string_view kind_name(const Value& value) { return kKindNames[value.v.index()]; }

template <typename T>
const T& Value::as() const {
  const T* held = std::get_if<T>(&v);
  WICK_CHECK(held, TypeError, "io::Value: expected ", kind_name<T>(), " but the value holds ", kind_name(*this));
  return *held;
}

template <typename T>
T& Value::as() {
  return const_cast<T&>(static_cast<const Value&>(*this).as<T>());
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [k, value] : as<Dict>())
    if (k == key) return &value;
  return nullptr;
}

void Value::set(std::string key, Value value) {
  Dict& dict = as<Dict>();
  for (auto& [k, existing] : dict) {
    if (k == key) {
      existing = std::move(value);
      return;
    }
  }
  dict.emplace_back(std::move(key), std::move(value));
}

template const bool& Value::as<bool>() const;
template bool& Value::as<bool>();
template const int64_t& Value::as<int64_t>() const;
template int64_t& Value::as<int64_t>();
template const double& Value::as<double>() const;
template double& Value::as<double>();
template const std::string& Value::as<std::string>() const;
template std::string& Value::as<std::string>();
template const Tensor& Value::as<Tensor>() const;
template Tensor& Value::as<Tensor>();
template const List& Value::as<List>() const;
template List& Value::as<List>();
template const Dict& Value::as<Dict>() const;
template Dict& Value::as<Dict>();

}  // namespace wick::io
