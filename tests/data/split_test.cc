// SplitRows: fractions, stratified proportions, determinism, and a disjoint cover of rows.
#include "data/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace ming {
namespace {

// Every index in [0, n) appears in exactly one split, and each split is sorted.
void ExpectDisjointCover(const Split& s, size_t n) {
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  EXPECT_TRUE(std::is_sorted(s.val.begin(), s.val.end()));
  EXPECT_TRUE(std::is_sorted(s.test.begin(), s.test.end()));
  std::vector<int> seen(n, 0);
  for (const auto* part : {&s.train, &s.val, &s.test}) {
    for (size_t i : *part) {
      ASSERT_LT(i, n);
      ++seen[i];
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
}

TEST(Split, Fractions) {
  Split s = SplitRows(1000, {}, 0.15, 0.2, 7);
  EXPECT_EQ(s.val.size(), 150u);
  EXPECT_EQ(s.test.size(), 200u);
  EXPECT_EQ(s.train.size(), 650u);
  ExpectDisjointCover(s, 1000);
  Split none = SplitRows(10, {}, 0.0, 0.0, 7);
  EXPECT_EQ(none.train.size(), 10u);
  EXPECT_TRUE(none.val.empty() && none.test.empty());
  EXPECT_TRUE(SplitRows(0, {}, 0.1, 0.1, 7).train.empty());
}

TEST(Split, ShufflesRows) {
  Split s = SplitRows(1000, {}, 0.5, 0.0, 1);
  // Not the first half in order: some of val lies in each half of the range.
  size_t low = static_cast<size_t>(
      std::count_if(s.val.begin(), s.val.end(), [](size_t i) { return i < 500; }));
  EXPECT_GT(low, 200u);
  EXPECT_LT(low, 300u);
}

TEST(Split, Deterministic) {
  std::vector<int> strata(500);
  for (size_t i = 0; i < strata.size(); ++i) strata[i] = static_cast<int>(i * 7 % 3);
  Split a = SplitRows(500, strata, 0.2, 0.1, 42);
  Split b = SplitRows(500, strata, 0.2, 0.1, 42);
  Split c = SplitRows(500, strata, 0.2, 0.1, 43);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.val, c.val);
}

TEST(Split, StratifiedProportions) {
  // 890 of class 0, 100 of class 1, 10 of class 2, interleaved.
  std::vector<int> strata(1000, 0);
  for (size_t i = 0; i < 100; ++i) strata[i * 10 + 3] = 1;
  for (size_t i = 0; i < 10; ++i) strata[i * 100 + 7] = 2;
  Split s = SplitRows(1000, strata, 0.2, 0.1, 3);
  ExpectDisjointCover(s, 1000);
  auto count = [&](const std::vector<size_t>& part, int cls) {
    return std::count_if(part.begin(), part.end(), [&](size_t i) { return strata[i] == cls; });
  };
  EXPECT_EQ(count(s.val, 0), 178);
  EXPECT_EQ(count(s.test, 0), 89);
  EXPECT_EQ(count(s.val, 1), 20);
  EXPECT_EQ(count(s.test, 1), 10);
  EXPECT_EQ(count(s.val, 2), 2);
  EXPECT_EQ(count(s.test, 2), 1);
  EXPECT_EQ(count(s.train, 2), 7);
}

TEST(Split, SmallClassesKeepOneRowPerSplit) {
  // Class 1 has 3 rows: one each in train, val and test, though 3 * 0.1 rounds to 0.
  std::vector<int> strata(103, 0);
  strata[5] = strata[50] = strata[99] = 1;
  Split s = SplitRows(103, strata, 0.1, 0.1, 9);
  ExpectDisjointCover(s, 103);
  for (const auto* part : {&s.train, &s.val, &s.test}) {
    EXPECT_EQ(std::count_if(part->begin(), part->end(), [&](size_t i) { return strata[i] == 1; }),
              1);
  }
  // Two rows: round(2 * 0.3) = 1 each for val and test would leave train none, so val
  // gives its row back.
  std::vector<int> two = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  Split t = SplitRows(two.size(), two, 0.3, 0.3, 9);
  ExpectDisjointCover(t, two.size());
  auto ones = [&](const std::vector<size_t>& part) {
    return std::count_if(part.begin(), part.end(), [&](size_t i) { return two[i] == 1; });
  };
  EXPECT_EQ(ones(t.train), 1);
  EXPECT_EQ(ones(t.val), 0);
  EXPECT_EQ(ones(t.test), 1);
}

TEST(Split, LargeFractionsLeaveTrainRows) {
  Split s = SplitRows(3, {}, 0.49, 0.49, 1);
  ExpectDisjointCover(s, 3);
  EXPECT_EQ(s.train.size(), 1u);
  EXPECT_EQ(s.val.size(), 1u);
  EXPECT_EQ(s.test.size(), 1u);
}

}  // namespace
}  // namespace ming
