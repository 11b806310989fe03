// Block rows (16-output blocks per input for one-row inference) and block pruning masks:
// the kernel against a dense double-precision reference over many shapes and sparsity
// patterns, the layout worked by hand, and masks made only of whole blocks.
#include "compress/block_rows.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compress/prune_magnitude.h"
#include "prune_test_util.h"
#include "util/rng.h"

namespace ming {
namespace {

// W[IC, OC] with whole 16-output blocks kept with probability `keep` (block_pattern) or
// single weights kept with that probability.
std::vector<float> RandomWeights(int IC, int OC, double keep, bool block_pattern, Rng& rng) {
  std::vector<float> W(static_cast<size_t>(IC) * OC, 0.0f);
  for (int i = 0; i < IC; ++i) {
    for (int o0 = 0; o0 < OC; o0 += 16) {
      const bool block_on = rng.UniformDouble() < keep;
      for (int o = o0; o < std::min(OC, o0 + 16); ++o) {
        const bool on = block_pattern ? block_on : rng.UniformDouble() < keep;
        if (on) W[static_cast<size_t>(i) * OC + o] = static_cast<float>(rng.Normal());
      }
    }
  }
  return W;
}

TEST(BlockRows, MatchesTheDenseProductOverShapesAndPatterns) {
  Rng rng(7);
  for (int IC : {1, 5, 16, 33, 256, 300}) {
    for (int OC : {1, 15, 16, 17, 64, 257}) {
      for (double keep : {0.0, 0.1, 0.5, 1.0}) {
        for (bool blocks : {true, false}) {
          const std::vector<float> W = RandomWeights(IC, OC, keep, blocks, rng);
          const BlockRows r = MakeBlockRows(MakeSparse(W.data(), IC, OC));
          std::vector<float> x(static_cast<size_t>(IC)), b(static_cast<size_t>(OC));
          std::vector<float> out(static_cast<size_t>(OC) + 16, 7.0f);  // 16 guard values past OC
          for (float& v : x) v = rng.UniformDouble() < 0.4 ? 0.0f : static_cast<float>(rng.Normal());
          for (float& v : b) v = static_cast<float>(rng.Normal());
          BlockRowsMatVec(out.data(), x.data(), r, b.data());
          for (int o = OC; o < OC + 16; ++o) ASSERT_EQ(out[static_cast<size_t>(o)], 7.0f) << "wrote past OC " << OC;
          for (int o = 0; o < OC; ++o) {
            double want = b[static_cast<size_t>(o)];
            for (int i = 0; i < IC; ++i) want += double{x[static_cast<size_t>(i)]} * W[static_cast<size_t>(i) * OC + o];
            ASSERT_NEAR(out[static_cast<size_t>(o)], want, 1e-5 * (1 + std::fabs(want)))
                << IC << "x" << OC << " keep " << keep << " blocks " << blocks << " o " << o;
          }
        }
      }
    }
  }
}

TEST(BlockRows, LayoutWorkedByHand) {
  // 2 inputs x 20 outputs: input 0 has weights at outputs 3 and 18, input 1 none.
  std::vector<float> W(40, 0.0f);
  W[3] = 1.5f;
  W[18] = -2.0f;
  const BlockRows r = MakeBlockRows(MakeSparse(W.data(), 2, 20));
  EXPECT_EQ(r.blocks_per_row(), 2);
  EXPECT_EQ(r.ptr, (std::vector<uint32_t>{0, 1, 2}));  // one stored block per output block
  EXPECT_EQ(r.row, (std::vector<uint32_t>{0, 0}));     // both from input 0
  ASSERT_EQ(r.val.size(), 32u);
  EXPECT_EQ(r.val[3], 1.5f);
  EXPECT_EQ(r.val[16 + 2], -2.0f);  // output 18 is slot 2 of block 1
  EXPECT_EQ(r.val[16 + 4], 0.0f);   // past OC: zero padding
  EXPECT_DOUBLE_EQ(BlockDensity(r), 2.0 / 4.0);
  EXPECT_FALSE(PreferBlockRows(r));  // half the blocks: the dense loop is faster
}

TEST(BlockMask, PrunesWholeBlocksAndKeepsEveryBlockColumn) {
  NetConfig net;
  net.inputs = 12;
  net.hidden = {40, 20};
  net.outputs = 1;
  const ModelData m = prunetest::RandomModel(net, 5);
  const NetLayout layout(m.net);
  for (PruneScope scope : {PruneScope::kGlobal, PruneScope::kLayer}) {
    for (double s : {0.3, 0.9}) {
      const auto keep = MagnitudeMask(layout, m.params.data(), s, scope, 16);
      int64_t pruned = 0, total = 0;
      for (const LayerLayout& L : layout.layers()) {
        total += int64_t{L.IC} * L.OC;
        for (int o0 = 0; o0 < L.OC; o0 += 16) {
          int kept_inputs = 0;
          for (int i = 0; i < L.IC; ++i) {
            const int64_t at = L.W + int64_t{i} * L.OC + o0;
            const uint8_t first = keep[static_cast<size_t>(at)];
            for (int o = o0; o < std::min(L.OC, o0 + 16); ++o) {
              ASSERT_EQ(keep[static_cast<size_t>(L.W + int64_t{i} * L.OC + o)], first) << "block split";
              pruned += first == 0;
            }
            kept_inputs += first;
          }
          EXPECT_GE(kept_inputs, 1) << "a block column lost every input";
        }
      }
      if (scope == PruneScope::kGlobal) {
        EXPECT_LE(pruned, static_cast<int64_t>(std::floor(s * static_cast<double>(total))));
        EXPECT_GT(pruned, static_cast<int64_t>(std::floor(s * static_cast<double>(total))) - 16 * 3);
      }
    }
  }
  // block 1 is the unstructured mask.
  EXPECT_EQ(MagnitudeMask(layout, m.params.data(), 0.5, PruneScope::kGlobal, 1),
            MagnitudeMask(layout, m.params.data(), 0.5, PruneScope::kGlobal));
}

}  // namespace
}  // namespace ming
