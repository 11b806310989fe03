// `ming serve MODEL.ming | --repository DIR`: the inference server (Open Inference Protocol
// REST, v1 rows endpoint, /metrics). Prints the bound address on stdout, polls the model
// files for changes, and on SIGTERM/SIGINT drains in-flight requests and exits 0.
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <thread>

#include "cli.h"
#include "server/http_server.h"
#include "server/model_store.h"
#include "server/router.h"

namespace ming::cli {
namespace {

struct ServeOpts {
  std::string model, repository, admin_token;
  server::HttpOptions http;
  server::RouterOptions router;
  size_t max_body_mib = 8;
  int poll_ms = 1000, drain_timeout_s = 30;
};

// SIGTERM/SIGINT write a byte to this pipe. A handler (not sigwait) because threads made
// before main (OpenBLAS's pool) do not block the signals and would take the default action.
int g_signal_pipe[2] = {-1, -1};
extern "C" void OnSignal(int) {
  const char b = 1;
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &b, 1);
}

// Waits for SIGTERM/SIGINT, polling the model files every poll_ms meanwhile.
void WaitForSignal(server::ModelStore& store, int poll_ms) {
  for (;;) {
    pollfd p{g_signal_pipe[0], POLLIN, 0};
    const int r = ::poll(&p, 1, poll_ms > 0 ? poll_ms : -1);
    if (r > 0) return;
    if (poll_ms > 0) store.Poll();
  }
}

int Run(ServeOpts& o) {
  if (o.model.empty() == o.repository.empty()) {
    return Fail(Status::InvalidInput("give a model file or --repository DIR (one of them)"));
  }
  if (::pipe(g_signal_pipe) != 0) return Fail(Status::IoError("pipe() failed"));
  struct sigaction sa{};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  server::ModelStore store;
  Status st = o.model.empty() ? store.OpenRepository(o.repository) : store.OpenFile(o.model);
  if (!st.ok()) return Fail(st);
  for (const auto& s : store.States()) {
    if (!s.ready) std::fprintf(stderr, "ming: model '%s' failed to load: %s\n", s.name.c_str(), s.reason.c_str());
  }
  o.router.admin_token = o.admin_token;
  o.http.max_body = o.max_body_mib << 20;
  if (o.http.threads <= 0) o.http.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server::Router router(store, o.router);
  server::HttpServer http(o.http, &router);
  router.set_http(&http);
  st = http.Start();
  if (!st.ok()) return Fail(st);
  std::printf("ming serve: listening on http://%s:%d\n", o.http.host.c_str(), http.port());
  std::fflush(stdout);
  WaitForSignal(store, o.poll_ms);
  std::fprintf(stderr, "ming serve: draining %lld in-flight requests\n", static_cast<long long>(http.in_flight()));
  const bool clean = http.Drain(o.drain_timeout_s * 1000);
  if (!clean) std::fprintf(stderr, "ming serve: drain timed out; some requests were cut off\n");
  return clean ? 0 : 1;
}

}  // namespace

Runner AddServe(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve models over HTTP (Open Inference Protocol / KServe v2)");
  auto o = std::make_shared<ServeOpts>();
  cmd->add_option("model", o->model, "Model file to serve (its name is the file name without .ming)");
  cmd->add_option("--repository", o->repository, "Model repository: DIR/NAME/VERSION/model.ming");
  cmd->add_option("--host", o->http.host, "IPv4 address to listen on")->capture_default_str();
  cmd->add_option("--port", o->http.port, "Port (0: any free port; the bound one is printed)")->capture_default_str();
  cmd->add_option("--threads", o->http.threads, "HTTP event threads (0: one per core)")->capture_default_str();
  cmd->add_option("--max-batch", o->router.max_batch, "Dynamic batching: most rows per batch")->capture_default_str();
  cmd->add_option("--max-delay-us", o->router.max_delay_us, "Dynamic batching: longest wait for a batch to fill (0: batching off)")->capture_default_str();
  cmd->add_option("--max-queue", o->router.max_queue, "Dynamic batching: queued requests before 503")->capture_default_str();
  cmd->add_option("--max-rows", o->router.max_rows, "Most rows per request (more: 413)")->capture_default_str();
  cmd->add_option("--max-explain-rows", o->router.max_explain_rows,
                  "Most rows per request with explain, about 1 ms of a thread each (more: 413)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-mib", o->max_body_mib, "Largest request body in MiB (more: 413)")->capture_default_str();
  cmd->add_option("--max-connections", o->http.max_connections, "Most open connections; more get 503 + Retry-After at once")->capture_default_str();
  cmd->add_option("--timeout-s", o->http.timeout_s, "Close connections idle or stalled this long")->capture_default_str();
  cmd->add_option("--request-timeout-s", o->http.request_timeout_s,
                  "A request must arrive whole within this long of its connection opening or the previous reply, else 408 (0: no deadline)")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", o->http.max_in_flight, "Requests received and not yet answered before new ones get 503 + Retry-After")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--overload-lag-ms", o->http.overload_lag_ms,
                  "Overload control: an event thread whose loop lags more than this for --overload-interval-ms takes no new connections; when none takes them, they get 503 + Retry-After at once (0: off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--overload-interval-ms", o->http.overload_interval_ms,
                  "Overload control: how long the lag must stay over the target to count as overload, and within it to end it")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--poll-ms", o->poll_ms, "Check model files for changes this often (0: never)")->capture_default_str();
  cmd->add_option("--drain-timeout-s", o->drain_timeout_s, "On SIGTERM, wait this long for in-flight requests")->capture_default_str();
  cmd->add_option("--admin-token", o->admin_token, "Enables /v2/repository/* with 'Authorization: Bearer TOKEN'");
  cmd->add_flag("--access-log", o->http.access_log, "Log one line per request to stderr");
  return [o] { return Run(*o); };
}

}  // namespace ming::cli
