// Fuzz target: an Open Inference Protocol request body against a fixed model signature
// (numeric "age", boolean "member", categorical "city"; binary label), through what the
// router does with it: ParseInferRequest, CheckOutputs, EncodeRequest, RunRows, ExplainRows
// and RenderInferResult; or, by the flag byte, a v1 rows body through ParseRowsRequest and
// RenderRows. Property: every answer (result or {"error": ..} body) is valid JSON (UTF-8
// included), and the binary tail has the sizes the JSON header declares.
// Input: flags byte (bit 0: binary extension, then 2 bytes of json_len; bit 1: v1 rows),
// then the body. The body sits in a buffer of exactly json_len + 64 bytes past its end
// (ParseInferRequest's padding contract), the padding filled with junk, as an HTTP
// request body's spare capacity would be.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "runtime/model_impl.h"
#include "server/explain_pool.h"
#include "server/infer.h"
#include "server/v1_json.h"
#include "server/v2_json.h"
#include "server_fixture.h"

// GCC 12 reports a false -Wrestrict for assigning a literal to a std::string here (the
// known libstdc++/GCC 12 issue, as in server/model_store.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace {

using namespace ming;
using namespace ming::server;

struct Fixture {
  std::shared_ptr<const Model> model;
  ExplainerPool explainers;
  Workspace ws;
};

Fixture& Fix() {
  static Fixture* f = [] {
    auto* x = new Fixture;
    x->model = std::make_shared<const Model>(std::make_unique<ModelImpl>(fuzz::TinyModelData()));
    return x;
  }();
  return *f;
}

void CheckJson(std::string_view text) {
  if (!nlohmann::json::accept(text)) __builtin_trap();
}

void CheckError(const Status& st) { CheckJson(ErrorBody(st.message())); }

// The router's v2 infer path after the HTTP layer (max_rows 16 keeps explain cheap).
void RunV2(std::string_view body, size_t capacity, size_t json_len) {
  Fixture& f = Fix();
  const Model& m = *f.model;
  InferRequest req;
  Status st = ParseInferRequest(body, capacity, json_len, &req);
  if (st.ok()) st = CheckOutputs(m, req);
  int64_t rows = 0;
  if (st.ok()) st = EncodeRequest(m, req, 16, f.ws, &rows);
  if (!st.ok()) return CheckError(st);
  InferResult res;
  res.model = "tiny";
  res.version = "1";
  res.id = req.id;
  RunRows(m, f.ws.X.data(), rows, f.ws, &res);
  if (req.explain) {
    st = ExplainRows(f.model, f.explainers, f.ws.X.data(), rows, &res);
    if (!st.ok()) return CheckError(st);
  }
  std::string out;
  size_t out_json = 0;
  RenderInferResult(m, req, res, &out, &out_json);
  if (out_json > out.size()) __builtin_trap();
  auto head = nlohmann::json::parse(out.substr(0, out_json), nullptr, false);
  if (head.is_discarded()) __builtin_trap();
  size_t tail = 0;
  for (const auto& o : head["outputs"]) {
    if (o.contains("parameters") && o["parameters"].contains("binary_data_size")) {
      tail += o["parameters"]["binary_data_size"].get<size_t>();
    } else if (!o.contains("data")) {
      __builtin_trap();
    }
  }
  if (tail != out.size() - out_json) __builtin_trap();
}

void RunV1(std::string_view body, size_t capacity) {
  Fixture& f = Fix();
  const Model& m = *f.model;
  InferRequest req;
  int64_t rows = 0;
  Status st = ParseRowsRequest(m, body, capacity, &req);
  if (st.ok()) st = EncodeRequest(m, req, 16, f.ws, &rows);
  if (!st.ok()) return CheckError(st);
  InferResult res;
  RunRows(m, f.ws.X.data(), rows, f.ws, &res);
  CheckJson(RenderRows(m, res));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ming::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const bool binary = (flags & 1) != 0, v1 = (flags & 2) != 0;
  size_t json_len = binary ? in.Byte() | (size_t{in.Byte()} << 8) : 0;
  const std::string_view rest = in.Rest();
  json_len = binary ? json_len % (rest.size() + 1) : rest.size();
  // Exactly the padding the contract promises, so reading past it is an ASan report.
  const size_t capacity = rest.size() + 64;
  std::unique_ptr<char[]> buf(new char[capacity]);
  std::memcpy(buf.get(), rest.data(), rest.size());
  for (size_t i = rest.size(); i < capacity; ++i) buf[i] = "\"]}1\\"[i % 5];
  const std::string_view body(buf.get(), rest.size());
  if (v1) {
    RunV1(body, capacity);
  } else {
    RunV2(body, capacity, json_len);
  }
  return 0;
}
