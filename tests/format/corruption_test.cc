// The reader against damaged and hostile files: truncation at every byte, every single-bit
// flip, each malformed header and table field (with checksums fixed up, so that the check
// under test is the one that fires), and seeded random mutations. Every case must give a
// clean InvalidInput naming the file, never a crash (the ASan build checks the reads).
#include <gtest/gtest.h>

#include <iterator>
#include <limits>
#include <vector>

#include "bytes_util.h"
#include "format/container.h"
#include "util/rng.h"

namespace ming {
namespace {

using namespace testbytes;

constexpr char kSampleName[] = "model.ming";
constexpr size_t kTable = 32;  // offset of the section table; entries are 24 bytes

// About 1.1 KB: four sections, one empty, a float array.
std::string SampleFile() {
  std::vector<float> parm(200);
  for (size_t i = 0; i < parm.size(); ++i) parm[i] = 0.01f * static_cast<float>(i) - 1.0f;
  Container c;
  c.sections = {{"META", R"({"task":"binary","inputs":["holiday","rain","ill"]})"},
                {"PARM", EncodeFloats(parm.data(), parm.size())},
                {"EMPT", ""},
                {"TAIL", "last"}};
  return SerializeContainer(c);
}

size_t Entry(size_t i) { return kTable + 24 * i; }

// Parses `b`, expects a clean InvalidInput naming the file and containing `fragment`.
void ExpectError(const std::string& b, const std::string& fragment) {
  Result<Container> r = ParseContainer(b, kSampleName);
  ASSERT_FALSE(r.ok()) << "accepted; expected: " << fragment;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind(std::string(kSampleName) + ": ", 0), 0u) << m;
  EXPECT_NE(m.find(fragment), std::string::npos) << "message: " << m << "\nwanted: " << fragment;
}

TEST(ContainerCorruption, SampleIsValid) {
  const std::string b = SampleFile();
  EXPECT_GT(b.size(), 1000u);
  EXPECT_LT(b.size(), 2048u);
  EXPECT_TRUE(ParseContainer(b, kSampleName).ok());
}

TEST(ContainerCorruption, TruncationAtEveryByteIsAnError) {
  const std::string b = SampleFile();
  for (size_t len = 0; len < b.size(); ++len) {
    Result<Container> r = ParseContainer(std::string_view(b).substr(0, len), kSampleName);
    ASSERT_FALSE(r.ok()) << "accepted a file truncated to " << len << " bytes";
    const std::string& m = r.status().message();
    ASSERT_TRUE(m.find("too short") != std::string::npos ||
                m.find("truncated: header says " + std::to_string(b.size()) + " bytes, file has " +
                       std::to_string(len)) != std::string::npos)
        << len << ": " << m;
  }
}

// Truncated files whose header length and trailer CRC were rewritten to match: the bounds
// checks on the table and sections (not the checksum) must catch every one.
TEST(ContainerCorruption, TruncationWithConsistentHeaderIsCaughtByBoundsChecks) {
  const std::string b = SampleFile();
  for (size_t len = 36; len < b.size(); ++len) {
    std::string t = b.substr(0, len);
    SetU64(t, 24, len);
    FixTrailer(t);
    Result<Container> r = ParseContainer(t, kSampleName);
    ASSERT_FALSE(r.ok()) << len;
    const std::string& m = r.status().message();
    ASSERT_TRUE(m.find("beyond the end of the file") != std::string::npos ||
                m.find("section count 4 needs") != std::string::npos)
        << len << ": " << m;
  }
}

TEST(ContainerCorruption, EverySingleBitFlipIsAnError) {
  const std::string b = SampleFile();
  std::string t = b;
  for (size_t byte = 0; byte < b.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      t[byte] = static_cast<char>(b[byte] ^ (1 << bit));
      Result<Container> r = ParseContainer(t, kSampleName);
      ASSERT_FALSE(r.ok()) << "accepted a flip of bit " << bit << " of byte " << byte;
      ASSERT_EQ(r.status().message().rfind("model.ming: ", 0), 0u) << r.status().message();
    }
    t[byte] = b[byte];
  }
}

TEST(ContainerCorruption, BadMagic) {
  std::string b = SampleFile();
  ExpectError("PK\x03\x04 this is a zip", "not a ming file (bad magic)");
  ExpectError("name,age\n", "not a ming file (bad magic)");
  ExpectError("MIN", "too short for a header: 3 bytes");
  ExpectError("", "too short for a header: 0 bytes");
  b[5] = '\r';  // \r\n -> \r\r, as a text-mode copy would do
  ExpectError(b, "bad magic");
  ExpectError(SampleFile().substr(0, 20), "too short for a header: 20 bytes");
}

TEST(ContainerCorruption, UnsupportedVersionAndKind) {
  std::string b = SampleFile();
  SetU32(b, 8, 7);
  FixTrailer(b);
  ExpectError(b, "model.ming: format version 7, this build reads 1");
  b = SampleFile();
  SetU32(b, 12, 9);
  FixTrailer(b);
  ExpectError(b, "unknown file kind 9");
  b = SampleFile();
  SetU32(b, 20, 5);
  FixTrailer(b);
  ExpectError(b, "reserved header field is 0x00000005");
}

TEST(ContainerCorruption, DeclaredLengthMustMatch) {
  std::string b = SampleFile();
  SetU64(b, 24, 10240);
  ExpectError(b, "truncated: header says 10240 bytes, file has " + std::to_string(b.size()));
  b = SampleFile() + "extra";
  ExpectError(b, "trailing data: header says " + std::to_string(b.size() - 5));
}

TEST(ContainerCorruption, AbsurdSectionCount) {
  std::string b = SampleFile();
  SetU32(b, 16, 1000000);
  FixTrailer(b);
  ExpectError(b, "section count 1000000 needs a 24000032-byte header and table");
  SetU32(b, 16, std::numeric_limits<uint32_t>::max());
  FixTrailer(b);
  ExpectError(b, "section count 4294967295");
}

TEST(ContainerCorruption, OffsetPlusSizeOverflow) {
  std::string b = SampleFile();
  SetU64(b, Entry(1) + 8, std::numeric_limits<uint64_t>::max() - 63);  // aligned
  SetU64(b, Entry(1) + 16, 128);
  FixTrailer(b);
  ExpectError(b, "section 'PARM': offset 18446744073709551552 + size 128 overflows");
  b = SampleFile();
  SetU64(b, Entry(0) + 16, std::numeric_limits<uint64_t>::max());
  FixTrailer(b);
  ExpectError(b, "section 'META': offset 128 + size 18446744073709551615 overflows");
}

TEST(ContainerCorruption, SectionBeyondTheFile) {
  std::string b = SampleFile();
  SetU64(b, Entry(1) + 8, uint64_t{1} << 40);
  FixTrailer(b);
  ExpectError(b, "section 'PARM' needs bytes [1099511627776, ");
  b = SampleFile();
  SetU64(b, Entry(3) + 16, GetU64(b, Entry(3) + 16) + 1);  // one byte into the trailer
  FixTrailer(b);
  ExpectError(b, "section 'TAIL' needs bytes");
  ExpectError(b, "beyond the end of the file");
}

TEST(ContainerCorruption, SectionOverlappingHeaderOrAnotherSection) {
  std::string b = SampleFile();
  SetU64(b, Entry(0) + 8, 64);  // inside the table (which ends at 128)
  FixTrailer(b);
  ExpectError(b, "section 'META': offset 64 overlaps the header and section table");
  b = SampleFile();
  SetU64(b, Entry(1) + 8, GetU64(b, Entry(0) + 8));  // PARM starts where META starts
  FixTrailer(b);
  ExpectError(b, "section 'PARM' at offset 128 overlaps section 'META'");
  b = SampleFile();
  SetU64(b, Entry(1) + 8, GetU64(b, Entry(1) + 8) + 1);
  FixTrailer(b);
  ExpectError(b, "section 'PARM': offset 193 is not a multiple of 64");
}

TEST(ContainerCorruption, DuplicateAndNonAsciiTags) {
  std::string b = SampleFile();
  b.replace(Entry(2), 4, "META");
  FixTrailer(b);
  ExpectError(b, "duplicate section tag 'META'");
  b = SampleFile();
  b[Entry(1) + 1] = '\x80';
  FixTrailer(b);
  ExpectError(b, "section 1: tag 'P\\x80RM' is not printable ASCII");
  b = SampleFile();
  b[Entry(3)] = '\0';
  FixTrailer(b);
  ExpectError(b, "section 3: tag '\\x00AIL' is not printable ASCII");
}

TEST(ContainerCorruption, Checksums) {
  std::string b = SampleFile();
  const size_t parm = GetU64(b, Entry(1) + 8);
  b[parm + 10] ^= 0x20;
  ExpectError(b, "model.ming: checksum mismatch: file is corrupted");
  FixTrailer(b);  // whole-file CRC now agrees; the section's own CRC must still object
  ExpectError(b, "section 'PARM': checksum mismatch");
}

// Random overwrites of the header and table, with the trailer CRC fixed up so that the
// structural checks see them. Nothing may crash; whatever parses must lie inside the file.
TEST(ContainerCorruption, RandomHeaderMutationsNeverCrash) {
  const std::string b = SampleFile();
  const uint64_t specials[] = {0, 1, 63, 64, 128, b.size() - 4, b.size(), uint64_t{1} << 32,
                               std::numeric_limits<uint64_t>::max() - 63,
                               std::numeric_limits<uint64_t>::max()};
  Rng rng(12345);
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string t = b;
    const int edits = 1 + static_cast<int>(rng.UniformInt(3));
    for (int e = 0; e < edits; ++e) {
      const size_t at = static_cast<size_t>(rng.UniformInt(Entry(4)));
      if (rng.UniformInt(2) == 0 && at + 8 <= Entry(4))
        SetU64(t, at, specials[rng.UniformInt(std::size(specials))]);
      else
        t[at] = static_cast<char>(rng.UniformInt(256));
    }
    FixTrailer(t);
    Result<Container> r = ParseContainer(t, kSampleName);
    if (!r.ok()) {
      ASSERT_EQ(r.status().message().rfind("model.ming: ", 0), 0u);
      continue;
    }
    ++parsed;
    size_t total = 0;
    for (const Section& s : r->sections) total += s.bytes.size();
    ASSERT_LE(total, t.size());
  }
  EXPECT_LT(parsed, 20000);
}

}  // namespace
}  // namespace ming
