// Whole-file reads and atomic writes: errors name the path, no temp files are left behind.
#include "util/file.h"
#include "tests/test_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ming {
namespace {

std::string Dir(const std::string& name) { return testutil::TempDir("ming_file", name); }

TEST(File, WriteReplacesAtomicallyAndLeavesNoTemp) {
  const std::string d = Dir("atomic"), p = d + "/f.bin";
  ASSERT_TRUE(WriteFileAtomic(p, "old").ok());
  ASSERT_TRUE(WriteFileAtomic(p, std::string(100000, 'x')).ok());
  auto r = ReadFile(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 100000u);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(d)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(File, WriteIntoMissingDirectoryFailsCleanly) {
  Status st = WriteFileAtomic(Dir("missing") + "/no/such/dir/f.bin", "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("no/such/dir"), std::string::npos);
}

TEST(File, ReadErrorsNameThePath) {
  const std::string d = Dir("read");
  auto missing = ReadFile(d + "/nope.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.csv"), std::string::npos);
  auto dir = ReadFile(d);
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(dir.status().message().find("directory"), std::string::npos);
  auto endless = ReadFile("/dev/zero", 1 << 20);
  EXPECT_EQ(endless.status().code(), StatusCode::kInvalidInput);
}

TEST(File, MakeDirsCreatesParents) {
  const std::string d = Dir("mk") + "/a/b/c";
  ASSERT_TRUE(MakeDirs(d).ok());
  EXPECT_TRUE(FileExists(d));
  EXPECT_TRUE(MakeDirs(d).ok());
}

}  // namespace
}  // namespace ming
