// Metrics of a model on labelled data, through the same inference path as prediction.
#include "train/evaluate.h"

#include <numeric>

#include "runtime/model_impl.h"
#include "runtime/plan.h"
#include "train/metrics.h"

namespace ming {

using nlohmann::json;

std::vector<size_t> AllRows(const CsvTable& t) {
  std::vector<size_t> rows(t.rows());
  std::iota(rows.begin(), rows.end(), size_t{0});
  return rows;
}

Result<Dataset> EncodeDataset(const Preprocessor& pre, const CsvTable& t,
                              const std::vector<size_t>& rows) {
  Dataset d;
  d.rows = static_cast<int64_t>(rows.size());
  d.features = pre.encoded_width();
  d.X.resize(rows.size() * static_cast<size_t>(d.features));
  d.y.resize(rows.size());
  d.slots.resize(rows.size() * static_cast<size_t>(pre.num_embedded()));
  MING_RETURN_IF_ERROR(pre.EncodeInputs(t, rows, d.X.data(), d.slots.data()));
  MING_RETURN_IF_ERROR(pre.EncodeLabels(t, rows, d.y.data()));
  return d;
}

json EvaluateEncoded(const ModelData& m, const Dataset& data, int threads) {
  if (data.rows == 0) return MetricsOfOutputs(m, data, nullptr);
  std::vector<float> out(static_cast<size_t>(data.rows) * static_cast<size_t>(m.net.outputs));
  RunPlan(MakePlan(m), data.X.data(), data.rows, out.data(), threads);
  return MetricsOfOutputs(m, data, out.data());
}

json MetricsOfOutputs(const ModelData& m, const Dataset& data, const float* out) {
  const Task task = m.pre.label().task;
  json j = {{"task", Name(task)}, {"rows", data.rows}};
  if (data.rows == 0) return j;
  const int O = m.net.outputs;
  if (task == Task::kRegression) {
    std::vector<double> pred(static_cast<size_t>(data.rows)), y(static_cast<size_t>(data.rows));
    for (size_t i = 0; i < pred.size(); ++i) {
      pred[i] = m.pre.DecodeValue(out[i]);
      y[i] = m.pre.DecodeValue(data.y[i]);
    }
    RegressionMetrics r = ComputeRegression(pred.data(), y.data(), data.rows);
    j["rmse"] = r.rmse;
    j["mae"] = r.mae;
    j["r2"] = r.r2;
    return j;
  }
  const int C = static_cast<int>(m.pre.label().classes.size());
  std::vector<float> probs(static_cast<size_t>(data.rows) * static_cast<size_t>(C));
  std::vector<int32_t> y(static_cast<size_t>(data.rows));
  for (int64_t i = 0; i < data.rows; ++i) {
    double value;
    int cls;
    OutputsToPrediction(m, out + i * O, &probs[static_cast<size_t>(i * C)], &value, &cls);
    y[static_cast<size_t>(i)] = static_cast<int32_t>(data.y[static_cast<size_t>(i)]);
  }
  ClassificationMetrics c = ComputeClassification(probs.data(), y.data(), data.rows, C);
  j["accuracy"] = c.accuracy;
  j["log_loss"] = c.log_loss;
  j["f1"] = c.f1;
  if (task == Task::kBinary) j["auc"] = c.auc;
  return j;
}

}  // namespace ming
