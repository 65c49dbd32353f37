#include "core/device.h"

#include <charconv>

#include "core/error.h"

namespace wick {

Device::Device(std::string_view spec) {
  const std::string_view original = spec;
  std::string_view kind = spec.substr(0, spec.find(':'));
  if (kind == "cpu") type = DeviceType::CPU;
  else if (kind == "cuda") type = DeviceType::CUDA;
  else WICK_THROW(ValueError, "Expected one of cpu, cuda device type at start of device string: ", original);
  index = 0;
  if (kind.size() < spec.size()) {
    std::string_view digits = spec.substr(kind.size() + 1);
    int value = -1;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    WICK_CHECK(ec == std::errc() && ptr == digits.data() + digits.size() && value >= 0 && value < 128, ValueError,
               "Invalid device string: '", original, "'");
    WICK_CHECK(type == DeviceType::CUDA || value == 0, ValueError, "Invalid device string: '", original,
               "' (the CPU has only index 0)");
    index = static_cast<int8_t>(value);
  }
}

std::string Device::str() const {
  if (type == DeviceType::CPU) return "cpu";
  return "cuda:" + std::to_string(index);
}

}  // namespace wick
