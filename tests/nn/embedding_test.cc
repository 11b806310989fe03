// Learned embeddings in the network: layout (tables after the layers), validation,
// initialisation, and the gradient of the tables (gather -> forward -> backward with dX ->
// scatter) against central differences of the double reference network.
#include "nn/embedding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nn_test_util.h"

namespace ming {
namespace {

using nntest::Vec;

// 7 inputs: column 0 numeric, 1-2 embedding A (4 rows), 3-4 numeric, 5-6 embedding B (3 rows).
NetConfig EmbeddedConfig(Norm norm) {
  NetConfig c;
  c.inputs = 7;
  c.hidden = {5, 4};
  c.outputs = 2;
  c.activation = Activation::kTanh;  // smooth: no kinks to dodge
  c.norm = norm;
  c.loss = LossKind::kMse;
  c.embeddings = {{1, 2, 4}, {5, 2, 3}};
  return c;
}

TEST(EmbeddingTest, TablesFollowTheLayers) {
  const NetConfig c = EmbeddedConfig(Norm::kLayer);
  NetConfig plain = c;
  plain.embeddings.clear();
  const NetLayout layout(c), without(plain);
  EXPECT_EQ(layout.num_layer_params(), without.num_params());
  EXPECT_EQ(layout.num_params(), without.num_params() + 4 * 2 + 3 * 2);
  ASSERT_EQ(layout.embedding_tables().size(), 2u);
  EXPECT_EQ(layout.embedding_tables()[0], without.num_params());
  EXPECT_EQ(layout.embedding_tables()[1], without.num_params() + 8);
  for (size_t l = 0; l < layout.layers().size(); ++l) {
    EXPECT_EQ(layout.layers()[l].W, without.layers()[l].W);
    EXPECT_EQ(layout.layers()[l].gamma, without.layers()[l].gamma);
  }
  const std::vector<uint8_t> decay = layout.DecayMask(), plain_decay = without.DecayMask();
  EXPECT_TRUE(std::equal(plain_decay.begin(), plain_decay.end(), decay.begin()));
  for (int64_t i = layout.num_layer_params(); i < layout.num_params(); ++i) EXPECT_EQ(decay[i], 1);
}

TEST(EmbeddingTest, InitialisationKeepsTheLayersAndDrawsSmallNormalTables) {
  NetConfig c = EmbeddedConfig(Norm::kNone);
  c.embeddings = {{1, 2, 20000}};
  NetConfig plain = c;
  plain.embeddings.clear();
  const NetLayout layout(c), without(plain);
  std::vector<float> p(layout.num_params()), q(without.num_params());
  Rng a(7), b(7);
  InitParams(layout, p.data(), nullptr, a);
  InitParams(without, q.data(), nullptr, b);
  EXPECT_TRUE(std::equal(q.begin(), q.end(), p.begin()));
  double sum = 0, sq = 0;
  const int64_t n = layout.num_params() - layout.num_layer_params();
  for (int64_t i = layout.num_layer_params(); i < layout.num_params(); ++i) {
    sum += p[i];
    sq += static_cast<double>(p[i]) * p[i];
  }
  const double mean = sum / static_cast<double>(n), var = sq / static_cast<double>(n) - mean * mean;
  EXPECT_NEAR(mean, 0.0, 3e-4);  // 40,000 draws of N(0, 0.01^2): standard error 5e-5
  EXPECT_NEAR(std::sqrt(var), 0.01, 3e-4);
}

TEST(EmbeddingTest, ValidateNamesTheEmbedding) {
  auto check = [](std::vector<EmbeddingSpec> e, const std::string& want) {
    NetConfig c = EmbeddedConfig(Norm::kNone);
    c.embeddings = std::move(e);
    const Status st = ValidateNetConfig(c);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  check({{1, 0, 4}}, "embedding 1 needs a positive dim");
  check({{1, 2, 0}}, "embedding 1 needs a positive dim");
  check({{6, 2, 4}}, "embedding 1 (columns 6+2) overlaps another or lies outside the 7 inputs");
  check({{1, 2, 4}, {2, 2, 4}}, "embedding 2 (columns 2+2) overlaps");
  check({{3, 2, 4}, {1, 2, 4}}, "embedding 2 (columns 1+2) overlaps");  // not in column order
  check({{-1, 2, 4}}, "embedding 1 (columns -1+2)");
  EXPECT_TRUE(ValidateNetConfig(EmbeddedConfig(Norm::kNone)).ok());
}

// X with the embedded columns taken from the tables in p (double), as embedding_gather does.
Vec Gathered(const NetLayout& layout, const Vec& p, Vec x, const std::vector<int32_t>& slots, int B) {
  const auto& e = layout.config().embeddings;
  const int F = layout.config().inputs;
  for (int i = 0; i < B; ++i) {
    for (size_t k = 0; k < e.size(); ++k) {
      for (int j = 0; j < e[k].dim; ++j) {
        x[static_cast<size_t>(i * F + e[k].column + j)] =
            p[static_cast<size_t>(layout.embedding_tables()[k] + slots[i * e.size() + k] * e[k].dim + j)];
      }
    }
  }
  return x;
}

// Gradients of sum(out * R) with respect to every parameter, tables included, against
// central differences of the double reference (tolerances as in network_test.cc). Slots
// repeat within the batch, so the scatter must add, not overwrite; one table row is never
// used and must get a zero gradient.
void CheckTables(Norm norm) {
  const NetConfig c = EmbeddedConfig(norm);
  const NetLayout layout(c);
  constexpr int B = 6;
  // [B, 2]: A uses rows 0, 1, 3 (0 four times), B rows 0, 1, 2.
  const std::vector<int32_t> slots = {0, 2, 1, 2, 0, 0, 3, 1, 0, 2, 0, 1};
  Rng rng(11);
  std::vector<float> params(layout.num_params()), buffers(layout.num_buffers());
  InitParams(layout, params.data(), buffers.data(), rng);
  std::vector<float> X = nntest::RandomFloats(rng, B * c.inputs);
  const std::vector<float> R = nntest::RandomFloats(rng, B * c.outputs);
  embedding_gather(layout, params.data(), slots.data(), B, X.data());
  TrainWorkspace ws(layout, B);
  Rng drop(1);
  forward_train(layout, params.data(), X.data(), B, ws, drop);
  std::vector<float> grads(layout.num_params(), 0.0f), dX(X.size());
  backward(layout, params.data(), X.data(), R.data(), B, ws, grads.data(), dX.data());
  embedding_backward(layout, slots.data(), dX.data(), B, grads.data());

  Vec p = nntest::ToDouble(params);
  const Vec x0 = nntest::ToDouble(X), Rd = nntest::ToDouble(R);
  const std::vector<Vec> masks(layout.layers().size());
  auto f = [&] {
    return nntest::Dot(nntest::NetRef(layout, p, Gathered(layout, p, x0, slots, B), B, masks), Rd);
  };
  const Vec gp = nntest::NumericGrad(p, 1e-5, f);
  double scale = 0;
  for (double g : gp) scale = std::max(scale, std::fabs(g));
  nntest::ExpectClose(grads, gp, 1e-4 * scale, 1e-4, std::string("params with tables, norm ") + Name(norm));
  // Table A: row 3 is used once (batch row 3), row 2 never.
  const int64_t a = layout.embedding_tables()[0];
  EXPECT_NE(grads[static_cast<size_t>(a + 3 * 2)], 0.0f);
  EXPECT_EQ(grads[static_cast<size_t>(a + 2 * 2)], 0.0f);
  EXPECT_EQ(grads[static_cast<size_t>(a + 2 * 2 + 1)], 0.0f);
}

TEST(EmbeddingTest, TableGradientsMatchFiniteDifferences) {
  for (Norm norm : {Norm::kNone, Norm::kLayer, Norm::kBatch}) CheckTables(norm);
}

TEST(EmbeddingTest, UnusedRowsGetNoGradient) {
  const NetConfig c = EmbeddedConfig(Norm::kNone);
  const NetLayout layout(c);
  const std::vector<int32_t> slots = {1, 0, 1, 2};  // A uses row 1 only, B rows 0 and 2
  std::vector<float> dX(2 * 7), grads(layout.num_params(), 0.0f);
  for (size_t i = 0; i < dX.size(); ++i) dX[i] = static_cast<float>(i + 1);
  embedding_backward(layout, slots.data(), dX.data(), 2, grads.data());
  const int64_t a = layout.embedding_tables()[0], b = layout.embedding_tables()[1];
  // A row 1 gets rows 0 and 1's columns 1-2: (2 + 9, 3 + 10); B row 0: (6, 7); B row 2: (13, 14).
  EXPECT_EQ(grads[a + 2], 11.0f);
  EXPECT_EQ(grads[a + 3], 13.0f);
  EXPECT_EQ(grads[b + 0], 6.0f);
  EXPECT_EQ(grads[b + 1], 7.0f);
  EXPECT_EQ(grads[b + 4], 13.0f);
  EXPECT_EQ(grads[b + 5], 14.0f);
  int nonzero = 0;
  for (float g : grads) nonzero += g != 0.0f;
  EXPECT_EQ(nonzero, 6);  // nothing else: the layers and unused rows are untouched
}

}  // namespace
}  // namespace ming
