// Structured pruning: per-unit output statistics on the training rows, the choice of units
// to remove, and the surgery on the flat parameter arrays.
#include "compress/prune_units.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/layers.h"
#include "nn/network.h"

namespace ming {
namespace {

// Output statistics of each unit of one hidden layer over all rows.
struct UnitStats {
  std::vector<int64_t> active;  // rows with output > 0
  std::vector<double> sum, sumsq;
  std::vector<float> min, max;
};

// Inference-mode forward of rows through hidden layers 0..layer, accumulating the
// post-activation statistics of `layer`. Chunks of 256 rows, one thread.
UnitStats MeasureLayer(const ModelData& m, const NetLayout& layout, const Dataset& d, int layer) {
  const auto& layers = layout.layers();
  const int OC = layers[static_cast<size_t>(layer)].OC;
  UnitStats s{std::vector<int64_t>(static_cast<size_t>(OC), 0),
              std::vector<double>(static_cast<size_t>(OC), 0.0),
              std::vector<double>(static_cast<size_t>(OC), 0.0),
              std::vector<float>(static_cast<size_t>(OC), INFINITY),
              std::vector<float>(static_cast<size_t>(OC), -INFINITY)};
  constexpr int kChunk = 256;
  InferWorkspace ws(layout, kChunk);
  const NetConfig& cfg = m.net;
  const float* P = m.params.data();
  const float* Bf = m.buffers.data();
  for (int64_t r0 = 0; r0 < d.rows; r0 += kChunk) {
    const int n = static_cast<int>(std::min<int64_t>(kChunk, d.rows - r0));
    const float* in = d.X.data() + r0 * d.features;
    float* y = nullptr;
    for (int l = 0; l <= layer; ++l) {
      const LayerLayout& L = layers[static_cast<size_t>(l)];
      y = (l % 2 == 0 ? ws.a : ws.b).data();
      linear_forward(y, in, P + L.W, P + L.b, n, L.IC, L.OC);
      if (cfg.norm == Norm::kBatch) {
        batchnorm_forward_infer(y, y, Bf + L.run_mean, Bf + L.run_var, P + L.gamma, P + L.beta, n,
                                L.OC, cfg.norm_eps);
      }
      activation_forward(y, y, int64_t{n} * L.OC, cfg.activation, cfg.leaky_slope);
      in = y;
    }
    for (int i = 0; i < n; ++i) {
      for (int u = 0; u < OC; ++u) {
        const float v =
            y[static_cast<size_t>(i) * static_cast<size_t>(OC) + static_cast<size_t>(u)];
        const size_t k = static_cast<size_t>(u);
        s.active[k] += v > 0.0f;
        s.sum[k] += v;
        s.sumsq[k] += static_cast<double>(v) * v;
        s.min[k] = std::min(s.min[k], v);
        s.max[k] = std::max(s.max[k], v);
      }
    }
  }
  return s;
}

// Copies W[IC, OC] keeping the rows / columns whose flag is set (nullptr = all).
void CopyMatrix(float* dst, const float* src, int IC, int OC, const uint8_t* rows,
                const uint8_t* cols) {
  for (int i = 0; i < IC; ++i) {
    if (rows && !rows[i]) continue;
    for (int j = 0; j < OC; ++j) {
      if (!cols || cols[j]) *dst++ = src[static_cast<int64_t>(i) * OC + j];
    }
  }
}

void CopyVector(float* dst, const float* src, int n, const uint8_t* keep) {
  for (int j = 0; j < n; ++j) {
    if (!keep || keep[j]) *dst++ = src[j];
  }
}

struct LayerChoice {
  std::vector<uint8_t> keep;
  std::vector<float> fold;
  LayerUnitReport report;
};

LayerChoice Choose(const UnitStats& s, const ModelData& m, const NetLayout& layout, int layer,
                   int64_t rows, const UnitPruneOptions& o) {
  const LayerLayout& L = layout.layers()[static_cast<size_t>(layer)];
  const LayerLayout& next = layout.layers()[static_cast<size_t>(layer) + 1];
  const int OC = L.OC;
  LayerChoice c{std::vector<uint8_t>(static_cast<size_t>(OC), 1),
                std::vector<float>(static_cast<size_t>(OC), 0.0f),
                {}};
  c.report.before = OC;
  std::vector<double> cost(static_cast<size_t>(OC));
  std::vector<int> live;
  const bool relu = m.net.activation == Activation::kRelu;
  const double n = static_cast<double>(rows);
  for (int u = 0; u < OC; ++u) {
    const size_t k = static_cast<size_t>(u);
    const double mean = s.sum[k] / n;
    const double var = std::max(0.0, s.sumsq[k] / n - mean * mean);
    double norm2 = 0;
    for (int j = 0; j < next.OC; ++j) {
      const double w = m.params[static_cast<size_t>(next.W + int64_t{u} * next.OC + j)];
      norm2 += w * w;
    }
    cost[k] = std::sqrt(var * norm2);
    const bool constant = s.min[k] == s.max[k];
    const bool rarely_active = relu && static_cast<double>(s.active[k]) <= o.dead_threshold * n;
    if (constant || rarely_active) {
      c.keep[k] = 0;
      c.fold[k] = constant ? s.min[k] : static_cast<float>(mean);
      ++c.report.dead;
    } else {
      c.fold[k] = static_cast<float>(mean);
      live.push_back(u);
    }
  }
  // The cheapest live units, ties by index.
  std::sort(live.begin(), live.end(), [&](int a, int b) {
    return cost[static_cast<size_t>(a)] != cost[static_cast<size_t>(b)]
               ? cost[static_cast<size_t>(a)] < cost[static_cast<size_t>(b)]
               : a < b;
  });
  const size_t by_cost =
      std::min(live.size(), static_cast<size_t>(std::floor(o.remove_fraction * OC)));
  for (size_t i = 0; i < by_cost; ++i) c.keep[static_cast<size_t>(live[i])] = 0;
  c.report.removed_by_cost = static_cast<int>(by_cost);
  if (std::count(c.keep.begin(), c.keep.end(), uint8_t{1}) == 0) {
    // Never empty a layer: keep the unit that is costliest to remove (ties: lowest index).
    const size_t u = static_cast<size_t>(std::max_element(cost.begin(), cost.end()) - cost.begin());
    c.keep[u] = 1;
    if (std::find(live.begin(), live.end(), static_cast<int>(u)) != live.end()) {
      --c.report.removed_by_cost;
    } else {
      --c.report.dead;
    }
  }
  c.report.after = static_cast<int>(std::count(c.keep.begin(), c.keep.end(), uint8_t{1}));
  return c;
}

}  // namespace

ModelData RemoveUnits(const ModelData& m, int layer, const std::vector<uint8_t>& keep,
                      const std::vector<float>& fold) {
  const NetLayout old_layout(m.net);
  ModelData out = m;  // everything but the network (background rows, calibration, ...) carries over
  out.net.hidden[static_cast<size_t>(layer)] =
      static_cast<int>(std::count(keep.begin(), keep.end(), uint8_t{1}));
  const NetLayout new_layout(out.net);
  out.params.assign(static_cast<size_t>(new_layout.num_params()), 0.0f);
  out.buffers.assign(static_cast<size_t>(new_layout.num_buffers()), 0.0f);
  const float* P = m.params.data();
  float* Q = out.params.data();
  const auto& oldL = old_layout.layers();
  const auto& newL = new_layout.layers();
  for (size_t l = 0; l < oldL.size(); ++l) {
    const LayerLayout& A = oldL[l];
    const LayerLayout& N = newL[l];
    const bool here = static_cast<int>(l) == layer, after = static_cast<int>(l) == layer + 1;
    const uint8_t* cols = here ? keep.data() : nullptr;
    CopyMatrix(Q + N.W, P + A.W, A.IC, A.OC, after ? keep.data() : nullptr, cols);
    CopyVector(Q + N.b, P + A.b, A.OC, cols);
    if (A.gamma >= 0) CopyVector(Q + N.gamma, P + A.gamma, A.OC, cols);
    if (A.beta >= 0) CopyVector(Q + N.beta, P + A.beta, A.OC, cols);
    if (A.run_mean >= 0)
      CopyVector(out.buffers.data() + N.run_mean, m.buffers.data() + A.run_mean, A.OC, cols);
    if (A.run_var >= 0)
      CopyVector(out.buffers.data() + N.run_var, m.buffers.data() + A.run_var, A.OC, cols);
    if (!after) continue;
    // b_next += sum over removed u of fold[u] * W_next[u, :], summed in double.
    for (int j = 0; j < A.OC; ++j) {
      double add = 0;
      for (int u = 0; u < A.IC; ++u) {
        if (!keep[static_cast<size_t>(u)])
          add += static_cast<double>(fold[static_cast<size_t>(u)]) * P[A.W + int64_t{u} * A.OC + j];
      }
      Q[N.b + j] = static_cast<float>(P[A.b + j] + add);
    }
  }
  return out;
}

Result<UnitPruneResult> PruneUnits(const ModelData& m, const Dataset& train,
                                   const UnitPruneOptions& opts) {
  if (!(opts.dead_threshold >= 0 && opts.dead_threshold < 1)) {
    return Status::InvalidInput("--dead-threshold must be in [0, 1), got " +
                                std::to_string(opts.dead_threshold));
  }
  if (!(opts.remove_fraction >= 0 && opts.remove_fraction < 1)) {
    return Status::InvalidInput("--remove-fraction must be in [0, 1), got " +
                                std::to_string(opts.remove_fraction));
  }
  if (m.net.norm == Norm::kLayer && !m.net.hidden.empty()) {
    return Status::InvalidInput(
        "structured pruning: the network uses layer normalisation, which normalises each row "
        "over all units of a layer, so removing a unit would change every other unit's output");
  }
  if (train.rows <= 0) return Status::InvalidInput("structured pruning: no training rows");
  if (train.features != m.net.inputs)
    return Status::InvalidInput("structured pruning: data width does not match the model");
  UnitPruneResult res;
  res.model = m;
  for (int l = 0; l < static_cast<int>(m.net.hidden.size()); ++l) {
    const NetLayout layout(res.model.net);
    const UnitStats s = MeasureLayer(res.model, layout, train, l);
    LayerChoice c = Choose(s, res.model, layout, l, train.rows, opts);
    if (c.report.after < c.report.before) res.model = RemoveUnits(res.model, l, c.keep, c.fold);
    res.layers.push_back(c.report);
  }
  return res;
}

}  // namespace ming
