// The ming file container: a versioned, checksummed list of named sections.
// The layout is specified in src/format/FORMAT.md. Readers check every size and offset
// against the file length before touching it, verify each section's CRC-32 and the
// whole-file CRC-32, and reject anything else with a message naming the file and the
// part at fault ("model.ming: section 'PARM' needs 4096 bytes, file has 1024").
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ming/status.h"

namespace ming {

enum class FileKind : uint32_t { kModel = 1, kCheckpoint = 2 };

struct Section {
  std::string tag;    // exactly 4 ASCII characters, e.g. "META", "PARM"
  std::string bytes;  // payload
};

struct Container {
  FileKind kind = FileKind::kModel;
  std::vector<Section> sections;
  // The section with `tag`, or nullptr.
  const Section* Find(std::string_view tag) const;
};

constexpr uint32_t kFormatVersion = 1;

// REQUIRES: every tag is 4 printable ASCII characters and unique (tags come from code).
std::string SerializeContainer(const Container& c);
// `name` is used in error messages (usually the path).
Result<Container> ParseContainer(std::string_view bytes, const std::string& name);

// Atomic write (temp file, fsync, rename) and read + parse.
Status WriteContainer(const std::string& path, const Container& c);
Result<Container> ReadContainer(const std::string& path);

// Little-endian float32 arrays as section payloads.
std::string EncodeFloats(const float* v, size_t n);
// Errors if the payload is not exactly n floats or holds a non-finite value.
Status DecodeFloats(std::string_view bytes, float* v, size_t n, const std::string& what);

}  // namespace ming
