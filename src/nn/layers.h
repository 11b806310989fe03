// Layers as pairs of plain functions over contiguous row-major buffers.
// Shapes: B rows (batch), IC features in, OC features out, C channels. No allocation,
// no I/O, no throw. Backward functions ACCUMULATE into parameter gradients (dW, db,
// dgamma, dbeta), which the caller zeroes once per step; input gradients (din) are
// OVERWRITTEN. din may be nullptr when the caller does not need it (first layer).
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>

#include "nn/config.h"
#include "util/rng.h"

namespace ming {

// out[B,OC] = in[B,IC] @ W[IC,OC] + b[OC]. out must not alias in.
void linear_forward(float* out, const float* in, const float* W, const float* b, int B, int IC,
                    int OC);
// din[B,IC] = dout[B,OC] @ W^T;  dW[IC,OC] += in^T @ dout;  db[OC] += sum over rows of dout.
// din and db may be nullptr (skipped); din must not alias dout.
void linear_backward(float* din, float* dW, float* db, const float* dout, const float* in,
                     const float* W, int B, int IC, int OC);

// out[n] = act(in[n]); out may alias in.
void activation_forward(float* out, const float* in, int64_t n, Activation act, float slope);
// din[n] = dout[n] * act'(in[n]); `in` is the pre-activation, `out` the activation output
// (either may be used). din may alias dout. The derivative is read from `out` for relu,
// tanh and sigmoid and from `in` for leaky_relu and gelu (see
// activation_backward_needs_input), so the other pointer may be nullptr. ReLU'(0) = 0 and
// LeakyReLU'(0) = slope, as in PyTorch.
void activation_backward(float* din, const float* dout, const float* in, const float* out,
                         int64_t n, Activation act, float slope);
// True when activation_backward reads `in` (leaky_relu, gelu); false when it reads only
// `out`, so that a forward pass may overwrite the pre-activation with the activation.
bool activation_backward_needs_input(Activation act);

// Fused backward of "z = linear + b -> act -> dropout" for one hidden block, in one pass:
//   dz[B,OC] = dy * mask * act'(...)   (mask[B,OC] may be nullptr: no dropout)
//   db[OC]  += sum over rows of dz     (db may be nullptr: skipped)
// in/out as for activation_backward. dz may alias dy.
void activation_backward_bias(float* dz, float* db, const float* dy, const float* mask,
                              const float* in, const float* out, int B, int OC, Activation act,
                              float slope);

// Inverted dropout: mask[i] = (u >= p) / (1 - p), out = in * mask. p in [0, 1); one
// rng.Uniform() per element in order. p == 0: out = in, mask = 1, nothing drawn.
// out may alias in; din may alias dout.
void dropout_forward(float* out, float* mask, const float* in, int64_t n, float p, Rng& rng);
void dropout_backward(float* din, const float* dout, const float* mask, int64_t n);

// Layer normalisation over the C features of each row:
// out = (in - mean_r) * rstd_r * gamma + beta, rstd_r = 1 / sqrt(biased var_r + eps).
// mean[B], rstd[B] are saved for backward; both may be nullptr (inference). out may alias in.
void layernorm_forward(float* out, float* mean, float* rstd, const float* in,
                       const float* gamma, const float* beta, int B, int C, float eps);
// din[B,C] (may alias dout); dgamma[C], dbeta[C] accumulate.
void layernorm_backward(float* din, float* dgamma, float* dbeta, const float* dout,
                        const float* in, const float* mean, const float* rstd,
                        const float* gamma, int B, int C);

// Batch normalisation, training mode: statistics over the B rows of each channel
// (biased variance for normalising). Writes mean[C], rstd[C] (saved for backward) and
// var_unbiased[C] (for the caller's running-statistics update; 0 when B == 1).
// rstd = 1 / sqrt(biased var + eps). out may alias in. B == 0 writes nothing.
void batchnorm_forward_train(float* out, float* mean, float* rstd, float* var_unbiased,
                             const float* in, const float* gamma, const float* beta, int B,
                             int C, float eps);
// din[B,C] (may alias dout); dgamma[C], dbeta[C] accumulate.
void batchnorm_backward(float* din, float* dgamma, float* dbeta, const float* dout,
                        const float* in, const float* mean, const float* rstd,
                        const float* gamma, int B, int C);
// Inference mode with running statistics: out = (in - run_mean) / sqrt(run_var + eps) *
// gamma + beta. out may alias in.
void batchnorm_forward_infer(float* out, const float* in, const float* run_mean,
                             const float* run_var, const float* gamma, const float* beta, int B,
                             int C, float eps);

}  // namespace ming
