// Structured pruning: removing dead units (never-active ReLU units, and units with a
// constant non-zero output whose value must be folded) leaves every output unchanged, with
// and without batch norm; the surgery itself checked by hand; cost removal and the
// never-empty rule; layer norm refused.
#include "compress/prune_units.h"

#include <gtest/gtest.h>

#include <cmath>

#include "prune_test_util.h"

namespace ming {
namespace {

using prunetest::Outputs;
using prunetest::RandomModel;
using prunetest::RandomRows;

// Forces unit u of hidden layer l dead (output 0 on every row) or constant positive.
void ForceDead(ModelData* m, int l, int u) {
  const LayerLayout L =
      NetLayout(m->net).layers()[static_cast<size_t>(l)];  // a copy: the layout is a temporary
  if (L.beta >= 0)
    m->params[static_cast<size_t>(L.beta + u)] = -100.0f;
  else
    m->params[static_cast<size_t>(L.b + u)] = -100.0f;
}
void ForceConstant(ModelData* m, int l, int u, float value) {
  const LayerLayout L =
      NetLayout(m->net).layers()[static_cast<size_t>(l)];  // a copy: the layout is a temporary
  for (int i = 0; i < L.IC; ++i) m->params[static_cast<size_t>(L.W + int64_t{i} * L.OC + u)] = 0.0f;
  if (L.beta >= 0)
    m->params[static_cast<size_t>(L.beta + u)] = value;  // normalised z is 0
  else
    m->params[static_cast<size_t>(L.b + u)] = value;
}

void ExpectSameOutputs(const ModelData& a, const ModelData& b, const Dataset& d) {
  const std::vector<float> x = Outputs(a, d), y = Outputs(b, d);
  ASSERT_EQ(x.size(), y.size());
  const int O = a.net.outputs;
  for (int64_t r = 0; r < d.rows; ++r) {
    int ca = 0, cb = 0;
    for (int o = 0; o < O; ++o) {
      const size_t i = static_cast<size_t>(r * O + o);
      EXPECT_NEAR(y[i], x[i], 1e-5 * std::max(1.0f, std::fabs(x[i])))
          << "row " << r << " output " << o;
      if (x[i] > x[static_cast<size_t>(r * O + ca)]) ca = o;
      if (y[i] > y[static_cast<size_t>(r * O + cb)]) cb = o;
    }
    if (O == 1)
      EXPECT_EQ(x[static_cast<size_t>(r)] > 0, y[static_cast<size_t>(r)] > 0) << "row " << r;
    else
      EXPECT_EQ(ca, cb) << "row " << r;
  }
}

class DeadUnits : public ::testing::TestWithParam<Norm> {};

TEST_P(DeadUnits, RemovalLeavesEveryOutputUnchanged) {
  NetConfig net;
  net.inputs = 7;
  net.hidden = {12, 9, 6};
  net.outputs = 3;
  net.loss = LossKind::kCrossEntropy;
  net.norm = GetParam();
  ModelData m = RandomModel(net, 11);
  for (int u : {0, 3, 4, 11}) ForceDead(&m, 0, u);
  ForceConstant(&m, 0, 7, 0.8f);  // constant positive: its value goes into the next bias
  for (int u : {2, 8}) ForceDead(&m, 1, u);
  ForceConstant(&m, 1, 5, 1.3f);
  ForceConstant(&m, 2, 0, 0.4f);
  const Dataset d = RandomRows(500, 7, 3, 3);
  auto r = PruneUnits(m, d, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // The forced units at least (a random layer may have naturally dead units too).
  ASSERT_EQ(r->layers.size(), 3u);
  const int forced[] = {5, 3, 1};
  for (size_t l = 0; l < 3; ++l) {
    EXPECT_GE(r->layers[l].dead, forced[l]) << "layer " << l;
    EXPECT_EQ(r->layers[l].before, net.hidden[l]);
    EXPECT_EQ(r->layers[l].after, net.hidden[l] - r->layers[l].dead);
    EXPECT_EQ(r->model.net.hidden[l], r->layers[l].after);
  }
  const NetLayout small(r->model.net);
  EXPECT_EQ(static_cast<int64_t>(r->model.params.size()), small.num_params());
  EXPECT_EQ(static_cast<int64_t>(r->model.buffers.size()), small.num_buffers());
  ExpectSameOutputs(m, r->model, d);
  // Fresh rows too (the constant outputs are constant everywhere).
  ExpectSameOutputs(m, r->model, RandomRows(300, 7, 99, 3));
}

INSTANTIATE_TEST_SUITE_P(Norms, DeadUnits, ::testing::Values(Norm::kNone, Norm::kBatch));

TEST(PruneUnits, SurgeryByHand) {
  NetConfig net;
  net.inputs = 2;
  net.hidden = {3};
  net.outputs = 2;
  net.loss = LossKind::kCrossEntropy;
  ModelData m;
  m.net = net;
  // W0[2,3], b0[3], W1[3,2], b1[2]
  m.params = {1, 2, 3, 4, 5, 6, 0.1f, 0.2f, 0.3f, 10, 20, 30, 40, 50, 60, 0.5f, 0.25f};
  ModelData out = RemoveUnits(m, 0, {1, 0, 1}, {0, 2.0f, 0});
  EXPECT_EQ(out.net.hidden, std::vector<int>{2});
  const std::vector<float> want = {1,  3,  4,  6,  0.1f,          0.3f,
                                   10, 20, 50, 60, 0.5f + 2 * 30, 0.25f + 2 * 40};
  EXPECT_EQ(out.params, want);
}

TEST(PruneUnits, ThresholdCostAndNeverEmpty) {
  NetConfig net;
  net.inputs = 5;
  net.hidden = {10, 8};
  net.outputs = 1;
  ModelData m = RandomModel(net, 5);
  for (int u = 0; u < 8; ++u) ForceDead(&m, 1, u);  // the whole second layer is dead
  const Dataset d = RandomRows(400, 5, 8);
  auto r = PruneUnits(m, d, {0.0, 0.5});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->layers[0].removed_by_cost, 5);  // floor(0.5 * 10)
  EXPECT_EQ(r->layers[0].after, 5);
  EXPECT_EQ(r->layers[1].after, 1);  // one unit kept even though all are dead
  EXPECT_EQ(r->layers[1].dead, 7);
  EXPECT_EQ(r->model.net.hidden, (std::vector<int>{5, 1}));
  // Output is constant (the second layer is dead), so the cost removal cannot change it.
  ExpectSameOutputs(m, r->model, d);

  auto most = PruneUnits(m, d, {0.0, 0.99});
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most->model.net.hidden[0], 1);
}

TEST(PruneUnits, ThresholdCountsRarelyActiveUnits) {
  NetConfig net;
  net.inputs = 1;
  net.hidden = {2};
  net.outputs = 1;
  ModelData m;
  m.net = net;
  // Unit 0: relu(x - 0.9) is active on ~5% of x ~ U(-1, 1); unit 1: relu(x).
  m.params = {1, 1, -0.9f, 0, 1, 1, 0};
  const Dataset d = RandomRows(1000, 1, 4);
  auto strict = PruneUnits(m, d, {});
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(strict->layers[0].dead, 0);
  auto loose = PruneUnits(m, d, {0.1, 0.0});
  ASSERT_TRUE(loose.ok());
  EXPECT_EQ(loose->layers[0].dead, 1);
  EXPECT_EQ(loose->model.net.hidden, std::vector<int>{1});
  // The removed unit's mean output went into the output bias.
  EXPECT_GT(loose->model.params.back(), 0.0f);
}

TEST(PruneUnits, RefusesLayerNormAndBadOptions) {
  NetConfig net;
  net.inputs = 3;
  net.hidden = {4};
  net.norm = Norm::kLayer;
  ModelData m = RandomModel(net, 1);
  const Dataset d = RandomRows(10, 3, 1);
  auto r = PruneUnits(m, d, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_code(), 2);
  EXPECT_NE(r.status().message().find("layer normalisation"), std::string::npos);
  m.net.norm = Norm::kNone;
  m = RandomModel(m.net, 1);
  EXPECT_FALSE(PruneUnits(m, d, {1.0, 0.0}).ok());
  EXPECT_FALSE(PruneUnits(m, d, {0.0, -0.1}).ok());
  EXPECT_TRUE(PruneUnits(m, d, {0.0, 0.0}).ok());
}

}  // namespace
}  // namespace ming
