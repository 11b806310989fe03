// Helpers for end-to-end tests that run the real `ming` binary (tests/test_files.h).
#pragma once

#include <string>

#include "tests/test_files.h"

namespace ming::e2e {

using Result = testutil::CliRun;
using testutil::Slurp;
using testutil::Write;

// Runs `ming ARGS` through /bin/sh in `dir`, capturing stdout and stderr.
inline Result Ming(const std::string& args, const std::string& dir) { return testutil::RunMing(args, dir); }
// A fresh temporary directory for one test.
inline std::string TempDir(const std::string& name) { return testutil::TempDir("ming_e2e", name); }

}  // namespace ming::e2e
