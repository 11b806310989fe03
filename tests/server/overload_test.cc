// Overload: more requests than --max-in-flight get an immediate 503 with Retry-After instead
// of waiting, every request gets an answer (200 or 503, never silence), and the server
// serves normally once the load is gone. No timing is asserted.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "server_util.h"

namespace ming::servertest {
namespace {

namespace fs = std::filesystem;

struct Model {
  std::string dir, path, body;  // body: a valid one-row v2 infer request
};

const Model& Fix() {
  static Model* m = [] {
    auto* x = new Model;
    x->dir = testing::TempDir() + "/ming_overload_" + std::to_string(::getpid());
    fs::create_directories(x->dir);
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
    x->body = "{\"inputs\":[";
    bool first = true;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "accepted") continue;
      x->body += std::string(first ? "" : ",") + "{\"name\":\"" + names[i] + "\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"" + cells[i] + "\"]}";
      first = false;
    }
    x->body += "]}";
    return x;
  }();
  return *m;
}

class OverloadCleanup : public testing::Environment {
 public:
  void TearDown() override { fs::remove_all(testing::TempDir() + "/ming_overload_" + std::to_string(::getpid())); }
};
testing::Environment* const g_cleanup = testing::AddGlobalTestEnvironment(new OverloadCleanup);

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

// 8 requests whose bodies never finish hold all 8 in-flight slots; then 504 more
// connections (512 in all, over the single event thread) each send a request: every one is
// answered 503 with Retry-After at once. When the holders go, the same burst is served.
TEST(Overload, InFlightCapAnswers503ThenRecovers) {
  Server s(Fix().path + " --threads 1 --max-in-flight 8 --max-connections 1024 --request-timeout-s 60 --timeout-s 60");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  std::vector<int> holders;
  for (int i = 0; i < 8; ++i) {
    holders.push_back(Connect(s.port()));
    SendAll(holders.back(), "POST /v2/models/inv/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"inputs\":");
  }
  // The holders' headers are read in order; once a probe is refused, all 8 are in flight.
  int probe = 0;
  for (int i = 0; i < 400 && probe != 503; ++i) {
    probe = Code(Raw(s.port(), Request(Fix().body)));
    if (probe != 503) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(probe, 503) << "the in-flight cap never refused a request";
  int refused = 0, retry_after = 0;
  for (const std::string& r : Burst(s.port(), 504, Request(Fix().body))) {
    refused += Code(r) == 503;
    retry_after += r.find("\r\nRetry-After: 1\r\n") != std::string::npos;
  }
  EXPECT_EQ(refused, 504);
  EXPECT_EQ(retry_after, 504);
  for (int fd : holders) ::close(fd);
  // Recovery: the closed holders free their slots.
  int code = 0;
  for (int i = 0; i < 400 && code != 200; ++i) {
    code = Code(Raw(s.port(), Request(Fix().body)));
    if (code != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(code, 200);
  int served = 0;
  for (const std::string& r : Burst(s.port(), 504, Request(Fix().body))) served += Code(r) == 200;
  EXPECT_EQ(served, 504);
  const HttpResult m = Http(s.port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("ming_requests_in_flight 1\n"), std::string::npos) << "only the /metrics request itself";
  EXPECT_EQ(s.Terminate(), 0);
}

// With batching, waiting requests are in flight too: 512 requests at once against a cap of
// 16 and a 300 ms batch window get 200 or 503, each an answer, some of both.
TEST(Overload, BatchedBurstGets200Or503) {
  Server s(Fix().path + " --threads 2 --max-in-flight 16 --max-delay-us 300000 --max-batch 64");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  int ok = 0, refused = 0, other = 0;
  for (const std::string& r : Burst(s.port(), 512, Request(Fix().body))) {
    const int c = Code(r);
    (c == 200 ? ok : c == 503 ? refused : other)++;
  }
  EXPECT_EQ(other, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", Fix().body).status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest
