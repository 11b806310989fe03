// A minimal append-only JSON writer for responses on the hot path (no DOM, no allocation
// beyond the output string's growth). Floats use the shortest text that reads back exactly.
// Thread-safety: functions over a caller-owned string.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace ming::server::json {

// Appends s as a quoted JSON string with the required escapes.
inline void String(std::string& o, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  o += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += ch;
    } else if (c < 0x20) {
      o += "\\u00";
      o += kHex[c >> 4];
      o += kHex[c & 15];
    } else {
      o += ch;
    }
  }
  o += '"';
}

// Appends v; a NaN or infinity (which JSON cannot spell) as null.
template <class T>
inline void Number(std::string& o, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) {
      o += "null";
      return;
    }
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, r.ptr);
}

}  // namespace ming::server::json
