// Human-readable and JSON summaries of a training run, shared by train and demo.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"
#include "train/pipeline.h"

namespace ming::cli {

// "data: 7000 train / 1500 validation / 1500 test rows, 11 fields -> 38 inputs, binary 'accepted'"
void PrintDataSummary(const Preprocessor& pre, int64_t train, int64_t val, int64_t test);
// The metrics table and where the model went.
void PrintSummary(const PipelineResult& r, const std::string& model_path);
nlohmann::json SummaryJson(const PipelineResult& r);
// Prints a metrics table (rows: split names) for the task's metrics.
void PrintMetricsTable(const nlohmann::json& metrics);

}  // namespace ming::cli
