// Helpers for the pruning tests: a model with random weights and random encoded rows.
#pragma once

#include <vector>

#include "nn/network.h"
#include "runtime/model_file.h"
#include "train/trainer.h"
#include "util/rng.h"

namespace ming::prunetest {

// A model (no preprocessing) with PyTorch-style random weights; batch-norm running
// statistics drawn around their defaults so that folding them matters.
inline ModelData RandomModel(NetConfig net, uint64_t seed) {
  ModelData m;
  m.net = net;
  const NetLayout layout(net);
  m.params.resize(static_cast<size_t>(layout.num_params()));
  m.buffers.resize(static_cast<size_t>(layout.num_buffers()));
  Rng rng(seed);
  InitParams(layout, m.params.data(), m.buffers.data(), rng);
  for (const LayerLayout& L : layout.layers()) {
    for (int j = 0; j < L.OC; ++j) {
      if (L.gamma >= 0)
        m.params[static_cast<size_t>(L.gamma + j)] = static_cast<float>(0.5 + rng.UniformDouble());
      if (L.beta >= 0)
        m.params[static_cast<size_t>(L.beta + j)] = static_cast<float>(rng.UniformDouble() - 0.5);
      if (L.run_mean >= 0)
        m.buffers[static_cast<size_t>(L.run_mean + j)] =
            static_cast<float>(rng.UniformDouble() - 0.5);
      if (L.run_var >= 0)
        m.buffers[static_cast<size_t>(L.run_var + j)] =
            static_cast<float>(0.5 + rng.UniformDouble());
    }
  }
  return m;
}

inline Dataset RandomRows(int64_t rows, int features, uint64_t seed, int classes = 2) {
  Dataset d;
  d.rows = rows;
  d.features = features;
  Rng rng(seed);
  d.X.resize(static_cast<size_t>(rows * features));
  for (float& x : d.X) x = static_cast<float>(2.0 * rng.UniformDouble() - 1.0);
  d.y.resize(static_cast<size_t>(rows));
  for (float& y : d.y) y = static_cast<float>(rng.UniformInt(static_cast<uint64_t>(classes)));
  return d;
}

inline std::vector<float> Outputs(const ModelData& m, const Dataset& d) {
  std::vector<float> out(static_cast<size_t>(d.rows * m.net.outputs));
  PredictOutputs(NetLayout(m.net), m.params.data(), m.buffers.data(), d.X.data(), d.rows,
                 out.data(), 1);
  return out;
}

}  // namespace ming::prunetest
