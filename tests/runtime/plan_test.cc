// The inference plan (folded batch norm, fused layers, zero-skipping matvec) against the
// training-side forward_infer, for every activation and normalisation, one row and many.
#include "runtime/plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nn/network.h"
#include "util/rng.h"

namespace ming {
namespace {

void ExpectPlanMatchesNetwork(const NetConfig& cfg, int B, uint64_t seed) {
  NetLayout layout(cfg);
  std::vector<float> params(static_cast<size_t>(layout.num_params()));
  std::vector<float> buffers(static_cast<size_t>(layout.num_buffers()));
  Rng rng(seed);
  InitParams(layout, params.data(), buffers.data(), rng);
  // Non-trivial norm parameters and running statistics.
  for (const auto& l : layout.layers()) {
    for (int o = 0; o < l.OC; ++o) {
      if (l.gamma >= 0) params[static_cast<size_t>(l.gamma + o)] = 0.5f + rng.Uniform();
      if (l.beta >= 0) params[static_cast<size_t>(l.beta + o)] = rng.Uniform() - 0.5f;
      if (l.run_mean >= 0) buffers[static_cast<size_t>(l.run_mean + o)] = rng.Uniform() - 0.5f;
      if (l.run_var >= 0) buffers[static_cast<size_t>(l.run_var + o)] = 0.2f + rng.Uniform();
    }
  }
  std::vector<float> X(static_cast<size_t>(B * cfg.inputs));
  for (size_t i = 0; i < X.size(); ++i) X[i] = i % 3 == 0 ? 0.0f : static_cast<float>(rng.Normal());
  std::vector<float> want(static_cast<size_t>(B * cfg.outputs)), got(want.size());
  InferWorkspace ws(layout, B);
  forward_infer(layout, params.data(), buffers.data(), X.data(), B, want.data(), ws);
  Plan plan(cfg, params.data(), buffers.data());
  PlanScratch s(plan, B);
  plan.Run(X.data(), B, got.data(), s);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-4 + 1e-4 * std::fabs(want[i]))
        << "B=" << B << " act=" << Name(cfg.activation) << " norm=" << Name(cfg.norm) << " i=" << i;
  }
  // From layer 0's product, built by hand, the same answers again.
  const FrozenLayer& L0 = plan.layers().front();
  std::vector<float> P(static_cast<size_t>(B) * L0.OC), from(want.size());
  for (int r = 0; r < B; ++r)
    for (int o = 0; o < L0.OC; ++o) {
      double z = L0.b[static_cast<size_t>(o)];
      for (int c = 0; c < L0.IC; ++c)
        z += static_cast<double>(X[static_cast<size_t>(r * cfg.inputs + c)]) *
             L0.W[static_cast<size_t>(c * L0.OC + o)];
      P[static_cast<size_t>(r * L0.OC + o)] = static_cast<float>(z);
    }
  plan.RunFromFirstProduct(P.data(), B, from.data(), s);
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(from[i], want[i], 1e-4 + 1e-4 * std::fabs(want[i])) << "from the product, i=" << i;
  }
  // Row by row through the single-row path gives the same answers.
  for (int r = 0; r < B; ++r) {
    std::vector<float> one(static_cast<size_t>(cfg.outputs));
    plan.Run(&X[static_cast<size_t>(r * cfg.inputs)], 1, one.data(), s);
    for (int o = 0; o < cfg.outputs; ++o) {
      const float w = want[static_cast<size_t>(r * cfg.outputs + o)];
      ASSERT_NEAR(one[static_cast<size_t>(o)], w, 1e-4 + 1e-4 * std::fabs(w));
    }
  }
}

TEST(Plan, MatchesNetworkForEveryActivationAndNorm) {
  for (int a = 0; a < static_cast<int>(Activation::kCount); ++a) {
    for (int n = 0; n < static_cast<int>(Norm::kCount); ++n) {
      NetConfig cfg;
      cfg.inputs = 13;
      cfg.hidden = {17, 9};
      cfg.outputs = 3;
      cfg.loss = LossKind::kCrossEntropy;
      cfg.activation = static_cast<Activation>(a);
      cfg.norm = static_cast<Norm>(n);
      for (int B : {1, 5, 64}) ExpectPlanMatchesNetwork(cfg, B, static_cast<uint64_t>(a * 10 + n + B));
    }
  }
}

TEST(Plan, LinearModelWithoutHiddenLayers) {
  NetConfig cfg;
  cfg.inputs = 7;
  cfg.outputs = 1;
  cfg.loss = LossKind::kMse;
  ExpectPlanMatchesNetwork(cfg, 1, 3);
  ExpectPlanMatchesNetwork(cfg, 33, 4);
}

TEST(Plan, RunPlanSplitsRowsAcrossThreads) {
  NetConfig cfg;
  cfg.inputs = 5;
  cfg.hidden = {8};
  cfg.outputs = 1;
  NetLayout layout(cfg);
  std::vector<float> params(static_cast<size_t>(layout.num_params())), buffers;
  Rng rng(5);
  InitParams(layout, params.data(), buffers.data(), rng);
  const int64_t rows = 1000;
  std::vector<float> X(static_cast<size_t>(rows * 5));
  for (auto& x : X) x = static_cast<float>(rng.Normal());
  Plan plan(cfg, params.data(), buffers.data());
  std::vector<float> a(static_cast<size_t>(rows)), b(static_cast<size_t>(rows));
  RunPlan(plan, X.data(), rows, a.data(), 1);
  RunPlan(plan, X.data(), rows, b.data(), 3);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace ming
