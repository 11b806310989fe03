// Fork-join pool: every thread runs once per Run, results visible after Run returns.
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace ming {
namespace {

TEST(ThreadPool, EachThreadRunsOncePerCall) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    std::vector<int> hits(static_cast<size_t>(threads), 0);
    for (int rep = 0; rep < 1000; ++rep) pool.Run([&](int t) { hits[static_cast<size_t>(t)]++; });
    for (int h : hits) EXPECT_EQ(h, 1000);
  }
}

TEST(ThreadPool, SplitRangeCoversAll) {
  for (int parts = 1; parts < 6; ++parts) {
    int64_t prev_end = 0;
    for (int i = 0; i < parts; ++i) {
      int64_t b, e;
      SplitRange(17, parts, i, &b, &e);
      EXPECT_EQ(b, prev_end);
      prev_end = e;
    }
    EXPECT_EQ(prev_end, 17);
  }
}

}  // namespace
}  // namespace ming
