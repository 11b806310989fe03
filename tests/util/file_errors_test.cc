// File helpers on unusual input: the sweep of stale temp files (which names it removes and
// which it leaves), size limits on files whose size stat does not know (/proc, pipes),
// special files, and directories that cannot be created.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/file.h"
#include "tests/test_files.h"

namespace ming {
namespace {

std::string FreshDir(const std::string& name) { return testutil::TempDir("ming_file_err", name); }

void Touch(const std::string& path) { std::ofstream(path) << "partial"; }

// A pid that no process holds: a child that has exited and been reaped.
pid_t DeadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

// A save removes the temp files of dead writers and keeps those of live ones, its own name's
// malformed look-alikes and other files' temps.
TEST(FileErrors, SaveSweepsOnlyTheTempsOfDeadWriters) {
  const std::string d = FreshDir("sweep"), p = d + "/f.bin";
  const std::string dead = p + ".tmp." + std::to_string(DeadPid());
  const std::string live = p + ".tmp." + std::to_string(::getppid());
  const std::vector<std::string> kept = {
      live,
      p + ".tmp.",             // no pid
      p + ".tmp.1234567890",   // more than 9 digits
      p + ".tmp.12x",          // not a number
      d + "/g.bin.tmp.999999", // another file's temp
  };
  Touch(dead);
  for (const std::string& k : kept) Touch(k);
  ASSERT_TRUE(WriteFileAtomic(p, "new").ok());
  EXPECT_FALSE(FileExists(dead));
  for (const std::string& k : kept) EXPECT_TRUE(FileExists(k)) << k;
  auto back = ReadFile(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "new");
}

// A relative path with no directory part saves into (and syncs) the working directory.
TEST(FileErrors, SaveWithoutDirectoryPartUsesTheWorkingDirectory) {
  const std::string d = FreshDir("cwd");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(d);
  const Status st = WriteFileAtomic("plain.bin", "bytes");
  std::filesystem::current_path(before);
  ASSERT_TRUE(st.ok()) << st.message();
  auto back = ReadFile(d + "/plain.bin");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, "bytes");
}

// A directory that does not exist: creating the temp file fails and the error names it.
TEST(FileErrors, SaveIntoMissingDirectoryNamesTheTempFile) {
  const std::string d = FreshDir("notmp");
  const Status st = WriteFileAtomic(d + "/absent/f.bin", "x");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(d + "/absent/f.bin: cannot save: creating " + d + "/absent/f.bin.tmp."),
            std::string::npos)
      << st.message();
}

// /proc files report size 0, so only the read loop can enforce the limit.
TEST(FileErrors, LimitHoldsForFilesWhoseSizeIsUnknown) {
  auto r = ReadFile("/proc/self/status", 16);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find("/proc/self/status: larger than 16 bytes"), std::string::npos)
      << r.status().message();
  auto whole = ReadFile("/proc/self/status", 1 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  EXPECT_NE(whole->find("Pid:"), std::string::npos);
}

// A pipe has no size to check beforehand: the read loop refuses one that brings more than
// the limit (without waiting for its end).
TEST(FileErrors, PipeBeyondTheLimitIsRefused) {
  const std::string d = FreshDir("fifo"), p = d + "/pipe";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  // O_RDWR does not wait for a reader; the data sits in the pipe until ReadFile takes it.
  const int holder = ::open(p.c_str(), O_RDWR);
  ASSERT_GE(holder, 0);
  const std::string bytes(5000, 'p');
  ASSERT_EQ(::write(holder, bytes.data(), bytes.size()), 5000);
  auto r = ReadFile(p, 1000);
  ::close(holder);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find(p + ": larger than 1000 bytes"), std::string::npos)
      << r.status().message();
}

// A block device is named as such, not read (needs CAP_MKNOD; skipped without it).
TEST(FileErrors, BlockDeviceIsRefusedByKind) {
  const std::string d = FreshDir("blk"), p = d + "/loop";
  if (::mknod(p.c_str(), S_IFBLK | 0600, ::makedev(7, 0)) != 0) GTEST_SKIP() << "no mknod";
  auto r = ReadFile(p);
  if (r.status().message().find("cannot open") != std::string::npos) {
    GTEST_SKIP() << "block devices cannot be opened here: " << r.status().message();
  }
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find(p + ": is a block device, not a regular file or pipe"),
            std::string::npos)
      << r.status().message();
}

// A directory cannot be created below a regular file; the error names the path.
TEST(FileErrors, MakeDirsBelowAFileFails) {
  const std::string d = FreshDir("mkfile"), f = d + "/plain";
  Touch(f);
  const Status st = MakeDirs(f + "/sub");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(f + "/sub: cannot create directory"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace ming
