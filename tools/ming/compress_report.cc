// Building and printing the before/after report of prune and quantize.
#include "compress_report.h"

#include <cstdio>

#include "model_summary.h"
#include "runtime/benchmark.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"

namespace ming::cli {
namespace {

// Bytes of the weight matrices as stored (trained form: float32 each).
uint64_t WeightBytes(const ModelData& m) {
  uint64_t n = 0;
  if (!m.frozen) {
    for (const LayerSummary& l : Summarise(m, 0).layers) n += static_cast<uint64_t>(l.weights) * 4;
    return n;
  }
  for (const FrozenLayer& L : m.layers) {
    switch (L.form) {
      case WeightForm::kSparse: n += EncodeSparse(L.sparse).size(); break;
      case WeightForm::kInt8: n += EncodeInt8(L.int8).size(); break;
      default: n += L.W.size() * 4;
    }
  }
  return n;
}

nlohmann::json Bench(const ModelData& m, double seconds) {
  auto model = std::make_shared<const Model>(std::make_unique<ModelImpl>(m));
  BenchOptions o;
  o.seconds = seconds;
  auto r = BenchmarkModel(model, SyntheticRows(*model, 1024, 1), o);
  return r.ok() ? ToJson(*r) : nlohmann::json{{"error", r.status().message()}};
}

void PrintMetric(const char* split, const nlohmann::json& b, const nlohmann::json& a) {
  if (!b.contains(split) || !a.contains(split)) return;
  for (const char* k : {"accuracy", "auc", "f1", "log_loss", "rmse", "mae", "r2"}) {
    if (!b[split].contains(k)) continue;
    const double x = b[split][k].get<double>(), y = a[split][k].get<double>();
    std::printf("%-10s %-9s %10.4f -> %-10.4f (%+.4f)\n", split, k, x, y, y - x);
  }
}

void PrintLatency(const char* what, const char* key, const nlohmann::json& b, const nlohmann::json& a) {
  if (!b.contains(key) || !a.contains(key)) return;
  const double x = b[key]["p50_us"].get<double>(), y = a[key]["p50_us"].get<double>();
  std::printf("%-28s p50 %9.3f -> %-9.3f us  (%.2fx faster)\n", what, x, y, y > 0 ? x / y : 0.0);
}

}  // namespace

nlohmann::json DescribeModel(const ModelData& m, const ReportOptions& opts) {
  nlohmann::json j = ToJson(Summarise(m, SerializeModel(m).size()));
  j["weight_bytes"] = WeightBytes(m);
  nlohmann::json metrics = nlohmann::json::object();
  if (opts.val && opts.val->rows > 0) metrics["validation"] = EvaluateEncoded(m, *opts.val, opts.threads);
  if (opts.test && opts.test->rows > 0) metrics["test"] = EvaluateEncoded(m, *opts.test, opts.threads);
  j["metrics"] = metrics;
  if (opts.bench_seconds > 0) j["bench"] = Bench(m, opts.bench_seconds);
  return j;
}

void PrintBeforeAfter(const nlohmann::json& before, const nlohmann::json& after) {
  auto summary = [](const nlohmann::json& j) {
    ModelSummary s;
    s.form = j["form"];
    s.params = j["params"];
    s.nonzeros = j["nonzero_weights"];
    s.file_bytes = j["file_bytes"];
    for (const auto& l : j["layers"]) {
      s.layers.push_back({l["in"], l["out"], l["params"], l["weights"], l["nonzeros"], l["form"], ""});
    }
    return s;
  };
  PrintComparison(summary(before), summary(after));
  std::printf("weights %llu -> %llu bytes (%.2fx smaller)\n", before["weight_bytes"].get<unsigned long long>(),
              after["weight_bytes"].get<unsigned long long>(),
              before["weight_bytes"].get<double>() / std::max(1.0, after["weight_bytes"].get<double>()));
  PrintMetric("validation", before["metrics"], after["metrics"]);
  PrintMetric("test", before["metrics"], after["metrics"]);
  if (before.contains("bench") && after.contains("bench")) {
    PrintLatency("single row, Session::Predict", "single_row_predict", before["bench"], after["bench"]);
    PrintLatency("single row, plan only", "single_row_plan", before["bench"], after["bench"]);
    PrintLatency("batch 1024, 1 thread", "batch", before["bench"], after["bench"]);
  }
}

}  // namespace ming::cli
