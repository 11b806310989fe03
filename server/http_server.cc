// libmicrohttpd glue: per-request state, body accumulation with the size cap, suspension
// while a reply is pending on another thread, and draining.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include <mutex>
#include <thread>

namespace ming::server {

struct HttpServer::Conn {
  HttpRequest req;
  std::string method, path;
  HttpResponse resp;
  std::mutex mu;
  bool handled = false, done = false, suspended = false, too_large = false;
  std::chrono::steady_clock::time_point start;
};

namespace {

MHD_Result OnRequestC(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char* upload, size_t* upload_size, void** con_cls) {
  return static_cast<HttpServer*>(cls)->OnRequest(connection, url, method, upload, upload_size, con_cls)
             ? MHD_YES
             : MHD_NO;
}

void OnCompletedC(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  static_cast<HttpServer*>(cls)->OnCompleted(con_cls);
}

const char* Header(MHD_Connection* c, const char* name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

}  // namespace

HttpServer::~HttpServer() {
  if (daemon_) MHD_stop_daemon(daemon_);
}

Status HttpServer::Start() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(opts_.port));
  if (inet_pton(AF_INET, opts_.host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidInput("--host '" + opts_.host + "' is not an IPv4 address");
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ITC | MHD_USE_TURBO;
  const unsigned pool = opts_.threads > 1 ? static_cast<unsigned>(opts_.threads) : 0;
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &OnRequestC, this, MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_NOTIFY_COMPLETED, &OnCompletedC, this, MHD_OPTION_THREAD_POOL_SIZE, pool,
      MHD_OPTION_CONNECTION_LIMIT, opts_.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
      opts_.timeout_s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
  if (!daemon_) {
    return Status::IoError("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) +
                           " (address in use or not permitted)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : opts_.port;
  return Status::Ok();
}

int HttpServer::Queue(void* connection, Conn* c) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  MHD_Response* r = MHD_create_response_from_buffer(c->resp.body.size(), c->resp.body.data(),
                                                    MHD_RESPMEM_MUST_COPY);
  if (!r) return 0;
  MHD_add_response_header(r, "Content-Type", c->resp.content_type);
  if (c->resp.inference_header_len >= 0) {
    MHD_add_response_header(r, "Inference-Header-Content-Length",
                            std::to_string(c->resp.inference_header_len).c_str());
  }
  if (draining_.load(std::memory_order_relaxed)) MHD_add_response_header(r, "Connection", "close");
  const MHD_Result ok = MHD_queue_response(conn, static_cast<unsigned>(c->resp.status), r);
  MHD_destroy_response(r);
  if (opts_.access_log) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - c->start).count();
    std::fprintf(stderr, "%s %s %d %lld us\n", c->method.c_str(), c->path.c_str(), c->resp.status,
                 static_cast<long long>(us));
  }
  return ok == MHD_YES;
}

int HttpServer::OnRequest(void* connection, const char* url, const char* method, const char* upload,
                          size_t* upload_size, void** con_cls) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  auto* c = static_cast<Conn*>(*con_cls);
  if (!c) {  // headers are in: set up the request
    c = new Conn;
    *con_cls = c;
    in_flight_.fetch_add(1);
    c->start = std::chrono::steady_clock::now();
    c->method = method;
    c->path = url;
    const char* len = Header(conn, "Content-Length");
    const unsigned long long n = len ? std::strtoull(len, nullptr, 10) : 0;
    if (n > opts_.max_body) {
      c->resp = {413, "{\"error\":\"request body of " + std::to_string(n) + " bytes exceeds the limit of " +
                          std::to_string(opts_.max_body) + " bytes\"}"};
      c->done = true;
      return Queue(connection, c);
    }
    c->req.body.reserve(static_cast<size_t>(n) + 64);
    return 1;
  }
  if (*upload_size > 0) {
    if (!c->too_large && c->req.body.size() + *upload_size <= opts_.max_body) {
      c->req.body.append(upload, *upload_size);
    } else {
      c->too_large = true;  // chunked body over the limit: drop it, answer 413 at the end
    }
    *upload_size = 0;
    return 1;
  }
  std::unique_lock<std::mutex> lock(c->mu);
  if (c->done) return Queue(connection, c);  // resumed: the reply is in
  if (c->handled) return 1;
  c->handled = true;
  lock.unlock();
  if (c->too_large) {
    c->resp = {413, "{\"error\":\"request body exceeds the limit of " + std::to_string(opts_.max_body) + " bytes\"}"};
    c->done = true;
    return Queue(connection, c);
  }
  c->req.method = c->method;
  c->req.path = c->path;
  const char* auth = Header(conn, "Authorization");
  c->req.authorization = auth ? auth : "";
  MHD_get_connection_values(
      conn, MHD_GET_ARGUMENT_KIND,
      [](void* q, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
        static_cast<std::vector<std::pair<std::string, std::string>>*>(q)->emplace_back(key, value ? value : "");
        return MHD_YES;
      },
      &c->req.query);
  const char* ihl = Header(conn, "Inference-Header-Content-Length");
  if (ihl) c->req.inference_header_len = std::strtoll(ihl, nullptr, 10);
  if (c->req.body.capacity() < c->req.body.size() + 64) c->req.body.reserve(c->req.body.size() + 64);
  handler_->Handle(c->req, [this, c, conn](HttpResponse&& resp) {
    std::lock_guard<std::mutex> g(c->mu);
    c->resp = std::move(resp);
    c->done = true;
    if (c->suspended) MHD_resume_connection(conn);
  });
  lock.lock();
  if (c->done) return Queue(connection, c);
  c->suspended = true;
  MHD_suspend_connection(conn);
  return 1;
}

void HttpServer::OnCompleted(void** con_cls) {
  auto* c = static_cast<Conn*>(*con_cls);
  if (!c) return;
  {
    // A reply still pending on another thread owns c until it has run; wait for it.
    std::unique_lock<std::mutex> lock(c->mu);
    while (c->handled && !c->done) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
  }
  delete c;
  *con_cls = nullptr;
  in_flight_.fetch_sub(1);
}

bool HttpServer::Drain(int timeout_ms) {
  if (!daemon_) return true;
  draining_.store(true);
  const MHD_socket fd = MHD_quiesce_daemon(daemon_);
  if (fd != MHD_INVALID_SOCKET) ::close(fd);
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool clean = in_flight_.load() == 0;
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
  return clean;
}

}  // namespace ming::server
