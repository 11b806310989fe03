// Calibration (layer inputs from the float plan, chunk by chunk) and per-layer quantisation.
#include "compress/quantize.h"

#include <algorithm>

#include "runtime/plan.h"

namespace ming {

bool IsQuantized(const ModelData& m) {
  if (!m.frozen) return false;
  return std::any_of(m.layers.begin(), m.layers.end(),
                     [](const FrozenLayer& L) { return L.form == WeightForm::kInt8; });
}

Result<ModelData> QuantizeModel(const ModelData& m, const float* X, int64_t rows, int inputs) {
  if (IsQuantized(m)) return Status::InvalidInput("the model is already quantised to int8");
  if (rows <= 0) return Status::InvalidInput("quantize: no calibration rows");
  if (inputs != m.net.inputs) {
    return Status::InvalidInput("quantize: calibration rows have " + std::to_string(inputs) + " inputs, the model " +
                                std::to_string(m.net.inputs));
  }
  ModelData q = FreezeModel(m);
  const Plan plan(q.net, q.layers);
  constexpr int kChunk = 256;
  PlanScratch scratch(plan, kChunk);
  // Each chunk goes through the hidden layers once, one layer at a time; every layer's input
  // range is widened with what the chunk feeds it.
  const size_t act_size = static_cast<size_t>(kChunk) * static_cast<size_t>(plan.max_width());
  std::vector<float> act[2] = {std::vector<float>(act_size), std::vector<float>(act_size)};
  const int hidden = static_cast<int>(q.layers.size()) - 1;
  std::vector<QuantRange> ranges(static_cast<size_t>(hidden));
  for (int64_t r = 0; r < rows; r += kChunk) {
    const int B = static_cast<int>(std::min<int64_t>(kChunk, rows - r));
    const float* in = X + r * inputs;
    for (int l = 0; l < hidden; ++l) {
      const QuantRange c = CalibrateRange(in, B, q.layers[static_cast<size_t>(l)].IC);
      QuantRange& R = ranges[static_cast<size_t>(l)];
      R = r == 0 ? c : QuantRange{std::min(R.min, c.min), std::max(R.max, c.max)};
      if (l + 1 < hidden) {
        float* out = act[l % 2].data();
        plan.RunLayers(in, B, l, l + 1, out, scratch);
        in = out;
      }
    }
  }
  for (int l = 0; l < hidden; ++l) {
    FrozenLayer& L = q.layers[static_cast<size_t>(l)];
    const std::vector<float> W = L.DenseWeights();
    L.int8 = QuantizeLinear(W.data(), L.IC, L.OC, ranges[static_cast<size_t>(l)]);
    L.form = WeightForm::kInt8;
    L.W = {};
    L.sparse = SparseWeights();
  }
  return q;
}

}  // namespace ming
