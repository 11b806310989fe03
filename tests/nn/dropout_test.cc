// Inverted dropout: p == 0 is a pure copy that draws nothing; the mask follows the Rng
// stream; the drop rate is right; backward is the mask, checked by central differences.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/layers.h"
#include "nn_test_util.h"

namespace ming {
namespace {

TEST(DropoutTest, ZeroProbabilityIsACopyAndDrawsNothing) {
  Rng rng(1), untouched(1);
  const std::vector<float> in = {1, -2, 3};
  std::vector<float> out(3), mask(3);
  dropout_forward(out.data(), mask.data(), in.data(), 3, 0.0f, rng);
  EXPECT_EQ(out, in);
  EXPECT_EQ(mask, (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(rng.NextU64(), untouched.NextU64());
}

TEST(DropoutTest, MaskFollowsTheUniformStream) {
  // mask[i] = (u_i >= p) / (1 - p) with u_i the i-th rng.Uniform().
  const float p = 0.25f;
  Rng rng(42), replay(42);
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> out(8), mask(8);
  dropout_forward(out.data(), mask.data(), in.data(), 8, p, rng);
  for (size_t i = 0; i < in.size(); ++i) {
    const float want = replay.Uniform() >= p ? 1.0f / (1.0f - p) : 0.0f;
    EXPECT_EQ(mask[i], want) << i;
    EXPECT_EQ(out[i], in[i] * want) << i;
  }
  // In place gives the same result with the same seed.
  Rng again(42);
  std::vector<float> buf = in, mask2(8);
  dropout_forward(buf.data(), mask2.data(), buf.data(), 8, p, again);
  EXPECT_EQ(buf, out);
}

TEST(DropoutTest, DropRateAndScale) {
  // 100000 Bernoulli(0.3) draws: the rate has sd sqrt(0.21 / 1e5) = 0.00145; allow 0.01.
  const int64_t n = 100000;
  Rng rng(3);
  std::vector<float> in(n, 1.0f), out(n), mask(n);
  dropout_forward(out.data(), mask.data(), in.data(), n, 0.3f, rng);
  int64_t dropped = 0;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(mask[i] == 0.0f || mask[i] == 1.0f / 0.7f) << mask[i];
    dropped += mask[i] == 0.0f;
    sum += out[i];
  }
  EXPECT_NEAR(static_cast<double>(dropped) / n, 0.3, 0.01);
  EXPECT_NEAR(sum / n, 1.0, 0.02);  // inverted dropout keeps the mean
}

// Objective sum(in * mask * R) with the mask fixed: d/din = R * mask. Central differences
// of the double product are exact up to rounding (~1e-10); float backward is one product.
TEST(DropoutTest, FiniteDifferencesWithFixedMask) {
  Rng rng(6);
  const int64_t n = 40;
  const auto in = nntest::RandomFloats(rng, n), R = nntest::RandomFloats(rng, n);
  std::vector<float> out(n), mask(n), din(n);
  dropout_forward(out.data(), mask.data(), in.data(), n, 0.4f, rng);
  dropout_backward(din.data(), R.data(), mask.data(), n);
  nntest::Vec x = nntest::ToDouble(in);
  auto f = [&] {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i] * mask[i] * R[i];
    return s;
  };
  nntest::ExpectClose(din, nntest::NumericGrad(x, 1e-3, f), 1e-7, 1e-6, "din");
  // Aliased backward (din == dout).
  std::vector<float> g = R;
  dropout_backward(g.data(), g.data(), mask.data(), n);
  EXPECT_EQ(g, din);
}

}  // namespace
}  // namespace ming
