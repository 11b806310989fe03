// Fuzz target: raw HTTP request bytes through the real server (libmicrohttpd edge, Router,
// a repository with one tiny model "tiny", admin token "t"), started once on a loopback
// port. Per input: the first byte gives up to 3 split points (2 bytes each), the rest (at
// most 4 KiB) is the byte stream. It is sent on a fresh connection in pieces at those points
// (a short pause between them), then the write side is shut down (the server answers every
// complete request in the stream, then closes) and the answer is read (until 2 ms of
// silence; if the two answers differ, both are redone with 30 ms, then reading until the
// close, and that again while an exchange takes longer than the server's 1 s inactivity
// timeout, up to 5 times). The same bytes are then sent unsplit (an input without split
// points is sent once: both sends would be the same). Properties: the same
// status lines in both answers (a request split at any points must parse the same), the
// server answers or closes within 6 s, and a single JSON answer's body is valid JSON.
// Admin requests change the store, so "tiny" is reloaded before each send to give both
// the same state.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "server/http_server.h"
#include "server/model_store.h"
#include "server/router.h"
#include "server_fixture.h"

namespace {

using namespace ming;
using namespace ming::server;

// The server's inactivity timeout (seconds).
constexpr int kServerTimeoutS = 1;

struct Server {
  ModelStore store;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpServer> http;
};

Server& S() {
  static Server* s = [] {
    std::signal(SIGPIPE, SIG_IGN);
    auto* x = new Server;
    const std::string repo = fuzz::FuzzTempDir("ming_http_fuzz");
    std::filesystem::create_directories(repo + "/tiny/1");
    if (!SaveModel(repo + "/tiny/1/model.ming", fuzz::TinyModelData()).ok()) std::abort();
    if (!x->store.OpenRepository(repo).ok()) std::abort();
    RouterOptions ro;
    ro.admin_token = "t";
    ro.max_rows = 64;
    x->router = std::make_unique<Router>(x->store, ro);
    HttpOptions ho;
    ho.port = 0;
    ho.threads = 1;
    ho.max_body = 64 << 10;
    // A keep-alive connection half-closed right after its request is sometimes held until
    // this inactivity timeout instead of closed at once (docs/reliability.md): keep it short.
    ho.timeout_s = kServerTimeoutS;
    // Admission is not what this target checks (tests/server/edge_test.cc and
    // overload_test.cc do): at a thousand runs a second on a loaded machine, connections the
    // server has not closed yet, or a lagging event loop, must not turn an answer into the
    // accept thread's 503 in one exchange and not the other.
    ho.overload_lag_ms = 0;
    ho.max_connections = 16384;
    x->http = std::make_unique<HttpServer>(ho, x->router.get());
    x->router->set_http(x->http.get());
    if (!x->http->Start().ok()) std::abort();
    return x;
  }();
  return *s;
}

// Exchanges must not overlap on the server. The harness stops reading after a short
// silence and resets its connection, and on a machine short of CPU the server may not have
// accepted it, or run its requests, by then: an admin unload read from one exchange's
// bytes then ran after the store was reset for the next (fuzz/crashers/http/crash-4708...).
// So a connection is used only once the accept thread has handed it to an event thread,
// and the next exchange waits until the server holds no connection and no request.
void AwaitServer(bool holds_connection) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  for (int spins = 0;; ++spins) {
    const EdgeStats e = S().http->stats();
    if (holds_connection ? e.connections > 0 : e.connections == 0 && e.in_flight == 0) return;
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "the server has not %s in 6 s (%lld connections, %lld in flight)\n",
                   holds_connection ? "taken the connection" : "closed its connections",
                   static_cast<long long>(e.connections), static_cast<long long>(e.in_flight));
      __builtin_trap();
    }
    if (spins < 100) {
      std::this_thread::yield();
    } else {
      ::usleep(50);
    }
  }
}

// A connected socket to the server. Connecting may fail for a moment at thousands of
// connections a second (a full accept queue, ports still held): retry, then say why.
int Connect() {
  for (int tries = 0;; ++tries) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const linger lg{1, 0};  // close with RST: no TIME_WAIT pile-up over millions of runs
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(S().http->port()));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        AwaitServer(true);
        return fd;
      }
      ::close(fd);
    }
    if (tries == 100) {
      std::fprintf(stderr, "cannot connect to the server: %s\n", std::strerror(errno));
      std::abort();
    }
    ::usleep(1000);
  }
}

// Sends `bytes` in pieces ending at `cuts`, shuts down writing and returns all that comes
// back ("" when the server closed without answering).
// silence_ms > 0: stop after that long without data, answered or not (a connection
// half-closed after an incomplete request, or kept alive after a complete one, may stay
// open until the server's inactivity timeout); 0: read until the server closes.
std::string Exchange(std::string_view bytes, const std::vector<size_t>& cuts, int silence_ms) {
  const bool patient = silence_ms == 0;
  const int fd = Connect();
  size_t at = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : bytes.size();
    while (at < end) {
      const ssize_t n = ::send(fd, bytes.data() + at, end - at, MSG_NOSIGNAL);
      if (n <= 0) break;  // the server closed early (it may refuse a request before its end)
      at += static_cast<size_t>(n);
    }
    if (k < cuts.size()) ::usleep(100);  // let the server read this piece on its own
  }
  ::shutdown(fd, SHUT_WR);
  std::string in;
  char buf[16384];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, patient ? 100 : silence_ms) == 0) {
      if (!patient) break;
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "the server has not closed the connection in 6 s; it sent:\n%.300s\n",
                     in.c_str());
        __builtin_trap();
      }
      continue;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return in;
}

// The status codes of every response in the answer, in order: each "HTTP/1.x NNN " (a
// response's body need not end in a newline, so the next status line may follow any byte;
// a body echoing such text does so in both answers alike).
std::vector<int> Statuses(const std::string& answer) {
  std::vector<int> out;
  for (size_t p = 0; (p = answer.find("HTTP/1.", p)) != std::string::npos; p += 7) {
    if (p + 13 > answer.size() || answer[p + 8] != ' ' || answer[p + 12] != ' ') continue;
    const char* d = answer.c_str() + p + 9;
    if (d[0] >= '1' && d[0] <= '5' && std::isdigit(d[1]) && std::isdigit(d[2])) out.push_back(std::atoi(d));
  }
  return out;
}

// One JSON response with a Content-Length: its body must parse.
void CheckJsonBody(const std::string& answer) {
  const size_t head = answer.find("\r\n\r\n");
  if (head == std::string::npos || Statuses(answer).size() != 1) return;
  const std::string h = answer.substr(0, head);
  if (h.find("Content-Type: application/json") == std::string::npos) return;
  const size_t cl = h.find("Content-Length: ");
  if (cl == std::string::npos) return;
  const size_t len = std::strtoull(h.c_str() + cl + 16, nullptr, 10);
  if (len == 0 || head + 4 + len > answer.size()) return;  // HEAD, or cut off
  if (!nlohmann::json::accept(answer.substr(head + 4, len))) {
    std::fprintf(stderr, "a JSON response whose body does not parse:\n%.600s\n", answer.c_str());
    __builtin_trap();
  }
}

void ResetStore() {
  AwaitServer(false);
  if (!S().store.Find("tiny", "").ok()) (void)S().store.Load("tiny");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  S();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const int ncuts = in.Byte() % 4;
  uint16_t raw[3];
  for (int k = 0; k < ncuts; ++k) raw[k] = static_cast<uint16_t>(in.Byte() | (in.Byte() << 8));
  std::string_view bytes = in.Rest();
  if (bytes.size() > 4096) bytes = bytes.substr(0, 4096);
  std::vector<size_t> cuts;
  for (int k = 0; k < ncuts; ++k) cuts.push_back(raw[k] % (bytes.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  const auto t0 = std::chrono::steady_clock::now();
  // Short silences first (most answers come within a millisecond, and a connection the
  // server keeps open costs the whole wait); answers that differ are redone more patiently,
  // and only a difference that persists until the server closes is a finding. An exchange
  // that took longer than the server's inactivity timeout may have been cut by it (this
  // process starved of CPU on a busy machine, not a parsing difference): such a pair is
  // redone, up to 5 more times.
  std::string split, whole;
  double split_ms = 0, whole_ms = 0;
  const auto timed = [&](std::string* out, const std::vector<size_t>& at, int silence_ms) {
    const auto start = std::chrono::steady_clock::now();
    ResetStore();
    *out = Exchange(bytes, at, silence_ms);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  // Without cuts the split send is the whole send: one exchange, nothing to compare.
  if (cuts.empty()) {
    whole_ms = timed(&whole, {}, 2);
    split = whole;
  }
  for (int attempt = 0; !cuts.empty() && attempt < 8; ++attempt) {
    const int silence_ms = attempt == 0 ? 2 : attempt == 1 ? 30 : 0;
    split_ms = timed(&split, cuts, silence_ms);
    whole_ms = timed(&whole, {}, silence_ms);
    if (Statuses(split) == Statuses(whole)) break;
    if (attempt >= 2 && std::max(split_ms, whole_ms) < kServerTimeoutS * 1000.0) break;
  }
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  static const bool verbose = std::getenv("MING_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    for (int st : Statuses(whole)) std::fprintf(stderr, "%d ", st);
    std::fprintf(stderr, "(%zu bytes, %zu cuts, %.0f ms) %.60s\n", bytes.size(), cuts.size(), ms,
                 std::string(bytes.substr(0, 60)).c_str());
  }
  if (Statuses(split) != Statuses(whole)) {
    const EdgeStats e = S().http->stats();
    const auto list = [](const std::string& answer) {
      std::string out;
      for (int st : Statuses(answer)) out += std::to_string(st) + " ";
      return out;
    };
    std::fprintf(
        stderr,
        "split and whole answers differ (the last exchanges took %.0f and %.0f ms; %zu cuts at",
        split_ms, whole_ms, cuts.size());
    for (size_t c : cuts) std::fprintf(stderr, " %zu", c);
    std::fprintf(
        stderr,
        " of %zu bytes):\n--- split: %s(%zu bytes)\n%.300s\n--- whole: %s(%zu bytes)\n%.300s\n"
        "--- server: %lld in flight, %lld refused at accept\n",
        bytes.size(), list(split).c_str(), split.size(), split.c_str(), list(whole).c_str(),
        whole.size(), whole.c_str(), static_cast<long long>(e.in_flight),
        static_cast<long long>(e.refused));
    __builtin_trap();
  }
  CheckJsonBody(whole);
  // Leave the server as this input found it: libFuzzer counts mallocs and frees per input,
  // and an input that ends with more of the first is run again, then under a whole-heap
  // leak check (LeakSanitizer). With the last connection still open on the server, or the
  // model unloaded by an admin request and reloaded by the next input, those checks took
  // 55% of the CPU and tripled the time per input (until libFuzzer gave up per-input leak
  // checks after 1,000 of them). libmicrohttpd frees a connection's record a few system
  // calls after it reports the close (MHD_cleanup_connections): a short yield lets its
  // thread finish.
  ResetStore();
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
  while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  return 0;
}
