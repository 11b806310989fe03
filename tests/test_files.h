// File and process helpers shared by the test areas that run the real `ming` binary
// (e2e, fault, server): read and write whole files, run the CLI capturing its output, and
// make temporary directories that are removed when the test program ends.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ming::testutil {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

struct CliRun {
  int rc = -1;  // exit code, or 128 + signal
  std::string out, err;
};

// Runs `PREFIX ming ARGS` through /bin/sh in `dir`, capturing stdout and stderr (through
// dir/.stdout and dir/.stderr). PREFIX: "", environment settings ("VAR=value ..."), or a
// pipe and a wrapper ("cat f | timeout 60").
inline CliRun RunMing(const std::string& args, const std::string& dir, const std::string& prefix = "") {
  const std::string cmd = "cd '" + dir + "' && " + prefix + " " MING_BINARY " " + args + " >'" + dir +
                          "/.stdout' 2>'" + dir + "/.stderr'";
  CliRun r;
  const int status = std::system(cmd.c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(dir + "/.stdout");
  r.err = Slurp(dir + "/.stderr");
  return r;
}

// A file path under gtest's temp directory, unique to this test program (PREFIX_PID_NAME);
// the caller removes the file.
inline std::string TempFilePath(const std::string& prefix, const std::string& name) {
  return testing::TempDir() + "/" + prefix + "_" + std::to_string(::getpid()) + "_" + name;
}

// Removes the directories TempDir made once all tests have run (registered at start-up
// in every test program that includes this header).
struct TempDirs : testing::Environment {
  void TearDown() override {
    for (const auto& d : dirs) std::filesystem::remove_all(d);
  }
  std::vector<std::string> dirs;
};
inline TempDirs* const g_temp_dirs = static_cast<TempDirs*>(testing::AddGlobalTestEnvironment(new TempDirs));

// A fresh directory testing::TempDir()/PREFIX_<pid>_NAME, removed when the program ends.
inline std::string TempDir(const std::string& prefix, const std::string& name) {
  const std::string dir = testing::TempDir() + "/" + prefix + "_" + std::to_string(::getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  g_temp_dirs->dirs.push_back(dir);
  return dir;
}

}  // namespace ming::testutil
