// Value pickers shared by the structured fuzz targets: integers and floats that are mostly
// in the valid range (so that the checks behind the first ones are reached) with a small
// share of edge and wild values, and names made of arbitrary Unicode code points.
// Thread-safety: plain functions over a FuzzInput.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "fuzz_input.h"

namespace ming::fuzz {

// In [lo, hi] for most bytes; otherwise an edge value just outside or a wild one.
inline int64_t PickInt(FuzzInput& in, int64_t lo, int64_t hi) {
  const uint8_t b = in.Byte();
  if (hi < lo) return lo;  // a range made from an earlier wild value
  if (b < 240) return lo + static_cast<int64_t>(b % static_cast<uint64_t>(hi - lo + 1));
  switch (b) {
    case 240: return lo - 1;
    case 241: return hi + 1;
    case 242: return 0;
    case 243: return -1;
    case 244: return 65536;
    case 245: return 1 << 16 | 1;
    case 246: return int64_t{1} << 24;
    case 247: return std::numeric_limits<int32_t>::max();
    case 248: return std::numeric_limits<int32_t>::min();
    case 249: return int64_t{1} << 40;
    default: return static_cast<int32_t>(in.U32());
  }
}

// A finite float most of the time: small multiples of 1/16, signed zeros, subnormals,
// extremes; rarely NaN, infinity or raw bits.
inline float PickFloat(FuzzInput& in, bool finite_only = false) {
  const uint8_t b = in.Byte();
  switch (b) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return std::numeric_limits<float>::denorm_min();
    case 3: return -std::numeric_limits<float>::denorm_min() * 77;
    case 4: return std::numeric_limits<float>::min();
    case 5: return std::numeric_limits<float>::max();
    case 6: return -std::numeric_limits<float>::max();
    case 7: return 1e30f;
    case 8: return finite_only ? 1.0f : std::numeric_limits<float>::quiet_NaN();
    case 9: return finite_only ? -1.0f : -std::numeric_limits<float>::infinity();
    case 10: {
      const float f = in.Float();
      return finite_only && !std::isfinite(f) ? 0.5f : f;
    }
    default: return static_cast<float>(static_cast<int>(b) - 128) / 16.0f;
  }
}

inline void AppendUtf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A name of up to max_len code points: mostly ASCII (quotes, backslashes, control
// characters and NUL included), sometimes any scalar value (surrogates mapped away).
inline std::string PickName(FuzzInput& in, int max_len) {
  std::string s;
  const int n = static_cast<int>(in.Range(0, max_len));
  for (int i = 0; i < n; ++i) {
    const uint8_t b = in.Byte();
    uint32_t cp = b;
    if (b >= 0xF0) cp = in.U32() % 0x110000;
    if (cp >= 0xD800 && cp < 0xE000) cp -= 0x800;
    AppendUtf8(s, cp);
  }
  return s;
}

}  // namespace ming::fuzz
