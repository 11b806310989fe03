// Losses on raw network outputs: each returns sum_r w[r] * loss[r] (accumulated in double)
// and writes d(sum)/d(output) * grad_scale. Logit losses are computed in the stable forms
// max(x,0) - x y + log1p(e^{-|x|}) and log-sum-exp with the row maximum subtracted.
#include "nn/loss.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "util/check.h"

namespace ming {
namespace {

inline double Weight(const float* w, int64_t r) { return w == nullptr ? 1.0 : w[r]; }

}  // namespace

double bce_with_logits(float* dout, const float* logits, const float* y, const float* w, int B,
                       float grad_scale) {
  double total = 0.0;
  for (int64_t r = 0; r < B; ++r) {
    const double x = logits[r], t = y[r], wr = Weight(w, r);
    const double e = std::exp(-std::fabs(x));  // in (0, 1]: never overflows
    total += wr * (std::max(x, 0.0) - x * t + std::log1p(e));
    if (dout != nullptr) {
      const double sig = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      dout[r] = static_cast<float>(wr * (sig - t) * grad_scale);
    }
  }
  return total;
}

double softmax_cross_entropy(float* dout, const float* logits, const float* y, const float* w,
                             int B, int C, float grad_scale) {
  double total = 0.0;
  for (int64_t r = 0; r < B; ++r) {
    const float* x = logits + r * C;
    const int label = static_cast<int>(y[r]);
    MING_CHECK(label >= 0 && label < C);
    double m = x[0];
    for (int j = 1; j < C; ++j) m = std::max(m, static_cast<double>(x[j]));
    double z = 0.0;
    for (int j = 0; j < C; ++j) z += std::exp(x[j] - m);
    const double lse = m + std::log(z), wr = Weight(w, r);
    total += wr * (lse - x[label]);
    if (dout != nullptr) {
      // d/dx_j = softmax_j - [j == label]
      const double s = wr * grad_scale;
      for (int j = 0; j < C; ++j) {
        const double p = std::exp(x[j] - lse);
        dout[r * C + j] = static_cast<float>(s * (p - (j == label ? 1.0 : 0.0)));
      }
    }
  }
  return total;
}

double mse_loss(float* dout, const float* pred, const float* y, const float* w, int B, int K,
                float grad_scale) {
  double total = 0.0;
  const double inv_k = 1.0 / K;
  for (int64_t r = 0; r < B; ++r) {
    const double wr = Weight(w, r);
    double row = 0.0;
    for (int64_t k = r * K; k < (r + 1) * K; ++k) {
      const double d = static_cast<double>(pred[k]) - y[k];
      row += d * d;
      if (dout != nullptr) dout[k] = static_cast<float>(2.0 * d * inv_k * wr * grad_scale);
    }
    total += wr * row * inv_k;
  }
  return total;
}

double huber_loss(float* dout, const float* pred, const float* y, const float* w, int B, int K,
                  float delta, float grad_scale) {
  double total = 0.0;
  const double inv_k = 1.0 / K, dl = delta;
  for (int64_t r = 0; r < B; ++r) {
    const double wr = Weight(w, r);
    double row = 0.0;
    for (int64_t k = r * K; k < (r + 1) * K; ++k) {
      const double d = static_cast<double>(pred[k]) - y[k], a = std::fabs(d);
      row += a <= dl ? 0.5 * d * d : dl * (a - 0.5 * dl);
      if (dout != nullptr) {
        const double g = std::clamp(d, -dl, dl);  // derivative of the Huber function
        dout[k] = static_cast<float>(g * inv_k * wr * grad_scale);
      }
    }
    total += wr * row * inv_k;
  }
  return total;
}

}  // namespace ming
