// Seeded random numbers: xoshiro256** with our own distributions, so that a seed gives
// the same stream with every compiler and standard library (std:: distributions differ).
// Thread-safety: an Rng is not thread-safe; give each thread its own (see Split()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ming {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { Seed(seed); }
  void Seed(uint64_t seed);

  uint64_t NextU64();
  // Uniform in [0, 1), 24 random bits.
  float Uniform() { return static_cast<float>(NextU64() >> 40) * (1.0f / 16777216.0f); }
  // Uniform in [0, 1), 53 random bits.
  double UniformDouble() { return static_cast<double>(NextU64() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [0, n), unbiased. REQUIRES: n > 0.
  uint64_t UniformInt(uint64_t n);
  // Standard normal (Box-Muller; one value per call so the state stays four words).
  double Normal();
  // Fisher-Yates shuffle of [first, first + n).
  template <class T>
  void Shuffle(T* first, size_t n) {
    for (size_t i = n; i > 1; --i) {
      size_t j = static_cast<size_t>(UniformInt(i));
      T tmp = first[i - 1];
      first[i - 1] = first[j];
      first[j] = tmp;
    }
  }
  // An independent generator derived from this one's seed and `stream` (for threads/shards).
  Rng Split(uint64_t stream) const;

  // Full state, for checkpoints.
  std::array<uint64_t, 5> State() const;
  void SetState(const std::array<uint64_t, 5>& s);

 private:
  uint64_t s_[4];
  uint64_t seed_ = 0;
};

}  // namespace ming
