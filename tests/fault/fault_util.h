// Helpers for the crash and fault tests: run the real `ming` binary (optionally under the
// I/O shim of tests/fault/shim), inspect checkpoints and model files afterwards.
#pragma once

#include <string>
#include <vector>

#include "tests/test_files.h"

namespace ming::fault {

using testutil::CliRun;
using testutil::Slurp;
using testutil::Write;

// Runs `ENV ming ARGS` through /bin/sh in `dir` (ENV: "VAR=value ..." or "").
inline CliRun Ming(const std::string& args, const std::string& dir, const std::string& env = "") {
  return testutil::RunMing(args, dir, env);
}
// Environment that fixes the creation time written into model files, so that two runs
// can be compared byte for byte.
inline const std::string kDeterministic = "SOURCE_DATE_EPOCH=1700000000 ";
// Environment that preloads the I/O shim with the given MING_SHIM_* settings; works in the
// plain and the sanitizer builds.
std::string ShimEnv(const std::string& settings);

// A fresh temporary directory for one test, removed when the test program ends.
inline std::string TempDir(const std::string& name) { return testutil::TempDir("ming_fault", name); }
bool Exists(const std::string& path);
// Names of the files in `dir` that look like WriteFileAtomic's temp files ("*.tmp.<pid>").
std::vector<std::string> TempFiles(const std::string& dir);
std::vector<std::string> Lines(const std::string& text);

// What a checkpoint file holds, checked independently of the trainer: the container's
// checksums, the training state's epoch, and that every float section is finite.
struct CheckpointCheck {
  bool exists = false, valid = false;
  int epoch = -1;
  std::string error;
};
CheckpointCheck InspectCheckpoint(const std::string& path);
// True when every float of the model's PARM/BUFS sections (or a frozen model's layers)
// is finite and the file loads.
bool ModelLoadsAndIsFinite(const std::string& path, std::string* error);

// True in the ASan/UBSan build (fewer repetitions there).
bool Sanitized();

}  // namespace ming::fault
