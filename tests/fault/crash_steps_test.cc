// A crash after every I/O step of a save (the shim in tests/fault/shim exits after step n,
// for every n until the command completes): the destination then holds the old bytes or
// the new bytes, never anything else, both after a process crash and after a simulated
// power cut (unsynced data lost). Temp files a crash leaves are removed by the next save.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "fault_util.h"

namespace ming::fault {
namespace {

constexpr int kMaxSteps = 400;

struct Outcomes {
  int steps = 0;  // I/O steps of the whole command
  int old_seen = 0, new_seen = 0;
};

// The steps of one save of `dest` in a shim log: from the creation of its temp file on.
std::vector<std::string> SaveSteps(const std::string& log, const std::string& dest) {
  std::vector<std::string> steps;
  for (const std::string& line : Lines(log)) {
    std::istringstream in(line);
    std::string n, op, fd, path;
    in >> n >> op >> fd >> path;
    if (steps.empty() && !(op == "open" && path.find(dest + ".tmp.") != std::string::npos))
      continue;
    steps.push_back(op + " " + path.substr(path.rfind('/') + 1));
    if (steps.size() > 1 && op == "close" && steps[steps.size() - 2].rfind("fsync", 0) == 0 &&
        path.find(".tmp.") == std::string::npos) {
      break;  // the directory's close ends the save
    }
  }
  return steps;
}

TEST(CrashSteps, FreezeLeavesTheOldOrTheNewFile) {
  const std::string d = TempDir("freeze");
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  const std::string train = "train inv.csv --label accepted --epochs 2 --hidden 16 --threads 1 -q ";
  ASSERT_EQ(Ming(train + "--seed 1 -o a.ming", d).rc, 0);
  ASSERT_EQ(Ming(train + "--seed 2 -o b.ming", d).rc, 0);
  ASSERT_EQ(Ming("freeze b.ming -o f.ming", d).rc, 0);
  const std::string old_bytes = Slurp(d + "/f.ming");
  ASSERT_EQ(Ming("freeze a.ming -o ref.ming", d).rc, 0);
  const std::string new_bytes = Slurp(d + "/ref.ming");
  ASSERT_NE(old_bytes, new_bytes);

  // The save's own steps, in order (the first step is the removal of stale temp files,
  // done without shim-visible calls when there are none).
  Write(d + "/f.ming", old_bytes);
  ASSERT_EQ(Ming("freeze a.ming -o f.ming", d, ShimEnv("MING_SHIM_LOG=log")).rc, 0);
  const std::vector<std::string> save = SaveSteps(Slurp(d + "/log"), "f.ming");
  std::string listed;
  for (const auto& s : save) listed += s + "; ";
  RecordProperty("save_steps", listed);
  std::printf("one save, %zu I/O steps: %s\n", save.size(), listed.c_str());
  EXPECT_GE(save.size(), 8u) << listed;
  EXPECT_EQ(save[0].rfind("open f.ming.tmp.", 0), 0u) << listed;
  EXPECT_EQ(save[1].rfind("write f.ming.tmp.", 0), 0u) << listed;

  for (const bool power_loss : {false, true}) {
    Outcomes o;
    for (int n = 1; n <= kMaxSteps; ++n) {
      Write(d + "/f.ming", old_bytes);
      std::string env = "MING_SHIM_CRASH_AT=" + std::to_string(n);
      if (power_loss) env += " MING_SHIM_POWER_LOSS=1";
      const CliRun r = Ming("freeze a.ming -o f.ming", d, ShimEnv(env));
      if (r.rc == 0) {
        o.steps = n - 1;
        break;
      }
      ASSERT_EQ(r.rc, 99) << "n=" << n << ": " << r.err;
      const std::string now = Slurp(d + "/f.ming");
      ASSERT_TRUE(now == old_bytes || now == new_bytes)
          << "crash after step " << n << (power_loss ? " (power loss)" : "") << " left "
          << now.size() << " bytes that are neither the old file (" << old_bytes.size()
          << ") nor the new one (" << new_bytes.size() << ")";
      (now == old_bytes ? o.old_seen : o.new_seen)++;
    }
    ASSERT_GT(o.steps, 0) << "the command never completed within " << kMaxSteps << " steps";
    EXPECT_EQ(Slurp(d + "/f.ming"), new_bytes);
    // Crashes before the rename leave the old file, those after it the new one.
    EXPECT_GT(o.old_seen, 0);
    EXPECT_GT(o.new_seen, 0);
    std::printf("freeze%s: %d steps, %d crashes left the old file, %d the new one\n",
                power_loss ? " (power loss)" : "", o.steps, o.old_seen, o.new_seen);
    // The crashed runs left temp files; the next save removes them.
    ASSERT_EQ(Ming("freeze a.ming -o f.ming", d).rc, 0);
    EXPECT_TRUE(TempFiles(d).empty()) << TempFiles(d)[0];
  }
}

// The number of completed renames onto `dest` in a shim log.
int RenamesOnto(const std::string& log, const std::string& dest) {
  int n = 0;
  for (const std::string& line : Lines(log)) {
    std::istringstream in(line);
    std::string step, op, fd, path;
    long result = -1;
    in >> step >> op >> fd >> path >> result;
    if (op == "rename" && path == dest && result == 0) ++n;
  }
  return n;
}

TEST(CrashSteps, TrainingCheckpointsAndModelSurviveACrashAtEveryStep) {
  const std::string d = TempDir("train");
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 3 -o inv.csv", d).rc, 0);
  const std::string args =
      "train inv.csv --label accepted --epochs 3 --patience 0 --hidden 16 --threads 1 -q";
  ASSERT_EQ(Ming(args + " --seed 9 -o old.ming", d, kDeterministic).rc, 0);
  ASSERT_EQ(Ming(args + " -o ref.ming", d, kDeterministic).rc, 0);
  const std::string old_bytes = Slurp(d + "/old.ming"), new_bytes = Slurp(d + "/ref.ming");
  ASSERT_NE(old_bytes, new_bytes);
  const int kEpochs = 3;

  for (const bool power_loss : {false, true}) {
    Outcomes o;
    std::map<int, int> checkpoint_epochs;  // epoch of the checkpoint left -> crashes
    for (int n = 1; n <= kMaxSteps; ++n) {
      Write(d + "/m.ming", old_bytes);
      std::filesystem::remove_all(d + "/ck");
      std::filesystem::remove(d + "/log");
      std::string env = "MING_SHIM_LOG=log MING_SHIM_CRASH_AT=" + std::to_string(n);
      if (power_loss) env += " MING_SHIM_POWER_LOSS=1";
      const CliRun r = Ming(args + " --checkpoint ck -o m.ming", d, kDeterministic + ShimEnv(env));
      if (r.rc == 0) {
        o.steps = n - 1;
        break;
      }
      ASSERT_EQ(r.rc, 99) << "n=" << n << ": " << r.err;
      // The model: old or new, byte for byte.
      const std::string now = Slurp(d + "/m.ming");
      ASSERT_TRUE(now == old_bytes || now == new_bytes)
          << "crash after step " << n << ": m.ming is " << now.size() << " bytes of neither";
      (now == old_bytes ? o.old_seen : o.new_seen)++;
      // The checkpoint: absent before the first completed save, else whole and exactly
      // the one of the last completed save.
      const int saved = RenamesOnto(Slurp(d + "/log"), "ck/checkpoint.ming");
      const CheckpointCheck c = InspectCheckpoint(d + "/ck/checkpoint.ming");
      if (saved == 0) {
        ASSERT_FALSE(c.exists) << "crash after step " << n;
      } else {
        ASSERT_TRUE(c.valid) << "crash after step " << n << ": " << c.error;
        ASSERT_EQ(c.epoch, saved) << "crash after step " << n;
      }
      checkpoint_epochs[saved]++;
      // Resuming finishes the run exactly as an uninterrupted one.
      const CliRun resumed = Ming(args + " --checkpoint ck --resume -o m.ming", d, kDeterministic);
      ASSERT_EQ(resumed.rc, 0) << "resume after a crash at step " << n << ": " << resumed.err;
      ASSERT_EQ(Slurp(d + "/m.ming"), new_bytes) << "resume after a crash at step " << n;
      ASSERT_TRUE(TempFiles(d).empty())
          << "crash at step " << n << ", resumed: " << TempFiles(d)[0];
    }
    ASSERT_GT(o.steps, 0) << "the command never completed within " << kMaxSteps << " steps";
    for (int e = 0; e <= kEpochs; ++e)
      EXPECT_GT(checkpoint_epochs[e], 0) << "no crash left checkpoint " << e;
    EXPECT_GT(o.old_seen, 0);
    EXPECT_GT(o.new_seen, 0);
    std::printf(
        "train%s: %d steps; crashes left checkpoint epochs 0..3: %d %d %d %d; model old %d, new "
        "%d\n",
        power_loss ? " (power loss)" : "", o.steps, checkpoint_epochs[0], checkpoint_epochs[1],
        checkpoint_epochs[2], checkpoint_epochs[3], o.old_seen, o.new_seen);
  }
}

}  // namespace
}  // namespace ming::fault
