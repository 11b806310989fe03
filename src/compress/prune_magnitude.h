// Unstructured magnitude pruning: keep-masks over the weight matrices of a network's flat
// parameter array (biases and normalisation parameters are never pruned).
// Never-empty rule: in every layer each output unit keeps its largest-magnitude incoming
// weight (ties: the lowest input index), so no layer and no unit is cut off from its
// inputs. The requested sparsity is therefore reachable only while it leaves at least one
// weight per output unit; beyond that the protected weights stay and the mask is sparser
// than asked by less (the report gives the actual count).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ming/status.h"
#include "nn/network.h"

namespace ming {

enum class PruneScope { kGlobal, kLayer, kCount };
const char* Name(PruneScope s);  // "global", "layer"
bool Parse(std::string_view s, PruneScope* out);

// InvalidInput unless 0 <= sparsity < 1 (and finite).
Status ValidateSparsity(double sparsity);

// keep[num_params]: 1 everywhere except the pruned weights. Global scope prunes the
// floor(S * total weights) smallest-magnitude weights of all layers together; layer scope
// floor(S * weights of the layer) in each layer. Magnitude ties are broken by position in
// the flat array (lower index pruned first), so the mask is a pure function of the
// weights. Already-zero weights are pruned first, so raising S keeps earlier prunes.
// block > 1 prunes whole blocks of `block` consecutive outputs of one input (the last
// block of a row may be shorter), smallest root-mean-square magnitude first, as many as fit
// in the count; the never-empty rule keeps each block column's best input block. Block
// rows run one row with one vector FMA per kept block (compress/block_rows.h).
// REQUIRES: ValidateSparsity(sparsity).ok(); params has layout.num_params() entries;
// block >= 1.
std::vector<uint8_t> MagnitudeMask(const NetLayout& layout, const float* params, double sparsity,
                                   PruneScope scope, int block = 1);

struct WeightCount {
  int64_t weights = 0, nonzero = 0;        // entries of W and the non-zero ones
  int64_t params = 0, nonzero_params = 0;  // all parameters of the layer (W, b, norms)
};
// Per layer (hidden layers in order, then the output layer).
std::vector<WeightCount> CountWeights(const NetLayout& layout, const float* params);
// Fraction of zero entries over all weight matrices.
double WeightSparsity(const NetLayout& layout, const float* params);

}  // namespace ming
