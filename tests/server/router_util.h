// In-process Router tests: a model repository of tiny in-memory models written to a temp dir
// (fuzz/server_fixture.h) and a Call() that hands one HttpRequest to Router::Handle and
// waits for its reply (synchronous, or from the batcher thread).
// Models: "tiny" (binary classification), "reg" (regression on "age"), "nobg" (tiny without
// background rows, so explain fails), "broken" (a file that does not load).
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/server_fixture.h"
#include "server/router.h"

// GCC 12 reports a false -Wrestrict for string concatenation in these tests (the known
// libstdc++/GCC 12 issue, as in server/model_store.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace ming::server::routertest {

struct Answer {
  int status = 0;
  std::string body;
  std::string content_type;
  int64_t header_len = -1;          // Inference-Header-Content-Length, -1 if not sent
  std::string extra_name, extra_value;  // Allow / WWW-Authenticate
  // The JSON part of the body (all of it unless header_len >= 0).
  nlohmann::json Json() const {
    return nlohmann::json::parse(header_len >= 0 ? body.substr(0, static_cast<size_t>(header_len)) : body);
  }
  std::string Error() const { return Json().value("error", std::string()); }
  std::string Raw() const { return header_len >= 0 ? body.substr(static_cast<size_t>(header_len)) : ""; }
};

struct Call {
  Call(std::string m, std::string p, std::string b = "", std::string auth = "", int64_t ihl = -1)
      : method(std::move(m)), path(std::move(p)), body(std::move(b)), authorization(std::move(auth)),
        header_len(ihl) {}
  std::string method, path, body, authorization;
  int64_t header_len;
  std::vector<std::pair<std::string, std::string>> query;
};

inline Answer Send(Router& router, const Call& call) {
  HttpRequest req;
  req.method = call.method;
  req.path = call.path;
  req.authorization = call.authorization;
  req.query = call.query;
  req.body.reserve(call.body.size() + 64);  // the HTTP layer's simdjson padding
  req.body = call.body;
  req.inference_header_len = call.header_len;
  auto done = std::make_shared<std::promise<HttpResponse>>();
  router.Handle(req, [done](HttpResponse&& r) { done->set_value(std::move(r)); });
  auto f = done->get_future();
  Answer a;
  if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return a;
  HttpResponse r = f.get();
  a.status = r.status;
  a.body = std::move(r.body);
  a.content_type = r.content_type;
  a.header_len = r.inference_header_len;
  if (r.extra_name) a.extra_name = r.extra_name;
  if (r.extra_value) a.extra_value = r.extra_value;
  return a;
}

inline Answer Get(Router& r, const std::string& path) { return Send(r, Call("GET", path)); }
inline Answer Post(Router& r, const std::string& path, const std::string& body = "") {
  return Send(r, Call("POST", path, body));
}

// A repository directory with the models named in `names` (any of the four above), made
// once per name set and removed at exit.
inline std::string Repo(const std::vector<std::string>& names) {
  const std::string dir = fuzz::FuzzTempDir("ming_router_test");
  for (const std::string& n : names) {
    std::filesystem::create_directories(dir + "/" + n + "/1");
    const std::string path = dir + "/" + n + "/1/model.ming";
    ModelData d = n == "reg" ? fuzz::TinyModelDataFor("age", Task::kRegression) : fuzz::TinyModelData();
    if (n == "nobg") d.background.clear();
    if (n == "broken") {
      std::ofstream(path, std::ios::binary) << "not a model";
    } else {
      EXPECT_TRUE(SaveModel(path, d).ok()) << path;
    }
  }
  return dir;
}

// A store over Repo(names) and a Router on it.
struct Served {
  explicit Served(const std::vector<std::string>& names, RouterOptions opts = {}) {
    store.set_log([](const std::string&) {});
    EXPECT_TRUE(store.OpenRepository(Repo(names)).ok());
    router = std::make_unique<Router>(store, std::move(opts));
  }
  Answer Get(const std::string& path) { return routertest::Get(*router, path); }
  Answer Post(const std::string& path, const std::string& body = "") { return routertest::Post(*router, path, body); }
  Answer Send(const Call& c) { return routertest::Send(*router, c); }
  ModelStore store;
  std::unique_ptr<Router> router;
};

// A v2 infer body for "tiny"-like models: `rows` rows of (age, member, city) as JSON
// tensors, with extra top-level members appended (",\"parameters\":{...}").
inline std::string InferBody(int rows, const std::string& extra = "", bool with_accepted = false) {
  std::string ages, members, cities, accepted;
  for (int r = 0; r < rows; ++r) {
    const char* sep = r ? "," : "";
    ages += sep + std::to_string(30 + 7 * r);
    members += std::string(sep) + (r % 2 ? "false" : "true");
    cities += std::string(sep) + (r % 3 == 0 ? "\"paris\"" : r % 3 == 1 ? "\"lyon\"" : "\"nice\"");
    accepted += std::string(sep) + (r % 2 ? "\"no\"" : "\"yes\"");
  }
  const std::string n = std::to_string(rows);
  std::string s = "{\"inputs\":[";
  if (!with_accepted) {
    s += "{\"name\":\"age\",\"datatype\":\"FP32\",\"shape\":[" + n + "],\"data\":[" + ages + "]},";
  }
  s += "{\"name\":\"member\",\"datatype\":\"BOOL\",\"shape\":[" + n + "],\"data\":[" + members + "]},";
  s += "{\"name\":\"city\",\"datatype\":\"BYTES\",\"shape\":[" + n + "],\"data\":[" + cities + "]}";
  if (with_accepted) s += ",{\"name\":\"accepted\",\"datatype\":\"BYTES\",\"shape\":[" + n + "],\"data\":[" + accepted + "]}";
  return s + "]" + extra + "}";
}

}  // namespace ming::server::routertest
