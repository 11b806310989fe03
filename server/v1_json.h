// The v1 endpoint for application developers: POST /v1/models/{name}/predict with a JSON
// array of rows, each an object of raw field values as in the CSV ({"weather": "sunny",
// "temperature": 22}); absent fields and null count as missing. The answer is one object
// per row, as `ming predict --format jsonl` writes them:
// {"label": "yes", "probabilities": {"no": 0.1, "yes": 0.9}} or {"value": 3.2}.
// With ?explain=true each object also has "contributions" ({field: Shapley value}),
// "base_value", "explained" (e.g. "log-odds of accepted = yes") and "method".
// Thread-safety: reentrant (per-thread parser).
#pragma once

#include <string>
#include <string_view>

#include "ming/ming.h"
#include "ming/status.h"
#include "server/protocol.h"

namespace ming::server {

// Fills req with one BYTES input per model field, one cell per row. body must stay
// readable for `capacity` >= body.size() + 64 bytes. Errors name the row and field.
Status ParseRowsRequest(const Model& m, std::string_view body, size_t capacity, InferRequest* req);

// The JSON array answer for res (with the explanations when res.explained).
std::string RenderRows(const Model& m, const InferResult& res);

}  // namespace ming::server
