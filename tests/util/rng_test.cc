// Seeded generator: fixed streams, unbiased integers, normal moments, split independence.
#include "util/rng.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ming {
namespace {

TEST(Rng, SameSeedSameStream) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= x != c.NextU64();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, StateRoundTrip) {
  Rng a(7);
  for (int i = 0; i < 10; ++i) a.NextU64();
  Rng b(0);
  b.SetState(a.State());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.NextU64(), b.NextU64());
  EXPECT_EQ(a.Split(3).NextU64(), b.Split(3).NextU64());
}

TEST(Rng, UniformIntCoversRangeEvenly) {
  Rng r(1);
  int counts[7] = {};
  const int n = 70000;
  for (int i = 0; i < n; ++i) counts[r.UniformInt(7)]++;
  for (int c : counts) EXPECT_NEAR(c, n / 7, 400);
}

TEST(Rng, NormalMoments) {
  Rng r(3);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.Normal();
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
}

TEST(Rng, UniformInUnitInterval) {
  Rng r(5);
  for (int i = 0; i < 10000; ++i) {
    float u = r.Uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
  }
}

TEST(Rng, ShuffleIsPermutation) {
  Rng r(9);
  int v[50];
  for (int i = 0; i < 50; ++i) v[i] = i;
  r.Shuffle(v, 50);
  int sum = 0;
  bool moved = false;
  for (int i = 0; i < 50; ++i) {
    sum += v[i];
    moved |= v[i] != i;
  }
  EXPECT_EQ(sum, 49 * 50 / 2);
  EXPECT_TRUE(moved);
}

}  // namespace
}  // namespace ming
