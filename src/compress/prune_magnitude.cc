// Magnitude masks: candidates (all weights but each output unit's largest) ordered by
// (|w|, flat index); the first k of them in the scope are pruned.
#include "compress/prune_magnitude.h"

#include <algorithm>
#include <cmath>

namespace ming {
namespace {

struct Candidate {
  float mag;
  int64_t index;
  bool operator<(const Candidate& o) const { return mag != o.mag ? mag < o.mag : index < o.index; }
};

// Appends the prunable weights of layer L (all but each column's largest) to *c.
void AddCandidates(const LayerLayout& L, const float* params, std::vector<Candidate>* c) {
  std::vector<int> top(static_cast<size_t>(L.OC), 0);
  for (int i = 1; i < L.IC; ++i) {
    for (int j = 0; j < L.OC; ++j) {
      const float a = std::fabs(params[L.W + int64_t{i} * L.OC + j]);
      if (a > std::fabs(params[L.W + int64_t{top[static_cast<size_t>(j)]} * L.OC + j]))
        top[static_cast<size_t>(j)] = i;
    }
  }
  for (int i = 0; i < L.IC; ++i) {
    for (int j = 0; j < L.OC; ++j) {
      if (top[static_cast<size_t>(j)] == i) continue;
      const int64_t at = L.W + int64_t{i} * L.OC + j;
      c->push_back({std::fabs(params[at]), at});
    }
  }
}

// Marks the k smallest candidates (in the total order above) as pruned.
void PruneSmallest(std::vector<Candidate>* c, int64_t k, std::vector<uint8_t>* keep) {
  k = std::min<int64_t>(k, static_cast<int64_t>(c->size()));
  if (k <= 0) return;
  std::nth_element(c->begin(), c->begin() + (k - 1), c->end());
  for (int64_t i = 0; i < k; ++i)
    (*keep)[static_cast<size_t>((*c)[static_cast<size_t>(i)].index)] = 0;
}

int64_t Pruned(double sparsity, int64_t n) {
  return static_cast<int64_t>(std::floor(sparsity * static_cast<double>(n)));
}

}  // namespace

const char* Name(PruneScope s) { return s == PruneScope::kLayer ? "layer" : "global"; }

bool Parse(std::string_view s, PruneScope* out) {
  if (s == "global")
    *out = PruneScope::kGlobal;
  else if (s == "layer")
    *out = PruneScope::kLayer;
  else
    return false;
  return true;
}

Status ValidateSparsity(double sparsity) {
  if (!(sparsity >= 0.0 && sparsity < 1.0)) {
    return Status::InvalidInput("--sparsity must be in [0, 1), got " + std::to_string(sparsity));
  }
  return Status::Ok();
}

std::vector<uint8_t> MagnitudeMask(const NetLayout& layout, const float* params, double sparsity,
                                   PruneScope scope) {
  std::vector<uint8_t> keep(static_cast<size_t>(layout.num_params()), 1);
  std::vector<Candidate> c;
  if (scope == PruneScope::kLayer) {
    for (const LayerLayout& L : layout.layers()) {
      c.clear();
      AddCandidates(L, params, &c);
      PruneSmallest(&c, Pruned(sparsity, int64_t{L.IC} * L.OC), &keep);
    }
    return keep;
  }
  int64_t total = 0;
  for (const LayerLayout& L : layout.layers()) {
    AddCandidates(L, params, &c);
    total += int64_t{L.IC} * L.OC;
  }
  PruneSmallest(&c, Pruned(sparsity, total), &keep);
  return keep;
}

std::vector<WeightCount> CountWeights(const NetLayout& layout, const float* params) {
  std::vector<WeightCount> out;
  for (const LayerLayout& L : layout.layers()) {
    WeightCount w;
    w.weights = int64_t{L.IC} * L.OC;
    for (int64_t i = 0; i < w.weights; ++i) w.nonzero += params[L.W + i] != 0.0f;
    auto add = [&](int64_t at, int64_t n) {
      if (at < 0) return;
      w.params += n;
      for (int64_t i = 0; i < n; ++i) w.nonzero_params += params[at + i] != 0.0f;
    };
    add(L.W, w.weights);
    add(L.b, L.OC);
    add(L.gamma, L.OC);
    add(L.beta, L.OC);
    out.push_back(w);
  }
  return out;
}

double WeightSparsity(const NetLayout& layout, const float* params) {
  int64_t n = 0, nz = 0;
  for (const WeightCount& w : CountWeights(layout, params)) {
    n += w.weights;
    nz += w.nonzero;
  }
  return n > 0 ? 1.0 - static_cast<double>(nz) / static_cast<double>(n) : 0.0;
}

}  // namespace ming
