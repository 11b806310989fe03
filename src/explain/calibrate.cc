// Temperature and Platt fits (Newton's method with step halving; both losses are convex)
// and the expected calibration error.
#include "explain/calibrate.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ming {
namespace {

double Softplus(double u) { return u > 0 ? u + std::log1p(std::exp(-u)) : std::log1p(std::exp(u)); }
double Sigmoid(double u) { return 1.0 / (1.0 + std::exp(-u)); }

// Loss, first and second derivative of the temperature objective at scale a.
void TemperatureLoss(const float* z, const int32_t* y, int64_t N, int C, double a, double* L,
                     double* d1, double* d2) {
  *L = *d1 = *d2 = 0;
  for (int64_t i = 0; i < N; ++i) {
    const float* zi = z + i * C;
    if (C == 1) {
      const double u = a * zi[0], s = Sigmoid(u);
      *L += Softplus(u) - (y[i] == 1 ? u : 0.0);
      *d1 += zi[0] * (s - y[i]);
      *d2 += static_cast<double>(zi[0]) * zi[0] * s * (1 - s);
      continue;
    }
    const double mx = a * *std::max_element(zi, zi + C);
    double sum = 0, ez = 0, ez2 = 0;
    for (int c = 0; c < C; ++c) {
      const double e = std::exp(a * zi[c] - mx);
      sum += e;
      ez += e * zi[c];
      ez2 += e * zi[c] * zi[c];
    }
    const double mean = ez / sum;
    *L += mx + std::log(sum) - a * zi[y[i]];
    *d1 += mean - zi[y[i]];
    *d2 += ez2 / sum - mean * mean;
  }
}

}  // namespace

Result<double> FitTemperature(const float* logits, const int32_t* y, int64_t N, int C) {
  double a = 1, L, d1, d2;
  TemperatureLoss(logits, y, N, C, a, &L, &d1, &d2);
  for (int it = 0; it < 100 && std::fabs(d1) > 1e-10 * static_cast<double>(N); ++it) {
    double step = d2 > 0 ? d1 / d2 : (d1 > 0 ? 0.5 * a : -a);
    double a_new = a - step, Ln, n1, n2;
    for (int h = 0; h < 60; ++h, step *= 0.5, a_new = a - step) {
      if (a_new <= 0) continue;
      TemperatureLoss(logits, y, N, C, a_new, &Ln, &n1, &n2);
      if (Ln <= L) break;
    }
    if (!(a_new > 0) || !(Ln <= L)) break;
    a = a_new, L = Ln, d1 = n1, d2 = n2;
    if (a > 1e6)
      return Status::InvalidInput(
          "temperature scaling has no finite optimum on these rows (perfect separation?)");
  }
  if (!(a > 0) || !std::isfinite(a))
    return Status::InvalidInput("temperature scaling did not converge");
  return a;
}

Result<PlattFit> FitPlatt(const float* z, const int32_t* y, int64_t N) {
  double n1 = 0;
  for (int64_t i = 0; i < N; ++i) n1 += y[i] == 1;
  const double n0 = static_cast<double>(N) - n1;
  const double t1 = (n1 + 1) / (n1 + 2), t0 = 1 / (n0 + 2);
  auto loss = [&](double s, double h, double g[2], double H[3]) {
    double L = 0;
    g[0] = g[1] = H[0] = H[1] = H[2] = 0;
    for (int64_t i = 0; i < N; ++i) {
      const double t = y[i] == 1 ? t1 : t0, u = s * z[i] + h, p = Sigmoid(u), w = p * (1 - p);
      L += Softplus(u) - t * u;
      g[0] += (p - t) * z[i], g[1] += p - t;
      H[0] += w * z[i] * z[i], H[1] += w * z[i], H[2] += w;
    }
    return L;
  };
  double s = 0, h = std::log((n1 + 1) / (n0 + 1)), g[2], H[3];
  double L = loss(s, h, g, H);
  for (int it = 0; it < 100 && std::hypot(g[0], g[1]) > 1e-10 * static_cast<double>(N); ++it) {
    const double det = H[0] * H[2] - H[1] * H[1];
    double ds = det > 0 ? (H[2] * g[0] - H[1] * g[1]) / det : g[0];
    double dh = det > 0 ? (H[0] * g[1] - H[1] * g[0]) / det : g[1];
    double g2[2], H2[3], Ln = L;
    for (int k = 0; k < 60; ++k, ds *= 0.5, dh *= 0.5) {
      Ln = loss(s - ds, h - dh, g2, H2);
      if (Ln <= L) break;
    }
    if (!(Ln <= L)) break;
    s -= ds, h -= dh, L = Ln;
    std::copy_n(g2, 2, g), std::copy_n(H2, 3, H);
  }
  if (!(s > 0) || !std::isfinite(h)) {
    return Status::InvalidInput(
        "Platt scaling: the model's scores do not rise with the positive class on these rows");
  }
  return PlattFit{s, h};
}

double ExpectedCalibrationError(const float* probs, const int32_t* y, int64_t N, int C, int bins) {
  std::vector<double> conf(static_cast<size_t>(bins)), acc(static_cast<size_t>(bins)),
      cnt(static_cast<size_t>(bins));
  for (int64_t i = 0; i < N; ++i) {
    const float* p = probs + i * C;
    const int best = static_cast<int>(std::max_element(p, p + C) - p);
    const int b = std::min(bins - 1, static_cast<int>(static_cast<double>(p[best]) * bins));
    conf[static_cast<size_t>(b)] += p[best];
    acc[static_cast<size_t>(b)] += best == y[i];
    cnt[static_cast<size_t>(b)] += 1;
  }
  double ece = 0;
  for (size_t b = 0; b < cnt.size(); ++b) {
    if (cnt[b] > 0) ece += std::fabs(acc[b] - conf[b]) / static_cast<double>(N);
  }
  return ece;
}

}  // namespace ming
