// Losses: hand-computed rows, extreme logits, and dout against central differences of
// independent double-precision formulas (written naively, not in the stable forms).
#include "nn/loss.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

TEST(LossTest, BceHandComputed) {
  // loss = max(x,0) - x y + log1p(e^-|x|):
  //   x=0,y=1: ln 2 = 0.6931472;  x=2,y=0: 2 + log1p(e^-2) = 2.1269280;
  //   x=-1,y=0: log1p(e^-1) = 0.3132617;  sum 3.1333369.
  // dout = (sigmoid(x) - y) / 3 = [-0.5, 0.8807971, 0.2689414] / 3.
  const std::vector<float> x = {0, 2, -1}, y = {1, 0, 0};
  std::vector<float> d(3);
  EXPECT_NEAR(bce_with_logits(d.data(), x.data(), y.data(), nullptr, 3, 1.0f / 3), 3.1333369, 1e-6);
  EXPECT_NEAR(d[0], -0.1666667, 1e-7);
  EXPECT_NEAR(d[1], 0.2935990, 1e-7);
  EXPECT_NEAR(d[2], 0.0896471, 1e-7);
  // Weights [1,2,0.5]: 0.6931472 + 2*2.1269280 + 0.5*0.3132617 = 5.1036340; scale 1/3.5.
  const std::vector<float> w = {1, 2, 0.5f};
  EXPECT_NEAR(bce_with_logits(d.data(), x.data(), y.data(), w.data(), 3, 1 / 3.5f), 5.1036340,
              1e-6);
  EXPECT_NEAR(d[0], -0.1428571, 1e-7);
  EXPECT_NEAR(d[1], 0.5033126, 1e-7);
  EXPECT_NEAR(d[2], 0.0384202, 1e-7);
}

TEST(LossTest, CrossEntropyHandComputed) {
  // Row 0 [1,2,3], label 2: lse = 3 + ln(e^-2 + e^-1 + 1) = 3.4076060, loss 0.4076060;
  // softmax [0.0900306, 0.2447285, 0.6652410]. Row 1 [0,0,0], label 0: loss ln 3 = 1.0986123.
  // Sum 1.5062183; dout = (softmax - onehot) / 2.
  const std::vector<float> x = {1, 2, 3, 0, 0, 0}, y = {2, 0};
  std::vector<float> d(6);
  EXPECT_NEAR(softmax_cross_entropy(d.data(), x.data(), y.data(), nullptr, 2, 3, 0.5f), 1.5062183,
              1e-6);
  const float want[] = {0.0450153f, 0.1223642f, -0.1673795f, -1.0f / 3, 1.0f / 6, 1.0f / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(d[i], want[i], 1e-7) << i;
}

TEST(LossTest, MseHandComputed) {
  // pred [[1,2],[0,0]], y [[0,0],[1,-1]], K = 2: rows (1+4)/2 = 2.5 and (1+1)/2 = 1 -> 3.5.
  // dout = 2 (pred - y) / K * 0.5 = [[0.5, 1], [-0.5, 0.5]].
  const std::vector<float> p = {1, 2, 0, 0}, y = {0, 0, 1, -1};
  std::vector<float> d(4);
  EXPECT_DOUBLE_EQ(mse_loss(d.data(), p.data(), y.data(), nullptr, 2, 2, 0.5f), 3.5);
  EXPECT_EQ(d, (std::vector<float>{0.5f, 1, -0.5f, 0.5f}));
}

TEST(LossTest, HuberHandComputed) {
  // delta 1, K 1: d = [0.5, 3, -2] -> [0.5*0.25, 1*(3-0.5), 1*(2-0.5)] = [0.125, 2.5, 1.5],
  // sum 4.125; dout = clamp(d, -1, 1) = [0.5, 1, -1].
  const std::vector<float> p = {0.5f, 3, -2}, y = {0, 0, 0};
  std::vector<float> d(3);
  EXPECT_DOUBLE_EQ(huber_loss(d.data(), p.data(), y.data(), nullptr, 3, 1, 1.0f, 1.0f), 4.125);
  EXPECT_EQ(d, (std::vector<float>{0.5f, 1, -1}));
  // delta 2: 3 -> 2*(3-1) = 4, derivative 2; -2 is inside: 0.5*4 = 2, derivative -2.
  EXPECT_DOUBLE_EQ(huber_loss(d.data(), p.data(), y.data(), nullptr, 3, 1, 2.0f, 1.0f), 6.125);
  EXPECT_EQ(d, (std::vector<float>{0.5f, 2, -2}));
}

TEST(LossTest, ExtremeLogitsStayFinite) {
  const std::vector<float> x = {100, -100, 1e30f}, y = {0, 1, 1};
  std::vector<float> d(3);
  EXPECT_NEAR(bce_with_logits(d.data(), x.data(), y.data(), nullptr, 3, 1.0f), 200.0, 1e-9);
  EXPECT_EQ(d, (std::vector<float>{1, -1, 0}));
  const std::vector<float> z = {1000, 0, -1000, 0}, labels = {1, 0};
  std::vector<float> dz(4);
  // Row 0 [1000,0], label 1: lse = 1000, loss 1000, dout [1,-1]; row 1 [-1000,0], label 0:
  // lse = ln(e^-1000 + 1) = 0, loss 0 - (-1000) = 1000, dout [0-1, 1].
  EXPECT_NEAR(softmax_cross_entropy(dz.data(), z.data(), labels.data(), nullptr, 2, 2, 1.0f),
              2000.0, 1e-9);
  EXPECT_EQ(dz, (std::vector<float>{1, -1, -1, 1}));
  // dout == nullptr: evaluation only, same value.
  EXPECT_NEAR(softmax_cross_entropy(nullptr, z.data(), labels.data(), nullptr, 2, 2, 1.0f), 2000.0,
              1e-9);
}

// Central differences of the weighted sum (times grad_scale) computed by naive double
// formulas. h = 1e-6 on O(1) inputs: truncation ~1e-12. dout is a float rounding of a
// double value: rtol 1e-6 + atol 1e-7.
void CheckGrad(const std::vector<float>& dout, Vec& x, const std::function<double()>& f,
               const char* what) {
  nntest::ExpectClose(dout, nntest::NumericGrad(x, 1e-6, f), 1e-7, 1e-6, what);
}

TEST(LossTest, FiniteDifferences) {
  Rng rng(21);
  const int B = 4, C = 3;
  const float scale = 0.37f;
  const auto w = nntest::RandomFloats(rng, B, 0.2, 2.0);
  std::vector<float> d(B * C);
  {  // BCE
    const auto x = nntest::RandomFloats(rng, B, -3, 3);
    const std::vector<float> y = {0, 1, 1, 0};
    bce_with_logits(d.data(), x.data(), y.data(), w.data(), B, scale);
    Vec xd = nntest::ToDouble(x);
    auto f = [&] {
      double s = 0;
      for (int r = 0; r < B; ++r) {
        const double p = 1 / (1 + std::exp(-xd[r]));
        s -= w[r] * (y[r] * std::log(p) + (1 - y[r]) * std::log(1 - p));
      }
      return s * scale;
    };
    CheckGrad({d.begin(), d.begin() + B}, xd, f, "bce");
  }
  {  // cross-entropy
    const auto x = nntest::RandomFloats(rng, B * C, -3, 3);
    const std::vector<float> y = {0, 2, 1, 2};
    softmax_cross_entropy(d.data(), x.data(), y.data(), w.data(), B, C, scale);
    Vec xd = nntest::ToDouble(x);
    auto f = [&] {
      double s = 0;
      for (int r = 0; r < B; ++r) {
        double z = 0;
        for (int j = 0; j < C; ++j) z += std::exp(xd[r * C + j]);
        s -= w[r] * std::log(std::exp(xd[r * C + static_cast<int>(y[r])]) / z);
      }
      return s * scale;
    };
    CheckGrad(d, xd, f, "cross_entropy");
  }
  for (bool huber : {false, true}) {
    const float delta = 0.7f;
    const auto p = nntest::RandomFloats(rng, B * C, -2, 2),
               y = nntest::RandomFloats(rng, B * C, -2, 2);
    if (huber) {
      huber_loss(d.data(), p.data(), y.data(), w.data(), B, C, delta, scale);
    } else {
      mse_loss(d.data(), p.data(), y.data(), w.data(), B, C, scale);
    }
    Vec pd = nntest::ToDouble(p);
    auto f = [&] {
      double s = 0;
      for (int r = 0; r < B; ++r) {
        for (int k = 0; k < C; ++k) {
          const double e = pd[r * C + k] - y[r * C + k];
          const double l = !huber                  ? e * e
                           : std::fabs(e) <= delta ? 0.5 * e * e
                                                   : delta * (std::fabs(e) - 0.5 * delta);
          s += w[r] * l / C;
        }
      }
      return s * scale;
    };
    for (size_t i = 0; i < p.size(); ++i) {  // stay away from the Huber kink
      ASSERT_GT(std::fabs(std::fabs(pd[i] - y[i]) - delta), 1e-4);
    }
    CheckGrad(d, pd, f, huber ? "huber" : "mse");
  }
}

}  // namespace
}  // namespace ming
