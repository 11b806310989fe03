// Child-process and socket helpers for the server tests.
#include "server_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>
#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace ming::servertest {

HttpResult Http(int port, const std::string& method, const std::string& path,
                const std::string& body, const std::vector<std::string>& headers) {
  HttpResult r;
  const int fd = Connect(port);
  if (fd < 0) return r;
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) in.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t end = in.find("\r\n\r\n");
  if (in.compare(0, 5, "HTTP/") != 0 || end == std::string::npos) return r;
  r.status = std::atoi(in.c_str() + 9);
  std::istringstream hs(in.substr(0, end));
  std::string line;
  std::getline(hs, line);
  while (std::getline(hs, line)) {
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    std::string k = line.substr(0, c), v = line.substr(c + 1);
    for (char& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
    r.headers[k] = v;
  }
  r.body = in.substr(end + 4);
  return r;
}

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ReadAll(int fd, int wait_ms, bool* reset) {
  std::string in;
  char buf[65536];
  if (reset) *reset = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && reset) *reset = errno == ECONNRESET;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

std::string Raw(int port, std::string_view bytes, int wait_ms) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  SendAll(fd, bytes);
  std::string out = ReadAll(fd, wait_ms);
  ::close(fd);
  return out;
}

int Code(const std::string& resp) {
  if (resp.compare(0, 5, "HTTP/") != 0 || resp.size() < 12) return -1;
  return std::atoi(resp.c_str() + 9);
}

Server::Server(const std::string& args) {
  static int counter = 0;
  err_path_ = testing::TempDir() + "/ming_serve_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".err";
  int out[2];
  if (::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    const std::string cmd = "exec " MING_BINARY " serve " + args + " --port 0 2>'" + err_path_ + "'";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  const size_t colon = line.rfind(':');
  if (line.find("listening") != std::string::npos && colon != std::string::npos) port_ = std::atoi(line.c_str() + colon + 1);
}

// SIGTERM first, so that a server a test left running exits the normal way (and its
// coverage counters, under --coverage, are written); SIGKILL if it is not gone in 5 s.
Server::~Server() {
  Stop();
  std::filesystem::remove(err_path_);
}

void Server::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    ::usleep(10000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

int Server::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Server::stderr_text() const {
  std::ifstream in(err_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Trained once per test program on 300 generated invitation rows (8 hidden units).
const InferModel& TinyInferModel() {
  static InferModel* m = [] {
    auto* x = new InferModel;
    x->dir = testing::TempDir() + "/ming_tiny_model_" + std::to_string(::getpid());
    std::filesystem::create_directories(x->dir);
    const std::string cd = "cd '" + x->dir + "' && " MING_BINARY " ";
    EXPECT_EQ(std::system((cd + "generate invitations --rows 300 --seed 5 -o inv.csv >/dev/null").c_str()), 0);
    EXPECT_EQ(std::system((cd + "train inv.csv --label accepted -o inv.ming --epochs 1 --hidden 8 --quiet >/dev/null 2>&1").c_str()), 0);
    x->path = x->dir + "/inv.ming";
    // The request: the first data row, every field as BYTES.
    std::ifstream in(x->dir + "/inv.csv");
    std::string head, row;
    std::getline(in, head);
    std::getline(in, row);
    std::vector<std::string> names(1), cells(1);
    for (char c : head) {
      if (c == ',') names.emplace_back(); else names.back().push_back(c);
    }
    for (char c : row) {
      if (c == ',') cells.emplace_back(); else cells.back().push_back(c);
    }
    auto body = [&](int rows) {
      std::string b = "{\"inputs\":[";
      bool first = true;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "accepted") continue;
        b += std::string(first ? "" : ",") + "{\"name\":\"" + names[i] + "\",\"datatype\":\"BYTES\",\"shape\":[" + std::to_string(rows) + "],\"data\":[";
        for (int r = 0; r < rows; ++r) b += std::string(r ? "," : "") + "\"" + cells[i] + "\"";
        b += "]}";
        first = false;
      }
      return b + "]}";
    };
    x->body = body(1);
    x->heavy = body(256);
    return x;
  }();
  return *m;
}

namespace {
class InferModelCleanup : public testing::Environment {
 public:
  void TearDown() override {
    std::filesystem::remove_all(testing::TempDir() + "/ming_tiny_model_" + std::to_string(::getpid()));
  }
};
testing::Environment* const g_infer_model_cleanup = testing::AddGlobalTestEnvironment(new InferModelCleanup);
}  // namespace

}  // namespace ming::servertest
