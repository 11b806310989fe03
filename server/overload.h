// Overload detection for one HTTP event thread, from the lag of its event loop: how long the
// loop takes to answer a ping on an internal connection (the acceptor, acceptor.h, sends
// one about every millisecond while the thread serves requests; the thread stamps its
// answer, so the acceptor's own scheduling delay is not counted). The lag is what every
// client of the thread waits on top of its own work, a fresh one included; unlike a
// request's sojourn it holds no client think time.
// A lag counts only when the thread was working through it: its CPU time over the wait is
// at least kMinBusy of the lag. A thread starved of CPU by other processes lags too, but
// refusing its clients would not shorten that.
// Policy, after CoDel's standing-queue test: the thread is overloaded once the lag has
// stayed over the target (with a queue) for a whole interval, and stops being so once it
// has stayed within the target for a whole interval.
// While a thread is overloaded, the acceptor answers new connections 503 at once instead of
// giving them to it, and the thread answers 503 (without running them) the requests that
// waited longer than the target.
// Thread-safety: none; the acceptor thread owns each instance (and publishes overloaded()).
#pragma once

#include <cstdint>
#include <limits>

namespace ming::server {

class OverloadDetector {
 public:
  OverloadDetector() = default;
  // target_us <= 0: never overloaded. Requires interval_us > 0.
  OverloadDetector(int64_t target_us, int64_t interval_us) : target_(target_us), interval_(interval_us) {}

  static constexpr double kMinBusy = 0.5;

  // The loop answered a ping at now_us, lag_us after it was sent; `busy`: the thread's CPU
  // time over that wait divided by lag_us.
  void Sample(int64_t now_us, int64_t lag_us, double busy) {
    if (target_ <= 0) return;
    const bool high = lag_us > target_ && busy >= kMinBusy;
    if (high == overloaded_) {  // nothing against the current state
      since_ = kNone;
      return;
    }
    // The lag went over the target at sent + target; it was within it when answered.
    if (since_ == kNone) since_ = high ? now_us - lag_us + target_ : now_us;
    if (now_us - since_ >= interval_) {
      overloaded_ = high;
      since_ = kNone;
    }
  }
  bool overloaded() const { return overloaded_; }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  int64_t target_ = 0, interval_ = 1;
  int64_t since_ = kNone;  // since when every sample has argued for the other state
  bool overloaded_ = false;
};

}  // namespace ming::server
