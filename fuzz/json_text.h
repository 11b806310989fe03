// JSON text written directly by the structured fuzz targets. Building an nlohmann::json
// value and dumping it took a third or more of those targets' time; the loaders under test
// still parse the text with nlohmann. Numbers follow nlohmann's dump in meaning: integers
// as they are, doubles that round-trip and always carry a '.' or an exponent (so they
// parse back as doubles, -0.0 included), NaN and infinities as null.
// Thread-safety: a JsonWriter is a plain value.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "server/json_out.h"

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
  // Escaped as the server escapes its responses (quotes, backslashes, control characters).
  JsonWriter& String(std::string_view v) {
    Separate();
    server::json::String(s_, v);
    return *this;
  }
  JsonWriter& Bool(bool v) { return Raw(v ? "true" : "false"); }
  JsonWriter& Number(int64_t v) {
    Separate();
    server::json::Number(s_, v);
    return *this;
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
