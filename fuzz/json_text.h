// JSON text written directly by the structured fuzz targets. Building an nlohmann::json
// value and dumping it took a third or more of those targets' time; the loaders under test
// still parse the text with nlohmann. Numbers follow nlohmann's dump in meaning: integers
// as they are, doubles that round-trip and always carry a '.' or an exponent (so they
// parse back as doubles, -0.0 included), NaN and infinities as null.
// Thread-safety: plain functions; a JsonWriter is a plain value.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ming::fuzz {

inline std::string Num(int64_t v) { return std::to_string(v); }
inline std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string t = buf;
  if (t.find_first_of(".e") == std::string::npos) t += ".0";
  return t;
}
inline std::string Num(float v) { return Num(static_cast<double>(v)); }

// Appends JSON text and places the commas: Key() before each member's value inside an
// object, values alone inside an array. The caller keeps braces and brackets balanced.
class JsonWriter {
 public:
  JsonWriter& Open(char bracket) {  // '{' or '['
    Separate();
    s_ += bracket;
    first_ = true;
    return *this;
  }
  JsonWriter& Close(char bracket) {  // '}' or ']'
    s_ += bracket;
    first_ = false;
    return *this;
  }
  JsonWriter& Key(std::string_view k) {
    String(k);
    s_ += ':';
    first_ = true;
    return *this;
  }
  // Any UTF-8 text: quotes, backslashes and control characters are escaped.
  JsonWriter& String(std::string_view v) {
    Separate();
    s_ += '"';
    for (char ch : v) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        s_ += '\\';
        s_ += ch;
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        s_ += buf;
      } else {
        s_ += ch;
      }
    }
    s_ += '"';
    return *this;
  }
  JsonWriter& Bool(bool v) { return Raw(v ? "true" : "false"); }
  JsonWriter& Number(int64_t v) { return Raw(Num(v)); }
  JsonWriter& Number(double v) { return Raw(Num(v)); }
  JsonWriter& Number(float v) { return Raw(Num(v)); }
  // Text that is already JSON (a number, a nested document).
  JsonWriter& Raw(std::string_view json) {
    Separate();
    s_ += json;
    return *this;
  }

  std::string Take() { return std::move(s_); }

 private:
  void Separate() {
    if (!first_) s_ += ',';
    first_ = false;
  }

  std::string s_;
  bool first_ = true;
};

}  // namespace ming::fuzz
