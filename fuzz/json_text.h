// JSON text written directly by the structured fuzz targets. Building an nlohmann::json
// value and dumping it took a third or more of those targets' time; the loaders under test
// still parse the text with nlohmann. Numbers follow nlohmann's dump in meaning: integers
// as they are, doubles that round-trip and always carry a '.' or an exponent (so they
// parse back as doubles, -0.0 included), NaN and infinities as null.
// Thread-safety: a JsonWriter is a plain value.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ming::fuzz {

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
  // Any UTF-8 text: quotes, backslashes and control characters are escaped. Runs of plain
  // characters are appended whole: a character at a time made checkpoint's Build 5% slower
  // under the sanitizers.
  JsonWriter& String(std::string_view v) {
    Separate();
    s_ += '"';
    size_t plain = 0;  // start of the run not yet appended
    for (size_t i = 0; i < v.size(); ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c != '"' && c != '\\' && c >= 0x20) continue;
      s_.append(v, plain, i - plain);
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        s_ += buf;
      } else {
        s_ += '\\';
        s_ += v[i];
      }
      plain = i + 1;
    }
    s_.append(v, plain);
    s_ += '"';
    return *this;
  }
  JsonWriter& Bool(bool v) { return Raw(v ? "true" : "false"); }
  JsonWriter& Number(int64_t v) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return Raw(std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  JsonWriter& Number(double v) {
    if (!std::isfinite(v)) return Raw("null");
    char buf[40];
    const std::string_view text(buf,
                                static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.17g", v)));
    Raw(text);
    if (text.find_first_of(".e") == std::string_view::npos) s_ += ".0";
    return *this;
  }
  JsonWriter& Number(float v) { return Number(static_cast<double>(v)); }
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
