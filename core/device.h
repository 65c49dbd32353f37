// Device: where a tensor's bytes live (the CPU, or one CUDA GPU).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace wick {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDeviceTypes = 2;

struct Device {
  DeviceType type = DeviceType::CPU;
  int8_t index = 0;  // the GPU's ordinal; always 0 for the CPU

  constexpr Device() = default;
  constexpr Device(DeviceType t, int index = 0) : type(t), index(static_cast<int8_t>(index)) {}
  // "cpu", "cuda", "cuda:1"; throws ValueError for anything else.
  Device(std::string_view spec);
  Device(const char* spec) : Device(std::string_view(spec)) {}

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  friend bool operator==(const Device&, const Device&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

constexpr Device kCPU{DeviceType::CPU, 0};

}  // namespace wick
