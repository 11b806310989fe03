// Fork-join pool: every thread runs once per Run, results visible after Run returns.
#include "util/thread_pool.h"

#include <gtest/gtest.h>

#include <chrono>
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

namespace ming {
namespace {

TEST(ThreadPool, ParallelForRunsEveryTaskOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int n : {0, 1, 2, 3, 7, 64, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep) {
        pool.ParallelFor(n, [&](int task, int thread) {
          EXPECT_GE(thread, 0);
          EXPECT_LT(thread, threads);
          hits[static_cast<size_t>(task)]++;
        });
      }
      for (auto& h : hits) EXPECT_EQ(h.load(), 50);
    }
  }
}

TEST(ThreadPool, CallerFinishesAloneWhenWorkersAreBusy) {
  // A worker stuck in a long task must not stop the caller from finishing other tasks.
  ThreadPool pool(2);
  std::atomic<int> count{0};
  pool.ParallelFor(100, [&](int task, int) {
    if (task == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    count++;
  });
  EXPECT_EQ(count.load(), 100);
}

}  // namespace
}  // namespace ming
