// Activations: hand values, the vectorised approximations against std:: twins in double,
// central differences of the backward, and the fused backward (+ dropout mask + bias sum)
// against the separate functions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/layers.h"
#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

constexpr Activation kAll[] = {Activation::kRelu, Activation::kLeakyRelu, Activation::kGelu,
                               Activation::kTanh, Activation::kSigmoid};

double DerivRef(double x, Activation act, double slope) {
  switch (act) {
    case Activation::kRelu:
      return x > 0 ? 1 : 0;
    case Activation::kLeakyRelu:
      return x > 0 ? 1 : slope;
    case Activation::kGelu:
      return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) +
             x * std::exp(-0.5 * x * x) / std::sqrt(2 * 3.14159265358979323846);
    case Activation::kTanh:
      return 1 - std::tanh(x) * std::tanh(x);
    default: {
      const double s = 1 / (1 + std::exp(-x));
      return s * (1 - s);
    }
  }
}

std::vector<float> Backward(Activation act, const std::vector<float>& x,
                            const std::vector<float>& dout, float slope) {
  std::vector<float> y(x.size()), din(x.size());
  activation_forward(y.data(), x.data(), static_cast<int64_t>(x.size()), act, slope);
  activation_backward(din.data(), dout.data(), x.data(), y.data(), static_cast<int64_t>(x.size()),
                      act, slope);
  return din;
}

TEST(ActivationTest, HandComputed) {
  const std::vector<float> x = {-1.0f, 0.0f, 2.0f}, ones = {1, 1, 1};
  std::vector<float> y(3);
  activation_forward(y.data(), x.data(), 3, Activation::kRelu, 0.0f);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(Backward(Activation::kRelu, x, ones, 0.0f),
            (std::vector<float>{0, 0, 1}));  // relu'(0) = 0
  activation_forward(y.data(), x.data(), 3, Activation::kLeakyRelu, 0.1f);
  EXPECT_EQ(y, (std::vector<float>{-0.1f, 0, 2}));
  EXPECT_EQ(Backward(Activation::kLeakyRelu, x, ones, 0.1f), (std::vector<float>{0.1f, 0.1f, 1}));
  // sigmoid(0) = 1/2, sigmoid'(0) = 1/4; tanh(0) = 0, tanh'(0) = 1;
  // gelu(0) = 0, gelu'(0) = Phi(0) = 1/2; gelu(1) = Phi(1) = 0.8413447461.
  const std::vector<float> z = {0.0f, 1.0f};
  std::vector<float> g(2);
  activation_forward(g.data(), z.data(), 2, Activation::kSigmoid, 0.0f);
  EXPECT_FLOAT_EQ(g[0], 0.5f);
  EXPECT_FLOAT_EQ(Backward(Activation::kSigmoid, z, {1, 1}, 0)[0], 0.25f);
  activation_forward(g.data(), z.data(), 2, Activation::kTanh, 0.0f);
  EXPECT_FLOAT_EQ(g[0], 0.0f);
  EXPECT_FLOAT_EQ(Backward(Activation::kTanh, z, {1, 1}, 0)[0], 1.0f);
  activation_forward(g.data(), z.data(), 2, Activation::kGelu, 0.0f);
  EXPECT_FLOAT_EQ(g[0], 0.0f);
  EXPECT_NEAR(g[1], 0.8413447461, 1e-6);
  EXPECT_FLOAT_EQ(Backward(Activation::kGelu, z, {1, 1}, 0)[0], 0.5f);
}

// The float approximations against the double std:: functions over [-20, 20] in steps of
// 1e-3 plus tiny magnitudes. Values: ~4e-7 relative (tanh, sigmoid, gelu on x > -5); in
// gelu's far negative tail (|gelu| < 1e-5) the relative error grows to ~1e-5 because
// e^{-x^2/2} is evaluated from a rounded x^2: tolerance 1e-9 absolute + 2e-6 relative, with
// 1e-7 absolute below 1e-5, which no training step can feel. Derivatives: gelu' =
// Phi(x) + x phi(x) cancels near its zero at x = -0.75 (terms ~0.2), so an absolute 2e-7
// (two float ulps of 1) is added there.
TEST(ActivationTest, MatchesStdTwins) {
  std::vector<float> x;
  for (int i = -20000; i <= 20000; ++i) x.push_back(static_cast<float>(i) * 1e-3f);
  for (float t = 1e-30f; t < 1e-2f; t *= 3.0f) {
    x.push_back(t);
    x.push_back(-t);
  }
  const int64_t n = static_cast<int64_t>(x.size());
  const std::vector<float> ones(x.size(), 1.0f);
  for (Activation act : kAll) {
    const float slope = 0.05f;
    std::vector<float> y(x.size());
    activation_forward(y.data(), x.data(), n, act, slope);
    const std::vector<float> d = Backward(act, x, ones, slope);
    Vec ry(x.size()), rd(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      ry[i] = nntest::ActRef(x[i], act, slope);
      rd[i] = DerivRef(x[i], act, slope);
    }
    for (size_t i = 0; i < x.size(); ++i) {
      const double atol_y = std::fabs(ry[i]) < 1e-5 ? 1e-7 : 1e-9;
      ASSERT_NEAR(y[i], ry[i], atol_y + 2e-6 * std::fabs(ry[i])) << Name(act) << " x=" << x[i];
      const double atol_d = 2e-7;
      ASSERT_NEAR(d[i], rd[i], atol_d + 2e-6 * std::fabs(rd[i])) << Name(act) << "' x=" << x[i];
    }
  }
}

// Central differences of sum(act(x) * R) in double, at points with |x| > 1e-2 (away from
// the ReLU kink). h = 1e-6: truncation ~1e-12 * |f'''|, far below the float backward's
// own error (~2e-6 relative, see MatchesStdTwins): atol 1e-6 + rtol 1e-5.
TEST(ActivationTest, FiniteDifferences) {
  Rng rng(5);
  for (Activation act : kAll) {
    std::vector<float> x = nntest::RandomFloats(rng, 64, -4.0, 4.0);
    for (float& v : x) {
      if (std::fabs(v) < 1e-2f) v = 0.5f;
    }
    const std::vector<float> R = nntest::RandomFloats(rng, x.size());
    const float slope = 0.2f;
    const std::vector<float> din = Backward(act, x, R, slope);
    Vec xd = nntest::ToDouble(x);
    const Vec Rd = nntest::ToDouble(R);
    auto f = [&] {
      double s = 0;
      for (size_t i = 0; i < xd.size(); ++i) s += nntest::ActRef(xd[i], act, slope) * Rd[i];
      return s;
    };
    nntest::ExpectClose(din, nntest::NumericGrad(xd, 1e-6, f), 1e-6, 1e-5, Name(act));
  }
}

TEST(ActivationTest, InPlaceAndOneSidedPointers) {
  Rng rng(8);
  for (Activation act : kAll) {
    const std::vector<float> x = nntest::RandomFloats(rng, 37, -3.0, 3.0),
                             dy = nntest::RandomFloats(rng, 37);
    std::vector<float> y(x.size()), inplace = x;
    activation_forward(y.data(), x.data(), 37, act, 0.1f);
    activation_forward(inplace.data(), inplace.data(), 37, act, 0.1f);
    EXPECT_EQ(inplace, y) << Name(act);
    std::vector<float> want(37), got = dy;
    activation_backward(want.data(), dy.data(), x.data(), y.data(), 37, act, 0.1f);
    // Pass only the pointer the activation reads, and alias din with dout.
    const bool needs_in = activation_backward_needs_input(act);
    activation_backward(got.data(), got.data(), needs_in ? x.data() : nullptr,
                        needs_in ? nullptr : y.data(), 37, act, 0.1f);
    EXPECT_EQ(got, want) << Name(act);
  }
}

// activation_backward_bias == dropout_backward + activation_backward + column sums, for
// every activation, with and without mask and db, and in place (dz == dy).
TEST(ActivationTest, FusedBackwardMatchesSeparateSteps) {
  const int B = 5, OC = 19;
  Rng rng(9);
  for (Activation act : kAll) {
    const auto x = nntest::RandomFloats(rng, B * OC, -3, 3), dy = nntest::RandomFloats(rng, B * OC);
    std::vector<float> y(B * OC), mask(B * OC), tmp(B * OC);
    activation_forward(y.data(), x.data(), B * OC, act, 0.1f);
    for (float& m : mask) m = rng.Uniform() < 0.3f ? 0.0f : 1.0f / 0.7f;
    for (bool use_mask : {false, true}) {
      std::vector<float> want(B * OC);
      Vec want_db(OC, 1.0);
      const std::vector<float> ones(B * OC, 1.0f);
      dropout_backward(tmp.data(), dy.data(), use_mask ? mask.data() : ones.data(), B * OC);
      activation_backward(want.data(), tmp.data(), x.data(), y.data(), B * OC, act, 0.1f);
      for (int r = 0; r < B; ++r) {
        for (int j = 0; j < OC; ++j) want_db[j] += want[r * OC + j];
      }
      std::vector<float> dz = dy, db(OC, 1.0f);
      activation_backward_bias(dz.data(), db.data(), dz.data(), use_mask ? mask.data() : nullptr,
                               x.data(), y.data(), B, OC, act, 0.1f);
      nntest::ExpectClose(dz, nntest::ToDouble(want), 0, 1e-6, std::string("dz ") + Name(act));
      nntest::ExpectClose(db, want_db, 1e-6, 1e-6, std::string("db ") + Name(act));
      std::vector<float> dz2(B * OC);
      activation_backward_bias(dz2.data(), nullptr, dy.data(), use_mask ? mask.data() : nullptr,
                               x.data(), y.data(), B, OC, act, 0.1f);
      EXPECT_EQ(dz2, dz);
    }
  }
}

}  // namespace
}  // namespace ming
