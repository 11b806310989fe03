// `ming quantize MODEL.ming --data CALIB.csv -o MODEL_INT8.ming [--json]`: post-training int8
// quantisation. The hidden layers become int8 (per-output-channel weight scales, input
// ranges calibrated on the training rows of --data); the report compares the dense frozen
// model with the int8 one: sizes, validation/test metrics, agreement and latency.
#include <cstdio>

#include "cli.h"
#include "compress/model_data.h"
#include "compress/quantize.h"
#include "compress_report.h"
#include "runtime/model_impl.h"
#include "util/file.h"

namespace ming::cli {
namespace {

using nlohmann::json;

struct QuantizeFlags {
  std::string model, data, val, test, out, delimiter = ",";
  int64_t calibration_rows = 2000;
  double bench_seconds = 0.3;
  int threads = 0;
  bool json = false;
};

// Every stride-th training row, up to n of them (the split's order is already shuffled, the
// stride keeps the sample spread over it anyway).
std::vector<float> CalibrationRows(const Dataset& d, int64_t n, int64_t* rows) {
  const int64_t stride = std::max<int64_t>(1, d.rows / std::max<int64_t>(1, n));
  std::vector<float> X;
  *rows = 0;
  for (int64_t r = 0; r < d.rows && *rows < n; r += stride, ++*rows) {
    X.insert(X.end(), d.X.begin() + r * d.features, d.X.begin() + (r + 1) * d.features);
  }
  return X;
}

// Share of rows on which both models predict the same class (classification), or the
// largest and mean absolute difference of the predicted values (regression).
json Agreement(const ModelData& a, const ModelData& b, const Dataset& d) {
  if (d.rows == 0) return json::object();
  const int O = a.net.outputs;
  std::vector<float> oa(static_cast<size_t>(d.rows * O)), ob(oa.size());
  RunPlan(MakePlan(a), d.X.data(), d.rows, oa.data(), 0);
  RunPlan(MakePlan(b), d.X.data(), d.rows, ob.data(), 0);
  std::vector<float> probs(std::max<size_t>(2, static_cast<size_t>(O)));
  int64_t same = 0;
  double max_diff = 0, sum_diff = 0;
  for (int64_t r = 0; r < d.rows; ++r) {
    double va, vb;
    int ca, cb;
    OutputsToPrediction(a, &oa[static_cast<size_t>(r * O)], probs.data(), &va, &ca);
    OutputsToPrediction(b, &ob[static_cast<size_t>(r * O)], probs.data(), &vb, &cb);
    same += ca == cb;
    if (ca < 0) {
      max_diff = std::max(max_diff, std::fabs(va - vb));
      sum_diff += std::fabs(va - vb);
    }
  }
  if (a.pre.label().task == Task::kRegression) {
    return {{"max_abs_diff", max_diff}, {"mean_abs_diff", sum_diff / static_cast<double>(d.rows)}, {"rows", d.rows}};
  }
  return {{"same_class", static_cast<double>(same) / static_cast<double>(d.rows)}, {"rows", d.rows}};
}

int RunQuantize(const QuantizeFlags& f) {
  if (f.calibration_rows < 1) return Fail(Status::InvalidInput("--calibration-rows must be >= 1"));
  if (!(f.bench_seconds >= 0 && f.bench_seconds <= 60)) return Fail(Status::InvalidInput("--bench-seconds must be in [0, 60]"));
  auto delim = ParseDelimiter(f.delimiter);
  if (!delim.ok()) return Fail(delim.status());
  auto model = LoadModel(f.model);
  if (!model.ok()) return Fail(model.status());
  if (IsQuantized(*model)) return Fail(Status::InvalidInput(f.model + ": the model is already quantised to int8"));
  auto data = EncodeForModel(*model, f.data, f.val, f.test, CsvOptions{*delim});
  if (!data.ok()) return Fail(data.status());
  if (data->train.rows == 0) return Fail(Status::InvalidInput(f.data + ": no calibration rows"));
  int64_t rows = 0;
  const std::vector<float> X = CalibrationRows(data->train, f.calibration_rows, &rows);
  auto q = QuantizeModel(*model, X.data(), rows, data->train.features);
  if (!q.ok()) return Fail(q.status().Prefixed(f.model));
  const ModelData dense = FreezeModel(*model);
  const ReportOptions ropts{&data->val, &data->test, f.bench_seconds, f.threads};
  json report = {{"model", f.model}, {"output", f.out}, {"calibration_rows", rows}};
  report["before"] = DescribeModel(dense, ropts);
  report["after"] = DescribeModel(*q, ropts);
  report["dense_frozen"] = report["before"];
  report["agreement"] = {{"validation", Agreement(dense, *q, data->val)}, {"test", Agreement(dense, *q, data->test)}};
  if (report["agreement"]["test"].contains("same_class")) report["agreement_test"] = report["agreement"]["test"]["same_class"];
  q->info["quantization"] = {{"from", f.model}, {"calibration_rows", rows}, {"weights", "int8 per output channel"},
                             {"inputs", "uint8, one calibrated range per layer"}, {"output_layer", "float32"}};
  q->info["metrics"] = report["after"]["metrics"];
  const std::string bytes = SerializeModel(*q);
  Status st = WriteFileAtomic(f.out, bytes);
  if (!st.ok()) return Fail(st);
  report["after"]["file_bytes"] = bytes.size();
  if (f.json) {
    std::printf("%s\n", report.dump().c_str());
    return 0;
  }
  std::printf("calibrated on %lld training rows of %s\n", static_cast<long long>(rows), f.data.c_str());
  PrintBeforeAfter(report["before"], report["after"]);
  for (const char* split : {"validation", "test"}) {
    const json& a = report["agreement"][split];
    if (a.contains("same_class")) {
      std::printf("%-10s same class as the float model on %.2f%% of %lld rows\n", split, 100 * a["same_class"].get<double>(),
                  a["rows"].get<long long>());
    } else if (a.contains("max_abs_diff")) {
      std::printf("%-10s value differs from the float model by %.4g at most, %.4g on average\n", split,
                  a["max_abs_diff"].get<double>(), a["mean_abs_diff"].get<double>());
    }
  }
  std::printf("wrote %s\n", f.out.c_str());
  return 0;
}

}  // namespace

Runner AddQuantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Post-training int8 quantisation, calibrated on data");
  auto f = std::make_shared<QuantizeFlags>();
  cmd->add_option("model", f->model, "Model file (trained or frozen float)")->required();
  cmd->add_option("--data", f->data, "Labelled CSV; calibration uses the model's training rows of it")->required();
  cmd->add_option("--val", f->val, "Validation CSV (instead of the model's validation split)");
  cmd->add_option("--test", f->test, "Test CSV (instead of the model's test split)");
  cmd->add_option("-o,--output", f->out, "Quantised model file")->required();
  cmd->add_option("--calibration-rows", f->calibration_rows, "Training rows used for calibration")->capture_default_str();
  cmd->add_option("--bench-seconds", f->bench_seconds, "Seconds per latency measurement in the report (0: none)")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Threads for metrics (0: all cores)");
  cmd->add_option("--delimiter", f->delimiter, "CSV field delimiter")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as one JSON object");
  return [f] { return RunQuantize(*f); };
}

}  // namespace ming::cli
