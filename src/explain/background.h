// The background an explanation is measured against: a fixed, seeded sample of encoded
// training rows kept in the model file (ModelData::background, section BKGD). Shapley
// values compare a row with these rows; the base value is the model's mean output on them.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "data/csv.h"
#include "ming/status.h"
#include "runtime/model_file.h"

namespace ming {

// Rows kept by the training pipeline (see docs/architecture.md, Explanations).
inline constexpr int kBackgroundRows = 32;

// A seeded sample (without replacement) of min(k, rows) rows of X[rows, W], in sample order.
std::vector<float> SampleBackground(const float* X, int64_t rows, int W, int k, uint64_t seed);

// Encodes all rows of a CSV with the model's preprocessing and samples k of them: the
// --background DATA.csv path for models saved without a background.
Result<std::vector<float>> BackgroundFromCsv(const ModelData& m, const CsvTable& t, int k,
                                             uint64_t seed);

// Background rows of m: its stored rows, or an error saying how to supply some.
Status RequireBackground(const ModelData& m, const std::string& model_name);

}  // namespace ming
