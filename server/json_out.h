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

#include "data/utf8.h"

namespace ming::server::json {

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
