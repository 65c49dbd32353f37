// Random numbers: a counter-based Philox4x32-10 generator.
//
// A kernel that fills n elements reserves n counters from the generator and
// derives element i's random bits from (seed, first_counter + i) alone, so the
// result is the same however many threads share the work, and the same on
// every run after manual_seed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/device.h"
#include "core/pointwise.h"

namespace wick {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    counter_.store(0, std::memory_order_relaxed);
  }
  uint64_t initial_seed() const { return seed_; }
  // Reserves n counters; returns the first.
  uint64_t reserve(uint64_t n) { return counter_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t offset() const { return counter_.load(std::memory_order_relaxed); }
  void set_offset(uint64_t offset) { counter_.store(offset, std::memory_order_relaxed); }

 private:
  uint64_t seed_ = 0;
  std::atomic<uint64_t> counter_{0};
};

// Four random 32-bit words for (key, counter): Philox4x32 with 10 rounds.
// Integer arithmetic only, so host and device compute the same words
// (backends/random_math.h builds the values of every backend on it).
WICK_HOST_DEVICE inline std::array<uint32_t, 4> philox4x32(uint64_t key, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{0xD2511F53u} * c0;
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// Note [Default generators]
// As in PyTorch, each device has its own default generator: the CPU's, and
// one per GPU, made on first use. A random op without a generator draws from
// the default generator of its output's device, so drawing on one device does
// not move another's stream. wick::manual_seed seeds them all (a GPU's
// generator made later starts from the last seed too), so after
// manual_seed(s) the same sequence of calls gives the same numbers on every
// device: the value transforms of backends/random_math.h are bit-identical on
// the host and on a GPU. A Generator passed explicitly serves any device.

// The CPU's default generator.
Generator& default_generator();
// The default generator of `device` (the CPU's for a CPU device).
Generator& default_generator(Device device);
// Seeds every default generator, those of devices not used yet included.
void manual_seed(uint64_t seed);

}  // namespace wick
