// Gradual magnitude pruning with fine-tuning (Zhu & Gupta 2017): the sparsity of the
// weight matrices rises on a cubic schedule at the start of each epoch, the masks are
// enforced by the trainer after every optimiser step (pruned weights stay exactly zero),
// and the best epoch on validation among those at the final sparsity is kept.
// Thread-safety: pure functions (training runs its own pool).
#pragma once

#include <functional>
#include <vector>

#include "compress/model_data.h"
#include "compress/prune_magnitude.h"
#include "ming/status.h"
#include "runtime/model_file.h"

namespace ming {

// Measured defaults (docs/pruning.md).
constexpr double kFineTuneLrFactor = 1.0;  // fine-tuning lr = this x the model's recorded lr

struct FineTuneOptions {
  double sparsity = 0.0;  // target fraction of zero weights, [0, 1)
  PruneScope scope = PruneScope::kGlobal;
  int block = 1;   // > 1: prune blocks of this many consecutive outputs of one input
  int epochs = 0;  // 0: one-shot pruning, no training
  double lr_factor = kFineTuneLrFactor;
  int batch_size = 0;  // 0: the model's recorded batch size (256 when absent)
  uint64_t seed = 1;
  int threads = 0;
  // After each fine-tuning epoch, with the sparsity that epoch ran at.
  std::function<void(const EpochReport&, double sparsity)> on_epoch;
};

// First epoch (1-based) that runs at the final sparsity: E - max(1, floor(E/3)) for
// E >= 2, else 1. The last epochs from there on let the network recover.
int FinalSparsityEpoch(int epochs);

// Sparsity during epoch e (1-based) of E, from s0 (before epoch 1) to s (at and after
// FinalSparsityEpoch(E) = P): s + (s0 - s) * (1 - min(e, P) / P)^3.
double ScheduledSparsity(double s0, double s, int epoch, int epochs);

struct FineTuneResult {
  ModelData model;                // pruned (and fine-tuned) weights
  double initial_sparsity = 0.0;  // of the input model's weights
  std::vector<double> schedule;   // sparsity of each epoch (empty for one-shot)
  int best_epoch = 0;             // restored epoch (0 for one-shot)
  std::vector<EpochReport> history;
};

// Prunes m's weight matrices to opts.sparsity by magnitude; with opts.epochs > 0 gradually
// while fine-tuning on d.train (validating on d.val; without validation rows the last
// epoch is kept) with the model's recorded optimiser (info.training.effective.optim;
// AdamW 1e-3, weight decay 0.1 when absent), its learning rate scaled by lr_factor,
// constant schedule, no early stopping.
// Errors: sparsity, epochs or lr_factor out of range, data not matching the model
// (InvalidInput); training divergence (Runtime).
Result<FineTuneResult> PruneMagnitude(const ModelData& m, const ModelDatasets& d,
                                      const FineTuneOptions& opts);

}  // namespace ming
