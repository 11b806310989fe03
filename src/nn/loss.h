// Loss functions on the network's raw outputs (logits or values).
// Each returns the SUM over rows of w[r] * loss[r] (w = nullptr means all ones) and writes
// the gradient d(sum)/d(output) * grad_scale into dout. The trainer passes
// grad_scale = 1 / (sum of weights over the whole batch) so that shards of one batch add
// up to the gradient of the weighted mean (PyTorch's reduction='mean' with class weights).
// dout may be nullptr (evaluation only). Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace ming {

// logits[B], y[B] in {0,1}: numerically stable sigmoid + binary cross-entropy.
double bce_with_logits(float* dout, const float* logits, const float* y, const float* w, int B,
                       float grad_scale);
// logits[B,C], y[B] class index stored as float: stable log-softmax + cross-entropy.
double softmax_cross_entropy(float* dout, const float* logits, const float* y, const float* w,
                             int B, int C, float grad_scale);
// pred[B,K], y[B,K]: 0.5 is NOT applied; loss[r] = mean over K of (pred - y)^2.
double mse_loss(float* dout, const float* pred, const float* y, const float* w, int B, int K,
                float grad_scale);
// Huber (PyTorch's HuberLoss): 0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta),
// averaged over K.
double huber_loss(float* dout, const float* pred, const float* y, const float* w, int B, int K,
                  float delta, float grad_scale);

}  // namespace ming
