// Helpers for the crash and fault tests: run the real `ming` binary (optionally under the
// I/O shim of tests/fault/shim), inspect checkpoints and model files afterwards.
#pragma once

#include <string>
#include <vector>

namespace ming::fault {

struct CliRun {
  int rc = -1;  // exit code, or 128 + signal
  std::string out, err;
};

// Runs `ENV ming ARGS` through /bin/sh in `dir` (ENV: "VAR=value ..." or "").
CliRun Ming(const std::string& args, const std::string& dir, const std::string& env = "");
// Environment that preloads the I/O shim with the given MING_SHIM_* settings; works in the
// plain and the sanitizer builds.
std::string ShimEnv(const std::string& settings);

// A fresh temporary directory for one test, removed when the test program ends.
std::string TempDir(const std::string& name);
std::string Slurp(const std::string& path);
void Write(const std::string& path, const std::string& bytes);
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
