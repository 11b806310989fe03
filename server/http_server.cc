// libmicrohttpd glue: per-request state, body accumulation with the size cap, suspension
// while a reply is pending on another thread, and draining.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <mutex>
#include <string_view>
#include <thread>

#include "server/content_coding.h"
#include "server/json_out.h"

namespace ming::server {

struct HttpServer::Conn {
  HttpRequest req;
  std::string method, path;
  HttpResponse resp;
  std::mutex mu;
  bool handled = false, done = false, suspended = false;
  bool long_query = false;    // the URL query had more than kMaxQueryArguments: answered 414
  bool target_space = false;  // the request target held a space (set by OnUriC): answered 400
  bool target_nul = false;    // a query behind a NUL in the target (set by UnescapeC): 400
  bool needs_host = false;    // HTTP/1.1 or a later 1.x: a Host field is required
  size_t target_bytes = 0;    // the request target's length as sent (set by OnUriC)
  std::string query;          // the URL query as sent, taken from libmicrohttpd by OnUriC
  Codings codings;            // the body's Content-Encoding, decoded before the handler runs
  std::chrono::steady_clock::time_point start;
};

// Per connection (libmicrohttpd's socket context).
struct HttpServer::ConnCtx {
  Acceptor::Worker* worker = nullptr;
  ConnWatchdog::Entry* entry = nullptr;  // null without the watchdog, and for the ping
  bool ping = false;     // the acceptor's lag-ping connection: answered here, never counted
  bool counted = false;  // counted in worker->conns
  // The request line's notes (OnUriC) until the handler's first call takes them, and the
  // request from then until its completion. Held here, not only as libmicrohttpd's
  // per-request pointer, because libmicrohttpd 0.9.75 can drop a request without the
  // completion callback (an error queued on top of another closes the connection
  // directly); the connection's close callback always comes, and finishes what is left.
  std::unique_ptr<HttpServer::Conn> noted;
  HttpServer::Conn* current = nullptr;
};

static HttpServer::ConnCtx* CtxOf(MHD_Connection* conn) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<HttpServer::ConnCtx*>(info->socket_context) : nullptr;
}

namespace {

// The con_cls of a ping request (it needs no state).
char kPingRequest;

// ming reads one query argument (v1 predict's `explain`); a few more are tolerated.
constexpr size_t kMaxQueryArguments = 16;

// Request head limits, checked when the header fields are in. libmicrohttpd 0.9.75 keeps the
// whole head, and a record for each field, in the connection's memory pool
// (kConnectionMemory), and needs room there to write any answer: with less than about 200
// bytes left it closes the connection without one. So a head that leaves less than
// kAnswerRoom is refused, and so is a target over 8 KiB (the request-line size nginx allows
// by default); both answers go straight to the socket (AnswerAndClose).
constexpr size_t kConnectionMemory = 16384;
constexpr size_t kAnswerRoom = 2048;
constexpr size_t kMaxTargetBytes = 8192;
constexpr size_t kFieldRecordBytes = 64;  // a field's record in the pool (56 bytes on 64-bit)

// A query that ming's URL callback cannot see: libmicrohttpd 0.9.75 finds the '?' anywhere in
// the target, but passes the URL on as a C string, so a NUL in the target hides what follows
// it from OnUriC and its cut. OnUriC, seeing no '?', arms this watch (per event thread: a
// request line is parsed on one thread, OnUriC first, then every argument through
// UnescapeC, then the URL itself); an argument of the watched connection then proves a
// query behind a NUL, and UnescapeC stops libmicrohttpd's parse there (see UnescapeC).
struct HiddenQueryWatch {
  MHD_Connection* conn = nullptr;
  const char* uri = nullptr;
};
thread_local HiddenQueryWatch hidden_query_watch;

// Called by libmicrohttpd with the request line's URL, query included, just before it
// stores each query argument as a record in the connection's memory pool. libmicrohttpd
// 0.9.75 loses its own 431 when that pool runs out there, and closes the connection without
// an answer (docs/reliability.md, "Fuzzing the server"). So ming takes the query out of
// libmicrohttpd's hands: it keeps a copy (parsed by ParseQuery when the handler runs; a
// query with more arguments than ming reads is dropped and answered 414) and ends the URL
// at the '?'. The URL lies in libmicrohttpd's writable read buffer, NUL-terminated; it
// writes there itself next (the '?' becomes the path's end), so ending the query at its
// first byte leaves a well-formed, empty query. It also notes a space in the target, which
// libmicrohttpd passes on in ming's lenient mode (see the daemon's options in Start). The
// notes (only for a query, a space or a target over kMaxTargetBytes) wait in the
// connection's ConnCtx for the handler's first call.
void* OnUriC(void*, const char* uri, MHD_Connection* conn) {
  HttpServer::ConnCtx* ctx = CtxOf(conn);
  if (!ctx) return nullptr;  // not one of ours (cannot happen): the query stays as it is
  ctx->noted.reset();        // a request line that never reached the handler
  const size_t length = std::strlen(uri);
  char* query = const_cast<char*>(std::strchr(uri, '?'));
  hidden_query_watch = query ? HiddenQueryWatch{} : HiddenQueryWatch{conn, uri};
  if (query && query[1] == '\0') query = nullptr;
  const bool space = std::memchr(uri, ' ', length) != nullptr;
  if (!query && !space && length <= kMaxTargetBytes) return nullptr;
  auto c = std::make_unique<HttpServer::Conn>();
  c->target_bytes = length;
  c->target_space = space;
  if (query) {
    const auto separators = std::count(static_cast<const char*>(query), uri + length, '&');
    c->long_query = separators >= static_cast<std::ptrdiff_t>(kMaxQueryArguments);
    if (!c->long_query) c->query = query + 1;
    query[1] = '\0';
  }
  ctx->noted = std::move(c);
  return nullptr;
}

MHD_Result OnRequestC(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* version, const char* upload, size_t* upload_size,
                      void** con_cls) {
  return static_cast<HttpServer*>(cls)->OnRequest(connection, url, method, version, upload,
                                                  upload_size, con_cls)
             ? MHD_YES
             : MHD_NO;
}

void OnCompletedC(void* cls, MHD_Connection* connection, void** con_cls, MHD_RequestTerminationCode) {
  static_cast<HttpServer*>(cls)->OnCompleted(connection, con_cls);
}

void OnConnectionC(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  static_cast<HttpServer*>(cls)->OnConnection(connection, socket_context,
                                              code == MHD_CONNECTION_NOTIFY_STARTED);
}

// libmicrohttpd's query parse behind a NUL in the target (HiddenQueryWatch): each argument's
// call marks the request (answered 400) and turns the '&' in the piece after it into '_',
// so the parse ends within two arguments instead of filling the connection's memory with a
// record per argument (which loses the answer, as in OnUriC). In 0.9.75 the line is then
// NUL-terminated pieces: the key or value `s`; after its NUL, the key's value or the query's
// unparsed rest (up to the NUL that ends the target); then the version ("HTTP/1.x", all
// libmicrohttpd accepts) and the line's NUL. So the piece after `s` lies within the line,
// and is left alone when it is the version.
void StopHiddenQuery(MHD_Connection* conn, char* s) {
  HttpServer::ConnCtx* ctx = CtxOf(conn);
  if (!ctx) return;
  if (!ctx->noted) ctx->noted = std::make_unique<HttpServer::Conn>();
  ctx->noted->target_nul = true;
  char* next = s + std::strlen(s) + 1;
  const size_t n = std::strlen(next);
  if (n == 8 && std::memcmp(next, "HTTP/1.", 7) == 0) return;
  std::replace(next, next + n, '&', '_');
}

// Percent-decodes the URL path and query in place, except %00 and %2F: they stay as written,
// so a NUL cannot cut the path short and an encoded slash cannot become a separator; both
// then fail the model-name check (400). Invalid escapes stay as written too. Called by
// libmicrohttpd for each query argument and then the URL, and by ParseQuery (conn null).
size_t UnescapeC(void*, MHD_Connection* conn, char* s) {
  if (conn && hidden_query_watch.conn == conn) {
    if (s != hidden_query_watch.uri) {
      StopHiddenQuery(conn, s);
    } else {
      hidden_query_watch = {};  // the URL comes last: the line is parsed
    }
  }
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  char* out = s;
  for (const char* p = s; *p; ++p) {
    const int hi = p[0] == '%' ? hex(p[1]) : -1, lo = hi >= 0 ? hex(p[2]) : -1;
    const int v = hi * 16 + lo;
    if (hi < 0 || lo < 0 || v == 0 || v == '/') {
      *out++ = *p;
      continue;
    }
    *out++ = static_cast<char>(v);
    p += 2;
  }
  *out = 0;
  return static_cast<size_t>(out - s);
}

// The URL query's arguments, as libmicrohttpd would give them: split at '&' (empty pieces
// skipped), each at its first '=' (none: an empty value), '+' read as a space, then
// percent-decoded by UnescapeC.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto decode = [](std::string_view raw) {
    std::string s(raw);
    std::replace(s.begin(), s.end(), '+', ' ');
    s.resize(UnescapeC(nullptr, nullptr, s.data()));
    return s;
  };
  while (!query.empty()) {
    const size_t amp = std::min(query.find('&'), query.size());
    const std::string_view piece = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    if (piece.empty()) continue;
    const size_t eq = std::min(piece.find('='), piece.size());
    out.emplace_back(decode(piece.substr(0, eq)),
                     decode(piece.substr(std::min(eq + 1, piece.size()))));
  }
  return out;
}

// Request framing seen in one pass over the header fields and the cookies parsed from them.
struct Framing {
  int fields = 0, content_length = 0, transfer_encoding = 0, host = 0;
  bool spaced_name = false;  // a field name with a space or tab (before its colon)
  int cookies = 0;           // records libmicrohttpd made for the first Cookie field
  size_t cookie_bytes = 0;   // the copy it parsed them from (the field's value and a NUL)
  Codings codings;           // every Content-Encoding field's codings, in order
  std::string coding_error;  // the first one ming cannot decode
};

MHD_Result CountField(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* f = static_cast<Framing*>(cls);
  if (kind == MHD_COOKIE_KIND) {
    ++f->cookies;
    return MHD_YES;
  }
  ++f->fields;
  if (std::strpbrk(key, " \t")) f->spaced_name = true;
  if (strcasecmp(key, "Content-Length") == 0) ++f->content_length;
  if (strcasecmp(key, "Transfer-Encoding") == 0) ++f->transfer_encoding;
  if (strcasecmp(key, "Host") == 0) ++f->host;
  if (strcasecmp(key, "Content-Encoding") == 0 && f->coding_error.empty()) {
    f->coding_error = ParseCodings(value ? value : "", f->codings);
  }
  if (f->cookie_bytes == 0 && strcasecmp(key, "Cookie") == 0) {
    f->cookie_bytes = std::strlen(value ? value : "") + 1;
  }
  return MHD_YES;
}

// A non-negative decimal integer that fits int64 (no sign, no spaces), else -1.
int64_t ParseLength(const char* s) {
  int64_t v = -1;
  const char* end = s + std::strlen(s);
  auto r = std::from_chars(s, end, v);
  return r.ec == std::errc() && r.ptr == end && *s != '-' && *s != '+' ? v : -1;
}

constexpr int kMaxHeaderFields = 100;

const char* Header(MHD_Connection* c, const char* name) {
  return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

}  // namespace

HttpServer::~HttpServer() {
  if (acceptor_) acceptor_->Stop();
  StopDaemons();
  if (pong_) MHD_destroy_response(pong_);
}

void HttpServer::StopDaemons() {
  for (auto& w : workers_) {
    if (w->daemon) MHD_stop_daemon(w->daemon);
    w->daemon = nullptr;
  }
}

namespace {

// A listening TCP socket on addr, or -1 with errno set.
int Listen(const sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd < 0) return -1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

}  // namespace

Status HttpServer::Start() {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(opts_.port));
  if (inet_pton(AF_INET, opts_.host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidInput("--host '" + opts_.host + "' is not an IPv4 address");
  }
  const int listen_fd = Listen(addr);
  if (listen_fd < 0) {
    return Status::IoError("cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) + ": " +
                           std::strerror(errno));
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.sin_port);
  if (opts_.request_timeout_s > 0) {
    watchdog_ = std::make_unique<ConnWatchdog>(static_cast<int>(opts_.request_timeout_s * 1000));
  }
  pong_ = MHD_create_response_from_buffer(0, const_cast<char*>(""), MHD_RESPMEM_PERSISTENT);
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                         MHD_USE_TURBO | MHD_USE_NO_LISTEN_SOCKET;
  // Lenient mode (STRICT_FOR_CLIENT 0), with ming doing its two checks (a space in the
  // target, an HTTP/1.1 request without Host: Begin): in strict mode libmicrohttpd 0.9.75
  // makes its Host check after a failed parse of the Cookie field, finds the fields it just
  // wiped to make room for its 431, and closes the connection unanswered.
  std::vector<Acceptor::Worker*> workers;
  for (int i = 0; i < std::max(1, opts_.threads); ++i) {
    auto w = std::make_unique<Acceptor::Worker>();
    w->daemon = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &OnRequestC, this, MHD_OPTION_NOTIFY_COMPLETED, &OnCompletedC,
        this, MHD_OPTION_NOTIFY_CONNECTION, &OnConnectionC, this, MHD_OPTION_UNESCAPE_CALLBACK,
        &UnescapeC, this, MHD_OPTION_URI_LOG_CALLBACK, &OnUriC, this, MHD_OPTION_CONNECTION_LIMIT,
        opts_.max_connections + 1, MHD_OPTION_CONNECTION_TIMEOUT, opts_.timeout_s,
        MHD_OPTION_STRICT_FOR_CLIENT, 0, MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemory,
        MHD_OPTION_END);
    workers.push_back(w.get());
    workers_.push_back(std::move(w));
    if (!workers.back()->daemon || !pong_) {
      ::close(listen_fd);
      StopDaemons();
      return Status::IoError("cannot start HTTP event thread " + std::to_string(i));
    }
  }
  Acceptor::Options ao;
  ao.target_us = static_cast<int64_t>(opts_.overload_lag_ms * 1000);
  ao.interval_us = std::max<int64_t>(1, int64_t{opts_.overload_interval_ms} * 1000);
  ao.max_connections = opts_.max_connections;
  acceptor_ = std::make_unique<Acceptor>(listen_fd, std::move(workers), ao, &refused_);
  Status st = acceptor_->Start();
  if (!st.ok()) {
    acceptor_->Stop();
    StopDaemons();
  }
  return st;
}

int HttpServer::Queue(void* connection, Conn* c) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  MHD_Response* r = MHD_create_response_from_buffer(c->resp.body.size(), c->resp.body.data(),
                                                    MHD_RESPMEM_MUST_COPY);
  if (!r) return 0;
  MHD_add_response_header(r, "Content-Type", c->resp.content_type);
  if (c->resp.extra_name) MHD_add_response_header(r, c->resp.extra_name, c->resp.extra_value);
  // Every 503 here means "busy or not ready yet": tell the client when to try again.
  if (c->resp.status == 503) MHD_add_response_header(r, "Retry-After", "1");
  if (c->resp.inference_header_len >= 0) {
    MHD_add_response_header(r, "Inference-Header-Content-Length",
                            std::to_string(c->resp.inference_header_len).c_str());
  }
  if (draining_.load(std::memory_order_relaxed)) MHD_add_response_header(r, "Connection", "close");
  const MHD_Result ok = MHD_queue_response(conn, static_cast<unsigned>(c->resp.status), r);
  MHD_destroy_response(r);
  if (opts_.access_log) LogAccess(c, c->resp.status);
  return ok == MHD_YES;
}

// One --access-log line: method, path, status, microseconds since the headers were in.
void HttpServer::LogAccess(const Conn* c, int status) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - c->start)
                      .count();
  std::fprintf(stderr, "%s %s %d %lld us\n", c->method.c_str(), c->path.c_str(), status,
               static_cast<long long>(us));
}

static ConnWatchdog::Entry* EntryOf(MHD_Connection* conn) {
  HttpServer::ConnCtx* ctx = CtxOf(conn);
  return ctx ? ctx->entry : nullptr;
}

// Answers now, before the body (if any) is read; libmicrohttpd then closes the connection.
// `extra_name`, if set, adds one header field (a static string, as HttpResponse's).
int HttpServer::Reject(void* connection, Conn* c, int code, const std::string& message,
                       const char* extra_name, const char* extra_value) {
  if (watchdog_) {
    ConnWatchdog::Entry* e = EntryOf(static_cast<MHD_Connection*>(connection));
    if (e && !ConnWatchdog::Claim(e)) return 0;  // the deadline cut it: 408 went out
  }
  return Answer(connection, c, code, message, extra_name, extra_value);
}

// Queues an error answer of ming's own, before the handler has seen the request.
int HttpServer::Answer(void* connection, Conn* c, int code, const std::string& message,
                       const char* extra_name, const char* extra_value) {
  c->resp = {};
  c->resp.status = code;
  c->resp.body = "{\"error\":";
  json::String(c->resp.body, message);
  c->resp.body += '}';
  c->resp.extra_name = extra_name;
  c->resp.extra_value = extra_value;
  c->done = true;
  return Queue(connection, c);
}

// An error answer written straight to the socket (nothing else writes to it while the
// request is being read), then MHD_NO makes libmicrohttpd close the connection. For a body
// that grew past the limit mid-stream (libmicrohttpd cannot queue a reply in the middle of
// a body), and a head that leaves libmicrohttpd no room to write an answer.
int HttpServer::AnswerAndClose(void* connection, const Conn* c, int code,
                               const std::string& message) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  if (watchdog_) {
    ConnWatchdog::Entry* e = EntryOf(conn);
    if (e && !ConnWatchdog::Claim(e)) return 0;
  }
  const MHD_ConnectionInfo* info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!info) return 0;
  std::string body = "{\"error\":";
  json::String(body, message);
  body += "}";
  const std::string msg = "HTTP/1.1 " + std::to_string(code) + " " +
                          MHD_get_reason_phrase_for(static_cast<unsigned>(code)) +
                          "\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  [[maybe_unused]] ssize_t n =
      ::send(info->connect_fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(info->connect_fd, SHUT_WR);
  if (opts_.access_log) LogAccess(c, code);
  return 0;
}

// The headers are in: check the head's size, framing, the in-flight cap and the declared size.
int HttpServer::Begin(void* connection, Conn* c) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  const bool over = in_flight_.fetch_add(1) + 1 > static_cast<int64_t>(opts_.max_in_flight);
  // RFC 9112 3.2: no whitespace in a request target.
  if (c->target_space) return Reject(connection, c, 400, "the request target contains a space");
  if (c->target_nul) return Reject(connection, c, 400, "the request target contains a NUL byte");
  // RFC 9110 15.5.15: 414 for a target longer than the server reads.
  if (c->target_bytes > kMaxTargetBytes) {
    return AnswerAndClose(connection, c, 414,
                          "the request target of " + std::to_string(c->target_bytes) +
                              " bytes exceeds the limit of " + std::to_string(kMaxTargetBytes));
  }
  Framing f;
  MHD_get_connection_values(conn, static_cast<MHD_ValueKind>(MHD_HEADER_KIND | MHD_COOKIE_KIND),
                            &CountField, &f);
  // The head's bytes, its fields' and cookies' records and the Cookie field's parsed copy,
  // as held in the connection memory (RFC 6585 5: 431 for header fields too large).
  const MHD_ConnectionInfo* head =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
  const size_t held = (head ? head->header_size : 0) +
                      kFieldRecordBytes * static_cast<size_t>(f.fields + f.cookies) +
                      f.cookie_bytes;
  if (held > kConnectionMemory - kAnswerRoom) {
    return AnswerAndClose(connection, c, 431,
                          "the request head (request line and header fields) is too large: " +
                              std::to_string(held) + " bytes of connection memory, limit " +
                              std::to_string(kConnectionMemory - kAnswerRoom));
  }
  // RFC 9112 5.1: 400 for whitespace between a field name and its colon (libmicrohttpd
  // keeps it in the name, so "Content-Length : 5" would not frame the body).
  if (f.spaced_name) return Reject(connection, c, 400, "a header field name contains whitespace");
  // RFC 9112 3.2: 400 for an HTTP/1.1 request without Host or with more than one.
  if (f.host > 1) return Reject(connection, c, 400, "more than one Host header field");
  if (f.host == 0 && c->needs_host) {
    return Reject(connection, c, 400, "an HTTP/1.1 request needs a Host header field");
  }
  if (over) {
    return Reject(connection, c, 503,
                  "the server has " + std::to_string(opts_.max_in_flight) +
                      " requests in flight; retry later");
  }
  if (c->long_query) {  // RFC 9110 15.5.15 again: more arguments than ming reads
    return Reject(
        connection, c, 414,
        "the URL query has more than " + std::to_string(kMaxQueryArguments) + " arguments");
  }
  // RFC 9112 6.3: a message with both is a smuggling risk; a server may reject it, and must
  // not reuse the connection if it does not. Repeated Content-Length fields: likewise.
  if (f.content_length > 0 && f.transfer_encoding > 0) {
    return Reject(connection, c, 400, "Content-Length and Transfer-Encoding together");
  }
  if (f.content_length > 1) return Reject(connection, c, 400, "more than one Content-Length");
  // RFC 9112 6.1: a transfer coding the server does not implement -> 501; only chunked is.
  if (f.transfer_encoding > 0) {
    const char* te = Header(conn, "Transfer-Encoding");
    if (f.transfer_encoding > 1 || !te || strcasecmp(te, "chunked") != 0) {
      return Reject(connection, c, 501, "only Transfer-Encoding: chunked is implemented");
    }
  }
  // RFC 9110 15.5.16: 415 for a content coding the server cannot decode, with the codings
  // it can in Accept-Encoding.
  if (!f.coding_error.empty()) {
    return Reject(connection, c, 415, f.coding_error, "Accept-Encoding", "gzip, deflate");
  }
  c->codings = f.codings;
  // RFC 6585 section 5: 431 for too many header fields (their bytes are capped by
  // libmicrohttpd's connection memory, which answers 431 itself).
  if (f.fields > kMaxHeaderFields) {
    return Reject(connection, c, 431, "more than " + std::to_string(kMaxHeaderFields) + " header fields");
  }
  const char* len = Header(conn, "Content-Length");
  const int64_t n = len ? ParseLength(len) : 0;
  if (n < 0) return Reject(connection, c, 400, "Content-Length is not a non-negative integer");
  if (static_cast<uint64_t>(n) > opts_.max_body) {
    return Reject(connection, c, 413, "request body of " + std::to_string(n) + " bytes exceeds the limit of " +
                                          std::to_string(opts_.max_body) + " bytes");
  }
  c->req.body.reserve(static_cast<size_t>(n) + 64);
  // "Expect: 100-continue" on a request without a body (RFC 9112 6.3): libmicrohttpd
  // (0.9.75) would send a 100 Continue, then, with a request pipelined behind in its read
  // buffer, call the handler with an empty upload in a state where no answer can be queued,
  // and close the connection, answering neither. Handled in this first call, the request
  // gets its answer with "Connection: close" (libmicrohttpd reads nothing after an answer
  // queued this early), as an early rejection does.
  if (n == 0 && f.transfer_encoding == 0) {
    const char* expect = Header(conn, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0) return Dispatch(connection, c);
  }
  return 1;
}

int HttpServer::OnRequest(void* connection, const char* url, const char* method,
                          const char* version, const char* upload, size_t* upload_size,
                          void** con_cls) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  if (*con_cls == &kPingRequest) {  // stamp the answer for the acceptor's lag measurement
    if (ConnCtx* ctx = CtxOf(conn)) {
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      ctx->worker->pong_cpu_ns.store(int64_t{cpu.tv_sec} * 1000000000 + cpu.tv_nsec, std::memory_order_relaxed);
      ctx->worker->pong_us.store(ConnWatchdog::NowUs(), std::memory_order_release);
    }
    return MHD_queue_response(conn, 204, pong_) == MHD_YES;
  }
  auto* c = static_cast<Conn*>(*con_cls);
  if (!c) {  // headers are in: set up the request
    ConnCtx* ctx = CtxOf(conn);
    std::unique_ptr<Conn> noted = ctx ? std::move(ctx->noted) : nullptr;
    if (ctx && ctx->ping) {  // answered on the next call, so the connection stays open
      *con_cls = &kPingRequest;
      return 1;
    }
    if (ctx) ctx->worker->requests.fetch_add(1, std::memory_order_relaxed);
    c = noted ? noted.release() : new Conn;
    if (ctx) ctx->current = c;
    *con_cls = c;
    c->start = std::chrono::steady_clock::now();
    c->method = method;
    c->path = url;
    // libmicrohttpd has checked the version's form ("HTTP/d.d"; 1.x only reaches here).
    c->needs_host = std::strcmp(version, "HTTP/1.0") != 0;
    return Begin(connection, c);
  }
  if (*upload_size > 0) {
    if (c->req.body.size() + *upload_size > opts_.max_body) {
      // A chunked body over the limit: answer 413 on the socket and close now rather than
      // read the rest (libmicrohttpd cannot queue a reply in the middle of a body).
      return AnswerAndClose(
          connection, c, 413,
          "request body exceeds the limit of " + std::to_string(opts_.max_body) + " bytes");
    }
    c->req.body.append(upload, *upload_size);
    *upload_size = 0;
    return 1;
  }
  return Dispatch(connection, c);
}

// The request is whole: hands it to the handler, and queues the reply, or suspends the
// connection until the reply comes from another thread (called again once resumed).
int HttpServer::Dispatch(void* connection, Conn* c) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  std::unique_lock<std::mutex> lock(c->mu);
  if (c->done) return Queue(connection, c);  // resumed: the reply is in
  if (c->handled) return 1;
  c->handled = true;
  lock.unlock();
  if (watchdog_) {
    ConnWatchdog::Entry* e = EntryOf(conn);
    if (e && !ConnWatchdog::Claim(e)) return 0;  // the deadline cut it: 408 went out
  }
  if (c->codings.n > 0 && !c->req.body.empty()) {
    std::string error;
    if (const int code = DecodeBody(c->codings, c->req.body, opts_.max_body, error)) {
      return Answer(connection, c, code, error);
    }
  }
  c->req.method = c->method;
  c->req.path = c->path;
  const char* auth = Header(conn, "Authorization");
  c->req.authorization = auth ? auth : "";
  c->req.query = ParseQuery(c->query);
  const char* ihl = Header(conn, "Inference-Header-Content-Length");
  if (ihl) c->req.inference_header_len = ParseLength(ihl) >= 0 ? ParseLength(ihl) : kBadHeader;
  if (c->req.body.capacity() < c->req.body.size() + 64) c->req.body.reserve(c->req.body.size() + 64);
  handler_->Handle(c->req, [c, conn](HttpResponse&& resp) {
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

// libmicrohttpd closes a connection's socket right after this notification. If the client
// has not closed its side, it may still be sending (pipelined requests behind the one that
// ended the connection, a body behind an early 413), and a close with unread bytes would
// reset the connection under replies the client has not read yet: the accept thread takes
// the socket over and lets it end cleanly (Acceptor::Adopt).
void HttpServer::HandOff(void* connection) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  const MHD_ConnectionInfo* fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  const MHD_ConnectionInfo* peer = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!fd || !peer || !peer->client_addr) return;
  // libmicrohttpd (0.9.75) notifies before it closes its descriptor; should that ever change,
  // the number could already name another client's socket: only the same peer is taken.
  sockaddr_in got{};
  socklen_t len = sizeof got;
  const auto* want = reinterpret_cast<const sockaddr_in*>(peer->client_addr);
  if (::getpeername(fd->connect_fd, reinterpret_cast<sockaddr*>(&got), &len) != 0 || got.sin_family != AF_INET ||
      want->sin_family != AF_INET || got.sin_port != want->sin_port || got.sin_addr.s_addr != want->sin_addr.s_addr) {
    return;
  }
  char byte;
  const ssize_t n = ::recv(fd->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: the client closed its side and all it sent was read; an error other than "nothing
  // yet": the connection is gone. Either way nothing more can arrive.
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return;
  acceptor_->Adopt(fd->connect_fd);
}

void HttpServer::OnConnection(void* connection, void** socket_context, bool opened) {
  auto* conn = static_cast<MHD_Connection*>(connection);
  auto* ctx = static_cast<ConnCtx*>(*socket_context);
  if (!opened) {
    if (ctx) {
      if (ctx->current) Finish(ctx->current);  // dropped without its completion callback
      if (!ctx->ping && acceptor_) HandOff(conn);
      if (ctx->entry) watchdog_->Close(ctx->entry);
      if (ctx->counted) ctx->worker->conns.fetch_sub(1, std::memory_order_relaxed);
      if (ctx->ping) ctx->worker->ping_peer = -1;  // its fd number may be reused
      delete ctx;
    }
    *socket_context = nullptr;
    return;
  }
  const MHD_ConnectionInfo* d = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
  const MHD_ConnectionInfo* fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  Acceptor::Worker* worker = nullptr;
  for (auto& w : workers_) {
    if (d && w->daemon == d->daemon) worker = w.get();
  }
  if (!worker || !fd) return;  // not one of ours (cannot happen); served uncounted
  ctx = new ConnCtx;
  ctx->worker = worker;
  *socket_context = ctx;
  if (fd->connect_fd == worker->ping_peer) {
    ctx->ping = true;
    if (::pthread_getcpuclockid(::pthread_self(), &worker->cpu_clock) == 0) {
      worker->cpu_clock_ready.store(true, std::memory_order_release);
    }
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    return;
  }
  ctx->counted = true;  // the acceptor counted it when it handed it over
  if (watchdog_) ctx->entry = watchdog_->Open(fd->connect_fd);
}

void HttpServer::OnCompleted(void* connection, void** con_cls) {
  if (*con_cls == &kPingRequest) {
    *con_cls = nullptr;
    return;
  }
  auto* c = static_cast<Conn*>(*con_cls);
  if (!c) return;
  *con_cls = nullptr;
  if (ConnCtx* ctx = CtxOf(static_cast<MHD_Connection*>(connection))) {
    ctx->current = nullptr;
    if (ctx->entry) ConnWatchdog::Rearm(ctx->entry);  // set only with the watchdog
  }
  Finish(c);
}

// The end of a request that reached the handler: its state goes, and it leaves in_flight_.
void HttpServer::Finish(Conn* c) {
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
  in_flight_.fetch_sub(1);
}

EdgeStats HttpServer::stats() const {
  EdgeStats s;
  s.in_flight = in_flight_.load();
  s.refused = refused_.load(std::memory_order_relaxed);
  for (const auto& w : workers_) {
    s.overloaded_threads += w->overloaded.load(std::memory_order_relaxed);
    s.connections += w->conns.load(std::memory_order_relaxed);
  }
  return s;
}

bool HttpServer::Drain(int timeout_ms) {
  if (!acceptor_) return true;
  draining_.store(true);
  acceptor_->Stop();
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const bool clean = in_flight_.load() == 0;
  StopDaemons();
  acceptor_.reset();
  return clean;
}

}  // namespace ming::server
