// Metric accounting and the Prometheus text rendering.
#include "server/metrics.h"

#include <charconv>

#include "server/model_store.h"

namespace ming::server {
namespace {

std::string Escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

std::string Num(double v) {  // shortest text that reads back exactly
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void Head(std::string& o, const char* name, const char* type, const char* help) {
  o += "# HELP ";
  o += name;
  o += ' ';
  o += help;
  o += "\n# TYPE ";
  o += name;
  o += ' ';
  o += type;
  o += '\n';
}

template <size_t N, class H>
void RenderHistogram(std::string& o, const char* name, const std::string& labels, const H& h,
                     const std::array<double, N>& bounds) {
  uint64_t cum = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < N; ++i) {
    cum += h.buckets[i];
    o += std::string(name) + "_bucket{" + labels + sep + "le=\"" + Num(bounds[i]) + "\"} " + std::to_string(cum) + "\n";
  }
  o += std::string(name) + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  const std::string l = labels.empty() ? "" : "{" + labels + "}";
  o += std::string(name) + "_sum" + l + " " + Num(h.sum) + "\n";
  o += std::string(name) + "_count" + l + " " + std::to_string(h.count) + "\n";
}

}  // namespace

template <size_t N>
void Metrics::Histogram<N>::Add(double v, const std::array<double, N>& bounds) {
  size_t i = 0;
  while (i < N && v > bounds[i]) ++i;
  if (i < N) ++buckets[i];
  ++count;
  sum += v;
}

void Metrics::Request(std::string_view model, int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = models_.find(model);
  if (it == models_.end()) it = models_.emplace(std::string(model), PerModel{}).first;
  ++it->second.codes[code];
  it->second.latency.Add(seconds, kLatency);
}

void Metrics::Batch(int rows) {
  std::lock_guard<std::mutex> lock(mu_);
  batches_.Add(rows, kBatch);
}

std::string Metrics::Render(const ModelStore& store, const EdgeStats& edge, int64_t queue_depth) const {
  std::string o;
  std::lock_guard<std::mutex> lock(mu_);
  Head(o, "ming_requests_total", "counter", "HTTP requests answered, by model and status code.");
  for (const auto& [m, pm] : models_) {
    for (const auto& [code, n] : pm.codes) {
      o += "ming_requests_total{model=\"" + Escape(m) + "\",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
  }
  Head(o, "ming_request_failures_total", "counter", "HTTP requests answered with a 4xx or 5xx code, by model and code.");
  for (const auto& [m, pm] : models_) {
    for (const auto& [code, n] : pm.codes) {
      if (code < 400) continue;
      o += "ming_request_failures_total{model=\"" + Escape(m) + "\",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) + "\n";
    }
  }
  Head(o, "ming_request_duration_seconds", "histogram", "Time from request headers to the queued response, by model.");
  for (const auto& [m, pm] : models_) {
    RenderHistogram(o, "ming_request_duration_seconds", "model=\"" + Escape(m) + "\"", pm.latency, kLatency);
  }
  Head(o, "ming_batch_size_rows", "histogram", "Rows per batch run by the dynamic batcher.");
  RenderHistogram(o, "ming_batch_size_rows", "", batches_, kBatch);
  Head(o, "ming_batch_queue_depth", "gauge", "Requests waiting in the dynamic batching queue.");
  o += "ming_batch_queue_depth " + std::to_string(queue_depth) + "\n";
  Head(o, "ming_requests_in_flight", "gauge", "Requests received and not yet answered.");
  o += "ming_requests_in_flight " + std::to_string(edge.in_flight) + "\n";
  Head(o, "ming_connections_open", "gauge", "Client connections the HTTP event threads hold open.");
  o += "ming_connections_open " + std::to_string(edge.connections) + "\n";
  Head(o, "ming_connections_refused_total", "counter",
       "Connections answered 503 + Retry-After at accept without being read: every event thread overloaded (its loop lagging), or --max-connections open.");
  o += "ming_connections_refused_total " + std::to_string(edge.refused) + "\n";
  Head(o, "ming_event_threads_overloaded", "gauge",
       "HTTP event threads whose loop lag has stayed over --overload-lag-ms for --overload-interval-ms.");
  o += "ming_event_threads_overloaded " + std::to_string(edge.overloaded_threads) + "\n";
  Head(o, "ming_model_ready", "gauge", "1 for each loaded model version; 0 for a model whose last load failed.");
  for (const ModelState& s : store.States()) {
    o += "ming_model_ready{model=\"" + Escape(s.name) + "\",version=\"" + Escape(s.version) + "\"} " + (s.ready ? "1" : "0") + "\n";
  }
  return o;
}

}  // namespace ming::server
