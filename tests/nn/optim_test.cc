// Optimisers, schedules and clipping against steps worked out by hand (the same numbers
// torch.optim gives for these inputs).
#include "nn/optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ming {
namespace {

// Parameters [1, -2, 0.5] with decay mask [1, 0, 1]; the same gradient g = [0.1, 0.2, -0.3]
// on both steps; lr 0.1, momentum 0.9, weight decay 0.01.
struct SgdCase {
  std::vector<float> p = {1, -2, 0.5f}, g = {0.1f, 0.2f, -0.3f}, buf = {0, 0, 0};
  std::vector<uint8_t> mask = {1, 0, 1};
  OptimConfig cfg;
  explicit SgdCase(bool nesterov) {
    cfg.kind = OptimizerKind::kSgd;
    cfg.momentum = 0.9f;
    cfg.nesterov = nesterov;
    cfg.weight_decay = 0.01f;
  }
  void Step(int64_t t) {
    optimizer_step(cfg, 0.1f, t, p.data(), g.data(), buf.data(), nullptr, mask.data(), 0, 3);
  }
};

void ExpectNearAll(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

TEST(OptimTest, SgdMomentumByHand) {
  SgdCase c(false);
  // Step 1: g' = g + wd p mask = [0.11, 0.2, -0.295]; buf = g'; p -= 0.1 buf
  //   -> [0.989, -2.02, 0.5295].
  c.Step(1);
  ExpectNearAll(c.p, {0.989, -2.02, 0.5295}, 1e-6);
  // Step 2: g' = [0.1 + 0.00989, 0.2, -0.3 + 0.005295] = [0.10989, 0.2, -0.294705];
  //   buf = 0.9 [0.11, 0.2, -0.295] + g' = [0.20889, 0.38, -0.560205];
  //   p -= 0.1 buf -> [0.968111, -2.058, 0.5855205].
  c.Step(2);
  ExpectNearAll(c.buf, {0.20889, 0.38, -0.560205}, 1e-6);
  ExpectNearAll(c.p, {0.968111, -2.058, 0.5855205}, 1e-6);
}

TEST(OptimTest, SgdNesterovByHand) {
  SgdCase c(true);
  // Step 1: g' = [0.11, 0.2, -0.295] = buf; update g' + 0.9 buf = 1.9 g' = [0.209, 0.38, -0.5605]
  //   -> p = [0.9791, -2.038, 0.55605].
  c.Step(1);
  ExpectNearAll(c.p, {0.9791, -2.038, 0.55605}, 1e-6);
  // Step 2: g' = [0.109791, 0.2, -0.2944395]; buf = 0.9 [0.11, 0.2, -0.295] + g'
  //   = [0.208791, 0.38, -0.5599395]; update g' + 0.9 buf = [0.2977029, 0.542, -0.79838505]
  //   -> p = [0.94932971, -2.0922, 0.635888505].
  c.Step(2);
  ExpectNearAll(c.p, {0.94932971, -2.0922, 0.635888505}, 1e-6);
}

TEST(OptimTest, PlainSgdByHand) {
  OptimConfig cfg;
  cfg.kind = OptimizerKind::kSgd;
  cfg.momentum = 0.0f;
  std::vector<float> p = {1, -1}, g = {0.5f, 0.25f};
  // No momentum, no decay: p -= 0.2 g -> [0.9, -1.05]; m, v unused (nullptr).
  optimizer_step(cfg, 0.2f, 1, p.data(), g.data(), nullptr, nullptr, nullptr, 0, 2);
  ExpectNearAll(p, {0.9, -1.05}, 1e-7);
}

TEST(OptimTest, AdamTwoStepsByHand) {
  OptimConfig cfg;
  cfg.kind = OptimizerKind::kAdam;
  std::vector<float> p = {1, -2}, m = {0, 0}, v = {0, 0};
  // lr 0.1, b1 0.9, b2 0.999, eps 1e-8. Step 1, g = [0.5, -0.1]: m = 0.1 g = [0.05, -0.01],
  //   v = 0.001 g^2 = [2.5e-4, 1e-5]; m/(1-0.9) = g, v/(1-0.999) = g^2, so the update is
  //   0.1 g / (|g| + 1e-8) = [0.1, -0.1] (to 2e-9) -> p = [0.9, -1.9].
  std::vector<float> g = {0.5f, -0.1f};
  optimizer_step(cfg, 0.1f, 1, p.data(), g.data(), m.data(), v.data(), nullptr, 0, 2);
  ExpectNearAll(p, {0.900000002, -1.90000001}, 1e-6);
  // Step 2, g = [0.1, 0.2]: m = 0.9 m + 0.1 g = [0.055, 0.011];
  //   v = 0.999 v + 0.001 g^2 = [2.5975e-4, 4.999e-5]; bias corrections 0.19 and 0.001999:
  //   m_hat = [0.2894737, 0.0578947], sqrt(v_hat) = [0.3604718, 0.1581385];
  //   update 0.1 m_hat / sqrt(v_hat) = [0.0803043, 0.0366102] -> p = [0.8196959, -1.9366104].
  // (The betas are floats: 1 - 0.9f and 1 - 0.999f differ from 0.1 and 0.001 by 2.4e-7 and
  // 1.3e-5 relative, hence the tolerances on m and v.)
  g = {0.1f, 0.2f};
  optimizer_step(cfg, 0.1f, 2, p.data(), g.data(), m.data(), v.data(), nullptr, 0, 2);
  ExpectNearAll(m, {0.055, 0.011}, 5e-8);
  ExpectNearAll(v, {2.5975e-4, 4.999e-5}, 5e-9);
  ExpectNearAll(p, {0.8196959, -1.9366104}, 1e-6);
}

TEST(OptimTest, AdamL2DecayByHand) {
  OptimConfig cfg;
  cfg.kind = OptimizerKind::kAdam;
  cfg.weight_decay = 0.5f;
  std::vector<float> p = {1, -2}, m = {0, 0}, v = {0, 0}, g = {0.5f, -0.1f};
  // g' = g + 0.5 p = [1.0, -1.1]; m = 0.1 g' = [0.1, -0.11]; first step moves by lr sign(g').
  optimizer_step(cfg, 0.1f, 1, p.data(), g.data(), m.data(), v.data(), nullptr, 0, 2);
  ExpectNearAll(m, {0.1, -0.11}, 5e-8);
  ExpectNearAll(p, {0.9, -1.9}, 1e-6);
}

TEST(OptimTest, AdamWByHand) {
  OptimConfig cfg;
  cfg.kind = OptimizerKind::kAdamW;
  cfg.weight_decay = 0.1f;
  std::vector<float> p = {1, -2, 3}, m(3, 0.0f), v(3, 0.0f), g = {0.5f, -0.1f, 0.2f};
  const std::vector<uint8_t> mask = {1, 1, 0};
  // Decoupled: p *= 1 - 0.1 * 0.1 where the mask says so -> [0.99, -1.98, 3]; then the first
  // Adam step moves each by 0.1 sign(g) -> [0.89, -1.88, 2.9]. m sees the raw gradient.
  optimizer_step(cfg, 0.1f, 1, p.data(), g.data(), m.data(), v.data(), mask.data(), 0, 3);
  ExpectNearAll(p, {0.89, -1.88, 2.9}, 1e-6);
  ExpectNearAll(m, {0.05, -0.01, 0.02}, 5e-8);
}

TEST(OptimTest, RangesAreIndependent) {
  // Two half-range calls equal one full-range call (the trainer splits ranges by thread).
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kAdam, OptimizerKind::kAdamW}) {
    OptimConfig cfg;
    cfg.kind = kind;
    cfg.weight_decay = 0.01f;
    std::vector<float> p1 = {1, 2, 3, 4, 5}, g = {0.1f, -0.2f, 0.3f, -0.4f, 0.5f};
    std::vector<float> p2 = p1, m1(5, 0.0f), v1(5, 0.0f), m2 = m1, v2 = v1;
    for (int64_t t = 1; t <= 3; ++t) {
      optimizer_step(cfg, 0.01f, t, p1.data(), g.data(), m1.data(), v1.data(), nullptr, 0, 5);
      optimizer_step(cfg, 0.01f, t, p2.data(), g.data(), m2.data(), v2.data(), nullptr, 0, 2);
      optimizer_step(cfg, 0.01f, t, p2.data(), g.data(), m2.data(), v2.data(), nullptr, 2, 5);
    }
    EXPECT_EQ(p1, p2) << Name(kind);
  }
}

TEST(ScheduleTest, ConstantAndWarmup) {
  ScheduleConfig s;
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 0, 100), 0.1f);
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 99, 100), 0.1f);
  s.warmup_steps = 4;  // lr * (step + 1) / 4
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 0, 100), 0.025f);
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 2, 100), 0.075f);
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 3, 100), 0.1f);
  EXPECT_FLOAT_EQ(lr_at(s, 0.1f, 4, 100), 0.1f);
}

TEST(ScheduleTest, StepDecay) {
  ScheduleConfig s;
  s.kind = ScheduleKind::kStep;
  s.step_every = 3;
  s.gamma = 0.5f;
  s.warmup_steps = 2;
  // Warm-up: steps 0, 1 -> 0.5, 1. Then s = step - 2: lr * 0.5^floor(s / 3).
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 0, 100), 0.5f);
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 1, 100), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 2, 100), 1.0f);     // s = 0
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 4, 100), 1.0f);     // s = 2
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 5, 100), 0.5f);     // s = 3
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 11, 100), 0.125f);  // s = 9
  s.step_every = 0;                                  // no decay configured
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 50, 100), 1.0f);
}

TEST(ScheduleTest, Cosine) {
  ScheduleConfig s;
  s.kind = ScheduleKind::kCosine;
  s.min_lr_ratio = 0.1f;
  // min 0.1; lr(s) = 0.1 + 0.9 * 0.5 * (1 + cos(pi s / 10)) over total 10.
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 0, 10), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 5, 10), 0.55f);
  EXPECT_NEAR(lr_at(s, 1.0f, 2, 10), 0.1 + 0.45 * (1 + 0.80901699), 1e-6);  // cos(pi/5)
  EXPECT_NEAR(lr_at(s, 1.0f, 10, 10), 0.1f, 1e-7);
  EXPECT_NEAR(lr_at(s, 1.0f, 20, 10), 0.1f, 1e-7);  // holds the floor past the end
  // Warm-up 4 of 12: the cosine runs over the remaining 8 steps.
  s.warmup_steps = 4;
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 1, 12), 0.5f);
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 4, 12), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(s, 1.0f, 8, 12), 0.55f);
  // Degenerate total <= warm-up: span clamps to 1.
  EXPECT_NEAR(lr_at(s, 1.0f, 5, 4), 0.1f, 1e-7);
}

TEST(OptimTest, ClipGradNorm) {
  // grads [3, 4]: norm 5. max_norm 1 scales by 1 / (5 + 1e-6) -> [0.59999988, 0.79999984].
  std::vector<float> g = {3, 4};
  EXPECT_DOUBLE_EQ(grad_norm(g.data(), 2), 5.0);
  clip_grad_norm(g.data(), 2, 5.0, 1.0f);
  EXPECT_NEAR(g[0], 0.59999988, 1e-7);
  EXPECT_NEAR(g[1], 0.79999984, 1e-7);
  // Under the limit: untouched.
  std::vector<float> h = {3, 4};
  clip_grad_norm(h.data(), 2, 5.0, 10.0f);
  EXPECT_EQ(h, (std::vector<float>{3, 4}));
  // Norm of a long vector (exercises the 8-lane loop and its tail): 1000 ones + a 7.
  std::vector<float> ones(1000, 1.0f);
  ones.push_back(7.0f);
  EXPECT_DOUBLE_EQ(grad_norm(ones.data(), 1001), std::sqrt(1049.0));
}

}  // namespace
}  // namespace ming
