// Training progress for people and programs: a live bar on a terminal, one plain line per
// epoch otherwise, or one JSON object per epoch with --json (on stdout).
#pragma once

#include <nlohmann/json.hpp>

#include "train/trainer.h"

namespace ming::cli {

enum class ProgressMode { kAuto, kJson, kQuiet };

class Progress {
 public:
  explicit Progress(ProgressMode mode);
  void OnStep(const StepReport& s);
  void OnEpoch(const EpochReport& e, const nlohmann::json& val_metrics);
  void Finish();

 private:
  ProgressMode mode_;
  bool tty_;
  bool bar_shown_ = false;
  double seconds_so_far_ = 0;
  int epochs_seen_ = 0;
};

// One JSON object describing an epoch (also used by tests): epoch, train_loss, seconds,
// rows_per_s, lr, improved, val_loss and val_<metric> for each validation metric.
nlohmann::json EpochJson(const EpochReport& e, const nlohmann::json& val_metrics);

}  // namespace ming::cli
