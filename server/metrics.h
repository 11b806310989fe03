// Prometheus metrics of the server: requests and failures per model and status code,
// latency histograms per model, the dynamic batcher's batch sizes and queue depth, model
// load state. Rendered in the Prometheus text exposition format (version 0.0.4).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace ming::server {

class ModelStore;

// What the HTTP edge reports about itself.
struct EdgeStats {
  int64_t in_flight = 0;           // requests received and not yet answered
  int64_t connections = 0;         // client connections the event threads hold open now
  int64_t refused = 0;             // connections answered 503 at accept (never reach Request())
  int64_t overloaded_threads = 0;  // event threads overloaded now (overload.h)
};

class Metrics {
 public:
  // One finished request on `model` ("" when it named no known model) with HTTP `code`.
  void Request(std::string_view model, int code, double seconds);
  // One batch of `rows` run by the dynamic batcher.
  void Batch(int rows);

  std::string Render(const ModelStore& store, const EdgeStats& edge, int64_t queue_depth) const;

  static constexpr std::array<double, 13> kLatency = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};
  static constexpr std::array<double, 9> kBatch = {1, 2, 4, 8, 16, 32, 64, 128, 256};

 private:
  template <size_t N>
  struct Histogram {
    std::array<uint64_t, N> buckets{};  // non-cumulative; rendered cumulative
    uint64_t count = 0;
    double sum = 0;
    void Add(double v, const std::array<double, N>& bounds);
  };
  struct PerModel {
    std::map<int, uint64_t> codes;
    Histogram<kLatency.size()> latency;
  };
  mutable std::mutex mu_;
  std::map<std::string, PerModel, std::less<>> models_;
  Histogram<kBatch.size()> batches_;
};

}  // namespace ming::server
