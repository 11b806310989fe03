// A minimal append-only JSON writer for responses on the hot path (no DOM, no allocation
// beyond the output string's growth). Floats use the shortest text that reads back exactly.
// Thread-safety: functions over a caller-owned string.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace ming::server::json {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when it is not one (a stray
// continuation byte, an overlong form, a surrogate, above U+10FFFF, or cut off).
inline size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (s.size() - i < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Appends s as a quoted JSON string with the required escapes. Bytes that are not valid
// UTF-8 (a URL path or a binary BYTES cell echoed in an error) become U+FFFD, so the body
// is always valid JSON.
inline void String(std::string& o, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  o += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += s[i++];
    } else if (c < 0x20) {
      o += "\\u00";
      o += kHex[c >> 4];
      o += kHex[c & 15];
      ++i;
    } else if (c < 0x80) {
      o += s[i++];
    } else if (const size_t n = Utf8Length(s, i)) {
      o.append(s, i, n);
      i += n;
    } else {
      o += "\\ufffd";
      ++i;
    }
  }
  o += '"';
}

// Appends v; a NaN or infinity (which JSON cannot express) as null.
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
