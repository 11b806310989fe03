// Open Inference Protocol (KServe v2) REST bodies: the infer request (JSON, or JSON plus
// Triton's binary tensor extension) into an InferRequest, an InferResult into the response
// body, and the protocol's {"error": "..."} body.
// Thread-safety: reentrant (each thread has its own JSON parser).
#pragma once

#include <string>
#include <string_view>

#include "ming/ming.h"
#include "ming/status.h"
#include "server/protocol.h"

namespace ming::server {

// Parses an infer request. body[0, json_len) is the JSON header (json_len == body.size()
// without the binary extension); binary tensors follow it. body.data() must stay readable
// for `capacity` >= json_len + 64 bytes (simdjson's padding). Cells point into body, into
// the parser's per-thread string buffer (valid until this thread parses again) or into
// req->owned. Errors are kInvalidInput and say what is wrong and where.
Status ParseInferRequest(std::string_view body, size_t capacity, size_t json_len,
                         InferRequest* req);

// The outputs an explain request adds: contributions FP32 [batch, fields] (fields in the
// model's input order) and base_value FP32 [batch]; both carry parameters "method"
// ("exact", "sampling" or "mixed"), "explained" ("log-odds", "value" or "predicted class
// logit") and "target" (e.g. "log-odds of accepted = yes", when all rows share it).
inline constexpr const char* kContributions = "contributions";
inline constexpr const char* kBaseValue = "base_value";

// Checks the requested output names against the model's outputs (the explain outputs
// need req.explain).
Status CheckOutputs(const Model& m, const InferRequest& req);

// Names of the model's outputs: {"label", "probabilities"} or {"value"}.
struct OutputSpec {
  const char* name;
  DataType dtype;
};
int ModelOutputs(const Model& m, OutputSpec out[2]);

// Renders res as the response body, with the explain outputs when res.explained.
// *json_len is the JSON header's length when any output is binary (the caller sends
// Inference-Header-Content-Length), else body->size().
void RenderInferResult(const Model& m, const InferRequest& req, const InferResult& res,
                       std::string* body, size_t* json_len);

// {"error": "<message>"}
std::string ErrorBody(std::string_view message);

}  // namespace ming::server
