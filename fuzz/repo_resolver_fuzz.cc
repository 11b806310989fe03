// Fuzz target: the model repository resolver over a temp tree with links pointing outside.
// The repository holds valid models (names with dots too), a NAME linked to an outside
// directory laid out as a model, a VERSION linked outside, a model.ming linked to the
// outside "secret" model, a model.ming hard-linked to it, a link loop and a dangling link;
// three slots are rebuilt per operation into one of those shapes (or valid, corrupt,
// non-canonical version, FIFO, inside links). Each input is a fresh ModelStore and a list
// of operations: Poll, Load, Unload, Find and admin/model URLs through the Router, with
// fuzzed names, versions and paths. Properties, after every operation: no served model's
// path resolves outside the repository, the secret model (recognised by its threshold) is
// never served, and every answer body is valid JSON.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "server/model_store.h"
#include "server/router.h"
#include "server_fixture.h"

namespace {

namespace fs = std::filesystem;
using namespace ming;
using namespace ming::server;

constexpr double kSecretThreshold = 0.123;
const char* const kSlots[] = {"m0", "m1", "m2"};
const char* const kNames[] = {"good", "dots.v1", ".hidden", "linkname", "vlink", "filelink", "hard",
                              "loop", "dangling", "inlink", "m0", "m1", "m2", "..", ".", "outside",
                              "secret", "nope"};

struct Tree {
  std::string top, repo, outside, root_real, good_bytes, secret_bytes;
};

void Put(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void Link(const std::string& target, const std::string& at) {
  fs::create_directories(fs::path(at).parent_path());
  if (::symlink(target.c_str(), at.c_str()) != 0) std::abort();
}

Tree& T() {
  static Tree* t = [] {
    auto* x = new Tree;
    x->top = fuzz::FuzzTempDir("ming_repo_fuzz");
    x->repo = x->top + "/repo";
    x->outside = x->top + "/outside";
    x->good_bytes = SerializeModel(fuzz::TinyModelData(1));
    ModelData secret = fuzz::TinyModelData(99);
    secret.threshold = kSecretThreshold;
    x->secret_bytes = SerializeModel(secret);
    Put(x->outside + "/secret.ming", x->secret_bytes);
    Put(x->outside + "/1/model.ming", x->secret_bytes);
    Put(x->outside + "/ver/model.ming", x->secret_bytes);
    const std::string& r = x->repo;
    Put(r + "/good/1/model.ming", x->good_bytes);
    Put(r + "/good/2/model.ming", SerializeModel(fuzz::TinyModelData(2)));
    Put(r + "/dots.v1/1/model.ming", x->good_bytes);
    Put(r + "/.hidden/3/model.ming", x->good_bytes);
    Link(x->outside, r + "/linkname");
    Link(x->outside + "/ver", r + "/vlink/1");
    Link(x->outside + "/secret.ming", r + "/filelink/1/model.ming");
    fs::create_directories(r + "/hard/1");
    if (::link((x->outside + "/secret.ming").c_str(), (r + "/hard/1/model.ming").c_str()) != 0) std::abort();
    Link("loop", r + "/loop");
    Link("/nonexistent/ming/model.ming", r + "/dangling/1/model.ming");
    Link("good", r + "/inlink");
    char buf[PATH_MAX];
    if (!::realpath(r.c_str(), buf)) std::abort();
    x->root_real = buf;
    return x;
  }();
  return *t;
}

// Rebuilds slot `s` in one of 14 shapes.
void Shape(const std::string& s, int shape) {
  Tree& t = T();
  const std::string d = t.repo + "/" + s;
  std::error_code ec;
  fs::remove_all(d, ec);
  switch (shape) {
    case 0: break;
    case 1: Put(d + "/1/model.ming", t.good_bytes); break;
    case 2: Link(t.outside, d); break;
    case 3: Link(t.outside + "/ver", d + "/1"); break;
    case 4: Link(t.outside + "/secret.ming", d + "/1/model.ming"); break;
    case 5:
      fs::create_directories(d + "/1");
      if (::link((t.outside + "/secret.ming").c_str(), (d + "/1/model.ming").c_str()) != 0) std::abort();
      break;
    case 6: Link(t.repo + "/good/1/model.ming", d + "/1/model.ming"); break;
    case 7: Link(s, d); break;
    case 8: Link("/nonexistent/ming/x", d + "/1/model.ming"); break;
    case 9: Put(d + "/01/model.ming", t.good_bytes), Put(d + "/1/model.ming", t.good_bytes); break;
    case 10: Put(d + "/1/model.ming", t.good_bytes.substr(0, t.good_bytes.size() / 2)); break;
    case 11: Link("../good/1", d + "/1"); break;
    case 12: fs::create_directories(d + "/1/model.ming"); break;
    default:
      fs::create_directories(d + "/1");
      ::mkfifo((d + "/1/model.ming").c_str(), 0600);
      break;
  }
}

void CheckServed(const ModelStore& store) {
  const Tree& t = T();
  for (const auto& [name, mv] : *store.snapshot()) {
    for (const auto& [num, sm] : mv.versions) {
      char buf[PATH_MAX];
      if (!::realpath(sm->path.c_str(), buf)) __builtin_trap();
      const std::string real = buf;
      if (real.compare(0, t.root_real.size() + 1, t.root_real + "/") != 0) __builtin_trap();
      if (sm->model->threshold() == kSecretThreshold) __builtin_trap();
    }
  }
}

std::string PickName(fuzz::FuzzInput& in) {
  const uint8_t b = in.Byte();
  constexpr size_t n = sizeof kNames / sizeof kNames[0];
  return b < n ? kNames[b] : in.Bytes(24);
}

std::string PickVersion(fuzz::FuzzInput& in) {
  static const char* const kVersions[] = {"", "1", "2", "3", "01", "-0", "+1", "99999999999999999999"};
  const uint8_t b = in.Byte();
  return b < 8 ? kVersions[b] : in.Bytes(12);
}

void Route(Router& router, fuzz::FuzzInput& in) {
  static const char* const kMethods[] = {"GET", "POST", "HEAD", "PUT"};
  const uint8_t kind = in.Byte();
  std::string path;
  switch (kind % 5) {
    case 0: path = "/v2/models/" + PickName(in); break;
    case 1: path = "/v2/models/" + PickName(in) + "/versions/" + PickVersion(in) + "/ready"; break;
    case 2: path = "/v2/repository/models/" + PickName(in) + (in.Bool() ? "/load" : "/unload"); break;
    case 3: path = "/v2/repository/index"; break;
    default: path = in.Bytes(64); break;
  }
  HttpRequest req;
  req.method = kMethods[(kind >> 3) & 3];
  req.path = path;
  req.authorization = "Bearer t";
  req.body.reserve(64);
  int status = 0;
  router.Handle(req, [&](HttpResponse&& r) {
    status = r.status;
    if (!nlohmann::json::accept(r.body)) __builtin_trap();
  });
  if (status == 0) __builtin_trap();  // no batcher: the reply is synchronous
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  T();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  for (const char* s : kSlots) Shape(s, in.Byte() % 14);
  ModelStore store;
  store.set_log([](const std::string&) {});
  if (!store.OpenRepository(T().repo).ok()) __builtin_trap();
  CheckServed(store);
  RouterOptions ro;
  ro.admin_token = "t";
  Router router(store, ro);
  for (int ops = 0; ops < 16 && in.remaining() > 0; ++ops) {
    switch (in.Byte() % 6) {
      case 0: store.Poll(); break;
      case 1: (void)store.Load(PickName(in)); break;
      case 2: (void)store.Unload(PickName(in)); break;
      case 3: {
        const std::string name = PickName(in), version = PickVersion(in);
        (void)store.Find(name, version);
        break;
      }
      case 4: Route(router, in); break;
      default:
        Shape(kSlots[in.Byte() % 3], in.Byte() % 14);
        store.Poll();
        break;
    }
    CheckServed(store);
  }
  return 0;
}
