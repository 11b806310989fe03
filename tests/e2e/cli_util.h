// Helpers for end-to-end tests that run the real `ming` binary.
#pragma once

#include <string>

namespace ming::e2e {

struct Result {
  int rc = -1;
  std::string out, err;
};

// Runs `ming ARGS` through /bin/sh in `dir`, capturing stdout and stderr.
Result Ming(const std::string& args, const std::string& dir);
// A fresh temporary directory for one test.
std::string TempDir(const std::string& name);
std::string Slurp(const std::string& path);
void Write(const std::string& path, const std::string& text);

}  // namespace ming::e2e
