// The wire-independent request path: a parsed inference request (from REST/JSON, Triton's
// binary extension, the v1 rows endpoint, or later gRPC) and the result it produces. Front
// ends fill InferRequest and render InferResult; nothing here knows about HTTP or JSON.
// Thread-safety: plain values, owned by one request at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace ming::server {

// Open Inference Protocol tensor datatypes that ming accepts or produces.
enum class DataType { kBool, kInt8, kInt16, kInt32, kInt64, kUint8, kUint16, kUint32, kUint64,
                      kFp32, kFp64, kBytes, kCount };
// "FP32" -> kFp32; kCount when unknown.
DataType ParseDataType(std::string_view s);
const char* DataTypeName(DataType t);
// Bytes per element in the binary extension (0 for BYTES, which is length-prefixed).
int DataTypeSize(DataType t);

// One named input tensor. cells[i] is element i (row-major) as raw text, exactly as a CSV
// cell would be ("" = missing); views point into the request body or InferRequest::owned.
struct InputTensor {
  std::string_view name;
  DataType dtype = DataType::kCount;
  std::vector<int64_t> shape;
  std::vector<std::string_view> cells;
  bool has_nonfinite = false;  // a NaN or infinity arrived in a numeric tensor
};

struct RequestedOutput {
  std::string name;
  bool binary = false;  // Triton binary extension: answer raw bytes after the JSON header
};

struct InferRequest {
  std::string model, version;  // version "" = the model's default (latest) version
  std::string id;              // echoed in the result
  std::vector<InputTensor> inputs;
  std::vector<RequestedOutput> outputs;  // empty: all outputs
  bool binary_outputs = false;           // request-level "binary_data_output"
  bool explain = false;                  // request-level "explain": add contributions
  std::deque<std::string> owned;         // storage for cells that are not in the body
};

// Per-row Shapley contributions of each model field to the explained output (see
// ming/explain.h): base[r] + sum(contributions[r, :]) == that row's explained output.
struct RowExplanations {
  int fields = 0;                    // the model's fields, in metadata input order
  std::vector<float> contributions;  // [rows * fields]
  std::vector<float> base;           // [rows]
  std::vector<uint8_t> exact;        // [rows] 1: exact Shapley values, 0: sampled
  std::vector<std::string> target;   // [rows] e.g. "log-odds of accepted = yes"
  const char* output = "";           // "log-odds", "value" or "predicted class logit"
  // "exact", "sampling", or "mixed" when the rows differ.
  const char* Method() const;
};

// What one request produced. probabilities[rows * classes] for classification;
// values[rows] for regression. labels index the model's classes.
struct InferResult {
  std::string model, version, id;
  int64_t rows = 0;
  int classes = 0;               // 0 for regression
  std::vector<int> class_index;  // per row (classification)
  std::vector<float> probabilities;
  std::vector<double> values;    // per row (regression)
  bool explained = false;        // explain filled (the request asked for it)
  RowExplanations explain;
};

}  // namespace ming::server
