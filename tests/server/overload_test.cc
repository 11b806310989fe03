// Overload: more requests than --max-in-flight get an immediate 503 with Retry-After instead
// of waiting, every request gets an answer (200 or 503, never silence), and the server
// serves normally once the load is gone. Overload control: while the event loop lags, fresh
// connections get 503 at accept (GETs still go in) and established ones keep being served;
// clients that merely come and go are never refused. No timing is asserted.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <string_view>
#include <thread>
#include <vector>

#include "server_util.h"

namespace ming::servertest {
namespace {

namespace fs = std::filesystem;


std::string Request(const std::string& body) {
  return "POST /v2/models/inv/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Sends one request on each of n fresh connections at once, then collects every answer.
std::vector<std::string> Burst(int port, int n, const std::string& req) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = Connect(port);
    EXPECT_GE(fd, 0) << "connection " << i;
    if (fd < 0) break;
    SendAll(fd, req);
    fds.push_back(fd);
  }
  std::vector<std::string> out;
  for (int fd : fds) {
    out.push_back(ReadAll(fd, 20000));
    ::close(fd);
  }
  return out;
}

// Answers seen by a keep-alive client.
struct Tally {
  int ok = 0, shed = 0, retry_after = 0, other = 0, unanswered = 0;
};

std::string KeepAlive(const std::string& body) {
  return "POST /v2/models/inv/infer HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// The length of the whole response at the front of buf, or 0 while it is incomplete.
size_t WholeResponse(const std::string& buf) {
  const size_t head = buf.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  const std::string_view h(buf.data(), head);
  const size_t at = h.find("\r\nContent-Length: ");
  const size_t len = at == std::string_view::npos ? 0 : std::strtoul(buf.c_str() + at + 18, nullptr, 10);
  return head + 4 + len <= buf.size() ? head + 4 + len : 0;
}

void Count(Tally& t, std::string_view resp) {
  const int code = Code(std::string(resp));
  (code == 200 ? t.ok : code == 503 ? t.shed : t.other)++;
  if (code == 503 && resp.find("\r\nRetry-After: 1\r\n") != std::string_view::npos) ++t.retry_after;
}

// `conns` keep-alive connections, each sending `rounds` requests back to back (the next as
// soon as the previous answer is in), all driven from one thread with poll.
Tally Flood(int port, int conns, int rounds, const std::string& req) {
  struct C {
    int fd, left;
    std::string buf;
  };
  std::vector<C> cs;
  for (int i = 0; i < conns; ++i) {
    const int fd = Connect(port);
    if (fd < 0) break;
    SendAll(fd, req);
    cs.push_back({fd, rounds, ""});
  }
  Tally t;
  t.unanswered = (conns - static_cast<int>(cs.size())) * rounds;
  std::vector<pollfd> pf(cs.size());
  for (int open = static_cast<int>(cs.size()); open > 0;) {
    for (size_t i = 0; i < cs.size(); ++i) pf[i] = {cs[i].left > 0 ? cs[i].fd : -1, POLLIN, 0};
    if (::poll(pf.data(), pf.size(), 20000) <= 0) break;  // 20 s of silence: give up
    for (size_t i = 0; i < cs.size(); ++i) {
      if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      C& c = cs[i];
      char tmp[65536];
      const ssize_t n = ::recv(c.fd, tmp, sizeof tmp, 0);
      if (n <= 0) {  // closed with requests still owed
        t.unanswered += c.left;
        c.left = 0;
        --open;
        continue;
      }
      c.buf.append(tmp, static_cast<size_t>(n));
      while (size_t len = WholeResponse(c.buf)) {
        Count(t, std::string_view(c.buf).substr(0, len));
        c.buf.erase(0, len);
        if (--c.left == 0) {
          --open;
          break;
        }
        SendAll(c.fd, req);
      }
    }
  }
  for (C& c : cs) {
    t.unanswered += c.left;
    ::close(c.fd);
  }
  return t;
}

// Reads one whole response from a keep-alive connection (up to 10 s).
std::string ReadOne(int fd) {
  std::string buf;
  char tmp[65536];
  pollfd p{fd, POLLIN, 0};
  while (!WholeResponse(buf) && ::poll(&p, 1, 10000) > 0) {
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) break;
    buf.append(tmp, static_cast<size_t>(n));
  }
  return buf.substr(0, WholeResponse(buf));
}

int64_t Refused(int port) {
  const std::string m = Http(port, "GET", "/metrics").body;
  const size_t at = m.find("\nming_connections_refused_total ");
  return at == std::string::npos ? -1 : std::strtoll(m.c_str() + at + 32, nullptr, 10);
}

// A lagging event loop: 64 keep-alive connections send 256-row requests back to back on the
// one event thread (a loop round of tens of ms against a 1 ms target). Meanwhile fresh
// connections asking for inference get 503 + Retry-After + Connection: close at accept,
// never reaching the router, while fresh GETs (health, /metrics, which shows the thread
// overloaded) are still let in and served. The
// flood itself is served in full: refusing at accept costs the established clients nothing.
// /metrics counts exactly the refusals; once the load is gone fresh clients are served.
TEST(Overload, LaggingLoopRefusesFreshConnectionsAndKeepsServing) {
  Server s(TinyInferModel().path + " --threads 1 --overload-lag-ms 1 --overload-interval-ms 20");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  Tally flood;
  std::atomic<bool> done{false};
  std::thread load([&] {
    flood = Flood(s.port(), 64, 40, KeepAlive(TinyInferModel().heavy));
    done = true;
  });
  int refused = 0, retry_after = 0, closed = 0, served = 0, health = 0, health_ok = 0;
  bool gauge_seen = false;
  while (!done) {
    const std::string r = Raw(s.port(), Request(TinyInferModel().body));
    const int code = Code(r);
    served += code == 200;
    if (code == 503) {
      ++refused;
      retry_after += r.find("\r\nRetry-After: 1\r\n") != std::string::npos;
      closed += r.find("\r\nConnection: close\r\n") != std::string::npos;
      EXPECT_NE(r.find("overloaded"), std::string::npos) << r;
    } else {
      EXPECT_EQ(code, 200) << r;
    }
    if (refused > 0 && health < 5) {
      ++health;
      health_ok += Http(s.port(), "GET", "/v2/health/live").status == 200;
      gauge_seen |= Http(s.port(), "GET", "/metrics").body.find("\nming_event_threads_overloaded 1\n") != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  load.join();
  EXPECT_EQ(flood.unanswered, 0);
  EXPECT_EQ(flood.ok, 64 * 40) << flood.shed << " x 503, " << flood.other << " other";
  EXPECT_GT(refused, 0) << "no fresh connection was refused while the loop lagged; " << served << " served";
  EXPECT_EQ(retry_after, refused);
  EXPECT_EQ(closed, refused);
  EXPECT_EQ(health_ok, health) << "a GET was refused while overloaded";
  EXPECT_TRUE(gauge_seen) << "/metrics never showed the event thread overloaded";
  EXPECT_EQ(Refused(s.port()), refused);
  int code = 0;
  for (int i = 0; i < 200 && code != 200; ++i) {
    code = Code(Raw(s.port(), Request(TinyInferModel().body)));
    if (code != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(code, 200) << "still refusing after the load";
  EXPECT_EQ(s.Terminate(), 0);
}

// Light load: clients that open a connection per request, 5 ms apart, and keep-alive clients
// that pause 5 ms (5x the target) are never refused: the loop keeps up, whatever the gaps.
TEST(Overload, LightLoadIsNeverRefused) {
  Server s(TinyInferModel().path + " --threads 1 --overload-lag-ms 1 --overload-interval-ms 20");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) fds.push_back(Connect(s.port()));
  Tally t;
  for (int round = 0; round < 40; ++round) {
    for (int fd : fds) {
      SendAll(fd, KeepAlive(TinyInferModel().body));
      Count(t, ReadOne(fd));
    }
    Count(t, Raw(s.port(), Request(TinyInferModel().body)));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(t.ok, 9 * 40);
  EXPECT_EQ(t.shed, 0);
  EXPECT_EQ(Refused(s.port()), 0);
  EXPECT_EQ(s.Terminate(), 0);
}

// 8 requests whose bodies never finish hold all 8 in-flight slots; then 504 more
// connections (512 in all, over the single event thread) each send a request: every one is
// answered 503 with Retry-After at once. When the holders go, the same burst is served.
TEST(Overload, InFlightCapAnswers503ThenRecovers) {
  // Overload control off: under a sanitizer a 504-request burst keeps the loop lagging long
  // enough to refuse part of it, and this test is about the in-flight cap.
  Server s(
      TinyInferModel().path +
      " --threads 1 --max-in-flight 8 --max-connections 1024 --request-timeout-s 60 --timeout-s 60 "
      "--overload-lag-ms 0");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  std::vector<int> holders;
  for (int i = 0; i < 8; ++i) {
    holders.push_back(Connect(s.port()));
    SendAll(holders.back(), "POST /v2/models/inv/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"inputs\":");
  }
  // The holders' headers are read in order; once a probe is refused, all 8 are in flight.
  int probe = 0;
  for (int i = 0; i < 400 && probe != 503; ++i) {
    probe = Code(Raw(s.port(), Request(TinyInferModel().body)));
    if (probe != 503) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(probe, 503) << "the in-flight cap never refused a request";
  int refused = 0, retry_after = 0;
  for (const std::string& r : Burst(s.port(), 504, Request(TinyInferModel().body))) {
    refused += Code(r) == 503;
    retry_after += r.find("\r\nRetry-After: 1\r\n") != std::string::npos;
  }
  EXPECT_EQ(refused, 504);
  EXPECT_EQ(retry_after, 504);
  for (int fd : holders) ::close(fd);
  // Recovery: the closed holders free their slots.
  int code = 0;
  for (int i = 0; i < 400 && code != 200; ++i) {
    code = Code(Raw(s.port(), Request(TinyInferModel().body)));
    if (code != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(code, 200);
  int served = 0;
  for (const std::string& r : Burst(s.port(), 504, Request(TinyInferModel().body)))
    served += Code(r) == 200;
  EXPECT_EQ(served, 504);
  const HttpResult m = Http(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("ming_requests_in_flight 1\n"), std::string::npos) << "only the /metrics request itself";
  EXPECT_EQ(s.Terminate(), 0);
}

// With batching, waiting requests are in flight too: 512 requests at once against a cap of
// 16 and a 300 ms batch window get 200 or 503, each an answer, some of both.
TEST(Overload, BatchedBurstGets200Or503) {
  Server s(TinyInferModel().path +
           " --threads 2 --max-in-flight 16 --max-delay-us 300000 --max-batch 64");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  int ok = 0, refused = 0, other = 0;
  for (const std::string& r : Burst(s.port(), 512, Request(TinyInferModel().body))) {
    const int c = Code(r);
    (c == 200 ? ok : c == 503 ? refused : other)++;
  }
  EXPECT_EQ(other, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", TinyInferModel().body).status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest
