// The coalition memo: exact keys (FieldValueIds), the table (CoalitionMemo), and a
// ShapleyEngine that uses them giving the same values as one that runs every row.
#include "explain/coalition_memo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/network.h"
#include "runtime/plan.h"
#include "util/rng.h"

namespace ming {
namespace {

const std::vector<FieldColumns> kFields = {{0, 1}, {1, 3}, {4, 1}, {5, 2}, {7, 1}, {8, 1}};
constexpr int kW = 9;

// Rows whose fields each take one of `choices` encodings, so coalition rows recur.
std::vector<float> PaletteRows(int n, int choices, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<float>> palette(kFields.size());
  for (size_t f = 0; f < kFields.size(); ++f)
    for (int c = 0; c < choices * kFields[f].width; ++c)
      palette[f].push_back(static_cast<float>(rng.Normal()));
  std::vector<float> rows(static_cast<size_t>(n) * kW);
  for (int i = 0; i < n; ++i)
    for (size_t f = 0; f < kFields.size(); ++f) {
      const int c = static_cast<int>(rng.UniformInt(static_cast<uint64_t>(choices)));
      for (int j = 0; j < kFields[f].width; ++j)
        rows[static_cast<size_t>(i * kW + kFields[f].offset + j)] =
            palette[f][static_cast<size_t>(c * kFields[f].width + j)];
    }
  return rows;
}

Plan RandomPlan(uint64_t seed) {
  NetConfig cfg;
  cfg.inputs = kW;
  cfg.hidden = {16, 8};
  cfg.outputs = 2;
  cfg.activation = Activation::kTanh;
  cfg.loss = LossKind::kCrossEntropy;
  NetLayout layout(cfg);
  Rng rng(seed);
  std::vector<float> params(static_cast<size_t>(layout.num_params()));
  for (float& p : params) p = static_cast<float>(rng.Normal() * 0.7);
  std::vector<float> buffers(static_cast<size_t>(layout.num_buffers()));
  return Plan(cfg, params.data(), buffers.data());
}

TEST(FieldValueIds, NumbersEachFieldsEncodingsAndRefusesUnknownOnes) {
  const std::vector<float> rows = PaletteRows(50, 3, 1);
  auto ids = FieldValueIds::Build(kFields, kW, {{rows.data(), 50}}, 2);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->extra_shift(), 6 * 2);  // 3 encodings per field: 2 bits each
  for (int f = 0; f < 6; ++f) {
    // Equal encodings, equal parts; different encodings, different parts, in f's bits only.
    for (int i = 0; i < 50; ++i)
      for (int j = 0; j < 50; ++j) {
        const auto a = ids->Part(f, rows.data() + i * kW), b = ids->Part(f, rows.data() + j * kW);
        ASSERT_TRUE(a && b);
        const auto& c = kFields[static_cast<size_t>(f)];
        const bool same = std::equal(rows.begin() + i * kW + c.offset,
                                     rows.begin() + i * kW + c.offset + c.width,
                                     rows.begin() + j * kW + c.offset);
        EXPECT_EQ(*a == *b, same);
        EXPECT_EQ((*a | *b) & ~(uint64_t{3} << (2 * f)), 0u);
      }
  }
  std::vector<float> other(kW, 123.0f);
  EXPECT_FALSE(ids->Part(0, other.data()).has_value());
}

TEST(FieldValueIds, RefusesKeysWiderThan63Bits) {
  // 6 fields of about 11,500 distinct encodings each: 14 bits each.
  const std::vector<float> rows = PaletteRows(20000, 1 << 14, 2);
  EXPECT_FALSE(FieldValueIds::Build(kFields, kW, {{rows.data(), 20000}}, 1).has_value());
  // About 650 encodings per field: 6 x 10 bits, room for 2 outputs but not for 16.
  const std::vector<float> few = PaletteRows(1024, 1024, 3);
  auto ids = FieldValueIds::Build(kFields, kW, {{few.data(), 1024}}, 2);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(ids->extra_shift(), 60);
  EXPECT_FALSE(FieldValueIds::Build(kFields, kW, {{few.data(), 1024}}, 16).has_value());
}

TEST(CoalitionMemo, FindsWhatWasInsertedAndEmptiesWhenHalfFull) {
  CoalitionMemo memo(4);  // 16 slots: emptied when the 9th key arrives
  for (uint64_t k = 0; k < 8; ++k) memo.Insert(k * 977, static_cast<float>(k));
  for (uint64_t k = 0; k < 8; ++k) {
    const float* v = memo.Find(k * 977);
    ASSERT_NE(v, nullptr) << k;
    EXPECT_EQ(*v, static_cast<float>(k));
  }
  EXPECT_EQ(memo.Find(5), nullptr);
  memo.Insert(977, 42.0f);  // an existing key is overwritten, not added
  EXPECT_EQ(*memo.Find(977), 42.0f);
  memo.Insert(99999, 1.0f);
  EXPECT_EQ(*memo.Find(99999), 1.0f);
  EXPECT_EQ(memo.Find(0), nullptr);  // emptied to make room
}

TEST(ShapleyMemo, GivesTheValuesOfTheEngineThatRunsEveryRow) {
  const Plan plan = RandomPlan(5);
  const int K = 4, N = 40;
  const std::vector<float> all = PaletteRows(K + N, 3, 7);  // one palette for both
  const std::vector<float> bg(all.begin(), all.begin() + K * kW), X(all.begin() + K * kW, all.end());
  for (int max_exact : {12, 2}) {  // enumeration, and permutation sampling
    const ShapleyOptions opts{max_exact, 8, 3};
    ShapleyEngine plain(plan, kFields, bg.data(), K, opts), memo(plan, kFields, bg.data(), K, opts);
    auto ids = FieldValueIds::Build(kFields, kW, {{X.data(), N}, {bg.data(), K}}, 2);
    ASSERT_TRUE(ids.has_value());
    ASSERT_TRUE(memo.UseMemo(&*ids, 12));  // room for all 3^6 rows x 2 outputs
    int64_t evaluations = 0;
    for (int i = 0; i < N; ++i) {
      for (int output = 0; output < 2; ++output) {
        ShapleyValues a, b;
        plain.Explain(X.data() + i * kW, output, &a);
        memo.Explain(X.data() + i * kW, output, &b);
        evaluations += b.evaluations;
        EXPECT_NEAR(b.output, a.output, 1e-6) << i;
        EXPECT_NEAR(b.base, a.base, 1e-6) << i;
        double sum = b.base;
        for (size_t f = 0; f < a.phi.size(); ++f) {
          EXPECT_NEAR(b.phi[f], a.phi[f], 1e-6) << "row " << i << " field " << f;
          sum += b.phi[f];
        }
        EXPECT_NEAR(sum, b.output, 1e-9);
      }
    }
    EXPECT_EQ(memo.memo_hits() + memo.memo_misses(), evaluations);
    EXPECT_GT(memo.memo_hits(), evaluations / 2) << "rows from 3 encodings per field recur";
    // A row the ids have not seen is run in full and explained the same.
    std::vector<float> fresh = PaletteRows(1, 3, 99);
    ShapleyValues a, b;
    const int64_t hits = memo.memo_hits(), misses = memo.memo_misses();
    plain.Explain(fresh.data(), 1, &a);
    memo.Explain(fresh.data(), 1, &b);
    EXPECT_EQ(memo.memo_hits(), hits);
    EXPECT_EQ(memo.memo_misses(), misses);
    for (size_t f = 0; f < a.phi.size(); ++f) EXPECT_NEAR(b.phi[f], a.phi[f], 1e-6) << f;
  }
}

TEST(ShapleyMemo, RefusedWhenTheIdsDoNotKnowTheBackground) {
  const Plan plan = RandomPlan(6);
  const std::vector<float> bg = PaletteRows(2, 3, 7), X = PaletteRows(10, 3, 8);
  auto ids = FieldValueIds::Build(kFields, kW, {{X.data(), 10}}, 2);
  ASSERT_TRUE(ids.has_value());
  ShapleyEngine eng(plan, kFields, bg.data(), 2, ShapleyOptions{});
  EXPECT_FALSE(eng.UseMemo(&*ids, 8));
  ShapleyValues sv;
  eng.Explain(X.data(), 0, &sv);
  EXPECT_EQ(eng.memo_hits() + eng.memo_misses(), 0);
}

}  // namespace
}  // namespace ming
