// Magnitude masks: candidates (all weights but each output unit's largest) ordered by
// (|w|, flat index); the first k of them in the scope are pruned.
#include "compress/prune_magnitude.h"

#include <algorithm>
#include <cmath>

namespace ming {
namespace {

struct Candidate {
  float mag;      // |w|, or a block's root-mean-square magnitude
  int64_t index;  // flat index of the (first) weight
  int len = 1;    // consecutive weights (outputs of one input) pruned together
  bool operator<(const Candidate& o) const { return mag != o.mag ? mag < o.mag : index < o.index; }
};

// Block pruning: the blocks of `block` consecutive outputs of one input (the last block of
// a row may be shorter), scored by root-mean-square magnitude. Never-empty rule per block
// column: each keeps its highest-scoring input block.
void AddBlockCandidates(const LayerLayout& L, const float* params, int block, std::vector<Candidate>* c) {
  const int nb = (L.OC + block - 1) / block;
  auto score = [&](int i, int j) {
    const int o0 = j * block, len = std::min(block, L.OC - o0);
    double sq = 0;
    for (int o = o0; o < o0 + len; ++o) sq += double{params[L.W + int64_t{i} * L.OC + o]} * params[L.W + int64_t{i} * L.OC + o];
    return static_cast<float>(std::sqrt(sq / len));
  };
  for (int j = 0; j < nb; ++j) {
    int top = 0;
    for (int i = 1; i < L.IC; ++i) top = score(i, j) > score(top, j) ? i : top;
    for (int i = 0; i < L.IC; ++i) {
      if (i == top) continue;
      c->push_back({score(i, j), L.W + int64_t{i} * L.OC + int64_t{j} * block, std::min(block, L.OC - j * block)});
    }
  }
}

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

// Marks the k smallest candidates (in the total order above) as pruned; for blocks, the
// smallest blocks while their weights still fit in k.
void PruneSmallest(std::vector<Candidate>* c, int64_t k, std::vector<uint8_t>* keep) {
  if (!c->empty() && (*c)[0].len > 1) {
    std::sort(c->begin(), c->end());
    int64_t pruned = 0;
    for (const Candidate& b : *c) {
      if (pruned + b.len > k) break;
      std::fill_n(keep->begin() + b.index, b.len, uint8_t{0});
      pruned += b.len;
    }
    return;
  }
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
                                   PruneScope scope, int block) {
  std::vector<uint8_t> keep(static_cast<size_t>(layout.num_params()), 1);
  std::vector<Candidate> c;
  auto add = [&](const LayerLayout& L) {
    if (block > 1) AddBlockCandidates(L, params, block, &c);
    else AddCandidates(L, params, &c);
  };
  if (scope == PruneScope::kLayer) {
    for (const LayerLayout& L : layout.layers()) {
      c.clear();
      add(L);
      PruneSmallest(&c, Pruned(sparsity, int64_t{L.IC} * L.OC), &keep);
    }
    return keep;
  }
  int64_t total = 0;
  for (const LayerLayout& L : layout.layers()) {
    add(L);
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
