// `ming calibrate MODEL.ming VAL.csv -o OUT.ming [--method ...] [--threshold-by ...]`: fits
// probability calibration (temperature or Platt scaling) and optionally the decision
// threshold on labelled validation rows, reports expected calibration error before and
// after, and writes the model with them (OUT may be MODEL).
#include <cstdio>

#include "cli.h"
#include "ming/explain.h"

namespace ming::cli {

Runner AddCalibrate(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Calibrate probabilities and choose the decision threshold on validation rows");
  struct Opts {
    std::string model, data, out;
    CalibrateOptions c;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_option("data", o->data, "Labelled validation CSV (rows the model did not train on)")
      ->required();
  cmd->add_option("-o,--output", o->out, "Model file to write (may be the input)")->required();
  cmd->add_option("--method", o->c.method,
                  "auto (Platt for binary, temperature otherwise), platt, temperature, none")
      ->capture_default_str();
  cmd->add_option("--threshold-by", o->c.threshold_by,
                  "Binary: choose the threshold by f1, youden, accuracy or cost (default: keep)");
  cmd->add_option("--cost-false-yes", o->c.cost_false_yes,
                  "--threshold-by cost: cost of predicting the positive class wrongly")
      ->capture_default_str();
  cmd->add_option("--cost-false-no", o->c.cost_false_no,
                  "--threshold-by cost: cost of missing a positive")
      ->capture_default_str();
  cmd->add_option("--threads", o->c.threads, "Threads (0: all cores)");
  cmd->add_flag("--json", o->json, "JSON report");
  return [o] {
    auto r = CalibrateModelFile(o->model, o->data, o->out, o->c);
    if (!r.ok()) return Fail(r.status());
    if (o->json) {
      nlohmann::json j = {{"method", r->method},
                          {"scale", r->scale},
                          {"shift", r->shift},
                          {"ece_before", r->ece_before},
                          {"ece_after", r->ece_after},
                          {"log_loss_before", r->log_loss_before},
                          {"log_loss_after", r->log_loss_after},
                          {"threshold_before", r->threshold_before},
                          {"threshold", r->threshold_after},
                          {"rows", r->rows},
                          {"output", o->out}};
      if (!r->threshold_by.empty())
        j["threshold_by"] = {{"criterion", r->threshold_by}, {"value", r->criterion_value}};
      std::printf("%s\n", j.dump(1).c_str());
      return 0;
    }
    std::printf("Calibration on %lld rows of %s: %s (logit -> %.4f * logit %+.4f)\n",
                static_cast<long long>(r->rows), o->data.c_str(), r->method.c_str(), r->scale,
                r->shift);
    std::printf("  expected calibration error %.4f -> %.4f, log loss %.4f -> %.4f\n", r->ece_before,
                r->ece_after, r->log_loss_before, r->log_loss_after);
    if (!r->threshold_by.empty()) {
      std::printf("  threshold by %s: %.4f -> %.4f (%s at it: %.4f)\n", r->threshold_by.c_str(),
                  r->threshold_before, r->threshold_after,
                  r->threshold_by == "cost" ? "total cost" : r->threshold_by.c_str(),
                  r->criterion_value);
    }
    std::printf("Wrote %s\n", o->out.c_str());
    return 0;
  };
}

}  // namespace ming::cli
