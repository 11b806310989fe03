// sgemm (OpenBLAS) against a hand-computed product and against sgemm_naive over random,
// odd shapes, every transpose combination, and several alpha/beta.
#include "tensor/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "util/rng.h"

namespace ming {
namespace {

std::vector<float> Random(Rng& rng, int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = 2.0f * rng.Uniform() - 1.0f;
  return v;
}

TEST(GemmTest, HandComputed) {
  // A = [[1,2],[3,4]], B = [[5,6],[7,8]]: A@B = [[19,22],[43,50]], A^T@B = [[26,30],[38,44]],
  // A@B^T = [[17,23],[39,53]]. With alpha 2, beta 1 on C = 1: 2 * A@B + 1.
  const std::vector<float> A = {1, 2, 3, 4}, B = {5, 6, 7, 8};
  std::vector<float> C(4, 1.0f);
  sgemm(false, false, 2, 2, 2, 2.0f, A.data(), B.data(), 1.0f, C.data());
  EXPECT_EQ(C, (std::vector<float>{39, 45, 87, 101}));
  sgemm(true, false, 2, 2, 2, 1.0f, A.data(), B.data(), 0.0f, C.data());
  EXPECT_EQ(C, (std::vector<float>{26, 30, 38, 44}));
  sgemm(false, true, 2, 2, 2, 1.0f, A.data(), B.data(), 0.0f, C.data());
  EXPECT_EQ(C, (std::vector<float>{17, 23, 39, 53}));
}

TEST(GemmTest, BetaZeroIgnoresNanAndEmptySums) {
  const std::vector<float> A = {1, 2}, B = {3, 4};
  std::vector<float> C(1, std::numeric_limits<float>::quiet_NaN());
  sgemm(false, false, 1, 1, 2, 1.0f, A.data(), B.data(), 0.0f, C.data());
  EXPECT_EQ(C[0], 11.0f);
  std::vector<float> D = {2, 4};
  sgemm(false, false, 1, 2, 0, 1.0f, A.data(), B.data(), 0.5f, D.data());  // K = 0
  EXPECT_EQ(D, (std::vector<float>{1, 2}));
  sgemm(false, false, 0, 2, 3, 1.0f, A.data(), B.data(), 0.5f, D.data());  // M = 0
  EXPECT_EQ(D, (std::vector<float>{1, 2}));
}

// Inputs in U(-1, 1); a float product of K <= 129 terms drifts ~sqrt(K) * 6e-8 * |terms|
// ~1e-6 from the double naive loop; atol 5e-5 + rtol 1e-5 passes that with margin while a
// wrong index or transpose gives errors of O(1).
TEST(GemmTest, MatchesNaiveOnOddShapes) {
  const int sizes[] = {1, 3, 7, 64, 129};
  const float alphas[] = {1.0f, -0.5f}, betas[] = {0.0f, 1.0f, 0.25f};
  Rng rng(3);
  int run = 0;
  for (int M : sizes) {
    for (int N : sizes) {
      for (int K : sizes) {
        const bool ta = (run & 1) != 0, tb = (run & 2) != 0;
        const float alpha = alphas[(run / 4) % 2], beta = betas[run % 3];
        ++run;
        auto A = Random(rng, M * K), B = Random(rng, K * N), C = Random(rng, M * N);
        std::vector<float> ref = C;
        sgemm(ta, tb, M, N, K, alpha, A.data(), B.data(), beta, C.data());
        sgemm_naive(ta, tb, M, N, K, alpha, A.data(), B.data(), beta, ref.data());
        for (size_t i = 0; i < C.size(); ++i) {
          ASSERT_NEAR(C[i], ref[i], 5e-5 + 1e-5 * std::fabs(ref[i]))
              << "M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb
              << " i=" << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ming
