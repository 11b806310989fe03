// Little-endian field edits on a serialized model file, and the whole-file CRC fixed up
// afterwards, so that a test reaches the structural check it aims at rather than the
// checksum. Shared by the corruption sweeps and the named malformed-file cases.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace ming::testbytes {

inline void SetU32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
}
inline void SetU64(std::string& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t GetU32(const std::string& b, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[off + i]);
  return v;
}
inline uint64_t GetU64(const std::string& b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[off + i]);
  return v;
}
inline void SetF32(std::string& b, size_t off, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  SetU32(b, off, u);
}
inline uint32_t Crc(const std::string& b, size_t off, size_t n) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(b.data() + off), static_cast<uInt>(n)));
}
// Recomputes the CRC in the file's last four bytes over everything before them.
inline void FixTrailer(std::string& b) { SetU32(b, b.size() - 4, Crc(b, 0, b.size() - 4)); }

}  // namespace ming::testbytes
