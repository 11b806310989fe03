// `ming calibrate`: fit calibration and, optionally, the decision threshold of a model on
// labelled rows, then write the model with both (atomically).
#include <cblas.h>

#include <cmath>

#include "explain/calibrate.h"
#include "explain/threshold.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"
#include "train/metrics.h"

namespace ming {
namespace {

struct Scored {
  std::vector<float> out, probs;
  std::vector<int32_t> y;
  int64_t N = 0;
  int O = 0, C = 0;
};

// Probabilities of m (with its calibration) for the stored raw outputs.
void Probabilities(const ModelData& m, Scored* s) {
  s->probs.resize(static_cast<size_t>(s->N) * static_cast<size_t>(s->C));
  for (int64_t i = 0; i < s->N; ++i) {
    double v;
    int cls;
    OutputsToPrediction(m, &s->out[static_cast<size_t>(i * s->O)],
                        &s->probs[static_cast<size_t>(i * s->C)], &v, &cls);
  }
}

Result<Calibration> Fit(const std::string& method, const Scored& s) {
  Calibration c;
  if (method == "none") return c;
  if (method == "platt" || (method == "auto" && s.O == 1)) {
    if (s.O != 1)
      return Status::InvalidInput("--method platt needs a binary model; use temperature");
    MING_ASSIGN_OR_RETURN(PlattFit p, FitPlatt(s.out.data(), s.y.data(), s.N));
    c.method = CalibrationMethod::kPlatt;
    c.scale = p.scale;
    c.shift = p.shift;
    return c;
  }
  if (method != "temperature" && method != "auto") {
    return Status::InvalidInput("--method: '" + method +
                                "' is not one of auto, temperature, platt, none");
  }
  MING_ASSIGN_OR_RETURN(c.scale, FitTemperature(s.out.data(), s.y.data(), s.N, s.O));
  c.method = CalibrationMethod::kTemperature;
  return c;
}

double LogLoss(const Scored& s) {
  return ComputeClassification(s.probs.data(), s.y.data(), s.N, s.C).log_loss;
}

}  // namespace

Result<CalibrateReport> CalibrateModelFile(const std::string& model_path,
                                           const std::string& csv_path, const std::string& out_path,
                                           const CalibrateOptions& o) {
  openblas_set_num_threads(1);  // RunPlan parallelises over row chunks itself
  MING_ASSIGN_OR_RETURN(ModelData m, LoadModel(model_path));
  const Task task = m.pre.label().task;
  if (task == Task::kRegression) {
    return Status::InvalidInput(
        model_path + ": a regression model has no probabilities to calibrate and no threshold");
  }
  if (!o.threshold_by.empty() && task != Task::kBinary) {
    return Status::InvalidInput(model_path +
                                ": --threshold-by needs a binary model (this one has " +
                                std::to_string(m.pre.label().classes.size()) + " classes)");
  }
  ThresholdCriterion crit = ThresholdCriterion::kF1;
  if (!o.threshold_by.empty()) {
    MING_ASSIGN_OR_RETURN(crit, ParseThresholdCriterion(o.threshold_by));
  }
  if (!(o.cost_false_yes >= 0) || !(o.cost_false_no >= 0) ||
      o.cost_false_yes + o.cost_false_no <= 0) {
    return Status::InvalidInput("costs must be >= 0 and not both 0");
  }
  MING_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(csv_path));
  MING_ASSIGN_OR_RETURN(Dataset d, EncodeDataset(m.pre, t, AllRows(t)));
  if (d.rows == 0) return Status::InvalidInput(csv_path + ": no rows");
  Scored s;
  s.N = d.rows, s.O = m.net.outputs, s.C = static_cast<int>(m.pre.label().classes.size());
  s.out.resize(static_cast<size_t>(s.N) * static_cast<size_t>(s.O));
  RunPlan(Plan(m.net, m.params.data(), m.buffers.data()), d.X.data(), s.N, s.out.data(), o.threads);
  for (float v : d.y) s.y.push_back(static_cast<int32_t>(v));

  CalibrateReport r;
  r.rows = s.N;
  r.threshold_before = m.threshold;
  m.calibration = Calibration{};
  Probabilities(m, &s);
  r.ece_before = ExpectedCalibrationError(s.probs.data(), s.y.data(), s.N, s.C);
  r.log_loss_before = LogLoss(s);
  MING_ASSIGN_OR_RETURN(Calibration cal, Fit(o.method, s));
  m.calibration = cal;
  Probabilities(m, &s);
  r.ece_after = ExpectedCalibrationError(s.probs.data(), s.y.data(), s.N, s.C);
  r.log_loss_after = LogLoss(s);
  m.calibration.ece_before = r.ece_before;
  m.calibration.ece_after = r.ece_after;
  m.calibration.rows = s.N;
  r.method = Name(cal.method), r.scale = cal.scale, r.shift = cal.shift;
  if (!o.threshold_by.empty()) {
    std::vector<double> p(static_cast<size_t>(s.N));
    for (int64_t i = 0; i < s.N; ++i)
      p[static_cast<size_t>(i)] = 1.0 / (1.0 + std::exp(-cal.Apply(s.out[static_cast<size_t>(i)])));
    const ThresholdChoice tc =
        ChooseThreshold(p.data(), s.y.data(), s.N, crit, o.cost_false_yes, o.cost_false_no);
    m.threshold = tc.threshold;
    r.threshold_by = Name(crit);
    r.criterion_value = tc.value;
    m.info["threshold_by"] = {{"criterion", r.threshold_by},
                              {"value", tc.value},
                              {"rows", s.N},
                              {"cost_false_yes", o.cost_false_yes},
                              {"cost_false_no", o.cost_false_no}};
  }
  r.threshold_after = m.threshold;
  MING_RETURN_IF_ERROR(SaveModel(out_path, m));
  return r;
}

}  // namespace ming
