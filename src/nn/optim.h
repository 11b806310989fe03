// Optimisers over one flat parameter array, and learning-rate schedules.
// State is indexed like the parameters (m[i], v[i] belong to params[i]); one call per step.
// Thread-safety: optimizer_step may be called concurrently on disjoint [begin, end) ranges.
#pragma once

#include <cstdint>

#include "nn/config.h"

namespace ming {

// One update of params[begin, end). `step` counts from 1 (Adam bias correction).
// decay_mask[i] != 0 means weight decay applies to params[i] (weights, not biases/norms);
// nullptr means it applies to all. m, v: optimiser state, zero-initialised; v unused by SGD
// (may be nullptr), m unused by SGD without momentum.
//   SGD:   g += wd*p; buf = momentum*buf + g (buf = g on step 1);
//          p -= lr * (nesterov ? g + momentum*buf : buf)            (PyTorch torch.optim.SGD)
//   Adam:  g += wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//          p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)    (torch.optim.Adam)
//   AdamW: p *= 1 - lr*wd; then Adam without the L2 term            (torch.optim.AdamW)
void optimizer_step(const OptimConfig& cfg, float lr, int64_t step, float* params,
                    const float* grads, float* m, float* v, const uint8_t* decay_mask,
                    int64_t begin, int64_t end);

// Learning rate at `step` (0-based) of `total_steps`, for base rate `lr`.
// Warm-up (if any) is linear from lr/warmup to lr over the first warmup_steps steps; the
// schedule proper then runs over the remaining steps.
float lr_at(const ScheduleConfig& cfg, float lr, int64_t step, int64_t total_steps);

// Global L2 norm of grads[0, n), in double.
double grad_norm(const float* grads, int64_t n);
// Scales grads by max_norm / norm when norm > max_norm (PyTorch clip_grad_norm_, eps 1e-6).
void clip_grad_norm(float* grads, int64_t n, double norm, float max_norm);

}  // namespace ming
