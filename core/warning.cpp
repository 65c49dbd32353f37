#include "core/warning.h"

#include <cstdio>
#include <mutex>
#include <utility>

namespace wick {

namespace {

std::mutex& handler_mutex() {
  static std::mutex m;
  return m;
}

WarningHandler& current_handler() {
  static WarningHandler h;
  return h;
}

}  // namespace

void warn(const std::string& message) {
  WarningHandler h;
  {
    std::lock_guard<std::mutex> lock(handler_mutex());
    h = current_handler();
  }
  if (h) {
    h(message);
  } else {
    std::fprintf(stderr, "wick: warning: %s\n", message.c_str());
  }
}

WarningHandler set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(handler_mutex());
  return std::exchange(current_handler(), std::move(handler));
}

}  // namespace wick
