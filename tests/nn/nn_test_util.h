// Helpers for the nn tests: random buffers, tolerance checks, central differences, and
// double-precision reference forwards (independent, naive code) for the layers and for a
// whole network, which the finite-difference checks differentiate.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/config.h"
#include "nn/network.h"
#include "util/rng.h"

namespace ming::nntest {

using Vec = std::vector<double>;

inline std::vector<float> RandomFloats(Rng& rng, size_t n, double lo = -1.0, double hi = 1.0) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(lo + (hi - lo) * rng.UniformDouble());
  return v;
}

inline Vec ToDouble(const std::vector<float>& v) { return Vec(v.begin(), v.end()); }

// Expects |got[i] - ref[i]| <= atol + rtol * |ref[i]| for every i; reports up to 5 misses.
inline void ExpectClose(const float* got, const double* ref, size_t n, double atol, double rtol,
                        const std::string& what) {
  int misses = 0;
  for (size_t i = 0; i < n; ++i) {
    const double tol = atol + rtol * std::fabs(ref[i]);
    if (!(std::fabs(got[i] - ref[i]) <= tol)) {
      if (++misses <= 5) {
        ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << ref[i]
                      << " (tolerance " << tol << ")";
      }
    }
  }
  if (misses > 5) ADD_FAILURE() << what << ": " << misses << " entries out of tolerance";
}

inline void ExpectClose(const std::vector<float>& got, const Vec& ref, double atol, double rtol,
                        const std::string& what) {
  ASSERT_EQ(got.size(), ref.size()) << what;
  ExpectClose(got.data(), ref.data(), got.size(), atol, rtol, what);
}

// Central difference (f(x + h) - f(x - h)) / 2h with respect to x[i]; restores x[i].
template <class F>
double CentralDiff(Vec& x, size_t i, double h, const F& f) {
  const double keep = x[i];
  x[i] = keep + h;
  const double up = f();
  x[i] = keep - h;
  const double down = f();
  x[i] = keep;
  return (up - down) / (2 * h);
}

// Gradient of f() with respect to every entry of x, by central differences.
template <class F>
Vec NumericGrad(Vec& x, double h, const F& f) {
  Vec g(x.size());
  for (size_t i = 0; i < x.size(); ++i) g[i] = CentralDiff(x, i, h, f);
  return g;
}

inline double Dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

inline double ActRef(double x, Activation act, double slope) {
  switch (act) {
    case Activation::kRelu:
      return x > 0 ? x : 0;
    case Activation::kLeakyRelu:
      return x > 0 ? x : slope * x;
    case Activation::kGelu:
      return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case Activation::kTanh:
      return std::tanh(x);
    default:
      return 1 / (1 + std::exp(-x));
  }
}

// out[B,OC] = in[B,IC] @ W[IC,OC] + b
inline Vec LinearRef(const Vec& in, const double* W, const double* b, int B, int IC, int OC) {
  Vec out(static_cast<size_t>(B) * OC);
  for (int r = 0; r < B; ++r) {
    for (int j = 0; j < OC; ++j) {
      double s = b[j];
      for (int i = 0; i < IC; ++i) s += in[r * IC + i] * W[i * OC + j];
      out[r * OC + j] = s;
    }
  }
  return out;
}

inline Vec LayerNormRef(const Vec& in, const double* gamma, const double* beta, int B, int C,
                        double eps) {
  Vec out(in.size());
  for (int r = 0; r < B; ++r) {
    double m = 0, v = 0;
    for (int j = 0; j < C; ++j) m += in[r * C + j] / C;
    for (int j = 0; j < C; ++j) v += (in[r * C + j] - m) * (in[r * C + j] - m) / C;
    for (int j = 0; j < C; ++j) {
      out[r * C + j] = (in[r * C + j] - m) / std::sqrt(v + eps) * gamma[j] + beta[j];
    }
  }
  return out;
}

// Training-mode batch norm (biased batch variance).
inline Vec BatchNormRef(const Vec& in, const double* gamma, const double* beta, int B, int C,
                        double eps) {
  Vec out(in.size());
  for (int j = 0; j < C; ++j) {
    double m = 0, v = 0;
    for (int r = 0; r < B; ++r) m += in[r * C + j] / B;
    for (int r = 0; r < B; ++r) v += (in[r * C + j] - m) * (in[r * C + j] - m) / B;
    for (int r = 0; r < B; ++r) {
      out[r * C + j] = (in[r * C + j] - m) / std::sqrt(v + eps) * gamma[j] + beta[j];
    }
  }
  return out;
}

// Network forward in double. masks[l] (if not empty) multiplies hidden block l's
// activation (a fixed dropout mask). Batch norm uses batch statistics, or the running
// statistics in *buffers when that is given (inference). *min_kink receives the smallest
// |pre-activation| seen, so a check can avoid the ReLU kink.
inline Vec NetRef(const NetLayout& layout, const Vec& p, const Vec& X, int B,
                  const std::vector<Vec>& masks, double* min_kink = nullptr,
                  const std::vector<float>* buffers = nullptr) {
  const NetConfig& cfg = layout.config();
  Vec h = X;
  if (min_kink) *min_kink = 1e300;
  for (size_t l = 0; l < layout.layers().size(); ++l) {
    const LayerLayout& L = layout.layers()[l];
    Vec z = LinearRef(h, &p[L.W], &p[L.b], B, L.IC, L.OC);
    if (L.is_output) return z;
    if (cfg.norm == Norm::kLayer)
      z = LayerNormRef(z, &p[L.gamma], &p[L.beta], B, L.OC, cfg.norm_eps);
    if (cfg.norm == Norm::kBatch && buffers == nullptr) {
      z = BatchNormRef(z, &p[L.gamma], &p[L.beta], B, L.OC, cfg.norm_eps);
    } else if (cfg.norm == Norm::kBatch) {
      for (int r = 0; r < B; ++r) {
        for (int j = 0; j < L.OC; ++j) {
          const double rm = (*buffers)[L.run_mean + j], rv = (*buffers)[L.run_var + j];
          double& v = z[r * L.OC + j];
          v = (v - rm) / std::sqrt(rv + cfg.norm_eps) * p[L.gamma + j] + p[L.beta + j];
        }
      }
    }
    for (size_t i = 0; i < z.size(); ++i) {
      if (min_kink) *min_kink = std::min(*min_kink, std::fabs(z[i]));
      z[i] = ActRef(z[i], cfg.activation, cfg.leaky_slope);
      if (l < masks.size() && !masks[l].empty()) z[i] *= masks[l][i];
    }
    h = z;
  }
  return h;
}

}  // namespace ming::nntest
