// Progress output: \r-updated bar on a TTY (stderr), plain epoch lines otherwise.
#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace ming::cli {

using nlohmann::json;

namespace {

std::string Clock(double s) {
  if (s < 0 || s > 1e7) return "?";
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

std::string Rate(double r) {
  char buf[32];
  if (r >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", r / 1e6);
  else if (r >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", r / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", r);
  return buf;
}

}  // namespace

json EpochJson(const EpochReport& e, const json& val_metrics) {
  json j = {{"type", "epoch"},     {"epoch", e.epoch},          {"train_loss", e.train_loss},
            {"seconds", e.seconds}, {"rows_per_s", e.rows_per_s}, {"lr", e.lr},
            {"improved", e.improved}};
  if (e.val_loss >= 0) j["val_loss"] = e.val_loss;
  for (const auto& [k, v] : val_metrics.items()) {
    if (k != "task" && k != "rows") j["val_" + k] = v;
  }
  return j;
}

Progress::Progress(ProgressMode mode) : mode_(mode), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::OnStep(const StepReport& s) {
  if (mode_ != ProgressMode::kAuto || !tty_) return;
  const double frac = static_cast<double>(s.step_in_epoch) / static_cast<double>(s.steps_per_epoch);
  const int width = 24, filled = static_cast<int>(frac * width);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < width) bar += '>';
  bar.resize(width, ' ');
  const double epoch_eta = s.rows_per_s > 0 ? (1 - frac) * seconds_so_far_ / std::max(1, epochs_seen_) : 0;
  std::fprintf(stderr, "\r\033[Kepoch %d [%s] %3.0f%% loss %.4f %s rows/s ETA %s", s.epoch, bar.c_str(),
               frac * 100, s.loss, Rate(s.rows_per_s).c_str(), epochs_seen_ ? Clock(epoch_eta).c_str() : "?");
  std::fflush(stderr);
  bar_shown_ = true;
}

void Progress::OnEpoch(const EpochReport& e, const json& val_metrics) {
  seconds_so_far_ += e.seconds;
  ++epochs_seen_;
  if (mode_ == ProgressMode::kQuiet) return;
  if (mode_ == ProgressMode::kJson) {
    std::printf("%s\n", EpochJson(e, val_metrics).dump().c_str());
    std::fflush(stdout);
    return;
  }
  if (bar_shown_) std::fprintf(stderr, "\r\033[K");
  std::string line = "epoch " + std::to_string(e.epoch) + "/" + std::to_string(e.epochs);
  char buf[96];
  std::snprintf(buf, sizeof buf, "  train_loss %.4f", e.train_loss);
  line += buf;
  if (e.val_loss >= 0) {
    std::snprintf(buf, sizeof buf, "  val_loss %.4f", e.val_loss);
    line += buf;
  }
  for (const char* k : {"accuracy", "auc", "f1", "rmse", "r2"}) {
    if (val_metrics.contains(k)) {
      std::snprintf(buf, sizeof buf, "  val_%s %.4f", k, val_metrics[k].get<double>());
      line += buf;
    }
  }
  const double eta = (e.epochs - e.epoch) * (seconds_so_far_ / epochs_seen_);
  std::snprintf(buf, sizeof buf, "  %.2fs  %s rows/s  max ETA %s%s", e.seconds, Rate(e.rows_per_s).c_str(),
                Clock(eta).c_str(), e.improved ? "  *" : "");
  line += buf;
  std::fprintf(stderr, "%s\n", line.c_str());
  bar_shown_ = false;
}

void Progress::Finish() {
  if (bar_shown_) std::fprintf(stderr, "\r\033[K");
  bar_shown_ = false;
}

}  // namespace ming::cli
