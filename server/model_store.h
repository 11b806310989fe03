// The models a server answers for: one model file, or a Triton-layout repository
// (DIR/NAME/VERSION/model.ming). Readers take an immutable snapshot, so a request keeps
// the model it started with while a reload swaps in a new one. Poll() rescans the files
// and (re)loads what is new or changed; a file that fails to load is reported in State and
// the previously loaded version keeps serving.
// The repository is a trust boundary: a NAME, VERSION or model.ming that resolves outside it
// (through a symbolic link), a model file with more than one hard link, or a path that does
// not resolve (dangling link, loop) is refused, logged, and reported in States() with the
// reason; the file is opened without following links after the check, and the opened file
// is checked to be inside the repository (see docs/decisions.md).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ming/ming.h"
#include "ming/status.h"
#include "server/explain_pool.h"

namespace ming::server {

struct ServedModel {
  std::string name, version, path;
  std::shared_ptr<const Model> model;
  int64_t mtime_ns = 0, size = 0;  // the file as loaded
  mutable ExplainerPool explainers;  // for explain requests on this version (thread-safe)
};

// One model name's versions; the default version is the highest number.
struct ModelVersions {
  std::map<int64_t, std::shared_ptr<const ServedModel>> versions;
  std::string error;  // the last load failure, if any
  // Paths refused by the repository checks at the last scan: version ("" = the NAME
  // itself) -> reason.
  std::map<std::string, std::string> refused;
};

// Load state of one model version (or of a name whose load failed), for index and metrics.
struct ModelState {
  std::string name, version;
  bool ready = false;
  std::string reason;
};

// A name that may be used as a path component: [A-Za-z0-9_.-], 1..128 chars, not . or ..
bool ValidModelName(std::string_view s);
// A version directory name: a decimal number without sign or leading zeros, < 10^18
// ("7", not "07" or "+7", so that one number has one directory).
bool ValidVersion(std::string_view s, int64_t* v);

// Where the store reports refused paths (default: a line on stderr).
using StoreLog = std::function<void(const std::string&)>;

class ModelStore {
 public:
  using Snapshot = std::map<std::string, ModelVersions, std::less<>>;

  // One model file served as NAME version 1 (NAME = the file name without .ming).
  Status OpenFile(const std::string& path);
  // A repository directory; loads every NAME/VERSION/model.ming it finds.
  Status OpenRepository(const std::string& dir);

  // The model `name`, version `version` ("" = the default). NotFound names what is missing;
  // kRuntime when the name is known but has no loaded version (its load failed).
  Result<std::shared_ptr<const ServedModel>> Find(std::string_view name,
                                                  std::string_view version) const;
  std::shared_ptr<const Snapshot> snapshot() const { return snap_.load(); }

  // Rescans files; (re)loads new or changed ones. Returns the number of changes applied.
  int Poll();
  // Admin: (re)load every version of `name` from disk / stop serving it (until Load).
  Status Load(const std::string& name);
  Status Unload(const std::string& name);

  std::vector<ModelState> States() const;
  bool AllReady() const;
  bool is_repository() const { return !dir_.empty(); }
  // Replaces the log for refused paths (before Open*; not thread-safe against them).
  void set_log(StoreLog log) { log_ = std::move(log); }

 private:
  struct FileInfo {
    std::string name, version, path;
    int64_t mtime_ns = 0, size = 0;
    std::string real;     // the resolved path, opened to load
    std::string refused;  // why the repository checks refuse this path ("" = allowed)
  };
  std::vector<FileInfo> Scan(const std::string& only_name) const;
  void ScanName(const std::string& name, std::vector<FileInfo>& out) const;
  std::string Refusal(const std::string& path, const char* what, std::string* real = nullptr) const;
  Result<std::shared_ptr<const Model>> LoadChecked(const FileInfo& f) const;
  int Apply(const std::vector<FileInfo>& files, const std::string& only_name, bool force);

  std::string dir_, file_;
  std::string root_;  // realpath(dir_)
  StoreLog log_;
  std::map<std::string, std::string> logged_;  // path -> refusal reason last logged
  std::set<std::string> unloaded_;  // admin-unloaded names, skipped by Poll
  std::map<std::string, std::pair<int64_t, int64_t>> failed_;  // path -> stamp that failed
  mutable std::mutex mu_;           // serialises writers
  // The current snapshot behind its own mutex, held only to copy or swap the pointer.
  // Not std::atomic<std::shared_ptr>: libstdc++ 12 builds that on a lock bit inside the
  // pointer, which ThreadSanitizer cannot see, so every reload was reported as a race; an
  // uncontended mutex costs the same two atomic operations per request.
  class SnapshotSlot {
   public:
    std::shared_ptr<const Snapshot> load() const {
      std::lock_guard<std::mutex> g(mu_);
      return p_;
    }
    void store(std::shared_ptr<const Snapshot> p) {
      std::lock_guard<std::mutex> g(mu_);
      p_.swap(p);  // the old snapshot is released after the lock, when p goes
    }

   private:
    mutable std::mutex mu_;
    std::shared_ptr<const Snapshot> p_ = std::make_shared<const Snapshot>();
  };
  SnapshotSlot snap_;
};

}  // namespace ming::server
