// Disk full and I/O errors during a save, injected by the shim (ENOSPC on write, EIO on
// fsync/close, EXDEV/EIO on rename) and for real on a 64 KiB tmpfs: exit code 1, an error
// naming the file and the system's reason, the previous file intact, no temp file left, and
// a failed fsync never retried.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "fault_util.h"

namespace ming::fault {
namespace {

struct LogLine {
  std::string op, path;
  long result = 0;
  int err = 0;
};

std::vector<LogLine> ParseLog(const std::string& text) {
  std::vector<LogLine> out;
  for (const std::string& line : Lines(text)) {
    std::istringstream in(line);
    LogLine l;
    std::string step, fd;
    in >> step >> l.op >> fd >> l.path >> l.result >> l.err;
    out.push_back(l);
  }
  return out;
}

class FreezeErrors : public testing::Test {
 protected:
  void SetUp() override {
    d_ = TempDir("errors_" +
                 std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d_).rc, 0);
    ASSERT_EQ(
        Ming("train inv.csv --label accepted --epochs 2 --hidden 16 --threads 1 -q -o a.ming", d_)
            .rc,
        0);
    Write(d_ + "/f.ming", kOld);
  }
  // Runs `ming freeze` with one injected failure; checks what every failed save must do.
  CliRun FreezeWith(const std::string& fail, int err) {
    const CliRun r = Ming("freeze a.ming -o " + d_ + "/f.ming", d_,
                          ShimEnv("MING_SHIM_LOG=log MING_SHIM_FAIL=" + fail));
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_NE(r.err.find(d_ + "/f.ming: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::strerror(err)), std::string::npos) << r.err;
    log_ = ParseLog(Slurp(d_ + "/log"));
    return r;
  }
  int Count(const std::string& op, const std::string& path_part) const {
    int n = 0;
    for (const auto& l : log_) n += l.op == op && l.path.find(path_part) != std::string::npos;
    return n;
  }
  void ExpectOldFileAndNoTemp() {
    EXPECT_TRUE(Slurp(d_ + "/f.ming") == kOld) << "f.ming was changed";
    EXPECT_TRUE(TempFiles(d_).empty());
  }
  const std::string kOld = "the previous file";
  std::string d_;
  std::vector<LogLine> log_;
};

TEST_F(FreezeErrors, DiskFullOnWrite) {
  const CliRun r = FreezeWith("write:" + std::to_string(ENOSPC) + ":.tmp.", ENOSPC);
  EXPECT_NE(r.err.find("cannot save: writing"), std::string::npos) << r.err;
  ExpectOldFileAndNoTemp();
  EXPECT_EQ(Count("write", ".tmp."), 1) << "a failed write must not be retried";
  EXPECT_EQ(Count("fsync", ".tmp."), 0);
  EXPECT_EQ(Count("rename", "f.ming"), 0);
}

TEST_F(FreezeErrors, FsyncFailureIsNotRetried) {
  const CliRun r = FreezeWith("fsync:" + std::to_string(EIO) + ":.tmp.", EIO);
  EXPECT_NE(r.err.find("cannot save: syncing"), std::string::npos) << r.err;
  ExpectOldFileAndNoTemp();
  // After the failed fsync: no second fsync, no more writes, no rename; close and unlink.
  size_t failed = 0;
  while (failed < log_.size() && !(log_[failed].op == "fsync" && log_[failed].result < 0)) ++failed;
  ASSERT_LT(failed, log_.size());
  for (size_t i = failed + 1; i < log_.size(); ++i) {
    if (log_[i].path.find(".tmp.") == std::string::npos) continue;
    EXPECT_TRUE(log_[i].op == "close" || log_[i].op == "unlink")
        << "after the failed fsync: " << log_[i].op;
  }
  EXPECT_EQ(Count("fsync", ".tmp."), 1);
  EXPECT_EQ(Count("rename", "f.ming"), 0);
}

TEST_F(FreezeErrors, CloseFailure) {
  FreezeWith("close:" + std::to_string(EIO) + ":.tmp.", EIO);
  ExpectOldFileAndNoTemp();
  EXPECT_EQ(Count("rename", "f.ming"), 0);
}

TEST_F(FreezeErrors, RenameAcrossDevices) {
  const CliRun r = FreezeWith("rename:" + std::to_string(EXDEV) + ":.tmp.", EXDEV);
  EXPECT_NE(r.err.find("cannot save: renaming"), std::string::npos) << r.err;
  ExpectOldFileAndNoTemp();
}

TEST_F(FreezeErrors, RenameIoError) {
  FreezeWith("rename:" + std::to_string(EIO) + ":.tmp.", EIO);
  ExpectOldFileAndNoTemp();
}

TEST_F(FreezeErrors, CannotCreateTheTempFile) {
  FreezeWith("open:" + std::to_string(ENOSPC) + ":.tmp.", ENOSPC);
  ExpectOldFileAndNoTemp();
}

TEST_F(FreezeErrors, DirectorySyncFailureIsReported) {
  // The 2nd fsync on a path under the directory is the directory's own (the 1st is the
  // temp file's). The new file is in place by then but not durable: say so, exit 1.
  const CliRun r = FreezeWith("fsync:" + std::to_string(EIO) + ":" + d_ + ":2", EIO);
  EXPECT_NE(r.err.find("written, but syncing its directory failed"), std::string::npos) << r.err;
  EXPECT_NE(Slurp(d_ + "/f.ming"), kOld);
  EXPECT_TRUE(TempFiles(d_).empty());
}

// The 2nd open on a path under the directory is the directory's own, for syncing it (the 1st
// is the temp file's). The new file is in place but its rename is not durable: exit 1.
TEST_F(FreezeErrors, DirectoryThatCannotBeOpenedForSyncIsReported) {
  const CliRun r = FreezeWith("open:" + std::to_string(EACCES) + ":" + d_ + ":2", EACCES);
  EXPECT_NE(r.err.find("written, but opening its directory to sync it failed"), std::string::npos)
      << r.err;
  EXPECT_NE(Slurp(d_ + "/f.ming"), kOld);
  EXPECT_TRUE(TempFiles(d_).empty());
  EXPECT_EQ(Count("fsync", d_), 1) << "only the temp file was synced";
}

// EINVAL from the directory's fsync means the file system cannot sync directories: success.
TEST_F(FreezeErrors, DirectorySyncUnsupportedIsNotAnError) {
  const CliRun r = Ming("freeze a.ming -o " + d_ + "/f.ming", d_,
                        ShimEnv("MING_SHIM_LOG=log MING_SHIM_FAIL=fsync:" +
                                std::to_string(EINVAL) + ":" + d_ + ":2"));
  EXPECT_EQ(r.rc, 0) << r.err;
  log_ = ParseLog(Slurp(d_ + "/log"));
  ASSERT_EQ(Count("fsync", d_), 2);
  int refused = 0;
  size_t at = log_.size();
  for (size_t i = 0; i < log_.size(); ++i) {
    if (log_[i].op == "fsync" && log_[i].path == d_ && log_[i].err == EINVAL) ++refused, at = i;
  }
  EXPECT_EQ(refused, 1) << "the directory's fsync was the one refused";
  // Its descriptor is closed afterwards (later steps, such as a coverage build's own
  // files at exit, may follow).
  bool closed = false;
  for (size_t i = at + 1; i < log_.size(); ++i) closed |= log_[i].op == "close" && log_[i].path == d_;
  EXPECT_TRUE(closed) << "the directory is closed after the refused fsync";
  EXPECT_NE(Slurp(d_ + "/f.ming"), kOld);
  EXPECT_TRUE(TempFiles(d_).empty());
}

const std::string kTrain =
    "train inv.csv --label accepted --epochs 3 --patience 0 --hidden 16 --threads 1 -q";

TEST(TrainErrors, CheckpointFsyncFailureKeepsThePreviousCheckpoint) {
  const std::string d = TempDir("train_fsync");
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  ASSERT_EQ(Ming(kTrain + " -o ref.ming", d, kDeterministic).rc, 0);
  Write(d + "/m.ming", "old model");
  // The second checkpoint's fsync fails.
  const CliRun r = Ming(kTrain + " --checkpoint ck -o m.ming", d,
                        kDeterministic + ShimEnv("MING_SHIM_LOG=log MING_SHIM_FAIL=fsync:" +
                                                 std::to_string(EIO) + ":checkpoint.ming.tmp.:2"));
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("ck/checkpoint.ming: cannot save: syncing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
  const CheckpointCheck c = InspectCheckpoint(d + "/ck/checkpoint.ming");
  EXPECT_TRUE(c.valid) << c.error;
  EXPECT_EQ(c.epoch, 1);
  EXPECT_EQ(Slurp(d + "/m.ming"), "old model");
  EXPECT_TRUE(TempFiles(d).empty());
  int fsyncs = 0;
  for (const auto& l : ParseLog(Slurp(d + "/log")))
    fsyncs += l.op == "fsync" && l.path.find("checkpoint.ming.tmp.") != std::string::npos;
  EXPECT_EQ(fsyncs, 2) << "one good save, one failed fsync, no retry";
  // Once the disk is healthy again, --resume finishes the run exactly.
  ASSERT_EQ(Ming(kTrain + " --checkpoint ck --resume -o m.ming", d, kDeterministic).rc, 0);
  EXPECT_EQ(Slurp(d + "/m.ming"), Slurp(d + "/ref.ming"));
}

TEST(TrainErrors, DiskFullOnTheModelKeepsTheOldModel) {
  const std::string d = TempDir("train_model_enospc");
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  ASSERT_EQ(Ming(kTrain + " -o ref.ming", d, kDeterministic).rc, 0);
  Write(d + "/m.ming", "old model");
  const CliRun r = Ming(
      kTrain + " --checkpoint ck -o m.ming", d,
      kDeterministic + ShimEnv("MING_SHIM_FAIL=write:" + std::to_string(ENOSPC) + ":m.ming.tmp."));
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("m.ming: cannot save: writing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(d + "/m.ming"), "old model");
  EXPECT_TRUE(TempFiles(d).empty());
  EXPECT_EQ(InspectCheckpoint(d + "/ck/checkpoint.ming").epoch, 3);
  ASSERT_EQ(Ming(kTrain + " --checkpoint ck --resume -o m.ming", d, kDeterministic).rc, 0);
  EXPECT_EQ(Slurp(d + "/m.ming"), Slurp(d + "/ref.ming"));
}

// A real 64 KiB tmpfs, mounted for the test (needs CAP_SYS_ADMIN; skipped without it).
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_, error_;
  bool mounted_ = false;
};

TEST(TmpfsFull, CheckpointThatDoesNotFitKeepsThePreviousOne) {
  const std::string d = TempDir("tmpfs_ckpt");
  Tmpfs fs(d + "/small");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << fs.error();
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  // A checkpoint of this network is ~37 KB: the first fits in 64 KiB, the second's temp
  // file beside it does not.
  const CliRun r = Ming(
      "train inv.csv --label accepted --epochs 3 --patience 0 --hidden 32,16 --threads 1 -q "
      "--checkpoint small -o m.ming",
      d);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("small/checkpoint.ming: cannot save: writing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const CheckpointCheck c = InspectCheckpoint(d + "/small/checkpoint.ming");
  EXPECT_TRUE(c.valid) << c.error;
  EXPECT_EQ(c.epoch, 1);
  EXPECT_FALSE(Exists(d + "/m.ming"));
  EXPECT_TRUE(TempFiles(d + "/small").empty());
}

TEST(TmpfsFull, ModelThatDoesNotFitKeepsTheOldModel) {
  const std::string d = TempDir("tmpfs_model");
  Tmpfs fs(d + "/small");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << fs.error();
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  ASSERT_EQ(
      Ming("train inv.csv --label accepted --epochs 1 --hidden 8 --threads 1 -q -o small/m.ming", d)
          .rc,
      0);
  const std::string old_bytes = Slurp(d + "/small/m.ming");
  // Fill all but 8 KiB, then save a ~16 KB model over the old one.
  Write(d + "/small/filler",
        std::string(64 * 1024 - 8 * 1024 - ((old_bytes.size() + 4095) / 4096) * 4096, 'x'));
  const CliRun r = Ming(
      "train inv.csv --label accepted --epochs 1 --hidden 32,16 --threads 1 -q -o small/m.ming", d);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("small/m.ming: cannot save: writing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(Slurp(d + "/small/m.ming"), old_bytes);
  EXPECT_TRUE(TempFiles(d + "/small").empty());
}

}  // namespace
}  // namespace ming::fault
