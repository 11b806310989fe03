// The frozen (inference) form of a network: one FrozenLayer per linear layer with batch
// normalisation folded into its weights and bias, dropout gone, and the weights stored in the
// form that runs fastest for them: dense float32, sparse (pruned), or int8 (quantised).
// FoldNetwork turns training-layout parameters into it; EncodeFrozenLayer/DecodeFrozenLayer
// are its model-file sections (W###, B###, N### per layer; see src/format/FORMAT.md).
// Thread-safety: plain values and pure functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compress/block_rows.h"
#include "compress/int8.h"
#include "compress/sparse.h"
#include "ming/status.h"
#include "nn/config.h"

namespace ming {

enum class WeightForm { kDense, kSparse, kInt8, kCount };
const char* Name(WeightForm f);
Result<WeightForm> ParseWeightForm(const std::string& s);

struct FrozenLayer {
  int IC = 0, OC = 0;
  bool output = false;               // the output layer: no norm, no activation
  WeightForm form = WeightForm::kDense;
  std::vector<float> W;              // kDense: W[IC, OC]; in a Plan, also a kSparse layer's
                                     // dense copy when one row runs faster dense
  SparseWeights sparse;              // kSparse
  // In a Plan, a kSparse layer whose nonzeros come in 16-output blocks: one row runs through
  // these block rows (derived at load, not stored).
  BlockRows blocks;
  bool single_row_blocks = false;
  // In a Plan, a dense layer's weights packed for batches (PackPanels; derived at load, not
  // stored; empty where SGEMM runs the batches).
  std::vector<float> panels;
  Int8Weights int8;                  // kInt8
  std::vector<float> b;              // [OC]
  std::vector<float> gamma, beta;    // layer norm [OC] each, or empty

  int64_t num_weights() const { return static_cast<int64_t>(IC) * OC; }
  // Stored nonzero weights (dense and int8: counted, sparse: stored entries).
  int64_t nonzeros() const;
  // W[IC, OC] as float32 (int8: dequantised).
  std::vector<float> DenseWeights() const;
};

// The frozen layers of a training-layout network (params/buffers as NetLayout(net) lays
// them out): batch norm folded (W' = W s, b' = (b - mean) s + beta, s = gamma / sqrt(var +
// eps)), layer norm kept, all weights dense.
std::vector<FrozenLayer> FoldNetwork(const NetConfig& net, const float* params, const float* buffers);

// Stores each layer in its smallest fast form: sparse where PreferSparse says so (int8
// layers are left as they are).
void ChooseWeightForms(std::vector<FrozenLayer>& layers);

// Sections of layer l: "W###" (weights in the layer's form), "B###" (bias), "N###" (layer
// norm gamma then beta, only when present), plus a JSON description for META.
void EncodeFrozenLayer(const FrozenLayer& L, int l, std::map<std::string, std::string>& sections,
                       nlohmann::json& meta);
// The reverse, validating the description against IC/OC and every section's contents.
// `find` returns a section's bytes or nullptr.
Result<FrozenLayer> DecodeFrozenLayer(const nlohmann::json& meta, int l, int IC, int OC, bool output,
                                      const std::function<const std::string*(const std::string&)>& find,
                                      const std::string& where);

}  // namespace ming
