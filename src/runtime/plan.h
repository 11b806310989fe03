// The inference plan: a network's frozen layers (runtime/frozen.h: batch norm folded,
// dropout gone) and the kernels that run them. Each layer is one product plus a fused
// bias/activation pass; the product's kernel follows the layer's weight form: dense layers
// use a matrix-vector loop that skips zero inputs for one row (ReLU outputs and one-hot
// columns are mostly zero) and SGEMM for batches; sparse layers SparseLinear; int8 layers
// Int8Linear.
// Thread-safety: a Plan is immutable and shared; each thread passes its own PlanScratch.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/config.h"
#include "runtime/frozen.h"

namespace ming {

class Plan;

// Buffers for running a Plan on up to max_rows rows. Owned by one thread.
struct PlanScratch {
  PlanScratch(const Plan& plan, int max_rows);
  // Whether these buffers are large enough to run `plan` on `rows` rows (a scratch made for
  // one plan can be reused for another, e.g. after a model reload, when this holds).
  bool Fits(const Plan& plan, int rows) const;
  int max_rows;
  std::vector<float> a, b, c;
  std::vector<int> idx;
  std::vector<float> mean, rstd;
  std::vector<float> sparse;         // SparseLinear scratch
  std::vector<uint8_t> quant;        // Int8Linear scratch
};

class Plan {
 public:
  // From training-layout params/buffers (as NetLayout(net) lays them out): FoldNetwork.
  Plan(const NetConfig& net, const float* params, const float* buffers);
  // From frozen layers (chained shapes; activation, slope and eps from net).
  Plan(const NetConfig& net, std::vector<FrozenLayer> layers);

  int inputs() const { return inputs_; }
  int outputs() const { return outputs_; }
  int max_width() const { return max_width_; }
  const std::vector<FrozenLayer>& layers() const { return layers_; }
  // out[B, outputs] = network(X[B, inputs]). REQUIRES: B <= s.max_rows. Allocates nothing.
  void Run(const float* X, int B, float* out, PlanScratch& s) const;
  // out[B, width] = the output of layer last - 1 (after its activation) for inputs X[B, W]
  // of layer first. REQUIRES: 0 <= first < last <= layers().size(), B <= s.max_rows, `out`
  // not one of s's buffers.
  void RunLayers(const float* X, int B, int first, int last, float* out, PlanScratch& s) const;
  // What Run gives for inputs X, from layer 0's product P[B, layers()[0].OC] = X W0 + b0
  // instead of X: callers that build P themselves (the Shapley engine adds one field's share
  // at a time) skip layer 0's matrix product. `P` must not be one of s's buffers.
  void RunFromFirstProduct(const float* P, int B, float* out, PlanScratch& s) const;

 private:
  friend struct PlanScratch;
  void Linear(const FrozenLayer& L, const float* in, int B, float* out, PlanScratch& s) const;
  void RunLayer(const FrozenLayer& L, const float* in, int B, float* out, PlanScratch& s) const;
  // Layer L's norm and activation on its product lin[B, L.OC] (a copy for the output layer).
  void AfterProduct(const FrozenLayer& L, const float* lin, int B, float* out, PlanScratch& s) const;

  std::vector<FrozenLayer> layers_;
  Activation act_;
  float slope_, eps_;
  int inputs_, outputs_, max_width_;
};

// For a sparse layer of a Plan (plan.layers()): the kernel one row runs through, "16-output
// block rows", "sparse rows" or "dense copy" (the choice the Plan made at construction).
const char* SingleRowKernel(const FrozenLayer& planned);

// out[rows, outputs] for any number of rows, in chunks spread over `threads` threads
// (0: all cores). Allocates its scratch per call.
void RunPlan(const Plan& plan, const float* X, int64_t rows, float* out, int threads);

}  // namespace ming
