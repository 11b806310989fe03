// Latency and throughput of a model's inference path, the way onnxruntime_perf_test or
// trtexec report them: single-row latency percentiles through the public API
// (Session::Predict, raw cells in, prediction out) and through the plan alone (encoded row
// in, network outputs out), and batch throughput of the plan on encoded rows. Used by
// `ming bench` and by the prune and quantize reports.
// Thread-safety: BenchmarkModel runs its own threads; call it from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ming/ming.h"

namespace ming {

struct BenchOptions {
  int batch = 1024;          // rows per batch call
  int threads = 1;           // threads for batch calls (single rows use one)
  double seconds = 1.0;      // time budget per measurement (after a warm-up)
  int max_samples = 200000;  // single-row samples kept at most
};

struct LatencyStats {
  double p50_us = 0, p90_us = 0, p99_us = 0, mean_us = 0;
  int64_t samples = 0;
};

struct BenchResult {
  LatencyStats predict;      // Session::Predict on raw cells, one row per call
  LatencyStats plan;         // Plan::Run on one encoded row per call
  LatencyStats batch;        // one batch of `batch` encoded rows per call
  double batch_rows_per_s = 0;
  int batch_size = 0, threads = 0;
};

// Rows of raw cells (fields() order) to drive the benchmark with: `rows` rows drawn from
// the preprocessing's own statistics (numbers from their training mean and spread,
// categories uniformly, booleans by their training frequency), seeded.
std::vector<std::vector<std::string>> SyntheticRows(const Model& model, int rows, uint64_t seed);

// REQUIRES: rows non-empty, each with fields().size() cells. Errors: a row the model
// rejects (names the row and field), options out of range.
Result<BenchResult> BenchmarkModel(const std::shared_ptr<const Model>& model,
                                   const std::vector<std::vector<std::string>>& rows,
                                   const BenchOptions& opts);

nlohmann::json ToJson(const BenchResult& r);

}  // namespace ming
