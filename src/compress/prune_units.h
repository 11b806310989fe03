// Structured pruning: physical removal of hidden units whose output is constant (dead ReLU
// units) or nearly so, and of the units whose removal costs least, with their constant
// (or mean) output folded into the next layer's bias so that predictions are unchanged for
// exactly dead units. The result is a smaller network of the same kind.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "ming/status.h"
#include "runtime/model_file.h"
#include "train/trainer.h"

namespace ming {

struct UnitPruneOptions {
  // Fraction of training rows on which a ReLU unit may be active (output > 0) and still
  // count as dead; its mean output is folded (approximate when > 0). In [0, 1).
  double dead_threshold = 0.0;
  // Fraction of each layer's units (of its width before pruning) removed in addition, the
  // cheapest first: cost = std of the unit's output on the training rows x ||W_next[u, :]||,
  // the RMS change of the next layer's pre-activations when the output is replaced by its
  // mean (which is folded). In [0, 1).
  double remove_fraction = 0.0;
};

struct LayerUnitReport {
  int before = 0, after = 0;
  int dead = 0;             // removed as dead (constant, or active on <= threshold of rows)
  int removed_by_cost = 0;  // removed by --remove-fraction
};

struct UnitPruneResult {
  ModelData model;  // the network with hidden widths shrunk; preprocessing and info copied
  std::vector<LayerUnitReport> layers;  // one per hidden layer
};

// Prunes hidden layers in order; each layer's statistics are measured on `train` (encoded
// for m, inference mode: batch norm with running statistics) through the already pruned
// earlier layers. A unit is dead when its output is the same on every row; for ReLU also
// when it is positive on at most dead_threshold of the rows. Other activations have no
// inactive state, so the threshold does not apply to them. A layer always keeps at least
// one unit (the costliest to remove).
// Errors (InvalidInput): options out of range; a layer-normalised network (removing a unit
// changes the normalisation of the others, so outputs could not be preserved); no rows.
Result<UnitPruneResult> PruneUnits(const ModelData& m, const Dataset& train,
                                   const UnitPruneOptions& opts);

// Copies m with the units of hidden layer `layer` where keep[u] == 0 removed: their
// columns of W, entries of b and normalisation tensors, and their rows of the next layer's
// W, after adding fold[u] * W_next[u, :] to the next layer's bias. REQUIRES: keep and
// fold have the layer's width; at least one unit kept; m.net.norm is not layer.
ModelData RemoveUnits(const ModelData& m, int layer, const std::vector<uint8_t>& keep,
                      const std::vector<float>& fold);

}  // namespace ming
