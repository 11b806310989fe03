// Process helpers for the end-to-end tests.
#include "cli_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

namespace ming::e2e {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

namespace {

// Removes the directories the tests made once all tests have run.
class TempDirs : public testing::Environment {
 public:
  void TearDown() override {
    for (const auto& d : dirs) std::filesystem::remove_all(d);
  }
  std::vector<std::string> dirs;
};
TempDirs* const g_temp_dirs =
    static_cast<TempDirs*>(testing::AddGlobalTestEnvironment(new TempDirs));

}  // namespace

std::string TempDir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/ming_e2e_" + std::to_string(::getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  g_temp_dirs->dirs.push_back(dir);
  return dir;
}

Result Ming(const std::string& args, const std::string& dir) {
  const std::string cmd = "cd '" + dir + "' && " MING_BINARY " " + args + " >'" + dir + "/.stdout' 2>'" + dir + "/.stderr'";
  Result r;
  const int status = std::system(cmd.c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(dir + "/.stdout");
  r.err = Slurp(dir + "/.stderr");
  return r;
}

}  // namespace ming::e2e
