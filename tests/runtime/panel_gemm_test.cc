// The packed-panel batch product against a double-precision reference on shapes that
// exercise every tile height (1-12 rows, and 12-row blocks), partial last panels (outputs
// not a multiple of 32 or 16) and one-input layers; and the Plan's choice of it.
#include "runtime/panel_gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/plan.h"
#include "util/rng.h"

namespace ming {
namespace {

std::vector<float> Random(Rng& rng, size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(2.0 * rng.UniformDouble() - 1.0);
  return v;
}

TEST(PanelGemm, MatchesTheReferenceOnEveryShape) {
  Rng rng(3);
  for (int IC : {1, 7, 64, 257}) {
    for (int OC : {1, 15, 16, 17, 31, 32, 33, 100, 256}) {
      for (int B : {1, 2, 11, 12, 13, 25, 256}) {
        const std::vector<float> W = Random(rng, static_cast<size_t>(IC) * OC), b = Random(rng, OC),
                                 X = Random(rng, static_cast<size_t>(B) * IC);
        const std::vector<float> P = PackPanels(W.data(), IC, OC);
        ASSERT_EQ(P.size(), static_cast<size_t>((OC + 31) / 32) * IC * 32);
        // A canary after each row's outputs: the masked stores must not write past OC.
        const size_t stride = static_cast<size_t>(OC);
        std::vector<float> out(static_cast<size_t>(B) * stride + 1, -7.0f);
        PanelGemm(out.data(), X.data(), B, P.data(), b.data(), IC, OC);
        EXPECT_EQ(out.back(), -7.0f);
        for (int r = 0; r < B; ++r) {
          for (int o = 0; o < OC; ++o) {
            double want = b[static_cast<size_t>(o)], scale = std::fabs(want);
            for (int i = 0; i < IC; ++i) {
              const double t = static_cast<double>(X[static_cast<size_t>(r) * IC + i]) * W[static_cast<size_t>(i) * OC + o];
              want += t;
              scale += std::fabs(t);
            }
            const float got = out[static_cast<size_t>(r) * stride + o];
            ASSERT_NEAR(got, want, 1e-6 * scale + 1e-7)
                << "IC " << IC << " OC " << OC << " B " << B << " row " << r << " output " << o;
          }
        }
      }
    }
  }
}

TEST(PanelGemm, PlanPacksWideDenseLayersOnly) {
  NetConfig net;
  net.inputs = 5;
  net.hidden = {40};
  net.outputs = 1;
  FrozenLayer h, o;
  h.IC = 5;
  h.OC = 40;
  h.W.assign(200, 0.5f);
  h.b.assign(40, 0.0f);
  o.IC = 40;
  o.OC = 1;
  o.output = true;
  o.W.assign(40, 0.25f);
  o.b.assign(1, 0.0f);
  const Plan plan(net, {h, o});
  EXPECT_EQ(plan.layers()[0].panels.empty(), !kHavePanelGemm);
  EXPECT_TRUE(plan.layers()[1].panels.empty());  // one output: SGEMM
  // Two rows through the panels: relu(5 * 0.5 * x) summed over 40 hidden units * 0.25.
  PlanScratch s(plan, 2);
  const float X[10] = {1, 1, 1, 1, 1, -1, -1, -1, -1, -1};
  float out[2];
  plan.Run(X, 2, out, s);
  EXPECT_FLOAT_EQ(out[0], 40 * 2.5f * 0.25f);
  EXPECT_FLOAT_EQ(out[1], 0.0f);
}

}  // namespace
}  // namespace ming
