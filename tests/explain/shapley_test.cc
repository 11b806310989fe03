// Shapley values over fields against a brute-force reference (every subset of every field,
// one row at a time through the single-row path, factorial weights), against the closed
// form for a linear network, and the properties: additivity, null fields, sampling.
#include "explain/shapley.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "compress/int8.h"
#include "nn/network.h"
#include "runtime/frozen.h"
#include "runtime/plan.h"
#include "util/rng.h"

namespace ming {
namespace {

struct Net {
  NetConfig cfg;
  std::vector<float> params, buffers;
};

Net RandomNet(int inputs, std::vector<int> hidden, uint64_t seed) {
  Net n;
  n.cfg.inputs = inputs;
  n.cfg.hidden = std::move(hidden);
  n.cfg.outputs = 2;
  n.cfg.activation = Activation::kTanh;
  n.cfg.loss = LossKind::kCrossEntropy;
  NetLayout layout(n.cfg);
  Rng rng(seed);
  n.params.resize(static_cast<size_t>(layout.num_params()));
  for (float& p : n.params) p = static_cast<float>(rng.Normal() * 0.7);
  n.buffers.resize(static_cast<size_t>(layout.num_buffers()));
  return n;
}

// f(row) through the single-row path (not the batched one the engine uses).
double Eval(const Plan& plan, const std::vector<float>& row, int output) {
  PlanScratch s(plan, 1);
  std::vector<float> out(static_cast<size_t>(plan.outputs()));
  plan.Run(row.data(), 1, out.data(), s);
  return out[static_cast<size_t>(output)];
}

// Brute force: for each background row, all 2^F subsets of all fields, Shapley weights
// from factorials, averaged over the background.
std::vector<double> BruteForce(const Plan& plan, const std::vector<FieldColumns>& fields,
                               const std::vector<float>& x, const std::vector<float>& bg, int K,
                               int output) {
  const int F = static_cast<int>(fields.size()), W = plan.inputs();
  std::vector<double> phi(static_cast<size_t>(F), 0.0), fact(static_cast<size_t>(F) + 1, 1.0);
  for (int i = 1; i <= F; ++i) fact[static_cast<size_t>(i)] = fact[static_cast<size_t>(i) - 1] * i;
  for (int k = 0; k < K; ++k) {
    std::vector<double> v(size_t{1} << F);
    for (uint32_t S = 0; S < (1u << F); ++S) {
      std::vector<float> z(bg.begin() + k * W, bg.begin() + (k + 1) * W);
      for (int f = 0; f < F; ++f)
        if (S >> f & 1u)
          for (int c = 0; c < fields[static_cast<size_t>(f)].width; ++c) {
            const int col = fields[static_cast<size_t>(f)].offset + c;
            z[static_cast<size_t>(col)] = x[static_cast<size_t>(col)];
          }
      v[S] = Eval(plan, z, output);
    }
    for (int i = 0; i < F; ++i)
      for (uint32_t S = 0; S < (1u << F); ++S) {
        if (S >> i & 1u) continue;
        const int s = __builtin_popcount(S);
        const double w = fact[static_cast<size_t>(s)] * fact[static_cast<size_t>(F - s - 1)] /
                         fact[static_cast<size_t>(F)];
        phi[static_cast<size_t>(i)] += w * (v[S | (1u << i)] - v[S]) / K;
      }
  }
  return phi;
}

struct Case {
  std::vector<FieldColumns> fields = {{0, 1}, {1, 3}, {4, 1}, {5, 2}, {7, 1}, {8, 1}};
  int W = 9, K = 4;
  std::vector<float> x, bg;
  Case() {
    Rng rng(7);
    for (int i = 0; i < W; ++i) x.push_back(static_cast<float>(rng.Normal()));
    for (int i = 0; i < K * W; ++i) bg.push_back(static_cast<float>(rng.Normal()));
    // Background row 1 shares fields 1 and 4 with x, row 2 shares field 0: null players.
    for (int c = 1; c < 4; ++c) bg[static_cast<size_t>(W + c)] = x[static_cast<size_t>(c)];
    bg[static_cast<size_t>(W + 7)] = x[7];
    bg[static_cast<size_t>(2 * W)] = x[0];
  }
};

TEST(Shapley, ExactEqualsBruteForceAndAddsUp) {
  Case s;
  Net n = RandomNet(s.W, {16, 8}, 3);
  Plan plan(n.cfg, n.params.data(), n.buffers.data());
  ShapleyEngine eng(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{});
  for (int output = 0; output < 2; ++output) {
    ShapleyValues sv;
    eng.Explain(s.x.data(), output, &sv);
    EXPECT_TRUE(sv.exact);
    const auto ref = BruteForce(plan, s.fields, s.x, s.bg, s.K, output);
    double sum = sv.base;
    for (size_t f = 0; f < ref.size(); ++f) {
      EXPECT_NEAR(sv.phi[f], ref[f], 1e-5) << "field " << f;
      sum += sv.phi[f];
    }
    EXPECT_NEAR(sum, sv.output, 1e-9);                      // additivity, by construction
    EXPECT_NEAR(sv.output, Eval(plan, s.x, output), 1e-5);  // and it is the model's output
    double base = 0;
    for (int k = 0; k < s.K; ++k)
      base += Eval(plan, std::vector<float>(s.bg.begin() + k * s.W, s.bg.begin() + (k + 1) * s.W),
                   output) /
              s.K;
    EXPECT_NEAR(sv.base, base, 1e-5);
    // Fewer rows than 4 * 2^6: the shared fields were not enumerated.
    EXPECT_LT(sv.evaluations, 4 * 64);
  }
}

// An int8 first layer quantises its input, so it is not linear in the fields: the engine
// runs whole rows through it instead of adding up layer 0's product field by field.
TEST(Shapley, Int8FirstLayerEqualsBruteForce) {
  Case s;
  Net n = RandomNet(s.W, {16, 8}, 4);
  std::vector<FrozenLayer> layers = FoldNetwork(n.cfg, n.params.data(), n.buffers.data());
  FrozenLayer& L0 = layers.front();
  L0.int8 = QuantizeLinear(L0.W.data(), L0.IC, L0.OC, QuantRange{-3.0f, 3.0f});
  L0.form = WeightForm::kInt8;
  L0.W.clear();
  Plan plan(n.cfg, std::move(layers));
  ShapleyEngine eng(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{});
  ShapleyValues sv;
  eng.Explain(s.x.data(), 1, &sv);
  const auto ref = BruteForce(plan, s.fields, s.x, s.bg, s.K, 1);
  double sum = sv.base;
  for (size_t f = 0; f < ref.size(); ++f) {
    EXPECT_NEAR(sv.phi[f], ref[f], 1e-5) << "field " << f;
    sum += sv.phi[f];
  }
  EXPECT_NEAR(sum, sv.output, 1e-9);
  EXPECT_NEAR(sv.output, Eval(plan, s.x, 1), 1e-5);
}

TEST(Shapley, LinearNetworkGivesWeightTimesDifference) {
  Case s;
  Net n = RandomNet(s.W, {}, 5);  // out = b + x W
  Plan plan(n.cfg, n.params.data(), n.buffers.data());
  ShapleyEngine eng(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{});
  ShapleyValues sv;
  eng.Explain(s.x.data(), 1, &sv);
  const int O = 2;
  for (size_t f = 0; f < s.fields.size(); ++f) {
    double want = 0;
    for (int c = s.fields[f].offset; c < s.fields[f].offset + s.fields[f].width; ++c) {
      double mean_b = 0;
      for (int k = 0; k < s.K; ++k)
        mean_b += static_cast<double>(s.bg[static_cast<size_t>(k * s.W + c)]) / s.K;
      want += n.params[static_cast<size_t>(c * O + 1)] * (s.x[static_cast<size_t>(c)] - mean_b);
    }
    EXPECT_NEAR(sv.phi[f], want, 1e-5) << "field " << f;
  }
}

TEST(Shapley, IgnoredFieldGetsZero) {
  Case s;
  Net n = RandomNet(s.W, {16}, 9);
  NetLayout layout(n.cfg);
  const LayerLayout& first = layout.layers()[0];
  for (int c = 4; c < 5; ++c)  // field 2's column feeds nothing
    for (int o = 0; o < first.OC; ++o)
      n.params[static_cast<size_t>(first.W + c * first.OC + o)] = 0;
  Plan plan(n.cfg, n.params.data(), n.buffers.data());
  ShapleyEngine eng(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{});
  ShapleyValues sv;
  eng.Explain(s.x.data(), 0, &sv);
  EXPECT_NEAR(sv.phi[2], 0.0, 1e-6);
  for (size_t f : {0, 1, 3, 5}) EXPECT_GT(std::fabs(sv.phi[f]), 1e-4) << f;
}

TEST(Shapley, SamplingAddsUpAndApproachesExact) {
  Case s;
  Net n = RandomNet(s.W, {16, 8}, 11);
  Plan plan(n.cfg, n.params.data(), n.buffers.data());
  ShapleyEngine exact(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{});
  ShapleyEngine sampled(plan, s.fields, s.bg.data(), s.K, ShapleyOptions{2, 400, 3});
  ShapleyValues a, b;
  exact.Explain(s.x.data(), 0, &a);
  sampled.Explain(s.x.data(), 0, &b);
  EXPECT_FALSE(b.exact);
  double sum = b.base, scale = 0;
  for (double p : a.phi) scale = std::max(scale, std::fabs(p));
  for (size_t f = 0; f < a.phi.size(); ++f) {
    sum += b.phi[f];
    EXPECT_NEAR(b.phi[f], a.phi[f], 0.05 * scale) << f;
  }
  EXPECT_NEAR(sum, b.output, 1e-9);
  EXPECT_NEAR(b.output, a.output, 1e-5);
}

TEST(Shapley, RowEqualToEveryBackgroundRowGetsNothing) {
  Case s;
  Net n = RandomNet(s.W, {8}, 13);
  Plan plan(n.cfg, n.params.data(), n.buffers.data());
  std::vector<float> bg;
  for (int k = 0; k < 3; ++k) bg.insert(bg.end(), s.x.begin(), s.x.end());
  ShapleyEngine eng(plan, s.fields, bg.data(), 3, ShapleyOptions{});
  ShapleyValues sv;
  eng.Explain(s.x.data(), 0, &sv);
  for (double p : sv.phi) EXPECT_EQ(p, 0.0);
  EXPECT_EQ(sv.evaluations, 3);
  EXPECT_NEAR(sv.base, sv.output, 1e-12);
}

}  // namespace
}  // namespace ming
