// A reader over a fuzzer's input bytes for targets that build structured values from them
// (dimensions, enum values, indices). Reads never fail: past the end they yield zeros, so
// every input maps to some value and short inputs stay cheap.
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ming::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : p_(data), left_(size) {}

  size_t remaining() const { return left_; }
  uint8_t Byte() {
    if (left_ == 0) return 0;
    --left_;
    return *p_++;
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{Byte()} << (8 * i);
    return v;
  }
  // A value in [lo, hi], mostly small (one byte decides it when the range allows).
  int64_t Range(int64_t lo, int64_t hi) {
    uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    uint64_t v = span <= 256 ? Byte() : U32();
    return lo + static_cast<int64_t>(span == 0 ? v : v % span);
  }
  bool Bool() { return (Byte() & 1) != 0; }
  float Float() {
    uint32_t bits = U32();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  // Up to max_len bytes (the length is read first).
  std::string Bytes(size_t max_len) {
    size_t n = static_cast<size_t>(Range(0, static_cast<int64_t>(max_len)));
    if (n > left_) n = left_;
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    left_ -= n;
    return s;
  }
  // Everything not read yet.
  std::string_view Rest() {
    std::string_view s(reinterpret_cast<const char*>(p_), left_);
    p_ += left_;
    left_ = 0;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t left_;
};

}  // namespace ming::fuzz
