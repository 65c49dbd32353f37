#include "core/generator.h"

#include <memory>
#include <mutex>

namespace wick {

namespace {

// The GPUs' default generators (Note [Default generators]), made on first use
// from the last manual_seed.
struct DeviceGenerators {
  std::mutex mutex;
  uint64_t seed = Generator().initial_seed();
  std::array<std::unique_ptr<Generator>, 256> cuda;  // by device index, as uint8_t
};

DeviceGenerators& device_generators() {
  static DeviceGenerators gens;
  return gens;
}

}  // namespace

Generator& default_generator() {
  static Generator gen;
  return gen;
}

Generator& default_generator(Device device) {
  if (device.is_cpu()) return default_generator();
  DeviceGenerators& gens = device_generators();
  const std::lock_guard<std::mutex> lock(gens.mutex);
  std::unique_ptr<Generator>& gen = gens.cuda[static_cast<uint8_t>(device.index)];
  if (!gen) gen = std::make_unique<Generator>(gens.seed);
  return *gen;
}

void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  DeviceGenerators& gens = device_generators();
  const std::lock_guard<std::mutex> lock(gens.mutex);
  gens.seed = seed;
  for (auto& gen : gens.cuda)
    if (gen) gen->manual_seed(seed);
}

}  // namespace wick
