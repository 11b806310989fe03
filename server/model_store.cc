// Model repository scanning, the repository's path checks, copy-on-write snapshots and
// reload (see model_store.h).
#include "server/model_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "runtime/model_file.h"
#include "runtime/model_impl.h"

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

bool ValidVersion(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  std::from_chars(s.data(), s.data() + s.size(), *v);
  return true;
}

namespace {

bool Stat(const std::string& path, int64_t* mtime_ns, int64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  *size = st.st_size;
  return true;
}

// realpath(3) as a string; "" with errno set when it does not resolve.
std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

bool Inside(const std::string& real, const std::string& root) {
  return real.size() > root.size() && real.compare(0, root.size(), root) == 0 &&
         (root == "/" || real[root.size()] == '/');
}

bool IsSymlink(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

// Why `path` (a NAME or VERSION directory, or a model file) may not be used: it does not
// resolve, or resolves outside the repository. "" when it is fine (and *real_out, if given,
// is where it resolves).
std::string ModelStore::Refusal(const std::string& path, const char* what, std::string* real_out) const {
  std::string real = RealPath(path);
  if (real.empty()) {
    return "refused " + std::string(what) + " " + path + ": it does not resolve (" + std::strerror(errno) + ")";
  }
  if (!Inside(real, root_)) {
    return "refused " + std::string(what) + " " + path + ": it resolves to " + real +
           ", outside the repository " + root_;
  }
  if (real_out) *real_out = std::move(real);
  return "";
}

// Opens the checked path without following a final link, checks the opened file (regular,
// one hard link, really inside the repository: a directory swapped for a link after the
// scan is caught here) and loads it from the descriptor.
Result<std::shared_ptr<const Model>> ModelStore::LoadChecked(const FileInfo& f) const {
  if (root_.empty()) return Model::Load(f.path);  // one model file: no repository to guard
  const int fd = ::open(f.real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return Status::InvalidInput(f.path + ": cannot open: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return Status::InvalidInput(f.path + ": not a regular file");
  if (st.st_nlink != 1) {
    return Status::InvalidInput("refused model file " + f.path + ": it has " + std::to_string(st.st_nlink) +
                                " hard links (a model file in the repository must have exactly one)");
  }
  const std::string opened = RealPath("/proc/self/fd/" + std::to_string(fd));
  if (!opened.empty() && !Inside(opened, root_)) {
    return Status::InvalidInput("refused model file " + f.path + ": it was opened as " + opened +
                                ", outside the repository " + root_);
  }
  std::string bytes;
  bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  MING_ASSIGN_OR_RETURN(ModelData d, ParseModel(bytes, f.path));
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::make_unique<ModelImpl>(std::move(d))));
}

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
  root_ = RealPath(dir);
  if (root_.empty()) return Status::NotFound(dir + ": cannot resolve: " + std::strerror(errno));
  dir_ = dir;
  if (!log_) log_ = [](const std::string& m) { std::fprintf(stderr, "ming: %s\n", m.c_str()); };
  Apply(Scan(""), "", true);
  return Status::Ok();
}

std::vector<ModelStore::FileInfo> ModelStore::Scan(const std::string& only_name) const {
  std::vector<FileInfo> out;
  if (!file_.empty()) {
    FileInfo f;
    f.name = fs::path(file_).stem().string();
    f.version = "1";
    f.path = f.real = file_;
    if (Stat(f.path, &f.mtime_ns, &f.size)) out.push_back(f);
    return out;
  }
  std::error_code ec;
  for (const auto& m : fs::directory_iterator(dir_, ec)) {
    const std::string name = m.path().filename().string();
    if (!ValidModelName(name) || (!only_name.empty() && name != only_name)) continue;
    ScanName(name, out);
  }
  return out;
}

// NAME's versions; a NAME, VERSION or model.ming that is a link is followed only when it
// resolves inside the repository, else it is listed as refused.
void ModelStore::ScanName(const std::string& name, std::vector<FileInfo>& out) const {
  FileInfo f;
  f.name = name;
  const std::string dir = dir_ + "/" + name;
  if (IsSymlink(dir)) {
    f.refused = Refusal(dir, "model directory");
    if (!f.refused.empty()) return out.push_back(f);
  }
  std::error_code ec;
  for (const auto& v : fs::directory_iterator(dir, ec)) {
    int64_t num;
    f.version = v.path().filename().string();
    if (!ValidVersion(f.version, &num)) continue;
    const std::string vdir = dir + "/" + f.version;
    f.path = vdir + "/model.ming";
    f.refused = IsSymlink(vdir) ? Refusal(vdir, "version directory") : "";
    if (f.refused.empty()) {
      struct stat st;
      if (::lstat(f.path.c_str(), &st) != 0) continue;  // a version without a model file yet
      f.refused = Refusal(f.path, "model file", &f.real);
    }
    if (f.refused.empty() && !Stat(f.real, &f.mtime_ns, &f.size)) continue;
    out.push_back(f);
  }
}

int ModelStore::Apply(const std::vector<FileInfo>& files, const std::string& only_name, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<Snapshot>(*snap_.load());
  int changes = 0;
  std::set<std::pair<std::string, int64_t>> seen;
  for (auto& [name, mv] : *next) {
    if (only_name.empty() || name == only_name) mv.refused.clear();  // this scan redoes them
  }
  auto log = [&](const std::string& path, const std::string& reason) {
    if (log_ && logged_[path] != reason) log_(reason);
    logged_[path] = reason;
  };
  for (const FileInfo& f : files) {
    if (unloaded_.count(f.name) && f.name != only_name) continue;
    ModelVersions& mv = (*next)[f.name];
    if (!f.refused.empty()) {  // not seen: a version that was served from here stops
      mv.refused[f.version] = f.refused;
      log(f.path.empty() ? dir_ + "/" + f.name : f.path, f.refused);
      continue;
    }
    int64_t num = 0;
    ValidVersion(f.version, &num);
    seen.insert({f.name, num});
    auto it = mv.versions.find(num);
    if (!force && it != mv.versions.end() && it->second->mtime_ns == f.mtime_ns && it->second->size == f.size) continue;
    const std::pair<int64_t, int64_t> stamp{f.mtime_ns, f.size};
    if (!force && failed_.count(f.path) && failed_[f.path] == stamp) continue;  // tried already
    auto loaded = LoadChecked(f);
    ++changes;
    if (!loaded.ok()) {
      mv.error = loaded.status().message();  // the previous version (if any) keeps serving
      if (mv.error.rfind("refused ", 0) == 0) log(f.path, mv.error);
      failed_[f.path] = stamp;
      continue;
    }
    failed_.erase(f.path);
    logged_.erase(f.path);  // refused again later: log again
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
  std::erase_if(*next, [](const auto& kv) {
    return kv.second.versions.empty() && kv.second.error.empty() && kv.second.refused.empty();
  });
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
  if (it != snap->end() && it->second.versions.empty() && !it->second.refused.empty()) {
    return Status::InvalidInput(it->second.refused.begin()->second);
  }
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
  if (mv.versions.empty()) {
    const std::string& why = !mv.error.empty() || mv.refused.empty() ? mv.error : mv.refused.begin()->second;
    return Status::Runtime("model '" + std::string(name) + "' is not available: " + why);
  }
  if (version.empty()) return mv.versions.rbegin()->second;
  int64_t num;
  if (ValidVersion(version, &num)) {
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
    for (const auto& [version, reason] : mv.refused) out.push_back({name, version, false, reason});
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
