// The load shedder's policy (server/load_shed.h) on a fake clock and a fake count of the
// thread's blocking waits: when it enters and leaves the dropping state and whom it sheds.
#include "server/load_shed.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace ming::server {
namespace {

constexpr int64_t kTarget = 5000, kInterval = 100000;  // 5 ms, 100 ms

struct Fake {
  LoadShedder s{kTarget, kInterval};
  int64_t blocks = 0;
  bool Shed(int64_t now, int64_t sojourn) {
    return s.Shed(now, sojourn, [this] { return blocks; });
  }
  // Requests every ms over [from, to) with the given sojourn; returns how many were shed.
  int Run(int64_t from, int64_t to, int64_t sojourn) {
    int n = 0;
    for (int64_t t = from; t < to; t += 1000) n += Shed(t, sojourn);
    return n;
  }
};

TEST(LoadShedder, OffWithZeroTarget) {
  LoadShedder s(0, kInterval);
  for (int64_t t = 0; t < 10 * kInterval; t += 1000)
    EXPECT_FALSE(s.Shed(t, 1000000, [] { return int64_t{0}; }));
}

// A standing queue: the thread never blocked and every sojourn exceeded the target for a
// whole interval. The first request starts the first interval; shedding begins when it
// closes, and then only requests over the target are refused.
TEST(LoadShedder, StandingQueueEntersDropping) {
  Fake f;
  EXPECT_EQ(f.Run(0, kInterval, 8000), 0);
  EXPECT_FALSE(f.s.dropping());
  EXPECT_TRUE(f.Shed(kInterval, 8000));
  EXPECT_TRUE(f.s.dropping());
  EXPECT_FALSE(f.Shed(kInterval + 1000, 4000)) << "a request under the target is served";
  EXPECT_TRUE(f.Shed(kInterval + 2000, 5001));
  EXPECT_FALSE(f.Shed(kInterval + 3000, 5000)) << "exactly the target is not over it";
}

// Keep-alive clients that pause longer than the target: every sojourn is long, but the
// thread blocks between requests, so there is no queue and nothing is shed.
TEST(LoadShedder, IdleThreadNeverDrops) {
  Fake f;
  for (int64_t t = 0; t < 20 * kInterval; t += 1000) {
    ++f.blocks;  // it waited in epoll before each request
    EXPECT_FALSE(f.Shed(t, 50000)) << t;
  }
}

// A saturated thread whose quickest request met the target has no standing queue.
TEST(LoadShedder, OneQuickRequestPerIntervalKeepsServing) {
  Fake f;
  for (int64_t t = 0; t < 20 * kInterval; t += 1000) {
    EXPECT_FALSE(f.Shed(t, t % kInterval == 50000 ? 3000 : 9000)) << t;
  }
}

// Once dropping, it stays while the thread stays saturated even if the shedding brought the
// sojourns down, and leaves after an interval in which the thread blocked.
TEST(LoadShedder, LeavesWhenTheThreadIdles) {
  Fake f;
  f.Run(0, kInterval + 1000, 8000);
  ASSERT_TRUE(f.s.dropping());
  EXPECT_EQ(f.Run(kInterval + 1000, 3 * kInterval, 1000), 0);
  EXPECT_TRUE(f.Shed(3 * kInterval, 9000));
  EXPECT_TRUE(f.s.dropping());
  ++f.blocks;
  EXPECT_GT(f.Run(3 * kInterval + 1000, 4 * kInterval, 9000), 0)
      << "still dropping until the interval closes";
  EXPECT_FALSE(f.Shed(4 * kInterval, 9000));
  EXPECT_FALSE(f.s.dropping());
}

// A request after a long pause closes the interval: the thread blocked meanwhile.
TEST(LoadShedder, PauseAfterOverloadLeaves) {
  Fake f;
  f.Run(0, kInterval + 1000, 8000);
  ASSERT_TRUE(f.s.dropping());
  ++f.blocks;
  EXPECT_FALSE(f.Shed(60 * kInterval, 1000000));
  EXPECT_FALSE(f.s.dropping());
}

}  // namespace
}  // namespace ming::server
