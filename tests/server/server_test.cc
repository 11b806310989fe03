// `ming serve` end to end: the real binary on a free loopback port, spoken to over TCP.
// Every endpoint, every error code, predictions equal to `ming predict`, the binary tensor
// extension, metrics (checked by promtool when installed), batching, limits and draining.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_util.h"
#include "tests/test_files.h"

namespace ming::servertest {
namespace {

using nlohmann::json;

using testutil::Slurp;

// Runs `ming ARGS` in dir; returns the exit code.
int RunMing(const std::string& args, const std::string& dir) { return testutil::RunMing(args, dir).rc; }

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') out.emplace_back(); else out.back() += c;
  }
  return out;
}

// A small invitation model and CSV shared by the tests (built once).
struct ServedFixture {
  std::string dir, model, csv;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // input cells (label column dropped)
};

// Removes the fixture's directory when the run ends.
class ServedCleanup : public testing::Environment {
 public:
  void TearDown() override { std::filesystem::remove_all(testing::TempDir() + "/ming_server_test_" + std::to_string(::getpid())); }
};
testing::Environment* const g_served_cleanup = testing::AddGlobalTestEnvironment(new ServedCleanup);

const ServedFixture& Served() {
  static ServedFixture* f = [] {
    auto* x = new ServedFixture;
    x->dir = testing::TempDir() + "/ming_server_test_" + std::to_string(::getpid());
    std::filesystem::create_directories(x->dir);
    EXPECT_EQ(RunMing("generate invitations --rows 1200 --seed 3 -o inv.csv", x->dir), 0);
    EXPECT_EQ(RunMing("train inv.csv --label accepted -o inv.ming --epochs 3 --hidden 16 --quiet", x->dir), 0);
    x->model = x->dir + "/inv.ming";
    std::istringstream in(Slurp(x->dir + "/inv.csv"));
    std::string line;
    std::getline(in, line);
    auto head = SplitCsvLine(line);
    head.pop_back();  // accepted
    x->header = head;
    std::string csv = line.substr(0, line.rfind(',')) + "\n";
    for (int r = 0; r < 60 && std::getline(in, line); ++r) {
      auto cells = SplitCsvLine(line);
      cells.pop_back();
      x->rows.push_back(cells);
      csv += line.substr(0, line.rfind(',')) + "\n";
    }
    std::ofstream(x->dir + "/rows.csv") << csv;
    x->csv = x->dir + "/rows.csv";
    return x;
  }();
  return *f;
}

// A v2 request with one BYTES tensor per field over `rows`.
json InferBody(const std::vector<std::vector<std::string>>& rows) {
  const ServedFixture& f = Served();
  json inputs = json::array();
  for (size_t c = 0; c < f.header.size(); ++c) {
    json data = json::array();
    for (const auto& r : rows) data.push_back(r[c]);
    inputs.push_back({{"name", f.header[c]}, {"datatype", "BYTES"}, {"shape", {rows.size()}}, {"data", data}});
  }
  return {{"id", "req-7"}, {"inputs", inputs}};
}

std::string G6(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

TEST(Serve, HealthAndMetadata) {
  Server s(Served().model);
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  EXPECT_EQ(Http(s.port(), "GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/health/ready").status, 200);
  auto meta = Http(s.port(), "GET", "/v2");
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(json::parse(meta.body)["name"], "ming");
  for (const char* path : {"/v2/models/inv", "/v2/models/inv/versions/1"}) {
    auto m = Http(s.port(), "GET", path);
    ASSERT_EQ(m.status, 200) << path;
    json j = json::parse(m.body);
    EXPECT_EQ(j["name"], "inv");
    EXPECT_EQ(j["versions"], json::array({"1"}));
    ASSERT_EQ(j["inputs"].size(), Served().header.size());
    EXPECT_EQ(j["inputs"][0]["name"], Served().header[0]);
    EXPECT_EQ(j["inputs"][1]["datatype"], "BYTES");  // weather is categorical
    EXPECT_EQ(j["outputs"][0]["name"], "label");
    EXPECT_EQ(j["outputs"][1]["shape"], json::array({-1, 2}));
    // The explanation outputs, which only "explain": true requests get.
    ASSERT_EQ(j["outputs"].size(), 4u);
    EXPECT_EQ(j["outputs"][2]["name"], "contributions");
    EXPECT_EQ(j["outputs"][2]["shape"],
              json::array({-1, static_cast<int>(Served().header.size())}));
    EXPECT_EQ(j["outputs"][3]["name"], "base_value");
    EXPECT_NE(j["outputs"][3]["parameters"]["returned"].get<std::string>().find("explain"), std::string::npos);
    EXPECT_EQ(j["parameters"]["explain"], true);
  }
  EXPECT_EQ(Http(s.port(), "GET", "/v2/models/inv/ready").status, 200);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/models/inv/versions/1/ready").status, 200);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/models/inv/versions/2/ready").status, 404);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/models/other").status, 404);
  EXPECT_EQ(Http(s.port(), "GET", "/nothing/here").status, 404);
  EXPECT_EQ(s.Terminate(), 0);
}

// The HTTP answers equal `ming predict` on the same rows (labels exactly; probabilities at
// the 6 significant digits the CLI prints, from the very same float).
TEST(Serve, InferEqualsCliPredict) {
  const ServedFixture& f = Served();
  ASSERT_EQ(RunMing("predict inv.ming rows.csv -o pred.csv", f.dir), 0);
  std::istringstream pred(Slurp(f.dir + "/pred.csv"));
  std::string line;
  std::getline(pred, line);
  Server s(f.model);
  ASSERT_GT(s.port(), 0);
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", InferBody(f.rows).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["id"], "req-7");
  EXPECT_EQ(j["model_name"], "inv");
  EXPECT_EQ(j["model_version"], "1");
  const json& labels = j["outputs"][0];
  const json& probs = j["outputs"][1];
  EXPECT_EQ(labels["datatype"], "BYTES");
  EXPECT_EQ(probs["shape"], json::array({f.rows.size(), 2}));
  auto v1 = Http(s.port(), "POST", "/v1/models/inv/predict", [&] {
    json rows = json::array();
    for (const auto& row : f.rows) {
      json o = json::object();
      for (size_t c = 0; c < f.header.size(); ++c) o[f.header[c]] = row[c];
      rows.push_back(o);
    }
    return rows.dump();
  }());
  ASSERT_EQ(v1.status, 200) << v1.body;
  json v1j = json::parse(v1.body);
  for (size_t i = 0; i < f.rows.size(); ++i) {
    ASSERT_TRUE(std::getline(pred, line));
    auto cli = SplitCsvLine(line);
    const float p0 = probs["data"][2 * i].get<float>(), p1 = probs["data"][2 * i + 1].get<float>();
    EXPECT_EQ(labels["data"][i], cli[0]) << "row " << i;
    EXPECT_EQ(G6(p0), cli[1]) << "row " << i;
    EXPECT_EQ(G6(p1), cli[2]) << "row " << i;
    EXPECT_EQ(v1j[i]["label"], cli[0]);
    EXPECT_EQ(v1j[i]["probabilities"]["yes"].get<float>(), p1);
  }
  EXPECT_EQ(s.Terminate(), 0);
}

// Typed tensors (numbers, BOOL, null for missing) give the same answer as raw text.
TEST(Serve, TypedTensorsMatchText) {
  Server s(Served().model);
  ASSERT_GT(s.port(), 0);
  std::vector<std::vector<std::string>> row = {{"no", "sunny", "", "good", "yes", "no", "no", "mon", "park", "12", "3.5"}};
  ASSERT_EQ(row[0].size(), Served().header.size());
  json text = InferBody(row);
  json typed = text;
  for (auto& in : typed["inputs"]) {
    const std::string n = in["name"];
    if (n == "holiday" || n == "ill" || n == "other_plans" || n == "relatives_visiting") {
      in["datatype"] = "BOOL";
      in["data"] = {in["data"][0] == "yes"};
    } else if (n == "temperature") {
      in["datatype"] = "FP32";
      in["data"] = {nullptr};
      in["shape"] = {1, 1};
    } else if (n == "days_since_last") {
      in["datatype"] = "INT64";
      in["data"] = {12};
    } else if (n == "distance_km") {
      in["datatype"] = "FP64";
      in["data"] = {3.5};
    }
  }
  auto a = Http(s.port(), "POST", "/v2/models/inv/infer", text.dump());
  auto b = Http(s.port(), "POST", "/v2/models/inv/infer", typed.dump());
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(json::parse(a.body)["outputs"], json::parse(b.body)["outputs"]);
}

void ExpectError(int port, const std::string& body, int code, const std::string& needle,
                 const std::string& path = "/v2/models/inv/infer") {
  auto r = Http(port, "POST", path, body);
  EXPECT_EQ(r.status, code) << body.substr(0, 200) << " -> " << r.body;
  json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
  EXPECT_NE(j["error"].get<std::string>().find(needle), std::string::npos) << j["error"];
}

TEST(Serve, BadRequestsGet4xxAndServerKeepsServing) {
  Server s(Served().model + " --max-rows 50");
  ASSERT_GT(s.port(), 0);
  const int p = s.port();
  json ok = InferBody({Served().rows[0]});
  ExpectError(p, "{\"inputs\": [", 400, "malformed JSON");
  ExpectError(p, "not json", 400, "malformed JSON");
  ExpectError(p, "{}", 400, "no \"inputs\"");
  json j = ok;
  j["inputs"][0]["name"] = "holidays";
  ExpectError(p, j.dump(), 400, "unknown input 'holidays'");
  j = ok;
  j["inputs"].erase(j["inputs"].begin() + 3);
  ExpectError(p, j.dump(), 400, "missing input 'her_mood'");
  j = ok;
  j["inputs"][1]["shape"] = {1, 2};
  ExpectError(p, j.dump(), 400, "shape must be [batch] or [batch, 1]");
  j = ok;
  j["inputs"][1]["shape"] = {3};
  ExpectError(p, j.dump(), 400, "shape says 3 elements, data has 1");
  j = ok;
  j["inputs"][2]["datatype"] = "FP32";
  j["inputs"][2]["data"] = {"warm"};
  ExpectError(p, j.dump(), 400, "does not match datatype FP32");
  j = ok;
  j["inputs"][1]["datatype"] = "FP32";
  j["inputs"][1]["data"] = {1.5};
  ExpectError(p, j.dump(), 400, "categorical field needs BYTES");
  j = ok;
  j["inputs"][1]["datatype"] = "FP16";
  ExpectError(p, j.dump(), 400, "unknown datatype 'FP16'");
  j = ok;
  j["inputs"][2]["data"] = {"hot"};
  ExpectError(p, j.dump(), 400, "temperature");
  j = ok;
  j["outputs"] = {{{"name", "score"}}};
  ExpectError(p, j.dump(), 400, "unknown output 'score'");
  ExpectError(p, "{\"inputs\":[{\"name\":\"temperature\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[NaN]}]}", 400, "malformed JSON");
  ExpectError(p, ok.dump(), 404, "unknown model 'nope'", "/v2/models/nope/infer");
  ExpectError(p, ok.dump(), 404, "has no version '9'", "/v2/models/inv/versions/9/infer");
  ExpectError(p, ok.dump(), 400, "invalid model name", "/v2/models/a%20b/infer");
  std::vector<std::vector<std::string>> many(51, Served().rows[0]);
  ExpectError(p, InferBody(many).dump(), 413, "too many rows");
  ExpectError(p, "[{\"weather\": \"sunny\", \"colour\": \"red\"}]", 400, "unknown field 'colour'", "/v1/models/inv/predict");
  ExpectError(p, "{\"weather\": 1}", 400, "expected an array", "/v1/models/inv/predict");
  EXPECT_EQ(Http(p, "GET", "/v2/models/inv/infer").status, 405);
  EXPECT_EQ(Http(p, "POST", "/v2/models/inv/infer", ok.dump()).status, 200);  // still serving
  EXPECT_EQ(s.Terminate(), 0);
}

TEST(Serve, BodyLimitIs413) {
  Server s(Served().model + " --max-body-mib 1");
  ASSERT_GT(s.port(), 0);
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", std::string(2 << 20, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/health/live").status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest

namespace ming::servertest {
namespace {

void PutU32(std::string& s, uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }

// Triton's binary tensor extension: raw little-endian inputs after the JSON header, binary
// outputs requested; the answer decodes to the JSON path's answer.
TEST(Serve, BinaryTensorExtension) {
  const ServedFixture& f = Served();
  Server s(f.model);
  ASSERT_GT(s.port(), 0);
  std::vector<std::vector<std::string>> rows(f.rows.begin(), f.rows.begin() + 3);
  json header = {{"inputs", json::array()}, {"outputs", {{{"name", "label"}, {"parameters", {{"binary_data", true}}}},
                                                          {{"name", "probabilities"}, {"parameters", {{"binary_data", true}}}}}}};
  std::string raw;
  for (size_t c = 0; c < f.header.size(); ++c) {
    std::string t;
    const bool numeric = f.header[c] == "distance_km";
    for (const auto& r : rows) {
      if (numeric) {
        const float v = std::stof(r[c]);
        t.append(reinterpret_cast<const char*>(&v), 4);
      } else {
        PutU32(t, static_cast<uint32_t>(r[c].size()));
        t += r[c];
      }
    }
    header["inputs"].push_back({{"name", f.header[c]}, {"datatype", numeric ? "FP32" : "BYTES"}, {"shape", {rows.size()}},
                                {"parameters", {{"binary_data_size", t.size()}}}});
    raw += t;
  }
  const std::string h = header.dump();
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", h + raw,
                {"Inference-Header-Content-Length: " + std::to_string(h.size()), "Content-Type: application/octet-stream"});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.headers.count("inference-header-content-length"));
  const size_t hl = std::stoul(r.headers["inference-header-content-length"]);
  json rj = json::parse(r.body.substr(0, hl));
  auto j = json::parse(Http(s.port(), "POST", "/v2/models/inv/infer", InferBody(rows).dump()).body);
  const size_t lsize = rj["outputs"][0]["parameters"]["binary_data_size"];
  size_t p = hl;
  for (size_t i = 0; i < rows.size(); ++i) {
    uint32_t len;
    std::memcpy(&len, r.body.data() + p, 4);
    EXPECT_EQ(r.body.substr(p + 4, len), j["outputs"][0]["data"][i]);
    p += 4 + len;
  }
  ASSERT_EQ(p, hl + lsize);
  ASSERT_EQ(r.body.size() - p, rows.size() * 2 * 4);
  for (size_t i = 0; i < rows.size() * 2; ++i) {
    float v;
    std::memcpy(&v, r.body.data() + p + 4 * i, 4);
    EXPECT_EQ(v, j["outputs"][1]["data"][i].get<float>());
  }
  // NaN in a binary FP32 tensor is refused.
  json nh = header;
  std::string nraw = raw;
  size_t off = 0;
  for (const auto& in : nh["inputs"]) {
    if (in["name"] == "distance_km") break;
    off += in["parameters"]["binary_data_size"].get<size_t>();
  }
  const float nan = std::nanf("");
  std::memcpy(nraw.data() + off, &nan, 4);
  auto bad = Http(s.port(), "POST", "/v2/models/inv/infer", h + nraw, {"Inference-Header-Content-Length: " + std::to_string(h.size())});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("NaN"), std::string::npos) << bad.body;
  auto trunc = Http(s.port(), "POST", "/v2/models/inv/infer", h + raw.substr(0, 10), {"Inference-Header-Content-Length: " + std::to_string(h.size())});
  EXPECT_EQ(trunc.status, 400);
  EXPECT_EQ(s.Terminate(), 0);
}

TEST(Serve, MetricsPassPromtool) {
  Server s(Served().model);
  ASSERT_GT(s.port(), 0);
  Http(s.port(), "POST", "/v2/models/inv/infer", InferBody({Served().rows[0]}).dump());
  Http(s.port(), "POST", "/v2/models/inv/infer", "{");
  auto m = Http(s.port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("ming_requests_total{model=\"inv\",code=\"200\"} 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("ming_request_failures_total{model=\"inv\",code=\"400\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("ming_model_ready{model=\"inv\",version=\"1\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("ming_request_duration_seconds_count{model=\"inv\"} 2"), std::string::npos);
  // Open connections: the metrics request's own, then 3 idle ones more, then back to one.
  const auto open_connections = [&] {
    const std::string body = Http(s.port(), "GET", "/metrics").body;
    const size_t at = body.find("\nming_connections_open ");
    return at == std::string::npos ? -1 : std::atoi(body.c_str() + at + 23);
  };
  const auto wait_for = [&](int n) {
    for (int i = 0; i < 200 && open_connections() != n; ++i) ::usleep(10000);
    return open_connections();
  };
  EXPECT_EQ(wait_for(1), 1) << m.body;
  int idle[3];
  for (int& fd : idle) fd = Connect(s.port());
  EXPECT_EQ(wait_for(4), 4);
  for (int fd : idle) ::close(fd);
  EXPECT_EQ(wait_for(1), 1);
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  const std::string path = testing::TempDir() + "/ming_metrics_" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path) << m.body;
  EXPECT_EQ(std::system(("promtool check metrics < '" + path + "' >/dev/null 2>&1").c_str()), 0) << m.body;
  std::filesystem::remove(path);
  EXPECT_EQ(s.Terminate(), 0);
}

// Concurrent single-row requests are batched, and each gets its own row's answer.
TEST(Serve, DynamicBatchingAnswersEachRow) {
  const ServedFixture& f = Served();
  Server plain(f.model);
  Server s(f.model + " --max-delay-us 20000 --max-batch 8 --threads 2");
  ASSERT_GT(s.port(), 0);
  ASSERT_GT(plain.port(), 0);
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<std::string> got(kThreads), want(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string body = InferBody({f.rows[static_cast<size_t>(t)]}).dump();
      got[static_cast<size_t>(t)] = Http(s.port(), "POST", "/v2/models/inv/infer", body).body;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    want[static_cast<size_t>(t)] = Http(plain.port(), "POST", "/v2/models/inv/infer", InferBody({f.rows[static_cast<size_t>(t)]}).dump()).body;
    json a = json::parse(got[static_cast<size_t>(t)]), b = json::parse(want[static_cast<size_t>(t)]);
    EXPECT_EQ(a["outputs"][0], b["outputs"][0]) << t;
    for (int k = 0; k < 2; ++k) {
      EXPECT_NEAR(a["outputs"][1]["data"][k].get<double>(), b["outputs"][1]["data"][k].get<double>(), 1e-5);
    }
  }
  const std::string m = Http(s.port(), "GET", "/metrics").body;
  const size_t at = m.find("ming_batch_size_rows_count ");
  ASSERT_NE(at, std::string::npos);
  const int batches = std::atoi(m.c_str() + at + 27);
  EXPECT_GE(batches, 1);
  EXPECT_LT(batches, kThreads) << "no two requests shared a batch";
  EXPECT_EQ(s.Terminate(), 0);
}

// SIGTERM while a request waits in the batcher: it is answered, then the server exits 0.
TEST(Serve, SigtermDrainsInFlight) {
  Server s(Served().model + " --max-delay-us 400000 --max-batch 64");
  ASSERT_GT(s.port(), 0);
  HttpResult r;
  std::thread client([&] {
    r = Http(s.port(), "POST", "/v2/models/inv/infer", InferBody({Served().rows[0]}).dump());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(s.Terminate(), 0);
  client.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Http(s.port(), "GET", "/v2/health/live").status, -1);  // gone
}

// Over the connection cap a new connection gets 503 + Retry-After at once and is closed;
// idle and stalled connections are closed after --timeout-s, which frees their slots.
TEST(Serve, ConnectionCapAndIdleTimeout) {
  Server s(Served().model + " --max-connections 2 --timeout-s 2 --threads 1");
  ASSERT_GT(s.port(), 0);
  auto open = [&] {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{0, 700000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  const int a = open(), b = open();
  ::send(a, "GET /v2/health/li", 17, MSG_NOSIGNAL);  // a stalled request
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string req = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string over = Raw(s.port(), req);  // over the cap: refused at once
  EXPECT_EQ(Code(over), 503) << over;
  EXPECT_NE(over.find("\r\nRetry-After: 1\r\n"), std::string::npos) << over;
  EXPECT_NE(over.find("\r\nConnection: close\r\n"), std::string::npos) << over;
  EXPECT_NE(over.find("2 connections open"), std::string::npos) << over;
  char buf[512];
  const auto t0 = std::chrono::steady_clock::now();
  ssize_t n = -1;
  while (n < 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) n = ::recv(a, buf, sizeof buf, 0);
  EXPECT_EQ(n, 0);  // the stalled request's connection was closed by the timeout, unanswered
  n = -1;
  while (n < 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) n = ::recv(b, buf, sizeof buf, 0);
  EXPECT_EQ(n, 0);  // and the idle one
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Code(Raw(s.port(), req)), 200);  // slots freed: served again
  ::close(a);
  ::close(b);
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest

namespace ming::servertest {
namespace {

// A repository with hot reload: a new version directory and a broken file appear while
// clients keep sending requests; none fails, the new version serves, the broken one is
// reported and the previous keeps serving. Admin endpoints need the token.
TEST(Serve, RepositoryHotReloadUnderLoad) {
  const ServedFixture& f = Served();
  const std::string repo = f.dir + "/repo";
  std::filesystem::remove_all(repo);
  std::filesystem::create_directories(repo + "/inv/1");
  std::filesystem::copy_file(f.model, repo + "/inv/1/model.ming");
  Server s("--repository '" + repo + "' --poll-ms 50 --admin-token sekret --threads 2");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  const std::string body = InferBody({f.rows[0]}).dump();
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        auto r = Http(s.port(), "POST", "/v2/models/inv/infer", body);
        (r.status == 200 ? ok : failed)++;
      }
    });
  }
  // Never throws: an exception here would leave the client threads running past `body`.
  auto versions = [&] {
    json j = json::parse(Http(s.port(), "GET", "/v2/models/inv").body, nullptr, false);
    return j.is_object() && j.contains("versions") ? j["versions"] : json::array();
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::filesystem::create_directories(repo + "/inv/2.tmp");
  std::filesystem::copy_file(f.model, repo + "/inv/2.tmp/model.ming");
  std::filesystem::rename(repo + "/inv/2.tmp", repo + "/inv/2");
  for (int i = 0; i < 100 && versions().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(versions(), json::array({"1", "2"}));
  std::filesystem::create_directories(repo + "/inv/3");
  std::ofstream(repo + "/inv/3/model.ming") << "not a model";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 0);
  auto r = json::parse(Http(s.port(), "POST", "/v2/models/inv/infer", body).body);
  EXPECT_EQ(r["model_version"], "2");  // the broken version 3 did not replace it
  auto idx = Http(s.port(), "POST", "/v2/repository/index", "", {"Authorization: Bearer sekret"});
  ASSERT_EQ(idx.status, 200);
  EXPECT_NE(idx.body.find("UNAVAILABLE"), std::string::npos) << idx.body;
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/inv/unload", "", {"Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/inv/unload", "", {"Authorization: Bearer sekret"}).status, 200);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", body).status, 404);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // polling does not bring it back
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", body).status, 404);
  std::filesystem::remove_all(repo + "/inv/3");
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/inv/load", "", {"Authorization: Bearer sekret"}).status, 200);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", body).status, 200);
  // Names that could leave the repository are refused (or never routed).
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/../load", "", {"Authorization: Bearer sekret"}).status, 400);
  // An encoded slash stays "%2F" (never a path separator), so the name is invalid.
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/..%2Fetc/load", "", {"Authorization: Bearer sekret"}).status, 400);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/repository/models/ghost/load", "", {"Authorization: Bearer sekret"}).status, 404);
  EXPECT_EQ(s.Terminate(), 0);
  Server no_admin(f.model);
  EXPECT_EQ(Http(no_admin.port(), "POST", "/v2/repository/index").status, 403);
}

}  // namespace
}  // namespace ming::servertest

namespace ming::servertest {
namespace {

// Regression models answer one FP64 "value" per row, equal to `ming predict`.
TEST(Serve, RegressionValueEqualsCli) {
  const ServedFixture& f = Served();
  ASSERT_EQ(RunMing("train inv.csv --label distance_km --task regression --ignore accepted -o reg.ming --epochs 2 --hidden 8 --quiet", f.dir), 0) << Slurp(f.dir + "/.stderr");
  ASSERT_EQ(RunMing("predict reg.ming rows.csv -o reg.csv", f.dir), 0);
  Server s(f.dir + "/reg.ming");
  ASSERT_GT(s.port(), 0);
  auto meta = json::parse(Http(s.port(), "GET", "/v2/models/reg").body);
  ASSERT_EQ(meta["outputs"].size(), 3u);  // value, then contributions and base_value
  EXPECT_EQ(meta["outputs"][0], json::parse(R"({"name":"value","datatype":"FP64","shape":[-1]})"));
  // rows.csv has distance_km as an input column too; the regression model ignores it.
  json body = {{"inputs", json::array()}};
  for (const auto& in : meta["inputs"]) {
    const size_t c = static_cast<size_t>(std::find(f.header.begin(), f.header.end(), in["name"].get<std::string>()) - f.header.begin());
    ASSERT_LT(c, f.header.size());
    json data = json::array();
    for (const auto& r : f.rows) data.push_back(r[c]);
    body["inputs"].push_back({{"name", in["name"]}, {"datatype", "BYTES"}, {"shape", {f.rows.size()}}, {"data", data}});
  }
  auto r = Http(s.port(), "POST", "/v2/models/reg/infer", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json out = json::parse(r.body)["outputs"][0];
  std::istringstream pred(Slurp(f.dir + "/reg.csv"));
  std::string line;
  std::getline(pred, line);
  EXPECT_EQ(line, "value");
  for (size_t i = 0; i < f.rows.size(); ++i) {
    ASSERT_TRUE(std::getline(pred, line));
    EXPECT_EQ(G6(out["data"][i].get<double>()), line) << i;
  }
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest
