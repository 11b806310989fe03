// The before/after report of `ming prune` and `ming quantize`: per model its size summary,
// weight bytes, validation/test metrics and single-row/batch latency (ming bench's
// measurements), printed side by side or as JSON.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/model_file.h"
#include "train/trainer.h"

namespace ming::cli {

struct ReportOptions {
  const Dataset* val = nullptr;   // metrics on each split that is given and non-empty
  const Dataset* test = nullptr;
  double bench_seconds = 0.5;     // per latency measurement; 0 = no latency figures
  int threads = 0;                // for metrics
};

// {"form", "params", "nonzero_weights", "file_bytes", "weight_bytes", "layers",
//  "metrics": {"validation", "test"}, "bench": {...}}
nlohmann::json DescribeModel(const ModelData& m, const ReportOptions& opts);

// Prints the layer table, sizes, metrics and latency of `before` -> `after`.
void PrintBeforeAfter(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace ming::cli
