// Container round trips, the committed golden file, float payloads, and atomic file I/O.
// Corruption and malformed-file tests are in corruption_test.cc.
#include "format/container.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <vector>

#include "util/file.h"

namespace ming {
namespace {

namespace fs = std::filesystem;

std::string Bytes0To255(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i & 0xff);
  return s;
}

uint64_t U64At(const std::string& b, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(b[off + i]);
  return v;
}

void ExpectSameContainer(const Container& a, const Container& b) {
  EXPECT_EQ(a.kind, b.kind);
  ASSERT_EQ(a.sections.size(), b.sections.size());
  for (size_t i = 0; i < a.sections.size(); ++i) {
    EXPECT_EQ(a.sections[i].tag, b.sections[i].tag) << i;
    EXPECT_EQ(a.sections[i].bytes, b.sections[i].bytes) << i;
  }
}

Container RoundTrip(const Container& c) {
  Result<Container> r = ParseContainer(SerializeContainer(c), "rt.ming");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : Container{};
}

TEST(ContainerRoundTrip, SeveralSectionsWithBinaryPayloads) {
  Container c;
  c.kind = FileKind::kCheckpoint;
  c.sections = {{"META", R"({"a":1})"},
                {"BLOB", Bytes0To255(1000)},
                {"NULS", std::string(70, '\0')},
                {"w 1~", "tag with a space and a tilde"}};
  ExpectSameContainer(c, RoundTrip(c));
}

TEST(ContainerRoundTrip, EmptySectionsAnywhere) {
  Container c;
  c.sections = {{"EMP1", ""}, {"DATA", "x"}, {"EMP2", ""}, {"EMP3", ""}};
  ExpectSameContainer(c, RoundTrip(c));
}

TEST(ContainerRoundTrip, ZeroSectionsIsHeaderPlusTrailer) {
  Container c;
  c.kind = FileKind::kCheckpoint;
  const std::string b = SerializeContainer(c);
  EXPECT_EQ(b.size(), 36u);
  ExpectSameContainer(c, RoundTrip(c));
}

TEST(ContainerRoundTrip, PayloadsAre64ByteAlignedAndDeterministic) {
  Container c;
  c.sections = {{"AAAA", "1"}, {"BBBB", Bytes0To255(100000)}, {"CCCC", Bytes0To255(63)},
                {"DDDD", Bytes0To255(65)}};
  const std::string b = SerializeContainer(c);
  EXPECT_EQ(b, SerializeContainer(c));
  EXPECT_EQ(U64At(b, 24), b.size());  // declared length
  for (size_t i = 0; i < c.sections.size(); ++i) {
    const uint64_t off = U64At(b, 32 + 24 * i + 8), size = U64At(b, 32 + 24 * i + 16);
    EXPECT_EQ(off % 64, 0u) << i;
    EXPECT_EQ(size, c.sections[i].bytes.size()) << i;
    EXPECT_EQ(b.substr(off, size), c.sections[i].bytes) << i;
  }
}

TEST(ContainerRoundTrip, FindByTag) {
  Container c;
  c.sections = {{"META", "m"}, {"PARM", "p"}};
  ASSERT_NE(c.Find("PARM"), nullptr);
  EXPECT_EQ(c.Find("PARM")->bytes, "p");
  EXPECT_EQ(c.Find("NONE"), nullptr);
  EXPECT_EQ(c.Find("PAR"), nullptr);
}

TEST(ContainerRoundTrip, SerialisingBadTagsIsAnInternalError) {
  Container c;
  c.sections = {{"TOOLONG", ""}};
  EXPECT_DEATH(SerializeContainer(c), "internal check failed");
  c.sections = {{"SAME", ""}, {"SAME", ""}};
  EXPECT_DEATH(SerializeContainer(c), "internal check failed");
}

// --- The golden file -------------------------------------------------------------------
// tests/format/golden/v1_model.ming is the container below, serialised by format version 1
// and committed. If this test fails, the bytes ming writes have changed: that needs a new
// kFormatVersion and a new golden file, not an edited one. To write it (once per format
// version): MING_WRITE_GOLDEN=1 ./format_test --gtest_filter='ContainerGolden.*'

std::string GoldenPath() {
  const std::string here = MING_TEST_SOURCE_DIR "/format/";  // absolute, whatever the build
  return here + "golden/v1_model.ming";
}

Container GoldenContainer() {
  const float parm[] = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, FLT_MIN, FLT_MAX, 1e-40f};
  Container c;
  c.kind = FileKind::kModel;
  c.sections = {{"META", R"({"name":"golden","inputs":["holiday","weather"]})"},
                {"PARM", EncodeFloats(parm, 8)},
                {"BLOB", Bytes0To255(200)},
                {"EMPT", ""}};  // empty last section: padding runs up to its offset (512)
  return c;
}

TEST(ContainerGolden, SerialisingGivesTheCommittedBytes) {
  const std::string bytes = SerializeContainer(GoldenContainer());
  if (std::getenv("MING_WRITE_GOLDEN") != nullptr) {
    Status s = WriteFileAtomic(GoldenPath(), bytes);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  Result<std::string> golden = ReadFile(GoldenPath());
  ASSERT_TRUE(golden.ok()) << golden.status().message();
  ASSERT_EQ(golden.value().size(), 516u);
  EXPECT_TRUE(golden.value() == bytes) << "the serialised bytes differ from " << GoldenPath();
  EXPECT_EQ(golden.value().substr(0, 12), std::string("MING\r\n\x1a\n\x01\0\0\0", 12));
}

TEST(ContainerGolden, ParsingTheCommittedFileGivesTheSections) {
  Result<Container> c = ReadContainer(GoldenPath());
  ASSERT_TRUE(c.ok()) << c.status().message();
  ExpectSameContainer(GoldenContainer(), c.value());
  float parm[8];
  ASSERT_TRUE(DecodeFloats(c->Find("PARM")->bytes, parm, 8, "PARM").ok());
  EXPECT_EQ(parm[1], -1.25f);
  EXPECT_TRUE(std::signbit(parm[4]));
  EXPECT_EQ(parm[7], 1e-40f);
}

// --- Floats ----------------------------------------------------------------------------

TEST(FormatFloats, LittleEndianIeeeBytes) {
  const float v[] = {1.0f, -2.0f};
  EXPECT_EQ(EncodeFloats(v, 2), std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8));
  EXPECT_EQ(EncodeFloats(nullptr, 0), "");
}

TEST(FormatFloats, RoundTripIsBitExact) {
  const float v[] = {0.0f, -0.0f, 1e-45f, FLT_MIN, -FLT_MAX, 3.14159274f, 1.0f / 3.0f};
  float out[7];
  ASSERT_TRUE(DecodeFloats(EncodeFloats(v, 7), out, 7, "x").ok());
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(v[i])) << i;
  EXPECT_TRUE(DecodeFloats("", nullptr, 0, "x").ok());
}

TEST(FormatFloats, WrongSizeNamesBothSizes) {
  std::vector<float> v(1024, 1.0f), out(1024);
  const std::string b = EncodeFloats(v.data(), v.size()).substr(0, 1020);
  Status s = DecodeFloats(b, out.data(), 1024, "section 'PARM'");
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(s.message(), "section 'PARM': expected 4096 bytes for 1024 floats, got 1020");
  EXPECT_FALSE(DecodeFloats(b + "abcdefgh", out.data(), 1024, "x").ok());
  s = DecodeFloats(b, out.data(), std::numeric_limits<size_t>::max(), "huge");
  EXPECT_NE(s.message().find("too many"), std::string::npos) << s.message();
}

TEST(FormatFloats, NonFiniteValuesAreNamed) {
  std::vector<float> v(20, 0.5f), out(20);
  v[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(DecodeFloats(EncodeFloats(v.data(), 20), out.data(), 20, "PARM").message(),
            "PARM: value 17 is NaN");
  v[17] = 1;
  v[3] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(DecodeFloats(EncodeFloats(v.data(), 20), out.data(), 20, "PARM").message(),
            "PARM: value 3 is -inf");
}

// --- Files -----------------------------------------------------------------------------

class ContainerFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ming_container_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t EntriesIn(const fs::path& d) const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(d), {}));
  }
  static Container Make(const std::string& payload) {
    Container c;
    c.sections = {{"DATA", payload}};
    return c;
  }
  fs::path dir_;
};

TEST_F(ContainerFile, WriteThenRead) {
  const std::string path = dir_ / "model.ming";
  ASSERT_TRUE(WriteContainer(path, GoldenContainer()).ok());
  Result<Container> c = ReadContainer(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ExpectSameContainer(GoldenContainer(), c.value());
}

TEST_F(ContainerFile, OverwriteReplacesWholeFileAndLeavesNoTemp) {
  const std::string path = dir_ / "model.ming";
  ASSERT_TRUE(WriteContainer(path, Make(std::string(5000, 'a'))).ok());
  ASSERT_TRUE(WriteContainer(path, Make("new")).ok());
  Result<Container> c = ReadContainer(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->Find("DATA")->bytes, "new");
  EXPECT_EQ(EntriesIn(dir_), 1u);
}

TEST_F(ContainerFile, FailedOverwriteLeavesTheOldFile) {
  const std::string path = dir_ / "model.ming";
  ASSERT_TRUE(WriteContainer(path, Make("old")).ok());
  // Block the temp file's name so the write fails before the rename.
  const fs::path tmp = path + ".tmp." + std::to_string(::getpid());
  fs::create_directory(tmp);
  Status s = WriteContainer(path, Make("new"));
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.message();
  fs::remove(tmp);
  Result<Container> c = ReadContainer(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->Find("DATA")->bytes, "old");
  EXPECT_EQ(EntriesIn(dir_), 1u);
}

TEST_F(ContainerFile, MissingDirectoryIsIoErrorWithNoTempLeft) {
  const std::string path = dir_ / "no_such_dir" / "model.ming";
  Status s = WriteContainer(path, Make("x"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("no_such_dir"), std::string::npos) << s.message();
  EXPECT_EQ(EntriesIn(dir_), 0u);
}

TEST_F(ContainerFile, BadTagIsInvalidInputAndWritesNothing) {
  const std::string path = dir_ / "model.ming";
  Container c;
  c.sections = {{"PAR", "x"}};
  Status s = WriteContainer(path, c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_NE(s.message().find("'PAR'"), std::string::npos) << s.message();
  EXPECT_EQ(EntriesIn(dir_), 0u);
}

TEST_F(ContainerFile, ReadErrorsNameThePath) {
  const std::string path = dir_ / "model.ming";
  EXPECT_EQ(ReadContainer(path).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(path, "name,age\nming,27\n").ok());
  Result<Container> c = ReadContainer(path);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c.status().message(), path + ": not a ming file (bad magic)");
  EXPECT_EQ(ReadContainer(dir_.string()).status().code(), StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace ming
