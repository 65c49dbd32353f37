// Errors. Every user mistake becomes an exception whose message says what was
// expected and what was given, with shapes, dtypes and devices written out.
//
// The kinds map one-to-one onto the Python exceptions a PyTorch user expects:
//   Error -> RuntimeError, ValueError, TypeError, IndexError, NotImplementedError,
//   LinAlgError (wick.linalg.LinAlgError, a RuntimeError).
//
// WICK_CHECK(cond, Kind, parts...) formats its message only when `cond` fails,
// so a passing check costs one branch and no string work.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace wick {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ValueError : public Error {
 public:
  using Error::Error;
};
class TypeError : public Error {
 public:
  using Error::Error;
};
class IndexError : public Error {
 public:
  using Error::Error;
};
class NotImplementedError : public Error {
 public:
  using Error::Error;
};
// A matrix a linear-algebra routine cannot factor or solve (singular, not
// positive-definite, no convergence): torch.linalg.LinAlgError.
class LinAlgError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

template <typename Kind, typename... Parts>
[[noreturn]] __attribute__((noinline, cold)) void throw_error(const Parts&... parts) {
  throw Kind(str_cat(parts...));
}
}  // namespace detail

}  // namespace wick

#define WICK_CHECK(cond, Kind, ...)                                \
  do {                                                             \
    if (!(cond)) [[unlikely]]                                      \
      ::wick::detail::throw_error<::wick::Kind>(__VA_ARGS__);      \
  } while (0)

#define WICK_THROW(Kind, ...) ::wick::detail::throw_error<::wick::Kind>(__VA_ARGS__)
