// Training summaries for the terminal and for programs.
#include "report.h"

#include <cstdio>

#include "nn/network.h"

namespace ming::cli {

using nlohmann::json;

void PrintDataSummary(const Preprocessor& pre, int64_t train, int64_t val, int64_t test) {
  std::fprintf(stderr, "data: %lld train / %lld validation / %lld test rows; %zu fields -> %d inputs; %s label '%s'\n",
               static_cast<long long>(train), static_cast<long long>(val), static_cast<long long>(test),
               pre.fields().size(), pre.encoded_width(), Name(pre.label().task), pre.label().name.c_str());
}

void PrintMetricsTable(const json& metrics) {
  const char* cls[] = {"accuracy", "log_loss", "f1", "auc"};
  const char* reg[] = {"rmse", "mae", "r2"};
  bool regression = false;
  for (const auto& [split, m] : metrics.items()) regression = m.value("task", "") == "regression";
  std::printf("%-12s %8s", "", "rows");
  for (const char* k : regression ? std::vector<const char*>(reg, reg + 3) : std::vector<const char*>(cls, cls + 4)) {
    std::printf(" %10s", k);
  }
  std::printf("\n");
  for (const char* split : {"train", "validation", "test", "data"}) {
    if (!metrics.contains(split)) continue;
    const json& m = metrics[split];
    std::printf("%-12s %8lld", split, static_cast<long long>(m.value("rows", 0)));
    for (const char* k : regression ? std::vector<const char*>(reg, reg + 3) : std::vector<const char*>(cls, cls + 4)) {
      if (m.contains(k)) std::printf(" %10.4f", m[k].get<double>());
      else std::printf(" %10s", "-");
    }
    std::printf("\n");
  }
}

void PrintSummary(const PipelineResult& r, const std::string& model_path) {
  double seconds = 0;
  for (const auto& e : r.train.history) seconds += e.seconds;
  std::printf("trained %d epochs in %.1f s; best epoch %d%s\n", r.train.epochs_run, seconds, r.train.best_epoch,
              r.train.stopped_early ? " (early stopping restored it)" : "");
  PrintMetricsTable(r.metrics);
  std::printf("model: %s (%lld parameters)\n", model_path.c_str(),
              static_cast<long long>(NetLayout(r.model.net).num_params()));
}

json SummaryJson(const PipelineResult& r) {
  double seconds = 0;
  for (const auto& e : r.train.history) seconds += e.seconds;
  return {{"type", "summary"},
          {"epochs_run", r.train.epochs_run},
          {"best_epoch", r.train.best_epoch},
          {"stopped_early", r.train.stopped_early},
          {"seconds", seconds},
          {"parameters", NetLayout(r.model.net).num_params()},
          {"metrics", r.metrics}};
}

}  // namespace ming::cli
