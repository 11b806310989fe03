// Evaluation of a model on encoded or raw labelled data: the metrics `ming eval`, the
// training report and the model file's "metrics" record.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "ming/status.h"
#include "runtime/model_file.h"
#include "train/trainer.h"

namespace ming {

// Metrics of the model on encoded data (y as produced by Preprocessor::EncodeLabels):
// {"task", "rows", "accuracy", "log_loss", "f1", "auc"} or {"task", "rows", "rmse", "mae", "r2"}.
nlohmann::json EvaluateEncoded(const ModelData& m, const Dataset& data, int threads);
// The same metrics from the network's outputs on data's rows, out[rows, outputs], already
// computed (only m's preprocessing, calibration and threshold are read).
nlohmann::json MetricsOfOutputs(const ModelData& m, const Dataset& data, const float* out);

// Encodes `rows` of t with the preprocessing (inputs and labels) into a Dataset.
Result<Dataset> EncodeDataset(const Preprocessor& pre, const CsvTable& t,
                              const std::vector<size_t>& rows);

// All rows of t.
std::vector<size_t> AllRows(const CsvTable& t);

}  // namespace ming
