// The training loop: shuffled mini-batches cut into fixed chunks that threads claim,
// forward, loss, backward, gradient reduction in chunk order, optimiser step; validation
// every epoch, early stopping with restore-best, divergence detection, atomic checkpoints,
// resume. Every random draw is a function of (seed, epoch, step, chunk) and every sum has
// a fixed order, so a run is bit-identical for the same data and options whatever the
// thread count, and a resumed run equals an uninterrupted one.
// Thread-safety: Train() owns its thread pool; call it from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ming/status.h"
#include "nn/config.h"
#include "nn/network.h"

namespace ming {

// Encoded rows: X[rows, features] row-major, y[rows] (0/1, class index or standardised value),
// optional per-row weights w[rows] (empty = all 1). slots[rows, E]: each row's category slot
// in each of the E embedded fields (Preprocessor::EncodeInputs); read only when the
// network has embeddings, whose columns of X are then filled from the tables being trained.
struct Dataset {
  int64_t rows = 0;
  int features = 0;
  std::vector<float> X, y, w;
  std::vector<int32_t> slots;
};

struct TrainOptions {
  NetConfig net;          // inputs/outputs/loss set by the caller from the data
  OptimConfig optim;
  ScheduleConfig schedule;
  int epochs = 200;
  // Warm-up and step-decay periods given in epochs; when > 0 they replace the schedule's
  // warmup_steps / step_every once the number of steps per epoch is known.
  double warmup_epochs = 0, step_epochs = 0;
  int batch_size = 256;
  int patience = 20;      // epochs without validation improvement before stopping; 0 = off
  double min_delta = 0.0; // improvement must exceed this
  int threads = 0;        // 0 = all hardware threads
  uint64_t seed = 1;
  std::string checkpoint_path;  // "" = no checkpoints; else written atomically every epoch
  // Opaque bytes stored in checkpoints (the caller's preprocessing and configuration), so
  // that a checkpoint is self-contained.
  std::string checkpoint_meta;
  // Fine-tuning: start from these weights instead of the seeded initialisation (empty =
  // initialise; else sizes must match the network's num_params / num_buffers).
  std::vector<float> init_params, init_buffers;
  // Epochs before this one (1-based) are never taken as the best (restore-best looks only
  // at later epochs, e.g. those at a pruning schedule's final sparsity) nor count towards
  // patience.
  int best_from_epoch = 1;
};

struct EpochReport {
  int epoch = 0;           // 1-based
  int epochs = 0;          // planned
  double train_loss = 0;   // mean over the epoch's rows
  double val_loss = -1;    // -1 without validation data
  double seconds = 0, rows_per_s = 0;
  double lr = 0;
  bool improved = false;   // best validation so far (always true without validation)
  // The network's outputs on the validation rows, [val rows, outputs], from which val_loss
  // was computed; valid during on_epoch only (null without validation data).
  const float* val_outputs = nullptr;
};

struct StepReport {
  int epoch = 0;
  int64_t step_in_epoch = 0, steps_per_epoch = 0;
  double loss = 0;         // running mean loss of this epoch so far
  double rows_per_s = 0;
};

struct TrainCallbacks {
  // Called after each epoch's validation; may compute extra metrics from the network.
  std::function<void(const EpochReport&, const float* params, const float* buffers)> on_epoch;
  // Called every few steps (about 10 times a second at most).
  std::function<void(const StepReport&)> on_step;
  // Called before each epoch (1-based) with the current weights; may fill or change `keep`,
  // a mask over the flat parameters (empty = no mask; else num_params entries, 0 = the
  // parameter is pruned). Masked parameters and their optimiser moments are set to zero
  // when the mask is set and after every optimiser step, so they stay exactly zero.
  std::function<void(int epoch, const float* params, std::vector<uint8_t>* keep)> on_epoch_start;
};

struct TrainResult {
  // The best weights (restore-best), or the last; params end with the embedding tables
  // (NetLayout::embedding_tables).
  std::vector<float> params, buffers;
  int best_epoch = 0, epochs_run = 0;
  double best_val_loss = -1;
  bool stopped_early = false;
  std::vector<EpochReport> history;
};

// Trains on `train`, validating on `val` (val.rows may be 0: then the last epoch is kept).
// Errors: invalid configuration (InvalidInput); a non-finite loss, gradient, weight, optimiser
// moment or running statistic, checked every step (Runtime, naming epoch and step; the
// checkpoint of the last good epoch is left in place); checkpoint I/O (IoError).
// If opts.checkpoint_path names an existing checkpoint and `resume` is set, training
// continues from it (its options must match: a mismatch is InvalidInput).
Result<TrainResult> Train(const Dataset& train, const Dataset& val, const TrainOptions& opts,
                          bool resume, const TrainCallbacks& callbacks);

// Mean loss of the network on `data` (inference mode), computed with `threads` threads.
// The outputs it came from are left in *outputs ([rows, outputs]) when that is given.
double EvaluateLoss(const NetLayout& layout, const float* params, const float* buffers,
                    const Dataset& data, int threads, std::vector<float>* outputs = nullptr);

// Network outputs (logits or standardised values) for all rows: out[rows, outputs].
void PredictOutputs(const NetLayout& layout, const float* params, const float* buffers,
                    const float* X, int64_t rows, float* out, int threads);

}  // namespace ming
