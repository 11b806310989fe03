// Training checkpoints: everything needed to continue a run exactly where it stopped.
// Written atomically (a crash leaves the previous checkpoint whole) as a ming container of
// kind kCheckpoint; every float section is checked for finiteness before writing.
// Thread-safety: plain functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ming/status.h"
#include "nn/network.h"
#include "train/trainer.h"

namespace ming {

struct TrainState {
  std::vector<float> params, buffers, m, v, best_params, best_buffers;
  int64_t step = 0;       // optimiser steps taken
  int epoch = 0;          // epochs completed
  int best_epoch = 0;
  double best_val_loss = -1;
  int bad_epochs = 0;
  std::vector<EpochReport> history;
};

Status WriteCheckpoint(const std::string& path, const TrainOptions& opts, const TrainState& st);
// Reads a checkpoint into *st. Refuses one made with different training settings or a
// network of another shape, naming the first difference.
Status ReadCheckpoint(const std::string& path, const TrainOptions& opts, const NetLayout& layout,
                      TrainState* st);
// The same from a checkpoint file's bytes (ReadCheckpoint reads the file and calls this);
// `path` names it in errors. Also rejects a state no training run can reach (negative or
// overflowing counters, more history or bad epochs than epochs).
Status ParseCheckpoint(std::string_view bytes, const std::string& path, const TrainOptions& opts,
                       const NetLayout& layout, TrainState* st);
// The caller's opaque metadata stored in a checkpoint (TrainOptions::checkpoint_meta).
Result<std::string> ReadCheckpointMeta(const std::string& path);

}  // namespace ming
