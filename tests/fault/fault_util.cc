// Process, file and checkpoint helpers for the crash and fault tests.
#include "fault_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "format/container.h"
#include "runtime/model_file.h"

namespace ming::fault {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

namespace {

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
  const std::string dir =
      testing::TempDir() + "/ming_fault_" + std::to_string(::getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  g_temp_dirs->dirs.push_back(dir);
  return dir;
}

std::vector<std::string> TempFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

CliRun Ming(const std::string& args, const std::string& dir, const std::string& env) {
  const std::string cmd = "cd '" + dir + "' && " + env + " " MING_BINARY " " + args + " >'" + dir +
                          "/.stdout' 2>'" + dir + "/.stderr'";
  CliRun r;
  const int status = std::system(cmd.c_str());
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(dir + "/.stdout");
  r.err = Slurp(dir + "/.stderr");
  return r;
}

std::string ShimEnv(const std::string& settings) {
  // The shim is not sanitized and comes before the ASan runtime in the library list.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string opts = std::string(asan ? asan : "");
  opts += (opts.empty() ? "" : ":") + std::string("verify_asan_link_order=0");
  return "LD_PRELOAD=" MING_IO_SHIM " ASAN_OPTIONS=" + opts + " " + settings;
}

CheckpointCheck InspectCheckpoint(const std::string& path) {
  CheckpointCheck c;
  c.exists = Exists(path);
  if (!c.exists) return c;
  auto read = ReadContainer(path);
  if (!read.ok()) {
    c.error = read.status().message();
    return c;
  }
  const Section* trst = read->Find("TRST");
  if (read->kind != FileKind::kCheckpoint || trst == nullptr) {
    c.error = "not a checkpoint";
    return c;
  }
  c.epoch = nlohmann::json::parse(trst->bytes).at("epoch").get<int>();
  for (const char* tag : {"PARM", "BUFS", "OPTM", "OPTV", "BEST", "BBUF"}) {
    const Section* s = read->Find(tag);
    if (s == nullptr) {
      c.error = std::string("no section ") + tag;
      return c;
    }
    std::vector<float> v(s->bytes.size() / 4);
    if (!DecodeFloats(s->bytes, v.data(), v.size(), tag).ok()) {
      c.error = std::string("bad section ") + tag;
      return c;
    }
    for (float x : v) {
      if (!std::isfinite(x)) {
        c.error = std::string("non-finite value in ") + tag;
        return c;
      }
    }
  }
  c.valid = true;
  return c;
}

bool ModelLoadsAndIsFinite(const std::string& path, std::string* error) {
  // LoadModel checks checksums, shapes and that every weight is finite.
  auto m = LoadModel(path);
  if (!m.ok()) *error = m.status().message();
  return m.ok();
}

bool Sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

}  // namespace ming::fault
