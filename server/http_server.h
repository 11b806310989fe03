// The HTTP/1.1 edge, on GNU libmicrohttpd (one epoll daemon per event thread, fed by an
// accept thread, acceptor.h): reads a request (body size capped, answered 413 without
// reading on), hands it to a Handler, and sends the reply, which may come later from another
// thread (the connection is suspended meanwhile).
// Limits: a connection cap and overload control (acceptor.h, overload.h: while every event
// thread's loop lags, or the cap is reached, a new connection gets 503 + Retry-After at
// once from the accept thread), inactivity timeout, a deadline for each
// whole request (the watchdog, conn_watchdog.h: 408), an in-flight request cap (503 +
// Retry-After), strict framing (Content-Length with Transfer-Encoding, repeated or malformed
// Content-Length: 400; over 100 header fields: 431). Drain() stops accepting, waits for
// in-flight requests to be answered, then stops.
// Thread-safety: Start/Drain/Stop from one controlling thread; Handler::Handle is called on
// the event threads concurrently; a Reply may be called once, from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ming/status.h"
#include "server/acceptor.h"
#include "server/conn_watchdog.h"
#include "server/metrics.h"

struct MHD_Response;

namespace ming::server {

struct HttpRequest {
  std::string_view method, path;
  std::string_view authorization;  // the Authorization header, if any
  std::vector<std::pair<std::string, std::string>> query;  // URL query arguments, decoded
  std::string body;                // reserved with 64 spare bytes (simdjson padding)
  int64_t inference_header_len = -1;  // Inference-Header-Content-Length, -1 if absent,
                                      // kBadHeader if not a non-negative decimal integer
};
inline constexpr int64_t kBadHeader = -2;

struct HttpResponse {
  int status = 200;
  std::string body;
  const char* content_type = "application/json";
  int64_t inference_header_len = -1;  // sent as Inference-Header-Content-Length if >= 0
  // One more header field, if name is set: Allow with 405, WWW-Authenticate with 401.
  const char* extra_name = nullptr;
  const char* extra_value = nullptr;
};

using Reply = std::function<void(HttpResponse&&)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // Called once per request on an event thread; must call reply exactly once (now or later).
  virtual void Handle(const HttpRequest& req, Reply reply) = 0;
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (see HttpServer::port)
  int threads = 1;
  size_t max_body = 8u << 20;
  unsigned max_connections = 1024;
  unsigned timeout_s = 30;  // a connection idle (or stalled mid-request) this long is closed
  // A request must arrive whole (headers and body) within this long of its connection
  // opening or the previous reply, even when it is never idle (slowloris); else 408 and the
  // connection is closed. 0: no deadline.
  unsigned request_timeout_s = 30;
  // Requests received (headers in) and not yet answered; one more is answered 503 with
  // Retry-After at once instead of waiting.
  unsigned max_in_flight = 256;
  // Overload control (overload.h): an event thread whose loop lag has stayed over the
  // target for overload_interval_ms is overloaded until it has stayed within it as long; new
  // connections go to threads that are not, and get 503 + Retry-After at once when every
  // thread is. 0: off (only max_connections refuses).
  double overload_lag_ms = 2;
  unsigned overload_interval_ms = 50;
  bool access_log = false;
};

class HttpServer {
 public:
  HttpServer(HttpOptions opts, Handler* handler) : opts_(std::move(opts)), handler_(handler) {}
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status Start();
  int port() const { return port_; }
  // Stops accepting, answers in-flight requests (waiting up to timeout_ms), then stops.
  // Returns true when every in-flight request was answered.
  bool Drain(int timeout_ms);
  int64_t in_flight() const { return in_flight_.load(); }
  // In flight, refused at accept so far (every thread overloaded, or max_connections
  // open), threads overloaded now.
  EdgeStats stats() const;
  bool draining() const { return draining_.load(); }

  // libmicrohttpd callbacks (public for the C trampolines only).
  struct Conn;
  struct ConnCtx;
  int OnRequest(void* connection, const char* url, const char* method, const char* version,
                const char* upload, size_t* upload_size, void** con_cls);
  void OnCompleted(void* connection, void** con_cls);
  void OnConnection(void* connection, void** socket_context, bool opened);

 private:
  int Queue(void* connection, Conn* c);
  int Begin(void* connection, Conn* c);
  int Dispatch(void* connection, Conn* c);
  void Finish(Conn* c);
  int Reject(void* connection, Conn* c, int code, const std::string& message,
             const char* extra_name = nullptr, const char* extra_value = nullptr);
  int Answer(void* connection, Conn* c, int code, const std::string& message,
             const char* extra_name = nullptr, const char* extra_value = nullptr);
  int AnswerAndClose(void* connection, const Conn* c, int code, const std::string& message);
  static void LogAccess(const Conn* c, int status);
  void HandOff(void* connection);
  void StopDaemons();
  HttpOptions opts_;
  Handler* handler_;
  std::vector<std::unique_ptr<Acceptor::Worker>> workers_;  // one per event thread
  std::unique_ptr<Acceptor> acceptor_;
  MHD_Response* pong_ = nullptr;  // the answer to the acceptor's lag pings
  int port_ = 0;
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> refused_{0};
  std::atomic<bool> draining_{false};
  std::unique_ptr<ConnWatchdog> watchdog_;  // null when request_timeout_s == 0
};

}  // namespace ming::server
