// Router::Handle in-process: which method/path combinations reach which endpoint (405 with
// Allow, 404, 501, HEAD), model and version paths, readiness with no model or a model that
// failed to load, and the admin endpoints (token checks, index, load/unload, single file).
#include <gtest/gtest.h>

#include "router_util.h"

namespace ming::server::routertest {
namespace {

using nlohmann::json;

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Endpoints that take only GET/HEAD answer other known methods 405 with "Allow: GET, HEAD".
TEST(RouterPaths, GetOnlyEndpointsAnswer405WithAllow) {
  Served s({"tiny"});
  for (const char* m : {"POST", "PUT", "DELETE"}) {
    for (const char* p : {"/metrics", "/v2", "/v2/health/live", "/v2/health/ready"}) {
      const Answer a = s.Send({m, p});
      EXPECT_EQ(a.status, 405) << m << " " << p;
      EXPECT_EQ(a.extra_name, "Allow");
      EXPECT_EQ(a.extra_value, "GET, HEAD");
      EXPECT_EQ(a.Error(), std::string(p) + " takes GET, HEAD, not " + m);
    }
  }
}

// A method HTTP does not define is 501 whatever the path.
TEST(RouterPaths, UnknownMethodIs501) {
  Served s({"tiny"});
  const Answer a = s.Send({"BREW", "/v2/models/tiny"});
  EXPECT_EQ(a.status, 501);
  EXPECT_EQ(a.Error(), "method BREW is not implemented");
}

// HEAD is answered like GET on every GET endpoint (the HTTP layer drops the body).
TEST(RouterPaths, HeadIsServedLikeGet) {
  Served s({"tiny"});
  const Answer m = s.Send({"HEAD", "/metrics"});
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(Has(m.body, "ming_")) << m.body;
  EXPECT_EQ(s.Send({"HEAD", "/v2"}).Json()["name"], "ming");
  EXPECT_EQ(s.Send({"HEAD", "/v2/health/live"}).body, "{\"live\":true}");
  EXPECT_EQ(s.Send({"HEAD", "/v2/models/tiny"}).Json()["name"], "tiny");
  EXPECT_EQ(s.Send({"HEAD", "/v2/models/tiny/ready"}).status, 200);
}

// Paths that no endpoint takes are 404 "no endpoint ..." for every method.
TEST(RouterPaths, UnknownPathsAre404) {
  Served s({"tiny"});
  for (const char* p : {"/", "/v2/health/dead", "/v2/health", "/v2/models", "/v2/nothing/x/y",
                        "/v1/models/tiny", "/v1/models/tiny/predict/more", "/v1/x/tiny/predict",
                        "/v2/models/tiny/foo", "/v2/models/tiny/ready/more",
                        "/v2/models/tiny/versions/1/foo", "/v2/models/tiny/versions/1/infer/x",
                        "/metrics/x"}) {
    const Answer a = s.Get(p);
    EXPECT_EQ(a.status, 404) << p;
    EXPECT_TRUE(Has(a.Error(), "no endpoint")) << p << ": " << a.body;
  }
  EXPECT_EQ(s.Post("/v2/health/dead").Error(), "no endpoint POST /v2/health/dead");
}

// Per-model endpoints: infer takes POST only, metadata and ready GET/HEAD only.
TEST(RouterPaths, ModelEndpointMethods) {
  Served s({"tiny"});
  Answer a = s.Get("/v2/models/tiny/infer");
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.extra_value, "POST");
  a = s.Post("/v2/models/tiny");
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.extra_value, "GET, HEAD");
  EXPECT_EQ(s.Send({"DELETE", "/v2/models/tiny/versions/1/ready"}).status, 405);
  a = s.Get("/v1/models/tiny/predict");
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.extra_value, "POST");
  EXPECT_EQ(a.Error(), "/v1/models/tiny/predict takes POST, not GET");
}

// Model names outside [A-Za-z0-9_.-] (or "..") are 400 on v2 and v1 alike.
TEST(RouterPaths, InvalidModelNamesAre400) {
  Served s({"tiny"});
  for (const char* p : {"/v2/models/../ready", "/v2/models/a b", "/v2/models/a$b/versions/1"}) {
    const Answer a = s.Get(p);
    EXPECT_EQ(a.status, 400) << p;
    EXPECT_TRUE(Has(a.Error(), "invalid model name")) << a.body;
  }
  const Answer v1 = s.Post("/v1/models/../predict", "[{}]");
  EXPECT_EQ(v1.status, 400);
  EXPECT_EQ(v1.Error(), "invalid model name '..'");
}

// Versioned paths: a present version is served, a missing or non-canonical one is 404.
TEST(RouterPaths, VersionPaths) {
  Served s({"tiny"});
  Answer a = s.Get("/v2/models/tiny/versions/1");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.Json()["versions"], json::array({"1"}));
  EXPECT_EQ(s.Get("/v2/models/tiny/versions/1/ready").body, "{\"ready\":true}");
  for (const char* v : {"2", "01", "x"}) {
    a = s.Get(std::string("/v2/models/tiny/versions/") + v);
    EXPECT_EQ(a.status, 404) << v;
    EXPECT_EQ(a.Error(), std::string("model 'tiny' has no version '") + v + "'");
    EXPECT_EQ(s.Get(std::string("/v2/models/tiny/versions/") + v + "/ready").status, 404) << v;
  }
  EXPECT_EQ(s.Post("/v2/models/tiny/versions/1/infer", InferBody(1)).status, 200);
  a = s.Post("/v2/models/tiny/versions/3/infer", InferBody(1));
  EXPECT_EQ(a.status, 404);
  a = s.Get("/v2/models/nope/ready");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.Error(), "unknown model 'nope'");
}

// Server readiness: no model at all, or one that failed to load, is 503 {"ready":false}.
TEST(RouterReady, NotReadyWithoutModelsOrWithAFailedLoad) {
  ModelStore empty;
  Router r(empty, {});
  Answer a = Get(r, "/v2/health/ready");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "{\"ready\":false}");
  EXPECT_EQ(Get(r, "/v2/health/live").status, 200);  // live even so

  Served ok({"tiny", "reg"});
  EXPECT_EQ(ok.Get("/v2/health/ready").body, "{\"ready\":true}");

  Served broken({"tiny", "broken"});
  EXPECT_EQ(broken.Get("/v2/health/ready").status, 503);
  a = broken.Get("/v2/models/broken/ready");  // known name, no loaded version
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "{\"ready\":false}");
  a = broken.Get("/v2/models/broken");
  EXPECT_EQ(a.status, 503);
  EXPECT_TRUE(Has(a.Error(), "model 'broken' is not available")) << a.body;
  EXPECT_EQ(broken.Post("/v2/models/broken/infer", InferBody(1)).status, 503);
  EXPECT_EQ(broken.Post("/v1/models/broken/predict", "[{}]").status, 503);
  EXPECT_EQ(broken.Get("/v2/models/tiny/ready").status, 200);
}

// While the HTTP server drains, readiness turns 503 though every model is loaded; /metrics
// still renders with the server's edge counters.
TEST(RouterReady, NotReadyWhileDraining) {
  Served s({"tiny"});
  HttpOptions ho;
  ho.port = 0;
  HttpServer http(ho, s.router.get());
  ASSERT_TRUE(http.Start().ok());
  s.router->set_http(&http);
  EXPECT_EQ(s.Get("/v2/health/ready").status, 200);
  EXPECT_TRUE(http.Drain(1000));
  ASSERT_TRUE(http.draining());
  const Answer a = s.Get("/v2/health/ready");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body, "{\"ready\":false}");
  EXPECT_EQ(s.Get("/v2/models/tiny/ready").status, 200);  // the model itself still is
  const Answer m = s.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_TRUE(Has(m.body, "\nming_requests_in_flight 0\n")) << m.body;
}

// Without --admin-token every admin path is 403, whatever the credentials.
TEST(RouterAdmin, DisabledWithoutToken) {
  Served s({"tiny"});
  const Answer a = s.Send({"POST", "/v2/repository/index", "", "Bearer "});
  EXPECT_EQ(a.status, 403);
  EXPECT_TRUE(Has(a.Error(), "admin endpoints are disabled")) << a.body;
}

// The Authorization header must be exactly "Bearer <token>": shorter, longer, other scheme
// or case are 401 with WWW-Authenticate: Bearer.
TEST(RouterAdmin, TokenMustMatchExactly) {
  RouterOptions o;
  o.admin_token = "tok";
  Served s({"tiny"}, o);
  for (const char* auth : {"", "Bearer", "Bearer to", "Bearer tokX", "Bearer tok ", "bearer tok",
                           "Basic tok", "Bearer tOk", "Bearer tokBearer tok"}) {
    const Answer a = s.Send({"POST", "/v2/repository/index", "", auth});
    EXPECT_EQ(a.status, 401) << "'" << auth << "'";
    EXPECT_EQ(a.extra_name, "WWW-Authenticate");
    EXPECT_EQ(a.extra_value, "Bearer");
  }
  EXPECT_EQ(s.Send({"POST", "/v2/repository/index", "", "Bearer tok"}).status, 200);
}

// Admin paths: POST only (405 after the token check), unknown ones 404.
TEST(RouterAdmin, MethodsAndUnknownPaths) {
  RouterOptions o;
  o.admin_token = "tok";
  Served s({"tiny"}, o);
  Answer a = s.Send({"GET", "/v2/repository/index", "", "Bearer tok"});
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.extra_value, "POST");
  for (const char* p : {"/v2/repository/indexes", "/v2/repository/models/tiny",
                        "/v2/repository/models/tiny/reload", "/v2/repository/things/tiny/load",
                        "/v2/repository/models/tiny/load/now"}) {
    a = s.Send({"POST", p, "", "Bearer tok"});
    EXPECT_EQ(a.status, 404) << p;
    EXPECT_EQ(a.Error(), std::string("no endpoint ") + p);
  }
}

// The index lists every version with its state, and the load error of one that failed.
TEST(RouterAdmin, IndexListsStatesAndReasons) {
  RouterOptions o;
  o.admin_token = "tok";
  Served s({"tiny", "broken"}, o);
  const Answer a = s.Send({"POST", "/v2/repository/index", "", "Bearer tok"});
  ASSERT_EQ(a.status, 200);
  const json j = a.Json();
  ASSERT_EQ(j.size(), 2u) << a.body;
  for (const json& e : j) {
    if (e["name"] == "tiny") {
      EXPECT_EQ(e["state"], "READY");
      EXPECT_EQ(e["version"], "1");
      EXPECT_FALSE(e.contains("reason"));
    } else {
      EXPECT_EQ(e["name"], "broken");
      EXPECT_EQ(e["state"], "UNAVAILABLE");
      EXPECT_FALSE(e["reason"].get<std::string>().empty());
    }
  }
}

// Unload stops serving a model until Load; unknown and invalid names are refused.
TEST(RouterAdmin, UnloadThenLoad) {
  RouterOptions o;
  o.admin_token = "tok";
  Served s({"tiny"}, o);
  auto admin = [&](const std::string& p) { return s.Send({"POST", p, "", "Bearer tok"}); };
  Answer a = admin("/v2/repository/models/tiny/unload");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "{}");
  EXPECT_EQ(s.Get("/v2/models/tiny").status, 404);
  EXPECT_EQ(admin("/v2/repository/models/tiny/unload").status, 404);
  EXPECT_EQ(admin("/v2/repository/models/tiny/load").status, 200);
  EXPECT_EQ(s.Get("/v2/models/tiny").status, 200);
  a = admin("/v2/repository/models/nope/load");
  EXPECT_EQ(a.status, 404);
  EXPECT_TRUE(Has(a.Error(), "model 'nope' has no NAME/VERSION/model.ming")) << a.body;
  a = admin("/v2/repository/models/../load");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Error(), "invalid model name '..'");
}

// A server started on one model file has nothing to load or unload: 400.
TEST(RouterAdmin, SingleFileServerRefusesLoad) {
  const std::string dir = Repo({"tiny"});
  ModelStore store;
  ASSERT_TRUE(store.OpenFile(dir + "/tiny/1/model.ming").ok());
  RouterOptions o;
  o.admin_token = "tok";
  Router r(store, o);
  for (const char* op : {"load", "unload"}) {
    const Answer a = Send(r, {"POST", std::string("/v2/repository/models/model/") + op, "", "Bearer tok"});
    EXPECT_EQ(a.status, 400) << op;
    EXPECT_EQ(a.Error(), "the server serves one model file, not a repository");
  }
  EXPECT_EQ(Get(r, "/v2/models/model").status, 200);  // still served
}

}  // namespace
}  // namespace ming::server::routertest
