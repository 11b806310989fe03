// Layer and batch normalisation, forward and backward (PyTorch semantics: biased variance
// to normalise, eps inside the square root, unbiased variance reported for running stats).
// Row reductions use 16 float lanes so that they vectorise; batch-norm statistics are
// per channel and run over blocks of kBlock channels with double accumulators on the stack.
#include <cmath>
#include <cstdint>

#include "nn/layers.h"

namespace ming {
namespace {

constexpr int kLanes = 16;
constexpr int kBlock = 64;

inline float Sum(const float* x, int n) {
  float acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += x[i + k];
  }
  float s = 0.0f;
  for (; i < n; ++i) s += x[i];
  for (int k = 0; k < kLanes; ++k) s += acc[k];
  return s;
}

// Sum of (x[i] - m)^2.
inline float SumSqDev(const float* x, float m, int n) {
  float acc[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) {
      const float d = x[i + k] - m;
      acc[k] += d * d;
    }
  }
  float s = 0.0f;
  for (; i < n; ++i) s += (x[i] - m) * (x[i] - m);
  for (int k = 0; k < kLanes; ++k) s += acc[k];
  return s;
}

inline int Width(int c0, int C) { return C - c0 < kBlock ? C - c0 : kBlock; }

}  // namespace

void layernorm_forward(float* out, float* mean, float* rstd, const float* in, const float* gamma,
                       const float* beta, int B, int C, float eps) {
  if (C <= 0) return;
  for (int64_t r = 0; r < B; ++r) {
    const float* x = in + r * C;
    float* y = out + r * C;
    const float m = Sum(x, C) / static_cast<float>(C);
    const float var = SumSqDev(x, m, C) / static_cast<float>(C);
    const float rs = 1.0f / std::sqrt(var + eps);
    if (mean != nullptr) mean[r] = m;
    if (rstd != nullptr) rstd[r] = rs;
    for (int j = 0; j < C; ++j) y[j] = (x[j] - m) * rs * gamma[j] + beta[j];
  }
}

void layernorm_backward(float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                        const float* mean, const float* rstd, const float* gamma, int B, int C) {
  if (C <= 0) return;
  const float inv_c = 1.0f / static_cast<float>(C);
  for (int64_t r = 0; r < B; ++r) {
    const float* x = in + r * C;
    const float* g = dout + r * C;
    float* d = din + r * C;
    const float m = mean[r], rs = rstd[r];
    // s1 = sum dxhat, s2 = sum dxhat * xhat, where dxhat = dout * gamma.
    float a1[kLanes] = {}, a2[kLanes] = {};
    int j = 0;
    for (; j + kLanes <= C; j += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const float xh = (x[j + k] - m) * rs;
        const float dxh = g[j + k] * gamma[j + k];
        a1[k] += dxh;
        a2[k] += dxh * xh;
      }
    }
    float s1 = 0.0f, s2 = 0.0f;
    for (; j < C; ++j) {
      const float xh = (x[j] - m) * rs;
      s1 += g[j] * gamma[j];
      s2 += g[j] * gamma[j] * xh;
    }
    for (int k = 0; k < kLanes; ++k) {
      s1 += a1[k];
      s2 += a2[k];
    }
    for (j = 0; j < C; ++j) {
      const float xh = (x[j] - m) * rs;
      dgamma[j] += g[j] * xh;
      dbeta[j] += g[j];
      d[j] = rs * (g[j] * gamma[j] - s1 * inv_c - xh * (s2 * inv_c));
    }
  }
}

void batchnorm_forward_train(float* out, float* mean, float* rstd, float* var_unbiased,
                             const float* in, const float* gamma, const float* beta, int B, int C,
                             float eps) {
  if (B <= 0) return;
  for (int c0 = 0; c0 < C; c0 += kBlock) {
    const int w = Width(c0, C);
    double s[kBlock] = {}, q[kBlock] = {};
    for (int64_t r = 0; r < B; ++r) {
      const float* x = in + r * C + c0;
      for (int j = 0; j < w; ++j) s[j] += x[j];
    }
    float m[kBlock], scale[kBlock];
    for (int j = 0; j < w; ++j) m[j] = static_cast<float>(s[j] / B);
    for (int64_t r = 0; r < B; ++r) {  // second pass: no cancellation in the variance
      const float* x = in + r * C + c0;
      for (int j = 0; j < w; ++j) {
        const double d = static_cast<double>(x[j]) - s[j] / B;
        q[j] += d * d;
      }
    }
    for (int j = 0; j < w; ++j) {
      const float rs = static_cast<float>(1.0 / std::sqrt(q[j] / B + eps));
      mean[c0 + j] = m[j];
      rstd[c0 + j] = rs;
      var_unbiased[c0 + j] = B > 1 ? static_cast<float>(q[j] / (B - 1)) : 0.0f;
      scale[j] = rs * gamma[c0 + j];
    }
    for (int64_t r = 0; r < B; ++r) {
      const float* x = in + r * C + c0;
      float* y = out + r * C + c0;
      for (int j = 0; j < w; ++j) y[j] = (x[j] - m[j]) * scale[j] + beta[c0 + j];
    }
  }
}

void batchnorm_backward(float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                        const float* mean, const float* rstd, const float* gamma, int B, int C) {
  if (B <= 0) return;
  // din = gamma * rstd * (dout - mean_r(dout) - xhat * mean_r(dout * xhat))
  for (int c0 = 0; c0 < C; c0 += kBlock) {
    const int w = Width(c0, C);
    double sg[kBlock] = {}, sgx[kBlock] = {};
    for (int64_t r = 0; r < B; ++r) {
      const float* x = in + r * C + c0;
      const float* g = dout + r * C + c0;
      for (int j = 0; j < w; ++j) {
        const float xh = (x[j] - mean[c0 + j]) * rstd[c0 + j];
        sg[j] += g[j];
        sgx[j] += static_cast<double>(g[j]) * xh;
      }
    }
    float k1[kBlock], k2[kBlock], scale[kBlock];
    for (int j = 0; j < w; ++j) {
      dgamma[c0 + j] += static_cast<float>(sgx[j]);
      dbeta[c0 + j] += static_cast<float>(sg[j]);
      k1[j] = static_cast<float>(sg[j] / B);
      k2[j] = static_cast<float>(sgx[j] / B);
      scale[j] = gamma[c0 + j] * rstd[c0 + j];
    }
    for (int64_t r = 0; r < B; ++r) {
      const float* x = in + r * C + c0;
      const float* g = dout + r * C + c0;
      float* d = din + r * C + c0;
      for (int j = 0; j < w; ++j) {
        const float xh = (x[j] - mean[c0 + j]) * rstd[c0 + j];
        d[j] = scale[j] * (g[j] - k1[j] - xh * k2[j]);
      }
    }
  }
}

void batchnorm_forward_infer(float* out, const float* in, const float* run_mean,
                             const float* run_var, const float* gamma, const float* beta, int B,
                             int C, float eps) {
  if (B <= 0) return;
  for (int c0 = 0; c0 < C; c0 += kBlock) {
    const int w = Width(c0, C);
    float scale[kBlock], shift[kBlock];
    for (int j = 0; j < w; ++j) {
      scale[j] = gamma[c0 + j] / std::sqrt(run_var[c0 + j] + eps);
      shift[j] = beta[c0 + j] - run_mean[c0 + j] * scale[j];
    }
    for (int64_t r = 0; r < B; ++r) {
      const float* x = in + r * C + c0;
      float* y = out + r * C + c0;
      for (int j = 0; j < w; ++j) y[j] = x[j] * scale[j] + shift[j];
    }
  }
}

}  // namespace ming
