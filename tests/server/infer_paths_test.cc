// Router::Handle in-process on the inference endpoints: Inference-Header-Content-Length
// checks, too many rows (413), binary outputs decoded against the JSON ones (classification
// and regression, inline and through the batcher), a full batching queue (503), explain on a
// model without background rows, and the v1 ?explain query values.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "router_util.h"

namespace ming::server::routertest {
namespace {

using nlohmann::json;

// Length-prefixed BYTES elements of the binary extension.
std::vector<std::string> DecodeBytes(std::string_view raw) {
  std::vector<std::string> out;
  while (raw.size() >= 4) {
    uint32_t n;
    std::memcpy(&n, raw.data(), 4);
    out.emplace_back(raw.substr(4, n));
    raw.remove_prefix(4 + n);
  }
  return out;
}

template <class T>
std::vector<T> DecodeNumbers(std::string_view raw) {
  std::vector<T> out(raw.size() / sizeof(T));
  std::memcpy(out.data(), raw.data(), out.size() * sizeof(T));
  return out;
}

// Inference-Header-Content-Length: malformed (as the HTTP layer marks it) or past the body
// is 400; equal to the body means all-JSON and is answered as usual.
TEST(RouterInfer, HeaderLengthChecks) {
  Served s({"tiny"});
  const std::string body = InferBody(2);
  Answer a = s.Send(Call("POST", "/v2/models/tiny/infer", body, "", kBadHeader));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Error(), "Inference-Header-Content-Length must be a non-negative integer");
  a = s.Send(Call("POST", "/v2/models/tiny/infer", body, "", static_cast<int64_t>(body.size()) + 1));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Error(), "Inference-Header-Content-Length " + std::to_string(body.size() + 1) + " exceeds the body");
  a = s.Send(Call("POST", "/v2/models/tiny/infer", body, "", static_cast<int64_t>(body.size())));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.Json()["outputs"][0]["shape"], json::array({2}));
  a = s.Send(Call("POST", "/v2/models/tiny/infer", body + "xy", "", static_cast<int64_t>(body.size())));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Error(), "the body has 2 bytes after the last tensor");
}

// More rows than --max-rows is 413 on v2 and v1; exactly the limit is served.
TEST(RouterInfer, TooManyRowsIs413) {
  RouterOptions o;
  o.max_rows = 2;
  Served s({"tiny"}, o);
  EXPECT_EQ(s.Post("/v2/models/tiny/infer", InferBody(2)).status, 200);
  Answer a = s.Post("/v2/models/tiny/infer", InferBody(3));
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(a.Error().rfind("too many rows: 3", 0), 0u) << a.body;
  a = s.Post("/v1/models/tiny/predict", "[{},{},{}]");
  EXPECT_EQ(a.status, 413);
}

// Only EncodeRequest's "too many rows" error is 413: the same words inside a field or input
// name that the client sent stay a 400.
TEST(RouterInfer, TooManyRowsInANameIsStill400) {
  Served s({"tiny"});
  Answer a = s.Post("/v1/models/tiny/predict", R"([{"too many rows":1}])");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Error(), "row 0: unknown field 'too many rows'");
  a = s.Post("/v2/models/tiny/infer",
             R"({"inputs":[{"name":"too many rows","datatype":"FP32","shape":[1],"data":[1]}]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.Error().find("'too many rows'"), std::string::npos) << a.body;
}

// binary_data_output: labels come length-prefixed and probabilities as FP32 bytes, equal to
// the JSON answer to the same rows; the header length and sizes add up to the body.
TEST(RouterInfer, BinaryClassificationOutputsEqualJson) {
  Served s({"tiny"});
  const json plain = s.Post("/v2/models/tiny/infer", InferBody(3)).Json();
  const Answer a = s.Post("/v2/models/tiny/infer", InferBody(3, ",\"parameters\":{\"binary_data_output\":true}"));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_GE(a.header_len, 0);
  EXPECT_EQ(a.content_type, "application/octet-stream");
  const json head = a.Json();
  ASSERT_EQ(head["outputs"].size(), 2u);
  const size_t label_size = head["outputs"][0]["parameters"]["binary_data_size"];
  const size_t prob_size = head["outputs"][1]["parameters"]["binary_data_size"];
  EXPECT_FALSE(head["outputs"][0].contains("data"));
  ASSERT_EQ(label_size + prob_size, a.Raw().size());
  EXPECT_EQ(prob_size, 3 * 2 * sizeof(float));  // [rows, classes]
  const std::vector<std::string> labels = DecodeBytes(a.Raw().substr(0, label_size));
  EXPECT_EQ(json(labels), plain["outputs"][0]["data"]);
  const std::vector<float> probs = DecodeNumbers<float>(a.Raw().substr(label_size));
  for (size_t i = 0; i < probs.size(); ++i) EXPECT_FLOAT_EQ(probs[i], plain["outputs"][1]["data"][i].get<float>());
}

// A regression model answers one FP64 "value" output, as JSON or (per output) binary, and
// v1 rows {"value": x} with the same numbers; asking it for "label" names its outputs.
TEST(RouterInfer, RegressionValueJsonBinaryAndV1) {
  Served s({"reg"});
  const std::string rows = InferBody(2, "", true);
  const json plain = s.Post("/v2/models/reg/infer", rows).Json();
  ASSERT_EQ(plain["outputs"].size(), 1u) << plain;
  EXPECT_EQ(plain["outputs"][0]["name"], "value");
  EXPECT_EQ(plain["outputs"][0]["datatype"], "FP64");
  EXPECT_EQ(plain["outputs"][0]["shape"], json::array({2}));
  const std::string bin_rows = rows.substr(0, rows.size() - 1) +
                               ",\"outputs\":[{\"name\":\"value\",\"parameters\":{\"binary_data\":true}}]}";
  const Answer a = s.Post("/v2/models/reg/infer", bin_rows);
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(a.Raw().size(), 2 * sizeof(double));
  const std::vector<double> v = DecodeNumbers<double>(a.Raw());
  const Answer v1 = s.Post("/v1/models/reg/predict",
                           R"([{"member":true,"city":"paris","accepted":"yes"},{"member":false,"city":"lyon","accepted":"no"}])");
  ASSERT_EQ(v1.status, 200) << v1.body;
  for (int r = 0; r < 2; ++r) {
    EXPECT_NEAR(v[r], plain["outputs"][0]["data"][r].get<double>(), 1e-6 * std::abs(v[r]));
    EXPECT_NEAR(v1.Json()[r]["value"].get<double>(), v[r], 1e-6 * std::abs(v[r]));
  }
  const Answer bad = s.Post("/v2/models/reg/infer", rows.substr(0, rows.size() - 1) + ",\"outputs\":[{\"name\":\"label\"}]}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Error(), "unknown output 'label'; the model's outputs are: value (and contributions, base_value with \"explain\": true)");
}

// Explain on a model without background rows fails with 400 on v2 and v1, while the same
// request without explain is served.
TEST(RouterInfer, ExplainWithoutBackgroundIs400) {
  Served s({"nobg"});
  Answer a = s.Post("/v2/models/nobg/infer", InferBody(1, ",\"parameters\":{\"explain\":true}"));
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.Error().find("background"), std::string::npos) << a.body;
  Call c("POST", "/v1/models/nobg/predict", "[{\"age\":30}]");
  c.query = {{"explain", "true"}};
  a = s.Send(c);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.Error().find("background"), std::string::npos) << a.body;
  EXPECT_EQ(s.Post("/v2/models/nobg/infer", InferBody(1)).status, 200);
}

// v1 ?explain: true/1/bare add contributions, false/0 do not, anything else is 400; other
// query keys are ignored.
TEST(RouterPredict, ExplainQueryValues) {
  Served s({"tiny"});
  auto with = [&](std::vector<std::pair<std::string, std::string>> q) {
    Call c("POST", "/v1/models/tiny/predict", R"([{"age":30,"member":true,"city":"nice"}])");
    c.query = std::move(q);
    return s.Send(c);
  };
  for (const char* v : {"true", "1", ""}) {
    const Answer a = with({{"foo", "bar"}, {"explain", v}});
    ASSERT_EQ(a.status, 200) << v << ": " << a.body;
    EXPECT_EQ(a.Json()[0]["contributions"].size(), 3u) << v;
    EXPECT_EQ(a.Json()[0]["method"], "exact");
  }
  for (const char* v : {"false", "0"}) {
    const Answer a = with({{"explain", v}});
    ASSERT_EQ(a.status, 200) << v;
    EXPECT_FALSE(a.Json()[0].contains("contributions")) << v;
  }
  const Answer bad = with({{"explain", "maybe"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Error(), "query parameter explain must be true or false, got 'maybe'");
  EXPECT_EQ(with({{"explain", "true"}, {"explain", "false"}}).Json()[0].contains("contributions"), false);
  const Answer nope = s.Post("/v1/models/nope/predict", "[{}]");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(nope.Error(), "unknown model 'nope'");
}

// With batching on, a single row goes through the batcher and still gets binary outputs
// with their header length; /metrics counts the batches and reports the queue.
TEST(RouterBatched, SingleRowBinaryThroughTheBatcher) {
  RouterOptions o;
  o.max_delay_us = 1000;
  Served s({"tiny"}, o);
  const json plain = s.Post("/v2/models/tiny/infer", InferBody(1)).Json();
  const Answer a = s.Post("/v2/models/tiny/infer", InferBody(1, ",\"id\":\"r1\",\"parameters\":{\"binary_data_output\":true}"));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_GE(a.header_len, 0);
  EXPECT_EQ(a.Json()["id"], "r1");
  const size_t label_size = a.Json()["outputs"][0]["parameters"]["binary_data_size"];
  EXPECT_EQ(json(DecodeBytes(a.Raw().substr(0, label_size))), plain["outputs"][0]["data"]);
  EXPECT_FLOAT_EQ(DecodeNumbers<float>(a.Raw().substr(label_size)).at(0), plain["outputs"][1]["data"][0].get<float>());
  const Answer m = s.Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("\nming_batch_size_rows_count 2\n"), std::string::npos) << m.body;  // both rows batched
  EXPECT_NE(m.body.find("\nming_batch_queue_depth 0\n"), std::string::npos) << m.body;
}

// A batch that fills up runs at once, long before its delay: the batcher is woken by the
// row that completes the batch, not only by the deadline.
TEST(RouterBatched, AFullBatchRunsWithoutWaitingForTheDelay) {
  RouterOptions o;
  o.max_delay_us = 60'000'000;  // a minute: only a full batch can end the wait in time
  o.max_batch = 4;
  Served s({"tiny"}, o);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  std::vector<int> status(4, 0);
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] { status[static_cast<size_t>(c)] = s.Post("/v2/models/tiny/infer", InferBody(1)).status; });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
  EXPECT_EQ(status, std::vector<int>(4, 200));
  const Answer m = s.Get("/metrics");
  EXPECT_NE(m.body.find("\nming_batch_size_rows_count 1\n"), std::string::npos) << m.body;  // one batch
  EXPECT_NE(m.body.find("\nming_batch_size_rows_sum 4\n"), std::string::npos) << m.body;    // of 4 rows
}

// A full batching queue answers a single row 503 at once; several rows and explain requests
// bypass the queue and are served.
TEST(RouterBatched, FullQueueIs503) {
  RouterOptions o;
  o.max_delay_us = 1000;
  o.max_queue = 0;
  Served s({"tiny"}, o);
  const Answer a = s.Post("/v2/models/tiny/infer", InferBody(1));
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.Error(), "the batching queue is full; retry later");
  EXPECT_EQ(s.Post("/v2/models/tiny/infer", InferBody(2)).status, 200);
  EXPECT_EQ(s.Post("/v2/models/tiny/infer", InferBody(1, ",\"parameters\":{\"explain\":true}")).status, 200);
}

}  // namespace
}  // namespace ming::server::routertest
