// Model repository scanning, copy-on-write snapshots and reload (see model_store.h).
#include "server/model_store.h"

#include <sys/stat.h>

#include <charconv>
#include <filesystem>

// GCC 12 reports a false -Wrestrict inside std::string concatenation here (a known
// libstdc++/GCC 12 issue with operator+ on temporaries).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace ming::server {
namespace fs = std::filesystem;

bool ValidModelName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

bool ParseVersion(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 18) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *v >= 0;
}

bool Stat(const std::string& path, int64_t* mtime_ns, int64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  *size = st.st_size;
  return true;
}

}  // namespace

Status ModelStore::OpenFile(const std::string& path) {
  fs::path p(path);
  std::string name = p.stem().string();
  if (!ValidModelName(name)) return Status::InvalidInput(path + ": file name is not a valid model name");
  int64_t mt, size;
  if (!Stat(path, &mt, &size)) return Status::NotFound(path + ": no such model file");
  file_ = path;
  Apply(Scan(""), "", true);
  auto snap = snapshot();
  auto it = snap->find(name);
  if (it == snap->end() || it->second.versions.empty()) {
    return Status::InvalidInput(it == snap->end() ? path : it->second.error);
  }
  return Status::Ok();
}

Status ModelStore::OpenRepository(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + ": not a directory");
  dir_ = dir;
  Apply(Scan(""), "", true);
  return Status::Ok();
}

std::vector<ModelStore::FileInfo> ModelStore::Scan(const std::string& only_name) const {
  std::vector<FileInfo> out;
  FileInfo f;
  if (!file_.empty()) {
    f.name = fs::path(file_).stem().string();
    f.version = "1";
    f.path = file_;
    if (Stat(f.path, &f.mtime_ns, &f.size)) out.push_back(f);
    return out;
  }
  std::error_code ec;
  for (const auto& m : fs::directory_iterator(dir_, ec)) {
    f.name = m.path().filename().string();
    if (!ValidModelName(f.name) || (!only_name.empty() && f.name != only_name)) continue;
    std::error_code ec2;
    for (const auto& v : fs::directory_iterator(m.path(), ec2)) {
      int64_t num;
      f.version = v.path().filename().string();
      if (!ParseVersion(f.version, &num)) continue;
      f.path = (v.path() / "model.ming").string();
      if (Stat(f.path, &f.mtime_ns, &f.size)) out.push_back(f);
    }
  }
  return out;
}

int ModelStore::Apply(const std::vector<FileInfo>& files, const std::string& only_name, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<Snapshot>(*snap_.load());
  int changes = 0;
  std::set<std::pair<std::string, int64_t>> seen;
  for (const FileInfo& f : files) {
    if (unloaded_.count(f.name) && f.name != only_name) continue;
    int64_t num = 0;
    ParseVersion(f.version, &num);
    seen.insert({f.name, num});
    ModelVersions& mv = (*next)[f.name];
    auto it = mv.versions.find(num);
    if (!force && it != mv.versions.end() && it->second->mtime_ns == f.mtime_ns && it->second->size == f.size) continue;
    const std::pair<int64_t, int64_t> stamp{f.mtime_ns, f.size};
    if (!force && failed_.count(f.path) && failed_[f.path] == stamp) continue;  // tried already
    auto loaded = Model::Load(f.path);
    ++changes;
    if (!loaded.ok()) {
      mv.error = loaded.status().message();  // the previous version (if any) keeps serving
      failed_[f.path] = stamp;
      continue;
    }
    failed_.erase(f.path);
    auto sm = std::make_shared<ServedModel>();
    sm->name = f.name;
    sm->version = f.version;
    sm->path = f.path;
    sm->model = *loaded;
    sm->mtime_ns = f.mtime_ns;
    sm->size = f.size;
    mv.versions[num] = std::move(sm);
    mv.error.clear();
  }
  // Versions whose files disappeared stop serving (only those this scan covered).
  for (auto& [name, mv] : *next) {
    if (!only_name.empty() && name != only_name) continue;
    for (auto it = mv.versions.begin(); it != mv.versions.end();) {
      if (!seen.count({name, it->first})) {
        it = mv.versions.erase(it);
        ++changes;
      } else {
        ++it;
      }
    }
  }
  std::erase_if(*next, [](const auto& kv) { return kv.second.versions.empty() && kv.second.error.empty(); });
  snap_.store(std::move(next));
  return changes;
}

int ModelStore::Poll() { return Apply(Scan(""), "", false); }

Status ModelStore::Load(const std::string& name) {
  if (!ValidModelName(name)) return Status::InvalidInput("invalid model name '" + name + "'");
  auto files = Scan(name);
  if (files.empty()) return Status::NotFound("model '" + name + "' has no NAME/VERSION/model.ming in the repository");
  {
    std::lock_guard<std::mutex> lock(mu_);
    unloaded_.erase(name);
  }
  Apply(files, name, true);
  auto snap = snapshot();
  auto it = snap->find(name);
  if (it != snap->end() && !it->second.error.empty()) return Status::InvalidInput(it->second.error);
  return Status::Ok();
}

Status ModelStore::Unload(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<Snapshot>(*snap_.load());
  if (next->erase(name) == 0) return Status::NotFound("model '" + name + "' is not loaded");
  unloaded_.insert(name);
  snap_.store(std::move(next));
  return Status::Ok();
}

Result<std::shared_ptr<const ServedModel>> ModelStore::Find(std::string_view name,
                                                           std::string_view version) const {
  auto snap = snap_.load();
  auto it = snap->find(name);
  if (it == snap->end()) return Status::NotFound("unknown model '" + std::string(name) + "'");
  const ModelVersions& mv = it->second;
  if (mv.versions.empty()) return Status::Runtime("model '" + std::string(name) + "' is not available: " + mv.error);
  if (version.empty()) return mv.versions.rbegin()->second;
  int64_t num;
  if (ParseVersion(version, &num)) {
    auto v = mv.versions.find(num);
    if (v != mv.versions.end()) return v->second;
  }
  return Status::NotFound("model '" + std::string(name) + "' has no version '" + std::string(version) + "'");
}

std::vector<ModelState> ModelStore::States() const {
  std::vector<ModelState> out;
  auto snap = snap_.load();
  for (const auto& [name, mv] : *snap) {
    for (const auto& [num, sm] : mv.versions) out.push_back({name, sm->version, true, ""});
    if (!mv.error.empty()) out.push_back({name, "", false, mv.error});
  }
  return out;
}

bool ModelStore::AllReady() const {
  auto snap = snap_.load();
  for (const auto& [name, mv] : *snap) {
    if (mv.versions.empty()) return false;
  }
  return true;
}

}  // namespace ming::server
