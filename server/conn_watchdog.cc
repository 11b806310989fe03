// The request-deadline watchdog (see conn_watchdog.h): one thread that scans the open
// connections a few times per deadline and cuts the ones whose request is overdue.
#include "server/conn_watchdog.h"

#include <sys/socket.h>

#include <algorithm>
#include <string>

namespace ming::server {

ConnWatchdog::ConnWatchdog(int timeout_ms) : timeout_ms_(timeout_ms) {
  thread_ = std::thread([this] { Loop(); });
}

ConnWatchdog::~ConnWatchdog() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (Entry* e : live_) delete e;
}

ConnWatchdog::Entry* ConnWatchdog::Open(int fd) {
  auto* e = new Entry;
  e->fd = fd;
  e->since_us.store(NowUs());
  std::lock_guard<std::mutex> g(mu_);
  live_.insert(e);
  return e;
}

void ConnWatchdog::Close(Entry* e) {
  {
    // Under the lock so that the scan never touches an fd that libmicrohttpd has closed
    // (and the kernel may have reused): the connection notifies before closing its socket.
    std::lock_guard<std::mutex> g(mu_);
    live_.erase(e);
  }
  delete e;
}

void ConnWatchdog::Loop() {
  static constexpr char kBody[] = "{\"error\":\"the request did not arrive within the deadline\"}";
  const std::string k408 = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(sizeof kBody - 1) + "\r\n\r\n" + kBody;
  const auto period = std::chrono::milliseconds(std::clamp(timeout_ms_ / 4, 20, 1000));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [this] { return stop_; });
    const int64_t now = NowUs();
    for (Entry* e : live_) {
      if (e->state.load(std::memory_order_relaxed) != kReading) continue;
      if (now - e->since_us.load(std::memory_order_relaxed) < int64_t{timeout_ms_} * 1000) continue;
      int expected = kReading;
      if (!e->state.compare_exchange_strong(expected, kCut)) continue;
      // No reply is queued on a connection still reading its request, so this write does not
      // interleave with libmicrohttpd's. Best effort: a full send buffer just drops the 408.
      [[maybe_unused]] ssize_t n = ::send(e->fd, k408.data(), k408.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::shutdown(e->fd, SHUT_RDWR);
      cut_.fetch_add(1);
    }
  }
}

}  // namespace ming::server
