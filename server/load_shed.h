// Queueing-delay load shedding for one HTTP event thread, after CoDel: a request's sojourn
// is the time from its connection opening (or its previous reply going out) to its headers
// being in. On a keep-alive connection that includes the client's think time, so the
// sojourn alone cannot tell a queue from a pause; the thread's own idleness does: an event
// thread that blocked (went back to epoll_wait) during an interval had nothing waiting.
// Policy, per interval (default 100 ms):
//   - enter the dropping state when the thread never blocked during the whole interval and
//     even the shortest sojourn in it exceeded the target (a standing queue);
//   - leave it when an interval passes in which the thread blocked (the queue emptied);
//   - while dropping, each request whose sojourn exceeds the target is shed (503 without
//     running the handler); quicker ones are served.
// Thread-safety: none; one instance per event thread (thread_local), no locks, no allocation.
// Shed() reads the thread's voluntary context switches (one getrusage call) once per interval.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ming::server {

// How often the calling thread has blocked so far (voluntary context switches).
inline int64_t ThreadBlocks() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

class LoadShedder {
 public:
  LoadShedder() = default;
  // target_us <= 0 turns shedding off. interval_us > 0.
  LoadShedder(int64_t target_us, int64_t interval_us)
      : target_(target_us), interval_(interval_us) {}

  // A request's headers are in at now_us after sojourn_us. blocks() returns the thread's
  // count of blocking waits (ThreadBlocks in the server; a fake in tests); it is called
  // only when an interval closes. True: answer 503 now instead of running the handler.
  template <class Blocks>
  bool Shed(int64_t now_us, int64_t sojourn_us, Blocks&& blocks) {
    if (target_ <= 0) return false;
    if (now_us >= interval_end_) Close(now_us, blocks());
    min_ = std::min(min_, sojourn_us);
    return dropping_ && sojourn_us > target_;
  }
  bool dropping() const { return dropping_; }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  void Close(int64_t now_us, int64_t blocks_now) {
    const bool saturated = started_ && blocks_now == blocks_at_start_;
    if (dropping_) {
      dropping_ = saturated;
    } else {
      dropping_ = saturated && min_ != kNone && min_ > target_;
    }
    started_ = true;
    blocks_at_start_ = blocks_now;
    min_ = kNone;
    interval_end_ = now_us + interval_;
  }

  int64_t target_ = 0, interval_ = 100000;
  int64_t interval_end_ = 0;  // the current interval closes at the first request after this
  int64_t min_ = kNone;       // shortest sojourn in the current interval
  int64_t blocks_at_start_ = 0;
  bool started_ = false, dropping_ = false;
};

}  // namespace ming::server
