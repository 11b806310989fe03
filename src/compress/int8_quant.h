// The scalar input quantiser shared by the int8 reference and the portable kernel, so that
// both quantise with the same expression as the vector kernel (see Int8Linear in int8.h).
// Thread-safety: pure function.
#pragma once

#include <cmath>
#include <cstdint>

namespace ming::compress_internal {

// Layers with fewer outputs than this use one dot product per output (Int8Weights::by_output).
constexpr int kInt8FewOutputs = 8;

// xq in [0, 255] for x, as documented at Int8Linear; inv = 1.0f / in_scale (a product is
// much cheaper than a division in the vector kernel).
inline int QuantizeInput(float x, float inv, int32_t in_zero) {
  const float lo = static_cast<float>(-in_zero), hi = static_cast<float>(255 - in_zero);
  float t = x * inv;
  if (!(t >= lo)) t = lo;  // also NaN
  if (t > hi) t = hi;
  return static_cast<int>(std::nearbyint(t)) + in_zero;
}

}  // namespace ming::compress_internal
