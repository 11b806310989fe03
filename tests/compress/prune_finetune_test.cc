// Gradual pruning with fine-tuning: the cubic schedule by hand, masked weights exactly zero
// after fine-tuning at the exact target count, restore-best only among final-sparsity
// epochs, one-shot pruning, and bit-identical results for any thread count.
#include "compress/prune_finetune.h"

#include <gtest/gtest.h>

#include <cmath>

#include "prune_test_util.h"

namespace ming {
namespace {

TEST(Schedule, CubicByHand) {
  EXPECT_EQ(FinalSparsityEpoch(1), 1);
  EXPECT_EQ(FinalSparsityEpoch(2), 1);
  EXPECT_EQ(FinalSparsityEpoch(3), 2);
  EXPECT_EQ(FinalSparsityEpoch(10), 7);
  EXPECT_EQ(FinalSparsityEpoch(20), 14);
  // E = 10, P = 7: s(e) = 0.9 * (1 - (1 - e/7)^3).
  EXPECT_NEAR(ScheduledSparsity(0, 0.9, 1, 10), 0.9 * 127.0 / 343.0, 1e-12);
  EXPECT_NEAR(ScheduledSparsity(0, 0.9, 4, 10), 0.9 * (1 - 27.0 / 343.0), 1e-12);
  for (int e = 7; e <= 10; ++e) EXPECT_DOUBLE_EQ(ScheduledSparsity(0, 0.9, e, 10), 0.9);
  // From a model already 20% sparse, E = 3 (P = 2): 0.8 + (0.2 - 0.8) / 8.
  EXPECT_NEAR(ScheduledSparsity(0.2, 0.8, 1, 3), 0.725, 1e-12);
  EXPECT_DOUBLE_EQ(ScheduledSparsity(0.2, 0.8, 2, 3), 0.8);
  EXPECT_DOUBLE_EQ(ScheduledSparsity(0, 0.5, 1, 1), 0.5);
  // Never decreasing.
  for (int e = 2; e <= 20; ++e)
    EXPECT_GE(ScheduledSparsity(0, 0.95, e, 20), ScheduledSparsity(0, 0.95, e - 1, 20));
}

// A learnable task: y = [x0 + 0.5 x1 - x2 > 0].
Dataset Task(int64_t rows, uint64_t seed) {
  Dataset d = prunetest::RandomRows(rows, 6, seed);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = &d.X[static_cast<size_t>(r * 6)];
    d.y[static_cast<size_t>(r)] = x[0] + 0.5f * x[1] - x[2] > 0 ? 1.0f : 0.0f;
  }
  return d;
}

ModelData Model() {
  NetConfig net;
  net.inputs = 6;
  net.hidden = {24, 12};
  net.norm = Norm::kBatch;
  net.dropout = 0.1f;
  return prunetest::RandomModel(net, 21);
}

int64_t ZeroWeights(const ModelData& m) {
  int64_t z = 0;
  for (const WeightCount& c : CountWeights(NetLayout(m.net), m.params.data()))
    z += c.weights - c.nonzero;
  return z;
}

TEST(PruneMagnitude, FineTunedWeightsStayExactlyZero) {
  const ModelData m = Model();
  ModelDatasets d{Task(600, 1), Task(200, 2), {}};
  FineTuneOptions o;
  o.sparsity = 0.8;
  o.epochs = 6;
  o.batch_size = 64;
  o.threads = 2;
  std::vector<double> seen;
  o.on_epoch = [&](const EpochReport&, double s) { seen.push_back(s); };
  auto r = PruneMagnitude(m, d, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const int64_t weights = 6 * 24 + 24 * 12 + 12;
  EXPECT_EQ(ZeroWeights(r->model), static_cast<int64_t>(std::floor(0.8 * weights)));
  ASSERT_EQ(r->schedule.size(), 6u);
  EXPECT_EQ(seen, r->schedule);
  for (int e = 1; e <= 6; ++e)
    EXPECT_DOUBLE_EQ(r->schedule[static_cast<size_t>(e - 1)], ScheduledSparsity(0, 0.8, e, 6));
  EXPECT_GE(r->best_epoch, FinalSparsityEpoch(6));
  EXPECT_EQ(r->history.size(), 6u);
  // Fine-tuning changed the surviving weights, and the pruned ones are those a mask of the
  // result selects (zeros first).
  const NetLayout layout(m.net);
  auto keep = MagnitudeMask(layout, r->model.params.data(), 0.8, PruneScope::kGlobal);
  int64_t changed = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) {
      EXPECT_EQ(r->model.params[i], 0.0f) << i;
    }
    changed += keep[i] && r->model.params[i] != m.params[i];
  }
  EXPECT_GT(changed, weights / 10);
}

TEST(PruneMagnitude, BitIdenticalForAnyThreadCount) {
  const ModelData m = Model();
  ModelDatasets d{Task(500, 3), Task(100, 4), {}};
  FineTuneOptions o;
  o.sparsity = 0.6;
  o.scope = PruneScope::kLayer;
  o.epochs = 3;
  o.batch_size = 200;  // 3 chunks per batch
  o.threads = 1;
  auto a = PruneMagnitude(m, d, o);
  o.threads = 3;
  auto b = PruneMagnitude(m, d, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->model.params, b->model.params);
  EXPECT_EQ(a->model.buffers, b->model.buffers);
}

TEST(PruneMagnitude, OneShotAndBadOptions) {
  const ModelData m = Model();
  ModelDatasets d{Task(100, 5), {}, {}};
  FineTuneOptions o;
  o.sparsity = 0.5;
  auto r = PruneMagnitude(m, d, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ZeroWeights(r->model), (6 * 24 + 24 * 12 + 12) / 2);
  for (size_t i = 0; i < m.params.size(); ++i) {
    if (r->model.params[i] != 0.0f) {
      EXPECT_EQ(r->model.params[i], m.params[i]);
    }
  }
  EXPECT_EQ(r->model.buffers, m.buffers);
  o.sparsity = 1.0;
  EXPECT_EQ(PruneMagnitude(m, d, o).status().exit_code(), 2);
  o.sparsity = 0.5;
  o.epochs = -1;
  EXPECT_EQ(PruneMagnitude(m, d, o).status().exit_code(), 2);
}

}  // namespace
}  // namespace ming
