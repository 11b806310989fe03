// Helpers for the server tests: run `ming serve` as a child process on a free loopback port
// and talk to it over real TCP sockets with a minimal HTTP/1.1 client.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ming::servertest {

struct HttpResult {
  int status = -1;  // -1: no response (connection refused or closed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One request on a fresh connection (Connection: close).
HttpResult Http(int port, const std::string& method, const std::string& path,
                const std::string& body = "", const std::vector<std::string>& headers = {});

// Raw sockets, for requests the client above would not send.
int Connect(int port);                          // a connected socket, or -1
bool SendAll(int fd, std::string_view bytes);   // false when the peer closed
// Reads until the peer closes or wait_ms pass without data; *reset (when given) tells
// whether the stream ended in a connection reset rather than a clean end of stream.
std::string ReadAll(int fd, int wait_ms = 5000, bool* reset = nullptr);
// Sends bytes on a fresh connection (send errors ignored: the server may close early) and
// returns everything that came back.
std::string Raw(int port, std::string_view bytes, int wait_ms = 5000);
// The status code of the first response in `resp`, or -1.
int Code(const std::string& resp);

// A small invitation model for the tests that need a model but not its numbers.
struct InferModel {
  std::string dir, path, body;  // body: a valid one-row v2 infer request
  std::string heavy;            // the same row 256 times: a request that keeps inference busy
};
const InferModel& TinyInferModel();

class Server {
 public:
  // Starts `ming serve ARGS --port 0` and waits for its "listening" line.
  explicit Server(const std::string& args);
  ~Server();  // SIGTERM if still running (SIGKILL after 5 s); removes the stderr file
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit code (128+signal if killed).
  int Terminate();
  std::string stderr_text() const;

 private:
  void Stop();  // SIGTERM, then SIGKILL after 5 s; waits for the process
  pid_t pid_ = -1;
  int port_ = -1;
  std::string err_path_;
};

}  // namespace ming::servertest
