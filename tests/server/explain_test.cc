// `explain` through `ming serve`: the v2 contributions/base_value outputs and the v1
// ?explain=true rows add up to the model's log-odds and equal `ming explain --json` on the
// same rows; absent or false adds nothing; `outputs` selects; binary data; a model without
// background rows gets a 400 while plain requests keep working.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/model_file.h"
#include "server_util.h"

namespace ming::servertest {
namespace {

using nlohmann::json;
constexpr int kRows = 6;

struct ExplainFixture {
  std::string dir, model;
  std::vector<std::string> header;             // input fields as in the CSV
  std::vector<std::vector<std::string>> rows;  // first kRows data rows, label dropped
};

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') out.emplace_back(); else out.back() += c;
  }
  return out;
}

int Ming(const std::string& args, const std::string& dir, std::string* out = nullptr) {
  const std::string cmd = "cd '" + dir + "' && " MING_BINARY " " + args + " >'" + dir + "/.xout' 2>'" + dir + "/.xerr'";
  const int st = std::system(cmd.c_str());
  if (out) {
    std::ifstream in(dir + "/.xout");
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const ExplainFixture& Explained() {
  static ExplainFixture* f = [] {
    auto* x = new ExplainFixture;
    x->dir = testing::TempDir() + "/ming_explain_server_" + std::to_string(::getpid());
    std::filesystem::create_directories(x->dir);
    EXPECT_EQ(Ming("generate invitations --rows 800 --seed 11 -o inv.csv", x->dir), 0);
    EXPECT_EQ(Ming("train inv.csv --label accepted -o inv.ming --epochs 3 --hidden 16 --quiet", x->dir), 0);
    x->model = x->dir + "/inv.ming";
    std::ifstream in(x->dir + "/inv.csv");
    std::string line;
    std::getline(in, line);
    x->header = SplitLine(line);
    x->header.pop_back();  // accepted
    for (int r = 0; r < kRows && std::getline(in, line); ++r) {
      x->rows.push_back(SplitLine(line));
      x->rows.back().pop_back();
    }
    return x;
  }();
  return *f;
}

class ExplainCleanup : public testing::Environment {
 public:
  void TearDown() override { std::filesystem::remove_all(testing::TempDir() + "/ming_explain_server_" + std::to_string(::getpid())); }
};
testing::Environment* const g_explain_cleanup =
    testing::AddGlobalTestEnvironment(new ExplainCleanup);

json Body(const std::vector<std::vector<std::string>>& rows, json parameters, json outputs = nullptr) {
  const auto& f = Explained();
  json inputs = json::array();
  for (size_t c = 0; c < f.header.size(); ++c) {
    json data = json::array();
    for (const auto& r : rows) data.push_back(r[c]);
    inputs.push_back({{"name", f.header[c]}, {"datatype", "BYTES"}, {"shape", {rows.size()}}, {"data", data}});
  }
  json b = {{"inputs", inputs}};
  if (!parameters.is_null()) b["parameters"] = parameters;
  if (!outputs.is_null()) b["outputs"] = outputs;
  return b;
}

const json* Output(const json& resp, const std::string& name) {
  for (const json& o : resp["outputs"]) {
    if (o["name"] == name) return &o;
  }
  return nullptr;
}

// The model's field order, from its metadata.
std::vector<std::string> Fields(int port) {
  std::vector<std::string> names;
  const json meta = json::parse(Http(port, "GET", "/v2/models/inv").body);
  for (const json& in : meta["inputs"]) names.push_back(in["name"]);
  return names;
}

TEST(ServeExplain, ContributionsAddUpAndEqualCli) {
  const auto& f = Explained();
  std::string cli_out;
  ASSERT_EQ(Ming("explain inv.ming inv.csv --rows 1,2,3,4,5,6 --json", f.dir, &cli_out), 0);
  const json cli = json::parse(cli_out);
  ASSERT_EQ(cli.size(), static_cast<size_t>(kRows));
  Server s(f.model);
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  const auto fields = Fields(s.port());
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, {{"explain", true}}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  ASSERT_EQ(j["outputs"].size(), 4u);
  const json* probs = Output(j, "probabilities");
  const json* contrib = Output(j, "contributions");
  const json* base = Output(j, "base_value");
  ASSERT_TRUE(probs && contrib && base) << r.body;
  EXPECT_EQ((*contrib)["datatype"], "FP32");
  EXPECT_EQ((*contrib)["shape"], json::array({kRows, fields.size()}));
  EXPECT_EQ((*base)["shape"], json::array({kRows}));
  EXPECT_EQ((*contrib)["parameters"]["method"], "exact");
  EXPECT_EQ((*contrib)["parameters"]["explained"], "log-odds");
  EXPECT_EQ((*contrib)["parameters"]["target"], cli[0]["target"]);
  const size_t F = fields.size();
  for (size_t i = 0; i < kRows; ++i) {
    const double p0 = (*probs)["data"][2 * i].get<double>(), p1 = (*probs)["data"][2 * i + 1].get<double>();
    const double logit = std::log(p1 / p0);
    double sum = (*base)["data"][i].get<double>();
    for (size_t k = 0; k < F; ++k) {
      const double c = (*contrib)["data"][i * F + k].get<double>();
      sum += c;
      EXPECT_NEAR(c, cli[i]["contributions"][fields[k]].get<double>(), 1e-5) << "row " << i << " " << fields[k];
    }
    EXPECT_NEAR(sum, logit, 1e-4) << "row " << i;
    EXPECT_NEAR((*base)["data"][i].get<double>(), cli[i]["base"].get<double>(), 1e-5);
    EXPECT_NEAR(sum, cli[i]["output"].get<double>(), 1e-4);
  }
  // v1: ?explain=true adds the same numbers per row, by field name.
  json rows = json::array();
  for (const auto& row : f.rows) {
    json o = json::object();
    for (size_t c = 0; c < f.header.size(); ++c) o[f.header[c]] = row[c];
    rows.push_back(o);
  }
  auto v1 = Http(s.port(), "POST", "/v1/models/inv/predict?explain=true", rows.dump());
  ASSERT_EQ(v1.status, 200) << v1.body;
  const json v1j = json::parse(v1.body);
  for (size_t i = 0; i < kRows; ++i) {
    EXPECT_EQ(v1j[i]["base_value"].get<float>(), (*base)["data"][i].get<float>());
    EXPECT_EQ(v1j[i]["explained"], cli[i]["target"]);
    EXPECT_EQ(v1j[i]["method"], "exact");
    for (size_t k = 0; k < F; ++k) {
      EXPECT_EQ(v1j[i]["contributions"][fields[k]].get<float>(), (*contrib)["data"][i * F + k].get<float>());
    }
  }
  auto plain = Http(s.port(), "POST", "/v1/models/inv/predict?explain=false", rows.dump());
  ASSERT_EQ(plain.status, 200);
  EXPECT_FALSE(json::parse(plain.body)[0].contains("contributions"));
  EXPECT_EQ(Http(s.port(), "POST", "/v1/models/inv/predict?explain=maybe", rows.dump()).status, 400);
  // The query is read as libmicrohttpd would: percent escapes decoded, '+' a space, empty
  // pieces and other arguments skipped, a bare name read as true.
  for (const char* q : {"?explain=tru%65", "?x=1&&explain&", "?%65xplain=1&y"}) {
    auto same = Http(s.port(), "POST", std::string("/v1/models/inv/predict") + q, rows.dump());
    ASSERT_EQ(same.status, 200) << q << ": " << same.body;
    EXPECT_EQ(json::parse(same.body), v1j) << q;
  }
  auto off = Http(s.port(), "POST", "/v1/models/inv/predict?a=%26&explain=fals%65&", rows.dump());
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(json::parse(off.body), json::parse(plain.body));
  auto spaced = Http(s.port(), "POST", "/v1/models/inv/predict?explain=tr+ue", rows.dump());
  EXPECT_EQ(spaced.status, 400);
  EXPECT_NE(spaced.body.find("got 'tr ue'"), std::string::npos) << spaced.body;
  EXPECT_EQ(s.Terminate(), 0);
}

TEST(ServeExplain, AbsentOrFalseAddsNothingAndOutputsSelect) {
  const auto& f = Explained();
  Server s(f.model + " --max-delay-us 2000");  // batching on: explain bypasses it
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  for (const json& params : {json(nullptr), json{{"explain", false}}}) {
    auto r = Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, params).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["outputs"].size(), 2u);
    EXPECT_EQ(Output(j, "contributions"), nullptr);
  }
  // Only the contributions, for a single row (which would otherwise be batched).
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer",
                Body({f.rows[0]}, {{"explain", true}}, json::array({{{"name", "contributions"}}})).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "contributions");
  EXPECT_EQ(j["outputs"][0]["data"].size(), f.header.size());
  // Asking for an explain output without "explain": true is a client error.
  auto bad = Http(s.port(), "POST", "/v2/models/inv/infer",
                  Body({f.rows[0]}, nullptr, json::array({{{"name", "base_value"}}})).dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("explain"), std::string::npos) << bad.body;
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", Body({f.rows[0]}, {{"explain", "yes"}}).dump()).status, 400);
  EXPECT_EQ(s.Terminate(), 0);
}

// binary_data on the contributions output: raw little-endian FP32 after the JSON header,
// equal to the JSON numbers.
TEST(ServeExplain, BinaryContributions) {
  const auto& f = Explained();
  Server s(f.model);
  ASSERT_GT(s.port(), 0);
  const json outs = json::array({{{"name", "contributions"}, {"parameters", {{"binary_data", true}}}},
                                 {{"name", "base_value"}}});
  auto bin = Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, {{"explain", true}}, outs).dump());
  auto txt = Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, {{"explain", true}}).dump());
  ASSERT_EQ(bin.status, 200) << bin.body;
  ASSERT_EQ(txt.status, 200) << txt.body;
  ASSERT_TRUE(bin.headers.count("inference-header-content-length"));
  const size_t hl = std::stoul(bin.headers["inference-header-content-length"]);
  const json head = json::parse(bin.body.substr(0, hl));
  ASSERT_EQ(head["outputs"].size(), 2u);
  const json& c = head["outputs"][0];
  EXPECT_EQ(c["name"], "contributions");
  EXPECT_EQ(c["parameters"]["method"], "exact");
  const size_t n = c["parameters"]["binary_data_size"].get<size_t>();
  ASSERT_EQ(n, kRows * f.header.size() * 4);
  ASSERT_EQ(bin.body.size(), hl + n);
  const json txt_json = json::parse(txt.body);
  const json& want = (*Output(txt_json, "contributions"))["data"];
  for (size_t i = 0; i < n / 4; ++i) {
    float v;
    std::memcpy(&v, bin.body.data() + hl + 4 * i, 4);
    EXPECT_EQ(v, want[i].get<float>()) << i;
  }
  EXPECT_EQ(head["outputs"][1]["data"], (*Output(txt_json, "base_value"))["data"]);
  EXPECT_EQ(s.Terminate(), 0);
}

// A model saved without background rows cannot explain: 400 naming the cause, and the
// server keeps answering plain requests.
TEST(ServeExplain, NoBackgroundIs400) {
  const auto& f = Explained();
  auto m = LoadModel(f.model);
  ASSERT_TRUE(m.ok()) << m.status().message();
  m->background.clear();
  const std::string path = f.dir + "/nobg.ming";
  ASSERT_TRUE(SaveModel(path, *m).ok());
  Server s(path);
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  const json meta = json::parse(Http(s.port(), "GET", "/v2/models/nobg").body);
  EXPECT_EQ(meta["outputs"].size(), 2u);  // no contributions or base_value offered
  EXPECT_EQ(meta["parameters"]["explain"], false);
  auto r = Http(s.port(), "POST", "/v2/models/nobg/infer", Body(f.rows, {{"explain", true}}).dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("background"), std::string::npos) << r.body;
  EXPECT_EQ(Http(s.port(), "POST", "/v1/models/nobg/predict?explain=1", "[{}]").status, 400);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/nobg/infer", Body(f.rows, nullptr).dump()).status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

// Explanations cost about 1 ms a row, so requests with explain have their own, lower row
// limit (--max-explain-rows); plain requests keep --max-rows.
TEST(ServeExplain, ExplainRowLimitIs413) {
  const auto& f = Explained();
  Server s(f.model + " --max-explain-rows 2");
  ASSERT_GT(s.port(), 0) << s.stderr_text();
  auto r = Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, {{"explain", true}}).dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("the limit is 2 for requests with explain"), std::string::npos) << r.body;
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", Body(f.rows, nullptr).dump()).status, 200);
  const std::vector<std::vector<std::string>> two(f.rows.begin(), f.rows.begin() + 2);
  EXPECT_EQ(Http(s.port(), "POST", "/v2/models/inv/infer", Body(two, {{"explain", true}}).dump()).status, 200);
  json rows = json::array();
  for (const auto& row : f.rows) {
    json o = json::object();
    for (size_t c = 0; c < f.header.size(); ++c) o[f.header[c]] = row[c];
    rows.push_back(o);
  }
  EXPECT_EQ(Http(s.port(), "POST", "/v1/models/inv/predict?explain=true", rows.dump()).status, 413);
  EXPECT_EQ(Http(s.port(), "POST", "/v1/models/inv/predict", rows.dump()).status, 200);
  EXPECT_EQ(s.Terminate(), 0);
}

// Multiclass (the predicted class's logit) and regression (the label's units) explanations
// over HTTP equal `ming explain --json` on the same rows and add up to its output.
TEST(ServeExplain, MulticlassAndRegressionEqualCli) {
  const auto& f = Explained();
  struct Kind {
    const char* label;
    const char* train;
    const char* explained;
  };
  for (const Kind& k : {Kind{"weather", "", "predicted class logit"},
                        Kind{"days_since_last", "--task regression", "value"}}) {
    const std::string name = std::string("by_") + k.label;
    ASSERT_EQ(Ming("train inv.csv --label " + std::string(k.label) + " " + k.train + " -o " + name +
                       ".ming --epochs 2 --hidden 16 --quiet",
                   f.dir),
              0)
        << k.label;
    std::string cli_out;
    ASSERT_EQ(Ming("explain " + name + ".ming inv.csv --rows 1,2,3,4,5,6 --json", f.dir, &cli_out), 0);
    const json cli = json::parse(cli_out);
    // The request: every CSV column but this model's label, as BYTES.
    std::vector<std::string> header = f.header;
    header.push_back("accepted");
    std::ifstream in(f.dir + "/inv.csv");
    std::string line;
    std::getline(in, line);
    std::vector<std::vector<std::string>> rows;
    for (int r = 0; r < kRows && std::getline(in, line); ++r) rows.push_back(SplitLine(line));
    json inputs = json::array();
    for (size_t c = 0; c < header.size(); ++c) {
      if (header[c] == k.label) continue;
      json data = json::array();
      for (const auto& row : rows) data.push_back(row[c]);
      inputs.push_back({{"name", header[c]}, {"datatype", "BYTES"}, {"shape", {kRows}}, {"data", data}});
    }
    Server s(f.dir + "/" + name + ".ming");
    ASSERT_GT(s.port(), 0) << s.stderr_text();
    const json body = {{"inputs", inputs}, {"parameters", {{"explain", true}}}};
    auto r = Http(s.port(), "POST", "/v2/models/" + name + "/infer", body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = json::parse(r.body);
    const json* contrib = Output(j, "contributions");
    const json* base = Output(j, "base_value");
    ASSERT_TRUE(contrib && base) << r.body;
    EXPECT_EQ((*contrib)["parameters"]["explained"], k.explained);
    const json meta = json::parse(Http(s.port(), "GET", "/v2/models/" + name).body);
    std::vector<std::string> fields;
    for (const json& x : meta["inputs"]) fields.push_back(x["name"]);
    ASSERT_EQ((*contrib)["shape"], json::array({kRows, fields.size()}));
    const size_t F = fields.size();
    for (size_t i = 0; i < kRows; ++i) {
      const double scale = 1 + std::fabs(cli[i]["output"].get<double>());
      double sum = (*base)["data"][i].get<double>();
      for (size_t c = 0; c < F; ++c) {
        const double v = (*contrib)["data"][i * F + c].get<double>();
        sum += v;
        EXPECT_NEAR(v, cli[i]["contributions"][fields[c]].get<double>(), 1e-5 * scale)
            << k.label << " row " << i << " " << fields[c];
      }
      EXPECT_NEAR((*base)["data"][i].get<double>(), cli[i]["base"].get<double>(), 1e-5 * scale);
      EXPECT_NEAR(sum, cli[i]["output"].get<double>(), 1e-4 * scale) << k.label << " row " << i;
      if (std::string(k.label) == "days_since_last") {  // the value output is the same number
        EXPECT_NEAR(Output(j, "value")->at("data")[i].get<double>(), cli[i]["output"].get<double>(),
                    1e-3 * scale);
      }
    }
    EXPECT_EQ(s.Terminate(), 0);
  }
}

}  // namespace
}  // namespace ming::servertest
