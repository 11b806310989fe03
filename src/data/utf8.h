// UTF-8 checks for text that ends up in a model file's JSON (names, categories, classes).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ming {

// Length of the well-formed UTF-8 sequence at s[i] (1..4; any ASCII byte, NUL included, is
// 1), or 0 when there is none: a stray continuation byte, an overlong form, a surrogate, a
// code point above U+10FFFF, or a sequence cut off by the end of s. REQUIRES: i < s.size().
inline size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() - i < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF (what a
// strict JSON parser such as nlohmann's accepts).
bool IsValidUtf8(std::string_view s);
// `s` itself when valid; else with every non-printable-ASCII byte as \xHH, for messages.
std::string EscapeNonUtf8(std::string_view s);

}  // namespace ming
