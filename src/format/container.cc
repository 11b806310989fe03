// The ming container (spec: FORMAT.md beside this file): serialise, validate + parse,
// atomic write, read. Every integer is coded byte by byte as little-endian, and every
// size and offset is checked against the file length before any payload is touched.
#include "format/container.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_set>

#include "util/check.h"
#include "util/file.h"

namespace ming {
namespace {

static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

constexpr char kMagic[8] = {'M', 'I', 'N', 'G', '\r', '\n', '\x1a', '\n'};
constexpr uint64_t kHeaderSize = 32;
constexpr uint64_t kEntrySize = 24;
constexpr uint64_t kTrailerSize = 4;
constexpr uint64_t kAlign = 64;

struct Header {
  uint32_t version = 0, kind = 0, count = 0, reserved = 0;
  uint64_t length = 0;
};

struct Entry {
  std::string_view tag;
  uint32_t crc = 0;
  uint64_t offset = 0, size = 0;
};

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// REQUIRES: p[0..3] / p[0..7] readable.
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

uint64_t AlignUp(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

// zlib's crc32 takes a 32-bit length: feed it in chunks.
uint32_t Crc32(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t left = bytes.size();
  while (left > 0) {
    const uInt n = static_cast<uInt>(std::min<size_t>(left, size_t{1} << 30));
    crc = crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<uint32_t>(crc);
}

bool PrintableTag(std::string_view tag) {
  if (tag.size() != 4) return false;
  for (char ch : tag)
    if (ch < 0x20 || ch > 0x7e) return false;
  return true;
}

// The tag as it can be shown in a message: 'PARM', or 'P\x80RM' for odd bytes.
std::string ShowTag(std::string_view tag) {
  static const char kHex[] = "0123456789abcdef";
  std::string s = "'";
  for (char ch : tag) {
    const auto u = static_cast<unsigned char>(ch);
    if (u >= 0x20 && u <= 0x7e && u != '\\') {
      s.push_back(ch);
    } else {
      s += "\\x";
      s.push_back(kHex[u >> 4]);
      s.push_back(kHex[u & 15]);
    }
  }
  return s + "'";
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

Status ValidateTags(const Container& c) {
  std::unordered_set<std::string_view> seen;
  for (const Section& s : c.sections) {
    if (!PrintableTag(s.tag))
      return Status::InvalidInput("section tag " + ShowTag(s.tag) +
                                  " is not 4 printable ASCII characters");
    if (!seen.insert(s.tag).second)
      return Status::InvalidInput("duplicate section tag " + ShowTag(s.tag));
  }
  return Status::Ok();
}

Status Bad(const std::string& name, const std::string& msg) {
  return Status::InvalidInput(name + ": " + msg);
}

// Checks magic, version, kind, reserved field, length and table size (steps 1-5).
Result<Header> ParseHeader(std::string_view b, const std::string& name) {
  const std::string_view magic(kMagic, sizeof kMagic);
  if (b.substr(0, 4) != magic.substr(0, std::min<size_t>(b.size(), 4)))
    return Bad(name, "not a ming file (bad magic)");
  if (b.substr(0, 8) != magic.substr(0, std::min<size_t>(b.size(), 8)))
    return Bad(name, "not a ming file (bad magic: bytes 4-7 altered, a text-mode copy?)");
  if (b.size() < kHeaderSize + kTrailerSize)
    return Bad(name, "too short for a header: " + std::to_string(b.size()) +
                         " bytes, a ming file has at least " +
                         std::to_string(kHeaderSize + kTrailerSize));
  Header h{GetU32(&b[8]), GetU32(&b[12]), GetU32(&b[16]), GetU32(&b[20]), GetU64(&b[24])};
  if (h.version != kFormatVersion)
    return Bad(name, "format version " + std::to_string(h.version) + ", this build reads " +
                         std::to_string(kFormatVersion));
  if (h.kind != static_cast<uint32_t>(FileKind::kModel) &&
      h.kind != static_cast<uint32_t>(FileKind::kCheckpoint))
    return Bad(name, "unknown file kind " + std::to_string(h.kind) +
                         " (1 = model, 2 = checkpoint)");
  if (h.reserved != 0)
    return Bad(name, "reserved header field is " + Hex32(h.reserved) + ", expected 0");
  if (h.length != b.size())
    return Bad(name, std::string(h.length > b.size() ? "truncated: " : "trailing data: ") +
                         "header says " + std::to_string(h.length) + " bytes, file has " +
                         std::to_string(b.size()));
  const uint64_t table_end = kHeaderSize + kEntrySize * h.count;  // count < 2^32: no overflow
  if (table_end + kTrailerSize > h.length)
    return Bad(name, "section count " + std::to_string(h.count) + " needs a " +
                         std::to_string(table_end) + "-byte header and table, file has " +
                         std::to_string(h.length) + " bytes");
  return h;
}

// Checks one table entry against the file and the previous payload (step 6).
Status CheckEntry(const Entry& e, size_t index, uint64_t table_end, uint64_t payload_end,
                  uint64_t prev_end, std::string_view prev_tag, const std::string& name) {
  if (!PrintableTag(e.tag))
    return Bad(name, "section " + std::to_string(index) + ": tag " + ShowTag(e.tag) +
                         " is not printable ASCII");
  const std::string where = name + ": section " + ShowTag(e.tag);
  uint64_t end = 0;
  if (__builtin_add_overflow(e.offset, e.size, &end))
    return Status::InvalidInput(where + ": offset " + std::to_string(e.offset) + " + size " +
                                std::to_string(e.size) + " overflows");
  if (e.offset < table_end)
    return Status::InvalidInput(where + ": offset " + std::to_string(e.offset) +
                                " overlaps the header and section table (they end at " +
                                std::to_string(table_end) + ")");
  if (end > payload_end)
    return Status::InvalidInput(where + " needs bytes [" + std::to_string(e.offset) + ", " +
                                std::to_string(end) + "), beyond the end of the file (" +
                                "payloads end at " + std::to_string(payload_end) + ")");
  if (e.offset % kAlign != 0)
    return Status::InvalidInput(where + ": offset " + std::to_string(e.offset) +
                                " is not a multiple of " + std::to_string(kAlign));
  if (e.offset < prev_end)
    return Status::InvalidInput(where + " at offset " + std::to_string(e.offset) +
                                " overlaps section " + ShowTag(prev_tag) + " (which ends at " +
                                std::to_string(prev_end) + ")");
  return Status::Ok();
}

Result<std::vector<Entry>> ParseTable(std::string_view b, const Header& h,
                                      const std::string& name) {
  const uint64_t table_end = kHeaderSize + kEntrySize * h.count;
  const uint64_t payload_end = h.length - kTrailerSize;
  std::vector<Entry> entries;
  entries.reserve(h.count);  // bounded: the table was checked to fit in the file
  std::unordered_set<std::string_view> seen;
  uint64_t prev_end = table_end;
  std::string_view prev_tag;
  for (uint32_t i = 0; i < h.count; ++i) {
    const char* p = b.data() + kHeaderSize + kEntrySize * i;
    Entry e{std::string_view(p, 4), GetU32(p + 4), GetU64(p + 8), GetU64(p + 16)};
    MING_RETURN_IF_ERROR(CheckEntry(e, i, table_end, payload_end, prev_end, prev_tag, name));
    if (!seen.insert(e.tag).second) return Bad(name, "duplicate section tag " + ShowTag(e.tag));
    prev_end = e.offset + e.size;
    prev_tag = e.tag;
    entries.push_back(e);
  }
  return entries;
}

}  // namespace

const Section* Container::Find(std::string_view tag) const {
  for (const Section& s : sections)
    if (s.tag == tag) return &s;
  return nullptr;
}

std::string SerializeContainer(const Container& c) {
  MING_CHECK(ValidateTags(c).ok());
  const uint64_t n = c.sections.size();
  MING_CHECK(n <= std::numeric_limits<uint32_t>::max());
  const uint64_t table_end = kHeaderSize + kEntrySize * n;
  std::vector<uint64_t> offsets(n);
  uint64_t pos = table_end;
  for (size_t i = 0; i < n; ++i) {
    offsets[i] = AlignUp(pos);
    pos = offsets[i] + c.sections[i].bytes.size();
  }
  const uint64_t length = pos + kTrailerSize;

  std::string out;
  out.reserve(length);
  out.append(kMagic, sizeof kMagic);
  PutU32(out, kFormatVersion);
  PutU32(out, static_cast<uint32_t>(c.kind));
  PutU32(out, static_cast<uint32_t>(n));
  PutU32(out, 0);
  PutU64(out, length);
  for (size_t i = 0; i < n; ++i) {
    const Section& s = c.sections[i];
    out += s.tag;
    PutU32(out, Crc32(s.bytes));
    PutU64(out, offsets[i]);
    PutU64(out, s.bytes.size());
  }
  for (size_t i = 0; i < n; ++i) {
    out.resize(offsets[i], '\0');
    out += c.sections[i].bytes;
  }
  PutU32(out, Crc32(out));
  MING_CHECK(out.size() == length);
  return out;
}

Result<Container> ParseContainer(std::string_view bytes, const std::string& name) {
  MING_ASSIGN_OR_RETURN(const Header h, ParseHeader(bytes, name));
  MING_ASSIGN_OR_RETURN(const std::vector<Entry> entries, ParseTable(bytes, h, name));
  const size_t body = bytes.size() - kTrailerSize;
  if (Crc32(bytes.substr(0, body)) != GetU32(bytes.data() + body))
    return Bad(name, "checksum mismatch: file is corrupted");
  Container c;
  c.kind = static_cast<FileKind>(h.kind);
  c.sections.reserve(entries.size());
  for (const Entry& e : entries) {
    const std::string_view payload = bytes.substr(e.offset, e.size);
    const uint32_t crc = Crc32(payload);
    if (crc != e.crc)
      return Bad(name, "section " + ShowTag(e.tag) + ": checksum mismatch (stored " +
                           Hex32(e.crc) + ", computed " + Hex32(crc) + "): file is corrupted");
    c.sections.push_back(Section{std::string(e.tag), std::string(payload)});
  }
  return c;
}

Status WriteContainer(const std::string& path, const Container& c) {
  MING_RETURN_IF_ERROR(ValidateTags(c).Prefixed(path));
  return WriteFileAtomic(path, SerializeContainer(c));
}

Result<Container> ReadContainer(const std::string& path) {
  MING_ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
  return ParseContainer(bytes, path);
}

std::string EncodeFloats(const float* v, size_t n) {
  std::string out;
  out.reserve(4 * n);
  for (size_t i = 0; i < n; ++i) PutU32(out, std::bit_cast<uint32_t>(v[i]));
  return out;
}

Status DecodeFloats(std::string_view bytes, float* v, size_t n, const std::string& what) {
  if (n > std::numeric_limits<size_t>::max() / 4)
    return Status::InvalidInput(what + ": " + std::to_string(n) + " floats is too many");
  if (bytes.size() != 4 * n)
    return Status::InvalidInput(what + ": expected " + std::to_string(4 * n) + " bytes for " +
                                std::to_string(n) + " floats, got " +
                                std::to_string(bytes.size()));
  for (size_t i = 0; i < n; ++i) {
    const float x = std::bit_cast<float>(GetU32(bytes.data() + 4 * i));
    if (!std::isfinite(x))
      return Status::InvalidInput(what + ": value " + std::to_string(i) + " is " +
                                  (std::isnan(x) ? "NaN" : x > 0 ? "+inf" : "-inf"));
    v[i] = x;
  }
  return Status::Ok();
}

}  // namespace ming
