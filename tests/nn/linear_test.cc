// linear_forward / linear_backward: hand-computed cases, central differences against a
// double reference, and the fast paths (sgemm, the OC == 1 loops) against naive loops.
#include <gtest/gtest.h>

#include <vector>

#include "nn/layers.h"
#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

TEST(LinearTest, HandComputedThreeOutputs) {
  // in = [[1,2],[3,4]], W[2,3] = [[1,0,-1],[2,1,0]], b = [0.5,-1,2]
  // out row 0 = [1+4+0.5, 0+2-1, -1+0+2] = [5.5, 1, 1]; row 1 = [3+8+.5, 0+4-1, -3+0+2]
  const std::vector<float> in = {1, 2, 3, 4}, W = {1, 0, -1, 2, 1, 0}, b = {0.5f, -1, 2};
  std::vector<float> out(6);
  linear_forward(out.data(), in.data(), W.data(), b.data(), 2, 2, 3);
  EXPECT_EQ(out, (std::vector<float>{5.5f, 1, 1, 11.5f, 3, -1}));
  // dout = [[1,0,2],[0,1,-1]]
  // din[r,i] = sum_j dout[r,j] W[i,j]: row 0 = [1-2, 2] = [-1, 2]; row 1 = [0+0+1, 1] = [1, 1]
  // dW[i,:] = sum_r in[r,i] dout[r,:]: [1*[1,0,2] + 3*[0,1,-1], 2*[1,0,2] + 4*[0,1,-1]]
  //         = [[1,3,-1],[2,4,0]], added to the old value 1; db = 1 + [1,1,1]
  const std::vector<float> dout = {1, 0, 2, 0, 1, -1};
  std::vector<float> din(4, 99.0f), dW(6, 1.0f), db(3, 1.0f);
  linear_backward(din.data(), dW.data(), db.data(), dout.data(), in.data(), W.data(), 2, 2, 3);
  EXPECT_EQ(din, (std::vector<float>{-1, 2, 1, 1}));
  EXPECT_EQ(dW, (std::vector<float>{2, 4, 0, 3, 5, 1}));
  EXPECT_EQ(db, (std::vector<float>{2, 2, 2}));
}

TEST(LinearTest, HandComputedOneOutput) {
  // W = [[2],[-1]], b = 0.25: out = [1*2 - 2 + 0.25, 3*2 - 4 + 0.25] = [0.25, 2.25]
  const std::vector<float> in = {1, 2, 3, 4}, W = {2, -1}, b = {0.25f};
  std::vector<float> out(2);
  linear_forward(out.data(), in.data(), W.data(), b.data(), 2, 2, 1);
  EXPECT_EQ(out, (std::vector<float>{0.25f, 2.25f}));
  // dout = [1,-2]: din = [[2,-1],[-4,2]], dW = [1 - 6, 2 - 8] = [-5,-6], db = -1
  const std::vector<float> dout = {1, -2};
  std::vector<float> din(4), dW(2, 0.0f), db(1, 0.0f);
  linear_backward(din.data(), dW.data(), db.data(), dout.data(), in.data(), W.data(), 2, 2, 1);
  EXPECT_EQ(din, (std::vector<float>{2, -1, -4, 2}));
  EXPECT_EQ(dW, (std::vector<float>{-5, -6}));
  EXPECT_EQ(db, (std::vector<float>{-1}));
  // nullptr din and db are skipped; dW keeps accumulating.
  linear_backward(nullptr, dW.data(), nullptr, dout.data(), in.data(), W.data(), 2, 2, 1);
  EXPECT_EQ(dW, (std::vector<float>{-10, -12}));
}

// Objective sum(out * R) on a double reference; gradients from central differences.
// Tolerance: the double differences are exact to ~1e-10 (h = 1e-5, quadratic error); the
// float backward sums at most IC or B products of O(1) values, so its error is below
// ~1e-6; 1e-5 absolute + 1e-5 relative leaves margin, while a wrong term is off by O(0.1).
TEST(LinearTest, FiniteDifferences) {
  for (int OC : {1, 5}) {
    const int B = 3, IC = 4;
    Rng rng(7 + OC);
    auto in = nntest::RandomFloats(rng, B * IC), W = nntest::RandomFloats(rng, IC * OC),
         b = nntest::RandomFloats(rng, OC), R = nntest::RandomFloats(rng, B * OC);
    std::vector<float> din(B * IC), dW(IC * OC, 0.0f), db(OC, 0.0f);
    linear_backward(din.data(), dW.data(), db.data(), R.data(), in.data(), W.data(), B, IC, OC);
    Vec xin = nntest::ToDouble(in), xW = nntest::ToDouble(W), xb = nntest::ToDouble(b),
        xR = nntest::ToDouble(R);
    auto f = [&] {
      return nntest::Dot(nntest::LinearRef(xin, xW.data(), xb.data(), B, IC, OC), xR);
    };
    const std::string tag = " OC=" + std::to_string(OC);
    nntest::ExpectClose(din, nntest::NumericGrad(xin, 1e-5, f), 1e-5, 1e-5, "din" + tag);
    nntest::ExpectClose(dW, nntest::NumericGrad(xW, 1e-5, f), 1e-5, 1e-5, "dW" + tag);
    nntest::ExpectClose(db, nntest::NumericGrad(xb, 1e-5, f), 1e-5, 1e-5, "db" + tag);
    std::vector<float> out(B * OC);
    linear_forward(out.data(), in.data(), W.data(), b.data(), B, IC, OC);
    nntest::ExpectClose(out, nntest::LinearRef(xin, xW.data(), xb.data(), B, IC, OC), 1e-6, 1e-6,
                        "out" + tag);
  }
}

// Fast paths against naive double loops over odd shapes. Inputs are U(-1, 1); a float dot
// product of K <= 129 terms errs by at most ~K * 6e-8 * sum|terms| ~ 1e-5 in the worst case
// and far less in practice: atol 5e-5 + rtol 1e-5.
TEST(LinearTest, MatchesNaiveLoopsOnOddShapes) {
  const int sizes[] = {1, 3, 7, 64, 129};
  Rng rng(11);
  for (int B : sizes) {
    for (int IC : sizes) {
      for (int OC : sizes) {
        auto in = nntest::RandomFloats(rng, B * IC), W = nntest::RandomFloats(rng, IC * OC),
             b = nntest::RandomFloats(rng, OC), dout = nntest::RandomFloats(rng, B * OC);
        const std::string tag =
            " B=" + std::to_string(B) + " IC=" + std::to_string(IC) + " OC=" + std::to_string(OC);
        std::vector<float> out(B * OC);
        linear_forward(out.data(), in.data(), W.data(), b.data(), B, IC, OC);
        Vec xin = nntest::ToDouble(in), xW = nntest::ToDouble(W), xb = nntest::ToDouble(b);
        nntest::ExpectClose(out, nntest::LinearRef(xin, xW.data(), xb.data(), B, IC, OC), 5e-5,
                            1e-5, "out" + tag);
        std::vector<float> din(B * IC), dW(IC * OC, 0.5f), db(OC, -0.5f);
        linear_backward(din.data(), dW.data(), db.data(), dout.data(), in.data(), W.data(), B, IC,
                        OC);
        Vec rdin(B * IC, 0.0), rdW(IC * OC, 0.5), rdb(OC, -0.5);
        for (int r = 0; r < B; ++r) {
          for (int j = 0; j < OC; ++j) {
            const double g = dout[r * OC + j];
            rdb[j] += g;
            for (int i = 0; i < IC; ++i) {
              rdin[r * IC + i] += g * W[i * OC + j];
              rdW[i * OC + j] += g * in[r * IC + i];
            }
          }
        }
        nntest::ExpectClose(din, rdin, 5e-5, 1e-5, "din" + tag);
        nntest::ExpectClose(dW, rdW, 5e-5, 1e-5, "dW" + tag);
        nntest::ExpectClose(db, rdb, 5e-5, 1e-5, "db" + tag);
        if (HasFailure()) return;
      }
    }
  }
}

TEST(LinearTest, ZeroRowsTouchNothing) {
  const std::vector<float> W = {1, 2, 3, 4}, b = {1, 1};
  std::vector<float> dW(4, 3.0f), db(2, 3.0f);
  linear_forward(nullptr, nullptr, W.data(), b.data(), 0, 2, 2);
  linear_backward(nullptr, dW.data(), db.data(), nullptr, nullptr, W.data(), 0, 2, 2);
  EXPECT_EQ(dW, std::vector<float>(4, 3.0f));
  EXPECT_EQ(db, std::vector<float>(2, 3.0f));
}

}  // namespace
}  // namespace ming
