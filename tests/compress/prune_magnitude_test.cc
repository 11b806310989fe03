// Magnitude masks: exact pruned counts, global vs per-layer ranking, the never-empty rule
// (each output unit keeps its largest weight), deterministic ties, biases untouched.
#include "compress/prune_magnitude.h"

#include <gtest/gtest.h>

#include <cmath>

#include "prune_test_util.h"

namespace ming {
namespace {

int64_t PrunedIn(const LayerLayout& L, const std::vector<uint8_t>& keep) {
  int64_t n = 0;
  for (int64_t i = 0; i < int64_t{L.IC} * L.OC; ++i) n += keep[static_cast<size_t>(L.W + i)] == 0;
  return n;
}

NetConfig Net() {
  NetConfig net;
  net.inputs = 10;
  net.hidden = {16, 8};
  net.outputs = 1;
  net.norm = Norm::kBatch;
  return net;
}

TEST(MagnitudeMask, ExactCountsGlobalAndLayer) {
  const ModelData m = prunetest::RandomModel(Net(), 3);
  const NetLayout layout(m.net);
  const int64_t total = 10 * 16 + 16 * 8 + 8;  // 296 weights
  for (double s : {0.0, 0.3, 0.5, 0.8}) {
    auto g = MagnitudeMask(layout, m.params.data(), s, PruneScope::kGlobal);
    int64_t pruned = 0;
    for (const LayerLayout& L : layout.layers()) pruned += PrunedIn(L, g);
    EXPECT_EQ(pruned, static_cast<int64_t>(std::floor(s * total))) << s;
    // Only weight entries are pruned.
    int64_t all = 0;
    for (uint8_t k : g) all += k == 0;
    EXPECT_EQ(all, pruned);
    auto l = MagnitudeMask(layout, m.params.data(), s, PruneScope::kLayer);
    for (const LayerLayout& L : layout.layers()) {
      EXPECT_EQ(PrunedIn(L, l), std::min<int64_t>(static_cast<int64_t>(std::floor(s * L.IC * L.OC)),
                                                  int64_t{L.IC - 1} * L.OC))
          << s;
    }
  }
}

TEST(MagnitudeMask, GlobalRanksAcrossLayers) {
  NetConfig net = Net();
  net.norm = Norm::kNone;
  ModelData m = prunetest::RandomModel(net, 4);
  const NetLayout layout(m.net);
  const LayerLayout& L0 = layout.layers()[0];
  // Every first-layer weight is larger than all others: global pruning takes those first.
  for (int64_t i = 0; i < int64_t{L0.IC} * L0.OC; ++i)
    m.params[static_cast<size_t>(L0.W + i)] += 10.0f;
  auto g = MagnitudeMask(layout, m.params.data(), 0.4, PruneScope::kGlobal);
  EXPECT_EQ(PrunedIn(L0, g), 0);
  auto l = MagnitudeMask(layout, m.params.data(), 0.4, PruneScope::kLayer);
  EXPECT_EQ(PrunedIn(L0, l), 64);  // floor(0.4 * 160)
}

TEST(MagnitudeMask, NeverEmptiesAUnitAndKeepsItsLargestWeight) {
  const ModelData m = prunetest::RandomModel(Net(), 5);
  const NetLayout layout(m.net);
  auto keep = MagnitudeMask(layout, m.params.data(), 0.99, PruneScope::kLayer);
  for (const LayerLayout& L : layout.layers()) {
    for (int j = 0; j < L.OC; ++j) {
      int kept = 0, top = 0;
      for (int i = 0; i < L.IC; ++i) {
        const int64_t at = L.W + int64_t{i} * L.OC + j;
        kept += keep[static_cast<size_t>(at)];
        if (std::fabs(m.params[static_cast<size_t>(at)]) >
            std::fabs(m.params[static_cast<size_t>(L.W + int64_t{top} * L.OC + j)]))
          top = i;
      }
      EXPECT_EQ(kept, 1);
      EXPECT_EQ(keep[static_cast<size_t>(L.W + int64_t{top} * L.OC + j)], 1);
    }
  }
}

TEST(MagnitudeMask, TiesByPositionByHand) {
  NetConfig net;
  net.inputs = 3;
  net.outputs = 2;
  net.loss = LossKind::kCrossEntropy;
  const NetLayout layout(net);
  // W[3,2] all of magnitude 1 (signs mixed), b[2]. Protected: row 0 of each column.
  std::vector<float> p = {1, -1, -1, 1, 1, -1, 0.0f, 0.0f};
  // 0.5 * 6 = 3 pruned among candidates at flat indices 2, 3, 4, 5: the lowest three.
  auto keep = MagnitudeMask(layout, p.data(), 0.5, PruneScope::kGlobal);
  EXPECT_EQ(keep, (std::vector<uint8_t>{1, 1, 0, 0, 0, 1, 1, 1}));
  // Smaller magnitudes go first whatever their position; zero biases stay.
  p = {1, 0.5f, 0.25f, 2, 3, 0.125f, 0.0f, 0.0f};
  keep = MagnitudeMask(layout, p.data(), 0.34, PruneScope::kGlobal);  // floor(2.04) = 2
  EXPECT_EQ(keep, (std::vector<uint8_t>{1, 1, 0, 1, 1, 0, 1, 1}));
}

TEST(MagnitudeMask, SparsityRangeAndCounts) {
  EXPECT_TRUE(ValidateSparsity(0.0).ok());
  EXPECT_TRUE(ValidateSparsity(0.999).ok());
  for (double s : {-0.1, 1.0, 1.5, std::nan("")}) {
    Status st = ValidateSparsity(s);
    EXPECT_FALSE(st.ok()) << s;
    EXPECT_EQ(st.exit_code(), 2);
  }
  NetConfig net;
  net.inputs = 2;
  net.hidden = {2};
  const NetLayout layout(net);
  const std::vector<float> p = {0, 1, 2, 0, 5, 0, 0, 3, 1};  // W0 b0 W1 b1
  auto c = CountWeights(layout, p.data());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].weights, 4);
  EXPECT_EQ(c[0].nonzero, 2);
  EXPECT_EQ(c[0].params, 6);
  EXPECT_EQ(c[0].nonzero_params, 3);
  EXPECT_EQ(c[1].nonzero, 1);
  EXPECT_DOUBLE_EQ(WeightSparsity(layout, p.data()), 3.0 / 6.0);
}

}  // namespace
}  // namespace ming
