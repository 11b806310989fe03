// `ming serve` end to end: the real binary on a free loopback port, spoken to over TCP.
// Every endpoint, every error code, predictions equal to `ming predict`, the binary tensor
// extension, metrics (checked by promtool when installed), batching, limits and draining.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_util.h"

namespace ming::servertest {
namespace {

using nlohmann::json;

std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `ming ARGS` in dir; returns the exit code (stdout to dir/.out).
int RunMing(const std::string& args, const std::string& dir) {
  const std::string cmd = "cd '" + dir + "' && " MING_BINARY " " + args + " >'" + dir + "/.out' 2>'" + dir + "/.err'";
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') out.emplace_back(); else out.back() += c;
  }
  return out;
}

// A small invitation model and CSV shared by the tests (built once).
struct Fixture {
  std::string dir, model, csv;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // input cells (label column dropped)
};

const Fixture& Fix() {
  static Fixture* f = [] {
    auto* x = new Fixture;
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
  const Fixture& f = Fix();
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
  Server s(Fix().model);
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
    ASSERT_EQ(j["inputs"].size(), Fix().header.size());
    EXPECT_EQ(j["inputs"][0]["name"], Fix().header[0]);
    EXPECT_EQ(j["inputs"][1]["datatype"], "BYTES");  // weather is categorical
    EXPECT_EQ(j["outputs"][0]["name"], "label");
    EXPECT_EQ(j["outputs"][1]["shape"], json::array({-1, 2}));
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
  const Fixture& f = Fix();
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
  Server s(Fix().model);
  ASSERT_GT(s.port(), 0);
  std::vector<std::vector<std::string>> row = {{"no", "sunny", "", "good", "yes", "no", "no", "mon", "park", "12", "3.5"}};
  ASSERT_EQ(row[0].size(), Fix().header.size());
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
  Server s(Fix().model + " --max-rows 50");
  ASSERT_GT(s.port(), 0);
  const int p = s.port();
  json ok = InferBody({Fix().rows[0]});
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
  std::vector<std::vector<std::string>> many(51, Fix().rows[0]);
  ExpectError(p, InferBody(many).dump(), 413, "too many rows");
  ExpectError(p, "[{\"weather\": \"sunny\", \"colour\": \"red\"}]", 400, "unknown field 'colour'", "/v1/models/inv/predict");
  ExpectError(p, "{\"weather\": 1}", 400, "expected an array", "/v1/models/inv/predict");
  EXPECT_EQ(Http(p, "GET", "/v2/models/inv/infer").status, 405);
  EXPECT_EQ(Http(p, "POST", "/v2/models/inv/infer", ok.dump()).status, 200);  // still serving
  EXPECT_EQ(s.Terminate(), 0);
}

TEST(Serve, BodyLimitIs413) {
  Server s(Fix().model + " --max-body-mib 1");
  ASSERT_GT(s.port(), 0);
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", std::string(2 << 20, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(Http(s.port(), "GET", "/v2/health/live").status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest
