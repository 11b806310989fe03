// The accept thread: admission to the event threads, fast refusals, and the lag pings that
// drive each thread's connection cap.
#include "server/acceptor.h"

#include "server/conn_watchdog.h"

#include <microhttpd.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace ming::server {
namespace {

constexpr uint64_t kListen = 1, kWake = 2, kPing = 3, kLinger = 4, kHeld = 5;
constexpr int64_t kActivePingUs = 1000, kIdlePingUs = 50000;
// A lingering socket closes when its client does, after a second without data, or after
// five seconds in all (nginx's lingering_timeout and lingering_time, shorter).
constexpr int64_t kLingerIdleUs = 1000000, kLingerMaxUs = 5000000, kHoldUs = 5000;
constexpr int kLingerReadsPerEvent = 16;  // then back to the loop (level-triggered)
constexpr size_t kMaxLingering = 4096;
constexpr int kAcceptBatch = 64;
constexpr char kPingRequest[] = "GET /ping HTTP/1.1\r\nHost: ming\r\n\r\n";

uint64_t Tag(uint64_t kind, uint64_t value) { return kind << 32 | value; }

int64_t CpuNs(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return -1;
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

bool Watch(int ep, int fd, uint32_t events, uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  return ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0;
}

std::string Reply503(const std::string& message) {
  const std::string body = "{\"error\":\"" + message + "\"}";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
         "Connection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

Acceptor::~Acceptor() { Stop(); }

Status Acceptor::Start() {
  overloaded_reply_ = Reply503("the server is overloaded; retry later");
  full_reply_ = Reply503("the server has " + std::to_string(opts_.max_connections) + " connections open; retry later");
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wake_ < 0 || !Watch(epoll_, listen_fd_, EPOLLIN, Tag(kListen, 0)) ||
      !Watch(epoll_, wake_, EPOLLIN, Tag(kWake, 0))) {
    return Status::IoError("cannot set up the accept loop: " + std::string(std::strerror(errno)));
  }
  for (size_t i = 0; i < workers_.size() && opts_.target_us > 0; ++i) {  // off: no pings
    Worker* w = workers_[i];
    w->detector = OverloadDetector(opts_.target_us, opts_.interval_us);
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
      return Status::IoError("cannot open the event-loop ping connection: " + std::string(std::strerror(errno)));
    }
    w->ping_fd = sv[0];
    w->ping_peer = sv[1];
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // libmicrohttpd owns (and closes) sv[1] from here, whatever the outcome.
    if (MHD_add_connection(w->daemon, sv[1], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != MHD_YES ||
        !Watch(epoll_, w->ping_fd, EPOLLIN, Tag(kPing, i))) {
      return Status::IoError("cannot open the event-loop ping connection: " + std::string(std::strerror(errno)));
    }
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Acceptor::Stop() {
  {
    std::lock_guard<std::mutex> g(adopt_mu_);
    closed_ = true;  // Adopt closes what it gets from here on
  }
  if (thread_.joinable()) {
    stop_.store(true);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
    thread_.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  for (Worker* w : workers_) {
    if (w->ping_fd >= 0) ::close(w->ping_fd);
    w->ping_fd = -1;
  }
  for (const auto& [fd, l] : lingering_) ::close(fd);
  for (const auto& [fd, h] : held_) ::close(fd);
  for (int fd : adopted_) ::close(fd);
  adopted_.clear();
  lingering_.clear();
  linger_order_.clear();
  held_.clear();
  held_order_.clear();
  if (epoll_ >= 0) ::close(epoll_);
  if (wake_ >= 0) ::close(wake_);
  epoll_ = wake_ = -1;
}

void Acceptor::Loop() {
  epoll_event events[64];
  while (!stop_.load()) {
    int64_t now = ConnWatchdog::NowUs();
    const int n = ::epoll_wait(epoll_, events, 64, TimeoutMs(now));
    now = ConnWatchdog::NowUs();
    for (int i = 0; i < n; ++i) {
      const uint64_t kind = events[i].data.u64 >> 32, value = events[i].data.u64 & 0xffffffffu;
      if (kind == kListen) AcceptAll(now);
      if (kind == kWake) TakeAdopted(now);
      if (kind == kPing) OnPong(workers_[value], now);
      if (kind == kLinger) OnLingerReadable(static_cast<int>(value), now);
      if (kind == kHeld) OnHeldReadable(static_cast<int>(value), now);
    }
    if (accept_paused_until_ != 0 && now >= accept_paused_until_) {
      accept_paused_until_ = 0;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = Tag(kListen, 0);
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, listen_fd_, &ev);
    }
    for (Worker* w : workers_) {
      if (w->ping_fd >= 0 && w->sent_us < 0 && now >= w->next_us) Ping(w, now);
    }
    ExpireLingers(now);
    ExpireHeld(now);
  }
}

int Acceptor::TimeoutMs(int64_t now) const {
  int64_t next = now + 100000;
  for (const Worker* w : workers_) {
    if (w->ping_fd >= 0 && w->sent_us < 0) next = std::min(next, w->next_us);
  }
  if (!linger_order_.empty()) next = std::min(next, linger_order_.front().first);
  if (!held_order_.empty()) next = std::min(next, held_order_.front().first);
  if (accept_paused_until_ != 0) next = std::min(next, accept_paused_until_);
  return next <= now ? 0 : static_cast<int>((next - now + 999) / 1000);
}

void Acceptor::AcceptAll(int64_t now) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Admit(fd, addr, len, now, false);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // Out of descriptors: the pending connection stays queued; stop watching the
      // listening socket for 10 ms instead of spinning on it.
      accept_paused_until_ = now + 10000;
      epoll_event ev{};
      ev.data.u64 = Tag(kListen, 0);
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, listen_fd_, &ev);
    }
    return;  // EAGAIN: nothing more waiting
  }
}

namespace {

enum class FirstBytes { kGet, kOther, kNotYet };  // kGet: GET or HEAD

// What the client has sent so far, without taking it from the socket.
FirstBytes Peek(int fd) {
  char buf[5];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? FirstBytes::kNotYet : FirstBytes::kOther;
  const std::string_view got(buf, static_cast<size_t>(n));
  bool prefix = false;
  for (std::string_view m : {std::string_view("GET "), std::string_view("HEAD ")}) {
    if (got.substr(0, m.size()) == m) return FirstBytes::kGet;
    prefix |= m.substr(0, got.size()) == got;
  }
  return prefix && n > 0 ? FirstBytes::kNotYet : FirstBytes::kOther;
}

}  // namespace

// held: the connection already waited (up to kHoldUs) for its first bytes.
void Acceptor::Admit(int fd, const sockaddr_storage& addr, socklen_t len, int64_t now, bool held) {
  Worker *best = nullptr, *least = nullptr;
  int64_t total = 0, best_conns = 0, least_conns = 0;
  for (Worker* w : workers_) {
    const int64_t conns = w->conns.load(std::memory_order_relaxed);
    total += conns;
    if (!least || conns < least_conns) least = w, least_conns = conns;
    if (!w->detector.overloaded() && (!best || conns < best_conns)) best = w, best_conns = conns;
  }
  if (total >= opts_.max_connections) return Refuse(fd, full_reply_);
  if (best) return Hand(best, fd, addr, len);
  // Every thread is overloaded. A GET (health, metadata, metrics: cheap, and what
  // orchestrators poll) still goes in; anything else is refused at once.
  switch (Peek(fd)) {
    case FirstBytes::kGet:
      return Hand(least, fd, addr, len);
    case FirstBytes::kNotYet:
      if (!held) return Hold(fd, addr, len, now);
      [[fallthrough]];
    case FirstBytes::kOther:
      return Refuse(fd, overloaded_reply_);
  }
}

void Acceptor::Hand(Worker* w, int fd, const sockaddr_storage& addr, socklen_t len) {
  w->conns.fetch_add(1, std::memory_order_relaxed);
  // libmicrohttpd owns fd from here, whatever the outcome.
  if (MHD_add_connection(w->daemon, fd, reinterpret_cast<const sockaddr*>(&addr), len) != MHD_YES) {
    w->conns.fetch_sub(1, std::memory_order_relaxed);
  }
}

// Waits (in the loop, up to kHoldUs) for the first bytes of a connection that came in while
// every thread was overloaded.
void Acceptor::Hold(int fd, const sockaddr_storage& addr, socklen_t len, int64_t now) {
  // Edge-triggered: bytes that do not decide yet ("GE") must not wake the loop again and
  // again; the next bytes, or the deadline, will.
  if (held_.size() >= kMaxLingering || !Watch(epoll_, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, Tag(kHeld, fd))) {
    return Refuse(fd, overloaded_reply_);
  }
  held_[fd] = Held{now + kHoldUs, addr, len};
  held_order_.emplace_back(now + kHoldUs, fd);
}

void Acceptor::OnHeldReadable(int fd, int64_t now) {
  auto it = held_.find(fd);
  if (it == held_.end() || (Peek(fd) == FirstBytes::kNotYet && now < it->second.deadline)) return;
  const Held h = it->second;
  held_.erase(it);  // its queue entry is skipped when it comes due
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  Admit(fd, h.addr, h.len, now, true);
}

void Acceptor::ExpireHeld(int64_t now) {
  while (!held_order_.empty() && held_order_.front().first <= now) {
    const auto [deadline, fd] = held_order_.front();
    held_order_.pop_front();
    auto it = held_.find(fd);
    if (it != held_.end() && it->second.deadline == deadline) OnHeldReadable(fd, now);
  }
}

void Acceptor::Refuse(int fd, const std::string& reply) {
  refused_->fetch_add(1, std::memory_order_relaxed);
  // A fresh socket's send buffer takes the whole reply.
  [[maybe_unused]] ssize_t n = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  Linger(fd, ConnWatchdog::NowUs());
}

// Closing a socket with unread bytes sends a reset, which can destroy the 503 before the
// client reads it; so read (and drop) what the client sends until it closes, for a while.
void Acceptor::Linger(int fd, int64_t now) {
  if (lingering_.size() >= kMaxLingering || !Watch(epoll_, fd, EPOLLIN | EPOLLRDHUP, Tag(kLinger, fd))) {
    ::close(fd);
    return;
  }
  lingering_[fd] = Lingering{now + kLingerIdleUs, now + kLingerMaxUs};
  linger_order_.emplace_back(now + kLingerIdleUs, fd);
}

void Acceptor::Adopt(int fd) {
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);  // the caller closes fd itself
  if (own < 0) return;
  ::shutdown(own, SHUT_WR);
  {
    std::lock_guard<std::mutex> g(adopt_mu_);
    if (!closed_) {
      adopted_.push_back(own);
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
      return;
    }
  }
  ::close(own);
}

void Acceptor::TakeAdopted(int64_t now) {
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(wake_, &count, sizeof count);
  std::vector<int> fds;
  {
    std::lock_guard<std::mutex> g(adopt_mu_);
    fds.swap(adopted_);
  }
  for (int fd : fds) Linger(fd, now);
}

// An adopted socket's file stays open while its event thread has yet to close its own
// descriptor, and epoll watches the file, not the number: so a lingering socket leaves the
// epoll set before its descriptor closes, and an event for a number no longer lingering
// (reused since by a connection that belongs to an event thread) is ignored.
void Acceptor::EndLinger(int fd) {
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  ::close(fd);
}

void Acceptor::OnLingerReadable(int fd, int64_t now) {
  auto it = lingering_.find(fd);
  if (it == lingering_.end()) return;
  ssize_t n = 0;
  int reads = 0;
  while (reads < kLingerReadsPerEvent && (n = ::recv(fd, drain_.data(), drain_.size(), MSG_DONTWAIT)) > 0) ++reads;
  const bool open = n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
  if (!open || now >= it->second.end) {
    lingering_.erase(it);  // its queue entries are skipped when they come due
    EndLinger(fd);
    return;
  }
  // Data came: the idle deadline moves (a new queue entry only when it moved by a tenth,
  // so that a fast sender does not grow the queue by an entry per event).
  if (reads > 0 && now + kLingerIdleUs - it->second.deadline >= kLingerIdleUs / 10) {
    it->second.deadline = now + kLingerIdleUs;
    linger_order_.emplace_back(it->second.deadline, fd);
  }
}

void Acceptor::ExpireLingers(int64_t now) {
  auto& q = linger_order_;
  while (!q.empty() && q.front().first <= now) {
    const auto [deadline, fd] = q.front();
    q.pop_front();
    auto it = lingering_.find(fd);
    if (it != lingering_.end() && it->second.deadline == deadline) {
      lingering_.erase(it);
      EndLinger(fd);
    }
  }
}

void Acceptor::Ping(Worker* w, int64_t now) {
  w->requests_at_ping = w->requests.load(std::memory_order_relaxed);
  w->cpu_at_ping_ns = w->cpu_clock_ready.load(std::memory_order_acquire) ? CpuNs(w->cpu_clock) : -1;
  const ssize_t n = ::send(w->ping_fd, kPingRequest, sizeof kPingRequest - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n != static_cast<ssize_t>(sizeof kPingRequest - 1)) {  // the connection is gone: stop measuring
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, w->ping_fd, nullptr);
    ::close(w->ping_fd);
    w->ping_fd = -1;
    return;
  }
  w->sent_us = now;
}

void Acceptor::OnPong(Worker* w, int64_t now) {
  if (w->ping_fd < 0) return;  // closed earlier in this round of events
  char buf[1024];
  ssize_t n;
  while ((n = ::recv(w->ping_fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) w->inbox.append(buf, static_cast<size_t>(n));
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, w->ping_fd, nullptr);
    ::close(w->ping_fd);
    w->ping_fd = -1;
    return;
  }
  // The answer is a 204: headers only, so it ends with the blank line.
  if (w->sent_us < 0 || w->inbox.find("\r\n\r\n") == std::string::npos) return;
  w->inbox.clear();
  // The event thread's own stamps of its answer (the read here may come later), and how
  // much of the wait it spent running (unknown before its clock is known: assume all).
  const int64_t pong = w->pong_us.load(std::memory_order_acquire);
  const int64_t at = pong >= w->sent_us ? pong : now, lag = at - w->sent_us;
  const int64_t cpu_ns = w->pong_cpu_ns.load(std::memory_order_relaxed) - w->cpu_at_ping_ns;
  const bool known = w->cpu_at_ping_ns >= 0 && pong >= w->sent_us && lag > 0;
  w->detector.Sample(at, lag, known ? static_cast<double>(cpu_ns) / 1e3 / static_cast<double>(lag) : 1.0);
  w->overloaded.store(w->detector.overloaded(), std::memory_order_relaxed);
  const bool busy = w->requests.load(std::memory_order_relaxed) != w->requests_at_ping || w->detector.overloaded();
  w->next_us = now + (busy ? kActivePingUs : kIdlePingUs);
  w->sent_us = -1;
}

}  // namespace ming::server
