// Layer and batch normalisation: hand cases, forward and saved statistics against double
// references, backward by central differences, and in-place use.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

TEST(LayerNormTest, HandComputed) {
  // Row [1,2,3,4]: mean 2.5, biased var (2.25+0.25+0.25+2.25)/4 = 1.25, eps 0:
  // xhat = [-1.5,-0.5,0.5,1.5] / sqrt(1.25) = [-1.3416408,-0.4472136,0.4472136,1.3416408];
  // gamma [1,2,1,1], beta [0,0,1,0] -> [-1.3416408, -0.8944272, 1.4472136, 1.3416408].
  const std::vector<float> in = {1, 2, 3, 4}, gamma = {1, 2, 1, 1}, beta = {0, 0, 1, 0};
  std::vector<float> out(4), mean(1), rstd(1);
  layernorm_forward(out.data(), mean.data(), rstd.data(), in.data(), gamma.data(), beta.data(), 1,
                    4, 0.0f);
  EXPECT_FLOAT_EQ(mean[0], 2.5f);
  EXPECT_FLOAT_EQ(rstd[0], 0.89442719f);
  const float want[] = {-1.3416408f, -0.8944272f, 1.4472136f, 1.3416408f};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(out[j], want[j], 1e-6) << j;
  // dout = 1 everywhere, gamma = 1: d/dx of sum(xhat) = 0 (xhat sums to zero);
  // dbeta += 1, dgamma += xhat.
  const std::vector<float> ones(4, 1.0f);
  std::vector<float> din(4), dgamma(4, 0.0f), dbeta(4, 0.0f);
  layernorm_backward(din.data(), dgamma.data(), dbeta.data(), ones.data(), in.data(), mean.data(),
                     rstd.data(), ones.data(), 1, 4);
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(din[j], 0.0f, 1e-6);
    EXPECT_FLOAT_EQ(dbeta[j], 1.0f);
    EXPECT_NEAR(dgamma[j], (in[j] - 2.5f) * 0.89442719f, 1e-6);
  }
}

TEST(BatchNormTest, HandComputed) {
  // Columns [1,3] and [2,6]: mean [2,4], biased var [1,4], unbiased [2,8]; eps 0 ->
  // rstd [1, 0.5], out = [[-1,-1],[1,1]] with gamma 1, beta 0.
  const std::vector<float> in = {1, 2, 3, 6}, gamma = {1, 1}, beta = {0, 0};
  std::vector<float> out(4), mean(2), rstd(2), var(2);
  batchnorm_forward_train(out.data(), mean.data(), rstd.data(), var.data(), in.data(), gamma.data(),
                          beta.data(), 2, 2, 0.0f);
  EXPECT_EQ(mean, (std::vector<float>{2, 4}));
  EXPECT_EQ(rstd, (std::vector<float>{1, 0.5f}));
  EXPECT_EQ(var, (std::vector<float>{2, 8}));
  EXPECT_EQ(out, (std::vector<float>{-1, -1, 1, 1}));
  // Inference: run_mean [1,-1], run_var [4,0.25], gamma [2,1], beta [0,1], eps 0, row [3,0]:
  // [(3-1)/2*2 + 0, (0+1)/0.5*1 + 1] = [2, 3].
  const std::vector<float> row = {3, 0}, rm = {1, -1}, rv = {4, 0.25f}, g2 = {2, 1}, b2 = {0, 1};
  std::vector<float> y(2);
  batchnorm_forward_infer(y.data(), row.data(), rm.data(), rv.data(), g2.data(), b2.data(), 1, 2,
                          0.0f);
  EXPECT_EQ(y, (std::vector<float>{2, 3}));
  // One row: normalises to beta, unbiased variance reported as 0.
  batchnorm_forward_train(out.data(), mean.data(), rstd.data(), var.data(), row.data(),
                          gamma.data(), b2.data(), 1, 2, 1e-5f);
  EXPECT_EQ(var, (std::vector<float>{0, 0}));
  EXPECT_EQ((std::vector<float>{out[0], out[1]}), b2);
}

// Central differences of sum(norm(x) * R) on the double references. Values are U(-2, 2), so
// rstd ~ 1; the float backward sums at most 70 terms of O(1): error ~1e-6. h = 1e-5 gives
// truncation ~1e-10. atol 1e-5 + rtol 1e-4; a wrong term is off by O(0.1).
void CheckNorm(bool batch, int B, int C) {
  Rng rng(static_cast<uint64_t>(B * 1000 + C));
  const float eps = 1e-5f;
  const auto in = nntest::RandomFloats(rng, B * C, -2, 2), R = nntest::RandomFloats(rng, B * C);
  const auto gamma = nntest::RandomFloats(rng, C, 0.5, 1.5), beta = nntest::RandomFloats(rng, C);
  const int nstat = batch ? C : B;
  std::vector<float> out(B * C), mean(nstat), rstd(nstat), var(C), din(B * C);
  std::vector<float> dgamma(C, 0.0f), dbeta(C, 0.0f);
  if (batch) {
    batchnorm_forward_train(out.data(), mean.data(), rstd.data(), var.data(), in.data(),
                            gamma.data(), beta.data(), B, C, eps);
    batchnorm_backward(din.data(), dgamma.data(), dbeta.data(), R.data(), in.data(), mean.data(),
                       rstd.data(), gamma.data(), B, C);
  } else {
    layernorm_forward(out.data(), mean.data(), rstd.data(), in.data(), gamma.data(), beta.data(), B,
                      C, eps);
    layernorm_backward(din.data(), dgamma.data(), dbeta.data(), R.data(), in.data(), mean.data(),
                       rstd.data(), gamma.data(), B, C);
  }
  Vec x = nntest::ToDouble(in), g = nntest::ToDouble(gamma), b = nntest::ToDouble(beta);
  const Vec Rd = nntest::ToDouble(R);
  auto fwd = [&] {
    return batch ? nntest::BatchNormRef(x, g.data(), b.data(), B, C, eps)
                 : nntest::LayerNormRef(x, g.data(), b.data(), B, C, eps);
  };
  auto f = [&] { return nntest::Dot(fwd(), Rd); };
  const std::string tag = std::string(batch ? "batch" : "layer") + " B=" + std::to_string(B) +
                          " C=" + std::to_string(C);
  nntest::ExpectClose(out, fwd(), 1e-5, 1e-5, "out " + tag);
  nntest::ExpectClose(din, nntest::NumericGrad(x, 1e-5, f), 1e-5, 1e-4, "din " + tag);
  nntest::ExpectClose(dgamma, nntest::NumericGrad(g, 1e-5, f), 1e-5, 1e-4, "dgamma " + tag);
  nntest::ExpectClose(dbeta, nntest::NumericGrad(b, 1e-5, f), 1e-5, 1e-4, "dbeta " + tag);
  // Saved statistics.
  for (int k = 0; k < nstat; ++k) {
    double m = 0, v = 0;
    const int n = batch ? B : C;
    for (int i = 0; i < n; ++i) m += batch ? x[i * C + k] : x[k * C + i];
    m /= n;
    for (int i = 0; i < n; ++i) {
      const double d = (batch ? x[i * C + k] : x[k * C + i]) - m;
      v += d * d;
    }
    EXPECT_NEAR(mean[k], m, 1e-6) << tag;
    const double want_rstd = 1 / std::sqrt(v / n + eps);
    EXPECT_NEAR(rstd[k], want_rstd, 1e-6 * want_rstd) << tag;
    if (batch) {
      EXPECT_NEAR(var[k], v / (n - 1), 1e-5) << tag;
    }
  }
  // In place: forward out == in, backward din == dout give the same numbers.
  std::vector<float> buf = in, m2(nstat), r2(nstat), v2(C), g2 = R;
  std::vector<float> dg2(C, 0.0f), db2(C, 0.0f);
  if (batch) {
    batchnorm_forward_train(buf.data(), m2.data(), r2.data(), v2.data(), buf.data(), gamma.data(),
                            beta.data(), B, C, eps);
    batchnorm_backward(g2.data(), dg2.data(), db2.data(), g2.data(), in.data(), mean.data(),
                       rstd.data(), gamma.data(), B, C);
  } else {
    layernorm_forward(buf.data(), m2.data(), r2.data(), buf.data(), gamma.data(), beta.data(), B, C,
                      eps);
    layernorm_backward(g2.data(), dg2.data(), db2.data(), g2.data(), in.data(), mean.data(),
                       rstd.data(), gamma.data(), B, C);
  }
  EXPECT_EQ(buf, out) << tag;
  EXPECT_EQ(g2, din) << tag;
}

TEST(LayerNormTest, FiniteDifferences) {
  for (int C : {1, 7, 37}) CheckNorm(false, 3, C);
}

TEST(BatchNormTest, FiniteDifferences) {
  for (int C : {3, 70}) CheckNorm(true, 5, C);
}

TEST(BatchNormTest, InferenceMatchesFormula) {
  Rng rng(12);
  const int B = 4, C = 67;
  const auto in = nntest::RandomFloats(rng, B * C, -3, 3), rm = nntest::RandomFloats(rng, C),
             rv = nntest::RandomFloats(rng, C, 0.1, 2), g = nntest::RandomFloats(rng, C),
             b = nntest::RandomFloats(rng, C);
  std::vector<float> out(B * C);
  batchnorm_forward_infer(out.data(), in.data(), rm.data(), rv.data(), g.data(), b.data(), B, C,
                          1e-3f);
  Vec want(B * C);
  for (int r = 0; r < B; ++r) {
    for (int j = 0; j < C; ++j) {
      want[r * C + j] =
          (in[r * C + j] - static_cast<double>(rm[j])) / std::sqrt(rv[j] + 1e-3) * g[j] + b[j];
    }
  }
  nntest::ExpectClose(out, want, 1e-5, 1e-5, "infer");
}

}  // namespace
}  // namespace ming
