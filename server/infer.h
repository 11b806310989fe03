// The inference step of the request path, independent of the wire format: check an
// InferRequest against a model's signature (one input tensor per model field, shape [B] or
// [B, 1]), encode its rows with the model's stored preprocessing, run the plan, and fill
// an InferResult. Rows are run in chunks of 256 through Plan::Run, as `ming predict` does,
// so a request's predictions equal the CLI's bit for bit.
// Thread-safety: the functions are reentrant; each thread uses its own Workspace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ming/ming.h"
#include "ming/status.h"
#include "runtime/plan.h"
#include "server/explain_pool.h"
#include "server/protocol.h"

namespace ming::server {

// Per-thread buffers, grown on demand and reused: X[rows, inputs], out[rows, outputs], cells.
struct Workspace {
  std::vector<float> X, out;
  std::vector<std::string_view> cells;
  std::vector<int> field_of_input;
  std::unique_ptr<PlanScratch> scratch;
  PlanScratch& Scratch(const Plan& plan);  // for 256 rows of `plan`
};

// The datatype an input field is described with in model metadata.
DataType FieldDataType(const Model& m, int field);

// Validates req's inputs against m (names, no duplicates, all present, datatypes, shapes,
// consistent batch size 1..max_rows, no NaN/infinity) and encodes them into ws.X.
// On success *rows is the batch size. Errors are kInvalidInput and name the input at fault;
// too many rows is reported with the prefix "too many rows".
Status EncodeRequest(const Model& m, const InferRequest& req, int64_t max_rows, Workspace& ws,
                     int64_t* rows);

// Runs X[rows, inputs] through m's plan (chunks of 256) and writes the predictions into res.
void RunRows(const Model& m, const float* X, int64_t rows, Workspace& ws, InferResult* res);

// Turns raw network outputs out[rows, outputs] into labels/probabilities/values in res,
// starting at result row `first` (res must be sized). Used by the batcher too.
void OutputsToResult(const Model& m, const float* out, int64_t rows, int64_t first,
                     InferResult* res);
// Fills res->explain with Shapley contributions of each of m's fields for the encoded rows
// X[rows, inputs] (what `ming explain` computes, with its default options), using an
// explainer borrowed from `pool` (the pool of the ServedModel m belongs to). Errors
// (kInvalidInput): m carries no background rows. About 1 ms per row for ~10 fields.
Status ExplainRows(const std::shared_ptr<const Model>& m, ExplainerPool& pool, const float* X,
                   int64_t rows, InferResult* res);

// Sizes res for `rows` rows of m's outputs.
void SizeResult(const Model& m, int64_t rows, InferResult* res);

}  // namespace ming::server
