// Routes HTTP requests to the Open Inference Protocol (v2) endpoints, the v1 rows endpoint,
// /metrics and the repository admin endpoints; maps Status codes to HTTP codes (400 bad
// request, 404 unknown model/version/path, 413 too large, 503 not ready or overloaded) with
// the protocol's {"error": "..."} body. Inference runs inline, or through the Batcher for
// single-row requests when batching is on (explain requests always run inline).
// Thread-safety: Handle is called concurrently from the HTTP event threads.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/batcher.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/model_store.h"

namespace ming::server {

struct RouterOptions {
  int64_t max_rows = 4096;   // rows per infer/predict request
  int64_t max_explain_rows = 256;  // rows per request with explain (about 1 ms a row)
  std::string admin_token;   // "" disables the admin endpoints
  int max_batch = 32;        // dynamic batching (max_delay_us 0: off)
  int max_delay_us = 0;
  int max_queue = 4096;      // queued single-row requests before 503
};

class Router : public Handler {
 public:
  Router(ModelStore& store, RouterOptions opts);
  ~Router() override;
  // The server whose in-flight count and draining state /metrics and ready report.
  void set_http(const HttpServer* http) { http_ = http; }
  void Handle(const HttpRequest& req, Reply reply) override;
  Metrics& metrics() { return metrics_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Ctx {
    const HttpRequest* req;
    Reply reply;
    Clock::time_point start;
    std::string model;  // for metrics: a known model's name, else ""
  };
  void Route(Ctx& c, const std::vector<std::string_view>& seg);
  void RouteModel(Ctx& c, const std::vector<std::string_view>& seg);
  void Infer(Ctx& c, std::string_view name, std::string_view version);
  void Predict(Ctx& c, std::string_view name);
  void Admin(Ctx& c, const std::vector<std::string_view>& seg);
  void Ready(Ctx& c);
  void FinishBatched(BatchItem& item, const float* out, int batch_rows);

  void Send(Ctx& c, int code, std::string body, int64_t header_len = -1,
            const char* type = "application/json");
  void Error(Ctx& c, int code, std::string_view message);
  void NotAllowed(Ctx& c, const char* allow);  // 405 with the Allow header
  void ErrorWith(Ctx& c, int code, std::string_view message, const char* name, const char* value);
  void Fail(Ctx& c, const Status& st);
  // Rows a request may carry: fewer when it asks for explanations.
  int64_t RowLimit(const InferRequest& req) const {
    return req.explain ? std::min(opts_.max_rows, opts_.max_explain_rows) : opts_.max_rows;
  }

  ModelStore& store_;
  RouterOptions opts_;
  Metrics metrics_;
  std::unique_ptr<Batcher> batcher_;
  const HttpServer* http_ = nullptr;
};

// Server and model metadata bodies (metadata.cc).
std::string ServerMetadata();
std::string ModelMetadata(const ModelStore::Snapshot& snap, const ServedModel& m);

}  // namespace ming::server
