// The pieces around the parsers: datatype names/sizes and the explanation method, CheckOutputs,
// the v2 response for regression and explanations (non-finite values, "target" only when the
// rows share it, binary explain outputs), the v1 rows parser's field types and the v1 rows
// answer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "fuzz/server_fixture.h"
#include "runtime/model_impl.h"
#include "server/v1_json.h"
#include "server/v2_json.h"

namespace ming::server {
namespace {

using nlohmann::json;

std::shared_ptr<const Model> Tiny() {
  static auto m = std::make_shared<const Model>(std::make_unique<ModelImpl>(fuzz::TinyModelData()));
  return m;
}
std::shared_ptr<const Model> Reg() {
  static auto m = std::make_shared<const Model>(
      std::make_unique<ModelImpl>(fuzz::TinyModelDataFor("age", Task::kRegression)));
  return m;
}

// Datatype names round-trip, are case-sensitive, and kCount is "?" with size 0.
TEST(Protocol, DatatypeNamesAndSizes) {
  const int sizes[] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8, 0};
  for (int i = 0; i < static_cast<int>(DataType::kCount); ++i) {
    const auto t = static_cast<DataType>(i);
    EXPECT_EQ(ParseDataType(DataTypeName(t)), t);
    EXPECT_EQ(DataTypeSize(t), sizes[i]) << DataTypeName(t);
  }
  EXPECT_EQ(ParseDataType("fp32"), DataType::kCount);
  EXPECT_STREQ(DataTypeName(DataType::kCount), "?");
  EXPECT_EQ(DataTypeSize(DataType::kCount), 0);
}

// The explanation method: exact unless some row was sampled; "mixed" when rows differ.
TEST(Protocol, ExplanationMethod) {
  RowExplanations e;
  EXPECT_STREQ(e.Method(), "exact");
  e.exact = {1, 1};
  EXPECT_STREQ(e.Method(), "exact");
  e.exact = {0, 0};
  EXPECT_STREQ(e.Method(), "sampling");
  e.exact = {1, 0};
  EXPECT_STREQ(e.Method(), "mixed");
}

InferRequest Outputs(std::initializer_list<const char*> names, bool explain = false) {
  InferRequest r;
  for (const char* n : names) r.outputs.push_back({n, false});
  r.explain = explain;
  return r;
}

// Requested output names: known ones pass, repeats and unknown ones are refused, the
// explain outputs need "explain": true.
TEST(CheckOutputs, NamesRepeatsAndExplain) {
  const Model& m = *Tiny();
  EXPECT_TRUE(CheckOutputs(m, Outputs({"probabilities", "label"})).ok());
  EXPECT_EQ(CheckOutputs(m, Outputs({"label", "probabilities", "label"})).message(), "output 'label' requested twice");
  EXPECT_EQ(CheckOutputs(m, Outputs({"value"})).message(),
            "unknown output 'value'; the model's outputs are: label, probabilities "
            "(and contributions, base_value with \"explain\": true)");
  EXPECT_EQ(CheckOutputs(m, Outputs({"base_value"})).message(),
            "output 'base_value' needs \"explain\": true in the request's parameters");
  EXPECT_TRUE(CheckOutputs(m, Outputs({"contributions", "base_value", "label"}, true)).ok());
  EXPECT_TRUE(CheckOutputs(*Reg(), Outputs({"value"})).ok());
}

json Render(const Model& m, const InferRequest& req, const InferResult& res, std::string* raw = nullptr) {
  std::string body;
  size_t json_len = 0;
  RenderInferResult(m, req, res, &body, &json_len);
  if (raw) *raw = body.substr(json_len);
  else EXPECT_EQ(json_len, body.size());
  return json::parse(body.substr(0, json_len));
}

// A regression answer writes a non-finite value as null (v2 and v1 alike).
TEST(Render, RegressionNonFiniteIsNull) {
  InferResult res;
  res.rows = 3;
  res.values = {1.5, std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()};
  const json j = Render(*Reg(), InferRequest(), res);
  EXPECT_EQ(j["outputs"][0]["data"], json::parse("[1.5,null,null]"));
  EXPECT_EQ(json::parse(RenderRows(*Reg(), res)), json::parse(R"([{"value":1.5},{"value":null},{"value":null}])"));
}

// Two classified rows with crafted explanations over the tiny model's 3 fields.
InferResult Explained(std::vector<std::string> target, std::vector<uint8_t> exact) {
  InferResult res;
  res.rows = 2;
  res.classes = 2;
  res.class_index = {0, 1};
  res.probabilities = {0.75f, 0.25f, 0.5f, 0.5f};
  res.explained = true;
  res.explain.fields = 3;
  res.explain.contributions = {0.5f, -0.25f, 1, 2, 0, -1};
  res.explain.base = {0.125f, -0.5f};
  res.explain.exact = std::move(exact);
  res.explain.target = std::move(target);
  res.explain.output = "predicted class logit";
  return res;
}

// Explain outputs carry "target" only when every row explains the same thing, and the
// method of all rows together.
TEST(Render, ExplainTargetOnlyWhenRowsShareIt) {
  const Model& m = *Tiny();
  InferRequest req;
  req.explain = true;
  json j = Render(m, req, Explained({"logit of no", "logit of yes"}, {1, 0}));
  ASSERT_EQ(j["outputs"].size(), 4u);
  const json& c = j["outputs"][2];
  EXPECT_EQ(c["name"], "contributions");
  EXPECT_EQ(c["shape"], json::array({2, 3}));
  EXPECT_EQ(c["data"], json::parse("[0.5,-0.25,1,2,0,-1]"));
  EXPECT_FALSE(c["parameters"].contains("target"));
  EXPECT_EQ(c["parameters"]["method"], "mixed");
  EXPECT_EQ(c["parameters"]["explained"], "predicted class logit");
  j = Render(m, req, Explained({"logit of no", "logit of no"}, {0, 0}));
  EXPECT_EQ(j["outputs"][3]["parameters"]["target"], "logit of no");
  EXPECT_EQ(j["outputs"][3]["parameters"]["method"], "sampling");
  j = Render(m, req, Explained({}, {1, 1}));
  EXPECT_FALSE(j["outputs"][3]["parameters"].contains("target"));
}

// Binary explain outputs: contributions and base_value as FP32 bytes, sizes declared.
TEST(Render, BinaryExplainOutputs) {
  const Model& m = *Tiny();
  InferRequest req = Outputs({"base_value", "contributions"}, true);
  req.binary_outputs = true;
  std::string raw;
  const json j = Render(m, req, Explained({"t", "t"}, {1, 1}), &raw);
  ASSERT_EQ(j["outputs"].size(), 2u);  // in the model's order, not the request's
  EXPECT_EQ(j["outputs"][0]["name"], "contributions");
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], 6 * sizeof(float));
  EXPECT_EQ(j["outputs"][1]["parameters"]["binary_data_size"], 2 * sizeof(float));
  EXPECT_EQ(j["outputs"][1]["parameters"]["target"], "t");
  ASSERT_EQ(raw.size(), 8 * sizeof(float));
  float base[2];
  std::memcpy(base, raw.data() + 6 * sizeof(float), sizeof base);
  EXPECT_EQ(base[0], 0.125f);
  EXPECT_EQ(base[1], -0.5f);
}

// v1 rows with explanations: per-row method and target.
TEST(Render, V1RowsExplanation) {
  const json j = json::parse(RenderRows(*Tiny(), Explained({"a", "b"}, {1, 0})));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["method"], "exact");
  EXPECT_EQ(j[1]["method"], "sampling");
  EXPECT_EQ(j[1]["explained"], "b");
  EXPECT_EQ(j[1]["base_value"], -0.5);
  EXPECT_EQ(j[1]["contributions"], json::parse(R"({"age":2,"member":0,"city":-1})"));
  EXPECT_EQ(j[0]["probabilities"], json::parse(R"({"no":0.75,"yes":0.25})"));
}

Status ParseRows(const std::string& body, InferRequest* req) {
  thread_local std::string buf;
  buf.clear();
  buf.reserve(body.size() + 64);
  buf = body;
  return ParseRowsRequest(*Tiny(), buf, buf.capacity(), req);
}

// v1 row fields: numbers keep their text, booleans become true/false, null and absent are
// missing; wrong types and unknown fields name the row.
TEST(V1Parse, RowFields) {
  InferRequest req;
  ASSERT_TRUE(ParseRows("[{\"age\":34 \t\r\n,\"member\":false,\"city\":null},{\"member\":true,\"city\":\"nice\"}]", &req).ok());
  ASSERT_EQ(req.inputs.size(), 3u);
  EXPECT_EQ(req.inputs[0].cells, (std::vector<std::string_view>{"34", ""}));
  EXPECT_EQ(req.inputs[1].cells, (std::vector<std::string_view>{"false", "true"}));
  EXPECT_EQ(req.inputs[2].cells, (std::vector<std::string_view>{"", "nice"}));
  EXPECT_EQ(req.inputs[0].shape, std::vector<int64_t>{2});
  const std::pair<std::string, std::string> bad[] = {
      {"", "malformed JSON in request: "},
      {R"({"age":1})", "malformed JSON in request (expected an array of row objects): "},
      {R"([{"age":1},2])", "malformed JSON in row 1 (expected an object): "},
      {R"([{"agee":1}])", "row 0: unknown field 'agee'"},
      {R"([{},{"age":[1]}])", "row 1: field 'age' must be a string, number, boolean or null"},
      {R"([{"member":trux}])", "malformed JSON in row 0: "},
      {R"([{"age" 1}])", "malformed JSON in row 0: "},
      {R"([{"age":1} {"age":2}])", "malformed JSON in "},
      {R"([{"age":1e999}])", "malformed JSON in row 0: "},
      {R"([{"city":"\q"}])", "malformed JSON in row 0: "},
      {R"([{"age":1}] [])", "malformed JSON in request: trailing content"},
  };
  for (const auto& [body, want] : bad) {
    InferRequest r;
    const Status st = ParseRows(body, &r);
    EXPECT_EQ(st.message().rfind(want, 0), 0u) << body << "\n  got: " << st.message();
  }
}

}  // namespace
}  // namespace ming::server
