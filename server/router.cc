// Request routing and the inference endpoints (see router.h).
#include "server/router.h"

#include <exception>

#include "runtime/model_impl.h"
#include "server/infer.h"
#include "server/json_out.h"
#include "server/v1_json.h"
#include "server/v2_json.h"

namespace ming::server {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> seg;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) seg.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return seg;
}

int HttpCode(const Status& st) {
  switch (st.code()) {
    case StatusCode::kNotFound: return 404;
    // The prefix only: a field or input name the client sent may contain the same words.
    case StatusCode::kInvalidInput: return st.message().rfind("too many rows", 0) == 0 ? 413 : 400;
    case StatusCode::kRuntime: return 503;
    default: return 500;
  }
}

thread_local Workspace tls_ws;

// RFC 9110 section 9: the methods HTTP defines. Others are answered 501 (15.6.2: the
// method is not recognised); defined ones that an endpoint does not take, 405 with Allow.
bool KnownMethod(std::string_view m) {
  for (std::string_view k : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    if (m == k) return true;
  }
  return false;
}

// Compares a presented Authorization header with "Bearer <token>" in time that depends only
// on their lengths, so response timing does not reveal how many leading bytes matched.
bool SameSecret(std::string_view got, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  unsigned diff = got.size() != kScheme.size() + token.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const char want = i < kScheme.size() ? kScheme[i] : i - kScheme.size() < token.size() ? token[i - kScheme.size()] : 0;
    diff |= static_cast<unsigned char>(got[i] ^ want);
  }
  return diff == 0;
}

}  // namespace

Router::Router(ModelStore& store, RouterOptions opts) : store_(store), opts_(std::move(opts)) {
  if (opts_.max_delay_us > 0) {
    batcher_ = std::make_unique<Batcher>(opts_.max_batch, opts_.max_delay_us, opts_.max_queue,
                                         [this](BatchItem& it, const float* out, int rows) {
                                           FinishBatched(it, out, rows);
                                         });
  }
}

Router::~Router() = default;

void Router::Send(Ctx& c, int code, std::string body, int64_t header_len, const char* type) {
  metrics_.Request(c.model, code, std::chrono::duration<double>(Clock::now() - c.start).count());
  HttpResponse r;
  r.status = code;
  r.body = std::move(body);
  r.content_type = header_len >= 0 ? "application/octet-stream" : type;
  r.inference_header_len = header_len;
  c.reply(std::move(r));
}

void Router::Error(Ctx& c, int code, std::string_view message) { Send(c, code, ErrorBody(message)); }

void Router::ErrorWith(Ctx& c, int code, std::string_view message, const char* name, const char* value) {
  metrics_.Request(c.model, code, std::chrono::duration<double>(Clock::now() - c.start).count());
  HttpResponse r;
  r.status = code;
  r.body = ErrorBody(message);
  r.extra_name = name;
  r.extra_value = value;
  c.reply(std::move(r));
}

void Router::NotAllowed(Ctx& c, const char* allow) {
  ErrorWith(c, 405, std::string(c.req->path) + " takes " + allow + ", not " + std::string(c.req->method), "Allow", allow);
}
void Router::Fail(Ctx& c, const Status& st) { Error(c, HttpCode(st), st.message()); }

void Router::Handle(const HttpRequest& req, Reply reply) {
  Ctx c{&req, std::move(reply), Clock::now(), ""};
  try {
    Route(c, Split(req.path));
  } catch (const std::exception& e) {
    Error(c, 500, std::string("internal error: ") + e.what());
  } catch (...) {
    Error(c, 500, "internal error");
  }
}

void Router::Route(Ctx& c, const std::vector<std::string_view>& seg) {
  const std::string_view m = c.req->method;
  const bool get = m == "GET" || m == "HEAD", post = m == "POST";
  const size_t n = seg.size();
  if (!KnownMethod(m)) return Error(c, 501, "method " + std::string(m) + " is not implemented");
  const bool get_only = (n == 1 && seg[0] == "metrics") || (n == 1 && seg[0] == "v2") ||
                        (n == 3 && seg[0] == "v2" && seg[1] == "health" && (seg[2] == "live" || seg[2] == "ready"));
  if (get_only && !get) return NotAllowed(c, "GET, HEAD");
  if (n == 1 && seg[0] == "metrics" && get) {
    const int64_t q = batcher_ ? batcher_->depth() : 0;
    return Send(c, 200, metrics_.Render(store_, http_ ? http_->stats() : EdgeStats{}, q), -1,
                "text/plain; version=0.0.4; charset=utf-8");
  }
  if (n >= 1 && seg[0] == "v2") {
    if (n == 1 && get) return Send(c, 200, ServerMetadata());
    if (n == 3 && seg[1] == "health" && get) {
      if (seg[2] == "live") return Send(c, 200, "{\"live\":true}");
      if (seg[2] == "ready") return Ready(c);
    }
    if (n >= 3 && seg[1] == "models") return RouteModel(c, seg);
    if (n >= 3 && seg[1] == "repository") return Admin(c, seg);
  }
  if (n == 4 && seg[0] == "v1" && seg[1] == "models" && seg[3] == "predict") {
    return post ? Predict(c, seg[2]) : NotAllowed(c, "POST");
  }
  Error(c, 404, "no endpoint " + std::string(m) + " " + std::string(c.req->path));
}

void Router::Ready(Ctx& c) {
  const bool ready = !(http_ && http_->draining()) && store_.AllReady() && !store_.snapshot()->empty();
  Send(c, ready ? 200 : 503, ready ? "{\"ready\":true}" : "{\"ready\":false}");
}

// /v2/models/{name}[/versions/{v}][/ready|/infer]
void Router::RouteModel(Ctx& c, const std::vector<std::string_view>& seg) {
  const std::string_view name = seg[2];
  if (!ValidModelName(name)) return Error(c, 400, "invalid model name '" + std::string(name) + "'");
  std::string_view version;
  size_t k = 3;
  if (seg.size() >= 5 && seg[3] == "versions") {
    version = seg[4];
    k = 5;
  }
  const std::string_view action = k < seg.size() ? seg[k] : std::string_view();
  if (seg.size() > k + 1 || (k < seg.size() && action != "ready" && action != "infer")) {
    return Error(c, 404, "no endpoint " + std::string(c.req->path));
  }
  const bool post = c.req->method == "POST";
  if (action == "infer") {
    if (!post) return NotAllowed(c, "POST");
    return Infer(c, name, version);
  }
  if (c.req->method != "GET" && c.req->method != "HEAD") return NotAllowed(c, "GET, HEAD");
  auto sm = store_.Find(name, version);
  if (action == "ready") {
    if (!sm.ok() && sm.status().code() == StatusCode::kNotFound) return Fail(c, sm.status());
    c.model = sm.ok() ? std::string(name) : "";
    return Send(c, sm.ok() ? 200 : 503, sm.ok() ? "{\"ready\":true}" : "{\"ready\":false}");
  }
  if (!sm.ok()) return Fail(c, sm.status());
  c.model = std::string(name);
  Send(c, 200, ModelMetadata(*store_.snapshot(), **sm));
}

void Router::Infer(Ctx& c, std::string_view name, std::string_view version) {
  auto found = store_.Find(name, version);
  if (!found.ok()) return Fail(c, found.status());
  std::shared_ptr<const ServedModel> sm = *found;
  c.model = sm->name;
  const Model& m = *sm->model;
  const HttpRequest& hr = *c.req;
  const int64_t ihl = hr.inference_header_len;
  if (ihl == kBadHeader) return Error(c, 400, "Inference-Header-Content-Length must be a non-negative integer");
  if (ihl > static_cast<int64_t>(hr.body.size())) {
    return Error(c, 400, "Inference-Header-Content-Length " + std::to_string(ihl) + " exceeds the body");
  }
  InferRequest req;
  req.model = sm->name;
  req.version = sm->version;
  Status st = ParseInferRequest(hr.body, hr.body.capacity(), ihl >= 0 ? static_cast<size_t>(ihl) : hr.body.size(), &req);
  if (st.ok()) st = CheckOutputs(m, req);
  int64_t rows = 0;
  Workspace& ws = tls_ws;
  if (st.ok()) st = EncodeRequest(m, req, RowLimit(req), ws, &rows);
  if (!st.ok()) return Fail(c, st);
  // Explain requests bypass the batcher: their cost (about 1 ms a row) is the explanation,
  // not the forward pass that batching shares.
  if (batcher_ && rows == 1 && !req.explain) {
    BatchItem item;
    item.model = sm;
    item.x.assign(ws.X.begin(), ws.X.begin() + m.impl().plan.inputs());
    req.inputs.clear();  // their views die with this thread's parse
    req.owned.clear();
    item.req = std::move(req);
    item.reply = std::move(c.reply);
    item.start = c.start;
    if (!batcher_->Submit(item)) {
      c.reply = std::move(item.reply);
      return Error(c, 503, "the batching queue is full; retry later");
    }
    return;
  }
  InferResult res;
  res.model = sm->name;
  res.version = sm->version;
  res.id = req.id;
  RunRows(m, ws.X.data(), rows, ws, &res);
  if (req.explain) {
    st = ExplainRows(sm->model, sm->explainers, ws.X.data(), rows, &res);
    if (!st.ok()) return Fail(c, st);
  }
  std::string body;
  size_t json_len;
  RenderInferResult(m, req, res, &body, &json_len);
  Send(c, 200, std::move(body), json_len == body.size() ? -1 : static_cast<int64_t>(json_len));
}

void Router::FinishBatched(BatchItem& it, const float* out, int batch_rows) {
  if (batch_rows > 0) metrics_.Batch(batch_rows);
  const Model& m = *it.model->model;
  InferResult res;
  res.model = it.model->name;
  res.version = it.model->version;
  res.id = it.req.id;
  SizeResult(m, 1, &res);
  OutputsToResult(m, out, 1, 0, &res);
  std::string body;
  size_t json_len;
  RenderInferResult(m, it.req, res, &body, &json_len);
  Ctx c{nullptr, std::move(it.reply), it.start, it.model->name};
  Send(c, 200, std::move(body), json_len == body.size() ? -1 : static_cast<int64_t>(json_len));
}

void Router::Predict(Ctx& c, std::string_view name) {
  if (!ValidModelName(name)) return Error(c, 400, "invalid model name '" + std::string(name) + "'");
  auto found = store_.Find(name, "");
  if (!found.ok()) return Fail(c, found.status());
  std::shared_ptr<const ServedModel> sm = *found;
  c.model = sm->name;
  const Model& m = *sm->model;
  InferRequest req;
  Workspace& ws = tls_ws;
  int64_t rows = 0;
  Status st = ParseRowsRequest(m, c.req->body, c.req->body.capacity(), &req);
  for (const auto& [key, value] : c.req->query) {
    if (key != "explain") continue;
    if (value != "true" && value != "false" && value != "1" && value != "0" && !value.empty()) {
      return Error(c, 400, "query parameter explain must be true or false, got '" + value + "'");
    }
    req.explain = value != "false" && value != "0";  // a bare ?explain counts as true
  }
  if (st.ok()) st = EncodeRequest(m, req, RowLimit(req), ws, &rows);
  if (!st.ok()) return Fail(c, st);
  InferResult res;
  RunRows(m, ws.X.data(), rows, ws, &res);
  if (req.explain) {
    st = ExplainRows(sm->model, sm->explainers, ws.X.data(), rows, &res);
    if (!st.ok()) return Fail(c, st);
  }
  Send(c, 200, RenderRows(m, res));
}

void Router::Admin(Ctx& c, const std::vector<std::string_view>& seg) {
  if (opts_.admin_token.empty()) return Error(c, 403, "admin endpoints are disabled (start the server with --admin-token)");
  if (!SameSecret(c.req->authorization, opts_.admin_token)) {
    // RFC 9110 15.5.2: a 401 carries the scheme to use.
    return ErrorWith(c, 401, "admin endpoints need 'Authorization: Bearer <token>'", "WWW-Authenticate", "Bearer");
  }
  if (c.req->method != "POST") return NotAllowed(c, "POST");
  if (seg.size() == 3 && seg[2] == "index") {
    std::string o = "[";
    for (const ModelState& s : store_.States()) {
      if (o.size() > 1) o += ',';
      o += "{\"name\":";
      json::String(o, s.name);
      o += ",\"version\":";
      json::String(o, s.version);
      o += s.ready ? ",\"state\":\"READY\"" : ",\"state\":\"UNAVAILABLE\"";
      if (!s.reason.empty()) {
        o += ",\"reason\":";
        json::String(o, s.reason);
      }
      o += '}';
    }
    return Send(c, 200, o + "]");
  }
  if (seg.size() != 5 || seg[2] != "models" || (seg[4] != "load" && seg[4] != "unload")) {
    return Error(c, 404, "no endpoint " + std::string(c.req->path));
  }
  const std::string name(seg[3]);
  if (!ValidModelName(name)) return Error(c, 400, "invalid model name '" + name + "'");
  if (!store_.is_repository()) return Error(c, 400, "the server serves one model file, not a repository");
  Status st = seg[4] == "load" ? store_.Load(name) : store_.Unload(name);
  if (!st.ok()) return Fail(c, st);
  Send(c, 200, "{}");
}

}  // namespace ming::server
