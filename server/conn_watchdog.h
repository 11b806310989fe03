// Request deadlines for the HTTP edge. libmicrohttpd's connection timeout only measures
// inactivity, so a client that sends one byte every half second (slowloris) or a body that
// trickles in would hold a connection and a request slot forever. The watchdog gives each
// request a deadline from the moment its connection opened or its previous reply was sent:
// a request not read whole by then is answered 408 on the socket and the socket is shut
// down, which makes libmicrohttpd close the connection.
// Thread-safety: Open/Close/Claim/Rearm from any event thread; one watchdog thread scans.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace ming::server {

class ConnWatchdog {
 public:
  // One per connection, made when the connection opens (not per request).
  struct Entry {
    int fd = -1;
    std::atomic<int64_t> since_us{0};  // when the current request's deadline started (NowUs)
    std::atomic<int> state{0};         // kReading, kHandled or kCut
  };
  static constexpr int kReading = 0;  // waiting for (the rest of) a request
  static constexpr int kHandled = 1;  // the request is whole; replying is the server's job
  static constexpr int kCut = 2;      // the deadline passed; the socket was shut down

  // timeout_ms > 0: the deadline of each request. Starts the scanning thread.
  explicit ConnWatchdog(int timeout_ms);
  ~ConnWatchdog();
  ConnWatchdog(const ConnWatchdog&) = delete;
  ConnWatchdog& operator=(const ConnWatchdog&) = delete;

  // A connection opened on fd; the returned entry stays valid until Close(entry).
  Entry* Open(int fd);
  // The connection is closing (before its fd is closed). Frees the entry.
  void Close(Entry* e);
  // The request is whole (or answered early): true if the deadline had not cut it first.
  // Two atomics; no lock.
  static bool Claim(Entry* e) {
    int expected = kReading;
    return e->state.compare_exchange_strong(expected, kHandled) || expected == kHandled;
  }
  // The reply went out: the connection's next request starts its deadline now.
  static void Rearm(Entry* e) {
    e->since_us.store(NowUs(), std::memory_order_relaxed);
    int expected = kHandled;
    e->state.compare_exchange_strong(expected, kReading);
  }
  int64_t cut() const { return cut_.load(); }
  // Steady clock in microseconds.
  static int64_t NowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  void Loop();
  const int timeout_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::unordered_set<Entry*> live_;
  std::atomic<int64_t> cut_{0};
  std::thread thread_;
};

}  // namespace ming::server
