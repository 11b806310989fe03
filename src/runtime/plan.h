// The inference plan: a frozen network rearranged for speed. Batch normalisation is folded
// into the preceding linear layer (W' = W * s, b' = (b - mean) * s + beta, with
// s = gamma / sqrt(var + eps)), dropout disappears, and each layer is one product plus a
// fused bias/activation pass. One row uses a matrix-vector loop that skips zero inputs
// (ReLU outputs and one-hot columns are mostly zero); batches use SGEMM.
// Thread-safety: a Plan is immutable and shared; each thread passes its own PlanScratch.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/config.h"

namespace ming {

struct PlanScratch {
  PlanScratch(int max_rows, int max_width);
  int max_rows;
  std::vector<float> a, b, c;
  std::vector<int> idx;
  std::vector<float> mean, rstd;
};

class Plan {
 public:
  // params/buffers laid out as NetLayout(net) says.
  Plan(const NetConfig& net, const float* params, const float* buffers);

  int inputs() const { return inputs_; }
  int outputs() const { return outputs_; }
  int max_width() const { return max_width_; }
  // out[B, outputs] = network(X[B, inputs]). REQUIRES: B <= s.max_rows. Allocates nothing.
  void Run(const float* X, int B, float* out, PlanScratch& s) const;

 private:
  struct Layer {
    int IC = 0, OC = 0;
    std::vector<float> W, b;            // W[IC, OC] (batch norm folded in), b[OC]
    std::vector<float> gamma, beta;     // layer norm, if any
    bool output = false;
  };
  static void Linear(const Layer& L, const float* in, int B, float* out, int* idx);
  void RunLayer(const Layer& L, const float* in, int B, float* out, PlanScratch& s) const;

  std::vector<Layer> layers_;
  Activation act_;
  float slope_, eps_;
  int inputs_, outputs_, max_width_;
};

// out[rows, outputs] for any number of rows, in chunks spread over `threads` threads
// (0: all cores). Allocates its scratch per call.
void RunPlan(const Plan& plan, const float* X, int64_t rows, float* out, int threads);

}  // namespace ming
