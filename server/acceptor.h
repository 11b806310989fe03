// The HTTP edge's front door: one thread accepts every connection and hands it to the event
// thread with the fewest connections among those not overloaded (MHD_add_connection), or,
// when every thread is overloaded or --max-connections are open, answers it at once with a
// canned 503 + Retry-After + Connection: close, so a refused client never waits behind a
// busy event loop. A connection whose first request is a GET (health, metadata, metrics)
// is let in even then (it waits up to 5 ms for its first bytes to tell). The same thread
// measures each event loop's lag with a ping on an internal socketpair connection (at most
// one ping in flight per thread; one about every ms while the thread serves requests,
// every 50 ms when idle) and feeds that thread's OverloadDetector (overload.h). A refused
// socket's read side is drained after the 503 (until a second passes without data, five
// at most), so that closing it does not reset the connection under the client; so is
// every socket an event thread closes while its client may still be sending (Adopt).
// Thread-safety: Start/Stop from the controlling thread; Adopt from any thread; a Worker's
// atomics are shared with its event thread, the rest belongs to the acceptor thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <sys/socket.h>
#include <time.h>

#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <string>
#include <thread>
#include <vector>

#include "ming/status.h"
#include "server/overload.h"

struct MHD_Daemon;

namespace ming::server {

class Acceptor {
 public:
  struct Worker {
    MHD_Daemon* daemon = nullptr;
    int ping_peer = -1;                // libmicrohttpd's end of the ping connection
    std::atomic<int64_t> conns{0};       // client connections open on the thread
    std::atomic<bool> overloaded{false};  // published by the acceptor
    std::atomic<int64_t> requests{0};    // client requests started (the pings' pace)
    // The event thread's CPU clock (set when the ping connection opens on it).
    clockid_t cpu_clock{};
    std::atomic<bool> cpu_clock_ready{false};
    // Stamped by the event thread as it answers a ping: when, and its CPU time then.
    std::atomic<int64_t> pong_us{-1}, pong_cpu_ns{0};
    // Acceptor thread only.
    int ping_fd = -1;
    OverloadDetector detector;
    int64_t sent_us = -1, next_us = 0, requests_at_ping = 0, cpu_at_ping_ns = -1;
    std::string inbox;
  };
  struct Options {
    int64_t target_us = 2000, interval_us = 50000;  // OverloadDetector's; target 0: off
    int64_t max_connections = 1024;                 // over all threads
  };

  // Takes the listening socket (closed by Stop). workers: one per event thread, each with
  // its daemon started; they outlive the acceptor. refused: counts the 503s it sends.
  Acceptor(int listen_fd, std::vector<Worker*> workers, Options opts, std::atomic<int64_t>* refused)
      : listen_fd_(listen_fd), workers_(std::move(workers)), opts_(opts), refused_(refused) {}
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Opens the ping connections and starts the thread.
  Status Start();
  // Stops accepting: joins the thread, closes the listening socket and every socket it
  // still holds. Idempotent.
  void Stop();
  // Takes over a socket its event thread is about to close while the client may still be
  // sending (pipelined requests behind one that ends the connection, a body behind an early
  // 413): a duplicate of fd is half-closed at once, so the replies already queued go out
  // followed by the end of the stream, and read out until the client closes, a second
  // passes without data, or five seconds in all. A plain close with unread bytes would
  // reset the connection and could destroy those replies before the client reads them
  // (RFC 9112 section 9.6). After Stop, or with too many sockets lingering, the duplicate
  // is just closed.
  void Adopt(int fd);

 private:
  void Loop();
  void AcceptAll(int64_t now);
  void Admit(int fd, const sockaddr_storage& addr, socklen_t len, int64_t now, bool held);
  void Hand(Worker* w, int fd, const sockaddr_storage& addr, socklen_t len);
  void Hold(int fd, const sockaddr_storage& addr, socklen_t len, int64_t now);
  void OnHeldReadable(int fd, int64_t now);
  void ExpireHeld(int64_t now);
  void Refuse(int fd, const std::string& reply);
  void Ping(Worker* w, int64_t now);
  void OnPong(Worker* w, int64_t now);
  void Linger(int fd, int64_t now);
  void TakeAdopted(int64_t now);
  void OnLingerReadable(int fd, int64_t now);
  void EndLinger(int fd);
  void ExpireLingers(int64_t now);
  int TimeoutMs(int64_t now) const;

  int listen_fd_;
  std::vector<Worker*> workers_;
  Options opts_;
  std::atomic<int64_t>* refused_;
  int epoll_ = -1, wake_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int64_t accept_paused_until_ = 0;  // after EMFILE/ENFILE: retry accepting then
  // Refused or adopted sockets still open for their client's last bytes: (idle deadline,
  // fd) oldest first (entries whose deadline has moved since are skipped), and fd -> its
  // deadlines for those still open.
  struct Lingering {
    int64_t deadline, end;  // idle deadline; the end whatever comes
  };
  std::deque<std::pair<int64_t, int>> linger_order_;
  std::unordered_map<int, Lingering> lingering_;
  // Sockets handed over by Adopt, not yet lingering; closed_ once Stop has begun.
  std::mutex adopt_mu_;
  std::vector<int> adopted_;
  bool closed_ = false;
  // Connections waiting for their first bytes while every thread is overloaded, likewise.
  struct Held {
    int64_t deadline;
    sockaddr_storage addr;
    socklen_t len;
  };
  std::deque<std::pair<int64_t, int>> held_order_;
  std::unordered_map<int, Held> held_;
  std::string overloaded_reply_, full_reply_;
  std::array<char, 65536> drain_{};  // what lingering sockets read, dropped
};

}  // namespace ming::server
