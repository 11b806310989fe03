// SGD (momentum, Nesterov), Adam and AdamW over a flat parameter range, learning-rate
// schedules and global gradient-norm clipping, following torch.optim (1.13) step by step:
// scalars (bias corrections, step size) are formed in double and applied in float.
#include "nn/optim.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace ming {
namespace {

inline float DecayOf(const uint8_t* mask, int64_t i, float wd) {
  return mask == nullptr || mask[i] != 0 ? wd : 0.0f;
}

void SgdStep(const OptimConfig& cfg, float lr, int64_t step, float* p, const float* grads,
             float* buf, const uint8_t* mask, int64_t begin, int64_t end) {
  const float wd = cfg.weight_decay, mu = cfg.momentum;
  if (mu == 0.0f) {
    for (int64_t i = begin; i < end; ++i) p[i] -= lr * (grads[i] + DecayOf(mask, i, wd) * p[i]);
    return;
  }
  const float keep = step <= 1 ? 0.0f : mu;  // the buffer starts as the first gradient
  const bool nesterov = cfg.nesterov;
  for (int64_t i = begin; i < end; ++i) {
    const float g = grads[i] + DecayOf(mask, i, wd) * p[i];
    const float b = keep * buf[i] + g;
    buf[i] = b;
    p[i] -= lr * (nesterov ? g + mu * b : b);
  }
}

// Adam and AdamW; `decoupled` selects AdamW (p *= 1 - lr wd) over L2 (g += wd p).
void AdamStep(const OptimConfig& cfg, float lr, int64_t step, bool decoupled, float* p,
              const float* grads, float* m, float* v, const uint8_t* mask, int64_t begin,
              int64_t end) {
  const double b1 = cfg.beta1, b2 = cfg.beta2, t = static_cast<double>(std::max<int64_t>(step, 1));
  const float fb1 = cfg.beta1, fb2 = cfg.beta2;
  const float one_b1 = static_cast<float>(1.0 - b1), one_b2 = static_cast<float>(1.0 - b2);
  const float step_size = static_cast<float>(lr / (1.0 - std::pow(b1, t)));
  const float bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, t)));
  const float eps = cfg.eps;
  const float l2 = decoupled ? 0.0f : cfg.weight_decay;
  const float shrink = static_cast<float>(1.0 - static_cast<double>(lr) * cfg.weight_decay);
  for (int64_t i = begin; i < end; ++i) {
    const bool decays = mask == nullptr || mask[i] != 0;
    float pi = p[i];
    if (decoupled && decays) pi *= shrink;
    const float g = grads[i] + (decays ? l2 : 0.0f) * pi;
    const float mi = m[i] * fb1 + g * one_b1;
    const float vi = v[i] * fb2 + g * g * one_b2;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / bc2_sqrt + eps;
    p[i] = pi - step_size * mi / denom;
  }
}

}  // namespace

void optimizer_step(const OptimConfig& cfg, float lr, int64_t step, float* params,
                    const float* grads, float* m, float* v, const uint8_t* decay_mask,
                    int64_t begin, int64_t end) {
  switch (cfg.kind) {
    case OptimizerKind::kSgd:
      return SgdStep(cfg, lr, step, params, grads, m, decay_mask, begin, end);
    case OptimizerKind::kAdam:
      return AdamStep(cfg, lr, step, false, params, grads, m, v, decay_mask, begin, end);
    case OptimizerKind::kAdamW:
      return AdamStep(cfg, lr, step, true, params, grads, m, v, decay_mask, begin, end);
    case OptimizerKind::kCount:
      break;
  }
}

float lr_at(const ScheduleConfig& cfg, float lr, int64_t step, int64_t total_steps) {
  step = std::max<int64_t>(step, 0);
  const int64_t warm = std::max<int64_t>(cfg.warmup_steps, 0);
  if (step < warm) {
    return static_cast<float>(static_cast<double>(lr) * static_cast<double>(step + 1) /
                              static_cast<double>(warm));
  }
  const int64_t s = step - warm;
  switch (cfg.kind) {
    case ScheduleKind::kConstant:
      return lr;
    case ScheduleKind::kStep: {
      if (cfg.step_every <= 0) return lr;
      const double k = static_cast<double>(s / cfg.step_every);
      return static_cast<float>(lr * std::pow(static_cast<double>(cfg.gamma), k));
    }
    case ScheduleKind::kCosine: {
      // Holds the floor once the schedule has run its course (s > span).
      const int64_t span = std::max<int64_t>(1, total_steps - warm);
      const double frac = static_cast<double>(std::min(s, span)) / static_cast<double>(span);
      const double lo = static_cast<double>(lr) * cfg.min_lr_ratio;
      return static_cast<float>(lo + (lr - lo) * 0.5 * (1.0 + std::cos(std::numbers::pi * frac)));
    }
    case ScheduleKind::kCount:
      break;
  }
  return lr;
}

double grad_norm(const float* grads, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(grads[i + k]) * grads[i + k];
  }
  double s = 0.0;
  for (; i < n; ++i) s += static_cast<double>(grads[i]) * grads[i];
  for (double a : acc) s += a;
  return std::sqrt(s);
}

void clip_grad_norm(float* grads, int64_t n, double norm, float max_norm) {
  const double coef = static_cast<double>(max_norm) / (norm + 1e-6);
  if (!(coef < 1.0)) return;
  const float c = static_cast<float>(coef);
  for (int64_t i = 0; i < n; ++i) grads[i] *= c;
}

}  // namespace ming
