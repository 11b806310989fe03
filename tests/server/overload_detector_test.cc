// The overload detector (server/overload.h) on a fake clock: when an event loop's lag makes
// it overloaded and when it stops being so.
#include "server/overload.h"

#include <gtest/gtest.h>

namespace ming::server {
namespace {

constexpr int64_t kTarget = 2000, kInterval = 50000;  // us

constexpr double kBusy = 1.0;  // the thread ran through the whole wait

// Pings answered every ms from `from` to `to` (exclusive), each after `lag`, with a queue.
void Pings(OverloadDetector& d, int64_t from, int64_t to, int64_t lag, double busy = kBusy) {
  for (int64_t t = from; t < to; t += 1000) d.Sample(t, lag, busy);
}

TEST(OverloadDetector, OffWithZeroTarget) {
  OverloadDetector d(0, kInterval);
  Pings(d, 0, 1000000, 500000);
  EXPECT_FALSE(d.overloaded());
}

TEST(OverloadDetector, StartsNotOverloaded) {
  OverloadDetector d(kTarget, kInterval);
  EXPECT_FALSE(d.overloaded());
  Pings(d, 0, 200000, 100);
  EXPECT_FALSE(d.overloaded());
}

// Over the target for a whole interval: overloaded; for less: not.
TEST(OverloadDetector, EntersAfterAWholeIntervalOverTheTarget) {
  OverloadDetector d(kTarget, kInterval);
  // Every ping lags 5 ms: the lag crossed the target 3 ms before the first answer came.
  Pings(d, 100000, 100000 + kInterval - 3000, 5000);
  EXPECT_FALSE(d.overloaded()) << "a whole interval has not passed yet";
  d.Sample(100000 + kInterval - 3000, 5000, kBusy);
  EXPECT_TRUE(d.overloaded());
}

// One slow request (a 10 ms lag), then quick pings: never overloaded.
TEST(OverloadDetector, OneSlowPingIsNotOverload) {
  OverloadDetector d(kTarget, kInterval);
  d.Sample(10000, 10000, kBusy);
  Pings(d, 11000, 500000, 100);
  EXPECT_FALSE(d.overloaded());
}

// A loop stalled longer than the interval is overloaded as soon as its ping comes back.
TEST(OverloadDetector, AStallLongerThanTheIntervalCounts) {
  OverloadDetector d(kTarget, kInterval);
  d.Sample(200000, kInterval + kTarget, kBusy);
  EXPECT_TRUE(d.overloaded());
  d.Sample(201000, kInterval + kTarget - 1, kBusy);
  EXPECT_TRUE(d.overloaded());
}

// Lag while the thread mostly did not run (starved of CPU by other processes: its CPU time
// under kMinBusy of the lag) is never overload, however long; from kMinBusy it is.
TEST(OverloadDetector, LagWhileTheThreadWasStarvedIsNotOverload) {
  OverloadDetector d(kTarget, kInterval);
  Pings(d, 0, 1000000, 40000, 0.49);
  EXPECT_FALSE(d.overloaded());
  Pings(d, 1000000, 1000000 + kInterval + 1000, 40000, OverloadDetector::kMinBusy);
  EXPECT_TRUE(d.overloaded());
  Pings(d, 2000000, 2000000 + kInterval + 1000, 40000, 0.1);
  EXPECT_FALSE(d.overloaded()) << "a starved lag counts as within the target";
}

// A quick ping now and then resets the count: lag that keeps dipping under the target is
// no standing queue.
TEST(OverloadDetector, QuickPingsInBetweenKeepItOut) {
  OverloadDetector d(kTarget, kInterval);
  for (int64_t t = 0; t < 1000000; t += 1000) d.Sample(t, t % 40000 == 0 ? 1000 : 4000, kBusy);
  EXPECT_FALSE(d.overloaded());
}

// Exactly the target is within it.
TEST(OverloadDetector, TheTargetItselfIsWithin) {
  OverloadDetector d(kTarget, kInterval);
  Pings(d, 0, 500000, kTarget);
  EXPECT_FALSE(d.overloaded());
}

// Leaves after a whole interval within the target; a single quick ping while overloaded
// does not end it, and one slow ping while leaving restarts the count.
TEST(OverloadDetector, LeavesAfterAWholeIntervalWithinTheTarget) {
  OverloadDetector d(kTarget, kInterval);
  Pings(d, 0, 100000, 8000);
  ASSERT_TRUE(d.overloaded());
  d.Sample(100000, 500, kBusy);
  Pings(d, 101000, 120000, 8000);
  EXPECT_TRUE(d.overloaded()) << "one quick ping ended it";
  Pings(d, 120000, 120000 + kInterval - 10000, 500);
  d.Sample(120000 + kInterval - 10000, 9000, kBusy);  // slow again: the count starts over
  Pings(d, 120000 + kInterval - 9000, 120000 + kInterval + 30000, 500);
  EXPECT_TRUE(d.overloaded());
  Pings(d, 120000 + kInterval + 30000, 120000 + 2 * kInterval, 500);
  EXPECT_FALSE(d.overloaded());
}

}  // namespace
}  // namespace ming::server
