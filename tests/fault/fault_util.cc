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

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::vector<std::string> TempFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  }
  return out;
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
