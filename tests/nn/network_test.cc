// The network: config validation, layout, initialisation, whole-network backward by
// central differences for every norm and activation (and dropout, and no hidden layer),
// shard accumulation, batch-norm running statistics, and the inference pass.
#include "nn/network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

NetConfig SmallConfig(Norm norm, Activation act) {
  NetConfig c;
  c.inputs = 4;
  c.hidden = {5, 3};
  c.outputs = 2;
  c.activation = act;
  c.leaky_slope = 0.1f;
  c.norm = norm;
  c.loss = LossKind::kMse;
  return c;
}

TEST(NetworkTest, ValidateNamesTheSetting) {
  NetConfig c;
  c.inputs = 5;
  c.hidden = {8, 6};
  c.outputs = 3;
  c.loss = LossKind::kCrossEntropy;
  EXPECT_TRUE(ValidateNetConfig(c).ok());
  auto bad = [&](auto edit, const std::string& want) {
    NetConfig d = c;
    edit(d);
    const Status st = ValidateNetConfig(d);
    EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << want;
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  bad([](NetConfig& d) { d.hidden = {8, 0}; }, "hidden layer 2 has width 0");
  bad([](NetConfig& d) { d.hidden = {-3}; }, "hidden layer 1 has width -3");
  bad([](NetConfig& d) { d.dropout = 1.5f; }, "dropout 1.5 is outside [0, 1)");
  bad([](NetConfig& d) { d.dropout = -0.1f; }, "dropout -0.1 is outside [0, 1)");
  bad([](NetConfig& d) { d.dropout = std::numeric_limits<float>::quiet_NaN(); }, "dropout nan");
  bad([](NetConfig& d) { d.loss = LossKind::kBce; }, "loss bce needs 1 output, config has 3");
  bad([](NetConfig& d) { d.outputs = 1; }, "loss cross_entropy needs >= 2 outputs");
  bad([](NetConfig& d) { d.inputs = 0; }, "needs >= 1 input, config has 0");
  bad([](NetConfig& d) { d.outputs = 0; }, "needs >= 1 output, config has 0");
  bad([](NetConfig& d) { d.norm_eps = 0; }, "norm_eps 0 must be > 0");
  bad([](NetConfig& d) { d.bn_momentum = 2; }, "bn_momentum 2 is outside [0, 1]");
  bad(
      [](NetConfig& d) {
        d.loss = LossKind::kHuber;
        d.huber_delta = 0;
      },
      "huber_delta 0");
  c.hidden.clear();  // no hidden layer: logistic / linear regression
  EXPECT_TRUE(ValidateNetConfig(c).ok());
}

TEST(NetworkTest, LayoutOffsetsAndDecayMask) {
  NetConfig c = SmallConfig(Norm::kLayer, Activation::kRelu);
  c.inputs = 5;
  c.hidden = {8, 6};
  c.outputs = 3;
  const NetLayout ln(c);
  // Per block W, b, gamma, beta: [0,40) [40,48) [48,56) [56,64) | [64,112) [112,118)
  // [118,124) [124,130) | output [130,148) [148,151).
  const auto& L = ln.layers();
  ASSERT_EQ(L.size(), 3u);
  EXPECT_EQ(L[0].W, 0);
  EXPECT_EQ(L[0].b, 40);
  EXPECT_EQ(L[0].gamma, 48);
  EXPECT_EQ(L[0].beta, 56);
  EXPECT_EQ(L[1].W, 64);
  EXPECT_EQ(L[1].IC, 8);
  EXPECT_EQ(L[1].gamma, 118);
  EXPECT_EQ(L[2].W, 130);
  EXPECT_EQ(L[2].b, 148);
  EXPECT_EQ(L[2].gamma, -1);
  EXPECT_TRUE(L[2].is_output);
  EXPECT_EQ(ln.num_params(), 151);
  EXPECT_EQ(ln.num_buffers(), 0);
  EXPECT_EQ(ln.max_width(), 8);
  const auto mask = ln.DecayMask();
  int ones = 0;
  for (uint8_t m : mask) ones += m;
  EXPECT_EQ(ones, 40 + 48 + 18);
  EXPECT_EQ(mask[39], 1);
  EXPECT_EQ(mask[40], 0);
  EXPECT_EQ(mask[64], 1);
  EXPECT_EQ(mask[130], 1);
  EXPECT_EQ(mask[150], 0);
  c.norm = Norm::kBatch;
  const NetLayout bn(c);
  EXPECT_EQ(bn.num_params(), 151);
  EXPECT_EQ(bn.num_buffers(), 28);
  EXPECT_EQ(bn.layers()[1].run_mean, 16);
  EXPECT_EQ(bn.layers()[1].run_var, 22);
  c.hidden.clear();
  c.norm = Norm::kNone;
  const NetLayout lin(c);
  EXPECT_EQ(lin.num_params(), 5 * 3 + 3);
  EXPECT_EQ(lin.max_width(), 5);
}

TEST(NetworkTest, InitParamsBoundsAndDeterminism) {
  NetConfig c = SmallConfig(Norm::kBatch, Activation::kRelu);
  c.inputs = 64;
  c.hidden = {256};
  c.outputs = 1;
  c.loss = LossKind::kBce;
  const NetLayout layout(c);
  std::vector<float> p(layout.num_params()), buf(layout.num_buffers(), -5.0f), q = p;
  Rng rng(1), rng2(1);
  InitParams(layout, p.data(), buf.data(), rng);
  InitParams(layout, q.data(), buf.data(), rng2);
  EXPECT_EQ(p, q);
  const LayerLayout& h = layout.layers()[0];
  const LayerLayout& o = layout.layers()[1];
  // Every layer: U(-b, b) with b = 1 / sqrt(IC); variance b^2 / 3 = 1 / (3 * 64).
  const double bh = 1.0 / std::sqrt(64.0), bo = 1.0 / std::sqrt(256.0);
  double var = 0, maxabs = 0;
  for (int64_t i = 0; i < 64 * 256; ++i) {
    const double w = p[h.W + i];
    ASSERT_LE(std::fabs(w), bh);
    var += w * w / (64 * 256);
    maxabs = std::max(maxabs, std::fabs(w));
  }
  EXPECT_NEAR(var, 1.0 / 192, 0.05 / 192);  // 16384 draws: sd of the estimate ~1.2%
  EXPECT_GT(maxabs, 0.99 * bh);
  for (int i = 0; i < 256; ++i) {
    ASSERT_LE(std::fabs(p[o.W + i]), bo);
    ASSERT_LE(std::fabs(p[h.b + i]), bh);
    EXPECT_EQ(p[h.gamma + i], 1.0f);
    EXPECT_EQ(p[h.beta + i], 0.0f);
    EXPECT_EQ(buf[h.run_mean + i], 0.0f);
    EXPECT_EQ(buf[h.run_var + i], 1.0f);
  }
  Rng rng3(2);
  InitParams(layout, q.data(), buf.data(), rng3);
  EXPECT_NE(p, q);
}

// Random parameters around the initialisation, so that biases, gamma and beta matter.
std::vector<float> RandomParams(const NetLayout& layout, Rng& rng) {
  std::vector<float> p(layout.num_params()), buf(layout.num_buffers());
  InitParams(layout, p.data(), buf.data(), rng);
  for (const LayerLayout& L : layout.layers()) {
    for (int j = 0; j < L.OC; ++j) {
      p[L.b + j] = static_cast<float>(0.6 * rng.UniformDouble() - 0.3);
      if (L.gamma >= 0) p[L.gamma + j] = static_cast<float>(0.5 + rng.UniformDouble());
      if (L.beta >= 0) p[L.beta + j] = static_cast<float>(rng.UniformDouble() - 0.5);
    }
  }
  return p;
}

// Dropout masks of the last forward_train, read from the workspace.
std::vector<Vec> Masks(const NetLayout& layout, const TrainWorkspace& ws, int B) {
  std::vector<Vec> masks(layout.layers().size());
  for (size_t l = 0; l + 1 < layout.layers().size(); ++l) {
    if (ws.slots[l].mask < 0) continue;
    const float* m = ws.arena.data() + ws.slots[l].mask;
    masks[l].assign(m, m + static_cast<int64_t>(B) * layout.layers()[l].OC);
  }
  return masks;
}

// Whole-network gradients of sum(out * R) against central differences of NetRef (double),
// for params and dX. Tolerance: float forward/backward through 3 layers of width <= 5
// keeps relative errors near 1e-6 of the largest gradient; the double differences
// (h = 1e-5) are exact to ~1e-9. atol 1e-4 * max|grad| + rtol 1e-4; a wrong term in any
// backward gives errors of the order of the gradient itself.
void CheckNetwork(NetConfig c, int B) {
  const NetLayout layout(c);
  const std::string tag = std::string(Name(c.norm)) + "/" + Name(c.activation) +
                          " hidden=" + std::to_string(c.hidden.size()) +
                          " dropout=" + std::to_string(c.dropout);
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Rng rng(seed);
    const std::vector<float> params = RandomParams(layout, rng);
    const auto X = nntest::RandomFloats(rng, B * c.inputs),
               R = nntest::RandomFloats(rng, B * c.outputs);
    TrainWorkspace ws(layout, B + 3);
    Rng drop(seed);
    const float* out = forward_train(layout, params.data(), X.data(), B, ws, drop);
    const std::vector<Vec> masks = Masks(layout, ws, B);
    Vec p = nntest::ToDouble(params), x = nntest::ToDouble(X);
    const Vec Rd = nntest::ToDouble(R);
    double kink = 0;
    const Vec ref = nntest::NetRef(layout, p, x, B, masks, &kink);
    const bool has_kink =
        c.activation == Activation::kRelu || c.activation == Activation::kLeakyRelu;
    if (has_kink && kink < 1e-3) continue;  // a pre-activation too close to 0: next seed
    nntest::ExpectClose(out, ref.data(), ref.size(), 1e-5, 1e-5, "out " + tag);
    std::vector<float> grads(layout.num_params(), 0.0f), dX(B * c.inputs);
    backward(layout, params.data(), X.data(), R.data(), B, ws, grads.data(), dX.data());
    auto f = [&] { return nntest::Dot(nntest::NetRef(layout, p, x, B, masks), Rd); };
    const Vec gp = nntest::NumericGrad(p, 1e-5, f), gx = nntest::NumericGrad(x, 1e-5, f);
    double scale = 0;
    for (double g : gp) scale = std::max(scale, std::fabs(g));
    nntest::ExpectClose(grads, gp, 1e-4 * scale, 1e-4, "params " + tag);
    nntest::ExpectClose(dX, gx, 1e-4 * scale, 1e-4, "dX " + tag);
    return;
  }
  ADD_FAILURE() << "no seed keeps pre-activations away from the kink: " << tag;
}

TEST(NetworkTest, FiniteDifferencesEveryNormAndActivation) {
  for (Norm norm : {Norm::kNone, Norm::kLayer, Norm::kBatch}) {
    for (Activation act : {Activation::kRelu, Activation::kLeakyRelu, Activation::kGelu,
                           Activation::kTanh, Activation::kSigmoid}) {
      CheckNetwork(SmallConfig(norm, act), 6);
    }
  }
}

TEST(NetworkTest, FiniteDifferencesWithDropoutMask) {
  for (Norm norm : {Norm::kNone, Norm::kLayer, Norm::kBatch}) {
    for (Activation act : {Activation::kRelu, Activation::kGelu, Activation::kTanh}) {
      NetConfig c = SmallConfig(norm, act);
      c.dropout = 0.3f;
      CheckNetwork(c, 7);
    }
  }
}

TEST(NetworkTest, FiniteDifferencesWithoutHiddenLayers) {
  NetConfig c = SmallConfig(Norm::kBatch, Activation::kRelu);  // norm/activation unused
  c.hidden.clear();
  CheckNetwork(c, 5);
  c.outputs = 1;
  CheckNetwork(c, 3);
}

TEST(NetworkTest, ShardsAccumulateToTheFullBatchGradient) {
  for (Norm norm : {Norm::kNone, Norm::kLayer}) {  // (batch norm statistics are per shard)
    const NetConfig c = SmallConfig(norm, Activation::kGelu);
    const NetLayout layout(c);
    Rng rng(4);
    const auto params = RandomParams(layout, rng);
    const int B = 10;
    const auto X = nntest::RandomFloats(rng, B * c.inputs),
               R = nntest::RandomFloats(rng, B * c.outputs);
    TrainWorkspace full(layout, B), a(layout, 4), b(layout, 6);
    Rng drop(0);
    std::vector<float> g_full(layout.num_params(), 0.0f), g_sh = g_full;
    forward_train(layout, params.data(), X.data(), B, full, drop);
    backward(layout, params.data(), X.data(), R.data(), B, full, g_full.data(), nullptr);
    forward_train(layout, params.data(), X.data(), 4, a, drop);
    forward_train(layout, params.data(), X.data() + 4 * c.inputs, 6, b, drop);
    backward(layout, params.data(), X.data(), R.data(), 4, a, g_sh.data(), nullptr);
    backward(layout, params.data(), X.data() + 4 * c.inputs, R.data() + 4 * c.outputs, 6, b,
             g_sh.data(), nullptr);
    nntest::ExpectClose(g_sh, nntest::ToDouble(g_full), 1e-6, 1e-5, Name(norm));
    // A second backward adds the same gradient again.
    const std::vector<float> once = g_full;
    backward(layout, params.data(), X.data(), R.data(), B, full, g_full.data(), nullptr);
    for (size_t i = 0; i < g_full.size(); ++i) {
      EXPECT_NEAR(g_full[i], 2 * once[i], 1e-6 * (1 + std::fabs(once[i]))) << i;
    }
  }
}

TEST(NetworkTest, RunningStatsPoolShardsInOrder) {
  NetConfig c = SmallConfig(Norm::kBatch, Activation::kTanh);
  c.bn_momentum = 0.25f;
  const NetLayout layout(c);
  Rng rng(8);
  const auto params = RandomParams(layout, rng);
  const int rows[] = {3, 0, 5};
  const auto X = nntest::RandomFloats(rng, 8 * c.inputs);
  std::vector<std::unique_ptr<TrainWorkspace>> ws;
  std::vector<const TrainWorkspace*> ptrs;
  int at = 0;
  Rng drop(0);
  for (int n : rows) {
    ws.push_back(std::make_unique<TrainWorkspace>(layout, 5));
    forward_train(layout, params.data(), X.data() + at * c.inputs, n, *ws.back(), drop);
    ptrs.push_back(ws.back().get());
    at += n;
  }
  std::vector<float> buf(layout.num_buffers(), 0.5f);
  update_running_stats(layout, buf.data(), ptrs.data(), 3);
  // Expected: mean and unbiased variance of the 8 concatenated linear outputs per channel.
  for (size_t l = 0; l < 2; ++l) {
    const LayerLayout& L = layout.layers()[l];
    for (int j = 0; j < L.OC; ++j) {
      Vec z;
      for (size_t s = 0; s < 3; ++s) {
        for (int r = 0; r < rows[s]; ++r)
          z.push_back(ws[s]->arena[ws[s]->slots[l].pre + r * L.OC + j]);
      }
      double m = 0, v = 0;
      for (double t : z) m += t / 8;
      for (double t : z) v += (t - m) * (t - m) / 7;
      EXPECT_NEAR(buf[L.run_mean + j], 0.75 * 0.5 + 0.25 * m, 1e-6) << l << "," << j;
      EXPECT_NEAR(buf[L.run_var + j], 0.75 * 0.5 + 0.25 * v, 1e-5 * (1 + v)) << l << "," << j;
    }
  }
  // One row in all: the mean moves, the variance stays.
  std::vector<float> one(layout.num_buffers(), 0.5f);
  update_running_stats(layout, one.data(), ptrs.data() + 1, 1);  // the empty shard only
  EXPECT_EQ(one, std::vector<float>(layout.num_buffers(), 0.5f));
  TrainWorkspace single(layout, 1);
  forward_train(layout, params.data(), X.data(), 1, single, drop);
  const TrainWorkspace* sp = &single;
  update_running_stats(layout, one.data(), &sp, 1);
  EXPECT_EQ(one[layout.layers()[0].run_var], 0.5f);
  EXPECT_NE(one[layout.layers()[0].run_mean], 0.5f);
}

TEST(NetworkTest, ForwardInferMatchesReference) {
  for (Norm norm : {Norm::kNone, Norm::kLayer, Norm::kBatch}) {
    for (Activation act : {Activation::kRelu, Activation::kLeakyRelu, Activation::kGelu,
                           Activation::kTanh, Activation::kSigmoid}) {
      NetConfig c = SmallConfig(norm, act);
      c.hidden = {70, 3};
      const NetLayout layout(c);
      Rng rng(10);
      const auto params = RandomParams(layout, rng);
      std::vector<float> buf(layout.num_buffers());
      for (const LayerLayout& L : layout.layers()) {
        for (int j = 0; j < L.OC && L.run_mean >= 0; ++j) {
          buf[L.run_mean + j] = static_cast<float>(rng.UniformDouble() - 0.5);
          buf[L.run_var + j] = static_cast<float>(0.2 + rng.UniformDouble());
        }
      }
      const int B = 9;
      const auto X = nntest::RandomFloats(rng, B * c.inputs);
      InferWorkspace ws(layout, B);
      std::vector<float> out(B * c.outputs);
      forward_infer(layout, params.data(), buf.data(), X.data(), B, out.data(), ws);
      const Vec ref = nntest::NetRef(layout, nntest::ToDouble(params), nntest::ToDouble(X), B, {},
                                     nullptr, &buf);
      nntest::ExpectClose(out, ref, 1e-5, 1e-5, std::string(Name(norm)) + "/" + Name(act));
    }
  }
}

TEST(NetworkTest, DoutMayBeTheOutputBuffer) {
  // A trainer may write the loss gradient over the logits forward_train returned.
  const NetConfig c = SmallConfig(Norm::kLayer, Activation::kRelu);
  const NetLayout layout(c);
  Rng rng(3);
  const auto params = RandomParams(layout, rng);
  const int B = 4;
  const auto X = nntest::RandomFloats(rng, B * c.inputs),
             R = nntest::RandomFloats(rng, B * c.outputs);
  TrainWorkspace ws(layout, B);
  Rng drop(0);
  std::vector<float> g1(layout.num_params(), 0.0f), g2 = g1;
  forward_train(layout, params.data(), X.data(), B, ws, drop);
  backward(layout, params.data(), X.data(), R.data(), B, ws, g1.data(), nullptr);
  float* out = const_cast<float*>(forward_train(layout, params.data(), X.data(), B, ws, drop));
  std::copy(R.begin(), R.end(), out);
  backward(layout, params.data(), X.data(), out, B, ws, g2.data(), nullptr);
  EXPECT_EQ(g1, g2);
}

TEST(NetworkTest, EmptyShardIsANoOp) {
  const NetConfig c = SmallConfig(Norm::kBatch, Activation::kRelu);
  const NetLayout layout(c);
  Rng rng(2);
  const auto params = RandomParams(layout, rng);
  TrainWorkspace ws(layout, 0);
  Rng drop(0);
  forward_train(layout, params.data(), nullptr, 0, ws, drop);
  std::vector<float> grads(layout.num_params(), 1.0f);
  backward(layout, params.data(), nullptr, nullptr, 0, ws, grads.data(), nullptr);
  EXPECT_EQ(grads, std::vector<float>(layout.num_params(), 1.0f));
  InferWorkspace iws(layout, 0);
  forward_infer(layout, params.data(), nullptr, nullptr, 0, nullptr, iws);
}

}  // namespace
}  // namespace ming
