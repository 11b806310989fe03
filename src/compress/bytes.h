// Little-endian writing and bounds-checked reading of the compressed-layer sections
// (sparse.cc, int8.cc). Every value is coded byte by byte, so the bytes are the same on any
// host; the reader never reads past its end and reports what it was reading when it ran out.
// Thread-safety: plain values.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace ming::compress_internal {

inline void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
inline void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutF32(std::string& out, float v) { PutU32(out, std::bit_cast<uint32_t>(v)); }

// Reads fixed-width little-endian values from a byte span. Each Get returns false (and
// reads nothing) when fewer bytes are left than it needs.
class ByteReader {
 public:
  explicit ByteReader(std::string_view b) : b_(b) {}
  size_t left() const { return b_.size() - pos_; }
  size_t pos() const { return pos_; }
  bool GetU8(uint8_t* v) {
    if (left() < 1) return false;
    *v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool GetU16(uint16_t* v) {
    if (left() < 2) return false;
    *v = static_cast<uint16_t>(Byte(0) | (Byte(1) << 8));
    pos_ += 2;
    return true;
  }
  bool GetU32(uint32_t* v) {
    if (left() < 4) return false;
    *v = Byte(0) | (Byte(1) << 8) | (Byte(2) << 16) | (Byte(3) << 24);
    pos_ += 4;
    return true;
  }
  bool GetF32(float* v) {
    uint32_t u = 0;
    if (!GetU32(&u)) return false;
    *v = std::bit_cast<float>(u);
    return true;
  }

 private:
  uint32_t Byte(size_t i) const { return static_cast<unsigned char>(b_[pos_ + i]); }
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace ming::compress_internal
