// WriteContainer checks section tags itself (SerializeContainer only asserts them): a
// caller's bad container is an error naming the file and the tag, and nothing is written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "format/container.h"
#include "util/file.h"

namespace ming {
namespace {

std::string Target(const std::string& name) {
  return testing::TempDir() + "/ming_container_err_" + std::to_string(::getpid()) + "_" + name;
}

// Two sections with one tag are refused before any byte reaches the disk.
TEST(ContainerErrors, WriteRefusesADuplicateTag) {
  Container c;
  c.kind = FileKind::kModel;
  c.sections = {{"META", "{}"}, {"DATA", "a"}, {"DATA", "b"}};
  const std::string path = Target("dup.ming");
  const Status st = WriteContainer(path, c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << st.message();
  EXPECT_NE(st.message().find(path + ": duplicate section tag 'DATA'"), std::string::npos)
      << st.message();
  EXPECT_FALSE(FileExists(path));
}

// A tag that is not 4 printable characters is refused the same way.
TEST(ContainerErrors, WriteRefusesAnUnprintableTag) {
  Container c;
  c.kind = FileKind::kModel;
  c.sections = {{std::string("DA\nA"), "a"}};
  const std::string path = Target("tag.ming");
  const Status st = WriteContainer(path, c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << st.message();
  EXPECT_NE(st.message().find("is not 4 printable ASCII characters"), std::string::npos)
      << st.message();
  EXPECT_FALSE(FileExists(path));
}

}  // namespace
}  // namespace ming
